//! `--stats`: the run's numbers for people, on standard error at the end (the JSON summary's
//! numbers, plus how many bytes were cloned rather than copied).

use std::time::Duration;

use indicatif::HumanBytes;

fn human_bytes(n: u64) -> String {
    HumanBytes(n).to_string()
}

/// What a run did, counted by the reporter.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Files copied (regular files; directories, links and special files are not counted).
    pub copied: u64,
    /// Files skipped (`-n`, `--update`, excluded by a filter).
    pub skipped: u64,
    /// Failures (files and other errors).
    pub failed: u64,
    /// Bytes written by copy_file_range, sendfile or read/write.
    pub bytes_copied: u64,
    /// Bytes shared with the source by reflinks (FICLONE): not written at all.
    pub bytes_cloned: u64,
}

/// The `--stats` lines of a `--dry-run`: what would be copied, with no time or rate (nothing
/// was written), e.g. `files: 10 to copy, 2 to skip` / `bytes: 1.0 MiB to copy`.
pub fn planned_lines(t: &Totals) -> Vec<String> {
    vec![
        format!(
            "files: {} to copy, {} to skip, {} failed (--dry-run: nothing was written)",
            t.copied, t.skipped, t.failed
        ),
        format!(
            "bytes: {} to copy ({} bytes)",
            human_bytes(t.bytes_copied + t.bytes_cloned),
            t.bytes_copied + t.bytes_cloned
        ),
    ]
}

/// The `--stats` lines (without the program name), e.g.
/// `files: 10 copied, 2 skipped, 0 failed` / `bytes: 1.0 MiB copied, 0 B cloned` /
/// `time: 0.012 s, 83.3 MiB/s`. The rate counts copied and cloned bytes.
pub fn lines(t: &Totals, elapsed: Duration) -> [String; 3] {
    let secs = elapsed.as_secs_f64();
    let moved = t.bytes_copied + t.bytes_cloned;
    let rate = if secs > 0.0 {
        format!("{}/s", human_bytes((moved as f64 / secs) as u64))
    } else {
        "-".to_owned()
    };
    [
        format!(
            "files: {} copied, {} skipped, {} failed",
            t.copied, t.skipped, t.failed
        ),
        format!(
            "bytes: {} copied, {} cloned ({} and {} bytes)",
            human_bytes(t.bytes_copied),
            human_bytes(t.bytes_cloned),
            t.bytes_copied,
            t.bytes_cloned
        ),
        format!("time: {secs:.3} s, {rate}"),
    ]
}
