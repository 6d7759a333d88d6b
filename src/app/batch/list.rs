//! The job list as a file: its identity, so a job cannot read it as data, and a regular list
//! read whole (or, when long, watched for changes while it is read), so a job that writes it
//! cannot swap in other jobs.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{fstat, stat, FileType, Stat};

/// The job list's identity (device and inode), and whether it is a stream (standard input, a
/// pipe, a FIFO, a terminal): read once, by whoever reads it first.
#[derive(Clone, Copy, Debug)]
pub struct ListIdentity {
    dev: u64,
    ino: u64,
    pub stream: bool,
}

impl ListIdentity {
    /// The identity of the list open on `fd` (`None` when it cannot be asked).
    pub fn of(fd: impl AsFd) -> Option<ListIdentity> {
        let st = fstat(fd).ok()?;
        Some(ListIdentity {
            dev: st.st_dev,
            ino: st.st_ino,
            stream: FileType::from_raw_mode(st.st_mode) != FileType::RegularFile,
        })
    }

    /// Whether a job reading `source` (`-`: standard input; a path is followed, as the copy
    /// opens it) would read this list: `/dev/stdin`, `/dev/fd/0` or the FIFO's own name under
    /// `--batch -`, and `-` under `--batch /dev/stdin` (red team, round 13: only the name `-`
    /// with `--batch -` was refused, and the other spellings copied the rest of the list as
    /// data, losing its jobs silently).
    pub fn read_by(&self, source: &std::ffi::OsStr) -> bool {
        let st = if source == "-" {
            fstat(rustix::stdio::stdin())
        } else {
            stat(Path::new(source))
        };
        st.is_ok_and(|st| (st.st_dev, st.st_ino) == (self.dev, self.ino))
    }
}

/// What a regular list's reader returns once the list changed under it ([`WatchedList`]).
#[derive(Debug)]
pub struct ListChanged;

impl std::fmt::Display for ListChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the job list changed while it was read")
    }
}

impl std::error::Error for ListChanged {}

/// Whether `e` is [`ListChanged`].
pub fn is_list_changed(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<ListChanged>())
}

/// A regular list up to this size (bytes; about 100,000 jobs) is read whole before its first
/// job, so no job can change what the list says; a longer one is read in pieces through
/// [`WatchedList`], which bounds the memory the list takes.
pub const READ_WHOLE_UP_TO: u64 = 4 << 20;

/// A regular job list (opened by name, or standard input redirected from a file) as the
/// reader takes it: its bytes when it is at most [`READ_WHOLE_UP_TO`] long, else
/// [`WatchedList`]. A job writing the list (its DEST is the list, or a name linked to it)
/// rewrote it in place, and the reader went on at its old offset in the new bytes: jobs never
/// listed ran and listed ones were dropped, exit 0 (red team, round 13; also with the list
/// on standard input, and with `-p` or a coarse clock keeping its size and mtime: red team
/// 13b).
pub fn regular_list(mut file: File) -> io::Result<Box<dyn io::BufRead>> {
    let size = fstat(&file).map(|st| u64::try_from(st.st_size).unwrap_or(0))?;
    if size <= READ_WHOLE_UP_TO {
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        return Ok(Box::new(io::Cursor::new(bytes)));
    }
    let watched = WatchedList::new(file)?;
    Ok(Box::new(io::BufReader::with_capacity(64 * 1024, watched)))
}

/// A long regular job list, read in pieces while its jobs run: before each piece after the
/// first, its size, modification time and change time must still be those it was opened
/// with. The change time also moves when a job links, renames (`-b`) or chmods the list
/// without changing its bytes: the run then stops reading it too, loudly, rather than risk
/// reading bytes it never listed. Once the list read is complete, a change no longer matters.
pub struct WatchedList {
    file: File,
    opened: Shape,
    consumed: u64,
}

/// What a change of a regular file shows: size, then modification and change times (seconds,
/// nanoseconds).
type Shape = (u64, (i64, u64), (i64, u64));

impl WatchedList {
    /// Watches `file`, a regular job list just opened.
    fn new(file: File) -> io::Result<WatchedList> {
        let st = fstat(&file)?;
        Ok(WatchedList {
            opened: shape(&st),
            file,
            consumed: 0,
        })
    }
}

fn shape(st: &Stat) -> Shape {
    (
        u64::try_from(st.st_size).unwrap_or(0),
        (st.st_mtime, st.st_mtime_nsec),
        (st.st_ctime, st.st_ctime_nsec),
    )
}

impl Read for WatchedList {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.consumed > 0 {
            let now = shape(&fstat(&self.file)?);
            if now != self.opened {
                if self.consumed >= self.opened.0 {
                    return Ok(0);
                }
                return Err(io::Error::other(ListChanged));
            }
        }
        let n = self.file.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}
