//! `--offset-in`, `--offset-out` and `--len` resolved against the source's size: the byte
//! range a ranged job copies, or why it cannot (past the end, past the largest offset); and
//! whether it keeps SOURCE's holes.

use std::path::Path;

use super::{dest_regular, ByteRange, Job, PlanError, RangeArgs};
use crate::facts::{DestFacts, FileFacts, FileKind};
use crate::options::values::SparseWhen;
use crate::units::MAX_OFFSET;

/// Resolves `range` for `source` (a `stream` has no size to check against). `same_file`: source
/// and destination are one file, so overlapping spans are flagged for the executor.
///
/// Errors: an offset or length past the source's end, or an end past 2^63-1 (`MAX_OFFSET`).
pub(super) fn resolve_range(
    range: &RangeArgs,
    source: &FileFacts,
    stream: bool,
    src_path: &Path,
    same_file: bool,
) -> Result<ByteRange, PlanError> {
    let offset_in = range.offset_in.as_ref().map_or(0, |a| a.value);
    let offset_out = range.offset_out.as_ref().map_or(0, |a| a.value);
    let len = if source.has_known_end() && !stream {
        Some(checked_len(range, source, offset_in, src_path)?)
    } else {
        range.len.as_ref().map(|l| l.value)
    };
    let span = len.unwrap_or(0);
    let names = range.names;
    for (flag, offset) in [
        (names.offset_in(), offset_in),
        (names.offset_out(), offset_out),
    ] {
        if offset.checked_add(span).is_none_or(|end| end > MAX_OFFSET) {
            let len_given = range.len.is_some();
            return Err(PlanError::RangeTooLarge {
                flag,
                len_given,
                names,
            });
        }
    }
    let overlap =
        same_file && span > 0 && offset_in < offset_out + span && offset_out < offset_in + span;
    Ok(ByteRange {
        offset_in,
        offset_out,
        len,
        overlap,
        names,
    })
}

/// The length to copy from a source of known size: `--len`, or to the end; an error past it.
fn checked_len(
    range: &RangeArgs,
    source: &FileFacts,
    offset_in: u64,
    src_path: &Path,
) -> Result<u64, PlanError> {
    let size = source.size;
    if offset_in > size {
        return Err(PlanError::OffsetInPastEnd {
            arg: range
                .offset_in
                .clone()
                .expect("offset_in > size implies it was given"),
            source: src_path.to_path_buf(),
            size,
            names: range.names,
        });
    }
    match &range.len {
        Some(len) if len.value > size - offset_in => Err(PlanError::LenPastEnd {
            len: len.clone(),
            offset_in,
            source: src_path.to_path_buf(),
            size,
            names: range.names,
        }),
        Some(len) => Ok(len.value),
        None => Ok(size - offset_in),
    }
}

/// A byte range reads a file's bytes: a symbolic link SOURCE that is not followed (`-P`, `-d`;
/// `facts` as the drive layer examined it, with `lstat`) would be copied as a link, the range
/// dropped (new user, round 10), so that copy is refused, DEST untouched. A regular file's
/// range is copied under `-P` as under `-L`; the settings step cannot look at SOURCE, so this
/// is decided per file, for the command line's range and a `--batch` line's alike (round 11:
/// the command line refused `-P --len 3 regular-file d`).
///
/// Errors: [`PlanError::RangeOfSymlink`] naming `shown`, SOURCE as given.
pub fn range_of_symlink(ranged: bool, source: &FileFacts, shown: &Path) -> Result<(), PlanError> {
    if ranged && source.kind == FileKind::Symlink {
        return Err(PlanError::RangeOfSymlink(shown.to_path_buf()));
    }
    Ok(())
}

/// The range a resumed copy runs: from `at` in both files to the end of SOURCE.
pub fn range_from(at: u64) -> RangeArgs {
    let arg = crate::units::ByteArg {
        value: at,
        text: at.to_string(),
    };
    RangeArgs {
        offset_in: Some(arg.clone()),
        offset_out: Some(arg),
        len: None,
        names: super::RangeNames::Options,
    }
}

/// Whether a ranged job keeps SOURCE's holes, as a whole-file copy would
/// ([`super::strategy`]): `--sparse=always` (zero runs too), into a regular DEST
/// written at explicit offsets (not standard output: it is written where it is). Not yet under
/// `--sparse=auto`: a range is how tests/cli/faults.rs gets one span of a sparse file (the
/// 1 GiB-per-call test), which an extent walk would split.
pub(super) fn range_holes(job: &mut Job, sparse: SparseWhen, source: &FileFacts, dest: &DestFacts) {
    let into_file = dest_regular(dest) && !matches!(dest, DestFacts::Stdout(_));
    if !into_file || !source.has_trusted_size() || job.source.is_stdio() {
        return;
    }
    if sparse == SparseWhen::Always {
        job.detect_zeros = true;
        job.keep_holes = true;
    }
}

/// Whether a `--resume`d copy (a range from DEST's size to SOURCE's end) keeps SOURCE's holes:
/// where the whole-file copy it continues would ([`super::strategy`]: `--sparse=auto` and a
/// SOURCE that looks sparse; `--sparse=always` is [`range_holes`]'s). New user, round 14: a
/// 20 GiB thin image with 5 MiB of data, resumed, was written as 20 GiB of zeros and failed on
/// a 64 MiB filesystem that the whole copy fits.
pub(super) fn resumed_holes(
    job: &mut Job,
    sparse: SparseWhen,
    source: &FileFacts,
    dest: &DestFacts,
) {
    let into_file = dest_regular(dest) && !matches!(dest, DestFacts::Stdout(_));
    if into_file
        && sparse == SparseWhen::Auto
        && source.looks_sparse()
        && source.has_trusted_size()
        && !job.source.is_stdio()
    {
        job.keep_holes = true;
    }
}

/// A range read from standard input that is DEST's own regular file would never end: it writes
/// ahead of its reads (`--offset-out` past `--offset-in`) with no `--len` to stop it, so it reads
/// what it wrote (red team, round 11: `fcopy --offset-out 10 - g < g` grew `g` to 3.9 GB). A
/// standard input already past its start reads later than `--offset-in` and might end; `--len`
/// says so.
pub(super) fn endless_from_stdin(range: &RangeArgs, stdin: &FileFacts) -> bool {
    let value = |arg: &Option<super::ByteArg>| arg.as_ref().map_or(0, |a| a.value);
    let writes_ahead = value(&range.offset_out) > value(&range.offset_in);
    writes_ahead && range.len.is_none() && stdin.kind == FileKind::Regular
}

#[cfg(test)]
mod tests;
