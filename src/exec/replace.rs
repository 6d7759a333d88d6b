//! The effects cp's rules for an existing destination ask for ([`crate::plan::replace`]), each
//! relative to a directory descriptor: removing DEST, renaming it to its backup name and
//! putting the backup back, clearing the backup name for `cp -fb f f`, and opening DEST for
//! `--attributes-only`. Errors are the raw errnos; the caller words them.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{fstat, openat, unlinkat, AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::backup::{self, BackupControl};
use crate::exec::{probe, ExecError};
use crate::plan::{DestName, Job};

/// Removes the non-directory `name` in `dir` (`unlinkat`).
pub fn remove(dir: BorrowedFd<'_>, name: &Path) -> Result<(), Errno> {
    unlinkat(dir, name, AtFlags::empty())
}

/// Splits (dir, path) into an open descriptor of the path's directory and its last name, for
/// renames and backups. Not `O_PATH`: numbered backups read the directory.
pub fn split_at_dir(dir: BorrowedFd<'_>, path: &Path) -> Result<(OwnedFd, OsString), Errno> {
    let parent = probe::parent_dir(path);
    let name = crate::plan::base_name(path).to_owned();
    let fd = openat(
        dir,
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok((fd, name))
}

/// Renames `path` (relative to `dir`) to its backup name under `control` and `suffix`, within
/// its directory's descriptor; returns the backup's name (`None`: `control` makes none).
pub fn back_up(
    dir: BorrowedFd<'_>,
    path: &Path,
    control: BackupControl,
    suffix: &OsStr,
) -> Result<Option<OsString>, Errno> {
    let (dir_fd, base) = split_at_dir(dir, path)?;
    backup::make_backup(dir_fd.as_fd(), &base, control, suffix)
}

/// Puts the backup `backup` of `path` back under `path`'s name, unless something took the name
/// meanwhile (`RENAME_NOREPLACE`). Best effort: GNU cp does so when the copy after a backup
/// fails, so the name does not vanish (issue 13). An `--atomic` backup is a hard link to DEST,
/// which stayed in place ([`crate::exec::link_backup`]): the link is removed, as GNU's rename
/// back would leave no backup. True when the old file is back under `path`'s name.
pub fn restore_backup(dir: BorrowedFd<'_>, path: &Path, backup: &OsStr) -> bool {
    let Ok((dir_fd, base)) = split_at_dir(dir, path) else {
        return false;
    };
    match backup::rename_noreplace(dir_fd.as_fd(), backup, &base) {
        Ok(()) => true,
        Err(Errno::EXIST) => {
            let id = |name: &OsStr| {
                rustix::fs::statat(&dir_fd, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map(|st| (st.st_dev, st.st_ino))
                    .ok()
            };
            let linked = id(backup).is_some_and(|b| Some(b) == id(&base));
            if linked {
                let _ = unlinkat(&dir_fd, backup, AtFlags::empty());
            }
            linked
        }
        Err(_) => false,
    }
}

/// `cp --force --backup f f`: the name `f`'s backup would get, with whatever is there now
/// removed, and its directory's descriptor (`None`: `control` makes no backup).
pub fn clear_backup_name(
    dir: BorrowedFd<'_>,
    path: &Path,
    control: BackupControl,
    suffix: &OsStr,
) -> Result<Option<(OwnedFd, OsString)>, Errno> {
    let (dir_fd, base) = split_at_dir(dir, path)?;
    let Some(name) = backup::backup_name_in(dir_fd.as_fd(), &base, control, suffix)? else {
        return Ok(None);
    };
    let _ = unlinkat(&dir_fd, &name, AtFlags::empty());
    Ok(Some((dir_fd, name)))
}

/// `--attributes-only`: opens DEST for writing its attributes, never its data. A new DEST is
/// created with `O_EXCL|O_NOFOLLOW` (never through a symlink planted after the check, rule
/// 10); an existing one is opened without `O_CREAT`, following the name only when the rules
/// saw a symlink there (as cp writes through an existing symlink), and must be the file they
/// looked at ([`Job::dest_id`]): else DEST was replaced meanwhile and nothing is changed.
///
/// # Errors
/// [`ExecError::CreateDest`] with the errno of the open (GNU's words; ENOTSUP for standard
/// output), or [`ExecError::DestReplaced`].
pub fn open_attributes_only(job: &Job) -> Result<OwnedFd, ExecError> {
    let shown = job.dest.display_path();
    let replaced = || ExecError::DestReplaced {
        path: shown.to_owned(),
    };
    let cannot = |errno| ExecError::CreateDest {
        path: shown.to_owned(),
        errno,
    };
    // Standard output (DEST `-`) has no attributes to set (red team, round 10: it panicked).
    let Some((dir, name)) = job.dest.dir_and_name() else {
        return Err(cannot(Errno::NOTSUP));
    };
    if !job.dest_exists {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        return openat(dir, name, flags, Mode::from_raw_mode(0o600)).map_err(cannot);
    }
    let follow = match job.dest_name {
        DestName::Symlink => OFlags::empty(),
        DestName::Plain | DestName::Cleared => OFlags::NOFOLLOW,
    };
    if !job.dest_seekable {
        // A FIFO without a reader blocks the open, as in GNU cp; the watchdog makes a stop
        // signal end it (the handlers restart the open: red team, round 8, only SIGKILL did).
        crate::signals::ensure_watchdog();
    }
    let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOCTTY | follow;
    let fd = match openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::LOOP) if !follow.is_empty() => return Err(replaced()),
        Err(errno) => return Err(cannot(errno)),
    };
    let st = fstat(&fd).map_err(cannot)?;
    if job.dest_id != Some((st.st_dev, st.st_ino)) {
        return Err(replaced());
    }
    Ok(fd)
}

/// The source of an `--attributes-only` copy, opened for reading its xattrs, as GNU's
/// copy_reg opens it before DEST.
///
/// # Errors
/// The open's errno: GNU fails the file (`cannot open 'r' for reading`; red team, round 10:
/// fcopy made an empty DEST from an unreadable SOURCE, exit 0).
pub fn open_source_for_attributes(
    dir: BorrowedFd<'_>,
    name: &Path,
    nofollow: bool,
) -> Result<OwnedFd, Errno> {
    let nofollow = if nofollow {
        OFlags::NOFOLLOW
    } else {
        OFlags::empty()
    };
    openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | nofollow,
        Mode::empty(),
    )
}
