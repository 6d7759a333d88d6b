//! SIGINT, SIGTERM, SIGHUP and SIGQUIT: remembered in a flag that the engine checks between
//! chunks, so a copy stops promptly and cleans up what it created; then fcopy dies by that
//! signal, as cp does. A read of an empty pipe or FIFO waits where the flag is seen
//! ([`blocking`]); a watchdog thread makes sure fcopy does die when another system call blocks
//! (opening a FIFO without a writer, writing into a full pipe). Also SIGXFSZ, and SIGABRT: an allocation
//! that fails ends fcopy with status 1, as GNU cp's `memory exhausted`, not by the signal.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGXFSZ};
use signal_hook::iterator::Signals;

pub mod blocking;
pub mod memory;
pub mod partial;
pub use memory::exit_1_when_memory_runs_out;

static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the handlers (once). Exceeding RLIMIT_FSIZE then gives EFBIG instead of death by
/// SIGXFSZ, and SIGINT/SIGTERM set the flag instead of killing the process mid-write.
/// A signal the caller left ignored stays ignored ([`ignored_by_caller`]), except SIGPIPE:
/// Rust's runtime ignores it before `main` and discards what it was (strace: the old action
/// returned by its `rt_sigaction` is not kept; telling it needs code before `main`, `unsafe`),
/// so a broken standard output always ends fcopy by SIGPIPE ([`note_broken_pipe`]).
pub fn install() {
    let flag = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for signal in [SIGINT, SIGTERM] {
        if !ignored_by_caller(signal) {
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(flag), signal as usize);
        }
    }
    let _ = signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)));
    install_hangup_and_quit(flag);
    quiet_helper_threads();
}

/// Whether fcopy started with `signal` ignored: `nohup` ignores SIGHUP, and a shell starts a
/// script's background jobs (`fcopy a b &`) with SIGINT and SIGQUIT ignored. Such a signal is
/// left ignored, not caught, as GNU dd and sort leave it (dd.c `install_signal_handlers`):
/// `nohup fcopy` survives its terminal closing, as `nohup cp` does (new-user trial, round 7:
/// it died by SIGHUP and removed its copy). Read once, before any handler is installed, from
/// `sigignore` in `/proc/self/stat` (proc(5); asking `sigaction` needs `unsafe`); without
/// `/proc`, none is taken for ignored.
pub fn ignored_by_caller(signal: i32) -> bool {
    static IGNORED: OnceLock<u64> = OnceLock::new();
    let mask = *IGNORED.get_or_init(ignored_at_start);
    (1..=64).contains(&signal) && mask & (1 << (signal - 1)) != 0
}

/// The mask of signals ignored at start: field 33 (`sigignore`, decimal) of `/proc/self/stat`,
/// one line of about 300 bytes read once (`/proc/self/status` costs more to make and to
/// parse: measured 5 page faults and 0.05 ms of a 1-byte copy's start-up). 0 without `/proc`.
fn ignored_at_start() -> u64 {
    use rustix::fs::{open, Mode, OFlags};
    let mut line = [0u8; 1024];
    let read = open(
        "/proc/self/stat",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| rustix::io::read(&fd, &mut line))
    .unwrap_or(0);
    let line = &line[..read];
    // "PID (COMM) STATE ...": COMM may hold spaces and parentheses; STATE is field 3.
    let Some(end_of_comm) = line.iter().rposition(|&b| b == b')') else {
        return 0;
    };
    let mut fields = line[end_of_comm + 1..].split(|&b| b == b' ');
    let _empty = fields.next();
    let Some(field) = fields.nth(33 - 3) else {
        return 0;
    };
    field
        .iter()
        .try_fold(0u64, |n, &b| match b {
            b'0'..=b'9' => n.checked_mul(10)?.checked_add(u64::from(b - b'0')),
            _ => None,
        })
        .unwrap_or(0)
}

/// Starts the watchdog thread (once), before a job that may block in a system call
/// (`exec::run_job`): a FIFO, a stream, a device. Copies of regular files never start it, so
/// they pay no thread and no descriptors for it (`ulimit -n`, start-up).
pub fn ensure_watchdog() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Under a tight address-space limit (`ulimit -v`) the thread is not started: its stack
    // and the thread-local state it would take could leave too little for the copy itself,
    // and glibc aborts when a thread-local destructor cannot be registered (measured: a
    // stream copy 128 KiB above start-up's need). A blocked copy then needs SIGKILL, as before.
    // (Decided once: a later job does not look again.)
    ONCE.call_once(|| {
        if crate::limits::address_space_headroom().is_none_or(|free| free >= WATCHDOG_HEADROOM) {
            start_watchdog();
            if let Some(ready) = ON_BLOCKING_JOB.get() {
                ready();
            }
        }
    });
}

/// What else must be ready before the first job that may block: set once by the front end
/// (the `kill -USR1` watcher of `report::progress`, which would otherwise start only at the
/// copy's next piece).
static ON_BLOCKING_JOB: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>> =
    std::sync::OnceLock::new();

/// Sets what [`ensure_watchdog`] starts besides the watchdog (under the same address-space
/// check).
pub fn on_blocking_job(ready: impl Fn() + Send + Sync + 'static) {
    let _ = ON_BLOCKING_JOB.set(Box::new(ready));
}

/// The address space left under `RLIMIT_AS` below which the watchdog is not started: 8 MiB.
const WATCHDOG_HEADROOM: u64 = 8 << 20;

/// The helper threads (this watchdog, the SIGUSR1 watcher of `report::progress`): where a
/// panic unwinds (debug and test builds), a panic in one, such as std's "failed to allocate an
/// alternative stack" when it starts under a low `ulimit -v`, is silent and the run goes on
/// without it (its flag handler stays installed, so the signal still stops the run, or a status
/// line is printed at the next file). Where it aborts (the release profile), the process ends:
/// see [`memory::judge_panic`].
pub const HELPER_THREADS: [&str; 2] = ["fcopy-signals", "sigusr1"];

/// Installs (once) the panic hook of [`memory`]: quiet for [`HELPER_THREADS`] where panics
/// unwind, `memory exhausted` for a panic caused by ENOMEM, the previous hook for the rest.
fn quiet_helper_threads() {
    memory::install_panic_hook();
}

/// How long every other thread of fcopy must sleep in an interruptible wait, after a stop
/// signal, before the watchdog ends the process: the normal path (flag checked between chunks,
/// cleanup, [`die_by_pending_signal`]) answers within one chunk's wait, so a run still asleep
/// this long is blocked in a system call that SA_RESTART restarts (open or read of a FIFO, a
/// pipe) and would never return.
const BLOCKED_GRACE: Duration = Duration::from_secs(1);

/// Without `/proc` the threads' states are unknown: the watchdog then waits this long.
const BLIND_GRACE: Duration = Duration::from_secs(5);

/// Starts the thread that watches for a stop signal (issue: a blocked fcopy ignored SIGINT and
/// SIGTERM). A thread that cannot be started leaves the flag handlers alone (silently).
fn start_watchdog() {
    let caught = [SIGINT, SIGTERM, SIGHUP, SIGQUIT].map(|s| (!ignored_by_caller(s)).then_some(s));
    let Ok(mut signals) = Signals::new(caught.iter().flatten()) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name(HELPER_THREADS[0].into())
        .stack_size(64 << 10)
        .spawn(move || {
            // A stop signal that came before the watchdog started was only flagged.
            let first = match pending() {
                Some(signal) if signal != signal_hook::consts::SIGPIPE => signal,
                _ => match signals.forever().next() {
                    Some(signal) => signal,
                    None => return,
                },
            };
            watch(first, &mut signals);
        });
}

/// After the stop signal `first`: dies by it once every other thread has slept in an
/// interruptible wait (state `S`: a blocked open, read or write, or waiting for such a thread)
/// for [`BLOCKED_GRACE`], as GNU cp would have died at once; a thread that runs or waits for
/// the disk (state `R` or `D`: copying, removing a large partial file) is cleaning up and is
/// let finish. The new files of the blocked copies are removed first ([`partial`]). A second
/// stop signal ends the process at once (a second Ctrl-C), leaving them, as GNU cp leaves them.
fn watch(first: i32, signals: &mut Signals) {
    let started = Instant::now();
    let mut asleep_since: Option<Instant> = None;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if signals.pending().next().is_some() {
            break;
        }
        let now = Instant::now();
        let blocked = match others_all_asleep() {
            Some(true) => now - *asleep_since.get_or_insert(now) >= BLOCKED_GRACE,
            Some(false) => {
                asleep_since = None;
                false
            }
            None => now - started >= BLIND_GRACE,
        };
        if blocked {
            break;
        }
    }
    // The jobs blocked in a system call never get to remove their new files: done here.
    partial::remove_all();
    let _ = signal_hook::low_level::emulate_default_handler(first);
}

/// Whether every thread of fcopy but the calling one is in an interruptible sleep (`S` in
/// `/proc/self/task/TID/stat`, proc(5)); `None` when `/proc` cannot be read.
fn others_all_asleep() -> Option<bool> {
    let me = std::fs::read_link("/proc/thread-self").ok()?;
    let me = me.file_name()?.to_owned();
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let task = task.ok()?;
        if task.file_name() == me {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue; // the thread has just ended
        };
        // "TID (COMM) STATE ...": COMM may hold spaces and parentheses.
        let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
        if state != 'S' {
            return Some(false);
        }
    }
    Some(true)
}

/// SIGHUP (a closed ssh session or terminal) and SIGQUIT stop a copy like SIGTERM: the
/// unfinished file is removed instead of left half-written (issue 13).
fn install_hangup_and_quit(flag: &Arc<AtomicUsize>) {
    for signal in [SIGHUP, SIGQUIT] {
        if !ignored_by_caller(signal) {
            let _ = signal_hook::flag::register_usize(signal, Arc::clone(flag), signal as usize);
        }
    }
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
/// when the handler cannot be installed, or the caller left SIGUSR1 ignored.
pub fn status_requests() -> Option<Arc<AtomicBool>> {
    if ignored_by_caller(signal_hook::consts::SIGUSR1) {
        return None;
    }
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&flag)).ok()?;
    Some(flag)
}
