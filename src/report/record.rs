//! The `--json` records of jobs and tree nodes: every record has the same fields, in the same
//! order, whatever its status (the schema is in the README, "JSON output").

use std::path::Path;

use super::{JsonObject, Reporter};
use crate::plan::Job;

/// One `--json` record of a job or a tree node. Every record has the same fields in the same
/// order, whatever its status; a field that does not apply is `null` (the schema is in the
/// README, "JSON output").
pub(super) struct Record<'a> {
    pub kind: &'a str,
    pub source: Option<&'a Path>,
    pub dest: Option<&'a Path>,
    pub status: &'a str,
    pub strategy: Option<&'static str>,
    pub method: Option<&'static str>,
    pub fallback: Option<&'static str>,
    pub fallback_offset: Option<u64>,
    /// offset_in, offset_out, len.
    pub range: Option<(u64, u64, Option<u64>)>,
    pub bytes: Option<u64>,
    pub extents: Option<u64>,
    pub error: Option<String>,
    /// What became of DEST after a failure, as the second stderr line says it (`'f' is kept
    /// for --resume with the first N bytes`), without the program name.
    pub note: Option<&'a str>,
    pub elapsed_ms: Option<f64>,
    /// The line of a `--batch` file the record is about.
    pub line: Option<u64>,
    /// `--resume`: the DEST offset (bytes) the copy continued from.
    pub resumed_from: Option<u64>,
    /// `--verify`: how DEST was checked against SOURCE.
    pub verified: Option<&'static str>,
    /// Bytes of DEST sharing extents with SOURCE (a clone, or what copy_file_range shared).
    pub shared_bytes: Option<u64>,
    /// `--verify=hash`: the BLAKE3 digest (hex) of the bytes verified.
    pub digest: Option<&'a str>,
}

impl<'a> Record<'a> {
    pub fn new(
        kind: &'a str,
        source: Option<&'a Path>,
        dest: Option<&'a Path>,
        status: &'a str,
    ) -> Self {
        Record {
            kind,
            source,
            dest,
            status,
            strategy: None,
            method: None,
            fallback: None,
            fallback_offset: None,
            range: None,
            bytes: None,
            extents: None,
            error: None,
            note: None,
            elapsed_ms: None,
            line: None,
            resumed_from: None,
            verified: None,
            shared_bytes: None,
            digest: None,
        }
    }

    pub fn job(job: &'a Job, status: &'a str) -> Self {
        let mut record = Record::new(
            "file",
            Some(job.source.display_path()),
            Some(job.dest.display_path()),
            status,
        );
        record.strategy = Some(job.strategy.name());
        record.range = job.range.map(|r| (r.offset_in, r.offset_out, r.len));
        record.resumed_from = job.restart.resumed_from;
        record
    }

    /// A copy `--resume` continued from byte `from` ran as a ranged job, whichever step chose
    /// it: the planner (a DEST holding SOURCE's first bytes) or `--atomic`'s executor (a kept
    /// `.NAME.fcopy-partial`), so both say `ranged` with the range that was copied (red team,
    /// round 8: `--atomic` said `copy_file_range` and no range).
    pub fn resumed(&mut self, job: &Job, from: u64) {
        self.resumed_from = Some(from);
        if job.range.is_none() {
            self.strategy = Some(crate::plan::Strategy::Ranged.name());
            let len = job.source_facts.size.saturating_sub(from);
            self.range = Some((from, from, Some(len)));
        }
    }

    pub fn error(mut self, message: String) -> Self {
        self.error = Some(message);
        self
    }

    /// The `--batch` line `line` is about, unless the record names one already.
    pub fn at_line(mut self, line: Option<u64>) -> Self {
        self.line = self.line.or(line);
        self
    }

    pub fn finish(self) -> String {
        let path = |o: JsonObject, key: &str, p: Option<&Path>| match p {
            Some(p) => o.path(key, p),
            None => o.null(key),
        };
        let mut o = JsonObject::new().str("type", self.kind);
        o = path(o, "source", self.source);
        o = path(o, "dest", self.dest);
        o = o
            .str("status", self.status)
            .opt_str("strategy", self.strategy)
            .opt_str("method", self.method)
            .opt_str("fallback", self.fallback)
            .opt_num("fallback_offset", self.fallback_offset)
            .opt_num("offset_in", self.range.map(|r| r.0))
            .opt_num("offset_out", self.range.map(|r| r.1))
            .opt_num("len", self.range.and_then(|r| r.2))
            .opt_num("bytes", self.bytes)
            .opt_num("extents", self.extents)
            .opt_str("error", self.error.as_deref())
            .opt_str("note", self.note);
        o = match self.elapsed_ms {
            Some(ms) => o.float("elapsed_ms", ms),
            None => o.null("elapsed_ms"),
        };
        o.opt_num("line", self.line)
            .opt_num("resumed_from", self.resumed_from)
            .opt_str("verified", self.verified)
            .opt_num("shared_bytes", self.shared_bytes)
            .opt_str("digest", self.digest)
            .finish()
    }
}

impl Reporter {
    /// A line of a `--batch` file that is not a job (wrong number of fields, a bad number): the
    /// error line, and with `--json` an error record carrying the line number.
    pub fn bad_batch_line(&mut self, line: u64, message: &str) {
        self.error_line(message);
        if self.json {
            let mut record =
                Record::new("batch_line", None, None, "error").error(self.with_program(message));
            record.line = Some(line);
            self.emit(record);
        }
    }
}

/// How the watchdog says that it removed the new DEST of a copy blocked in a system call
/// ([`crate::signals::partial`]), as the job itself would have said its interruption: the
/// error line on standard error and, with `--json`, the job's error record (on standard
/// output, or standard error when DEST is `-`). Written straight to the descriptors: the
/// watchdog runs on its own thread and fcopy dies by the signal next (round 7's closing note:
/// the line was plain text also under `--json`).
pub struct PartialRemoved<'a> {
    pub program: &'a str,
    pub json: bool,
    pub stdout_taken: bool,
}

impl PartialRemoved<'_> {
    /// Says it for the job copying `source` to `dest` (both as shown).
    pub fn say(&self, source: &Path, dest: &Path) {
        use std::io::Write as _;
        let said = crate::exec::ExecError::Interrupted {
            source: source.to_owned(),
            dest: dest.to_owned(),
            partial: crate::exec::Partial::Removed,
        };
        let message = format!("{}: {said}", self.program);
        let _ = writeln!(std::io::stderr().lock(), "{message}");
        if self.json {
            let mut record = Record::new("file", Some(source), Some(dest), "error").error(message);
            record.bytes = Some(0);
            let line = record.finish();
            let _ = if self.stdout_taken {
                writeln!(std::io::stderr().lock(), "{line}")
            } else {
                writeln!(std::io::stdout().lock(), "{line}")
            };
        }
    }
}
