//! One directory level of the walk: its source and destination descriptors (closed and reopened
//! through ".." to stay under the open-file limit), its identity and its remaining entries, read in
//! inode order.

use std::ffi::{OsStr, OsString};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::RawDir;
use rustix::io::Errno;

use super::errors::WalkError;
use super::lookahead::DirLooks;
use crate::exec::dirs;
use crate::facts::{FileFacts, FsKind};
use crate::plan::Endpoint;

/// A directory being copied: its fds (possibly closed to save fds), identity and entries.
pub(super) struct Frame {
    pub(super) src: Option<Arc<OwnedFd>>,
    pub(super) dst: Option<Arc<OwnedFd>>,
    pub(super) src_id: (u64, u64),
    pub(super) dst_id: (u64, u64),
    pub(super) src_shown: PathBuf,
    pub(super) dst_shown: PathBuf,
    pub(super) facts: FileFacts,
    pub(super) created: bool,
    /// `--dry-run` and no directory there: `dst` is an existing ancestor standing in for it,
    /// so nothing is looked up by name in it (its names are not this directory's).
    pub(super) planned_only: bool,
    /// For a directory this run created: the mode to set once it is done (GNU's
    /// restore_dst_mode), unless the mode is preserved.
    pub(super) restore_mode: Option<u32>,
    /// The top of an operand's tree: the only directory whose parent the walk never leaves
    /// (so `--sync` flushes that parent for it).
    pub(super) operand: bool,
    /// Remaining entries, popped from the end.
    pub(super) entries: Vec<OsString>,
    /// Identifies the directory for jobs that finish later (`-j`).
    pub(super) token: u64,
    /// The filesystems of the source and destination directories.
    pub(super) src_fs: FsKind,
    pub(super) dst_fs: FsKind,
    /// The entries offered to the look-ahead helpers (re-copies, `-j`), indexed as `entries`.
    pub(super) looks: Option<Arc<DirLooks>>,
}

impl Frame {
    /// The source and destination of the entry `name` of this (open) directory. Each shown
    /// path is allocated once at its final size (`Path::join` copies the directory's path, then
    /// grows it for the name: a second allocation per end and entry).
    pub(super) fn children(&self, name: OsString) -> (Endpoint, Endpoint) {
        let src = Endpoint::At {
            dir: self.src.clone().expect("open frame"),
            shown: joined(&self.src_shown, &name),
            name: name.clone(),
        };
        let dst = Endpoint::At {
            dir: self.dst.clone().expect("open frame"),
            shown: joined(&self.dst_shown, &name),
            name,
        };
        (src, dst)
    }
}

/// `dir.join(name)` for a directory entry's name, in one allocation.
fn joined(dir: &Path, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

/// After finishing `child`, makes sure `parent` has open fds again (reopened via "..").
pub(super) fn reopen_parent(parent: &mut Frame, child: &Frame) -> Result<(), WalkError> {
    if parent.src.is_some() && parent.dst.is_some() {
        return Ok(());
    }
    let src = dirs::reopen_parent(child.src.as_deref(), parent.src_id)
        .map_err(|e| WalkError::reopened(&parent.src_shown, e))?;
    parent.src = Some(Arc::new(src));
    let dst = dirs::reopen_parent(child.dst.as_deref(), parent.dst_id)
        .map_err(|e| WalkError::reopened(&parent.dst_shown, e))?;
    parent.dst = Some(Arc::new(dst));
    Ok(())
}

/// Reads a directory's names, sorted by inode number as GNU cp does (fast on most filesystems),
/// from `dir` itself (open for reading; read from its start) with a 32 KiB buffer, as glibc's
/// `readdir` reads (`ENOMEM` when not even 1 KiB can be had). rustix's `Dir` reopened the directory (`openat(fd, ".")`: one descriptor
/// and, on a network or FUSE filesystem, a lookup and an open more per directory) and read it
/// in steps of about 1 KiB: on GlusterFS 72 READDIRP requests for the 10-directory tree
/// against GNU cp's 22 (measured by the gluster helper, round 5), on ext4 four `getdents64`
/// calls per 100-entry directory instead of two.
pub(super) fn read_entries(dir: BorrowedFd<'_>) -> Result<Vec<OsString>, Errno> {
    use std::mem::MaybeUninit;
    rustix::fs::seek(dir, rustix::fs::SeekFrom::Start(0))?;
    // On the heap, fallibly (the walk's stack stays within what the kernel maps at exec, which
    // cannot grow under `ulimit -v`); 1 KiB, as before, when 32 KiB cannot be had.
    let mut buf: Vec<MaybeUninit<u8>> = Vec::new();
    let size = match buf.try_reserve_exact(32 * 1024) {
        Ok(()) => 32 * 1024,
        Err(_) => {
            buf.try_reserve_exact(1024).map_err(|_| Errno::NOMEM)?;
            1024
        }
    };
    buf.resize(size, MaybeUninit::uninit());
    let mut raw = RawDir::new(dir, &mut buf);
    let mut entries = Vec::new();
    while let Some(entry) = raw.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        entries.push((entry.ino(), OsStr::from_bytes(name).to_owned()));
    }
    Ok(pop_order(entries))
}

/// The names to pop from the end in ascending inode order: sorted by descending inode.
pub(super) fn pop_order(mut entries: Vec<(u64, OsString)>) -> Vec<OsString> {
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    entries.into_iter().map(|(_, n)| n).collect()
}
