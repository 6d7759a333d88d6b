//! One directory level of the walk: its source and destination descriptors (closed and reopened
//! through ".." to stay under the open-file limit), its identity and its remaining entries, read in
//! inode order ([`super::listing`]).

use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::Arc;

use super::errors::WalkError;
pub(super) use super::listing::read_entries;
use super::lookahead::DirLooks;
use crate::exec::dirs;
use crate::facts::{FileFacts, FsKind};
use crate::plan::{Endpoint, Shown};

/// A directory being copied: its fds (possibly closed to save fds), identity and entries.
pub(super) struct Frame {
    pub(super) src: Option<Arc<OwnedFd>>,
    pub(super) dst: Option<Arc<OwnedFd>>,
    pub(super) src_id: (u64, u64),
    pub(super) dst_id: (u64, u64),
    pub(super) src_shown: Arc<Path>,
    pub(super) dst_shown: Arc<Path>,
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
    /// Takes the entries offered to the look-ahead helpers back (their names wait in the
    /// segment's slots until the walk takes them) and stops offering them. A level whose
    /// descriptors are closed to stay under the open-file limit drops its segment so; dropped
    /// without its names, the walk then took the rest of the segment for empty names (red team,
    /// round 15: a `-r -u` re-copy 130 levels deep at `ulimit -n 1024` said `cannot stat
    /// 'S/d/.../d/'` 1,100 times and left those files as they were).
    pub(super) fn drop_looks(&mut self) {
        if let Some(looks) = self.looks.take() {
            if let Some(names) = self.entries.get_mut(looks.base..) {
                looks.names_back(names);
            }
        }
    }

    /// The source and destination of the entry `name` of this (open) directory. Their shown
    /// paths are this directory's, shared, and the name: joined only if asked for ([`Shown`]).
    pub(super) fn children(&self, name: OsString) -> (Endpoint, Endpoint) {
        let src = Endpoint::At {
            dir: self.src.clone().expect("open frame"),
            shown: Shown::under(Arc::clone(&self.src_shown)),
            name: name.clone(),
        };
        let dst = Endpoint::At {
            dir: self.dst.clone().expect("open frame"),
            shown: Shown::under(Arc::clone(&self.dst_shown)),
            name,
        };
        (src, dst)
    }
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
