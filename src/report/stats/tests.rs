//! Unit tests of [`super`]: the `--stats` lines' wording.

use std::time::Duration;

use super::{lines, planned_lines};
use crate::restart::stats::Totals;

const TOTALS: Totals = Totals {
    copied: 10,
    linked: 0,
    skipped: 2,
    failed: 1,
    bytes_copied: 1 << 20,
    bytes_cloned: 3 << 20,
};

#[test]
fn run_lines() {
    let [files, bytes, time] = lines(&TOTALS, Duration::from_secs(2));
    assert_eq!(files, "files: 10 copied, 2 skipped, 1 failed");
    assert_eq!(
        bytes,
        "bytes: 1.00 MiB copied (1048576 bytes), 3.00 MiB cloned (3145728 bytes)"
    );
    // The rate counts the bytes copied, not the cloned ones (1 MiB in 2 s).
    assert_eq!(time, "time: 2.000 s, 512.00 KiB/s");
    let [_, _, instant] = lines(&TOTALS, Duration::ZERO);
    assert_eq!(instant, "time: 0.000 s");
    let clone_only = Totals {
        bytes_copied: 0,
        ..TOTALS
    };
    let [_, _, time] = lines(&clone_only, Duration::from_millis(3));
    assert_eq!(time, "time: 0.003 s", "a reflink moved no data: no rate");
    let links = Totals {
        copied: 0,
        linked: 3,
        ..TOTALS
    };
    let [files, _, _] = lines(&links, Duration::ZERO);
    assert_eq!(files, "files: 0 copied, 3 linked, 2 skipped, 1 failed");
}

#[test]
fn dry_run_lines() {
    assert_eq!(
        planned_lines(&TOTALS),
        [
            "files: 10 to copy, 2 to skip, 1 failed (--dry-run: nothing was written)",
            "bytes: 4.00 MiB to copy (4194304 bytes)",
        ]
    );
}
