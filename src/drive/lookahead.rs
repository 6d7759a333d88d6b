//! Look-ahead for re-copies (issue 16): helper threads stat a directory's entries — the source
//! entry and, for a regular file, the destination's name — from the last entry the walk will
//! reach backwards, while the walk copies the entries from the first one forwards; they meet in
//! the middle. Each entry is looked at once, by a helper or by the walk (twice where the walk
//! reaches the entry a helper is looking at: the walk does not wait, and looks itself), with the
//! same calls relative to the same directories; the walk uses a helper's answer as its own (the
//! executor still acts only on the identities of this look: DESIGN rule 10).
//!
//! A helper that has met the walk in its directory does not wait for the walk to reach the next
//! one: it reads the next directory of the same parent ahead and looks at its entries ([`ahead`]).

use std::ffi::{CStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};

use rustix::fs::{openat, statat, AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

pub(super) use self::ahead::Hint;
pub(super) use self::ahead::ReadAhead;

mod ahead;
#[cfg(test)]
mod tests;

/// Directories with fewer entries than this are looked at by the walk alone: a hand-off
/// costs about as much as a few stats.
pub(super) const MIN_ENTRIES: usize = 16;

/// Entries offered at a time: the answers waiting for the walk stay within this many per
/// directory level (about 300 bytes each, 40 KiB), whatever the directory's size.
pub(super) const SEGMENT: usize = 128;

/// What a helper found for one entry.
#[derive(Clone, Copy)]
pub(super) struct Looked {
    /// The source entry's stat (followed with `-L`).
    pub(super) src: Result<Stat, Errno>,
    /// For a regular file, when destinations are looked at: the destination name's lstat
    /// (`None` inside: nothing there, or it could not be stat'ed, as `lstat_dest` says).
    pub(super) dst: Option<Option<Stat>>,
}

/// One entry's place: not yet looked at, being looked at by a helper, taken by the walk, or
/// looked at by a helper. Made by
/// the walk, answer included, so that a helper never allocates (nothing to fail under
/// `ulimit -v` on a thread that could not report it, issue 14) — but to read a directory ahead,
/// which is done only where no address-space limit is set. The entry's name lives in its
/// slot, moved out of the frame's entries and back to the walk by [`DirLooks::take`]: no copy
/// of each name per directory offered.
#[allow(clippy::large_enum_variant)]
enum Slot {
    Open(OsString),
    /// A helper is looking at it (with a copy of the name, without the lock): the walk reaching
    /// it takes the name and looks itself, rather than wait for the helper.
    Looking(OsString),
    Taken,
    Done(OsString, Looked),
}

/// A segment of a directory's entries offered to the helpers, in the walk's pop order (the
/// walk takes the last first; helpers start at the segment's first).
pub(super) struct DirLooks {
    /// The index in the frame's entries of the segment's first name.
    pub(super) base: usize,
    pub(super) src: Arc<OwnedFd>,
    /// The destination directory, when its names are to be looked at.
    pub(super) dst: Option<Arc<OwnedFd>>,
    follow: bool,
    /// The directory's depth in the walk (its stack height).
    depth: usize,
    slots: Vec<Mutex<Slot>>,
    /// The next index a helper takes.
    front: AtomicUsize,
}

impl DirLooks {
    /// Offers `names` (the frame's entries from index `base` on, pop order) of the source
    /// directory `src` at `depth`; `dst`: also lstat the destination names of regular files there. The
    /// names are moved out (empty names stay behind): the walk gets each back from
    /// [`DirLooks::take`].
    pub(super) fn new(
        base: usize,
        src: Arc<OwnedFd>,
        dst: Option<Arc<OwnedFd>>,
        names: &mut [OsString],
        follow: bool,
        depth: usize,
    ) -> Self {
        let slots = names
            .iter_mut()
            .map(|name| Mutex::new(Slot::Open(std::mem::take(name))))
            .collect();
        DirLooks {
            base,
            src,
            dst,
            follow,
            depth,
            slots,
            front: AtomicUsize::new(0),
        }
    }

    /// The walk's claim on entry `index` of the frame: its name, with a helper's answer or
    /// `None` (the walk looks itself; no helper will). `None` for an entry not offered here
    /// (its name is still in the frame). Never waits for a helper's stat: an entry a helper is
    /// looking at is the walk's to look at (measured under load: the walk slept 13 to 38 ms a
    /// re-copy waiting for a helper preempted while it held an entry).
    pub(super) fn take(&self, index: usize) -> Option<(OsString, Option<Looked>)> {
        let slot = self.slots.get(index.checked_sub(self.base)?)?;
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Done(name, looked) => Some((name, Some(looked))),
            Slot::Open(name) | Slot::Looking(name) => Some((name, None)),
            Slot::Taken => None,
        }
    }

    /// Descriptors of this segment's directories of the helper's own, for one visit: `O_PATH`
    /// opens of "." through the walk's descriptors (the same directories, whatever their names
    /// are now), closed when the visit ends. Stats through the walk's descriptors while the walk
    /// itself uses them and drops references to them cost more: the kernel counts each use of a
    /// descriptor shared by threads on its open file (`fdget`), so both threads' calls touched
    /// one counter, and the walk's `Arc` clones of the descriptor share its cache line. Measured
    /// on the 10,000-file re-copy with `-u` (2 CPUs, 150 interleaved runs each): 16.1 → 15.1 ms
    /// (issue 16). A directory that cannot be reopened is looked at through the walk's.
    fn own_dirs(&self) -> OwnDirs {
        let reopen = |dir: &OwnedFd| {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            openat(dir, ".", flags, Mode::empty()).ok()
        };
        OwnDirs {
            src: reopen(&self.src),
            dst: self.dst.as_deref().and_then(reopen),
        }
    }

    /// A helper looks at the next entry from the front (through `own`, [`DirLooks::own_dirs`]);
    /// false when none is left to it.
    fn look_next(&self, own: &OwnDirs) -> bool {
        let index = self.front.fetch_add(1, Ordering::Relaxed);
        // The walk got here first (or gets there meanwhile): everything before is the walk's.
        self.slots
            .get(index)
            .is_some_and(|slot| matches!(self.look_at(slot, own), Some((_, true))))
    }

    /// Looks at the entry of `slot` if nobody has yet, the lock released meanwhile: its look,
    /// and whether it was stored for the walk (false: the walk took it meanwhile). `None` when
    /// it was not open.
    fn look_at(&self, slot: &Mutex<Slot>, own: &OwnDirs) -> Option<(Looked, bool)> {
        let mut buf = [0u8; 256];
        let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
        let Slot::Open(name) = &mut *held else {
            return None;
        };
        let bytes = name.as_bytes();
        let Some(copy) = buf.get_mut(..=bytes.len()) else {
            // Longer than NAME_MAX: looked at with the lock held.
            let looked = self.look(name.as_os_str(), own);
            *held = Slot::Done(std::mem::take(name), looked);
            return Some((looked, true));
        };
        copy[..bytes.len()].copy_from_slice(bytes);
        *held = Slot::Looking(std::mem::take(name));
        drop(held);
        let looked = match CStr::from_bytes_with_nul(copy) {
            Ok(name) => self.look(name, own),
            Err(_) => Looked {
                src: Err(Errno::INVAL),
                dst: None,
            },
        };
        let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::replace(&mut *held, Slot::Taken) {
            Slot::Looking(name) => {
                *held = Slot::Done(name, looked);
                Some((looked, true))
            }
            other => {
                *held = other;
                Some((looked, false))
            }
        }
    }

    /// The calls the walk would make for `name`: its source stat and, for a regular file, the
    /// destination name's lstat; through `own`'s descriptors where it has them.
    fn look<P: rustix::path::Arg + Copy>(&self, name: P, own: &OwnDirs) -> Looked {
        let flags = if self.follow {
            AtFlags::empty()
        } else {
            AtFlags::SYMLINK_NOFOLLOW
        };
        let src = statat(own.src.as_ref().unwrap_or(&self.src), name, flags);
        let regular = src
            .as_ref()
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
        let dst = match &self.dst {
            Some(dir) if regular => {
                let dir = own.dst.as_ref().unwrap_or(dir);
                Some(statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok())
            }
            _ => None,
        };
        Looked { src, dst }
    }
}

/// A helper's own descriptors of a segment's directories ([`DirLooks::own_dirs`]); `None`
/// where the walk's are used.
#[derive(Default)]
pub(super) struct OwnDirs {
    src: Option<OwnedFd>,
    dst: Option<OwnedFd>,
}

/// The helpers' work list: the directories offered, newest (innermost) first. Held weakly: a
/// directory the walk left (or whose descriptors it closed) drops out, and its descriptors
/// close with the walk's last reference (a helper holds one for at most one entry).
#[derive(Default)]
pub(super) struct Lookahead {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Helpers may read directories ahead (they then allocate: not under an address-space
    /// limit, issue 14).
    read_ahead: bool,
}

#[derive(Default)]
struct Queue {
    dirs: Vec<Weak<DirLooks>>,
    closed: bool,
    /// Where the walk last entered a directory, until a helper takes it.
    hint: Option<Hint>,
    /// The directories read ahead (at most [`AHEAD`]), in the walk's order, until the walk
    /// takes one over or leaves their parent.
    ahead: Vec<ReadAhead>,
}

/// What a helper does next.
enum Work {
    Look(Weak<DirLooks>),
    ReadAhead(Hint),
}

impl Lookahead {
    /// The helpers' work list for one walk; `read_ahead`: they may read directories ahead.
    pub(super) fn new(read_ahead: bool) -> Self {
        Lookahead {
            read_ahead,
            ..Lookahead::default()
        }
    }

    /// Offers a directory's entries to the helpers.
    pub(super) fn offer(&self, looks: &Arc<DirLooks>) {
        if let Ok(mut q) = self.queue.lock() {
            q.dirs.push(Arc::downgrade(looks));
            self.ready.notify_all();
        }
    }

    /// Ends the helpers' loops (the walk is over).
    pub(super) fn close(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.closed = true;
            q.dirs.clear();
            q.hint = None;
            q.ahead.clear();
            self.ready.notify_all();
        }
    }

    /// A helper thread's loop: looks at entries of the newest directory offered, or reads the
    /// next directory ahead once that one is done, until the walk is over.
    pub(super) fn run(&self) {
        while let Some(work) = self.next_work() {
            let weak = match work {
                Work::Look(weak) => weak,
                Work::ReadAhead(hint) => {
                    self.read_ahead(&hint);
                    continue;
                }
            };
            let own = weak.upgrade().map(|dir| dir.own_dirs()).unwrap_or_default();
            loop {
                let Some(dir) = weak.upgrade() else { break };
                if !dir.look_next(&own) {
                    break;
                }
            }
            drop(own);
            let Ok(mut q) = self.queue.lock() else { return };
            // Done with the walk's newest directory: the next one is read ahead now, before
            // the older ones (the walk reaches it first).
            let newest = q.dirs.last().is_some_and(|w| w.ptr_eq(&weak));
            q.dirs.retain(|w| !w.ptr_eq(&weak));
            let mut hint = q.hint.take_if(|_| newest);
            if hint.is_none() {
                // Done with a directory read ahead: the one after it.
                hint = q.after_read(&weak);
            }
            drop(q);
            if let Some(hint) = hint {
                self.read_ahead(&hint);
            }
        }
    }

    /// The newest directory offered, else a directory to read ahead, waiting for either;
    /// `None` once closed.
    fn next_work(&self) -> Option<Work> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if q.closed {
                return None;
            }
            if let Some(w) = q.dirs.last() {
                return Some(Work::Look(w.clone()));
            }
            if let Some(hint) = q.hint.take() {
                return Some(Work::ReadAhead(hint));
            }
            q = self.ready.wait(q).ok()?;
        }
    }
}

/// Ends the helpers' loops when the walk is over, also when it unwinds (the scope then joins
/// them instead of waiting for ever).
pub(super) struct CloseOnDrop(pub(super) Arc<Lookahead>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}
