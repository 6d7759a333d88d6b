//! The executor's typed errors: what failed, on which path, with which errno and numbers. Their
//! wording (GNU cp's texts where cp has one) is in `report/messages/exec.rs`.

use std::path::PathBuf;

use rustix::io::Errno;

use super::Reason;
use crate::exec::verify::VerifyError;

/// Why one job failed. Paths are as shown to the user (the operand's spelling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecError {
    /// SIGINT or SIGTERM arrived before the job began.
    InterruptedBefore { source: PathBuf },
    /// SIGINT or SIGTERM stopped a copy in place; `partial` says what became of DEST.
    Interrupted {
        source: PathBuf,
        dest: PathBuf,
        partial: Partial,
    },
    /// SIGINT or SIGTERM stopped an `--atomic` copy: DEST was left as it was (`existed`) or not
    /// created; under `--resume`, `kept` names the partial file kept for the next run (as
    /// shown: `DIR/.NAME.fcopy-partial`).
    InterruptedAtomic {
        source: PathBuf,
        dest: PathBuf,
        existed: bool,
        kept: Option<PathBuf>,
    },
    /// `open(SOURCE)` failed.
    OpenSource { path: PathBuf, errno: Errno },
    /// `fstat` of an open file failed.
    Fstat { path: PathBuf, errno: Errno },
    /// SOURCE is no longer the file that was planned (another inode, or now a symlink).
    SourceReplaced { path: PathBuf },
    /// Creating DEST failed (GNU cp also words a failed open of an existing DEST so).
    CreateDest { path: PathBuf, errno: Errno },
    /// Opening an existing DEST for a ranged copy failed.
    OpenDest { path: PathBuf, errno: Errno },
    /// `-f`: an existing DEST that could not be opened could not be removed either (GNU cp
    /// 9.1's copy_reg, `unlink_dest_after_failed_open`: "cannot remove", the unlink's errno).
    RemoveDest { path: PathBuf, errno: Errno },
    /// DEST is no longer the file that was checked (rule 10: never written through).
    DestReplaced { path: PathBuf },
    /// `FICLONE` failed where a clone was required or where a copy would fail alike.
    Clone {
        source: PathBuf,
        dest: PathBuf,
        errno: Errno,
    },
    /// `--reflink=always` with a byte range that holds no `block`-sized block (bytes) at a
    /// block boundary of both files: nothing could be cloned, and no clone was tried.
    CloneUnaligned {
        source: PathBuf,
        dest: PathBuf,
        block: u64,
    },
    /// `lseek(SEEK_DATA/SEEK_HOLE)` on SOURCE failed.
    Seek { path: PathBuf, errno: Errno },
    /// The final `ftruncate` of a sparse DEST failed.
    Extend { path: PathBuf, errno: Errno },
    /// `ftruncate` failed to cut a DEST overwritten in place to the bytes copied.
    Cut { path: PathBuf, errno: Errno },
    /// Reading SOURCE failed.
    Read { path: PathBuf, errno: Errno },
    /// Writing DEST failed.
    Write { path: PathBuf, errno: Errno },
    /// An in-kernel copy (copy_file_range, sendfile) failed with a real error.
    Copy {
        source: PathBuf,
        dest: PathBuf,
        errno: Errno,
    },
    /// Not even the smallest copy buffer could be allocated (a memory limit): this file fails,
    /// the run goes on (issue 14).
    NoMemory { source: PathBuf, dest: PathBuf },
    /// A stream SOURCE ended after `skipped` bytes, before `--offset-in`.
    EndedBeforeOffset {
        path: PathBuf,
        skipped: u64,
        offset_in: u64,
        names: crate::plan::RangeNames,
    },
    /// A ranged copy from a stream (or a file whose size says nothing) ended before `--len`:
    /// `got` bytes of `len`, where known.
    EndedEarly {
        path: PathBuf,
        got: Option<u64>,
        len: Option<u64>,
    },
    /// SOURCE ended before the bytes a range promised (it shrank while being copied).
    Shrank { path: PathBuf },
    /// `--method=copy-file-range`: copy_file_range stopped before the end of SOURCE.
    KernelCopyStopped { path: PathBuf },
    /// `--method=copy-file-range`: copy_file_range copied nothing (a /proc file, say).
    KernelCopyNothing { path: PathBuf },
    /// `--method=copy-file-range`: copy_file_range cannot copy this pair.
    KernelCopyRefused {
        source: PathBuf,
        dest: PathBuf,
        reason: Reason,
    },
    /// `fsync` (`--sync`) of a file or directory failed.
    Sync { path: PathBuf, errno: Errno },
    /// `close(2)` of DEST reported a delayed write error (NFS, CIFS, FUSE).
    Close { path: PathBuf, errno: Errno },
    /// `--atomic` could not find the file a symlink DEST names.
    ResolveLink { path: PathBuf, errno: Errno },
    /// `--atomic` could not create its temporary in DEST's directory `dir`.
    CreateTemp {
        dir: PathBuf,
        dest: PathBuf,
        errno: Errno,
    },
    /// Ranged `--atomic`: copying DEST's old contents into the temporary failed.
    Prefill {
        path: PathBuf,
        step: PrefillStep,
        errno: Errno,
    },
    /// `--atomic`: renaming the temporary over DEST failed.
    Replace { path: PathBuf, errno: Errno },
    /// `--verify` found a difference or could not compare.
    Verify(VerifyError),
    /// A required attribute could not be preserved.
    Attributes(crate::meta::MetaError),
}

impl ExecError {
    /// A write (or an in-kernel copy) into DEST failed with EPIPE: DEST's reader is gone.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(
            self,
            ExecError::Write { errno, .. } | ExecError::Copy { errno, .. } if *errno == Errno::PIPE
        )
    }
}

/// What an interrupted copy in place did with DEST.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Partial {
    /// DEST existed: nothing to say beyond the interruption.
    Untouched,
    /// DEST was new and has been removed.
    Removed,
    /// DEST was kept for `--resume`.
    KeptForResume,
    /// DEST was new because `--backup` had renamed the old one, and the backup was put back.
    RestoredFromBackup,
}

/// Which part of the `--atomic` pre-fill failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PrefillStep {
    Reading,
    Copying,
}

/// A note about DEST after a failure: what became of an existing file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestNote {
    /// A whole-file copy truncated DEST and failed. With `len`, DEST holds just the copy's
    /// first `len` bytes (its size, no more than this job wrote): "incomplete" was said of a
    /// DEST that held all of SOURCE, when only the read that looks for SOURCE's end failed
    /// (red team, round 19).
    Incomplete { path: PathBuf, len: Option<u64> },
    /// The same, DEST left empty (an in-place overwrite is emptied on failure,
    /// exec/overwrite.rs): "incomplete" said it held part of the copy (new-user trial,
    /// round 18).
    Emptied { path: PathBuf },
    /// A copy `--resume` started into a new DEST failed (not by a signal, which says so in
    /// its own words): DEST is kept, `len` bytes long, for a later `--resume` to continue.
    /// Said nothing before (helper-86, round 17: after "No space left on device" the user
    /// could not tell the 1 MiB file left behind was kept on purpose).
    KeptNew { path: PathBuf, len: u64 },
    /// A ranged copy failed inside the range.
    PartlyWritten { path: PathBuf },
    /// A copy `--resume` continued from byte `from` failed: DEST is kept, its first `from`
    /// bytes as they were, so a later `--resume` continues it.
    KeptForResume { path: PathBuf, from: u64 },
    /// A copy `--resume` continued from byte `from` failed `--verify`. With `cut_at`, DEST
    /// was cut at the first byte that differs, so the next `--resume` copies the rest from
    /// there. Without it, DEST is kept as it is, at SOURCE's size, where a `--resume` would
    /// take it as complete: only a run without `--resume` copies it again (red team, round 12:
    /// the note said any new run would, and the next `--resume` exited 0 with wrong bytes).
    ResumedDiffers {
        path: PathBuf,
        from: u64,
        cut_at: Option<u64>,
    },
    /// `close(2)` failed after overwriting DEST.
    MayBeIncomplete { path: PathBuf },
    /// `--atomic --sync`: DEST was replaced, but its directory could not be flushed.
    NotDurable { path: PathBuf },
    /// The old DEST was removed before the copy (`--remove-destination`, or `-f` on a DEST that
    /// could not be opened) and the copy failed: nothing is left of it (red team, round 11: a
    /// full disk said only "No space left on device").
    RemovedBefore { path: PathBuf },
}

/// A problem that does not fail the copy, shown as a warning (worded in
/// `report/messages/exec.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// An attribute that could not be preserved but is not required (e.g. xattrs unsupported).
    Attributes(crate::meta::MetaError),
    /// `--atomic` could not give the new file the old file's owner.
    KeepOwner(KeepOwnerWarning),
    /// `--verify` was asked for and DEST (as shown) was copied but could not be verified.
    NotVerified {
        dest: PathBuf,
        why: super::verify::Unverifiable,
    },
}

/// A warning: `--atomic` could not give the replacement DEST's owner (`uid`:`gid`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeepOwnerWarning {
    pub path: PathBuf,
    pub uid: u32,
    pub gid: u32,
    pub errno: Errno,
}

/// A failed job: the typed error, a note about DEST if any, and whether a signal stopped it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobError {
    /// Boxed: a `Result<_, JobError>` stays small on the success path.
    pub error: Box<ExecError>,
    pub dest_note: Option<DestNote>,
    /// The copy stopped because of SIGINT/SIGTERM.
    pub interrupted: bool,
    /// Bytes this job wrote that DEST keeps after the failure (a partial copy kept for
    /// `--resume`, data whose attributes failed); counted in `--stats`, the summary and the
    /// JSON record's `bytes`, which said 0 for them (helper-86, round 17). `None`: DEST keeps
    /// nothing of this job, or how much is not known (a byte range, a stream).
    pub kept: Option<u64>,
    /// The byte a `--resume` continued from where the job's plan does not say it: an
    /// `--atomic` copy that went on with a kept partial file (red team, round 19: its failed
    /// record said `"resumed_from": null`, so its `bytes` read as the whole prefix).
    pub resumed_from: Option<u64>,
    /// The method that moved the bytes DEST keeps ([`JobError::kept`] above 0), for
    /// `--json`'s `method`; `None` when it keeps none.
    pub method: Option<super::Method>,
    /// DEST was removed after it could not be opened (`-f`), before the failure.
    pub removed_dest: bool,
}

impl JobError {
    /// The old DEST was put back from its backup after this error: an interrupted copy says
    /// so (it said only "the partial copy was removed": new-user trial, round 8).
    pub fn backup_restored(&mut self) {
        if let ExecError::Interrupted { partial, .. } = &mut *self.error {
            if *partial == Partial::Removed {
                *partial = Partial::RestoredFromBackup;
            }
        }
    }

    /// A stop signal came before the job started: it did nothing.
    pub fn not_started(&self) -> bool {
        matches!(*self.error, ExecError::InterruptedBefore { .. })
    }

    /// A job error without a note.
    pub fn new(error: ExecError) -> Self {
        let interrupted = matches!(
            error,
            ExecError::InterruptedBefore { .. }
                | ExecError::Interrupted { .. }
                | ExecError::InterruptedAtomic { .. }
        );
        JobError {
            error: Box::new(error),
            dest_note: None,
            interrupted,
            kept: None,
            resumed_from: None,
            method: None,
            removed_dest: false,
        }
    }

    /// Replaces the error, keeping the note and the bytes kept.
    pub fn set_error(&mut self, error: ExecError) {
        let note = self.dest_note.take();
        let kept = self.kept;
        *self = JobError::new(error);
        self.set_note(note);
        self.kept = kept;
    }

    /// Sets (or clears) the note about DEST.
    pub fn set_note(&mut self, note: Option<DestNote>) {
        self.dest_note = note;
    }
}

impl From<ExecError> for JobError {
    fn from(error: ExecError) -> Self {
        JobError::new(error)
    }
}

impl From<VerifyError> for JobError {
    fn from(error: VerifyError) -> Self {
        JobError::new(ExecError::Verify(error))
    }
}
