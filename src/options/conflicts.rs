//! The flag-conflict rules: one table of pairs of settings that cannot be used together, each
//! with its [`Conflict`] (worded in `report/messages/settings.rs`). GNU cp's own rules come from
//! cp.c's option checks (GNU 9.5 wording); the others guard fcopy's own flags.

use super::values::{MethodChoice, ReflinkWhen, SparseWhen, UpdateWhen};
use crate::cli::Args;

/// Two settings given together that no file can make valid: a usage error.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// `--reflink=always` with `--sparse` other than `auto` (GNU cp.c).
    ReflinkNeedsSparseAuto,
    /// `--method=copy-file-range` with `--reflink=never`: copy_file_range may clone.
    CopyFileRangeWithReflinkNever,
    /// `--method=copy-file-range` with `--sparse=never`: that writes every byte with write(2).
    CopyFileRangeWithSparseNever,
    /// `--method=copy-file-range` with `--sparse=always`: finding zeros needs read(2).
    CopyFileRangeWithSparseAlways,
    /// `--method=read-write` with `--reflink=always`.
    ReadWriteWithReflinkAlways,
    /// Backups (a control other than `none`) with `-n`, `--update=none` or `--update=none-fail`
    /// (GNU 9.6's rule, whose tests/cp/cp-i.sh checks all three; 9.1 refused `--backup` with
    /// `--no-clobber` only).
    BackupWithNoClobber,
    /// `-l` with `-s` (GNU cp.c).
    HardAndSymbolicLinks,
    /// A byte range (`--offset-in`, `--offset-out`, `--len`) with `--parents`.
    RangeWithParents,
    /// A byte range with `-r`/`-a`: a range copies one file.
    RangeWithRecursive,
    /// A byte range with `-l` or `-s`: a link has no bytes of its own to write; the range was
    /// dropped and DEST became a link to all of SOURCE, `-f` replacing a file meant to be
    /// patched (new user, round 10).
    RangeWithLinks,
    /// A byte range with `--attributes-only`: no data is copied (the range was dropped, an
    /// empty DEST made; new user, round 10).
    RangeWithAttributesOnly,
    /// `--batch` with SOURCE or DEST operands.
    BatchWithOperands,
    /// `--batch` with `-t`.
    BatchWithTargetDirectory,
    /// `--batch` with `--parents`: a job line names its DEST itself, and GNU's `--parents`
    /// needs a directory to recreate SOURCE's path in (new-user trial, round 6: the two
    /// together wrote DEST beside SOURCE).
    BatchWithParents,
    /// `-0`/`--null` without `--batch` or `--files-from`.
    NullWithoutBatch,
    /// `--files-from` with `--batch`: a job list already names every SOURCE.
    FilesFromWithBatch,
    /// `--files-from` with `-T`: the listed names go into a directory.
    FilesFromWithNoTargetDirectory,
    /// `--update=changed` with a byte range.
    UpdateChangedWithRange,
    /// `--checksum` without `--update=changed`: it refines that rule and has no meaning alone.
    ChecksumWithoutUpdateChanged,
    /// `--resume` with a byte range: a range already says where to write.
    ResumeWithRange,
    /// `--verify` with `-l`, `-s` or `--attributes-only`: no bytes are copied to check; the
    /// option was accepted and silently did nothing (new user, round 14).
    VerifyWithoutCopy,
    /// `--resume` with `-l`, `-s` or `--attributes-only`: no bytes are copied to continue; the
    /// option was accepted and silently did nothing (new user, round 14).
    ResumeWithoutCopy,
    /// Backups with a byte range, without `--atomic`: the backup renames DEST away before the
    /// range is planned, and the range would then fill a new, empty DEST (new-user report,
    /// round 9: the bytes outside the range were left only in the backup). `--atomic` keeps
    /// them: the backup is a link and the range is applied to a copy of DEST.
    BackupWithRangeNeedsAtomic,
    /// `--remove-destination` with a byte range, without `--atomic`: DEST's bytes outside the
    /// range would be removed with it (as [`Conflict::BackupWithRangeNeedsAtomic`]).
    RemoveDestinationWithRangeNeedsAtomic,
    /// `-t` with `-T` (GNU cp.c: an error without the "Try --help" line).
    TargetDirectoryWithNoTargetDirectory,
}

impl Conflict {
    /// Whether the message is followed by "Try 'fcopy --help' ..." (as GNU's `usage` adds).
    pub fn try_help(self) -> bool {
        self != Conflict::TargetDirectoryWithNoTargetDirectory
    }
}

/// What the table's rules look at: the flags, and what had to be resolved first.
pub struct Given<'a> {
    pub args: &'a Args,
    /// Backups are on: `-b`, `--backup` or `-S`, with a control other than `none` (after
    /// `VERSION_CONTROL`).
    pub backup: bool,
}

impl Given<'_> {
    /// No file's bytes are copied: links are made (`-l`, `-s`) or only attributes copied.
    fn copies_no_bytes(&self) -> bool {
        self.args.link || self.args.symbolic_link || self.args.attributes_only
    }
}

/// One rule: `first` and `second` both hold → `conflict`.
pub struct Row {
    pub conflict: Conflict,
    pub first: fn(&Given<'_>) -> bool,
    pub second: fn(&Given<'_>) -> bool,
}

const fn row(
    conflict: Conflict,
    first: fn(&Given<'_>) -> bool,
    second: fn(&Given<'_>) -> bool,
) -> Row {
    Row {
        conflict,
        first,
        second,
    }
}

/// Every flag conflict, in the order they are checked (the first that applies is reported).
pub const CONFLICTS: &[Row] = &[
    row(
        Conflict::ReflinkNeedsSparseAuto,
        |g| g.args.reflink == ReflinkWhen::Always,
        |g| g.args.sparse != SparseWhen::Auto,
    ),
    row(
        Conflict::CopyFileRangeWithReflinkNever,
        |g| g.args.method == MethodChoice::CopyFileRange,
        |g| g.args.reflink == ReflinkWhen::Never,
    ),
    row(
        Conflict::CopyFileRangeWithSparseNever,
        |g| g.args.method == MethodChoice::CopyFileRange,
        |g| g.args.sparse == SparseWhen::Never,
    ),
    row(
        Conflict::CopyFileRangeWithSparseAlways,
        |g| g.args.method == MethodChoice::CopyFileRange,
        |g| g.args.sparse == SparseWhen::Always,
    ),
    row(
        Conflict::ReadWriteWithReflinkAlways,
        |g| g.args.method == MethodChoice::ReadWrite,
        |g| g.args.reflink == ReflinkWhen::Always,
    ),
    row(
        Conflict::BackupWithNoClobber,
        |g| g.backup,
        |g| {
            g.args.no_clobber
                || matches!(g.args.update, Some(UpdateWhen::None | UpdateWhen::NoneFail))
        },
    ),
    row(
        Conflict::HardAndSymbolicLinks,
        |g| g.args.link,
        |g| g.args.symbolic_link,
    ),
    row(
        Conflict::RangeWithParents,
        |g| g.args.is_ranged(),
        |g| g.args.parents,
    ),
    row(
        Conflict::RangeWithRecursive,
        |g| g.args.is_ranged(),
        |g| g.args.recursive || g.args.archive,
    ),
    row(
        Conflict::RangeWithLinks,
        |g| g.args.is_ranged(),
        |g| g.args.link || g.args.symbolic_link,
    ),
    row(
        Conflict::RangeWithAttributesOnly,
        |g| g.args.is_ranged(),
        |g| g.args.attributes_only,
    ),
    row(
        Conflict::BatchWithOperands,
        |g| g.args.batch.is_some(),
        |g| !g.args.operands.is_empty(),
    ),
    row(
        Conflict::BatchWithTargetDirectory,
        |g| g.args.batch.is_some(),
        |g| g.args.target_directory.is_some(),
    ),
    row(
        Conflict::BatchWithParents,
        |g| g.args.batch.is_some(),
        |g| g.args.parents,
    ),
    row(
        Conflict::NullWithoutBatch,
        |g| g.args.null,
        |g| g.args.batch.is_none() && g.args.restart.files_from.is_none(),
    ),
    row(
        Conflict::FilesFromWithBatch,
        |g| g.args.restart.files_from.is_some(),
        |g| g.args.batch.is_some(),
    ),
    row(
        Conflict::FilesFromWithNoTargetDirectory,
        |g| g.args.restart.files_from.is_some(),
        |g| g.args.no_target_directory,
    ),
    row(
        Conflict::UpdateChangedWithRange,
        |g| g.args.update == Some(UpdateWhen::Changed),
        |g| g.args.is_ranged(),
    ),
    row(
        Conflict::ChecksumWithoutUpdateChanged,
        |g| g.args.restart.checksum,
        |g| g.args.no_clobber || g.args.update != Some(UpdateWhen::Changed),
    ),
    row(
        Conflict::ResumeWithRange,
        |g| g.args.restart.resume,
        |g| g.args.is_ranged(),
    ),
    row(
        Conflict::VerifyWithoutCopy,
        |g| g.args.restart.verify.is_some(),
        |g| g.copies_no_bytes(),
    ),
    row(
        Conflict::ResumeWithoutCopy,
        |g| g.args.restart.resume,
        |g| g.copies_no_bytes(),
    ),
    row(
        Conflict::BackupWithRangeNeedsAtomic,
        |g| g.backup && !g.args.atomic,
        |g| g.args.is_ranged(),
    ),
    row(
        Conflict::RemoveDestinationWithRangeNeedsAtomic,
        |g| g.args.remove_destination && !g.args.atomic,
        |g| g.args.is_ranged(),
    ),
    row(
        Conflict::TargetDirectoryWithNoTargetDirectory,
        |g| g.args.target_directory.is_some(),
        |g| g.args.no_target_directory,
    ),
];

/// The first rule of [`CONFLICTS`] these settings break.
pub fn check(given: &Given<'_>) -> Result<(), Conflict> {
    match CONFLICTS
        .iter()
        .find(|row| (row.first)(given) && (row.second)(given))
    {
        Some(row) => Err(row.conflict),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
