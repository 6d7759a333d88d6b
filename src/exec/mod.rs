//! The executor: runs one planned job — opens safely, drives reflink / copy_file_range /
//! sendfile / read-write over whole files, extents or a byte range, applies the attributes,
//! makes the result durable — and never prints: it returns an [`Outcome`] or a typed
//! [`JobError`] (worded in `report/messages/exec.rs`).
//!
//! Layout: `outcome` (results and the fallback-errno table), `error` (typed errors),
//! `open` (SOURCE and DEST), `strategy` (reflink, whole file, sparse, ranged), `span` (one
//! span: copy_file_range, sendfile, read/write; preallocation), `cfr`, `rw`, [`extents`],
//! `sync` (`--sync`, checked close), `atomic` and `temp` (`--atomic`).

mod atomic;
pub use atomic::{link_backup, LinkedBackup};
pub use temp::mark_run_start;
mod cfr;
mod clone;
pub mod compare;
pub mod dirs;
mod error;
mod exdev;
pub mod extents;
pub mod nodes;
mod offsets;
mod open;
mod outcome;
mod overwrite;
pub mod partial;
pub mod probe;
pub mod replace;
mod rw;
mod span;
mod strategy;
mod sync;
mod temp;
#[cfg(test)]
mod tests;
pub mod verify;

use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::io::Errno;

use crate::plan::{Job, Strategy};

pub use self::error::{
    DestNote, ExecError, JobError, KeepOwnerWarning, Partial, PrefillStep, Warning,
};
use self::open::{
    created_with_final_mode, is_regular, on_pseudo_fs, open_dest, open_source, CreatedDest, Fd,
};
pub use self::outcome::{
    errno_row, on_errno, ErrnoRow, Mechanism, Method, OnErrno, Outcome, Reason, ERRNO_TABLE,
};
use self::overwrite::Overwrite;
use self::strategy::run_strategy;
pub use self::sync::{close_checked, flush_by_close, sync_tree_dir};
use self::sync::{close_error, mark_unfinished, sync_file, sync_parent};

/// Receives progress from the engine; the default does nothing.
pub trait Progress: Sync {
    /// `bytes` more of SOURCE were copied (written to DEST, or shared by a clone).
    fn advance(&self, _bytes: u64) {}
    /// `bytes` of SOURCE are holes (SEEK_DATA/SEEK_HOLE), which DEST gets as holes or zeros:
    /// part of the size counted in the totals, never copied. Counted as copied, they made a
    /// sparse file's bar jump to 44% at 434 GiB/s and `kill -USR1` say 4.40 GiB copied of a
    /// 1 GiB copy (new-user trial, round 17).
    fn skip(&self, _bytes: u64) {}
    /// A job finished, copied or failed ([`run_job`] says so where the job ran, a worker or
    /// the main thread): the bar's `N/M files` and `kill -USR1`'s count move on at once.
    /// Counted when a worker's hand-off of up to 128 jobs came back, they said `0/≥176 files`
    /// with 15 files on disk, and ended at `122/250` (new-user trial, round 18).
    fn file_done(&self) {}
    /// A job is over, copied or failed, having counted `counted` bytes (copied, or skipped as
    /// holes) of the `planned` it was handed out with ([`Job::progress_bytes`]; `None`: a
    /// stream or `/proc` file, whose length was not known). The total takes the difference:
    /// what a failed or shrunk file will never copy leaves it, what a grown file or a stream
    /// copied joins it, so a finished copy ends at its real total (`done`), where it ended at
    /// `19% ... 31/31 files` (red team, round 19), `2 B/≥2 B` (a stream) or `33%` (a file that
    /// shrank; red team and new-user trial, round 21).
    fn job_ended(&self, _planned: Option<u64>, _counted: u64) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// State shared by every job of a run.
pub struct Engine<'p> {
    /// The most one copy_file_range call is asked for.
    pub chunk: u64,
    pub progress: &'p dyn Progress,
    kernel_lacks_cfr: AtomicBool,
    /// Device pairs between which copy_file_range said EXDEV: not asked again this run.
    exdev_pairs: exdev::ExdevPairs,
}

impl<'p> Engine<'p> {
    pub fn new(progress: &'p dyn Progress) -> Self {
        Engine {
            chunk: 1 << 30,
            progress,
            kernel_lacks_cfr: AtomicBool::new(false),
            exdev_pairs: exdev::ExdevPairs::new(),
        }
    }

    /// `bytes` more of SOURCE were copied into DEST by the job this thread runs, with
    /// `method`: counted for the job ([`written_by_this_job`]), the method remembered for a
    /// failure's report ([`JobError::method`]), and the bytes told to the progress sink.
    pub(crate) fn advance(&self, method: Method, bytes: u64) {
        JOB_BYTES.with(|n| n.set(n.get() + bytes));
        if bytes > 0 {
            JOB_METHOD.with(|m| m.set(Some(method)));
        }
        self.progress.advance(bytes);
    }

    /// `bytes` of SOURCE that the job this thread runs will not copy (holes, a `--resume`d
    /// prefix) leave the progress sink's total; counted for the job, so that a failure takes
    /// only the rest out ([`run_job`]).
    pub(crate) fn skip(&self, bytes: u64) {
        JOB_SKIPPED.with(|n| n.set(n.get() + bytes));
        self.progress.skip(bytes);
    }

    fn kernel_lacks_cfr(&self) -> bool {
        self.kernel_lacks_cfr.load(Ordering::Relaxed)
    }

    fn remember_kernel_lacks_cfr(&self) {
        self.kernel_lacks_cfr.store(true, Ordering::Relaxed);
    }

    /// Whether copy_file_range already said EXDEV for this (source device, destination device).
    fn known_exdev(&self, pair: (u64, Option<u64>)) -> bool {
        let (src, Some(dst)) = pair else { return false };
        self.exdev_pairs.contains(src, dst)
    }

    fn remember_exdev(&self, pair: (u64, Option<u64>)) {
        if let (src, Some(dst)) = pair {
            self.exdev_pairs.insert(src, dst);
        }
    }
}

thread_local! {
    /// Bytes the job this thread runs has copied so far (data only: holes are skipped, not
    /// copied); reset when a job starts ([`run_job`]). A job runs on one thread from start to
    /// end, so a failed job's count is what it wrote (red team, round 18: DEST's size, which
    /// counted a sparse SOURCE's holes and an untouched DEST's old bytes as copied).
    static JOB_BYTES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Bytes of SOURCE the job this thread runs left out of the total ([`Engine::skip`]).
    static JOB_SKIPPED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The method that last moved bytes for the job this thread runs ([`Engine::advance`]).
    static JOB_METHOD: std::cell::Cell<Option<Method>> = const { std::cell::Cell::new(None) };
    /// The job this thread runs removed DEST after it could not open it (`-f`,
    /// [`note_dest_removed`]).
    static JOB_REMOVED_DEST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The job this thread runs removed DEST after it could not open it (`-f`): said by `-v` as
/// GNU cp 9.1's copy_reg says it, `removed 'DEST'` ([`Outcome::removed_dest`]).
pub(crate) fn note_dest_removed() {
    JOB_REMOVED_DEST.with(|r| r.set(true));
}

/// Runs `f` (work of the job this thread runs that is not its copy: `--atomic`'s prefill of the
/// temporary file with DEST's old bytes) without counting its bytes, skips or method for the
/// job: the job's counts are what the progress sink was told ([`Progress::job_ended`]).
pub(crate) fn without_job_counts<R>(f: impl FnOnce() -> R) -> R {
    let saved = (
        JOB_BYTES.with(std::cell::Cell::get),
        JOB_SKIPPED.with(std::cell::Cell::get),
        JOB_METHOD.with(std::cell::Cell::get),
    );
    let result = f();
    JOB_BYTES.with(|n| n.set(saved.0));
    JOB_SKIPPED.with(|n| n.set(saved.1));
    JOB_METHOD.with(|m| m.set(saved.2));
    result
}

/// Bytes the job this thread runs has copied so far ([`Engine::advance`]).
pub(crate) fn written_by_this_job() -> u64 {
    JOB_BYTES.with(std::cell::Cell::get)
}

/// Whether a job may block in a system call that a signal does not interrupt (SA_RESTART):
/// a stream, a FIFO or device as SOURCE, or an existing DEST that is not a regular file. Only
/// then does [`crate::signals::ensure_watchdog`] start its thread (a regular copy pays
/// nothing for it: no thread, no descriptors, issue 16's start-up).
fn may_block(job: &Job) -> bool {
    job.source.is_stdio()
        || job.dest.is_stdio()
        || job.source_facts.kind != crate::facts::FileKind::Regular
        || (job.dest_exists && !job.dest_seekable)
}

/// Runs one job to completion or to a typed error.
///
/// # Errors
/// [`JobError`]: what failed (with the path and errno), a note about an overwritten DEST,
/// and whether SIGINT/SIGTERM stopped it. A DEST this job created is removed on failure
/// (kept for `--resume`; kept once its data is complete and only attributes failed).
pub fn run_job(engine: &Engine<'_>, job: &Job) -> Result<Outcome, JobError> {
    JOB_BYTES.with(|n| n.set(0));
    JOB_SKIPPED.with(|n| n.set(0));
    JOB_METHOD.with(|m| m.set(None));
    JOB_REMOVED_DEST.with(|r| r.set(false));
    let mut result = run_job_here(engine, job);
    let removed_dest = JOB_REMOVED_DEST.with(std::cell::Cell::get);
    match &mut result {
        Ok(outcome) => outcome.removed_dest = removed_dest,
        Err(e) => e.removed_dest = removed_dest,
    }
    if let Err(e) = &mut result {
        // What moved the bytes DEST keeps: `--json`'s `method` of a failed job that left some
        // (red team, round 19: `"method": null` beside `"bytes": 2883584`).
        if e.kept.is_some_and(|k| k > 0) {
            e.method = JOB_METHOD.with(std::cell::Cell::get);
        }
    }
    // The total takes what the job really counted (see `Progress::job_ended`).
    let counted = written_by_this_job() + JOB_SKIPPED.with(std::cell::Cell::get);
    engine.progress.job_ended(job.progress_bytes(), counted);
    engine.progress.file_done();
    result
}

/// [`run_job`]'s work, without the count of finished jobs.
fn run_job_here(engine: &Engine<'_>, job: &Job) -> Result<Outcome, JobError> {
    if crate::signals::pending().is_some() {
        return Err(JobError::new(ExecError::InterruptedBefore {
            source: job.source.display_path().to_owned(),
        }));
    }
    if may_block(job) {
        crate::signals::ensure_watchdog();
    }
    let src = open_source(job)?;
    if job.atomic {
        if let Some(place) = atomic::Place::resolve(job)? {
            return atomic::run(engine, job, &src, place);
        }
    }
    let (dst, created, overwrite) = open_dest(job)?;
    let mut guard = CreatedDest {
        // --resume keeps a partial file for the next run.
        at: if created && !job.restart.keep_partial {
            job.dest.dir_and_name()
        } else {
            None
        },
    };
    // A job that may block where no signal reaches it leaves its new file to the watchdog.
    let _for_watchdog = match guard.at {
        Some((dir, name)) if may_block(job) => rustix::fs::fstat(&dst).ok().and_then(|st| {
            let shown = (job.source.display_path(), job.dest.display_path());
            crate::signals::partial::register(dir, name, (st.st_dev, st.st_ino), shown)
        }),
        _ => None,
    };
    let in_place = InPlace { job, created };
    // A DEST that stays after a failure (`guard.at` is `None`) keeps what this job wrote.
    let kept = |mut err: JobError| {
        err.kept = in_place.kept_bytes(&dst);
        err
    };
    let mut outcome =
        copy_data(engine, job, &src, &dst, overwrite).map_err(|failure| match failure {
            DataFailure::Untouched(e) => JobError {
                dest_note: None,
                ..in_place.copy_failed(e, &dst)
            },
            DataFailure::Written(e) if guard.at.is_none() => kept(in_place.copy_failed(e, &dst)),
            DataFailure::Written(e) => in_place.copy_failed(e, &dst),
        })?;
    if job.restart.verify {
        match crate::exec::verify::check(job, src.as_fd(), dst.as_fd(), &outcome) {
            Ok(checked) => record_check(checked, job, &mut outcome),
            // Stopped while verifying, under --resume: the data is all there, unverified; it
            // is kept as an interrupted copy is, and the next --resume verifies it (new user,
            // round 15: each Ctrl-C during the check removed a complete copy, so a run with a
            // time limit never finished).
            Err(e @ verify::VerifyError::Interrupted { .. }) if job.restart.keep_unverified => {
                return Err(kept(in_place.copy_failed(ExecError::Verify(e), &dst)));
            }
            Err(e) => {
                // A new DEST that does not match is removed, even under --resume.
                guard.at = created.then(|| job.dest.dir_and_name()).flatten();
                let err = in_place.with_note(e.into(), &dst);
                return Err(if guard.at.is_none() { kept(err) } else { err });
            }
        }
    }
    if !job.dest.is_stdio() {
        let new_mode = (created && !created_with_final_mode(job)).then_some(job.create_mode);
        if let Err(mut e) = apply_attributes(job, &src, &dst, new_mode, &mut outcome) {
            // As cp does: the data is complete, so the file stays.
            guard.at = None;
            e.kept = Some(outcome.bytes);
            return Err(e);
        }
    }
    // A failed flush or close: the data is all there, in a DEST that stays unless new.
    in_place.finish(dst, &guard).map_err(|mut e| {
        if guard.at.is_none() {
            e.kept = Some(outcome.bytes);
        }
        e
    })?;
    guard.at = None;
    Ok(outcome)
}

/// The data of a job into DEST itself (not `--atomic`): an in-place DEST's old bytes replaced
/// first, the strategy from there, and the cut to the bytes copied (exec/overwrite.rs). A
/// failure leaves an in-place DEST empty.
///
/// # Errors
/// [`DataFailure`]: the error, and whether DEST is untouched.
fn copy_data(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    overwrite: Overwrite,
) -> Result<Outcome, DataFailure> {
    let (overwrite, copied) = overwrite
        .replace_old_bytes(engine, job, src.as_fd(), dst.as_fd())
        .map_err(|e| match e {
            ExecError::Read { .. } => DataFailure::Untouched(e),
            _ => DataFailure::Written(e),
        })?;
    run_strategy(engine, job, src, dst, copied)
        .and_then(|o| overwrite.trim(job, dst, o.bytes).map(|()| o))
        .inspect_err(|_| overwrite.abandon(dst))
        .map_err(DataFailure::Written)
}

/// How [`copy_data`] failed.
enum DataFailure {
    /// SOURCE's first bytes could not be read, so nothing replaced DEST's old ones: no note
    /// about DEST (red team, round 18: that said DEST's old contents were lost, and they were
    /// all there).
    Untouched(ExecError),
    /// After DEST was (or may have been) written.
    Written(ExecError),
}

/// Puts what `--verify` found in `outcome`: how DEST was verified, the digest, and for a copy
/// that could not be verified a warning ([`Warning::NotVerified`]): the user asked for
/// `--verify`, and a copy said nothing about only in `--json` and `--debug` read as checked
/// (new-user trial, round 17: `cat f | fcopy --verify - out` exited 0 in silence). Here, not
/// in exec/verify.rs, which then needs nothing of exec/error.rs (no import circle).
fn record_check(checked: verify::Checked, job: &Job, outcome: &mut Outcome) {
    outcome.verified = Some(checked.how);
    outcome.digest = checked.digest;
    if let Some(why) = checked.skipped {
        outcome.warnings.push(Warning::NotVerified {
            dest: job.dest.display_path().to_owned(),
            why,
        });
    }
}

/// A `--resume`d DEST that failed `--verify` at byte `at` is cut there (`ftruncate`): its
/// bytes before `at` are SOURCE's, so the next `--resume` continues from `at` and copies what
/// differed. Kept whole, at SOURCE's size, the next `--resume` took it as complete and exited 0
/// with the wrong bytes (red team, round 12). The offset cut at, or `None` when the failure
/// says no byte (a read error, a digest) or the cut fails.
fn cut_at_difference(error: &verify::VerifyError, dst: &Fd) -> Option<u64> {
    let verify::VerifyError::Differs { at, .. } = *error else {
        return None;
    };
    rustix::fs::ftruncate(dst.as_fd(), at).ok().map(|()| at)
}

/// A copy into DEST itself (not `--atomic`): what a failure says about DEST.
struct InPlace<'a> {
    job: &'a Job,
    created: bool,
}

impl InPlace<'_> {
    /// The strategy failed: an interruption is said as such (with what became of DEST).
    fn copy_failed(&self, error: ExecError, dst: &Fd) -> JobError {
        if self.job.dest.is_stdio() && error.is_broken_pipe() {
            crate::signals::note_broken_pipe();
        }
        let mut err = JobError::new(error);
        if crate::signals::pending().is_some() {
            let partial = match (self.created, self.job.restart.keep_partial) {
                (true, false) => Partial::Removed,
                (_, true) => Partial::KeptForResume,
                (false, false) => Partial::Untouched,
            };
            err.set_error(ExecError::Interrupted {
                source: self.job.source.display_path().to_owned(),
                dest: self.job.dest.display_path().to_owned(),
                partial,
            });
        }
        self.with_note(err, dst)
    }

    /// Bytes of this job's in DEST as it is now, for a DEST that stays after a failure: the
    /// data it wrote (an in-place DEST a failure emptied keeps 0; a new or `--resume`d one, at
    /// most what it grew by). `None` for a byte range the user gave (which bytes of it were
    /// written is not known) and for a DEST that is not a regular file.
    fn kept_bytes(&self, dst: &Fd) -> Option<u64> {
        let job = self.job;
        let resumed_from = job.restart.resumed_from;
        if job.strategy == Strategy::Ranged && resumed_from.is_none() {
            return None;
        }
        let st = rustix::fs::fstat(dst).ok()?;
        let regular = rustix::fs::FileType::from_raw_mode(st.st_mode).is_file();
        let size = st.st_size as u64;
        regular.then(|| match (self.created, resumed_from) {
            _ if size == 0 => 0,
            (true, _) => written_by_this_job().min(size),
            (false, Some(from)) => written_by_this_job().min(size.saturating_sub(from)),
            (false, None) => written_by_this_job(),
        })
    }

    /// Adds the note for a failure after an existing regular DEST was truncated (or, ranged,
    /// partly written), or after a new DEST kept for `--resume`. None for a DEST in /proc or /sys, whose `O_TRUNC` empties nothing and
    /// whose refused write stored nothing (helper-86, round 17: `fcopy a /proc/version` said
    /// its old contents could not be restored; GNU cp says only the write error).
    fn with_note(&self, mut err: JobError, dst: &Fd) -> JobError {
        let job = self.job;
        if self.created && job.restart.keep_partial && !err.interrupted {
            // A DEST that fails --verify is removed even under --resume (run_job).
            let stays = !matches!(*err.error, ExecError::Verify(_));
            let len = rustix::fs::fstat(dst)
                .ok()
                .filter(|_| stays && is_regular(dst));
            err.set_note(len.map(|st| DestNote::KeptNew {
                path: job.dest.display_path().to_owned(),
                len: st.st_size as u64,
            }));
            return err;
        }
        if self.created || !job.dest_exists || !is_regular(dst) || on_pseudo_fs(dst) {
            return err;
        }
        let path = job.dest.display_path().to_owned();
        if let Some(from) = job.restart.resumed_from {
            // A resumed copy runs as a ranged job, but the user gave no range.
            err.set_note(Some(match *err.error {
                ExecError::Verify(ref error) => DestNote::ResumedDiffers {
                    path,
                    from,
                    cut_at: cut_at_difference(error, dst),
                },
                _ => DestNote::KeptForResume { path, from },
            }));
            return err;
        }
        // A whole-file clone that must succeed did not empty DEST first (exec/open.rs); a
        // FICLONE that cannot be made here changed nothing (after EINVAL DEST may have been
        // emptied for a second try: exec/strategy.rs).
        let size = rustix::fs::fstat(dst).map_or(0, |st| st.st_size as u64);
        let nonempty = size > 0;
        let untouched = job.strategy == Strategy::Reflink
            && job.clone == crate::plan::CloneMode::Must
            && matches!(*err.error, ExecError::Clone { errno, .. }
                if outcome::on_errno(outcome::Mechanism::Clone, errno, false) != outcome::OnErrno::Fail
                    && (errno != Errno::INVAL || nonempty));
        err.set_note(if untouched {
            None
        } else if job.strategy != Strategy::Ranged && !nonempty {
            Some(DestNote::Emptied { path })
        } else if job.strategy != Strategy::Ranged && matches!(*err.error, ExecError::Sync { .. }) {
            // Every byte was written, but the flush failed: what reached the disk is unknown.
            Some(DestNote::MayBeIncomplete { path })
        } else if job.strategy != Strategy::Ranged {
            // Holding no more than this job wrote, DEST is the copy's first bytes.
            let len = (size <= written_by_this_job()).then_some(size);
            Some(DestNote::Incomplete { path, len })
        } else if !matches!(
            *err.error,
            // A ranged clone fails before it writes (exec/clone.rs clones the middle first).
            ExecError::EndedBeforeOffset { .. }
                | ExecError::Clone { .. }
                | ExecError::CloneUnaligned { .. }
        ) {
            // Nothing outside the range was touched; inside it, old and new bytes may mix.
            Some(DestNote::PartlyWritten { path })
        } else {
            None
        });
        err
    }

    /// `--sync` and the checked close. The source's times are on DEST by now: a failure must
    /// not leave a DEST that `--update=changed` would take for a finished copy, so it gets the
    /// current mtime.
    fn finish(&self, dst: Fd, guard: &CreatedDest<'_>) -> Result<(), JobError> {
        let job = self.job;
        let dst_name = || job.dest.display_path();
        let times_set = !job.dest.is_stdio() && job.preserve.attrs.timestamps;
        if job.sync {
            // Still guarded: a new file that cannot be made durable is removed.
            let synced =
                sync_file(&dst, dst_name()).and_then(|()| match (self.created, &guard.at) {
                    (true, Some((dir, name))) => sync_parent(*dir, name, dst_name()),
                    _ => Ok(()),
                });
            if let Err(e) = synced {
                if times_set {
                    mark_unfinished(dst.as_fd());
                }
                return Err(self.with_note(e.into(), &dst));
            }
        }
        let overwritten = !self.created && job.dest_exists && job.strategy != Strategy::Ranged;
        let Fd::Owned(fd) = dst else {
            return Ok(());
        };
        // With the source's times on DEST, the delayed write errors of NFS, CIFS and FUSE are
        // asked for while DEST is still open, so its mtime can still be changed.
        if times_set {
            if let Err(e) = flush_by_close(fd.as_fd()) {
                mark_unfinished(fd.as_fd());
                return Err(close_error(dst_name(), e, overwritten));
            }
        }
        // Still guarded: a new file whose data the filesystem failed to write is removed.
        close_checked(fd).map_err(|e: Errno| close_error(dst_name(), e, overwritten))
    }
}

/// Applies the preserved attributes (and a new file's mode) to DEST; warnings go to
/// `outcome`, a fatal problem is the error.
fn apply_attributes(
    job: &Job,
    src: &Fd,
    dst: &impl AsFd,
    new_mode: Option<u32>,
    outcome: &mut Outcome,
) -> Result<(), JobError> {
    let src_fd = match src {
        Fd::Owned(fd) => Some(fd.as_fd()),
        Fd::Stdio(_) => None,
    };
    let problems = crate::meta::apply(
        dst.as_fd(),
        src_fd,
        &job.source_facts,
        &job.preserve,
        new_mode,
        &|| job.dest.display_path().to_path_buf(),
    );
    for problem in problems {
        if problem.fatal {
            return Err(JobError::new(ExecError::Attributes(problem.error)));
        }
        outcome.warnings.push(Warning::Attributes(problem.error));
    }
    Ok(())
}
