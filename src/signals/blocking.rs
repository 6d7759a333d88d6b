//! Waiting for a stream to have data without missing a stop signal: a read of an empty pipe
//! or FIFO is restarted after the flag handler runs (`SA_RESTART`), so the copy would never see
//! the flag and never take its own cleanup (new-user trial, round 9: an existing DEST was left
//! a prefix without a word, a `-b` backup was not put back, `--resume` did not say it kept
//! the partial copy). `poll(2)` is never restarted (signal(7)), and it wakes every
//! [`TICK`] besides, because the signal may be delivered to another thread (`-j` workers).

use std::os::fd::BorrowedFd;
use std::time::Duration;

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;

/// How often a thread waiting for a stream looks at the stop flag: 200 ms, well within the
/// watchdog's grace (`super::BLOCKED_GRACE`), so the copy itself answers the signal.
pub const TICK: Duration = Duration::from_millis(200);

/// Waits until `fd` can be read without blocking (data, end of file or an error to report),
/// or a stop signal is pending.
///
/// # Errors
/// `ECANCELED` when SIGINT, SIGTERM, SIGHUP or SIGQUIT asked fcopy to stop, as the copy loops'
/// own check between chunks says it. A descriptor `poll` cannot wait on is taken as ready
/// (the read that follows reports what is wrong).
pub fn wait_readable(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let tick = Timespec {
        tv_sec: 0,
        tv_nsec: TICK.as_nanos() as _,
    };
    loop {
        if super::pending().is_some() {
            return Err(Errno::CANCELED);
        }
        let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
        match poll(&mut fds, Some(&tick)) {
            Ok(0) | Err(Errno::INTR) => continue,
            Ok(_) | Err(_) => return Ok(()),
        }
    }
}
