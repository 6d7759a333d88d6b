//! Byte ranges, new-user report of round 9: a range to `-` is written where standard output is
//! (as dd writes it); `-b`/`--remove-destination` never drop DEST's bytes outside the range;
//! ranged copies keep holes; `--offset-in` past the end of a /proc file fails as a stream's.

use std::fs::File;
use std::io::Write;

use crate::testenv::{allocated, pattern, TestEnv};

/// Runs fcopy with `args` and standard output on `out` (already written to: its position is
/// past what was written), then writes `T\n` after it through the same open file, as a shell's
/// `{ echo hdr; fcopy ... -; echo T; } > out` does.
fn between_writes(env: &TestEnv, args: &[&str]) -> Vec<u8> {
    let mut out = File::create(env.join("out")).unwrap();
    out.write_all(b"hdr\n").unwrap();
    let run = env
        .fcopy()
        .args(args)
        .stdout_file(out.try_clone().unwrap())
        .run();
    run.success();
    out.write_all(b"T\n").unwrap();
    env.read("out")
}

/// `{ echo hdr; fcopy --offset-in 2 --len 2 s4 -; echo T; } > o` gave `23r\nT\n` (the range
/// went to offset 0 of the file): it must give `hdr\n23T\n`, as dd and `fcopy s4 -` do.
#[test]
fn range_to_stdout_is_written_at_its_position() {
    let env = TestEnv::new();
    env.write("s4", "0123");
    let got = between_writes(&env, &["--offset-in", "2", "--len", "2", "s4", "-"]);
    assert_eq!(got, b"hdr\n23T\n");
    assert_eq!(
        between_writes(&env, &["--len", "2", "s4", "-"]),
        b"hdr\n01T\n"
    );
    assert_eq!(between_writes(&env, &["s4", "-"]), b"hdr\n0123T\n");
    // O_APPEND is honoured: the range goes at the end.
    env.write("log", "LOG\n");
    let log = crate::testenv::open_append(&env.join("log"));
    env.fcopy()
        .args(&["--offset-in", "1", "--len", "2", "s4", "-"])
        .stdout_file(log)
        .run()
        .success();
    assert_eq!(env.read("log"), b"LOG\n12");
}

/// `--offset-out N` with `-` is N bytes past standard output's position, as dd's `seek=N`
/// (`lseek(SEEK_CUR)`): `{ echo hdr; dd if=s4 bs=1 count=2 seek=2; echo T; }` gives
/// `hdr\n\0\001T\n`.
#[test]
fn offset_out_to_stdout_is_past_its_position() {
    let env = TestEnv::new();
    env.write("s4", "0123");
    let got = between_writes(&env, &["--offset-out", "2", "--len", "2", "s4", "-"]);
    assert_eq!(got, b"hdr\n\0\x0001T\n");
}

/// Batch lines writing `-` in order give the same bytes into a file as through a pipe (`23`
/// in a file, `0123` through a pipe before).
#[test]
fn batch_ranges_to_stdout_file_and_pipe_agree() {
    let env = TestEnv::new();
    env.write("s4", "0123");
    env.write("jobs", "s4\t-\t0\t\t2\ns4\t-\t2\t\t2\n");
    let piped = env.run(&["--batch", "jobs"]);
    piped.success();
    assert_eq!(piped.stdout(), "0123");
    let out = File::create(env.join("bo")).unwrap();
    env.fcopy()
        .args(&["--batch", "jobs"])
        .stdout_file(out)
        .run()
        .success();
    assert_eq!(env.read("bo"), b"0123");
}

/// `-b --offset-out 2 r2 rb` left `\0\0 01` in rb (its other bytes only in rb~), and
/// `--remove-destination` lost them: both are refused before anything is touched (the backup
/// or removal comes before the range is planned); with `--atomic` DEST keeps them.
#[test]
fn backup_or_remove_with_range_keeps_dest() {
    let env = TestEnv::new();
    env.write("r2", "01");
    for flag in ["-b", "--remove-destination"] {
        env.write("rb", "ABCDEFGH");
        let _ = std::fs::remove_file(env.join("rb~"));
        let run = env.run(&[flag, "--offset-out", "2", "r2", "rb"]);
        run.failure();
        run.stderr_contains("needs --atomic (DEST keeps its bytes outside the range)");
        assert_eq!(env.read("rb"), b"ABCDEFGH", "{flag}");
        assert!(!env.exists("rb~"), "{flag}");
        env.run(&[flag, "--atomic", "--offset-out", "2", "r2", "rb"])
            .success();
        assert_eq!(env.read("rb"), b"AB01EFGH", "{flag} --atomic");
        if flag == "-b" {
            assert_eq!(env.read("rb~"), b"ABCDEFGH");
        }
    }
}

/// The same for a `--batch` line's own range: that line fails, DEST untouched, and the other
/// lines are copied (round 9: the line wrote its range into a new, empty DEST and left the old
/// bytes only in the backup).
#[test]
fn batch_line_range_with_backup_or_remove_keeps_dest() {
    let env = TestEnv::new();
    env.write("r2", "01");
    env.write("jobs", "r2\trb\t\t2\t\nr2\tother\n");
    for flag in ["-b", "--remove-destination"] {
        env.write("rb", "ABCDEFGH");
        let _ = std::fs::remove_file(env.join("rb~"));
        let run = env.run(&[flag, "--batch", "jobs"]);
        run.failure();
        run.stderr_contains("jobs:1: the line has its own range, which cannot be used with");
        assert_eq!(env.read("rb"), b"ABCDEFGH", "{flag}");
        assert!(!env.exists("rb~"), "{flag}");
        assert_eq!(env.read("other"), b"01", "{flag}: the other line is copied");
        env.run(&[flag, "--atomic", "--batch", "jobs"]).success();
        assert_eq!(env.read("rb"), b"AB01EFGH", "{flag} --atomic");
    }
}

/// A range of a hole is a hole in a new DEST with `--sparse=always`, as whole-file copies and
/// `dd conv=sparse` make (before: every block written); `--sparse=never` writes it.
#[test]
fn range_keeps_holes() {
    let env = TestEnv::new();
    let data = pattern(4096, 9);
    env.write_sparse("h", 64 << 20, &[(0, &data), (60 << 20, &data)]);
    env.run(&[
        "--sparse=always",
        "--offset-in",
        "0",
        "--len",
        "50M",
        "h",
        "r",
    ])
    .success();
    assert_eq!(env.join("r").metadata().unwrap().len(), 50 << 20);
    assert!(allocated(&env.join("r")) < 1 << 20, "{}", env.listing());
    let got = env.read("r");
    assert_eq!(&got[..4096], &data[..]);
    assert!(got[4096..].iter().all(|&b| b == 0));
    let _ = std::fs::remove_file(env.join("r"));
    env.run(&["--sparse=never", "--len", "8M", "h", "r"])
        .success();
    assert!(allocated(&env.join("r")) >= 8 << 20, "{}", env.listing());
}

/// Over an existing DEST, a hole of the range becomes zeros (a punched hole or written
/// zeros), never DEST's old bytes; past DEST's old end it stays a hole.
#[test]
fn range_hole_over_dest_data_reads_as_zeros() {
    let env = TestEnv::new();
    let data = pattern(4096, 3);
    env.write_sparse("h", 1 << 20, &[(0, &data), ((1 << 20) - 4096, &data)]);
    env.write("d", vec![b'X'; 512 << 10]);
    env.run(&["--sparse=always", "--offset-out", "8192", "h", "d"])
        .success();
    let mut want = vec![b'X'; 8192];
    want.extend_from_slice(&data);
    want.resize(8192 + (1 << 20) - 4096, 0);
    want.extend_from_slice(&data);
    assert!(env.read("d") == want, "DEST's old bytes inside the range");
    assert!(allocated(&env.join("d")) < 512 << 10, "{}", env.listing());
}

/// `--offset-in 1000 /proc/version x` succeeded with an empty x; a regular file or stdin says
/// the offset is past the end, exit 1, and leaves no DEST.
#[test]
fn offset_in_past_end_of_proc_file_fails() {
    let env = TestEnv::new();
    let size = std::fs::read("/proc/version").unwrap().len();
    let run = env.run(&["--offset-in", "100000", "/proc/version", "x"]);
    run.failure();
    run.stderr_is(&format!(
        "fcopy: '/proc/version' ended after {size} bytes, before --offset-in 100000\n"
    ));
    assert!(!env.exists("x"), "{}", env.listing());
    env.write("y", "keep");
    env.run(&["--offset-in", "100000", "/proc/version", "y"])
        .failure();
    assert_eq!(env.read("y"), b"keep");
    // Inside the file it copies from there, as before.
    env.run(&["--offset-in", "2", "--len", "3", "/proc/version", "z"])
        .success();
    assert_eq!(
        env.read("z"),
        &std::fs::read("/proc/version").unwrap()[2..5]
    );
}

/// `-b --atomic` with a range within one file (SOURCE as DEST, or DEST another name of it):
/// the range is applied to DEST (memmove: SOURCE's bytes as they were), and the backup is the
/// old file. New user, round 15: under the same name the range was written over the old
/// backup `f~` (a new file of zeros and the range) and `f` left as it was; onto a hard link,
/// DEST became a new file holding only the range. Both exited 0.
#[test]
fn backup_atomic_range_within_one_file_applies_the_range_and_keeps_the_old_file() {
    let env = TestEnv::new();
    let old = pattern(300_000, 41);
    let mut want = old.clone();
    want.copy_within(0..100_000, 4096);
    let range = [
        "--offset-in",
        "0",
        "--offset-out",
        "4096",
        "--len",
        "100000",
    ];
    for backup in ["-b", "--backup=numbered"] {
        // The same name; an old backup there is replaced by the new one, as any backup is.
        env.write("f", &old);
        env.write("f~", "my old backup");
        let _ = std::fs::remove_file(env.join("f.~1~"));
        let run = env
            .fcopy()
            .args(&[backup, "--atomic"])
            .args(&range)
            .args(&["f", "f"])
            .run();
        run.success();
        assert!(env.read("f") == want, "{backup}: the range is applied to f");
        let kept = if backup == "-b" { "f~" } else { "f.~1~" };
        assert!(env.read(kept) == old, "{backup}: the backup is the old f");
        // Another name of the same file.
        env.write("g", &old);
        let _ = std::fs::remove_file(env.join("hl"));
        std::fs::hard_link(env.join("g"), env.join("hl")).unwrap();
        for stale in ["hl~", "hl.~1~"] {
            let _ = std::fs::remove_file(env.join(stale));
        }
        let run = env
            .fcopy()
            .args(&[backup, "--atomic"])
            .args(&range)
            .args(&["g", "hl"])
            .run();
        run.success();
        assert!(
            env.read("hl") == want,
            "{backup}: the range is applied to hl"
        );
        assert!(env.read("g") == old, "{backup}: SOURCE is untouched");
        let kept = if backup == "-b" { "hl~" } else { "hl.~1~" };
        assert!(env.read(kept) == old, "{backup}: the backup is the old hl");
    }
}
