//! SIGINT, SIGTERM, SIGHUP and SIGQUIT: remembered in a flag that the engine checks between
//! chunks, so a copy stops promptly and cleans up what it created; then fcopy dies by that
//! signal, as cp does. Also SIGXFSZ.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGXFSZ};

static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the handlers (once). Exceeding RLIMIT_FSIZE then gives EFBIG instead of death by
/// SIGXFSZ, and SIGINT/SIGTERM set the flag instead of killing the process mid-write.
pub fn install() {
    let flag = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    let _ = signal_hook::flag::register_usize(SIGINT, Arc::clone(flag), SIGINT as usize);
    let _ = signal_hook::flag::register_usize(SIGTERM, Arc::clone(flag), SIGTERM as usize);
    let _ = signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)));
    install_hangup_and_quit(flag);
}

/// SIGHUP (a closed ssh session or terminal) and SIGQUIT stop a copy like SIGTERM: the
/// unfinished file is removed instead of left half-written (issue 13).
fn install_hangup_and_quit(flag: &Arc<AtomicUsize>) {
    let _ = signal_hook::flag::register_usize(SIGHUP, Arc::clone(flag), SIGHUP as usize);
    let _ = signal_hook::flag::register_usize(SIGQUIT, Arc::clone(flag), SIGQUIT as usize);
}

/// Once everything is cleaned up and reported: if a signal stopped the run, restores its
/// default action and raises it again, so fcopy dies by that signal and the shell knows —
/// a loop of copies stops at the first Ctrl-C, as with cp (bash only stops a loop for a child
/// that died by SIGINT, not for one that exited 130). Returns only if no signal is pending or
/// it could not be re-raised (the caller then exits 130/143).
pub fn die_by_pending_signal() {
    if let Some(signal) = pending() {
        let _ = signal_hook::low_level::emulate_default_handler(signal);
    }
}

/// Writing to standard output failed with EPIPE (its reader is gone): the run stops and cleans
/// up as on a signal, says nothing, and fcopy then dies by SIGPIPE, as cat and dd do (they
/// die by the signal itself; Rust ignores SIGPIPE, so the write returns EPIPE instead).
pub fn note_broken_pipe() {
    let flag = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    let _ = flag.compare_exchange(
        0,
        signal_hook::consts::SIGPIPE as usize,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
}

/// Standard output's reader is gone ([`note_broken_pipe`]): diagnostics are not shown.
pub fn broken_pipe() -> bool {
    pending() == Some(signal_hook::consts::SIGPIPE)
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
