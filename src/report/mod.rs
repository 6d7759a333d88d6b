//! Everything a person or script sees: messages, -v/--debug lines, --json records, --dry-run
//! lines, prompts, the progress bar and the exit status. Every line goes through the
//! [`Reporter`], which flushes standard output before a diagnostic and keeps the bar out of the
//! way of each line. The wording of typed errors is in [`messages`].

mod diagnostics;
mod exit_codes;
mod json;
pub mod messages;
pub mod progress;
mod prompt;
mod quote;
mod record;
mod stats;
mod summary;
mod verbose;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

pub use self::exit_codes::ExitCode;
pub use self::json::JsonObject;
pub use self::quote::{argmatch_quote, quote, quote_bytes, quote_if_needed};
pub use self::record::PartialRemoved;
pub use self::verbose::debug_line;

/// The text of an error without Rust's " (os error N)" suffix.
pub fn errno_text(e: &io::Error) -> String {
    messages::io_error(e)
}

/// The text of an errno without Rust's " (os error N)" suffix.
pub fn errno_text_of(e: rustix::io::Errno) -> String {
    messages::errno(e)
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
    /// Hard and symbolic links made (`-l`, `-s`), for `--stats`.
    links: u64,
    skipped: u64,
    declined: u64,
    bytes: u64,
    /// Bytes shared by reflinks rather than copied (`--stats`).
    cloned: u64,
    /// Standard output, line-buffered on a terminal and block-buffered otherwise; made at the
    /// first line written ([`stdout_writer`]), so a quiet run neither asks whether standard
    /// output is a terminal nor allocates the 4 KiB buffer.
    stdout: Option<Box<dyn Write + Send>>,
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
    /// The `--batch` line whose job is being planned or reported: its records' `line` (new
    /// user, round 10: a failed job's record had `"line":null`, hard to find in a long list).
    pub batch_line: Option<u64>,
    /// The `--batch` job list as named: while a job's line is in effect, its error and warning
    /// lines start `FILE:LINE: `, as a malformed line's do (round 11's leftovers: in a list of
    /// thousands, "cannot stat 'x'" did not say which line).
    pub batch_file: Option<PathBuf>,
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
            links: 0,
            skipped: 0,
            declined: 0,
            bytes: 0,
            cloned: 0,
            stdout: None,
            write_error: None,
            progress: None,
            backup_made: None,
            answers: None,
            range: None,
            batch_line: None,
            batch_file: None,
            planned_parents: std::collections::HashSet::new(),
        }
    }

    /// Writes one line of output (to stderr when stdout carries data); remembers a write error.
    /// Writes a `--json` record, with the `--batch` line in effect unless it names one.
    fn emit(&mut self, record: record::Record<'_>) {
        let record = record.at_line(self.batch_line);
        self.line(format_args!("{}", record.finish()));
    }

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
                writeln!(stdout_writer(stdout), "{args}")
            }
        };
        let result = match &self.progress {
            Some(p) => p.suspend(write),
            None => write(),
        };
        if let Err(e) = result {
            self.remember_write_error(e);
        }
    }

    /// Keeps a write error on standard output for [`Reporter::flush`] to report. EPIPE (the
    /// reader is gone: `fcopy -rv a b | head -1`) also stops the run as a signal does, and
    /// fcopy then dies by SIGPIPE, as GNU cp does (new-user trial, round 13: it copied every
    /// remaining file, then said `write error: Broken pipe`).
    fn remember_write_error(&mut self, e: io::Error) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            crate::signals::note_broken_pipe();
        }
        self.write_error = Some(e);
    }

    /// Text that is the run's output itself (`--help`, `--version`), on standard output and
    /// flushed at once; a write error (`> /dev/full`) is GNU's `write error` line and a failure.
    pub fn print_text(&mut self, text: &str) {
        if self.write_error.is_none() {
            if let Err(e) = stdout_writer(&mut self.stdout).write_all(text.as_bytes()) {
                self.remember_write_error(e);
            }
        }
        self.flush();
    }

    /// Flushes standard output; a write error there is a failure (as GNU cp: `write error`).
    pub fn flush(&mut self) {
        if let (None, Some(stdout)) = (&self.write_error, &mut self.stdout) {
            if let Err(e) = stdout.flush() {
                self.remember_write_error(e);
            }
        }
        if let Some(e) = self.write_error.take() {
            self.error(&format!("write error: {}", errno_text(&e)));
            // Report it once.
            self.write_error = Some(io::Error::other("reported"));
            self.stdout = Some(Box::new(io::sink()));
        }
    }

    /// Flushes standard output before a line on standard error (a diagnostic or a prompt), as
    /// GNU does, so both streams into one file keep the order of events; a write error is kept
    /// for [`Reporter::flush`] to report.
    fn flush_before_diagnostic(&mut self) {
        if let (false, None, Some(stdout)) =
            (self.stdout_taken, &self.write_error, &mut self.stdout)
        {
            if let Err(e) = stdout.flush() {
                self.remember_write_error(e);
            }
        }
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
        self.flush_before_diagnostic();
        // One write a line (formatted first): standard error is unbuffered, and `writeln!`
        // would write each piece, so another process's lines could land inside this one.
        let line = format!("{args}\n");
        let write = || {
            let _ = io::stderr().lock().write_all(line.as_bytes());
        };
        match &self.progress {
            Some(p) => p.suspend(write),
            None => write(),
        }
    }
}

/// Standard output's writer in `slot`, made on first use: line-buffered on a terminal, else a
/// 4 KiB buffer, as GNU's stdio gives a pipe or a file (their `st_blksize`): with 64 KiB,
/// `fcopy -rv a b | head -1` copied every one of 3,001 files before its first write met the
/// closed pipe, where GNU cp stopped after 355 (red team 13b).
fn stdout_writer(slot: &mut Option<Box<dyn Write + Send>>) -> &mut Box<dyn Write + Send> {
    slot.get_or_insert_with(|| {
        if io::stdout().is_terminal() {
            Box::new(io::LineWriter::new(io::stdout()))
        } else {
            Box::new(io::BufWriter::with_capacity(4096, io::stdout()))
        }
    })
}
