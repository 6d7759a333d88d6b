//! The offsets a span copy reads and writes at, shared by the copy_file_range and read/write
//! loops and the span copy that drives them; and where a ranged copy writes standard output.

use std::os::fd::BorrowedFd;

use rustix::fs::{fcntl_getfl, seek, OFlags, SeekFrom};

/// Where each end of a span copy is: an explicit offset, or `None` for the descriptor's own
/// offset (standard input/output, streams). Advanced by what was copied.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Offsets {
    pub input: Option<u64>,
    pub output: Option<u64>,
}

impl Offsets {
    /// Both ends at `at`.
    pub fn both(at: u64) -> Self {
        Offsets {
            input: Some(at),
            output: Some(at),
        }
    }

    /// SOURCE at `input`, DEST at `output`.
    pub fn both_at(input: u64, output: u64) -> Self {
        Offsets {
            input: Some(input),
            output: Some(output),
        }
    }
}

/// Where a ranged copy to standard output (`-`) starts writing: `offset_out` bytes past its
/// current position (GNU dd's `seek=N` on standard output: `lseek(SEEK_CUR)`), as a positioned
/// write at that offset. `None` (written where it is, sequentially) for an `O_APPEND` standard
/// output, whose writes land at its end anyway (the planner refuses `--offset-out` there), or
/// one whose position cannot be read.
pub fn stdout_start(dst: BorrowedFd<'_>, offset_out: u64) -> Option<u64> {
    let flags = fcntl_getfl(dst).ok()?;
    if flags.contains(OFlags::APPEND) {
        return None;
    }
    let current = seek(dst, SeekFrom::Current(0)).ok()?;
    current.checked_add(offset_out)
}

/// After a ranged copy to standard output written at explicit offsets ([`stdout_start`]):
/// leaves its position after the last byte written, as sequential writes would (a later
/// writer to the same open file, such as the next `--batch` line or the shell, goes on there).
/// Best effort: the copy's own result is what is reported.
pub fn leave_stdout_at(dst: BorrowedFd<'_>, at: &Offsets) {
    if let Some(pos) = at.output {
        let _ = seek(dst, SeekFrom::Start(pos));
    }
}
