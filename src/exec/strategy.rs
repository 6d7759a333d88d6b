//! The strategies the planner chooses (DESIGN section 1): reflink, whole-file copy_file_range or
//! read/write, sparse (data extents only) and ranged; each drives [`Span`] copies and fills in
//! the [`Outcome`].

use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{fstat, ftruncate, ioctl_ficlone};

use super::clone::{copy_range_cloning, shared_bytes};
use super::extents::DataExtents;
use super::offsets::Offsets;
use super::open::{start_pos, Fd};
use super::outcome::{on_errno, Mechanism, OnErrno};
use super::span::Span;
use super::{rw, Engine, ExecError, Method, Outcome};
use crate::facts::FileKind;
use crate::plan::{ByteRange, CloneMode, Endpoint, Job, Strategy};

mod splice;

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
        Strategy::Sparse if job.dest == Endpoint::Stdio => {
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
            engine.progress.advance(size);
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
    let span = Span::of_job(engine, job, (src.as_fd(), dst.as_fd()), use_cfr, false);
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
    for extent in extents.by_ref() {
        let extent = extent.map_err(|errno| ExecError::Seek {
            path: span.src_name.to_owned(),
            errno,
        })?;
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

/// Ranged copy: one byte range, the destination never truncated.
fn copy_range(engine: &Engine<'_>, job: &Job, src: &Fd, dst: &Fd) -> Result<Outcome, ExecError> {
    let range = job.range.expect("a ranged job has a range");
    let mut outcome = Outcome::new();
    // Standard input, FIFOs, sockets and character devices are read from where they are
    // (`--offset-in` skipped by reading); only files and block devices take an offset.
    let stream = job.source == Endpoint::Stdio
        || matches!(
            job.source_facts.kind,
            FileKind::Fifo | FileKind::Socket | FileKind::CharDevice
        );
    let input = if stream {
        skip_to_offset(job, src.as_fd(), range.offset_in)?;
        None
    } else {
        Some(range.offset_in)
    };
    // A destination that cannot seek (a pipe, a FIFO, a terminal) is written where it is: the
    // planner allowed only --offset-out 0 there.
    let mut at = Offsets {
        input,
        output: job.dest_seekable.then_some(range.offset_out),
    };
    let ends = (src.as_fd(), dst.as_fd());
    if range.overlap {
        let len = range.len.unwrap_or(0);
        let span = Span::of_job(engine, job, ends, false, false);
        let copied = if range.offset_out > range.offset_in {
            let (from, to) = (range.offset_in, range.offset_out);
            rw::copy_backward(engine, ends.0, from, ends.1, to, len)
                .map_err(|e| span.rw_error(e))?
        } else {
            span.copy(&mut at, Some(len), &mut outcome)?
        };
        outcome.bytes = copied;
        outcome.method = Method::ReadWrite;
        outcome.extents = u64::from(copied > 0);
        return Ok(outcome);
    }
    // Over existing data between two ext4 files, copy_file_range is the kernel's slower
    // splice ([`splice`]).
    let read_write_pays = !stream && splice::ranged_read_write_pays(job, &range, dst.as_fd());
    let use_cfr = job.kernel_copy && !stream;
    let span = Span::of_job(engine, job, ends, use_cfr, false);
    let copied = match (job.clone, range.len) {
        (_, Some(len)) if read_write_pays => {
            span.copy_read_write(&mut at, len, splice::PIECE, &mut outcome)
        }
        (CloneMode::Try | CloneMode::Must, Some(len)) if !stream => {
            copy_range_cloning(job, &span, &mut at, len, &mut outcome)
        }
        (CloneMode::Must, _) => Err(ExecError::Clone {
            source: job.source.display_path().to_owned(),
            dest: job.dest.display_path().to_owned(),
            errno: rustix::io::Errno::INVAL,
        }),
        _ => span.copy(&mut at, range.len, &mut outcome),
    };
    let copied = copied.map_err(|e| ended_early(e, job, stream, &range, &at))?;
    // A `--resume`d whole-file copy (a range from DEST's size) ends where the kernel says, as
    // the whole-file copy it stands for does (DESIGN rule 9): a SOURCE whose size is too small
    // (FUSE) was taken for complete by a DEST of that size (red team, round 7).
    let more = match job.restart.resumed_from {
        Some(_) if !stream => copy_past_size(&span, &mut at, &mut outcome)?,
        _ => 0,
    };
    outcome.bytes = copied + more;
    outcome.extents = u64::from(copied + more > 0);
    Ok(outcome)
}

/// A ranged copy's failure as said: a stream, or a file whose size says nothing (/proc), is
/// not "changed" when it ends early; it is shorter than the range asked for, by how much.
fn ended_early(
    e: ExecError,
    job: &Job,
    stream: bool,
    range: &ByteRange,
    at: &Offsets,
) -> ExecError {
    match e {
        ExecError::Shrank { path } if stream || !job.source_facts.has_trusted_size() => {
            let got = match (at.input, at.output) {
                (Some(pos), _) => Some(pos - range.offset_in),
                (None, Some(pos)) => Some(pos - range.offset_out),
                (None, None) => None,
            };
            ExecError::EndedEarly {
                path,
                got,
                len: range.len,
            }
        }
        other => other,
    }
}

/// A stream source's `--offset-in`: reads and drops that many bytes.
fn skip_to_offset(job: &Job, src: BorrowedFd<'_>, offset_in: u64) -> Result<(), ExecError> {
    let path = job.source.display_path().to_owned();
    let skipped = rw::skip(src, offset_in).map_err(|errno| ExecError::Read {
        path: path.clone(),
        errno,
    })?;
    if skipped < offset_in {
        return Err(ExecError::EndedBeforeOffset {
            path,
            skipped,
            offset_in,
        });
    }
    Ok(())
}
