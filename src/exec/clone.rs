//! Ranged clones and shared extents (issue 17): a byte range on a filesystem that can clone
//! shares its block-aligned middle with `FICLONERANGE` and copies the unaligned head and tail;
//! after copy_file_range on a filesystem that may share extents (btrfs, XFS), `FIEMAP`'s
//! `FIEMAP_EXTENT_SHARED` flag tells how many of the written bytes the kernel shared.

use std::fs::File;
use std::num::NonZeroU64;
use std::ops::Range;
use std::os::fd::BorrowedFd;

use rustix::fs::{fstat, fstatfs};
use rustix::io::Errno;

use super::offsets::Offsets;
use super::outcome::{on_errno, Mechanism, OnErrno};
use super::partial::TAIL_CHECK;
use super::span::Span;
use super::{ExecError, Method, Outcome};
use crate::facts::FsKind;
use crate::plan::{CloneMode, Job};

/// Clone granularity below which nothing is tried: the smallest filesystem block that btrfs and
/// XFS clone (their `FICLONERANGE` wants offsets and length in whole blocks).
const MIN_BLOCK: u64 = 4096;

/// A range split into an unaligned head, a block-aligned middle to clone, and a tail (bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Split {
    pub head: u64,
    pub middle: u64,
    pub tail: u64,
}

/// Splits `len` bytes from `offset_in` to `offset_out` around the largest run of whole
/// `block`-sized blocks at block boundaries of both files. Offsets that are not congruent
/// modulo `block` have no such run: all of it is head. A range that ends at SOURCE's end
/// (`to_source_end`) clones its last, partial block too: `FICLONERANGE` takes an unaligned
/// length that reaches the source's EOF (`generic_remap_checks`, fs/remap_range.c), so the
/// middle runs to the end (the caller asks this only where DEST ends there too). Before, a
/// `--resume --reflink=always` whose rest was one partial block had no middle and failed on
/// every run (round 11's leftovers).
pub(super) fn split(
    offset_in: u64,
    offset_out: u64,
    len: u64,
    block: u64,
    to_source_end: bool,
) -> Split {
    let whole = Split {
        head: len,
        middle: 0,
        tail: 0,
    };
    if block == 0 || offset_in % block != offset_out % block {
        return whole;
    }
    let head = (block - offset_in % block) % block;
    if head >= len {
        return whole;
    }
    let middle = if to_source_end {
        len - head
    } else {
        (len - head) / block * block
    };
    if middle == 0 {
        return whole;
    }
    Split {
        head,
        middle,
        tail: len - head - middle,
    }
}

/// The block size a ranged clone aligns to: the larger filesystem block of the two files
/// (`statfs`'s `f_bsize`), at least 4 KiB; and both files' sizes (bytes; `None` where `fstat`
/// fails). Not `st_blksize`, the preferred I/O size: XFS mounted with `largeio` says 1 MiB
/// there and clones 4 KiB blocks (red team, round 12: such a range was refused for want of a
/// whole 1 MiB block).
fn clone_block(src: BorrowedFd<'_>, dst: BorrowedFd<'_>) -> (u64, Option<u64>, Option<u64>) {
    let block = |fd| fstatfs(fd).map_or(0, |st| st.f_bsize as u64);
    let size = |fd| fstat(fd).ok().map(|st| st.st_size as u64);
    (
        block(src).max(block(dst)).max(MIN_BLOCK),
        size(src),
        size(dst),
    )
}

/// Bytes a `--resume`d clone starts before the resume point: back to the block boundary below
/// it, where the offsets are aligned alike. DEST's last [`TAIL_CHECK`] bytes were found equal to
/// SOURCE's before resuming, so the clone re-shares bytes DEST already has; without it a rest
/// that started inside a block had no whole block to clone, and `--reflink=always` failed on
/// every run (new-user trial and red team, round 12). 0 when not resuming from `from`/`to`.
fn resume_rewind(job: &Job, from: u64, to: u64, block: u64) -> u64 {
    let rewind = from % block;
    match job.restart.resumed_from {
        Some(at) if at == from && at == to && rewind == to % block && rewind <= TAIL_CHECK => {
            rewind
        }
        _ => 0,
    }
}

/// `FICLONERANGE`: shares `len` bytes of `src` at `from` into `dst` at `to`.
fn clone_range(
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    from: u64,
    to: u64,
    len: NonZeroU64,
) -> Result<(), Errno> {
    // reflink-copy takes `&File`: duplicates of the descriptors, closed on return.
    let dup = |fd: BorrowedFd<'_>| fd.try_clone_to_owned().map(File::from);
    let (Ok(src), Ok(dst)) = (dup(src), dup(dst)) else {
        return Err(Errno::MFILE);
    };
    reflink_copy::ReflinkBlockBuilder::new(&src, &dst, len)
        .from_offset(from)
        .to_offset(to)
        .reflink_block()
        .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::IO))
}

/// A ranged copy between two regular files with cloning allowed (`job.clone`): the head and
/// tail as span copies, the middle with `FICLONERANGE`. Under `--reflink=always` a middle that
/// cannot be cloned (no whole block in the range, offsets not aligned alike, an error) fails the
/// file; under `auto` a "cannot clone here" error copies it. Returns the bytes copied or cloned.
///
/// Order: the middle first, so that a clone that must not fail fails before any byte of DEST
/// changed; but under `--resume` the head first, so that DEST stays SOURCE's contiguous prefix
/// whatever stops the copy, which the next `--resume` relies on (`restart::resume`; red team,
/// round 11: a failure between the middle and the head left a hole at the resume point in a
/// file of SOURCE's size, which a second `--resume` took as complete, exit 0).
pub(super) fn copy_range_cloning(
    job: &Job,
    span: &Span<'_, '_>,
    at: &mut Offsets,
    len: u64,
    outcome: &mut Outcome,
) -> Result<u64, ExecError> {
    let (Some(from), Some(to)) = (at.input, at.output) else {
        return refuse_or_copy(job, span, at, len, outcome, clone_error(job, Errno::INVAL));
    };
    // The partial last block is cloned only where it also ends DEST: the kernel will not
    // clone SOURCE's EOF block into the middle of a file (EINVAL).
    let (block, src_size, dst_size) = clone_block(span.src, span.dst);
    let to_source_end = src_size.is_some_and(|size| from.checked_add(len) == Some(size))
        && dst_size.is_some_and(|size| to.saturating_add(len) >= size);
    let mut parts = split(from, to, len, block, to_source_end);
    let mut rewind = resume_rewind(job, from, to, block);
    if rewind > 0 {
        let back = split(
            from - rewind,
            to - rewind,
            len + rewind,
            block,
            to_source_end,
        );
        if back.middle > 0 {
            parts = back;
            *at = Offsets::both_at(from - rewind, to - rewind);
        } else {
            rewind = 0;
        }
    }
    let (from, to) = (from - rewind, to - rewind);
    let Some(middle) = NonZeroU64::new(parts.middle) else {
        // fcopy's own refusal, no system call made: say why rather than "Invalid argument"
        // (red team, round 12).
        let unaligned = ExecError::CloneUnaligned {
            source: job.source.display_path().to_owned(),
            dest: job.dest.display_path().to_owned(),
            block,
        };
        return refuse_or_copy(job, span, at, len, outcome, unaligned);
    };
    let head_first = job.restart.keep_partial;
    let mut copied = 0;
    if head_first {
        copied += span.copy(at, Some(parts.head), outcome)?;
    }
    let (mid_in, mid_out) = (from + parts.head, to + parts.head);
    copied += match clone_range(span.src, span.dst, mid_in, mid_out, middle) {
        Ok(()) => {
            // The rewound bytes were in DEST already: neither progress nor copied.
            let new = parts.middle - rewind;
            span.engine.advance(Method::Reflink, new);
            outcome.shared_bytes = Some(new);
            new
        }
        Err(errno) => {
            let fails = on_errno(Mechanism::Clone, errno, false) == OnErrno::Fail;
            if job.clone == CloneMode::Must || fails {
                return Err(clone_error(job, errno));
            }
            outcome.clone_failed = true;
            let mut mid = Offsets::both_at(mid_in + rewind, mid_out + rewind);
            span.copy(&mut mid, Some(parts.middle - rewind), outcome)?
        }
    };
    if !head_first {
        copied += span.copy(at, Some(parts.head), outcome)?;
    }
    *at = Offsets::both_at(mid_in + parts.middle, mid_out + parts.middle);
    copied += span.copy(at, Some(parts.tail), outcome)?;
    if outcome.shared_bytes.is_some() {
        outcome.method = Method::Reflink;
    }
    Ok(copied)
}

/// No middle to clone: `--reflink=always` fails with `refusal`, `auto` copies the range.
fn refuse_or_copy(
    job: &Job,
    span: &Span<'_, '_>,
    at: &mut Offsets,
    len: u64,
    outcome: &mut Outcome,
    refusal: ExecError,
) -> Result<u64, ExecError> {
    if job.clone == CloneMode::Must && len > 0 {
        return Err(refusal);
    }
    span.copy(at, Some(len), outcome)
}

fn clone_error(job: &Job, errno: Errno) -> ExecError {
    ExecError::Clone {
        source: job.source.display_path().to_owned(),
        dest: job.dest.display_path().to_owned(),
        errno,
    }
}

/// Bytes of `dst` within `range` whose extents are shared (`FIEMAP_EXTENT_SHARED`), on a
/// filesystem where copy_file_range may share extents (btrfs, XFS, or one fcopy does not know);
/// `None` where it never does (ext4, tmpfs, procfs) or `FIEMAP` cannot tell. `fs`: `dst`'s
/// filesystem when known (else one `fstatfs` asks).
pub(super) fn shared_bytes(
    dst: BorrowedFd<'_>,
    range: Range<u64>,
    fs: Option<FsKind>,
) -> Option<u64> {
    let fs = match fs {
        Some(fs) => fs,
        None => FsKind::from_magic(fstatfs(dst).ok()?.f_type as u64),
    };
    if fs.never_shares_extents() || fs.is_pseudo() || range.is_empty() {
        return None;
    }
    let mut shared = 0;
    for extent in fiemap::Fiemap::new(dst) {
        let extent = extent.ok()?;
        let start = extent.fe_logical.max(range.start);
        let end = (extent.fe_logical + extent.fe_length).min(range.end);
        if extent.fe_logical >= range.end {
            break;
        }
        if end > start && extent.fe_flags.contains(fiemap::FiemapExtentFlags::SHARED) {
            shared += end - start;
        }
    }
    Some(shared)
}
