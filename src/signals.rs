//! SIGINT and SIGTERM: remembered in a flag that the engine checks between chunks, so a copy
//! stops promptly, cleans up what it created, and fcopy exits 130 (or 143). Also SIGXFSZ.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};

static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the handlers (once). Exceeding RLIMIT_FSIZE then gives EFBIG instead of death by
/// SIGXFSZ, and SIGINT/SIGTERM set the flag instead of killing the process mid-write.
pub fn install() {
    let flag = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    let _ = signal_hook::flag::register_usize(SIGINT, Arc::clone(flag), SIGINT as usize);
    let _ = signal_hook::flag::register_usize(SIGTERM, Arc::clone(flag), SIGTERM as usize);
    let _ = signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)));
}

/// The signal that asked fcopy to stop, if any.
pub fn pending() -> Option<i32> {
    let flag = RECEIVED.get()?;
    match flag.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n as i32),
    }
}

/// SIGUSR1, "print a status line", as dd answers it: the handler only raises the returned flag
/// (no descriptor is used); the caller prints from a thread of its own and lowers it. `None`
/// when the handler cannot be installed.
pub fn status_requests() -> Option<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&flag)).ok()?;
    Some(flag)
}
