//! What a failed copy left in DEST is said and counted: a partial copy kept for `--resume` is
//! named in a note, and its bytes are in `--stats`, the summary and the JSON record's `bytes`
//! (helper-86, round 17: all three said 0 for a 1 MiB file left behind on purpose).

use crate::testenv::{pattern, require_strace, Run, TestEnv};

const M: usize = 1 << 20;

/// strace arguments that make `pwrite64` fail as `spec` says (`error=ENOSPC:when=3`).
fn pwrite_fault(spec: &str) -> Vec<String> {
    ["strace", "-f", "-o", "/dev/null", "-e", "trace=pwrite64"]
        .into_iter()
        .map(String::from)
        .chain(["-e".into(), format!("inject=pwrite64:{spec}")])
        .collect()
}

/// Runs fcopy with `args`, its `when`-th `pwrite64` failing with ENOSPC (`when=3`: after
/// two pieces of 1 MiB), and checks it fails.
fn fail_at_write(env: &TestEnv, when: &str, args: &[&str]) -> Run {
    let run = env
        .fcopy()
        .wrapped(&pwrite_fault(&format!("error=ENOSPC:when={when}")))
        .args(args)
        .run();
    run.failure();
    run
}

/// The `N` of `--stats`' line `bytes: ... copied (N bytes), ...`.
fn stats_bytes(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("bytes: "))
        .unwrap_or_else(|| panic!("no --stats bytes line in {stderr:?}"));
    line.split(" copied (")
        .nth(1)
        .and_then(|rest| rest.split(" bytes)").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {line:?}"))
}

#[test]
fn a_partial_copy_kept_for_resume_is_said_and_counted() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(3 * M, 18));
    let args = [
        "--resume",
        "--method=read-write",
        "--json",
        "--stats",
        "src",
        "dst",
    ];
    let first = fail_at_write(&env, "3", &args);
    let kept = env.read("dst").len() as u64;
    assert!(kept > 0 && kept < 3 * M as u64, "kept {kept} bytes");
    assert_eq!(env.read("dst"), env.read("src")[..kept as usize]);
    first.stderr_contains(&format!(
        "fcopy: 'dst' is kept for --resume with the first {kept} bytes\n"
    ));
    let stderr = first.stderr();
    let records = first.json();
    let file = records
        .iter()
        .find(|r| r["type"] == "file")
        .expect("a file record");
    let summary = records
        .iter()
        .find(|r| r["type"] == "summary")
        .expect("a summary");
    assert_eq!(file["status"], "error", "{file}");
    assert_eq!(file["bytes"], kept, "{file}");
    let note = format!("'dst' is kept for --resume with the first {kept} bytes");
    assert_eq!(file["note"], note.as_str(), "{file}");
    assert_eq!(summary["bytes"], kept, "{summary}");
    assert_eq!(stats_bytes(&stderr), kept, "{stderr}");

    // The next run continues it and fails again: it counts only what it added.
    let second = fail_at_write(&env, "2", &args);
    let now = env.read("dst").len() as u64;
    assert!(now > kept && now < 3 * M as u64, "{kept} -> {now} bytes");
    assert_eq!(env.read("dst"), env.read("src")[..now as usize]);
    let file = second.json_record();
    assert_eq!(file["resumed_from"], kept, "{file}");
    assert_eq!(file["bytes"], now - kept, "{file}");
    assert_eq!(stats_bytes(&second.stderr()), now - kept);
    second.stderr_contains(&format!(
        "fcopy: 'dst' was resumed from byte {kept} and is kept for --resume\n"
    ));
}

/// Without `--resume` a new DEST is removed and nothing is counted. An existing DEST keeps
/// what it keeps, and the count and the note say just that: on ext4 and tmpfs it is
/// overwritten in place and emptied on failure ("is now empty"); elsewhere (XFS, btrfs) it
/// was truncated and holds the pieces written before the failure ("now holds the first N
/// bytes of the copy").
#[test]
fn a_failed_copy_counts_only_what_dest_keeps() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(3 * M, 19));
    env.write("old", "old contents\n");
    for dest in ["new", "old"] {
        let args = ["--method=read-write", "--json", "--stats", "src", dest];
        let run = fail_at_write(&env, "3", &args);
        let file = run.json_record();
        let left = std::fs::read(env.join(dest)).unwrap_or_default();
        assert_eq!(
            left[..],
            env.read("src")[..left.len()],
            "{dest}: not a prefix"
        );
        let left = left.len() as u64;
        assert_eq!(file["bytes"], left, "{file}");
        assert_eq!(stats_bytes(&run.stderr()), left);
        assert!(
            !run.stderr().contains("kept for --resume"),
            "{}",
            run.stderr()
        );
        // The note says what is left (it said "incomplete" of an empty DEST; new-user trial,
        // round 18).
        if dest == "old" {
            let now = if left == 0 {
                "is now empty".to_owned()
            } else {
                format!("now holds the first {left} bytes of the copy")
            };
            let note = format!(
                "'old' was being overwritten and {now}; its old contents cannot be restored"
            );
            run.stderr_contains(&format!("fcopy: {note}\n"));
            assert_eq!(file["note"], note.as_str(), "{file}");
        }
    }
    assert!(!env.exists("new"));
}

/// `--atomic --resume` keeps its hidden `.NAME.fcopy-partial`: the note names it, its bytes
/// are counted, and DEST itself is untouched (round 18: the file was left in silence and the
/// record said 0 bytes).
#[test]
fn an_atomic_partial_file_kept_for_resume_is_named_and_counted() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(3 * M, 20));
    env.write("dst", "old contents\n");
    let args = [
        "--atomic",
        "--resume",
        "--method=read-write",
        "--json",
        "--stats",
        "src",
        "dst",
    ];
    let run = fail_at_write(&env, "3", &args);
    assert_eq!(env.read("dst"), b"old contents\n");
    let kept = env.read(".dst.fcopy-partial").len() as u64;
    assert!(kept > 0 && kept < 3 * M as u64, "kept {kept} bytes");
    run.stderr_contains(&format!(
        "fcopy: '.dst.fcopy-partial' is kept for --resume with the first {kept} bytes\n"
    ));
    assert_eq!(run.json_record()["bytes"], kept);
    assert_eq!(stats_bytes(&run.stderr()), kept);
    // The next run continues the partial file and puts it in place.
    let rec = env
        .run(&["--atomic", "--resume", "--json", "src", "dst"])
        .json_record();
    assert_eq!(rec["resumed_from"], kept, "{rec}");
    env.assert_same_content("src", "dst");
    assert!(!env.exists(".dst.fcopy-partial"));
}

/// New-user trial, round 18: a `--batch` job's JSON `error` lacks the `FILE:LINE: ` of its
/// stderr line, which the README said was the field's text; the README now says the record's
/// `line` gives the place (round 12's choice). Under `-j` too, the two differ by exactly that.
#[test]
fn a_batch_jobs_json_error_is_its_stderr_line_less_the_place() {
    let env = TestEnv::new();
    env.write("a", "a\n");
    env.write("jobs", "a\tb\nmissing\tc\n");
    for jobs in ["1", "3"] {
        let run = env.run(&["--batch", "jobs", "-j", jobs, "--json"]);
        run.failure();
        let stderr = run.stderr();
        let records = run.json();
        let failed: Vec<_> = records.iter().filter(|r| r["status"] == "error").collect();
        assert_eq!(failed.len(), 1, "{records:?}");
        let line = stderr.lines().next().unwrap();
        assert_eq!(
            line.replacen("jobs:2: ", "", 1),
            failed[0]["error"].as_str().unwrap(),
            "-j {jobs}"
        );
        assert_eq!(failed[0]["line"], 2, "-j {jobs}");
    }
}

/// `strace` arguments that make the calls `calls` fail with `errno` (`-P path`: only on it).
fn inject(calls: &str, errno: &str, path: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["strace", "-f", "-o", "/dev/null"].map(String::from).into();
    if let Some(path) = path {
        args.extend(["-P".into(), path.into()]);
    }
    args.extend(["-e".into(), format!("inject={calls}:error={errno}")]);
    args
}

/// Red team, round 18: the bytes counted for a failed copy are the data it wrote, not DEST's
/// size. A sparse SOURCE (1 MiB of data at 1 MiB and at 5 MiB, 8 MiB in all) failing in its
/// second extent kept a prefix of 5.25 MiB, most of it holes, and counted all of it.
#[test]
fn a_kept_sparse_prefix_counts_its_data_not_its_holes() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write_sparse(
        "src",
        8 * M as u64,
        &[(M as u64, &pattern(M, 21)), (5 * M as u64, &pattern(M, 22))],
    );
    let args = [
        "--resume",
        "--method=read-write",
        "--json",
        "--stats",
        "src",
        "dst",
    ];
    let run = fail_at_write(&env, "6", &args);
    let prefix = env.read("dst").len() as u64;
    assert!(
        prefix > 5 * M as u64,
        "the failure came before the second extent"
    );
    run.stderr_contains(&format!(
        "fcopy: 'dst' is kept for --resume with the first {prefix} bytes\n"
    ));
    let counted = run.json_record()["bytes"].as_u64().unwrap();
    assert!(
        counted > M as u64 && counted < 2 * M as u64,
        "counted {counted} bytes of a {prefix}-byte prefix holding at most 2 MiB of data"
    );
    assert_eq!(stats_bytes(&run.stderr()), counted);
}

/// Red team, round 18: SOURCE failing before its first bytes replaced a small DEST's in place
/// left DEST as it was, but the note said its old contents were lost, and its 4 bytes were
/// counted as copied. Only the read error is said now, as nothing was written; what is said
/// matches what is on disk on every filesystem.
#[test]
fn a_read_error_before_any_write_leaves_dest_and_says_only_the_error() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(3 * M, 23));
    env.write("dst", "old\n");
    let run = env
        .fcopy()
        .wrapped(&inject(
            "pread64,read",
            "EIO",
            Some(&env.join("src").display().to_string()),
        ))
        .args(&["--reflink=never", "--json", "--stats", "src", "dst"])
        .run();
    run.failure();
    let stderr = run.stderr();
    let said: Vec<&str> = stderr
        .lines()
        .take_while(|l| !l.starts_with("files:"))
        .collect();
    // Where DEST is overwritten in place (ext4, tmpfs) it is untouched and only the error is
    // said; elsewhere (XFS, btrfs) it was emptied at its open, as GNU cp empties it, and the
    // note says so.
    let error = "fcopy: error reading 'src': Input/output error";
    if env.read("dst") == b"old\n" {
        assert_eq!(said, [error]);
    } else {
        assert!(env.read("dst").is_empty());
        let note = "fcopy: 'dst' was being overwritten and is now empty; its old contents \
                    cannot be restored";
        assert_eq!(said, [error, note]);
    }
    assert_eq!(run.json_record()["bytes"], 0);
    assert_eq!(stats_bytes(&run.stderr()), 0);
}

/// Red team, round 18: a failure after all the data (attributes, `--sync`) kept the copy for
/// `--resume` whole, but `--atomic`'s `.NAME.fcopy-partial` was left in silence and counted 0
/// bytes, and in place the note said the bytes were kept while every count said 0.
#[test]
fn a_failure_after_the_data_counts_the_copy_kept_for_resume() {
    if !require_strace() || !crate::testenv::require_root("a failing utimensat as root") {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(M, 24));
    let atomic = env
        .fcopy()
        .wrapped(&inject("utimensat", "EPERM", None))
        .args(&[
            "-p", "--atomic", "--resume", "--json", "--stats", "src", "a",
        ])
        .run();
    atomic.failure();
    assert_eq!(env.read(".a.fcopy-partial").len(), M);
    atomic.stderr_contains(&format!(
        "fcopy: '.a.fcopy-partial' is kept for --resume with the first {M} bytes\n"
    ));
    assert_eq!(atomic.json_record()["bytes"], M as u64);
    assert_eq!(stats_bytes(&atomic.stderr()), M as u64);

    let synced = env
        .fcopy()
        .wrapped(&inject("fsync,fdatasync", "EIO", None))
        .args(&["--sync", "--resume", "--json", "--stats", "src", "s"])
        .run();
    synced.failure();
    assert_eq!(env.read("s").len(), M);
    assert_eq!(synced.json_record()["bytes"], M as u64);
    assert_eq!(stats_bytes(&synced.stderr()), M as u64);
}

/// A mount that is unmounted when dropped (also when a test fails).
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A `size=` tmpfs mounted at `dir` (root only); `None`, said as a skip, where it cannot be.
fn small_tmpfs(dir: &std::path::Path, size: &str) -> Option<Mounted> {
    if !crate::testenv::require_root("mounting a small tmpfs that fills up") {
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "none"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount -t tmpfs -o size={size} failed");
    Some(Mounted(dir.to_path_buf()))
}

/// The JSON record of a run's one file.
fn file_record(run: &Run) -> serde_json::Value {
    run.json()
        .into_iter()
        .find(|r| r["type"] == "file")
        .unwrap_or_else(|| panic!("no file record: {}", run.stdout()))
}

/// Red team, round 19: on a filesystem that fills up, the last write is short (part of the
/// buffer lands) and the next one fails with ENOSPC. The note named DEST's true size, but the
/// record's `bytes` (and `--stats`, the summary) left the short write out; and an `--atomic`
/// run that went on with a kept partial file said `"resumed_from": null`. The counts now are
/// the bytes the note names, so a failed run and its `--resume` add up to SOURCE's size.
#[test]
fn a_short_write_before_a_full_disk_is_counted() {
    let env = TestEnv::new();
    let small = env.join("small");
    let Some(_mounted) = small_tmpfs(&small, "1100k") else {
        return;
    };
    let source = pattern(3 * M, 21);
    env.write("src", &source);
    // `--resume` continues a DEST changed after SOURCE last was: not in the same clock tick
    // (the kernel's file times are coarse), which a fast first run could share with it.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let src = env.join("src");
    let src = src.to_str().unwrap();
    let run_in_small = |args: &[&str]| env.fcopy().current_dir(&small).args(args).run();
    let resize = |size: &str| {
        std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&small)
            .status()
            .is_ok_and(|s| s.success())
    };
    // In place, then --atomic, each failing twice (1100 KiB, then 2300 KiB of room: not
    // multiples of the 256 KiB pieces, so the last write is short) and then
    // completed (8 MiB).
    for (dest, kept_as, atomic) in [("d1", "d1", false), ("d2", ".d2.fcopy-partial", true)] {
        let mut args = vec!["--resume", "--method=read-write", "--json", src, dest];
        if atomic {
            args.insert(0, "--atomic");
        }
        let size_of = || std::fs::metadata(small.join(kept_as)).map_or(0, |m| m.len());
        let first = run_in_small(&args);
        let kept = size_of();
        let record = file_record(&first);
        let grew = resize("2300k");
        let second = run_in_small(&args);
        let now = size_of();
        let again = file_record(&second);
        let kept_bytes = std::fs::read(small.join(kept_as)).unwrap_or_default();
        let grew = grew && resize("8m");
        let third = run_in_small(&args);
        let last = file_record(&third);
        let copied = std::fs::read(small.join(dest)).unwrap_or_default();
        let _ = std::fs::remove_file(small.join(dest));
        let shrunk = resize("1100k");
        assert!(grew && shrunk, "mount -o remount,size= failed");
        assert_eq!(first.code(), Some(1), "{dest}: {}", first.stderr());
        assert!(kept > 0 && kept < 3 * M as u64, "{dest}: kept {kept}");
        assert_eq!(record["bytes"], kept, "{dest}: {record}");
        assert_eq!(second.code(), Some(1), "{dest}: {}", second.stderr());
        assert!(now > kept, "{dest}: {kept} -> {now}");
        assert_eq!(
            kept_bytes,
            source[..now as usize],
            "{dest}: not SOURCE's prefix"
        );
        assert_eq!(again["resumed_from"], kept, "{dest}: {again}");
        assert_eq!(again["bytes"], now - kept, "{dest}: {again}");
        assert_eq!(third.code(), Some(0), "{dest}: {}", third.stderr());
        assert_eq!(last["resumed_from"], now, "{dest}: {last}");
        assert_eq!(
            record["bytes"].as_u64().unwrap()
                + again["bytes"].as_u64().unwrap()
                + last["bytes"].as_u64().unwrap(),
            3 * M as u64,
            "{dest}: the three runs' bytes"
        );
        assert!(copied == source, "{dest}: the completed copy differs");
    }
}
