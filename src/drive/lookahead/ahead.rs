//! Reading ahead (issue 16): a helper done with the directory the walk is in reads the next
//! directory the walk will enter from the same parent — opened as the walk opens it, listed, its
//! first segment offered — up to [`AHEAD`] directories ahead. The walk entering that very
//! directory takes the read-ahead ([`Lookahead::take`]): its listing instead of reading the
//! directory again, and its looks where the destination is the one the helper opened.

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::sync::{Arc, PoisonError, Weak};

use rustix::fs::{fstat, FileType, Stat};

use super::{DirLooks, Lookahead, Looked, OwnDirs, Queue, Slot, MIN_ENTRIES, SEGMENT};
use crate::drive::listing::read_entries;
use crate::exec::dirs::open_dir;

impl DirLooks {
    /// The next directory the walk will enter from this segment, at most [`SCAN`] entries
    /// below `next` (the frame's entry count: the walk pops `next - 1` next): its index in the
    /// frame's entries, name and stat. Entries not yet looked at are looked at on the way, as
    /// [`DirLooks::look_next`] would (the walk takes those looks); the walk's own are skipped.
    pub(in crate::drive) fn next_directory(&self, next: usize) -> Option<(usize, OsString, Stat)> {
        let top = next.checked_sub(self.base)?.min(self.slots.len());
        let from = top.saturating_sub(SCAN);
        for (i, slot) in self.slots[from..top].iter().enumerate().rev() {
            self.look_at(slot, &OwnDirs::default());
            let slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if let Slot::Done(name, Looked { src: Ok(st), .. }) = &*slot {
                if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                    return Some((self.base + from + i, name.clone(), *st));
                }
            }
        }
        None
    }

    /// Whether the walk has taken entry `index` of the frame.
    fn taken(&self, index: usize) -> bool {
        let slot = index.checked_sub(self.base).and_then(|i| self.slots.get(i));
        slot.is_none_or(|slot| {
            matches!(
                *slot.lock().unwrap_or_else(PoisonError::into_inner),
                Slot::Taken
            )
        })
    }

    /// Gives the names of this segment back to `names` (the frame's entries from `base` on,
    /// when the walk does not take its looks over); helpers then stop looking here.
    pub(in crate::drive) fn names_back(&self, names: &mut [OsString]) {
        for (slot, name) in self.slots.iter().zip(names) {
            let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            let left = std::mem::replace(&mut *slot, Slot::Taken);
            if let Slot::Open(n) | Slot::Looking(n) | Slot::Done(n, _) = left {
                *name = n;
            }
        }
    }
}

/// Entries of the directory the walk is in that a helper looks through for the next directory
/// (after that, the walk is far enough from it for the helper to wait).
pub(in crate::drive) const SCAN: usize = 32;

/// Directories read ahead at most, not yet entered by the walk (two descriptors each): enough
/// for a helper never to wait for the walk to enter the next one.
const AHEAD: usize = 2;

/// Where the walk entered a directory (or a helper read one ahead): the next directory to read
/// ahead is searched for in the parent's offered entries below `next`.
#[derive(Clone)]
pub(in crate::drive) struct Hint {
    pub(in crate::drive) parent: Weak<DirLooks>,
    /// The parent frame's entry count after the walk took the directory it entered.
    pub(in crate::drive) next: usize,
    /// The parent frame's token.
    pub(in crate::drive) parent_token: u64,
    /// The depth of the directory entered (the walk's stack height).
    pub(in crate::drive) depth: usize,
}

/// A directory read ahead by a helper: its first segment, offered to the helpers, and the
/// identities the walk checks before taking it over.
pub(in crate::drive) struct ReadAhead {
    pub(in crate::drive) looks: Arc<DirLooks>,
    /// Where it is in its parent: the next one is searched for below it.
    at: Hint,
    /// The source directory's (dev, ino), and the destination's if it was opened.
    src_id: (u64, u64),
    pub(in crate::drive) dst_id: Option<(u64, u64)>,
    /// The directory's names in pop order, those of the segment offered left empty (they are
    /// in its slots), as a frame's entries are once offered.
    pub(in crate::drive) entries: Vec<OsString>,
}

impl Lookahead {
    /// The walk entered a directory: a helper done with its looks reads the next one ahead.
    pub(in crate::drive) fn entered(&self, hint: Hint) {
        if let Ok(mut q) = self.queue.lock() {
            q.hint = Some(hint);
            self.ready.notify_one();
        }
    }

    /// Drops what was read ahead below the parent `token` (the walk left it), or everything
    /// (`None`: descriptors are short).
    pub(in crate::drive) fn forget(&self, token: Option<u64>) {
        if let Ok(mut q) = self.queue.lock() {
            let below = |t: u64| token.is_none_or(|token| token == t);
            if q.hint.as_ref().is_some_and(|h| below(h.parent_token)) {
                q.hint = None;
            }
            q.ahead.retain(|a| !below(a.at.parent_token));
        }
    }

    /// What a helper read ahead of the directory `src_id` the walk is about to enter, if any
    /// (those read ahead before it were passed: dropped).
    pub(in crate::drive) fn take(&self, src_id: (u64, u64)) -> Option<ReadAhead> {
        let mut q = self.queue.lock().ok()?;
        let found = q.ahead.iter().position(|a| a.src_id == src_id)?;
        let taken = q.ahead.drain(..=found).next_back();
        taken
    }

    /// Reads ahead the next directory the walk will enter in the parent of `hint` (opened as
    /// the walk opens it, from the same parent descriptors), and offers its first segment.
    pub(in crate::drive) fn read_ahead(&self, hint: &Hint) {
        if !self.read_ahead {
            return;
        }
        let Some(parent) = hint.parent.upgrade() else {
            return;
        };
        let next = {
            let Ok(q) = self.queue.lock() else { return };
            if q.ahead.len() >= AHEAD {
                return;
            }
            // Below the last one read ahead in the same directory.
            let last = q
                .ahead
                .last()
                .filter(|a| a.at.parent_token == hint.parent_token);
            last.map_or(hint.next, |a| a.at.next.min(hint.next))
        };
        let Some((index, name, st)) = parent.next_directory(next) else {
            return;
        };
        let Ok(src) = open_dir(&*parent.src, &name, !parent.follow) else {
            return;
        };
        let src_id = (st.st_dev, st.st_ino);
        if fstat(&src).map(|s| (s.st_dev, s.st_ino)).ok() != Some(src_id) {
            return;
        }
        let Ok(mut entries) = read_entries(src.as_fd()) else {
            return;
        };
        if entries.len() < MIN_ENTRIES {
            return;
        }
        // The destination as the walk opens an existing one (never following a symlink).
        let dst = parent.dst.as_ref().and_then(|d| {
            let fd = open_dir(&**d, &name, true).ok()?;
            let st = fstat(&fd).ok()?;
            Some((fd, (st.st_dev, st.st_ino)))
        });
        let (dst, dst_id) = dst.map_or((None, None), |(fd, id)| (Some(Arc::new(fd)), Some(id)));
        let base = entries.len().saturating_sub(SEGMENT);
        let src = Arc::new(src);
        let names = &mut entries[base..];
        let looks = Arc::new(DirLooks::new(
            base,
            src,
            dst,
            names,
            parent.follow,
            hint.depth,
        ));
        let Ok(mut q) = self.queue.lock() else { return };
        // Another helper may have read the same one meanwhile, or the walk may have gone into
        // it (it takes the parent's entry first, then looks here for what was read ahead).
        if q.closed || q.ahead.iter().any(|a| a.src_id == src_id) || parent.taken(index) {
            return;
        }
        // Below the directories the walk is in at its depth or deeper: it finishes them first.
        let at = q
            .dirs
            .iter()
            .position(|w| w.upgrade().is_some_and(|d| d.depth >= hint.depth));
        let at = at.unwrap_or(q.dirs.len());
        q.dirs.insert(at, Arc::downgrade(&looks));
        let at = Hint {
            next: index,
            ..hint.clone()
        };
        q.ahead.push(ReadAhead {
            looks,
            at,
            src_id,
            dst_id,
            entries,
        });
    }
}

impl Queue {
    /// Where to read ahead after the directory `weak` when it was one read ahead.
    pub(super) fn after_read(&self, weak: &Weak<DirLooks>) -> Option<Hint> {
        let read = self
            .ahead
            .iter()
            .find(|a| weak.ptr_eq(&Arc::downgrade(&a.looks)));
        read.map(|a| a.at.clone())
    }
}
