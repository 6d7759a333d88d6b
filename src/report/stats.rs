//! `--stats`: the run's numbers for people, on standard error at the end (see
//! [`crate::restart::stats::Totals`]). Sizes in indicatif's binary units (`1.00 MiB`).

use std::time::Duration;

use indicatif::HumanBytes;

use crate::restart::stats::Totals;

#[cfg(test)]
mod tests;

fn human_bytes(n: u64) -> String {
    HumanBytes(n).to_string()
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
/// `files: 10 copied, 2 skipped, 0 failed` /
/// `bytes: 1.00 MiB copied (1048576 bytes), 0 B cloned (0 bytes)` /
/// `time: 0.012 s, 83.3 MiB/s`. Links made by `-l` or `-s` are counted after the copies
/// (`files: 0 copied, 3 linked, ...`) when there are any: a run of `-l` said `0 copied` and
/// nothing else, as if it had done nothing (round 18's leftovers). The rate counts only bytes copied (written): a reflink's shared
/// bytes move no data, and a rate over them (hundreds of GiB/s) means nothing. Without copied
/// bytes (or time) the line has no rate: `time: 0.012 s`.
pub fn lines(t: &Totals, elapsed: Duration) -> [String; 3] {
    let secs = elapsed.as_secs_f64();
    let time = if secs > 0.0 && t.bytes_copied > 0 {
        let rate = human_bytes((t.bytes_copied as f64 / secs) as u64);
        format!("time: {secs:.3} s, {rate}/s")
    } else {
        format!("time: {secs:.3} s")
    };
    let linked = if t.linked > 0 {
        format!(", {} linked", t.linked)
    } else {
        String::new()
    };
    [
        format!(
            "files: {} copied{linked}, {} skipped, {} failed",
            t.copied, t.skipped, t.failed
        ),
        format!(
            "bytes: {} copied ({} bytes), {} cloned ({} bytes)",
            human_bytes(t.bytes_copied),
            t.bytes_copied,
            human_bytes(t.bytes_cloned),
            t.bytes_cloned
        ),
        time,
    ]
}
