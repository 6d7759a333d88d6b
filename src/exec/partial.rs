//! `--resume --atomic` (issue 17 feature 2): the temporary gets a stable name beside DEST,
//! `.NAME.fcopy-partial`, is kept when the copy fails or is interrupted, and is renamed over DEST
//! only when complete; the next run finds it and continues from its size when its last bytes (up
//! to [`TAIL_CHECK`]) equal the same bytes of SOURCE, as `--resume` does
//! with DEST itself. The random-named temporaries' cleanup never takes it for stale (its name
//! has another shape), and a partial file that is not ours (another owner, a link, not a
//! regular file) or is being written by a running fcopy (`flock`) is left alone: that run uses
//! an ordinary temporary instead.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::fs::{flock, fstat, ftruncate, openat, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use crate::plan::{ByteRange, Job, Strategy};

/// How much of an earlier copy's end is compared with SOURCE before resuming it: 1 MiB.
pub const TAIL_CHECK: u64 = 1 << 20;

/// The suffix of the stable temporary: `.NAME.fcopy-partial`.
pub const PARTIAL_MARK: &str = ".fcopy-partial";

/// `.NAME.fcopy-partial` (NAME cut to 200 bytes, as the random temporaries' names are).
pub(super) fn partial_name(name: &OsStr) -> OsString {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().min(200) + 1 + PARTIAL_MARK.len());
    out.push(b'.');
    out.extend_from_slice(&bytes[..bytes.len().min(200)]);
    out.extend_from_slice(PARTIAL_MARK.as_bytes());
    OsString::from_vec(out)
}

/// The stable temporary, open for writing and locked, and where the copy into it continues.
pub(super) struct PartialFile {
    pub fd: OwnedFd,
    pub name: OsString,
    /// Bytes of SOURCE already in the file (0: a new or emptied file).
    pub resume_from: u64,
}

/// Opens (or creates, `O_EXCL`, mode 0600) `.NAME.fcopy-partial` in `dir` for DEST's `name`.
/// An existing one that is a prefix of `src` (size `src_size`) is resumed from its size; one
/// that is not is emptied. `None`: the name is taken by something that is not ours to reuse
/// (another owner, a link, a non-regular file, a running fcopy's lock), or an error: the caller
/// then uses an ordinary temporary.
pub(super) fn open_partial(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    src: BorrowedFd<'_>,
    src_size: u64,
) -> Option<PartialFile> {
    let pname = partial_name(name);
    let flags = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
    let (fd, created) = match openat(
        dir,
        pname.as_os_str(),
        flags | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(fd) => (fd, false),
        Err(Errno::NOENT) => {
            let create = flags | OFlags::CREATE | OFlags::EXCL;
            (
                openat(dir, pname.as_os_str(), create, Mode::from_raw_mode(0o600)).ok()?,
                true,
            )
        }
        Err(_) => return None,
    };
    flock(&fd, FlockOperation::NonBlockingLockExclusive).ok()?;
    let st = fstat(&fd).ok()?;
    let ours = FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
        && st.st_nlink == 1
        && st.st_uid == rustix::process::geteuid().as_raw();
    if !ours {
        return None;
    }
    let have = st.st_size as u64;
    let resume_from = if created || have == 0 {
        0
    } else if have <= src_size && is_prefix_of(src, fd.as_fd(), have) {
        have
    } else {
        ftruncate(&fd, 0).ok()?;
        0
    };
    Some(PartialFile {
        fd,
        name: pname,
        resume_from,
    })
}

/// Whether `copy`, `have` bytes long, is taken for the start of an interrupted copy of `src`
/// (`--resume` of DEST, and of `--resume --atomic`'s partial file), as `rsync --append` trusts
/// a prefix, but only on evidence:
/// - it was last modified after SOURCE last changed (its ctime: `touch -d` cannot
///   set it back, and a rename or a rewrite in place moves it on). An older file is an earlier
///   copy of a SOURCE that has changed since, maybe in place at the same size, or SOURCE was
///   replaced by an older file; an interrupted copy was written after (its times are set only
///   at the end; a failed one is marked with the time of the failure) — or it is a finished
///   copy by `--update=changed`'s measure (SOURCE's size and mtime to the nanosecond: `-a`);
/// - its last up-to-[`TAIL_CHECK`] bytes equal SOURCE's there, and are not all zeros: a
///   `truncate`d or preallocated file over a SOURCE whose end is zeros (or a hole) proves
///   nothing (red team, round 4: `truncate -s 8M dst` was "complete" for a sparse SOURCE).
///
/// A buffer that cannot be had (a memory limit) means no (copied from the start, issue 14).
pub fn is_prefix_of(src: BorrowedFd<'_>, copy: BorrowedFd<'_>, have: u64) -> bool {
    let (Ok(s), Ok(c)) = (fstat(src), fstat(copy)) else {
        return false;
    };
    // Strictly later: file times come from a coarse clock (a few ms), so a SOURCE changed in
    // the same tick as the copy was written is taken to be newer (copied again: slower, safe).
    // Or a whole copy with SOURCE's own mtime (`-a`, `-p`): what `--update=changed` calls a
    // finished copy (size and mtime, to the nanosecond).
    let written_after = (c.st_mtime, c.st_mtime_nsec) > (s.st_ctime, s.st_ctime_nsec);
    let finished =
        c.st_size == s.st_size && (c.st_mtime, c.st_mtime_nsec) == (s.st_mtime, s.st_mtime_nsec);
    if !written_after && !finished {
        return false;
    }
    let n = have.min(TAIL_CHECK) as usize;
    let at = have - n as u64;
    super::rw::with_buffer_pair(n, |a, b| {
        let (mut done, mut data) = (0, false);
        while done < n {
            let k = (n - done).min(a.len());
            let at = at + done as u64;
            let (a, b) = (&mut a[..k], &mut b[..k]);
            if !(read_exact_at(src, a, at) && read_exact_at(copy, b, at) && a == b) {
                return false;
            }
            data |= a.iter().any(|&x| x != 0);
            done += k;
        }
        data
    })
    .unwrap_or(false)
}

fn read_exact_at(fd: BorrowedFd<'_>, buf: &mut [u8], at: u64) -> bool {
    let mut filled = 0;
    while filled < buf.len() {
        match rustix::io::pread(fd, &mut buf[filled..], at + filled as u64) {
            Ok(0) => return false,
            Ok(k) => filled += k,
            Err(Errno::INTR) => {}
            Err(_) => return false,
        }
    }
    true
}

/// The job that completes a partial file holding SOURCE's first `from` bytes: the rest of
/// SOURCE as a range at the same offsets (as the planner makes a resumed DEST's job).
pub(super) fn resumed_job(job: &Job, from: u64) -> Job {
    let mut resumed = job.clone();
    resumed.strategy = Strategy::Ranged;
    resumed.range = Some(ByteRange {
        offset_in: from,
        offset_out: from,
        len: Some(job.source_facts.size.saturating_sub(from)),
        overlap: false,
    });
    resumed.restart.resumed_from = Some(from);
    resumed
}
