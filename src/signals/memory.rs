//! Memory exhaustion (issue 14): an allocation that fails ends fcopy with status 1, as GNU cp's
//! `xalloc_die` (`cp: memory exhausted`, status 1), never by SIGABRT (status 134 in a shell).
//!
//! Rust's infallible allocations call `handle_alloc_error`, whose default hook writes `memory
//! allocation of N bytes failed` to standard error and then calls libc `abort()`: glibc
//! unblocks SIGABRT and raises it, runs its handler, and only if the handler returns restores
//! the default action and raises it again (measured with `strace -k`, glibc 2.36, Rust 1.95).
//! A SIGABRT action registered first thing in `main` ends the process there with `_exit(1)`.
//! On stable Rust and without `unsafe` nothing better is open: the allocation-error hook is
//! unstable (`set_alloc_error_hook`, `-Zoom=panic`), and a wrapping `#[global_allocator]`
//! cannot tell an infallible allocation from a fallible one (`try_reserve`, which the copy
//! buffers of `exec::rw` rely on to fall back to smaller buffers), so it would turn those into
//! exits too. The handler is `signal_hook::flag::register_conditional_shutdown`, signal-hook's
//! safe, async-signal-safe `_exit` under a flag; registering a handler of our own that writes
//! would need `unsafe`, so the line on standard error is std's (`memory allocation of N bytes
//! failed`) rather than GNU's, except where fcopy sees the failure itself (below).
//!
//! The release profile aborts on panic too (`panic = "abort"`), and a panic is a bug that must
//! stay visible as one: the panic hook lowers the flag before the abort, so the handler does
//! nothing and glibc's second raise kills the process by SIGABRT, after the panic message. A
//! panic whose message is ENOMEM's (std's "failed to allocate an alternative stack" when a
//! thread starts under a low `ulimit -v`) is memory exhaustion: the panic is printed, then
//! `PROGRAM: memory exhausted`, status 1.
//!
//! The price of a SIGABRT action: a SIGABRT sent by another process (`kill -ABRT`, `timeout
//! -s ABRT`) also ends fcopy with status 1 and no message, not by the signal; telling the
//! sender apart needs the signal's `siginfo`, which signal-hook gives only to `unsafe` handlers.
//!
//! Partial files are left as they are, as GNU cp leaves them after `memory exhausted`: cleaning
//! up would need the memory that is missing, and a signal handler cannot do it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::SIGABRT;

/// Whether a SIGABRT is memory exhaustion: true from [`exit_1_when_memory_runs_out`] on, until
/// a panic that is a bug begins in a build that aborts on panic.
static ABORT_IS_MEMORY: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The text after `PROGRAM: ` (`report::messages::MEMORY_EXHAUSTED`), given by `main`.
static WORDING: OnceLock<&'static str> = OnceLock::new();

/// The first thing `main` does, before anything allocates: from here on an abort that is not a
/// panic (a failed allocation, glibc's "failed to register TLS destructor") ends the process
/// with status 1 instead of SIGABRT. `wording` is the text after `PROGRAM: ` for the failures
/// fcopy sees itself. Cost: one `rt_sigaction` and a few small allocations (issue 16's
/// start-up budget).
///
/// The process's first allocation sets up malloc's heap (132 KiB by `brk`, else 1 MiB by
/// `mmap`); under a limit that leaves less, that allocation fails, and it would be the
/// handler's own registration. It is made first, fallibly: if it fails, fcopy says
/// `PROGRAM: memory exhausted` and exits 1 at once.
pub fn exit_1_when_memory_runs_out(wording: &'static str) {
    let _ = WORDING.set(wording);
    let mut first = Vec::<u8>::new();
    if std::hint::black_box(&mut first)
        .try_reserve_exact(1)
        .is_err()
    {
        say_memory_exhausted();
        std::process::exit(1);
    }
    drop(first);
    let flag = ABORT_IS_MEMORY.get_or_init(|| Arc::new(AtomicBool::new(true)));
    let _ = signal_hook::flag::register_conditional_shutdown(SIGABRT, 1, Arc::clone(flag));
    install_panic_hook();
}

/// What a panic means, by the thread it happened in, its message and whether the build aborts
/// on panic (`cfg!(panic = "abort")`).
#[derive(Debug, PartialEq, Eq)]
pub enum PanicVerdict {
    /// A helper thread's panic where panics unwind: nothing is said, the run goes on without
    /// the thread (`super::HELPER_THREADS`).
    Quiet,
    /// Caused by ENOMEM: the panic as the previous hook prints it (where it happened), then
    /// `PROGRAM: memory exhausted`, then (where panics abort) status 1.
    MemoryExhausted,
    /// A bug: the previous hook prints it, and where panics abort the process dies by SIGABRT.
    Bug,
}

/// Judges a panic (see [`PanicVerdict`]). Its message shows ENOMEM when it holds its text
/// (`Cannot allocate memory`, in an `io::Error`'s Display and Debug forms) or its number
/// (`os error 12`): std's "failed to allocate an alternative stack: Cannot allocate memory (os
/// error 12)" for a thread started under a low `ulimit -v`.
pub fn judge_panic(thread: Option<&str>, message: Option<&str>, aborts: bool) -> PanicVerdict {
    let helper = thread.is_some_and(|name| super::HELPER_THREADS.contains(&name));
    if helper && !aborts {
        return PanicVerdict::Quiet;
    }
    let enomem = |m: &str| m.contains("Cannot allocate memory") || m.contains("(os error 12)");
    if message.is_some_and(enomem) {
        PanicVerdict::MemoryExhausted
    } else {
        PanicVerdict::Bug
    }
}

/// Installs (once) the panic hook that acts on [`judge_panic`], wrapping the previous hook.
pub(super) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            let aborts = cfg!(panic = "abort");
            match judge_panic(std::thread::current().name(), message, aborts) {
                PanicVerdict::Quiet => {}
                // The panic is printed too (with where it happened): a bug whose message
                // only mentions ENOMEM stays findable (red-team finding, round 5).
                PanicVerdict::MemoryExhausted => {
                    previous(info);
                    say_memory_exhausted();
                }
                PanicVerdict::Bug => {
                    if let Some(flag) = ABORT_IS_MEMORY.get() {
                        flag.store(false, Ordering::SeqCst);
                    }
                    previous(info);
                }
            }
        }));
    });
}

/// Writes `PROGRAM: memory exhausted` to standard error without allocating: PROGRAM is the
/// base name of `argv[0]` (as `app::program_name` makes it), read from `/proc/self/cmdline`
/// into the stack; `fcopy` when that cannot be read.
fn say_memory_exhausted() {
    let mut line = [0u8; 512];
    let mut len = program_name_into(&mut line[..256]);
    let wording = WORDING.get().copied().unwrap_or("memory exhausted");
    for part in [b": ".as_slice(), wording.as_bytes(), b"\n"] {
        let end = (len + part.len()).min(line.len());
        line[len..end].copy_from_slice(&part[..end - len]);
        len = end;
    }
    let _ = rustix::io::write(rustix::stdio::stderr(), &line[..len]);
}

/// Puts the base name of `argv[0]` at the start of `buf` and returns its length.
fn program_name_into(buf: &mut [u8]) -> usize {
    use rustix::fs::{Mode, OFlags};
    let read = rustix::fs::open(
        c"/proc/self/cmdline",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| rustix::io::read(&fd, &mut *buf));
    let (start, end) = base_name(&buf[..read.unwrap_or(0)]).unwrap_or((0, 0));
    if start == end {
        buf[..5].copy_from_slice(b"fcopy");
        return 5;
    }
    buf.copy_within(start..end, 0);
    end - start
}

/// Where the base name of the first NUL-terminated string of `cmdline` lies (`Path::file_name`:
/// trailing slashes ignored; `None` for `.`, `..` or an empty name).
pub fn base_name(cmdline: &[u8]) -> Option<(usize, usize)> {
    let arg0 = cmdline.split(|&b| b == 0).next()?;
    let end = arg0.iter().rposition(|&b| b != b'/')? + 1;
    let start = arg0[..end]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    match &arg0[start..end] {
        b"." | b".." => None,
        _ => Some((start, end)),
    }
}

#[cfg(test)]
mod tests;
