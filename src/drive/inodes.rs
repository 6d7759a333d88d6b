//! A compact set of file identities (device, inode): 8 bytes and a control byte per file, for
//! runs that create hundreds of thousands of files; and where a hard-linked source's first copy
//! is, for linking its later names (the links themselves are `exec::nodes`' effects); and which
//! files the walk remembers as a group's first copy.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Weak};

use rustix::io::Errno;

use super::Copier;
use crate::exec::nodes;
use crate::facts::{FileFacts, FileKind};
use crate::options::{Deref, LinkMode};
use crate::plan::Endpoint;

/// File identities, grouped by device (a run rarely touches more than a few).
#[derive(Default)]
pub struct InodeSet {
    by_dev: Vec<(u64, HashSet<u64>)>,
}

impl InodeSet {
    /// Adds a (device, inode).
    pub fn insert(&mut self, (dev, ino): (u64, u64)) {
        match self.by_dev.iter_mut().find(|(d, _)| *d == dev) {
            Some((_, inodes)) => {
                inodes.insert(ino);
            }
            None => self.by_dev.push((dev, HashSet::from([ino]))),
        }
    }

    /// Whether the set holds (device, inode).
    pub fn contains(&self, (dev, ino): (u64, u64)) -> bool {
        self.by_dev
            .iter()
            .any(|(d, inodes)| *d == dev && inodes.contains(&ino))
    }
}

/// The destination a hard-linked source was first copied to, for linking its later names
/// (`-a`, `--preserve=links`). It is found again relative to directory descriptors, never by a
/// path from the working directory that the destination's other users could redirect
/// (DESIGN rule 10), and trees deeper than PATH_MAX keep their links.
#[derive(Clone, Debug)]
pub struct FirstCopy {
    /// The name shown in messages (and the path from the working directory, for operands).
    pub shown: PathBuf,
    /// The directory it was created in, while the walk still holds it open.
    dir: Weak<OwnedFd>,
    name: OsString,
    /// The top destination directory of the operand it belongs to, while it is being copied,
    /// and its shown name: the directories below are reopened from it, one `O_NOFOLLOW` step
    /// at a time.
    root: Weak<OwnedFd>,
    root_shown: Option<Arc<PathBuf>>,
    /// The copy's (dev, ino) once its job is done: a node reached by its path is linked only
    /// if it is this one.
    pub id: Option<(u64, u64)>,
}

impl FirstCopy {
    /// Remembers `dst`; `root` is the walk's top destination directory and its shown name.
    pub fn new(dst: &Endpoint, root: Option<&(Arc<OwnedFd>, Arc<PathBuf>)>) -> FirstCopy {
        let (dir, name) = match dst {
            Endpoint::At { dir, name, .. } => (Arc::downgrade(dir), name.clone()),
            _ => (Weak::new(), OsString::new()),
        };
        FirstCopy {
            shown: dst.display_path().to_path_buf(),
            dir,
            name,
            root: root.map_or_else(Weak::new, |(fd, _)| Arc::downgrade(fd)),
            root_shown: root.map(|(_, shown)| Arc::clone(shown)),
            id: None,
        }
    }

    /// Makes `name` in `dir` a hard link to this copy: relative to the directory it was
    /// created in if that is still open, else by `O_NOFOLLOW` steps from the operand's top
    /// directory, else (another operand's file) through an `O_PATH` descriptor of the path,
    /// linked only if it is the file copied. A name already there is replaced only once the
    /// link exists (made at a temporary name and renamed over it, as GNU's `force_linkat`): a
    /// link that cannot be made leaves DEST as it was.
    pub fn link_to(&self, dir: BorrowedFd<'_>, name: &Path) -> Result<nodes::Replaced, Errno> {
        nodes::link_replacing_told(dir, name, true, |d, n| self.link_once(d, n))
    }

    /// [`FirstCopy::link_to`] at a name that must be free.
    fn link_once(&self, dir: BorrowedFd<'_>, name: &Path) -> Result<(), Errno> {
        if let Some(first_dir) = self.dir.upgrade() {
            return nodes::hard_link(first_dir.as_fd(), Path::new(&self.name), dir, name, false);
        }
        if let (Some(root), Some(root_shown)) = (self.root.upgrade(), &self.root_shown) {
            if let Ok(rel) = self.shown.strip_prefix(&**root_shown) {
                let mut parts: Vec<_> = rel.components().collect();
                if let Some(Component::Normal(last)) = parts.pop() {
                    if parts.iter().all(|c| matches!(c, Component::Normal(_))) {
                        let parents = parts.iter().map(|c| c.as_os_str());
                        return nodes::link_below(root, parents, last, dir, name);
                    }
                }
            }
        }
        nodes::link_by_path(&self.shown, self.id, dir, name)
    }
}

impl Copier<'_, '_> {
    /// Whether `facts`' file belongs to a hard-link group whose copies are linked: inside the
    /// tree with -d, -a, --preserve=links; with -L (and -H for operands) every file, since
    /// two links can lead to one file (GNU cp does so). With -l every file is linked to its
    /// source, so a second name of it comes out linked to the first copy anyway: nothing to
    /// remember (cp -al on 20,000 linked files stays within GNU's tests/cp/link-heap.sh
    /// memory limit).
    pub(super) fn remembers_links(&self, src: &Endpoint, facts: &FileFacts) -> bool {
        self.cfg.preserve_links() && self.may_share_a_copy(src, facts)
    }

    /// Whether another name may reach `facts`' file in this run: it has other links, or links
    /// are followed (-L; -H for operands). Never with -l (every file is linked to its source).
    fn may_share_a_copy(&self, src: &Endpoint, facts: &FileFacts) -> bool {
        self.cfg.link != LinkMode::Hard
            && facts.kind != FileKind::Directory
            && (facts.nlink > 1
                || self.cfg.deref == Deref::Always
                || (self.cfg.deref == Deref::CommandLine && matches!(src, Endpoint::Path(_))))
    }
}

#[cfg(test)]
mod tests;
