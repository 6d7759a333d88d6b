//! The end of a run: the progress bar cleared, `--json`'s summary record, `--stats` lines, and
//! the last flush of standard output.

use std::time::Duration;

use super::{JsonObject, Reporter};

impl Reporter {
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

    /// `--stats`: the run's totals on standard error (see `super::stats`).
    pub fn print_stats(&mut self, elapsed: Duration) {
        let totals = crate::restart::stats::Totals {
            copied: self.files,
            linked: self.links,
            skipped: self.skipped,
            failed: self.failures,
            bytes_copied: self.bytes - self.cloned,
            bytes_cloned: self.cloned,
        };
        let lines = if self.dry_run {
            super::stats::planned_lines(&totals)
        } else {
            super::stats::lines(&totals, elapsed).to_vec()
        };
        for line in lines {
            self.stderr_line(format_args!("{line}"));
        }
    }

    /// The summary record. `throughput_bytes_per_sec` counts the bytes written (not those a
    /// reflink shared); `null` for `--dry-run`, which moves nothing, and when nothing was
    /// written (all shared, skipped or already complete), as `--stats` then shows no rate
    /// (new-user trial, round 12: it said `0.000`).
    fn summary(&mut self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let written = self.bytes - self.cloned;
        let record = JsonObject::new()
            .str("type", "summary")
            .num("files", self.files)
            .num("bytes", self.bytes)
            .num("failures", self.failures)
            .num("skipped", self.skipped)
            .float("elapsed_ms", secs * 1e3);
        let record = if self.dry_run || written == 0 {
            record.null("throughput_bytes_per_sec")
        } else if secs > 0.0 {
            record.float("throughput_bytes_per_sec", written as f64 / secs)
        } else {
            record.float("throughput_bytes_per_sec", 0.0)
        };
        self.line(format_args!("{}", record.finish()));
    }
}
