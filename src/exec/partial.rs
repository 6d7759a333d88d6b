//! `--resume --atomic` (issue 17 feature 2): the temporary gets a stable name beside DEST,
//! `.NAME.fcopy-partial`, is kept when the copy fails or is interrupted, and is renamed over DEST
//! only when complete; the next run finds it and continues from its size when its last bytes (up
//! to [`TAIL_CHECK`]) equal the same bytes of SOURCE, as `--resume` does
//! with DEST itself. The random-named temporaries' cleanup never takes it for stale (its name
//! has another shape), and a partial file that is not ours (another owner, a link, not a
//! regular file) or is being written by a running fcopy (`flock`) is left alone: that run uses
//! an ordinary temporary instead.
//!
//! A file is trusted as a partial file only when it carries fcopy's mark ([`PARTIAL_XATTR`]),
//! written on the descriptor when fcopy creates it, naming that very file (device, inode) and
//! DEST's full name (red team, round 8: a cut name shared by two DESTs, and a user's own
//! `.x.fcopy-partial`, were taken for partial files and renamed over DEST).

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::fs::{
    flock, fstat, ftruncate, openat, unlinkat, AtFlags, FileType, FlockOperation, Mode, OFlags,
    Stat, XattrFlags,
};
use rustix::io::Errno;

use crate::plan::{ByteRange, Job, Strategy};

/// How much of an earlier copy's end is compared with SOURCE before resuming it: 1 MiB.
pub const TAIL_CHECK: u64 = 1 << 20;

/// The suffix of the stable temporary: `.NAME.fcopy-partial`.
pub const PARTIAL_MARK: &str = ".fcopy-partial";

/// The extended attribute that marks a partial file as fcopy's own (in the `user.` namespace,
/// which an unprivileged owner may set): `fcopy-partial/1 FDEV:FINO SDEV:SINO:SIZE:MTIME.NSEC
/// NAME`, the partial file's own device and inode (a copy of it, `cp -a` or `rsync -X`, is
/// another file), SOURCE's identity when it was made, and DEST's full last name.
pub const PARTIAL_XATTR: &str = "user.fcopy.partial";

/// How many bytes of NAME a partial file's name keeps; a longer NAME is cut and a hash of the
/// whole NAME is appended, so that names sharing their first 200 bytes get different files.
const NAME_KEPT: usize = 200;

/// `.NAME.fcopy-partial`; a NAME longer than 200 bytes is cut to 200 and followed by `~` and 16
/// hex digits of its BLAKE3 hash (232 bytes in all, within NAME_MAX). No uncut name can be
/// spelled like a cut one: its NAME part is at most 200 bytes, a cut one's 217.
pub(super) fn partial_name(name: &OsStr) -> OsString {
    let bytes = name.as_bytes();
    let kept = bytes.len().min(NAME_KEPT);
    let mut out = Vec::with_capacity(kept + 18 + PARTIAL_MARK.len());
    out.push(b'.');
    out.extend_from_slice(&bytes[..kept]);
    if bytes.len() > NAME_KEPT {
        let hash = blake3::hash(bytes);
        out.push(b'~');
        out.extend_from_slice(hash.to_hex()[..16].as_bytes());
    }
    out.extend_from_slice(PARTIAL_MARK.as_bytes());
    OsString::from_vec(out)
}

/// SOURCE's part of the mark: device, inode, size and mtime (to the nanosecond).
fn source_id(src: &Stat) -> String {
    format!(
        "{}:{}:{}:{}.{}",
        src.st_dev, src.st_ino, src.st_size, src.st_mtime, src.st_mtime_nsec
    )
}

/// The mark's text before SOURCE's part: the format and the partial file's own identity.
fn mark_head(file: &Stat) -> String {
    format!("fcopy-partial/1 {}:{} ", file.st_dev, file.st_ino)
}

/// The whole mark for the partial file `file` of DEST `name`, copying SOURCE `src`.
pub(super) fn mark_value(file: &Stat, src: &Stat, name: &OsStr) -> Vec<u8> {
    let mut value = format!("{}{} ", mark_head(file), source_id(src)).into_bytes();
    value.extend_from_slice(name.as_bytes());
    value
}

/// What a file's mark says of it, for DEST `name` and SOURCE `src`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Marked {
    /// Not fcopy's partial file for this DEST: no mark (a user's file, an older fcopy's), a
    /// mark for another file (a copy) or another DEST, or no user xattrs here.
    NotOurs,
    /// Ours, from a copy of another SOURCE (or of SOURCE before it changed): to be emptied.
    OtherSource,
    /// Ours, from a copy of this SOURCE as it is now: may be resumed.
    ThisSource,
}

/// Reads `fd`'s mark (see [`PARTIAL_XATTR`]) and compares it with DEST `name` and SOURCE `src`.
pub(super) fn read_mark(fd: BorrowedFd<'_>, file: &Stat, src: &Stat, name: &OsStr) -> Marked {
    let mut buf = vec![0u8; 512];
    let Ok(n) = rustix::fs::fgetxattr(fd, PARTIAL_XATTR, &mut buf[..]) else {
        return Marked::NotOurs;
    };
    let value = &buf[..n];
    let head = mark_head(file);
    let tail_len = name.len() + 1;
    let ours = value.len() > head.len() + tail_len
        && value.starts_with(head.as_bytes())
        && value[value.len() - tail_len] == b' '
        && value.ends_with(name.as_bytes());
    if !ours {
        Marked::NotOurs
    } else if &value[head.len()..value.len() - tail_len] == source_id(src).as_bytes() {
        Marked::ThisSource
    } else {
        Marked::OtherSource
    }
}

/// Writes `value` as `fd`'s mark, replacing any.
fn write_mark(fd: BorrowedFd<'_>, value: &[u8]) -> Result<(), Errno> {
    rustix::fs::fsetxattr(fd, PARTIAL_XATTR, value, XattrFlags::empty())
}

/// Removes the mark from the partial file just renamed to DEST, if it is still `value` (`-a`
/// may have copied SOURCE's own `user.fcopy.partial` over it: that one stays). Best effort: a
/// mark left on DEST (a kill just after the rename) names DEST's own inode, which DEST's
/// partial file, another name in the same directory, cannot have unless DEST is renamed to it.
pub(super) fn unmark(fd: BorrowedFd<'_>, value: &[u8]) {
    let mut buf = vec![0u8; value.len() + 1];
    if rustix::fs::fgetxattr(fd, PARTIAL_XATTR, &mut buf[..]).is_ok_and(|n| &buf[..n] == value) {
        let _ = rustix::fs::fremovexattr(fd, PARTIAL_XATTR);
    }
}

/// The stable temporary, open for writing and locked, and where the copy into it continues.
pub(super) struct PartialFile {
    pub fd: OwnedFd,
    pub name: OsString,
    /// Bytes of SOURCE already in the file (0: a new or emptied file).
    pub resume_from: u64,
    /// The file's mark (see [`PARTIAL_XATTR`]), removed before it becomes DEST.
    pub mark: Vec<u8>,
}

/// Opens (or creates, `O_EXCL`, mode 0600, marked) `.NAME.fcopy-partial` in `dir` for DEST's
/// `name`. An existing one is used only when it carries fcopy's mark for this very file and
/// DEST ([`read_mark`]): resumed from its size when the mark names SOURCE as it is now and the
/// file is a prefix of `src` ([`is_prefix_of`]), else emptied and marked anew. `None`: the name
/// is taken by something that is not ours to reuse (no mark or another's, another owner, a
/// link, a non-regular file, a running fcopy's lock), the filesystem cannot keep the mark (no
/// user xattrs: a partial file without one could never be told from a user's file, so none is
/// made), or an error: the caller then uses an ordinary temporary.
pub(super) fn open_partial(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    src: BorrowedFd<'_>,
    src_size: u64,
) -> Option<PartialFile> {
    let pname = partial_name(name);
    let src_st = fstat(src).ok()?;
    let flags = OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = match openat(
        dir,
        pname.as_os_str(),
        flags | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return create_partial(dir, pname, &src_st, name),
        Err(_) => return None,
    };
    flock(&fd, FlockOperation::NonBlockingLockExclusive).ok()?;
    let st = fstat(&fd).ok()?;
    let regular = FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
        && st.st_nlink == 1
        && st.st_uid == rustix::process::geteuid().as_raw();
    let marked = read_mark(fd.as_fd(), &st, &src_st, name);
    // An empty unmarked one of mode 0600 is what a kill between creating the file and marking
    // it leaves: nothing in it to lose, so it is taken and marked (left alone, it stayed
    // beside DEST for good: a random-kill test found it in CI, round 8).
    let just_created = st.st_size == 0 && st.st_mode & 0o7777 == 0o600;
    if !regular || (marked == Marked::NotOurs && !just_created) {
        return None;
    }
    let mark = mark_value(&st, &src_st, name);
    let have = st.st_size as u64;
    let resume_from = if marked == Marked::ThisSource
        && have > 0
        && have <= src_size
        && is_prefix_of(src, fd.as_fd(), have)
    {
        have
    } else {
        ftruncate(&fd, 0).ok()?;
        write_mark(fd.as_fd(), &mark).ok()?;
        0
    };
    Some(PartialFile {
        fd,
        name: pname,
        resume_from,
        mark,
    })
}

/// Creates the partial file `pname` (`O_EXCL`, 0600), locks it and marks it; one that cannot
/// be marked is removed again (`None`: an ordinary temporary instead).
fn create_partial(
    dir: BorrowedFd<'_>,
    pname: OsString,
    src_st: &Stat,
    name: &OsStr,
) -> Option<PartialFile> {
    let flags = OFlags::RDWR
        | OFlags::NOFOLLOW
        | OFlags::CLOEXEC
        | OFlags::NOCTTY
        | OFlags::CREATE
        | OFlags::EXCL;
    let fd = openat(dir, pname.as_os_str(), flags, Mode::from_raw_mode(0o600)).ok()?;
    let _ = flock(&fd, FlockOperation::LockExclusive);
    let marked = fstat(&fd).ok().and_then(|st| {
        let mark = mark_value(&st, src_st, name);
        write_mark(fd.as_fd(), &mark).ok().map(|()| mark)
    });
    let Some(mark) = marked else {
        // The name was ours (O_EXCL) until now; a file swapped in meanwhile is not removed.
        let same = rustix::fs::statat(dir, pname.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .zip(fstat(&fd).ok())
            .is_some_and(|(a, b)| (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino));
        if same {
            let _ = unlinkat(dir, pname.as_os_str(), AtFlags::empty());
        }
        return None;
    };
    Some(PartialFile {
        fd,
        name: pname,
        resume_from: 0,
        mark,
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

/// Whether the first `have` bytes of `copy` equal SOURCE's, read whole (for `-u --resume`,
/// where DEST is newer than SOURCE and a tail alone cannot tell an interrupted copy from a file
/// someone edited since: red team round 8b). Stops at the first difference, a failed read, or
/// a pending SIGINT/SIGTERM (then no).
pub fn whole_prefix_matches(src: BorrowedFd<'_>, copy: BorrowedFd<'_>, have: u64) -> bool {
    let chunk = have.clamp(1, 1 << 20) as usize;
    super::rw::with_buffer_pair(chunk, |a, b| {
        let mut at = 0u64;
        while at < have {
            if crate::signals::pending().is_some() {
                return false;
            }
            let k = ((have - at) as usize).min(a.len());
            let (a, b) = (&mut a[..k], &mut b[..k]);
            if !(read_exact_at(src, a, at) && read_exact_at(copy, b, at) && a == b) {
                return false;
            }
            at += k as u64;
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
        names: crate::plan::RangeNames::Options,
    });
    resumed.restart.resumed_from = Some(from);
    // The holes the whole-file copy would keep (`plan::range::resumed_holes` for the plain
    // `--resume`; `--sparse=always` makes zeros holes too).
    resumed.keep_holes = job.strategy == Strategy::Sparse;
    resumed
}
