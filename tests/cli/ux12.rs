//! Round 12's leftovers and new-user trial: which `--batch` line a failed job came from.

use crate::testenv::TestEnv;

/// Round 11's leftovers: a failed `--batch` job said "cannot stat 'x'" and not which line of a
/// list of thousands it was; only a malformed line said `FILE:LINE:`. Every job's error line
/// now starts `FILE:LINE: ` — also under `-j`, where jobs finish out of order, and for the
/// job-level refusals that used to carry the prefix in their own text (said once, not twice).
/// Lines outside a job (the summary's warnings, a malformed line) are unchanged.
#[test]
fn a_failed_batch_job_names_its_line() {
    let env = TestEnv::new();
    env.write("s", "data");
    env.write(
        "jobs",
        "missing1\tx1\ns\tok1\ns\tnodir/x3\nbad line\ns\tok5\nmissing6\tx6\ns\tx7\t1\t0\t2\n",
    );
    for jobs in ["-j1", "-j4"] {
        let run = env.run(&[jobs, "--len=1", "--batch", "jobs"]);
        assert_eq!(run.code(), Some(1), "{jobs}: {}", run.stderr());
        let stderr = run.stderr();
        let mut lines: Vec<&str> = stderr.lines().collect();
        lines.sort_unstable();
        assert_eq!(
            lines,
            [
                "fcopy: jobs:1: cannot stat 'missing1': No such file or directory",
                "fcopy: jobs:3: cannot create regular file 'nodir/x3': No such file or directory",
                "fcopy: jobs:4: expected SOURCE<TAB>DEST or SOURCE<TAB>DEST<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN, found 1 field",
                "fcopy: jobs:6: cannot stat 'missing6': No such file or directory",
                "fcopy: jobs:7: the line has its own range, but --offset-in/--offset-out/--len were given",
            ],
            "{jobs}"
        );
        assert_eq!(env.read("ok1"), b"d");
        assert_eq!(env.read("ok5"), b"d");
    }
    // A list name a shell would need quoted is quoted (GNU's quotef): a newline in it cannot
    // forge a line of its own (red team, round 12).
    let odd_name = "job list\nfcopy: fake";
    env.write(odd_name, "missing1\tx1\n");
    let run = env.run(&["--batch", odd_name]);
    assert_eq!(
        run.stderr(),
        "fcopy: 'job list'$'\\n''fcopy: fake':1: cannot stat 'missing1': No such file or directory\n"
    );
    // --json keeps the message without the place: the record's "line" says it.
    let run = env.run(&["--json", "--batch", "jobs"]);
    let record = run
        .stdout()
        .lines()
        .find(|l| l.contains("\"missing6\""))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        record.contains("\"line\":6")
            && record
                .contains("\"error\":\"fcopy: cannot stat 'missing6': No such file or directory\""),
        "{record}"
    );
}

/// Red team, round 12: `--resume --verify` over a DEST whose bytes before the checked tail were
/// wrong failed verification, said "a new run copies it from the start", and kept DEST at
/// SOURCE's size; the next `--resume` took it as complete and exited 0 with the wrong bytes.
/// DEST is now cut at the first byte that differs, so the next `--resume` copies from there.
/// Under `--atomic`, DEST is left as it was, and the note says that only a run without
/// `--resume` copies it again (a `--resume` would start from the same bytes).
#[test]
fn a_resumed_copy_that_fails_verify_is_cut_where_it_differs() {
    let env = TestEnv::new();
    let data = crate::testenv::pattern(3_000_000, 7);
    env.write("s", &data);
    let mut bad = data[..2_500_000].to_vec();
    bad[100] ^= 0xff;
    env.write_partial_copy("d", &bad);
    let run = env.run(&["--resume", "--verify", "s", "d"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        "fcopy: verification failed: 'd' differs from 's' at byte 100\n\
         fcopy: 'd' was resumed from byte 2500000; it is cut at byte 100, where it differs, \
         and a new --resume copies the rest\n"
    );
    assert_eq!(env.read("d"), &data[..100]);
    let again = env.run(&["--resume", "--verify", "--json", "s", "d"]);
    assert_eq!(again.code(), Some(0), "{}", again.stderr());
    assert_eq!(again.json_record()["resumed_from"], 100);
    assert!(
        env.read("d") == data,
        "the second --resume left DEST unlike SOURCE"
    );

    env.write_partial_copy("a", &bad);
    let run = env.run(&["--atomic", "--resume", "--verify", "s", "a"]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr().ends_with(
            "fcopy: 'a' was resumed from byte 2500000 and is kept; only a run without \
             --resume copies it again\n"
        ),
        "{}",
        run.stderr()
    );
    assert!(env.read("a") == bad, "--atomic changed DEST");
    env.run(&["--atomic", "--verify", "s", "a"]).success();
    assert!(env.read("a") == data);
}

/// New-user trial, round 12: when nothing was written (a `--resume` of a complete DEST, a run
/// that skipped everything) the summary said `"throughput_bytes_per_sec":0.000` while `--stats`
/// shows no rate. It is `null` then, as for `--dry-run`; a run that writes has a number.
#[test]
fn the_summary_has_no_throughput_when_nothing_was_written() {
    let env = TestEnv::new();
    let data = crate::testenv::pattern(100_000, 3);
    env.write("s", &data);
    let summary = |args: &[&str]| {
        let run = env.run(args);
        run.success();
        let last = run.stdout().lines().last().unwrap_or("").to_owned();
        serde_json::from_str::<serde_json::Value>(&last).unwrap()
    };
    // Written, not shared (btrfs and XFS share a copy_file_range's extents otherwise).
    let first = summary(&["--json", "--reflink=never", "s", "d"]);
    assert!(
        first["throughput_bytes_per_sec"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "{first}"
    );
    // Written after SOURCE's last change for certain (a coarse clock): complete for --resume.
    env.write_partial_copy("d", &data);
    for args in [
        &["--json", "--resume", "s", "d"][..],
        &["--json", "-n", "s", "d"],
    ] {
        let again = summary(args);
        assert!(
            again["throughput_bytes_per_sec"].is_null(),
            "{args:?}: {again}"
        );
    }
}

/// Blocks of DEST `path` holds on disk (bytes; `st_blocks` × 512).
fn allocated(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// Round 11's leftovers: `--sparse=always` made no holes from a block device, a pipe or
/// standard input, which it read with read/write; GNU cp makes holes from any input into a
/// regular DEST (copy.c: "try to create holes only if the destination is a regular file").
/// Zeros at the end are a hole too: DEST still has SOURCE's size and bytes.
#[test]
fn sparse_always_makes_holes_from_streams_and_block_devices() {
    let env = TestEnv::new();
    let mut data = vec![0u8; 4 << 20];
    data[..5].copy_from_slice(b"hello");
    data[2 << 20..(2 << 20) + 5].copy_from_slice(b"world");
    env.write("img", &data);
    let run = env
        .fcopy()
        .args(&["--sparse=always", "-", "piped"])
        .stdin_bytes(data.clone())
        .run();
    run.success();
    // The copy `name` of `what` has SOURCE's bytes and at most 64 KiB allocated.
    let sparse_copy = |name: &str, what: &str| {
        assert!(env.read(name) == data, "{what}: DEST unlike SOURCE");
        let held = allocated(&env.join(name));
        assert!(held <= 64 << 10, "{what}: {held} bytes allocated");
    };
    sparse_copy("piped", "standard input");
    if !crate::testenv::require_root("attaching a loop device")
        || !crate::testenv::require_tool("losetup")
    {
        return;
    }
    let device = crate::ux11::attach(&env.join("img"));
    env.run(&["--sparse=always", &device.0, "copied"]).success();
    sparse_copy("copied", "block device");
}
