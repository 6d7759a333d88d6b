//! What the kernel would refuse the run, asked without changing anything, for `--dry-run`: the
//! removal or rename of an existing DEST (`-b`, `--remove-destination`, `-f` after a failed
//! open, `--atomic`'s final rename) and the creation of a name in a directory. Each check asks
//! the way the kernel decides the run's own call (fs/namei.c `may_delete`, `may_create`), by
//! looks only: `statvfs`, `faccessat` with `AT_EACCESS`, `statx`. (Red team, round 9: the dry
//! run planned copies the run refused in a sticky directory, over immutable files and on a
//! read-only bind mount.)

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rustix::fs::{
    accessat, fstatvfs, statx, Access, AtFlags, StatVfsMountFlags, StatxAttributes, StatxFlags,
};
use rustix::io::Errno;

/// The sticky bit of a directory's mode (`S_ISVTX`).
const STICKY: u32 = 0o1000;

/// `CAP_FOWNER`'s bit in `/proc/self/status`'s `CapEff` (linux/capability.h).
const CAP_FOWNER: u64 = 1 << 3;

/// Whether the caller may make a new name in the directory `dir` (open: its descriptor), as the
/// kernel checks `mkdirat`, `openat(O_CREAT)` or `renameat` onto a new name: `EROFS` on a
/// read-only mount (`mnt_want_write`, first), then write and search permission for the
/// effective ids (`EACCES`), `EPERM` when the directory is immutable (inode_permission).
///
/// # Errors
/// The errno the run's call would meet.
pub(in crate::drive) fn may_create_in(dir: BorrowedFd<'_>) -> Result<(), Errno> {
    writable_mount(dir)?;
    accessat(
        dir,
        ".",
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )
}

/// [`may_create_in`] for the directory at `path` from `at` (followed, as the run's `openat`
/// and `mkdirat` follow it), opened `O_PATH` only to be asked about. (New-user trial, round 9: as nobody, `--dry-run f
/// /ro-dir/x` planned the copy; the run says "cannot create regular file '/ro-dir/x':
/// Permission denied".)
///
/// # Errors
/// The errno the run's `openat(O_CREAT)` or `mkdirat` in that directory would meet.
pub(in crate::drive) fn may_create_at(at: BorrowedFd<'_>, path: &Path) -> Result<(), Errno> {
    use rustix::fs::{openat, Mode, OFlags};
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir = openat(at, path, flags, Mode::empty())?;
    may_create_in(dir.as_fd())
}

/// Whether the caller may remove or rename away each of `names` in the directory `dir` (open:
/// its descriptor), as the kernel checks `unlinkat` and `renameat` (fs/namei.c `may_delete`;
/// a rename checks the name it replaces too):
/// [`may_create_in`] for the directory, then `EPERM` when the directory is append-only, when it
/// is sticky (mode 1777, `/tmp`) and neither it nor the file is the caller's (without
/// `CAP_FOWNER`), or when the file is immutable or append-only (`chattr +i`, `+a`). A name
/// that is not there passes (the run's call then finds nothing to remove, and goes on).
///
/// # Errors
/// The errno the run's `unlinkat` or `renameat` would meet.
pub(in crate::drive) fn may_remove(dir: BorrowedFd<'_>, names: &[&OsStr]) -> Result<(), Errno> {
    may_create_in(dir)?;
    let flags = AtFlags::SYMLINK_NOFOLLOW;
    let mask = StatxFlags::MODE | StatxFlags::UID;
    let parent = statx(dir, ".", flags, mask)?;
    if attributes(&parent).contains(StatxAttributes::APPEND) {
        return Err(Errno::PERM);
    }
    let me = rustix::process::geteuid().as_raw();
    let sticky = u32::from(parent.stx_mode) & STICKY != 0;
    for name in names {
        let file = match statx(dir, Path::new(name), flags, mask) {
            Ok(file) => file,
            Err(Errno::NOENT) => continue,
            Err(errno) => return Err(errno),
        };
        if attributes(&file).intersects(StatxAttributes::IMMUTABLE | StatxAttributes::APPEND) {
            return Err(Errno::PERM);
        }
        if sticky && file.stx_uid != me && parent.stx_uid != me && !has_cap_fowner() {
            return Err(Errno::PERM);
        }
    }
    Ok(())
}

/// Whether the caller may open the existing file `path` (from `at`, followed) for writing
/// without `O_APPEND`, as the kernel checks the run's `openat(O_WRONLY)` (fs/namei.c
/// `may_open`): permission for the effective ids (`EACCES`; `EPERM` when immutable), then
/// `EPERM` when append-only (`chattr +a`, which `faccessat` does not tell), then `EROFS` on a
/// read-only mount.
///
/// # Errors
/// The errno the run's open would meet.
pub(in crate::drive) fn may_open_for_write(at: BorrowedFd<'_>, path: &Path) -> Result<(), Errno> {
    let access = accessat(at, path, Access::WRITE_OK, AtFlags::EACCESS);
    if !matches!(access, Ok(()) | Err(Errno::ROFS)) {
        return access;
    }
    let st = statx(at, path, AtFlags::empty(), StatxFlags::empty())?;
    if attributes(&st).contains(StatxAttributes::APPEND) {
        return Err(Errno::PERM);
    }
    access
}

/// Whether the caller may open `path` (from `at`, symbolic links followed) for reading, as
/// the run opens SOURCE before anything else: read permission for the effective user
/// (`faccessat(R_OK, AT_EACCESS)`; ACLs and capabilities count, as in the run's open).
/// New user, round 10: `--dry-run` planned an unreadable SOURCE the run refused.
///
/// # Errors
/// The errno the run's open would meet (EACCES; ENOENT, ELOOP on the way).
pub(in crate::drive) fn may_open_for_read(at: BorrowedFd<'_>, path: &Path) -> Result<(), Errno> {
    accessat(at, path, Access::READ_OK, AtFlags::EACCESS)
}

/// [`may_remove`] for `path` from `at` (its directory opened `O_PATH`, as the run's
/// `unlinkat` and `renameat` need only search permission to reach it).
///
/// # Errors
/// The errno the run's `unlinkat` or `renameat` would meet (also in reaching the directory).
pub(in crate::drive) fn may_remove_at(at: BorrowedFd<'_>, path: &Path) -> Result<(), Errno> {
    use rustix::fs::{openat, Mode, OFlags};
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir = openat(
        at,
        crate::exec::probe::parent_dir(path),
        flags,
        Mode::empty(),
    )?;
    may_remove(dir.as_fd(), &[crate::plan::base_name(path)])
}

/// `EROFS` when `dir` is on a read-only mount (also a read-only bind mount of a writable
/// filesystem): the kernel refuses any change of a name there before it looks at permissions.
fn writable_mount(dir: BorrowedFd<'_>) -> Result<(), Errno> {
    let vfs = fstatvfs(dir.as_fd())?;
    if vfs.f_flag.contains(StatVfsMountFlags::RDONLY) {
        return Err(Errno::ROFS);
    }
    Ok(())
}

/// The `STATX_ATTR_*` flags the filesystem reports on a file (only those it supports).
fn attributes(st: &rustix::fs::Statx) -> StatxAttributes {
    st.stx_attributes & st.stx_attributes_mask
}

/// Whether the caller's effective capabilities hold `CAP_FOWNER` (which lets it remove other
/// users' files in a sticky directory), read from `/proc/self/status`; without that file, an
/// effective uid of 0 stands for it.
fn has_cap_fowner() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    cap_fowner_in(&status).unwrap_or_else(|| rustix::process::geteuid().is_root())
}

/// Whether the `CapEff:` line of a `/proc/PID/status` text holds `CAP_FOWNER` (`None`: no such
/// line).
fn cap_fowner_in(status: &str) -> Option<bool> {
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())?;
    Some(effective & CAP_FOWNER != 0)
}

/// The device of the directory DEST is (to be) made in: its directory, or the nearest existing
/// ancestor of a directory the run would make first (`--parents`, `--mkpath`: red team, round
/// 10); `None` when none can be examined (the run then reports what it meets).
pub(in crate::drive) fn dest_dir_dev(dst: &crate::plan::Endpoint) -> Option<u64> {
    if let crate::plan::Endpoint::At { dir, .. } = dst {
        return rustix::fs::fstat(dir).ok().map(|st| st.st_dev);
    }
    let mut dir = crate::exec::probe::parent_dir(dst.display_path());
    loop {
        match rustix::fs::statat(rustix::fs::CWD, dir, rustix::fs::AtFlags::empty()) {
            Ok(st) => return Some(st.st_dev),
            Err(Errno::NOENT) if dir != Path::new(".") && dir != Path::new("/") => {
                dir = crate::exec::probe::parent_dir(dir);
            }
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests;

/// DEST's mode when the user may not write it, for `-i`'s question (GNU copy.c
/// `writable_destination`): `None` for root (GNU `can_write_any_file`) and when
/// `faccessat(W_OK, AT_EACCESS)` on DEST (followed) succeeds or DEST cannot be asked about.
pub(in crate::drive) fn unwritable_mode(dst: &crate::plan::Endpoint) -> Option<u32> {
    let (dir, name) = dst.dir_and_name()?;
    unwritable_mode_at(dir, name)
}

/// [`unwritable_mode`] for the file `name` in the directory `dir` (`-i`'s question about a
/// backup name that is taken: `cp -fbi f f`).
pub(in crate::drive) fn unwritable_mode_at(
    dir: BorrowedFd<'_>,
    name: impl rustix::path::Arg + Copy,
) -> Option<u32> {
    if rustix::process::geteuid().is_root() {
        return None;
    }
    if accessat(dir, name, Access::WRITE_OK, AtFlags::EACCESS).is_ok() {
        return None;
    }
    let st = rustix::fs::statat(dir, name, AtFlags::empty()).ok()?;
    Some(st.st_mode)
}
