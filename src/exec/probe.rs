//! Gathering the facts the planner needs: stat, lstat and statfs of sources and destinations.

use std::cell::Cell;
use std::os::fd::AsFd;
use std::path::Path;
use std::sync::Mutex;

use rustix::fs::{fstat, fstatfs, stat, statat, statfs, AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::facts::{DestFacts, FileFacts, FileKind, FsKind};
use crate::plan::Endpoint;

#[cfg(test)]
mod tests;

fn kind_of(st: &Stat) -> FileKind {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => FileKind::Regular,
        FileType::Directory => FileKind::Directory,
        FileType::Symlink => FileKind::Symlink,
        FileType::Fifo => FileKind::Fifo,
        FileType::CharacterDevice => FileKind::CharDevice,
        FileType::BlockDevice => FileKind::BlockDevice,
        FileType::Socket | FileType::Unknown => FileKind::Socket,
    }
}

/// Turns a `stat` result and its filesystem's magic into [`FileFacts`].
// The `stat` field types differ between architectures (e.g. `st_nlink` is u32 on aarch64):
// the casts are only no-ops on some.
#[allow(clippy::unnecessary_cast)]
pub fn facts_from_stat(st: &Stat, fs_magic: u64) -> FileFacts {
    let kind = kind_of(st);
    let size = match kind {
        FileKind::BlockDevice => block_device_size(st.st_rdev).unwrap_or(0),
        _ => st.st_size as u64,
    };
    FileFacts {
        kind,
        size,
        blocks: st.st_blocks as u64,
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        fs: FsKind::from_magic(fs_magic),
        append: false,
        uid: st.st_uid,
        gid: st.st_gid,
        nlink: st.st_nlink as u64,
        atime: (st.st_atime as i64, st.st_atime_nsec as i64),
        mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
        rdev: st.st_rdev,
    }
}

/// The size in bytes of block device `rdev` (`/sys/dev/block/MAJ:MIN/size`, in 512-byte
/// sectors whatever the device's block size), `None` when sysfs cannot say. `stat` gives a
/// block device size 0, so a range past its end was not refused before a byte was written (red
/// team, round 11: `--offset-in 5M` of a 4 MiB loop device made an empty DEST, exit 0, where
/// dd says "cannot skip").
fn block_device_size(rdev: u64) -> Option<u64> {
    let (major, minor) = (rustix::fs::major(rdev), rustix::fs::minor(rdev));
    let path = format!("/sys/dev/block/{major}:{minor}/size");
    let fd = rustix::fs::open(
        path.as_str(),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut buf = [0u8; 32];
    let n = rustix::io::read(&fd, &mut buf).ok()?;
    let sectors: u64 = std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()?;
    sectors.checked_mul(512)
}

/// The `statfs` `f_type` of each device this run has asked about: a file's filesystem is
/// its device's, so a tree on one device costs one `statfs`, not one per file (each one a
/// round trip on network and FUSE filesystems, issue 16). Few devices are ever seen: a list.
static FS_BY_DEV: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

/// The devices this thread has looked up in [`FS_BY_DEV`] (magic 0: an empty slot): the
/// walk asks for every entry's and each worker for every job's, so without it they took the
/// one lock once or twice per file, from every thread (issue 16, re-copies). A fixed array in
/// a `Cell`: no allocation and nothing to drop on any thread.
const LOCAL_DEVS: usize = 4;

thread_local! {
    static FS_SEEN_HERE: Cell<[(u64, u64); LOCAL_DEVS]> = const { Cell::new([(0, 0); LOCAL_DEVS]) };
}

/// Remembers `dev`'s magic in this thread's [`FS_SEEN_HERE`] while a slot is free.
fn remember_here(dev: u64, magic: u64) {
    FS_SEEN_HERE.with(|seen| {
        let mut slots = seen.get();
        if let Some(slot) = slots.iter_mut().find(|(_, m)| *m == 0) {
            *slot = (dev, magic);
            seen.set(slots);
        }
    });
}

/// The `statfs` magic of device `dev` when this run has learned it.
pub fn known_fs_magic(dev: u64) -> Option<u64> {
    let here = FS_SEEN_HERE.with(Cell::get);
    if let Some(&(_, magic)) = here.iter().find(|&&(d, m)| m != 0 && d == dev) {
        return Some(magic);
    }
    let seen = FS_BY_DEV.lock().unwrap_or_else(|e| e.into_inner());
    let magic = seen.iter().find(|(d, _)| *d == dev).map(|&(_, m)| m)?;
    drop(seen);
    remember_here(dev, magic);
    Some(magic)
}

/// The filesystem kind of device `dev` when this run has learned it.
pub fn known_fs(dev: u64) -> Option<FsKind> {
    known_fs_magic(dev).map(FsKind::from_magic)
}

/// The `statfs` magic of device `dev`: remembered, or asked with `ask` (a `statfs` of a
/// file or directory on that device; `Err` or 0: unknown, not remembered).
pub fn fs_magic_of_dev(dev: u64, ask: impl FnOnce() -> Result<u64, Errno>) -> u64 {
    if let Some(magic) = known_fs_magic(dev) {
        return magic;
    }
    let magic = ask().unwrap_or(0);
    if magic != 0 {
        let mut seen = FS_BY_DEV.lock().unwrap_or_else(|e| e.into_inner());
        if !seen.iter().any(|(d, _)| *d == dev) {
            seen.push((dev, magic));
        }
        drop(seen);
        remember_here(dev, magic);
    }
    magic
}

/// The filesystem magic of what `path` names (symlinks followed), through the device cache
/// ([`fs_magic_of_dev`]); `dev` is the device a `stat` of `path` gave. Asked of the file
/// itself, pinned by an `O_PATH` descriptor, and only while it is still on `dev`: a `statfs`
/// by name answered for whatever the name meant by then, so a name swapped meanwhile (for a
/// symlink, or a file on another filesystem) taught the cache a wrong kind for `dev`, and with
/// it the in-place and clone rules (exec/overwrite.rs, exec/open.rs) for every file on it.
/// A name that no longer leads to `dev` is unknown (0), not remembered.
pub fn path_fs_magic(path: &Path, dev: u64) -> u64 {
    fs_magic_of_dev(dev, || {
        let pinned = rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?;
        if fstat(&pinned)?.st_dev != dev {
            return Ok(0);
        }
        fstatfs(&pinned).map(|s| s.f_type as u64)
    })
}

/// `fstatfs(fd)`'s magic, through the device cache ([`fs_magic_of_dev`]).
pub fn fd_fs_magic(fd: impl AsFd, dev: u64) -> u64 {
    fs_magic_of_dev(dev, || fstatfs(fd).map(|s| s.f_type as u64))
}

/// Facts about a source (symlinks followed, as cp does for command-line operands).
pub fn source_facts(source: &Endpoint) -> Result<FileFacts, Errno> {
    match source {
        Endpoint::Path(p) => {
            let st = stat(p)?;
            let magic = if kind_of(&st) == FileKind::Regular {
                path_fs_magic(p, st.st_dev)
            } else {
                0
            };
            Ok(facts_from_stat(&st, magic))
        }
        Endpoint::At { dir, name, .. } => {
            let st = statat(dir, name, AtFlags::empty())?;
            Ok(facts_from_stat(&st, dir_fs_magic(dir, &st)))
        }
        Endpoint::Stdio => fd_facts(rustix::stdio::stdin()),
    }
}

/// The filesystem magic for a file in `dir`: the directory's, unless the file is a mount point.
fn dir_fs_magic(dir: impl AsFd, st: &Stat) -> u64 {
    fs_magic_of_dev(st.st_dev, || match fstat(&dir) {
        Ok(d) if d.st_dev == st.st_dev => fstatfs(&dir).map(|s| s.f_type as u64),
        _ => Ok(0),
    })
}

fn fd_facts(fd: impl AsFd) -> Result<FileFacts, Errno> {
    let st = fstat(&fd)?;
    let magic = fd_fs_magic(&fd, st.st_dev);
    let mut facts = facts_from_stat(&st, magic);
    facts.append = rustix::fs::fcntl_getfl(&fd)
        .map(|fl| fl.contains(rustix::fs::OFlags::APPEND))
        .unwrap_or(false);
    Ok(facts)
}

/// Facts about a destination: missing (with its directory's filesystem), existing, a dangling
/// symlink, or standard output.
pub fn dest_facts(dest: &Endpoint) -> Result<DestFacts, Errno> {
    let path = match dest {
        Endpoint::Stdio => return fd_facts(rustix::stdio::stdout()).map(DestFacts::Stdout),
        Endpoint::Path(p) => p,
        Endpoint::At { dir, name, .. } => return dest_facts_at(dir, name),
    };
    // lstat first: a missing DEST or one that is not a symlink (the common cases) needs no
    // second look (a round trip each on network filesystems); only a symlink is followed.
    let existing = |st: &Stat| {
        let magic = path_fs_magic(path, st.st_dev);
        DestFacts::Existing(facts_from_stat(st, magic))
    };
    match rustix::fs::lstat(path) {
        Ok(lst) if kind_of(&lst) != FileKind::Symlink => Ok(existing(&lst)),
        Ok(_) => match stat(path) {
            Ok(st) => Ok(existing(&st)),
            // A symlink that leads nowhere (or round in a loop) is never written through.
            Err(Errno::LOOP | Errno::NOENT) => Ok(DestFacts::DanglingSymlink),
            Err(e) => Err(e),
        },
        Err(Errno::NOENT) => Ok(missing_in_parent(path)),
        Err(e) => Err(e),
    }
}

/// A DEST to be created by path: the facts of the directory it goes in.
fn missing_in_parent(path: &Path) -> DestFacts {
    let dir = parent_dir(path);
    match stat(dir) {
        Ok(st) => DestFacts::Missing {
            dir_fs: FsKind::from_magic(path_fs_magic(dir, st.st_dev)),
            dir_dev: st.st_dev,
        },
        // The open will report the real problem (e.g. a missing directory).
        _ => DestFacts::Missing {
            dir_fs: FsKind::Other(0),
            dir_dev: u64::MAX,
        },
    }
}

/// DEST once cp's rules renamed it to its backup or removed it: new, in its directory (which
/// alone is looked at; DEST's name is not, DESIGN rule 10).
pub fn cleared_dest_facts(dest: &Endpoint) -> Result<DestFacts, Errno> {
    match dest {
        Endpoint::Stdio => fd_facts(rustix::stdio::stdout()).map(DestFacts::Stdout),
        Endpoint::Path(p) => Ok(missing_in_parent(p)),
        Endpoint::At { dir, .. } => missing_in_dir(dir),
    }
}

/// An existing DEST as cp's rules looked at it: `seen` is their stat (a symlink's target as
/// followed at that look). Only the filesystem's magic is asked for; the identity the executor
/// checks is the rules' (no second stat of DEST, DESIGN rule 10; one look per entry, issue 16).
pub fn seen_dest_facts(dest: &Endpoint, seen: &Stat) -> DestFacts {
    let magic = match dest {
        // `statfs` follows a symlink: its answer is not the link's device's to remember.
        Endpoint::Path(p) if kind_of(seen) == FileKind::Symlink => {
            statfs(p).map_or(0, |s| s.f_type as u64)
        }
        Endpoint::Path(p) => path_fs_magic(p, seen.st_dev),
        Endpoint::At { dir, .. } => dir_fs_magic(dir, seen),
        Endpoint::Stdio => 0,
    };
    DestFacts::Existing(facts_from_stat(seen, magic))
}

/// [`dest_facts`] for a name inside an open directory.
fn dest_facts_at(dir: impl AsFd, name: &std::ffi::OsStr) -> Result<DestFacts, Errno> {
    match statat(&dir, name, AtFlags::empty()) {
        Ok(st) => {
            let magic = dir_fs_magic(&dir, &st);
            Ok(DestFacts::Existing(facts_from_stat(&st, magic)))
        }
        Err(Errno::LOOP) if statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok() => {
            Ok(DestFacts::DanglingSymlink)
        }
        Err(Errno::NOENT) => {
            if statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                return Ok(DestFacts::DanglingSymlink);
            }
            missing_in_dir(dir)
        }
        Err(e) => Err(e),
    }
}

/// A DEST to be created in the open directory `dir`: the directory's device and filesystem.
fn missing_in_dir(dir: impl AsFd) -> Result<DestFacts, Errno> {
    let d = fstat(&dir)?;
    Ok(DestFacts::Missing {
        dir_fs: FsKind::from_magic(fd_fs_magic(&dir, d.st_dev)),
        dir_dev: d.st_dev,
    })
}

/// The directory a path's last component lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether a path is, or leads through symlinks to, a directory.
pub fn is_dir(path: &Path) -> std::io::Result<bool> {
    match stat(path) {
        Ok(st) => Ok(kind_of(&st) == FileKind::Directory),
        Err(e) => Err(e.into()),
    }
}

/// The `--json` `type` of a tree entry whose copy failed (issue 13: a directory that cannot be
/// created is not a `"file"`): `directory`, `symlink`, `special` (a FIFO, socket or device that
/// `-r` recreates rather than reads) or `file`. `follow` says whether a symlink is copied as its
/// target; `recreate_specials` whether special files are made as nodes (`-r` without
/// `--copy-contents`). A path that cannot be examined is a `file`.
pub fn entry_type(path: &Path, follow: bool, recreate_specials: bool) -> &'static str {
    let flags = if follow {
        AtFlags::empty()
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    };
    let Ok(st) = statat(rustix::fs::CWD, path, flags) else {
        return "file";
    };
    match kind_of(&st) {
        FileKind::Directory => "directory",
        FileKind::Symlink => "symlink",
        FileKind::Fifo | FileKind::CharDevice | FileKind::BlockDevice | FileKind::Socket
            if recreate_specials =>
        {
            "special"
        }
        _ => "file",
    }
}
