//! The strategies the planner chooses (DESIGN section 1): reflink, whole-file copy_file_range or
//! read/write, sparse (data extents only) and ranged; each drives [`Span`] copies and fills in
//! the [`Outcome`].

use std::os::fd::AsFd;

use rustix::fs::{fstat, ftruncate, ioctl_ficlone};

use super::clone::shared_bytes;
use super::extents::DataExtents;
use super::offsets::Offsets;
use super::open::{start_pos, Fd};
use super::outcome::{on_errno, Mechanism, OnErrno};
use super::span::Span;
use super::{rw, Engine, ExecError, Method, Outcome};
use crate::facts::FileKind;
use crate::plan::{CloneMode, Job, Strategy};

mod holes;
mod ranged;
mod splice;
use ranged::copy_range;

/// Runs the job's strategy from `src` into the open destination `dst`.
pub(super) fn run_strategy(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    copied: u64,
) -> Result<Outcome, ExecError> {
    debug_assert!(
        copied == 0 || matches!(job.strategy, Strategy::CopyFileRange | Strategy::ReadWrite),
        "only a whole-file copy goes on from bytes copied before it"
    );
    let mut outcome = match job.strategy {
        Strategy::Reflink => copy_reflink(engine, job, src, dst),
        Strategy::CopyFileRange | Strategy::ReadWrite => {
            copy_whole(engine, job, src, dst, Outcome::copied_before(copied))
        }
        // Standard output has its own offset (and may be O_APPEND, where pwrite appends):
        // extents at explicit offsets would land in the wrong place, so copy it whole.
        Strategy::Sparse if job.dest.is_stdio() => {
            copy_whole(engine, job, src, dst, Outcome::new())
        }
        Strategy::Sparse => copy_sparse(engine, job, src, dst, Outcome::new()),
        Strategy::Ranged => copy_range(engine, job, src, dst),
    }?;
    // DEST's filesystem as this run knows it: no `fstatfs` to find out again (a round trip
    // per file on FUSE and network filesystems, issue 16), none at all where extents are
    // never shared.
    let dest_fs = job.dest_dev.and_then(crate::exec::probe::known_fs);
    let may_share = dest_fs.is_none_or(|fs| !fs.never_shares_extents() && !fs.is_pseudo());
    if outcome.method == Method::CopyFileRange && outcome.shared_bytes.is_none() && may_share {
        // btrfs and XFS may have shared the extents instead of copying them.
        let start = job.range.map_or(0, |r| r.offset_out);
        let end = match job.range {
            Some(_) => start + outcome.bytes,
            None => u64::MAX,
        };
        outcome.shared_bytes = shared_bytes(dst.as_fd(), start..end, dest_fs);
    }
    Ok(outcome)
}

/// `FICLONE`; under `--reflink=auto` a clone that cannot be made here falls back to a sparse
/// or whole-file copy (the clone column of [`super::outcome::ERRNO_TABLE`]).
fn copy_reflink(engine: &Engine<'_>, job: &Job, src: &Fd, dst: &Fd) -> Result<Outcome, ExecError> {
    let mut cloned = ioctl_ficlone(dst, src);
    if cloned == Err(rustix::io::Errno::INVAL)
        && job.clone == CloneMode::Must
        && fstat(dst).is_ok_and(|st| st.st_size > 0)
    {
        // DEST was not emptied because exec/open.rs judged that no clone can be made here,
        // yet the filesystem answered EINVAL, which btrfs and XFS give for a SOURCE whose end
        // is not block-aligned cloned into the middle of a longer file: it clones after all,
        // so empty DEST now and clone again, as onto any DEST (a safety net for that judgement).
        ftruncate(dst, 0).map_err(|errno| ExecError::Extend {
            path: job.dest.display_path().to_owned(),
            errno,
        })?;
        cloned = ioctl_ficlone(dst, src);
    }
    match cloned {
        Ok(()) => {
            let size = fstat(src).map(|st| st.st_size as u64).unwrap_or(0);
            // A DEST left unemptied (exec/open.rs judged no clone possible, wrongly) and longer
            // than SOURCE keeps its tail past the clone: cut it to SOURCE's size.
            if fstat(dst).is_ok_and(|st| st.st_size as u64 > size) {
                ftruncate(dst, size).map_err(|errno| ExecError::Extend {
                    path: job.dest.display_path().to_owned(),
                    errno,
                })?;
            }
            engine.advance(Method::Reflink, size);
            let mut outcome = Outcome::new();
            outcome.bytes = size;
            outcome.method = Method::Reflink;
            outcome.extents = 1;
            outcome.shared_bytes = Some(size);
            Ok(outcome)
        }
        Err(errno)
            if job.clone == CloneMode::Must
                || on_errno(Mechanism::Clone, errno, false) == OnErrno::Fail =>
        {
            Err(ExecError::Clone {
                source: job.source.display_path().to_owned(),
                dest: job.dest.display_path().to_owned(),
                errno,
            })
        }
        Err(_) => {
            let mut outcome = Outcome::new();
            outcome.clone_failed = true;
            let looks_sparse = fstat(src)
                .map(|st| (st.st_blocks as u64) * 512 < st.st_size as u64)
                .unwrap_or(false);
            if looks_sparse {
                copy_sparse(engine, job, src, dst, outcome)
            } else {
                copy_whole(engine, job, src, dst, outcome)
            }
        }
    }
}

/// Whole-file copy: copy_file_range where allowed, falling back to read/write from where it
/// stopped.
fn copy_whole(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    mut outcome: Outcome,
) -> Result<Outcome, ExecError> {
    let source_seekable = matches!(
        job.source_facts.kind,
        FileKind::Regular | FileKind::BlockDevice
    );
    // Bytes copied before (an in-place DEST's first page, exec/overwrite.rs): on from there.
    let before = outcome.bytes;
    let mut at = Offsets {
        input: start_pos(&job.source, source_seekable, before),
        output: start_pos(&job.dest, job.dest_seekable, before),
    };
    // `--method=copy-file-range` means copy_file_range or a clear error, even for a source the
    // planner would read (procfs, a pipe): the kernel's answer becomes the message.
    let use_cfr = job.kernel_copy_only || (job.kernel_copy && job.strategy != Strategy::ReadWrite);
    let skip_zeros = job.detect_zeros && !use_cfr;
    let span = Span::of_job(engine, job, (src.as_fd(), dst.as_fd()), use_cfr, skip_zeros);
    let mut copied = before;
    let rest = job.len.map(|len| len.saturating_sub(before));
    if rest != Some(0) {
        let more = span.copy(&mut at, rest, &mut outcome)?;
        outcome.bytes += more;
        copied += more;
    }
    // Without a size (streams, procfs) the span went to end of file already.
    if job.len.is_some() {
        copied += copy_past_size(&span, &mut at, &mut outcome)?;
    }
    // Zeros skipped at the end are a hole DEST does not have yet: it ends where SOURCE did.
    if let (true, Some(end)) = (skip_zeros && outcome.zeros, at.output) {
        ftruncate(dst, end).map_err(|errno| ExecError::Extend {
            path: job.dest.display_path().to_owned(),
            errno,
        })?;
    }
    outcome.extents = u64::from(copied > 0);
    Ok(outcome)
}

/// DESIGN rule 9: the size at open was a hint. After a whole file's `job.len` bytes, one read
/// at that offset asks the kernel where the file ends; data there (a growing log, a FUSE or
/// network file whose `st_size` is too small) is copied on to end of file, as cp does.
/// Returns the bytes added.
fn copy_past_size(
    span: &Span<'_, '_>,
    at: &mut Offsets,
    outcome: &mut Outcome,
) -> Result<u64, ExecError> {
    // A stream has no offset to ask at; its copy went to end of file already.
    let Some(pos) = at.input else {
        return Ok(0);
    };
    if rw::at_eof(span.src, pos) {
        return Ok(0);
    }
    let more = span.copy(at, None, outcome)?;
    outcome.bytes += more;
    Ok(more)
}

/// What [`copy_extents`] found and copied.
pub(super) struct ExtentsCopied {
    /// Bytes of data extents seen (the extent lengths, whatever was copied).
    pub data: u64,
    /// The source ended inside an extent, at this offset (it shrank while being copied).
    pub ended_at: Option<u64>,
    /// The filesystem could not say where the holes are (all taken as data).
    pub no_seek_hole: bool,
}

/// Copies the data extents of `span.src` below `size` to the same offsets of `span.dst`, each
/// as a span copy; holes are skipped (DESIGN rule 5). Once copy_file_range gives way,
/// the remaining extents use read/write. The caller sets the destination's size.
pub(super) fn copy_extents(
    span: &mut Span<'_, '_>,
    size: u64,
    outcome: &mut Outcome,
) -> Result<ExtentsCopied, ExecError> {
    let mut extents = DataExtents::new(span.src, size);
    let mut data = 0;
    let mut ended_at = None;
    // Where the last extent ended: the holes between extents leave the progress bar's total,
    // which counted the file's size (new user, round 10: a tree holding a 10 MiB sparse file
    // ended at "0% ... 5/5 files"; round 17: counted as copied, they inflated rate and ETA).
    let mut done_to = 0;
    for extent in extents.by_ref() {
        let extent = extent.map_err(|errno| ExecError::Seek {
            path: span.src_name.display_path().to_owned(),
            errno,
        })?;
        span.engine.skip(extent.start.saturating_sub(done_to));
        done_to = extent.end;
        let len = extent.end - extent.start;
        let before = outcome.fallback;
        let copied = span.copy(&mut Offsets::both(extent.start), Some(len), outcome)?;
        if outcome.fallback != before {
            // This filesystem pair cannot do it: do the remaining extents with read/write.
            span.use_cfr = false;
        }
        data += len;
        outcome.bytes += copied;
        outcome.extents += 1;
        if copied < len {
            // The source ended inside this extent.
            ended_at = Some(extent.start + copied);
            break;
        }
    }
    if ended_at.is_none() {
        span.engine.skip(size.saturating_sub(done_to));
    }
    Ok(ExtentsCopied {
        data,
        ended_at,
        no_seek_hole: extents.unsupported(),
    })
}

/// Sparse copy: only the data extents are copied; the destination ends with ftruncate.
fn copy_sparse(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    mut outcome: Outcome,
) -> Result<Outcome, ExecError> {
    let size = job.len.unwrap_or(0);
    let use_cfr = job.kernel_copy && !job.detect_zeros;
    let ends = (src.as_fd(), dst.as_fd());
    let mut span = Span::of_job(engine, job, ends, use_cfr, job.detect_zeros);
    let copied = copy_extents(&mut span, size, &mut outcome)?;
    outcome.seek_hole = !copied.no_seek_hole && copied.data < size;
    // The layout was taken at open; the file ends where the kernel says now (DESIGN rule 9):
    // data past the old size is copied on; a source that shrank (SEEK_DATA said ENXIO, or an
    // extent read came up short) ends at its real size, never padded with zeros it lost.
    let end = match copied.ended_at {
        // The source ended inside an extent: it shrank, maybe into a hole before this extent
        // (copy_file_range then answers 0 at the extent's start). DEST ends where the source
        // ends now, never past what was copied: a hole left before that end stays a hole.
        Some(end) => fstat(src).map_or(end, |st| end.min(st.st_size as u64)),
        None => {
            let grew = copy_past_size(&span, &mut Offsets::both(size), &mut outcome)?;
            if grew > 0 {
                size + grew
            } else {
                fstat(src).map_or(size, |st| size.min(st.st_size as u64))
            }
        }
    };
    ftruncate(dst, end).map_err(|errno| ExecError::Extend {
        path: job.dest.display_path().to_owned(),
        errno,
    })?;
    Ok(outcome)
}
