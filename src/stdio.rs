//! Standard input and output that were closed when fcopy started (`fcopy - out <&-`,
//! `fcopy -v a b >&-`): Rust's runtime reopens a closed descriptor 0-2 on `/dev/null`
//! read-write before `main`, so reading `-` found an empty file and output vanished, exit 0
//! (new-user trial, round 9), where dd, cat and `cp -v` fail with `Bad file descriptor`,
//! exit 1. Such a descriptor is made one that neither reads nor writes, so each use fails
//! with `EBADF` as the closed one would have, and is reported by the usual paths.

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{fcntl_getfl, fstat, makedev, open, FileType, Mode, OFlags};

/// Looks at descriptors 0 and 1 once, at start-up, and replaces each one that Rust put there
/// for a closed one ([`reopened_null`]) by an `O_PATH` descriptor of `/dev/null`: `read` and
/// `write` then fail with `EBADF` (open(2)), and the descriptor stays taken, so no file fcopy
/// opens later becomes its standard input or output. Costs two `fcntl` (and an `fstat` for a
/// read-write descriptor such as a terminal). Nothing is done when it cannot be (silently:
/// the run then reads or writes `/dev/null`, as before).
///
/// A daemon (daemon(3), start-stop-daemon) points all three descriptors at one read-write
/// `/dev/null`, as Rust would after `<&- >&- 2>&-`: that is left alone, as parse.rs's
/// `--help` check leaves it. `<>/dev/null` (the shell's read-write redirection) cannot be
/// told from a closed descriptor and is taken for one.
pub fn close_substituted() {
    let [stdin, stdout] = [rustix::stdio::stdin(), rustix::stdio::stdout()].map(reopened_null);
    if !(stdin || stdout) || (stdin && stdout && reopened_null(rustix::stdio::stderr())) {
        return;
    }
    let flags = OFlags::PATH | OFlags::CLOEXEC;
    let Ok(unusable) = open("/dev/null", flags, Mode::empty()) else {
        return;
    };
    if stdin {
        let _ = rustix::stdio::dup2_stdin(&unusable);
    }
    if stdout && rustix::stdio::dup2_stdout(&unusable).is_ok() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Whether [`close_substituted`] found standard output closed.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether standard output was closed when fcopy started ([`close_substituted`]). Rust's
/// `io::stdout()` takes `EBADF` for success (a closed stdout is a sink to it), so text output
/// (`-v`, `--json`, `--help`) asks this and writes into [`Closed`] instead.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Standard output that was closed: every write fails with `EBADF`, which the report says
/// as GNU's `write error: Bad file descriptor` (exit 1), as `cp -v a b >&-` does.
pub struct Closed;

impl io::Write for Closed {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(
            rustix::io::Errno::BADF.raw_os_error(),
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether `fd` is what Rust's runtime puts in place of a closed standard descriptor:
/// `/dev/null` (character device 1:3) open read-write (seen with strace: `poll` reports
/// `POLLNVAL` for the descriptor, then `openat("/dev/null", O_RDWR)`). A shell's `</dev/null`
/// is read-only and `>/dev/null` write-only.
pub fn reopened_null(fd: BorrowedFd<'_>) -> bool {
    fcntl_getfl(fd).is_ok_and(|fl| fl & OFlags::RWMODE == OFlags::RDWR)
        && fstat(fd).is_ok_and(|st| {
            FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice
                && st.st_rdev == makedev(1, 3)
        })
}
