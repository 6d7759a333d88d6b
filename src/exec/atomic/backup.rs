//! `--atomic` with `-b`/`--backup`: DEST's backup is a hard link to it, and DEST stays in
//! place until the final rename replaces it, so that DEST is never missing (red team, round
//! 8: GNU's order, rename DEST to its backup and then copy, left only `x~` after a kill).

use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{linkat, statat, unlinkat, AtFlags};
use rustix::io::Errno;

use crate::backup::{self, BackupControl};

/// How often a numbered backup is tried again when another process takes its number first
/// (as [`backup::make_backup`] does).
const RETRIES: usize = 64;

/// A backup made by [`link_backup`].
pub struct LinkedBackup {
    /// The backup's name in DEST's directory.
    pub name: OsString,
    /// The (device, inode) of the file linked, left in place for the final rename to replace.
    pub kept: (u64, u64),
}

/// Whether `name` is a numbered backup name of `base` (`BASE.~N~`): such a name never replaces
/// an existing file (gnulib); any other backup name (the simple suffix) does.
fn numbered(base: &[u8], name: &[u8]) -> bool {
    name.strip_prefix(base)
        .and_then(|n| n.strip_prefix(b".~"))
        .and_then(|n| n.strip_suffix(b"~"))
        .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
}

/// Makes the backup of `path` (relative to `dir`) under `control` and `suffix` a hard link
/// (`linkat`, not following a symlink DEST: its backup is the link itself, as GNU's rename
/// makes it), leaving DEST in place; returns the backup's name and the file linked, the one
/// the final rename is to replace. Names as [`backup::make_backup`]: a
/// simple backup replaces an older one (removed first; a kill between the removal and the
/// link leaves no backup, but DEST whole), a numbered one never replaces and takes the next
/// number when its own is taken meanwhile.
///
/// # Errors
/// The errno of `linkat`, `unlinkat` or of listing the directory; nothing is renamed. Where
/// a hard link is impossible (`EPERM`: FAT, or `fs.protected_hardlinks` for another's file;
/// `EMLINK`; `EOPNOTSUPP`) the caller falls back to GNU's order, [`backup::make_backup`].
pub fn link_backup(
    dir: BorrowedFd<'_>,
    path: &Path,
    control: BackupControl,
    suffix: &std::ffi::OsStr,
) -> Result<Option<LinkedBackup>, Errno> {
    let (dir_fd, base) = crate::exec::replace::split_at_dir(dir, path)?;
    let dir = dir_fd.as_fd();
    for _ in 0..RETRIES {
        let Some(name) = backup::backup_name_in(dir, &base, control, suffix)? else {
            return Ok(None);
        };
        let replaces = !numbered(base.as_bytes(), name.as_bytes());
        if replaces {
            match unlinkat(dir, &name, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(e),
            }
        }
        match linkat(dir, &base, dir, &name, AtFlags::empty()) {
            Ok(()) => {
                let st = statat(dir, &name, AtFlags::SYMLINK_NOFOLLOW)?;
                return Ok(Some(LinkedBackup {
                    name,
                    kept: (st.st_dev, st.st_ino),
                }));
            }
            Err(Errno::EXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Err(Errno::EXIST)
}
