//! Making a copy durable and its errors visible: `fsync` for `--sync`, a checked `close(2)`
//! (delayed write errors of NFS, CIFS and FUSE), and the mtime of an unfinished DEST.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{fstat, openat, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{ExecError, JobError};

/// Closes a destination descriptor and returns what `close(2)` said: on NFS, CIFS and FUSE,
/// delayed write errors arrive at close (GNU cp checks it: `failed to close 'DEST'`).
///
/// # Errors
/// The errno of `close(2)` (`EIO`, `ENOSPC`, `EDQUOT`...). The descriptor is gone either way;
/// `EINTR` is not retried (on Linux the descriptor is closed even then).
pub fn close_checked(fd: OwnedFd) -> Result<(), Errno> {
    nix::unistd::close(fd).map_err(|e| Errno::from_raw_os_error(e as i32))
}

/// Flushes what a `close(2)` would flush, while keeping `fd` open: closes a duplicate. The
/// kernel calls the filesystem's flush on every close of a descriptor of the file, so NFS,
/// CIFS and FUSE report their delayed write errors here (used before `--atomic` renames).
/// When no descriptor is left for the duplicate (`EMFILE`/`ENFILE`, a low `ulimit -n`), the
/// data is flushed with `fdatasync(2)` instead, which reports the same errors (and more
/// slowly makes the data durable): a lack of descriptors is not a failed close.
///
/// # Errors
/// The errno of `close(2)` (or of `fdatasync`, or of `dup` for another reason).
pub fn flush_by_close(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    match rustix::io::fcntl_dupfd_cloexec(fd, 0) {
        Ok(dup) => close_checked(dup),
        Err(Errno::MFILE | Errno::NFILE) => rustix::fs::fdatasync(fd),
        Err(e) => Err(e),
    }
}

/// Gives a destination that failed after the source's times were set on it the current
/// mtime (atime untouched), so that `--update=changed` (same size and mtime means finished,
/// see [`crate::restart::update_changed`]) never skips it. Best effort: a failure here is
/// not reported, the copy has failed already.
pub(super) fn mark_unfinished(dst: BorrowedFd<'_>) {
    let times = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_OMIT,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_NOW,
        },
    };
    let _ = rustix::fs::futimens(dst, &times);
}

/// `--sync`: flushes a destination's data and metadata (`fsync`). Standard output is flushed
/// only when it is a file or block device (a pipe or terminal has nothing to make durable).
pub(super) fn sync_file(dst: &impl AsFd, shown: &Path) -> Result<(), ExecError> {
    let durable = fstat(dst).is_ok_and(|st| {
        matches!(
            FileType::from_raw_mode(st.st_mode),
            FileType::RegularFile | FileType::BlockDevice
        )
    });
    if !durable {
        return Ok(());
    }
    fsync(dst, shown)
}

/// `fsync`, retried on `EINTR`; the error names `shown`.
fn fsync(fd: &impl AsFd, shown: &Path) -> Result<(), ExecError> {
    loop {
        match rustix::fs::fsync(fd) {
            Ok(()) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(errno) => {
                return Err(ExecError::Sync {
                    path: shown.to_owned(),
                    errno,
                })
            }
        }
    }
}

/// The directory part of a path, `.` for a bare name.
fn parent_or_dot(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Opens the directory `name` relative to `dir` to flush it; the error names `shown`.
fn open_dir(dir: BorrowedFd<'_>, name: &Path, shown: &Path) -> Result<OwnedFd, ExecError> {
    openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|errno| ExecError::Sync {
        path: shown.to_owned(),
        errno,
    })
}

/// `--sync` for a file fcopy created: flushes the directory that holds its new entry.
pub(super) fn sync_parent(dir: BorrowedFd<'_>, name: &Path, shown: &Path) -> Result<(), ExecError> {
    let shown_dir = parent_or_dot(shown);
    let fd = open_dir(dir, parent_or_dot(name), shown_dir)?;
    sync_dir(&fd, shown_dir)
}

/// `--sync` for a directory of a tree copy, once its entries and metadata are final: flushes
/// it, and with `with_parent` also its parent, which holds its entry (for a new directory whose
/// parent is not otherwise flushed).
///
/// # Errors
/// [`ExecError::Sync`], naming the directory whose `open` or `fsync` failed.
pub fn sync_tree_dir(
    dir: BorrowedFd<'_>,
    shown: &Path,
    with_parent: bool,
) -> Result<(), ExecError> {
    sync_dir(&dir, shown)?;
    if !with_parent {
        return Ok(());
    }
    let shown_parent = parent_or_dot(shown);
    let parent = open_dir(dir, Path::new(".."), shown_parent)?;
    sync_dir(&parent, shown_parent)
}

/// Flushes a directory (after a new entry or a rename in it).
pub(super) fn sync_dir(dir: &impl AsFd, shown: &Path) -> Result<(), ExecError> {
    fsync(dir, shown)
}

/// The `close(2)` of DEST failed: a [`JobError`] with the note that an overwritten DEST may be
/// incomplete.
pub(super) fn close_error(path: &Path, errno: Errno, overwritten: bool) -> JobError {
    let mut err = JobError::new(ExecError::Close {
        path: path.to_owned(),
        errno,
    });
    if overwritten {
        err.set_note(Some(super::DestNote::MayBeIncomplete {
            path: path.to_owned(),
        }));
    }
    err
}
