//! Diagnostics and their counts: error and warning lines on standard error (stdout flushed
//! first), usage errors, failed and skipped entries with their `--json` records, and the
//! failure, skip and `-i` decline counts the exit status is made of.

use std::fmt;
use std::path::Path;

use super::record::Record;
use super::{quote, Reporter};
use crate::exec::Method;
use crate::plan::{Endpoint, Strategy};

impl Reporter {
    /// Failures so far (each makes the exit status 1).
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// `fcopy: message` on standard error: a failure. With `--json` it is a record too (type
    /// `error`, no paths), so the summary's `failures` equals the records with status `error`.
    pub fn error(&mut self, message: &(impl fmt::Display + ?Sized)) {
        let message = &message.to_string();
        self.error_line(message);
        if self.json {
            let record =
                Record::new("error", None, None, "error").error(self.with_program(message));
            self.emit(record);
        }
    }

    pub(super) fn with_program(&self, message: &str) -> String {
        format!("{}: {message}", self.program)
    }

    /// The error line and the count, without a record.
    pub(super) fn error_line(&mut self, message: &(impl fmt::Display + ?Sized)) {
        self.failures += 1;
        if crate::signals::broken_pipe() {
            return; // standard output's reader is gone: die quietly by SIGPIPE, as cat does
        }
        self.diagnostic_line(message);
    }

    /// A line on standard error that is not itself a failure (a note or a warning).
    pub fn note(&mut self, message: &(impl fmt::Display + ?Sized)) {
        self.diagnostic_line(message);
    }

    /// `fcopy: message`, or `fcopy: FILE:LINE: message` for a `--batch` job's line.
    fn diagnostic_line(&mut self, message: &(impl fmt::Display + ?Sized)) {
        let program = std::mem::take(&mut self.program);
        match (&self.batch_file, self.batch_line) {
            (Some(file), Some(line)) => {
                // Quoted where a shell would need it (GNU's quotef): a newline in the list's
                // name cannot forge a line (red team, round 12).
                let at = format!("{}:{line}", super::quote::quote_if_needed(file));
                self.stderr_line(format_args!("{program}: {at}: {message}"));
            }
            _ => self.stderr_line(format_args!("{program}: {message}")),
        }
        self.program = program;
    }

    /// A usage error: the message and GNU's "Try ... --help" hint. Once the settings are read
    /// and say `--json`, also an `error` record (as [`Reporter::error`]).
    pub fn usage_error(&mut self, message: &(impl fmt::Display + ?Sized), try_help: bool) {
        self.error_line(message);
        if self.json {
            let message = self.with_program(&message.to_string());
            let record = Record::new("error", None, None, "error").error(message);
            self.emit(record);
        }
        if try_help {
            let program = std::mem::take(&mut self.program);
            self.stderr_line(format_args!("Try '{program} --help' for more information."));
            self.program = program;
        }
    }

    /// A job failed: the error line on stderr, and a JSON record.
    pub fn failed(
        &mut self,
        job_source: &Path,
        job_dest: &Path,
        strategy: Option<Strategy>,
        message: &(impl fmt::Display + ?Sized),
        note: Option<&str>,
    ) {
        self.failed_entry("file", job_source, job_dest, strategy, message, note);
    }

    /// A tree entry of this `kind` (`file`, `directory`, `symlink`, `special`) failed: as
    /// [`Reporter::failed`], with the entry's real `type` in the JSON record.
    pub fn failed_entry(
        &mut self,
        kind: &str,
        job_source: &Path,
        job_dest: &Path,
        strategy: Option<Strategy>,
        message: &(impl fmt::Display + ?Sized),
        note: Option<&str>,
    ) {
        let entry = (kind, job_source, job_dest);
        self.failed_record(
            entry,
            (strategy, None),
            (None, 0),
            &message.to_string(),
            note,
        );
    }

    /// A job failed: as [`Reporter::failed`], with `resumed_from` (the byte a `--resume`
    /// continued from) in the JSON record, and the `kept` bytes it wrote that DEST keeps
    /// ([`crate::exec::JobError::kept`]) counted as copied: the record's `bytes`, the
    /// summary and `--stats`.
    pub fn failed_job(
        &mut self,
        job_source: &Path,
        job_dest: &Path,
        (strategy, method): (Option<Strategy>, Option<Method>),
        (resumed_from, kept): (Option<u64>, Option<u64>),
        message: &(impl fmt::Display + ?Sized),
        note: Option<&str>,
    ) {
        let entry = ("file", job_source, job_dest);
        let kept = kept.unwrap_or(0);
        self.bytes += kept;
        self.failed_record(
            entry,
            (strategy, method),
            (resumed_from, kept),
            &message.to_string(),
            note,
        );
    }

    /// The error line, the note, and the JSON record of a failed entry `(kind, source, dest)`
    /// that continued from byte `resumed_from` and left `kept` bytes in DEST.
    fn failed_record(
        &mut self,
        (kind, job_source, job_dest): (&str, &Path, &Path),
        (strategy, method): (Option<Strategy>, Option<Method>),
        (resumed_from, kept): (Option<u64>, u64),
        message: &str,
        note: Option<&str>,
    ) {
        self.error_line(message);
        if let Some(note) = note {
            self.note(note);
        }
        if self.json {
            let mut record = Record::new(kind, Some(job_source), Some(job_dest), "error")
                .error(self.with_program(message));
            record.note = note;
            record.strategy = strategy.map(Strategy::name);
            record.method = method.map(Method::name);
            record.resumed_from = resumed_from;
            record.bytes = Some(kept);
            record.range = self.range.as_ref().map(|r| {
                (
                    r.offset_in.as_ref().map_or(0, |b| b.value),
                    r.offset_out.as_ref().map_or(0, |b| b.value),
                    r.len.as_ref().map(|b| b.value),
                )
            });
            self.emit(record);
        }
    }

    /// `-i` was answered no: skipped, and the run exits 1 (GNU cp 9.2 and later).
    pub fn declined(&mut self, source: &Path, dest: &Path) {
        self.skipped(source, dest);
        self.declined += 1;
    }

    /// Overwrites declined at a `-i` prompt (with `POSIXLY_CORRECT`, each makes the exit status 1).
    pub fn declines(&self) -> u64 {
        self.declined
    }

    /// A job was not run because the destination exists (`-n`).
    pub fn skipped(&mut self, source: &Path, dest: &Path) {
        self.skipped_node("file", source, dest);
    }

    /// [`Reporter::skipped`] for a file's two ends, whose shown paths are built only if a
    /// line or record names them (a re-copy skips every file, silently: issue 16).
    pub fn skipped_file(&mut self, source: &Endpoint, dest: &Endpoint) {
        if self.json || self.dry_run || self.debug {
            self.skipped_node("file", source.display_path(), dest.display_path());
        } else {
            self.skipped += 1;
        }
    }

    /// A file or directory was left out (`skipped` also for `--exclude`d entries of a tree):
    /// a `skipped` JSON record, `'a' -> 'b' (skipped)` in a human `--dry-run`, or with
    /// `--debug` GNU's `skipped 'b'`. Only a regular file (`file`) counts in the summary's and
    /// `--stats`' skipped files, as only regular files count as copied there (a tree with a
    /// symlink and a FIFO said `1 copied`, then `0 copied, 3 skipped`: new-user trial, round 11).
    pub fn skipped_node(&mut self, kind: &str, source: &Path, dest: &Path) {
        if kind == "file" {
            self.skipped += 1;
        }
        if self.json {
            let mut record = Record::new(kind, Some(source), Some(dest), "skipped");
            record.bytes = Some(0);
            self.emit(record);
        } else if self.dry_run {
            // As `--dry-run` shows an excluded entry: every entry the plan met has its line.
            self.line(format_args!(
                "{} -> {} (skipped)",
                quote(source),
                quote(dest)
            ));
        } else if self.debug {
            self.line(format_args!("skipped {}", quote(dest)));
        }
    }
}
