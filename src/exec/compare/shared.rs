//! Bytes that DEST already shares with SOURCE (a reflink, or copy_file_range on btrfs/XFS) are
//! equal without reading: where `FIEMAP` maps the same offset of both files to the same
//! physical bytes (both extents `FIEMAP_EXTENT_SHARED`, on one filesystem), the range is not
//! read. Extents whose address says nothing reliable about their bytes (delayed allocation,
//! compressed or encrypted, inline or tail-packed, unwritten) are read like the rest.

use std::ops::Range;
use std::os::fd::BorrowedFd;

use fiemap::{Fiemap, FiemapExtentFlags as Flag, FiemapFlags};
use rustix::fs::{fstatfs, Stat};

use crate::facts::FsKind;

/// One extent of a file as `FIEMAP` maps it (bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mapped {
    /// Offset in the file.
    pub logical: u64,
    /// Where it is on the filesystem's device (btrfs: in its own address space).
    pub physical: u64,
    pub length: u64,
}

/// Extent flags under which the physical address does not tell the bytes (linux/fiemap.h).
fn unreliable() -> Flag {
    Flag::UNKNOWN
        | Flag::DELALLOC
        | Flag::ENCODED
        | Flag::DATA_ENCRYPTED
        | Flag::NOT_ALIGNED
        | Flag::DATA_INLINE
        | Flag::DATA_TAIL
        | Flag::UNWRITTEN
}

/// The shared extents of `fd` below `len` whose address can be trusted; `None` when `FIEMAP`
/// fails (a filesystem without it). `FIEMAP_FLAG_SYNC` writes dirty pages back first: until
/// then a rewrite of a shared block is only in the page cache (XFS keeps it in its COW fork),
/// and the map would still show the old, shared block.
fn shared_extents(fd: BorrowedFd<'_>, len: u64) -> Option<Vec<Mapped>> {
    let mut out = Vec::new();
    for extent in Fiemap::with_flags(fd, FiemapFlags::SYNC) {
        let e = extent.ok()?;
        if e.fe_logical >= len {
            break;
        }
        if e.fe_flags.contains(Flag::SHARED) && !e.fe_flags.intersects(unreliable()) {
            out.push(Mapped {
                logical: e.fe_logical,
                physical: e.fe_physical,
                length: e.fe_length,
            });
        }
    }
    Some(out)
}

/// The byte ranges (sorted, disjoint, merged) where the extents `a` and `b` (each sorted by
/// offset) map the same offsets to the same physical bytes: equal without reading.
pub fn same_blocks(a: &[Mapped], b: &[Mapped]) -> Vec<Range<u64>> {
    let mut out: Vec<Range<u64>> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        let (x_end, y_end) = (x.logical + x.length, y.logical + y.length);
        let (start, end) = (x.logical.max(y.logical), x_end.min(y_end));
        if start < end {
            let at = |m: Mapped| m.physical.checked_add(start - m.logical);
            if at(x).is_some() && at(x) == at(y) {
                match out.last_mut() {
                    Some(last) if last.end == start => last.end = end,
                    _ => out.push(start..end),
                }
            }
        }
        if x_end <= y_end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The parts of `0..len` outside `shared` (sorted, disjoint).
pub fn to_read(shared: &[Range<u64>], len: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut at = 0;
    for r in shared {
        if r.start > at {
            out.push(at..r.start.min(len));
        }
        at = at.max(r.end);
    }
    if at < len {
        out.push(at..len);
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The parts of `0..len` the comparison of `a` and `b` must read: all of it unless both are on
/// one filesystem that may share extents and `FIEMAP` shows shared ones.
pub fn ranges_to_read(
    a: (BorrowedFd<'_>, &Stat),
    b: (BorrowedFd<'_>, &Stat),
    len: u64,
) -> Vec<Range<u64>> {
    let may_share = a.1.st_dev == b.1.st_dev
        && fstatfs(a.0).is_ok_and(|fs| {
            let kind = FsKind::from_magic(fs.f_type as u64);
            !kind.never_shares_extents() && !kind.is_pseudo()
        });
    let shared = match may_share {
        true => match (shared_extents(a.0, len), shared_extents(b.0, len)) {
            (Some(x), Some(y)) => same_blocks(&x, &y),
            _ => Vec::new(),
        },
        false => Vec::new(),
    };
    to_read(&shared, len)
}
