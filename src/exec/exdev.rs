//! The device pairs between which copy_file_range said `EXDEV` this run: looked up by every
//! job of a cross-filesystem copy, so the look-up takes no lock (a mutex taken twice per file
//! showed in the 10,000-file ext4 → tmpfs tree's profile and futex counts, issue 16).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many pairs are remembered; a run copies between a handful of filesystems, and a pair
/// not remembered only costs one more `EXDEV` answer per file.
const CAPACITY: usize = 16;

/// (source device, destination device) pairs, append-only: readers see a prefix of
/// complete entries (each written before the length that publishes it).
pub(super) struct ExdevPairs {
    len: AtomicUsize,
    pairs: [(AtomicU64, AtomicU64); CAPACITY],
    /// Serialises the writers.
    adding: Mutex<()>,
}

impl ExdevPairs {
    pub(super) fn new() -> Self {
        ExdevPairs {
            len: AtomicUsize::new(0),
            pairs: std::array::from_fn(|_| (AtomicU64::new(0), AtomicU64::new(0))),
            adding: Mutex::new(()),
        }
    }

    /// Whether `(src, dst)` was remembered.
    pub(super) fn contains(&self, src: u64, dst: u64) -> bool {
        let len = self.len.load(Ordering::Acquire);
        self.pairs[..len]
            .iter()
            .any(|(s, d)| s.load(Ordering::Relaxed) == src && d.load(Ordering::Relaxed) == dst)
    }

    /// Remembers `(src, dst)` (once; nothing when full).
    pub(super) fn insert(&self, src: u64, dst: u64) {
        let Ok(_writer) = self.adding.lock() else {
            return;
        };
        if self.contains(src, dst) {
            return;
        }
        let len = self.len.load(Ordering::Relaxed);
        if let Some((s, d)) = self.pairs.get(len) {
            s.store(src, Ordering::Relaxed);
            d.store(dst, Ordering::Relaxed);
            self.len.store(len + 1, Ordering::Release);
        }
    }
}
