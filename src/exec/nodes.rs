//! The other node kinds' effects, each relative to a directory descriptor or on the descriptor
//! of the node made: symbolic links, FIFOs, sockets and device nodes, the `-l` hard links and
//! `-s` symbolic links made instead of copies, the links to a hard-linked source's first copy
//! (`--preserve=links`), and removing a destination before a link.

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use rustix::fs::{
    fstat, linkat, mknodat, openat, readlinkat, renameat, statat, symlinkat, unlinkat, AtFlags,
    FileType, Mode, OFlags, CWD,
};
use rustix::io::Errno;

use super::dirs::{made_by_us, MakeError, OpenError};

/// A node fcopy made, opened as an `O_PATH` descriptor for its attributes, and the mode the
/// kernel gave it.
pub struct MadeNode {
    pub fd: OwnedFd,
    /// Its permission bits after the umask or default ACL (`st_mode & 07777`).
    pub mode: u32,
    /// Its (device, inode).
    pub id: (u64, u64),
}

/// Reads the target of the symbolic link `name` in `dir`.
pub fn read_link(dir: BorrowedFd<'_>, name: &Path) -> Result<Vec<u8>, Errno> {
    readlinkat(dir, name, Vec::new()).map(|t| t.into_bytes())
}

/// Makes the symbolic link `name` in `dir` pointing to `target`, and opens it (DESIGN rule 10:
/// its owner and times go to the link just made, not to whatever the directory's other users
/// may have put at its name).
pub fn make_symlink(
    target: &[u8],
    dir: BorrowedFd<'_>,
    name: &Path,
) -> Result<MadeNode, MakeError> {
    symlinkat(OsStr::from_bytes(target), dir, name).map_err(MakeError::Create)?;
    open_created_node(dir, name, FileType::Symlink).map_err(MakeError::Open)
}

/// Makes the FIFO, socket or device node `name` in `dir` with `mode` (see
/// [`crate::plan::mode::new_node_mode`]) and device number `rdev`; with `open`, opens it for its
/// attributes (never through its name again, which the directory's owner may have swapped for
/// a symlink).
pub fn make_special(
    dir: BorrowedFd<'_>,
    name: &Path,
    ftype: FileType,
    mode: u32,
    rdev: u64,
    open: bool,
) -> Result<Option<MadeNode>, MakeError> {
    mknodat(dir, name, ftype, Mode::from_raw_mode(mode), rdev).map_err(MakeError::Create)?;
    if !open {
        return Ok(None);
    }
    open_created_node(dir, name, ftype)
        .map(Some)
        .map_err(MakeError::Open)
}

/// `-l` (and hard links preserved between copies): links `dst_name` in `dst_dir` to the source
/// `src_name` in `src_dir`, through a final symlink of the source when `follow` (`-L`, and
/// `-H` for an operand: GNU tests/cp/link-deref.sh).
pub fn hard_link(
    src_dir: BorrowedFd<'_>,
    src_name: &Path,
    dst_dir: BorrowedFd<'_>,
    dst_name: &Path,
    follow: bool,
) -> Result<(), Errno> {
    let flags = if follow {
        AtFlags::SYMLINK_FOLLOW
    } else {
        AtFlags::empty()
    };
    linkat(src_dir, src_name, dst_dir, dst_name, flags)
}

/// Links `name` in `dir` to the node `last` below the directory `root`, reached through the
/// directories `parents` one `O_NOFOLLOW` step at a time (a preserved hard link whose first
/// copy's directory was closed: DESIGN rule 10, and deeper than PATH_MAX).
pub fn link_below<'n>(
    root: Arc<OwnedFd>,
    parents: impl IntoIterator<Item = &'n OsStr>,
    last: &OsStr,
    dir: BorrowedFd<'_>,
    name: &Path,
) -> Result<(), Errno> {
    let mut cur = root;
    for part in parents {
        let next = openat(
            &*cur,
            part,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        cur = Arc::new(next);
    }
    linkat(&*cur, last, dir, name, AtFlags::empty())
}

/// Links `name` in `dir` to the node at `path` (from the working directory), through an
/// `O_PATH` descriptor of it, only if it is the file `id` (device, inode) when known: a name
/// another user took meanwhile is `ENOENT`.
pub fn link_by_path(
    path: &Path,
    id: Option<(u64, u64)>,
    dir: BorrowedFd<'_>,
    name: &Path,
) -> Result<(), Errno> {
    let node = openat(
        CWD,
        path,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let st = fstat(&node)?;
    let is = |st: &rustix::fs::Stat, id: (u64, u64)| id == (st.st_dev, st.st_ino);
    // A first copy that is a symlink to the file (`cp -au` skipped DEST, a symlink to a newer
    // file, and remembered it as followed): GNU links the symlink itself.
    let symlink_to_it = |id| {
        FileType::from_raw_mode(st.st_mode) == FileType::Symlink
            && statat(CWD, path, AtFlags::empty()).is_ok_and(|t| is(&t, id))
    };
    if id.is_some_and(|id| !is(&st, id) && !symlink_to_it(id)) {
        // Not the file copied: something else took its name.
        return Err(Errno::NOENT);
    }
    match linkat(node.as_fd(), "", dir, name, AtFlags::EMPTY_PATH) {
        // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc names the same open node.
        Err(Errno::NOENT | Errno::PERM) => {
            let proc_path = crate::procfd::path(&node);
            linkat(CWD, proc_path.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW)
        }
        other => other,
    }
}

/// `-s`: the symbolic link `name` in `dir` to the source path as given; with `times` (`-p`,
/// `-a`: SOURCE's, as GNU cp sets them on the link it made), the link gets them, through a
/// descriptor of the link just made (DESIGN rule 10). Setting the times is best effort: the
/// link stands either way.
pub fn symlink_to(
    target: &Path,
    dir: BorrowedFd<'_>,
    name: &Path,
    times: Option<&rustix::fs::Timestamps>,
) -> Result<(), Errno> {
    symlinkat(target, dir, name)?;
    if let Some(times) = times {
        if let Ok(link) = open_created_node(dir, name, FileType::Symlink) {
            let _ = rustix::fs::utimensat(&link.fd, "", times, AtFlags::EMPTY_PATH);
        }
    }
    Ok(())
}

/// GNU's `force_linkat` and `force_symlinkat`: makes a link with `make` at `name` in `dir`;
/// when the name is taken (`EEXIST`) and `replace`, makes it at a temporary name beside `name`
/// and renames that over `name`. The old DEST is never removed when the link cannot be made
/// (`EXDEV`, `EMLINK`, `EPERM`, ...): GNU cp 9.1 keeps it.
pub fn link_replacing(
    dir: BorrowedFd<'_>,
    name: &Path,
    replace: bool,
    make: impl Fn(BorrowedFd<'_>, &Path) -> Result<(), Errno>,
) -> Result<(), Errno> {
    link_replacing_told(dir, name, replace, make).map(|_| ())
}

/// Whether a link made by [`link_replacing_told`] replaced what was at its name (GNU's
/// `force_linkat` returning -1: `-v` then says "removed 'DEST'").
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Replaced(pub bool);

impl From<()> for Replaced {
    fn from(_: ()) -> Replaced {
        Replaced(false)
    }
}

/// [`link_replacing`], telling whether the link replaced an existing name.
pub fn link_replacing_told(
    dir: BorrowedFd<'_>,
    name: &Path,
    replace: bool,
    make: impl Fn(BorrowedFd<'_>, &Path) -> Result<(), Errno>,
) -> Result<Replaced, Errno> {
    match make(dir, name) {
        Err(Errno::EXIST) if replace => {}
        other => return other.map(|()| Replaced(false)),
    }
    let parent = super::probe::parent_dir(name);
    for attempt in 0..TEMP_LINK_ATTEMPTS {
        let temp = parent.join(format!(".fcopy-link.{}.{attempt}", std::process::id()));
        match make(dir, &temp) {
            Ok(()) => {}
            Err(Errno::EXIST) => continue,
            Err(errno) => return Err(errno),
        }
        let renamed = renameat(dir, &temp, dir, name);
        // A failed rename, or one that did nothing (the temporary and DEST were one file),
        // leaves the temporary behind.
        let left = renamed.is_err() || statat(dir, &temp, AtFlags::SYMLINK_NOFOLLOW).is_ok();
        if left {
            let _ = unlinkat(dir, &temp, AtFlags::empty());
        }
        return renamed.map(|()| Replaced(!left));
    }
    Err(Errno::EXIST)
}

/// Temporary names [`link_replacing`] tries before giving up with `EEXIST`.
const TEMP_LINK_ATTEMPTS: u32 = 100;

/// GNU's `un_backup`: puts the backup `backup` of `path` (relative to `dir`) back under its
/// name after the node or link meant to replace it could not be made, unless something took
/// the name meanwhile (`RENAME_NOREPLACE`).
pub fn un_backup(dir: BorrowedFd<'_>, path: &Path, backup: &OsStr) -> Result<(), Errno> {
    let (dir_fd, base) = super::replace::split_at_dir(dir, path)?;
    crate::backup::rename_noreplace(dir_fd.as_fd(), backup, base.as_os_str())
}

/// Opens the node just made as an `O_PATH` descriptor, without following a symlink, and
/// checks it is that node: the type made, owned by us, one link (a name swapped meanwhile by
/// the directory's owner is [`OpenError::Replaced`]).
fn open_created_node(
    dir: BorrowedFd<'_>,
    name: &Path,
    ftype: FileType,
) -> Result<MadeNode, OpenError> {
    let fd = openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let st = fstat(&fd)?;
    let ours =
        FileType::from_raw_mode(st.st_mode) == ftype && made_by_us(&fd, &st) && st.st_nlink == 1;
    if ours {
        Ok(MadeNode {
            fd,
            mode: st.st_mode & 0o7777,
            id: (st.st_dev, st.st_ino),
        })
    } else {
        Err(OpenError::Replaced)
    }
}
