//! `--resume --atomic` (issue 17 feature 2): the temporary gets a stable name beside DEST,
//! `.NAME.fcopy-partial`, is kept when the copy fails or is interrupted, and is renamed over DEST
//! only when complete; the next run finds it and continues from its size when its last bytes (up
//! to [`crate::restart::resume::TAIL_CHECK`]) equal the same bytes of SOURCE, as `--resume` does
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
use crate::restart::resume::TAIL_CHECK;

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
    // A partial file last written before SOURCE last changed holds bytes SOURCE may have
    // rewritten since (as for DEST in `restart/resume.rs`): emptied, not continued.
    let newer =
        fstat(src).is_ok_and(|s| (st.st_mtime, st.st_mtime_nsec) >= (s.st_mtime, s.st_mtime_nsec));
    let resume_from = if created || have == 0 {
        0
    } else if have <= src_size && newer && tail_matches(src, fd.as_fd(), have) {
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

/// Whether the last up-to-1 MiB before `have` are the same in both files.
fn tail_matches(src: BorrowedFd<'_>, partial: BorrowedFd<'_>, have: u64) -> bool {
    let n = have.min(TAIL_CHECK) as usize;
    let at = have - n as u64;
    // Buffers refused (a memory limit): not resumed, copied from the start (issue 14).
    super::rw::with_buffer_pair(n, |a, b| {
        let mut done = 0;
        while done < n {
            let k = (n - done).min(a.len());
            let at = at + done as u64;
            let (a, b) = (&mut a[..k], &mut b[..k]);
            if !(read_exact_at(src, a, at) && read_exact_at(partial, b, at) && a == b) {
                return false;
            }
            done += k;
        }
        true
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
