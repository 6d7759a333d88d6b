//! `--checksum` (rsync's name): whether an existing DEST already holds SOURCE's bytes. Both
//! files are opened read-only through descriptors and checked to be the very files the rules
//! looked at (device and inode): a file or symbolic link swapped in since then is not read
//! through, it only makes the answer "differs" (and the copy then meets it as any copy would).
//!
//! Every byte is read and compared, except those DEST already shares with SOURCE (a reflink,
//! or copy_file_range on btrfs/XFS), which are equal without reading (`shared`).

mod shared;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{fstat, openat, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::plan::Endpoint;

/// Bytes compared per read of each file (at most; less under a memory limit).
const CHUNK: u64 = 1 << 20;

/// One file of the comparison: where it is, which file it must be, and how to open it.
#[derive(Copy, Clone, Debug)]
pub struct Side<'a> {
    /// Its name (relative to a directory descriptor in a tree walk).
    pub end: &'a Endpoint,
    /// The (device, inode) the rules looked at: the opened file must be this one.
    pub id: (u64, u64),
    /// Open with `O_NOFOLLOW`: the walk copies a symbolic link at this name as a link, or the
    /// name was not a symbolic link when it was looked at.
    pub nofollow: bool,
}

/// Opens `side` read-only (never blocking on a FIFO, never becoming a controlling terminal)
/// and checks it is the regular file of `len` bytes the rules looked at.
fn open_checked(side: Side<'_>, len: u64) -> Option<(OwnedFd, Stat)> {
    let (dir, name) = side.end.dir_and_name()?;
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    if side.nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = openat(dir, name, flags, Mode::empty()).ok()?;
    let st = fstat(&fd).ok()?;
    let same = (st.st_dev, st.st_ino) == side.id
        && FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
        && st.st_size as u64 == len;
    same.then_some((fd, st))
}

/// Whether `src` and `dst` both hold the same `len` bytes (shared extents count as equal
/// unread). `false` when they differ, when either is not the file the rules looked at or not
/// `len` bytes long, when a read fails, or when SIGINT/SIGTERM arrives (the copy then goes
/// ahead, or the run stops).
pub fn same_contents(src: Side<'_>, dst: Side<'_>, len: u64) -> bool {
    let (Some((a, a_st)), Some((b, b_st))) = (open_checked(src, len), open_checked(dst, len))
    else {
        return false;
    };
    if len == 0 {
        return true;
    }
    let ranges = shared::ranges_to_read((a.as_fd(), &a_st), (b.as_fd(), &b_st), len);
    // No buffer to be had (a memory limit) answers "differs": the copy goes ahead.
    let compared = super::rw::with_buffer_pair(len.min(CHUNK) as usize, |x, y| {
        ranges.into_iter().all(|range| {
            let mut done = range.start;
            while done < range.end {
                if crate::signals::pending().is_some() {
                    return false;
                }
                let want = (range.end - done).min(x.len() as u64) as usize;
                let read = |fd: BorrowedFd<'_>, buf: &mut [u8]| read_full(fd, done, buf);
                match (
                    read(a.as_fd(), &mut x[..want]),
                    read(b.as_fd(), &mut y[..want]),
                ) {
                    (Ok(n), Ok(m)) if n == want && m == want && x[..want] == y[..want] => {}
                    _ => return false,
                }
                done += want as u64;
            }
            true
        })
    });
    compared.unwrap_or(false)
}

/// Reads up to `buf.len()` bytes at `at`, stopping early only at end of file (also `--verify`'s
/// read-back).
pub(super) fn read_full(fd: BorrowedFd<'_>, at: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut filled = 0;
    while filled < buf.len() {
        match rustix::io::pread(fd, &mut buf[filled..], at + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests;
