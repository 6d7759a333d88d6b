//! Handing jobs to the workers (`-j`) and taking their results back: the hand-offs (how many
//! jobs, where they end), the destinations being written, and each finished job's report and
//! bookkeeping.

use std::path::Path;

use super::{dest_key, Copier};
use crate::drive::dest_key::endpoint_key;
use crate::exec;
use crate::plan;
use crate::plan::Endpoint;
use crate::pool;

/// The most jobs a worker is handed at once (`-j`): enough to cut hand-off costs and to hold
/// a directory of a typical tree whole (see [`DIR_HANDOFF_MIN`]), few enough to keep every
/// worker busy to the end.
const JOBS_PER_HANDOFF: usize = 128;

/// A hand-off of at least this many jobs ends where the walk's directory changes: each
/// worker then creates files in a directory of its own, instead of waiting for the directory's
/// lock that another worker holds (on ext4 the kernel spins for it: 6-8% of the 10,000-file
/// tree's CPU time in `rwsem_spin_on_owner` with hand-offs of 64 jobs regardless of
/// directories, none with these; issue 16).
const DIR_HANDOFF_MIN: usize = 16;

/// A hand-off ends once its jobs hold this many bytes: one job of a large file is work enough
/// to be worth a hand-off of its own. Counted in jobs alone, 40 files of 2 MiB in one
/// directory, or a `--batch` list of six 20 MB files, all went to one worker: `-j4` ran as
/// `-j1` (red team, round 9).
const HANDOFF_BYTES: u64 = 8 << 20;

impl Copier<'_, '_> {
    /// Handles finished jobs: all of them and waiting when `block`, else those ready now.
    pub(super) fn drain(&mut self, block: bool) {
        while let Some(done) = self.pool.as_mut().and_then(|p| p.next_done(block)) {
            self.complete(done);
        }
    }

    /// Whether a job handed to the workers may still be writing `dest`.
    pub(super) fn writing(&self, dest: &Path) -> bool {
        !self.in_flight.is_empty() && self.in_flight.contains_key(&dest_key(dest))
    }

    /// [`Copier::writing`] for an endpoint, whose shown path is not built for it: an entry of
    /// a walked directory is keyed by its directory's path and its name ([`endpoint_key`]).
    pub(super) fn writing_endpoint(&self, dest: &Endpoint) -> bool {
        if self.in_flight.is_empty() {
            return false;
        }
        self.in_flight.contains_key(&endpoint_key(dest))
    }

    /// Waits until no running job writes `dest`.
    pub(super) fn wait_for(&mut self, dest: &Path) {
        if self.writing(dest) {
            self.flush();
        }
        while self.writing(dest) {
            match self.pool.as_mut().and_then(|p| p.next_done(true)) {
                Some(done) => self.complete(done),
                None => break,
            }
        }
    }

    /// Runs a job now, or queues it on the pool.
    pub(super) fn dispatch(&mut self, job: Box<plan::Job>, mut context: pool::Context) {
        // The totals first: a bar drawn around the -v line then shows this file's size
        // (new-user trial, round 12: `-g -v` first drew `0 B/≥0 B`).
        let bytes = job.planned_bytes().unwrap_or(0);
        if let Some(p) = &self.reporter.progress {
            p.add_total(job.progress_bytes(), 1);
        }
        self.reporter.starting(&job);
        context.timed = self.reporter.json;
        context.batch_line = self.reporter.batch_line;
        if let Some(token) = context.dir_token {
            if let Some(p) = self.pending_dirs.get_mut(&token) {
                p.outstanding += 1;
            }
        }
        if self.pool.is_none() || context.run_here {
            let done = pool::run_timed(self.engine, job, context);
            return self.complete(done);
        };
        let key = endpoint_key(&job.dest);
        *self.in_flight.entry(key).or_default() += 1;
        context.dest_key = Some(key);
        let other_dir =
            (self.batch.last()).is_some_and(|s| s.context.dir_token != context.dir_token);
        if other_dir && self.batch.len() >= DIR_HANDOFF_MIN {
            self.flush();
        }
        self.batch.push(pool::Slot::new(job, context));
        self.batch_bytes += bytes;
        if self.batch.len() >= JOBS_PER_HANDOFF || self.batch_bytes >= HANDOFF_BYTES {
            self.flush();
        }
        self.drain(false);
    }

    /// Hands the jobs gathered so far to the workers, waiting while the queue is full.
    ///
    /// It waits for a worker to take a hand-off, not for each result: waking up for every
    /// finished job while the queue is full made the main thread and the workers trade futex
    /// wake-ups per file (17,600 on the 10,000-file tree).
    pub(super) fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        // The next hand-off starts at its full size, in a list the workers have emptied:
        // grown push by push, its reallocations were 4% of a tree copy's user-space
        // instructions (issue 16).
        let pool = self.pool.as_mut().expect("a pool");
        let work = std::mem::replace(&mut self.batch, pool.spare_work(JOBS_PER_HANDOFF));
        self.batch_bytes = 0;
        self.drain(false);
        self.pool.as_mut().expect("a pool").submit(work);
    }

    /// Reports a finished job (under its own `--batch` line, whichever line is being planned
    /// now) and updates what the run has created.
    pub(super) fn complete(&mut self, done: pool::Done) {
        let planning = std::mem::replace(&mut self.reporter.batch_line, done.context.batch_line);
        self.complete_job(done);
        self.reporter.batch_line = planning;
    }

    fn complete_job(&mut self, done: pool::Done) {
        let pool::Done {
            job,
            context,
            result,
            elapsed,
        } = done;
        if let Some(key) = context.dest_key {
            if let Some(count) = self.in_flight.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    self.in_flight.remove(&key);
                }
            }
        }
        match result {
            Ok(outcome) => {
                self.reporter.copied(&job, &outcome, elapsed);
                if let Some(first) = context.link_key.and_then(|k| self.links.get_mut(&k)) {
                    if first.shown == job.dest.display_path() {
                        first.id = Self::lstat_dest(&job.dest).map(|st| (st.st_dev, st.st_ino));
                    }
                }
                if context.creates {
                    if let Some(st) = Self::lstat_dest(&job.dest) {
                        self.created_files.insert((st.st_dev, st.st_ino));
                    }
                }
            }
            Err(mut e) => {
                if let Some(key) = context.link_key {
                    self.links.remove(&key);
                }
                // DEST was renamed to its backup when the job was handed out: put it back,
                // also for a job a stop signal kept from starting.
                if let (Some(backup), Some((dir, name))) =
                    (&context.backup, job.dest.dir_and_name())
                {
                    if exec::replace::restore_backup(dir, name, backup) {
                        e.backup_restored();
                    }
                }
                // DEST was removed for this job and had no backup: say it is gone (not under
                // --atomic, whose rename is what replaces DEST). Removed before it was handed
                // out (`--remove-destination`), or by the job itself (`-f` on a DEST it could
                // not open: red team, round 20, the old DEST went without a word).
                let removed =
                    (context.run_here || e.removed_dest) && !job.atomic && e.dest_note.is_none();
                if removed && Self::lstat_dest(&job.dest).is_none() {
                    let path = job.dest.display_path().to_path_buf();
                    e.set_note(Some(exec::DestNote::RemovedBefore { path }));
                }
                // After the first stop message, jobs no worker started are only counted (`-v`
                // listed them: one note at the end); the others still say what they left.
                if self.interrupt_reported && e.not_started() {
                    self.listed_not_copied += 1;
                } else {
                    if e.removed_dest {
                        self.reporter.removed(job.dest.display_path());
                    }
                    self.interrupt_reported |= e.interrupted;
                    let note = e.dest_note.as_ref().map(ToString::to_string);
                    self.reporter.failed_job(
                        job.source.display_path(),
                        job.dest.display_path(),
                        (Some(job.strategy), e.method),
                        (e.resumed_from.or(job.restart.resumed_from), e.kept),
                        &e,
                        note.as_deref(),
                    );
                }
            }
        }
        if let Some(token) = context.dir_token {
            self.job_left(token);
        }
    }
}
