//! How an existing regular DEST's old bytes give way to a whole-file copy: emptied first (as
//! GNU's `O_TRUNC`), or, for a small DEST on ext4 or tmpfs, overwritten in place by one write
//! of SOURCE's bytes and cut to the bytes copied (issue 16, goal 5; the red team's rounds 6
//! and 7 shaped the rule).

use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::ftruncate;
use rustix::io::Errno;

use super::{rw, Engine, ExecError};
use crate::plan::Job;

#[cfg(test)]
mod tests;

/// The most bytes an existing DEST may hold to be overwritten in place rather than emptied
/// first ([`OldDest::may_be_overwritten_in_place`]): one page, which one `pwrite` of SOURCE's
/// first bytes replaces whole ([`Overwrite::replace_old_bytes`]; a signal cannot split a
/// one-page write in the kernel). Re-copies of many small files are where emptying costs (a
/// journal update and, with `discard`, a wait per file); for a larger file that cost is small
/// beside the copy.
pub(super) const IN_PLACE_MAX: u64 = 4096;

/// An existing regular DEST as `fstat` saw it: its size and the bytes allocated to it.
#[derive(Copy, Clone, Debug)]
pub(super) struct OldDest {
    pub(super) size: u64,
    pub(super) allocated: u64,
}

impl OldDest {
    /// Whether a whole-file copy of `expected` bytes (SOURCE's size, a hint; `None`: unknown)
    /// may overwrite this DEST in place. Only if at every moment DEST holds its old bytes or
    /// SOURCE's, never a mix, even when fcopy is killed (red team, round 6: a 64 MiB DEST
    /// overwritten in place and killed held new bytes then old ones at its old size, and
    /// `--resume` appended to it and exited 0):
    /// - DEST holds at most [`IN_PLACE_MAX`] bytes, all of which one write replaces;
    /// - SOURCE is expected to be at least as long (checked again by reading it:
    ///   [`Overwrite::replace_old_bytes`]);
    /// - DEST has no holes, so writing over it needs no new blocks (red team: a DEST with a
    ///   hole failed with ENOSPC where emptying it first would have made room), and no blocks
    ///   beyond its one page (kept past its end by `fallocate`, or an xattr block), which
    ///   emptying it would free for the copy (red team, second pass);
    /// - DEST is not empty (nothing to save).
    pub(super) fn may_be_overwritten_in_place(self, expected: Option<u64>) -> bool {
        self.size > 0
            && self.size <= IN_PLACE_MAX
            && expected.is_some_and(|len| len >= self.size)
            && self.allocated >= self.size
            && self.allocated <= IN_PLACE_MAX
    }
}

/// How an existing regular DEST's old contents give way to the copy.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Overwrite {
    /// Nothing to do around the copy: DEST is new, not a regular file, was emptied at open, or
    /// keeps its other bytes (a ranged copy).
    Done,
    /// A whole-file copy that writes every byte from offset 0 (no hole skipped) overwrites the
    /// old DEST of this many bytes in place ([`Overwrite::replace_old_bytes`]) and then cuts it
    /// to the bytes copied ([`Overwrite::trim`]). The end is the same file `O_TRUNC` then
    /// writing gives, but the old blocks are rewritten rather than freed and allocated again:
    /// on ext4 freeing them costs a journal update, and a discard the truncate waits for on a
    /// filesystem mounted with `discard`, and emptying a file with data makes ext4 start
    /// writeback at its close (`auto_da_alloc`). Measured re-copying 10,000 × 4 KiB files onto
    /// ext4 (`discard`): 627 ms with the truncate, 95 ms without (issue 16, goal 5). Only for a
    /// DEST that [`OldDest::may_be_overwritten_in_place`].
    InPlace { old_size: u64 },
}

impl Overwrite {
    /// Before the copy: replaces all of an in-place DEST's old bytes with SOURCE's first ones,
    /// read first and written with one `pwrite`, so that from then on DEST holds SOURCE's
    /// bytes only, whenever fcopy is killed. If SOURCE holds fewer bytes than DEST now (it
    /// shrank since its `stat`, or its size was only a hint, as on FUSE and network
    /// filesystems), DEST is emptied first instead, as any other, before anything is written:
    /// writing the shorter SOURCE over it would leave old bytes past the new ones until the
    /// cut (red team, round 7: a FUSE file claiming 4096 bytes and holding 12, copied over a
    /// 4 KiB DEST, fcopy killed at the cut: 12 new bytes, then 4084 old ones).
    ///
    /// Returns the overwrite to finish with and the bytes of SOURCE already copied (the offset
    /// the copy goes on from).
    ///
    /// # Errors
    /// [`ExecError::Read`] (SOURCE), [`ExecError::Write`] (DEST, which is then emptied) or
    /// [`ExecError::CreateDest`] (DEST could not be emptied, GNU's wording for a failed
    /// `O_TRUNC`).
    pub(super) fn replace_old_bytes(
        self,
        engine: &Engine<'_>,
        job: &Job,
        src: BorrowedFd<'_>,
        dst: BorrowedFd<'_>,
    ) -> Result<(Overwrite, u64), ExecError> {
        let Overwrite::InPlace { old_size } = self else {
            return Ok((self, 0));
        };
        let mut page = [0u8; IN_PLACE_MAX as usize];
        let old = &mut page[..old_size as usize];
        let read = read_up_to(src, old).map_err(|errno| ExecError::Read {
            path: job.source.display_path().to_owned(),
            errno,
        })?;
        if read < old.len() {
            ftruncate(dst, 0).map_err(|errno| ExecError::CreateDest {
                path: job.dest.display_path().to_owned(),
                errno,
            })?;
            return Ok((Overwrite::Done, 0));
        }
        if let Err(errno) = rw::write_all(dst, &mut Some(0), old) {
            self.abandon(dst);
            return Err(ExecError::Write {
                path: job.dest.display_path().to_owned(),
                errno,
            });
        }
        engine.advance(super::Method::ReadWrite, old_size);
        Ok((self, old_size))
    }

    /// After the copy succeeded with `end` bytes from offset 0: cuts a longer old DEST there.
    pub(super) fn trim(self, job: &Job, dst: impl AsFd, end: u64) -> Result<(), ExecError> {
        match self {
            Overwrite::InPlace { old_size } if old_size > end => {
                ftruncate(dst, end).map_err(|errno| ExecError::Cut {
                    path: job.dest.display_path().to_owned(),
                    errno,
                })
            }
            _ => Ok(()),
        }
    }

    /// After the copy failed: an in-place overwrite is emptied, so that DEST is left empty
    /// rather than holding SOURCE's first bytes at its old size (best effort; the failure is
    /// reported either way, with the note that DEST is incomplete).
    pub(super) fn abandon(self, dst: impl AsFd) {
        if let Overwrite::InPlace { .. } = self {
            let _ = ftruncate(dst, 0);
        }
    }
}

/// Reads SOURCE from offset 0 until `buf` is full or end of file; returns the bytes read.
/// A short read is not end of file (FUSE, network filesystems); only a 0 is.
fn read_up_to(src: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        match rustix::io::pread(src, &mut buf[done..], done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
