//! Directory effects of a copy, each on a descriptor: creating destination directories (tree
//! copies and `--parents`), opening them again as the directory made, giving a new directory
//! its owner's access while it is filled, reopening a parent through `..`. Their modes are the
//! planner's ([`crate::plan::mode`]).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{chmod, fchmod, fstat, mkdirat, openat, statat, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::plan::mode::NodeMode;

/// Why a node fcopy just made could not be opened again as that node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// Opening it failed with this errno.
    Failed(Errno),
    /// Its name now holds something else: a node the directory's other users swapped in
    /// (DESIGN rule 10: never act on it).
    Replaced,
}

impl From<Errno> for OpenError {
    fn from(e: Errno) -> OpenError {
        OpenError::Failed(e)
    }
}

/// Why a destination directory could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirError {
    /// `mkdirat` failed with this errno.
    Create(Errno),
    /// The name exists and is not a directory (nor, with `--keep-directory-symlink`, a symlink
    /// to one).
    NotDirectory,
}

/// Opens a directory for walking (`O_NOFOLLOW` unless it is to be followed).
pub fn open_dir(
    dir: impl AsFd,
    name: impl rustix::path::Arg,
    nofollow: bool,
) -> Result<OwnedFd, Errno> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    openat(dir, name, flags, Mode::empty())
}

/// Whether the directory `dir` is the directory `ancestor` (dev, ino) or lies below it, found by
/// climbing `..` by identity (names can be `.`, `..` or symlinks). A copy of a directory into a
/// destination inside it is GNU cp's "cannot copy a directory into itself"; `false` when a
/// parent cannot be opened.
pub fn is_within(dir: BorrowedFd<'_>, ancestor: (u64, u64)) -> bool {
    let Ok(mut st) = fstat(dir) else {
        return false;
    };
    let mut cur: Option<OwnedFd> = None;
    for _ in 0..=MAX_CLIMB {
        if (st.st_dev, st.st_ino) == ancestor {
            return true;
        }
        let parent = match &cur {
            Some(fd) => open_dir(fd, "..", false),
            None => open_dir(dir, "..", false),
        };
        let Ok(parent) = parent else {
            return false;
        };
        let Ok(pst) = fstat(&parent) else {
            return false;
        };
        if (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino) {
            return false;
        }
        st = pst;
        cur = Some(parent);
    }
    false
}

/// How many levels [`is_within`] climbs at most (deeper than any tree a walk copies).
const MAX_CLIMB: usize = 1 << 16;

/// Opens the directory `path` names (from the working directory, following symlinks as a path
/// would) as an `O_PATH` descriptor: an operand's destination is then checked and made
/// relative to it, the path resolved once (DESIGN rule 10). Needs search permission only.
pub fn open_parent(path: &Path) -> Result<OwnedFd, Errno> {
    openat(
        rustix::fs::CWD,
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens a directory this run just made with `mkdirat`, without following a symlink, and
/// checks it is ours: a directory owned by the user running fcopy (a name the directory's
/// other users swapped meanwhile is [`OpenError::Replaced`]). DESIGN rule 10.
/// One made without read or search permission for its owner (the copy of a source
/// directory of mode 000 or `-wx`, left empty when the source cannot be read) is opened
/// all the same (`open_without_access`).
pub fn open_created_dir(dir: impl AsFd, name: &Path) -> Result<OwnedFd, OpenError> {
    let fd = match open_dir(&dir, name, true) {
        Err(Errno::ACCESS) => open_without_access(dir.as_fd(), name)?,
        opened => opened?,
    };
    let st = fstat(&fd)?;
    if made_by_us(&fd, &st) {
        Ok(fd)
    } else {
        Err(OpenError::Replaced)
    }
}

/// Opens a directory fcopy just made whose owner bits deny reading it: held as `O_PATH`
/// first and checked to be ours, it gets `u+rwx` (through `/proc/self/fd`) only for as long
/// as it takes to open it, then its mode as made again ([`prepare_new_dir`] decides the
/// rest, as for any new directory). GNU cp gives it `u+rwx` by name after `mkdir`.
fn open_without_access(dir: BorrowedFd<'_>, name: &Path) -> Result<OwnedFd, OpenError> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let held = openat(dir, name, flags, Mode::empty())?;
    let st = fstat(&held)?;
    if !made_by_us(&held, &st) {
        return Err(OpenError::Replaced);
    }
    let by_fd = crate::procfd::path(&held);
    let made = st.st_mode & 0o7777;
    // Without /proc, the directory stays as unreadable as it was made.
    chmod(by_fd.as_str(), Mode::from_raw_mode(made | 0o700)).map_err(|_| Errno::ACCESS)?;
    let opened = open_dir(&held, ".", true);
    let _ = chmod(by_fd.as_str(), Mode::from_raw_mode(made));
    Ok(opened?)
}

/// Whether a node fcopy just created is owned as one it created: by the effective user, or on
/// a filesystem whose owners are not the creator's (FAT, exFAT, NTFS, FUSE, NFS, SMB, 9p, vboxsf:
/// mount options or the server decide), where the owner proves nothing.
pub fn made_by_us(fd: &impl AsFd, st: &rustix::fs::Stat) -> bool {
    const FOREIGN_OWNERS: [u64; 10] = [
        0x4d44,      // FAT
        0x2011_bab0, // exFAT
        0x5346_544e, // NTFS (ntfs-3g, ntfs)
        0x7366_746e, // ntfs3
        0x6573_5546, // FUSE
        0x6969,      // NFS
        0xff53_4d42, // CIFS
        0xfe53_4d42, // SMB2
        0x0102_1997, // 9p
        0x786f_4256, // vboxsf
    ];
    st.st_uid == rustix::process::geteuid().as_raw()
        || rustix::fs::fstatfs(fd).is_ok_and(|f| FOREIGN_OWNERS.contains(&(f.f_type as u64)))
}

/// Makes the destination directory `name` in `dir` with `mode` (see
/// [`crate::plan::mode::new_node_mode`]).
/// `Ok(true)`: made now; `Ok(false)`: a directory is there already (with `keep_link`, also a
/// symlink to one: `--keep-directory-symlink`).
pub fn make_dir(
    dir: BorrowedFd<'_>,
    name: &Path,
    mode: u32,
    keep_link: bool,
) -> Result<bool, DirError> {
    match mkdirat(dir, name, Mode::from_raw_mode(mode)) {
        Ok(()) => Ok(true),
        Err(Errno::EXIST) => existing_dir(dir, name, keep_link),
        Err(e) => Err(DirError::Create(e)),
    }
}

/// What [`make_dir`] answers for a name already there, without trying to make it: `Ok(false)`
/// for a directory (a symlink to one only if `keep_link`). The dry run asks this alone: its
/// `mkdirat` of an existing name made the directory when the name went away in between (red
/// team, round 10).
///
/// # Errors
/// [`DirError::NotDirectory`]: something else (or nothing any more) at the name.
pub fn existing_dir(dir: BorrowedFd<'_>, name: &Path, keep_link: bool) -> Result<bool, DirError> {
    let flags = if keep_link {
        AtFlags::empty()
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    };
    match statat(dir, name, flags) {
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Ok(false),
        _ => Err(DirError::NotDirectory),
    }
}

/// Opens the destination directory [`make_dir`] made (`created`: checked to be the one made)
/// or found (followed only if a symlink to it is kept: `keep_link`).
pub fn open_made_dir(
    dir: BorrowedFd<'_>,
    name: &Path,
    created: bool,
    keep_link: bool,
) -> Result<OwnedFd, OpenError> {
    if created {
        open_created_dir(dir, name)
    } else {
        Ok(open_dir(dir, name, !keep_link)?)
    }
}

/// After creating a directory (as GNU cp): gives its owner rwx while it is filled if the
/// mode lacks them, and returns the mode to set once it is done ([`NodeMode::restore`]; the
/// owner's bits count as withheld when they were added), or `None` when it is already right.
pub fn prepare_new_dir(fd: BorrowedFd<'_>, mode: &NodeMode) -> Option<u32> {
    let now = fstat(fd).map(|st| st.st_mode & 0o7777).ok()?;
    if now & 0o700 != 0o700 {
        let _ = fchmod(fd, Mode::from_raw_mode(now | 0o700));
        return Some(mode.restore(now).unwrap_or(now));
    }
    mode.restore(now)
}

/// A directory of a `--parents` destination: made now, or one that was there.
pub struct ParentDir {
    pub fd: OwnedFd,
    pub created: bool,
}

/// Why a node could not be made, by step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MakeError {
    /// The call that creates it (`mkdirat`, `mknodat`, `symlinkat`) failed with this errno.
    Create(Errno),
    /// It was made (or found) but could not be opened as the node meant.
    Open(OpenError),
}

/// Makes (or opens) the `--parents` directory `name` in `dir`: a new one is opened with
/// `O_NOFOLLOW` and checked to be the directory made; an existing one is followed only if it
/// is a directory or a symlink of ours ([`open_existing_parent`]).
pub fn make_parent_dir(
    dir: BorrowedFd<'_>,
    name: &Path,
    mode: u32,
) -> Result<ParentDir, MakeError> {
    match mkdirat(dir, name, Mode::from_raw_mode(mode)) {
        Ok(()) => open_created_dir(dir, name)
            .map(|fd| ParentDir { fd, created: true })
            .map_err(MakeError::Open),
        Err(Errno::EXIST) => open_existing_parent(dir, name)
            .map(|fd| ParentDir { fd, created: false })
            .map_err(|e| MakeError::Open(OpenError::Failed(e))),
        Err(e) => Err(MakeError::Create(e)),
    }
}

/// Opens an existing component of a `--parents` destination: a directory, never through a
/// symlink unless the symlink is owned by us (the user running fcopy made it, as GNU cp would
/// follow it); one planted by another user of the destination is refused (`ELOOP`).
pub fn open_existing_parent(dir: BorrowedFd<'_>, name: &Path) -> Result<OwnedFd, Errno> {
    match open_dir(dir, name, true) {
        Err(Errno::LOOP | Errno::NOTDIR) => {
            let st = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
            let link = FileType::from_raw_mode(st.st_mode) == FileType::Symlink;
            if link && st.st_uid == rustix::process::geteuid().as_raw() {
                open_dir(dir, name, false)
            } else if link {
                Err(Errno::LOOP)
            } else {
                Err(Errno::NOTDIR)
            }
        }
        other => other,
    }
}

/// Why a directory the walk closed to save descriptors could not be reopened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReopenError {
    /// Opening `..` failed (`None`: no child descriptor to reopen it from).
    Failed(Option<Errno>),
    /// `..` is another directory now: it was moved while being copied.
    Moved,
}

/// Reopens the parent of the open directory `child` through `..`, checking it is still the
/// directory `want` (device, inode).
pub fn reopen_parent(child: Option<&OwnedFd>, want: (u64, u64)) -> Result<OwnedFd, ReopenError> {
    let child = child.ok_or(ReopenError::Failed(None))?;
    let parent = open_dir(child, "..", false).map_err(|e| ReopenError::Failed(Some(e)))?;
    match fstat(&parent) {
        Ok(st) if (st.st_dev, st.st_ino) == want => Ok(parent),
        _ => Err(ReopenError::Moved),
    }
}
