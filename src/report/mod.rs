//! Everything a person or script sees: messages, -v/--debug lines, --json records, --dry-run
//! lines and the exit status.

mod json;
pub mod messages;
pub mod progress;
mod prompt;
mod quote;
mod record;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use self::record::Record;

pub use self::json::JsonObject;
pub use self::quote::{quote, quote_bytes, quote_if_needed};

use crate::exec::{Method, Outcome};
use crate::plan::{Job, Strategy};

/// The exit statuses fcopy uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    /// Anything failed, usage errors included (as GNU cp).
    Failure = 1,
    /// SIGINT.
    Interrupted = 130,
    /// SIGTERM.
    Terminated = 143,
}

/// The text of an error without Rust's " (os error N)" suffix.
pub fn errno_text(e: &io::Error) -> String {
    let full = e.to_string();
    match full.find(" (os error ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

pub fn errno_text_of(e: rustix::io::Errno) -> String {
    errno_text(&io::Error::from(e))
}

/// Where reports go and what they look like.
pub struct Reporter {
    pub program: String,
    pub verbose: bool,
    pub debug: bool,
    pub json: bool,
    /// `--dry-run`: `--stats` says what would be copied.
    pub dry_run: bool,
    /// Data goes to standard output, so reports go to standard error.
    pub stdout_taken: bool,
    failures: u64,
    files: u64,
    skipped: u64,
    declined: u64,
    bytes: u64,
    /// Bytes shared by reflinks rather than copied (`--stats`).
    cloned: u64,
    /// Standard output, line-buffered on a terminal and block-buffered otherwise.
    stdout: Box<dyn Write + Send>,
    write_error: Option<io::Error>,
    /// The progress bar, kept out of the way of every line printed.
    pub progress: Option<std::sync::Arc<progress::ProgressDisplay>>,
    /// The backup just made of the next `-v` line's destination (GNU's ` (backup: 'f~')`).
    backup_made: Option<PathBuf>,
    /// Where `-i` reads its answers: the terminal when standard input carries the batch.
    answers: Option<rustix::fd::OwnedFd>,
    /// The byte range in effect for the operands being copied (command line or batch line), so
    /// a ranged job that fails before it is planned still has its offsets in `--json`.
    pub range: Option<crate::plan::RangeArgs>,
    /// `--dry-run --parents`: the directories already planned (each is planned once, as the
    /// run makes it once).
    planned_parents: std::collections::HashSet<PathBuf>,
}

impl Reporter {
    pub fn new(program: String) -> Self {
        Reporter {
            program,
            verbose: false,
            debug: false,
            json: false,
            dry_run: false,
            stdout_taken: false,
            failures: 0,
            files: 0,
            skipped: 0,
            declined: 0,
            bytes: 0,
            cloned: 0,
            stdout: if io::stdout().is_terminal() {
                Box::new(io::LineWriter::new(io::stdout()))
            } else {
                Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()))
            },
            write_error: None,
            progress: None,
            backup_made: None,
            answers: None,
            range: None,
            planned_parents: std::collections::HashSet::new(),
        }
    }

    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// Writes one line of output (to stderr when stdout carries data); remembers a write error.
    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        if self.write_error.is_some() {
            return;
        }
        let stdout_taken = self.stdout_taken;
        let stdout = &mut self.stdout;
        let mut write = || {
            if stdout_taken {
                writeln!(io::stderr().lock(), "{args}")
            } else {
                writeln!(stdout, "{args}")
            }
        };
        let result = match &self.progress {
            Some(p) => p.suspend(write),
            None => write(),
        };
        if let Err(e) = result {
            self.write_error = Some(e);
        }
    }

    /// Flushes standard output; a write error there is a failure (as GNU cp: `write error`).
    pub fn flush(&mut self) {
        if self.write_error.is_none() {
            if let Err(e) = self.stdout.flush() {
                self.write_error = Some(e);
            }
        }
        if let Some(e) = self.write_error.take() {
            self.error(&format!("write error: {}", errno_text(&e)));
            // Report it once.
            self.write_error = Some(io::Error::other("reported"));
            self.stdout = Box::new(io::sink());
        }
    }

    /// `fcopy: message` on standard error: a failure. With `--json` it is a record too (type
    /// `error`, no paths), so the summary's `failures` equals the records with status `error`.
    pub fn error(&mut self, message: &str) {
        self.error_line(message);
        if self.json {
            let record =
                Record::new("error", None, None, "error").error(self.with_program(message));
            self.line(format_args!("{}", record.finish()));
        }
    }

    fn with_program(&self, message: &str) -> String {
        format!("{}: {message}", self.program)
    }

    /// The error line and the count, without a record.
    fn error_line(&mut self, message: &str) {
        self.failures += 1;
        let program = std::mem::take(&mut self.program);
        self.stderr_line(format_args!("{program}: {message}"));
        self.program = program;
    }

    /// Writes a line to standard error with the progress bar out of the way. Standard output is
    /// flushed first, as GNU does before each diagnostic, so `fcopy -rv a b > log 2>&1` keeps
    /// the order in which things happened.
    fn stderr_line(&mut self, args: std::fmt::Arguments<'_>) {
        if crate::signals::pending().is_some() {
            // Interrupted: the bar goes for good before the message, so no stale bar is left
            // on the screen above it.
            if let Some(p) = &self.progress {
                p.finish();
            }
        }
        if !self.stdout_taken && self.write_error.is_none() {
            if let Err(e) = self.stdout.flush() {
                self.write_error = Some(e);
            }
        }
        let write = || {
            let _ = writeln!(io::stderr().lock(), "{args}");
        };
        match &self.progress {
            Some(p) => p.suspend(write),
            None => write(),
        }
    }

    /// A line on standard error that is not itself a failure (a note or a warning).
    pub fn note(&mut self, message: &str) {
        let program = std::mem::take(&mut self.program);
        self.stderr_line(format_args!("{program}: {message}"));
        self.program = program;
    }

    /// A usage error: the message and GNU's "Try ... --help" hint.
    pub fn usage_error(&mut self, message: &str, try_help: bool) {
        self.error_line(message);
        if try_help {
            let _ = writeln!(
                io::stderr().lock(),
                "Try '{} --help' for more information.",
                self.program
            );
        }
    }

    /// A job finished: -v/--debug lines or a JSON record.
    pub fn copied(&mut self, job: &Job, outcome: &Outcome, elapsed: Duration) {
        for warning in &outcome.warnings {
            self.note(warning);
        }
        self.files += 1;
        self.bytes += outcome.bytes;
        if outcome.method == Method::Reflink {
            self.cloned += outcome.bytes;
        }
        if self.json {
            let mut record = Record::job(job, "ok");
            record.bytes = Some(outcome.bytes);
            record.method = Some(outcome.method.name());
            record.fallback = outcome.fallback.map(|(r, _)| r.name());
            record.fallback_offset = outcome.fallback.map(|(_, at)| at);
            record.extents = Some(outcome.extents);
            record.elapsed_ms = Some(elapsed.as_secs_f64() * 1e3);
            record.verified = outcome.verified.map(|how| how.name());
            self.line(format_args!("{}", record.finish()));
            return;
        }
        // The `'a' -> 'b'` line was printed when the job started (see `starting`), as GNU cp
        // prints it before copying; --debug adds what happened.
        if self.debug {
            self.line(format_args!("{}", debug_line(job, outcome)));
        }
    }

    /// A file copy is about to start: the -v/--debug line, in walk order even under `-j`.
    pub fn starting(&mut self, job: &Job) {
        if !self.json && (self.verbose || self.debug) {
            self.verbose_line(job.source.display_path(), job.dest.display_path());
        }
    }

    /// `'a' -> 'b'` for -v and --debug, with GNU's ` (backup: 'b~')` when a backup was just made.
    pub fn verbose_line(&mut self, source: &std::path::Path, dest: &std::path::Path) {
        match self.backup_made.take() {
            Some(backup) => self.line(format_args!(
                "{} -> {} (backup: {})",
                quote(source),
                quote(dest),
                quote(&backup)
            )),
            None => self.line(format_args!("{} -> {}", quote(source), quote(dest))),
        }
    }

    /// A backup of the destination about to be written was made under this name: the next
    /// `-v` line ends with ` (backup: 'NAME')`, as GNU cp's (coreutils `emit_verbose`).
    pub fn backup_made(&mut self, backup: &Path) {
        self.backup_made = (self.verbose || self.debug).then(|| backup.to_path_buf());
    }

    /// `--parents` made directory `dest` (for source directory `source`): GNU's `-v` line
    /// `a -> dst/a` (names quoted only when needed, coreutils `quotef`), or a `directory`
    /// record with `--json`.
    pub fn parent_made(&mut self, source: &Path, dest: &Path) {
        if self.json {
            return self.node_done("directory", source, dest);
        }
        if self.verbose || self.debug {
            self.line(format_args!(
                "{} -> {}",
                quote_if_needed(source),
                quote_if_needed(dest)
            ));
        }
    }

    /// A directory, symlink, hard link or special file was made (trees): -v line or JSON record.
    pub fn node_done(&mut self, kind: &str, source: &std::path::Path, dest: &std::path::Path) {
        if self.json {
            let mut record = Record::new(kind, Some(source), Some(dest), "ok");
            record.bytes = Some(0);
            self.line(format_args!("{}", record.finish()));
        } else if self.verbose || self.debug {
            self.verbose_line(source, dest);
        }
    }

    /// `--dry-run --parents`: directory `dest` would be made (once, however many operands need it).
    pub fn planned_parent(&mut self, source: &Path, dest: &Path) {
        if self.planned_parents.insert(dest.to_path_buf()) {
            self.planned_node("directory", source, dest);
        }
    }

    /// `--dry-run` for a directory, symlink, hard link or special file.
    pub fn planned_node(&mut self, kind: &str, source: &std::path::Path, dest: &std::path::Path) {
        if self.json {
            let record = Record::new(kind, Some(source), Some(dest), "planned");
            self.line(format_args!("{}", record.finish()));
        } else {
            self.line(format_args!(
                "{} -> {} ({kind})",
                quote(source),
                quote(dest)
            ));
        }
    }

    /// A job failed: the error line on stderr, and a JSON record.
    pub fn failed(
        &mut self,
        job_source: &std::path::Path,
        job_dest: &std::path::Path,
        strategy: Option<Strategy>,
        message: &str,
        note: Option<&str>,
    ) {
        self.failed_entry("file", job_source, job_dest, strategy, message, note);
    }

    /// A tree entry of this `kind` (`file`, `directory`, `symlink`, `special`) failed: as
    /// [`Reporter::failed`], with the entry's real `type` in the JSON record.
    pub fn failed_entry(
        &mut self,
        kind: &str,
        job_source: &std::path::Path,
        job_dest: &std::path::Path,
        strategy: Option<Strategy>,
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
            record.strategy = strategy.map(Strategy::name);
            record.bytes = Some(0);
            record.range = self.range.as_ref().map(|r| {
                (
                    r.offset_in.as_ref().map_or(0, |b| b.value),
                    r.offset_out.as_ref().map_or(0, |b| b.value),
                    r.len.as_ref().map(|b| b.value),
                )
            });
            self.line(format_args!("{}", record.finish()));
        }
    }

    /// `-i` was answered no: skipped, and the run exits 1 (GNU cp 9.2 and later).
    pub fn declined(&mut self, source: &std::path::Path, dest: &std::path::Path) {
        self.skipped(source, dest);
        self.declined += 1;
    }

    /// Overwrites declined at a `-i` prompt (each makes the exit status 1).
    pub fn declines(&self) -> u64 {
        self.declined
    }

    /// A job was not run because the destination exists (`-n`).
    pub fn skipped(&mut self, source: &std::path::Path, dest: &std::path::Path) {
        self.skipped_node("file", source, dest);
    }

    /// A file or directory was left out (`skipped` also for `--exclude`d entries of a tree).
    pub fn skipped_node(&mut self, kind: &str, source: &std::path::Path, dest: &std::path::Path) {
        self.skipped += 1;
        if self.json {
            let mut record = Record::new(kind, Some(source), Some(dest), "skipped");
            record.bytes = Some(0);
            self.line(format_args!("{}", record.finish()));
        } else if self.debug {
            self.line(format_args!("skipped {}", quote(dest)));
        }
    }

    /// `--dry-run`: one line (or JSON record) per planned job.
    pub fn planned(&mut self, job: &Job) {
        self.files += 1;
        self.bytes += job_bytes(job).unwrap_or(0);
        if self.json {
            let mut record = Record::job(job, "planned");
            record.bytes = job_bytes(job);
            self.line(format_args!("{}", record.finish()));
            return;
        }
        let size = match job_bytes(job) {
            Some(n) => progress::human_size(n),
            None => "to end of file".to_owned(),
        };
        let range = job.range.map_or(String::new(), |r| {
            format!(", from offset {} to offset {}", r.offset_in, r.offset_out)
        });
        self.line(format_args!(
            "{} -> {} ({}, {size}{range})",
            quote(job.source.display_path()),
            quote(job.dest.display_path()),
            job.strategy.name()
        ));
    }

    /// The closing summary record for `--json`.
    pub fn finish(&mut self, elapsed: Duration) {
        if let Some(p) = &self.progress {
            p.finish();
        }
        if self.json {
            self.summary(elapsed);
        }
        self.flush();
    }

    /// `--stats`: the run's totals on standard error (see [`crate::restart::stats`]).
    pub fn print_stats(&mut self, elapsed: Duration) {
        let totals = crate::restart::stats::Totals {
            copied: self.files,
            skipped: self.skipped,
            failed: self.failures,
            bytes_copied: self.bytes - self.cloned,
            bytes_cloned: self.cloned,
        };
        let lines = if self.dry_run {
            crate::restart::stats::planned_lines(&totals)
        } else {
            crate::restart::stats::lines(&totals, elapsed).to_vec()
        };
        for line in lines {
            self.stderr_line(format_args!("{line}"));
        }
    }

    fn summary(&mut self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let record = JsonObject::new()
            .str("type", "summary")
            .num("files", self.files)
            .num("bytes", self.bytes)
            .num("failures", self.failures)
            .num("skipped", self.skipped)
            .float("elapsed_ms", secs * 1e3)
            .float(
                "throughput_bytes_per_sec",
                if secs > 0.0 {
                    self.bytes as f64 / secs
                } else {
                    0.0
                },
            );
        self.line(format_args!("{}", record.finish()));
    }
}

fn job_bytes(job: &Job) -> Option<u64> {
    match job.range {
        Some(r) => r.len,
        None => job.len,
    }
}

/// GNU cp's `--debug` line: `copy offload: ..., reflink: ..., sparse detection: ...`.
pub fn debug_line(job: &Job, outcome: &Outcome) -> String {
    let offload = if outcome.method == Method::Reflink {
        "unknown"
    } else if outcome.fallback.is_some() {
        "unsupported"
    } else if outcome.tried_cfr {
        "yes"
    } else {
        "avoided"
    };
    let reflink = if outcome.method == Method::Reflink {
        "yes"
    } else if outcome.clone_failed {
        "unsupported"
    } else {
        "no"
    };
    let sparse = match (outcome.seek_hole, outcome.zeros || job.detect_zeros) {
        (false, false) => "no",
        (true, false) => "SEEK_HOLE",
        (false, true) => "zeros",
        (true, true) => "SEEK_HOLE + zeros",
    };
    let line = format!("copy offload: {offload}, reflink: {reflink}, sparse detection: {sparse}");
    match outcome.verified {
        Some(how) => format!("{line}, verify: {}", how.name()),
        None => line,
    }
}
