//! Restartable copies (issue 17): `--update=changed`, `--resume`, `--verify`, the tree filters,
//! `--stats` and `--mkpath`, driven through the built binary. Faults come from strace: a write
//! that fails (an interrupted copy) or that claims success without writing (a corruption
//! `--verify` must catch).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::testenv::{allocated, pattern, require_strace, TestEnv};

const K: usize = 1024;
const M: usize = 1 << 20;

/// strace arguments that trace pwrite64 and inject `spec` into it (output discarded).
fn pwrite_fault(spec: &str) -> Vec<String> {
    vec![
        "strace".into(),
        "-f".into(),
        "-o".into(),
        "/dev/null".into(),
        "-e".into(),
        "trace=pwrite64".into(),
        "-e".into(),
        format!("inject=pwrite64:{spec}"),
    ]
}

fn set_mtime(path: &Path, t: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

/// Sets the file's length (`truncate -s`).
fn set_len(path: &Path, len: u64) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

fn mtime(path: &Path) -> (i64, i64) {
    let m = fs::metadata(path).unwrap();
    (m.mtime(), m.mtime_nsec())
}

#[test]
fn update_changed_skips_finished_copies_and_copies_the_rest() {
    let env = TestEnv::new();
    env.write("src/same", pattern(100 * K, 1));
    env.write("src/touched", pattern(10 * K, 2));
    env.write("src/grown", pattern(10 * K, 3));
    env.write("src/new", pattern(5 * K, 4));
    env.run(&["-a", "src", "dst"]).success();
    fs::remove_file(env.join("dst/new")).unwrap();
    // Same size, other bytes and another mtime: copied.
    env.write("src/touched", pattern(10 * K, 22));
    set_mtime(
        &env.join("src/touched"),
        SystemTime::now() - Duration::from_secs(3600),
    );
    env.write("src/grown", pattern(11 * K, 3));
    // Same size and mtime but other bytes: taken as a finished copy (that is the contract).
    let t = mtime(&env.join("src/same"));
    fs::write(env.join("dst/same"), pattern(100 * K, 9)).unwrap();
    set_mtime(
        &env.join("dst/same"),
        SystemTime::UNIX_EPOCH + Duration::new(t.0 as u64, t.1 as u32),
    );

    let run = env.run(&["-a", "--update=changed", "--json", "-j1", "src/.", "dst"]);
    run.success();
    let records = run.json();
    let status = |name: &str| {
        records
            .iter()
            .find(|r| r["source"] == format!("src/./{name}"))
            .unwrap_or_else(|| run.fail(&format!("no record for {name}")))["status"]
            .clone()
    };
    assert_eq!(status("same"), "skipped");
    assert_eq!(status("touched"), "ok");
    assert_eq!(status("grown"), "ok");
    assert_eq!(status("new"), "ok");
    let summary = records.last().unwrap();
    assert_eq!(summary["skipped"], 1, "{summary}");
    assert_eq!(summary["files"], 3, "{summary}");
    for name in ["touched", "grown", "new"] {
        env.assert_same_content(format!("src/{name}"), format!("dst/{name}"));
    }
    assert_eq!(env.read("dst/same"), pattern(100 * K, 9));

    // A second run has nothing left to do.
    let again = env.run(&["-a", "--update=changed", "--json", "src/.", "dst"]);
    again.success();
    let summary = again.json().pop().unwrap();
    assert_eq!(summary["files"], 0, "{summary}");
    assert_eq!(summary["skipped"], 4, "{summary}");
}

/// The `status` of `run`'s `--json` record whose source is `source`.
fn status_of(run: &crate::testenv::Run, source: &str) -> serde_json::Value {
    let records = run.json();
    let rec = records.iter().find(|r| r["source"] == source);
    rec.unwrap_or_else(|| run.fail(source))["status"].clone()
}

#[test]
fn update_changed_keeps_symlinks_with_the_same_target() {
    let env = TestEnv::new();
    env.write("t/f", b"f");
    std::os::unix::fs::symlink("f", env.join("t/same")).unwrap();
    std::os::unix::fs::symlink("f", env.join("t/moved")).unwrap();
    env.run(&["-a", "t", "u"]).success();
    fs::remove_file(env.join("t/moved")).unwrap();
    std::os::unix::fs::symlink("elsewhere", env.join("t/moved")).unwrap();
    let run = env.run(&["-a", "--update=changed", "--json", "-T", "t", "u"]);
    run.success();
    let status = |name: &str| status_of(&run, &format!("t/{name}"));
    assert_eq!(status("same"), "skipped");
    assert_eq!(status("f"), "skipped");
    assert_eq!(status("moved"), "ok");
    assert_eq!(
        fs::read_link(env.join("u/moved")).unwrap(),
        Path::new("elsewhere")
    );
}

/// Round 7's new user: `-a --update=changed` re-made a FIFO on every run. A FIFO (or another
/// special file) of SOURCE's kind with its mtime is the finished copy; a FIFO whose source
/// was touched since is made again.
#[test]
fn update_changed_keeps_a_fifo_copied_before() {
    let env = TestEnv::new();
    fs::create_dir(env.join("t")).unwrap();
    for name in ["same", "touched"] {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            env.join("t").join(name),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o640),
            0,
        )
        .unwrap();
    }
    env.run(&["-a", "t", "u"]).success();
    // A mark a FIFO made again would not have (mode is not compared, -a would restore it).
    fs::set_permissions(env.join("u/same"), fs::Permissions::from_mode(0o600)).unwrap();
    // Not opened (a FIFO without a reader would block): `touch` sets the time by name.
    let touched = std::process::Command::new("touch")
        .args(["-d", "+1 minute"])
        .arg(env.join("t/touched"))
        .status()
        .unwrap();
    assert!(touched.success());
    let run = env.run(&["-a", "--update=changed", "--json", "-T", "t", "u"]);
    run.success();
    let status = |name: &str| status_of(&run, &format!("t/{name}"));
    assert_eq!(status("same"), "skipped");
    assert_eq!(status("touched"), "ok");
    let mode = |name: &str| {
        fs::symlink_metadata(env.join("u").join(name))
            .unwrap()
            .mode()
    };
    assert_eq!(
        mode("same") & 0o7777,
        0o600,
        "the unchanged FIFO was made again"
    );
    assert_eq!(mode("touched") & 0o7777, 0o640);
    assert_eq!(mtime(&env.join("u/touched")), mtime(&env.join("t/touched")));
}

#[test]
fn update_changed_compares_whole_seconds_when_one_side_keeps_no_nanoseconds() {
    let env = TestEnv::new();
    env.write("a", pattern(4 * K, 5));
    set_mtime(
        &env.join("a"),
        SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789),
    );
    env.write("b", pattern(4 * K, 6));
    // A destination on a filesystem that keeps whole seconds (ext3, NFSv2, FUSE servers).
    set_mtime(
        &env.join("b"),
        SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 0),
    );
    let run = env.run(&["--update=changed", "--json", "a", "b"]);
    run.success();
    assert_eq!(run.json_record()["status"], "skipped");
    // Another second is another time.
    set_mtime(
        &env.join("b"),
        SystemTime::UNIX_EPOCH + Duration::new(1_700_000_001, 0),
    );
    env.run(&["--update=changed", "a", "b"]).success();
    env.assert_same_content("a", "b");
}

/// An overwrite that fails half-way leaves a DEST with the source's size (here, the old file
/// was as long) but not its mtime, so `--update=changed` copies it again.
#[test]
fn update_changed_never_trusts_a_failed_overwrite() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(M, 7));
    env.write("dst", pattern(M, 8));
    let failed = env
        .fcopy()
        .wrapped(&pwrite_fault("error=ENOSPC:when=3"))
        .args(&["-a", "--method=read-write", "src", "dst"])
        .run();
    failed.failure();
    failed.stderr_contains("No space left on device");
    assert_ne!(mtime(&env.join("dst")), mtime(&env.join("src")));
    env.run(&["-a", "--update=changed", "src", "dst"]).success();
    env.assert_same_content("src", "dst");
    assert_eq!(mtime(&env.join("dst")), mtime(&env.join("src")));
}

#[test]
fn resume_completes_a_partial_copy_from_where_it_ends() {
    let env = TestEnv::new();
    let data = pattern(3 * M + 17, 11);
    env.write("src", &data);
    env.write_partial_copy("dst", &data[..M + 5]);
    let run = env.run(&["--resume", "--json", "src", "dst"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["resumed_from"], M + 5, "{rec}");
    assert_eq!(
        rec["bytes"],
        2 * M + 12,
        "only the missing bytes move: {rec}"
    );
    env.assert_same_content("src", "dst");

    // A tail that does not match the source: copied again from the start.
    let mut wrong = data[..2 * M].to_vec();
    wrong[2 * M - 1] ^= 1;
    env.write("dst", &wrong);
    let run = env.run(&["--resume", "--json", "src", "dst"]);
    run.success();
    let rec = run.json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    assert_eq!(rec["bytes"], 3 * M + 17, "{rec}");
    env.assert_same_content("src", "dst");

    // A DEST as long as SOURCE whose tail differs: a plain copy.
    env.write("dst", pattern(3 * M + 17, 12));
    let rec = env.run(&["--resume", "--json", "src", "dst"]).json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    env.assert_same_content("src", "dst");

    // A complete DEST (a re-run after the copy finished): nothing moves, as `rsync --append`
    // skips it (new-user trial, round 4: the whole file was copied again).
    let rec = env.run(&["--resume", "--json", "src", "dst"]).json_record();
    assert_eq!(rec["resumed_from"], 3 * M + 17, "{rec}");
    assert_eq!(rec["bytes"], 0, "{rec}");
    env.assert_same_content("src", "dst");

    // A DEST longer than SOURCE: copied again from the start (and cut to SOURCE's size).
    env.write("dst", pattern(4 * M, 11));
    let rec = env.run(&["--resume", "--json", "src", "dst"]).json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    env.assert_same_content("src", "dst");
}

#[test]
fn update_older_with_resume_continues_a_partial_copy_but_skips_other_newer_files() {
    // `-u --resume`: the partial file a --resume copy kept is newer than SOURCE (it was being
    // written); -u skipped it as up to date and left it incomplete (new-user trial, round 8).
    let env = TestEnv::new();
    let data = pattern(3 * M + 17, 21);
    env.write("src", &data);
    env.write("dst", &data[..M + 5]);
    let later = SystemTime::now() + Duration::from_secs(3600);
    set_mtime(&env.join("dst"), later);
    for args in [
        &["-u", "--resume"][..],
        &["-p", "--update=older", "--resume"],
    ] {
        let run = env.fcopy().args(args).args(&["--json", "src", "dst"]).run();
        run.success();
        let rec = run.json_record();
        assert_eq!(rec["status"], "ok", "{rec}");
        assert_eq!(rec["resumed_from"], M + 5, "{rec}");
        env.assert_same_content("src", "dst");
        env.write("dst", &data[..M + 5]);
        set_mtime(&env.join("dst"), later);
    }
    // A newer, shorter DEST whose head was edited since, its tail still SOURCE's: -u keeps it
    // (red team 8b: it was appended to, the edit and SOURCE's rest mixed, exit 0).
    let mut edited = data[..2 * M].to_vec();
    edited[..5].copy_from_slice(b"EDIT!");
    env.write("dst", &edited);
    set_mtime(&env.join("dst"), later);
    let rec = env
        .run(&["-u", "--resume", "--json", "src", "dst"])
        .json_record();
    assert_eq!(rec["status"], "skipped", "{rec}");
    assert_eq!(env.read("dst"), edited);
    // A newer, shorter DEST whose bytes are not SOURCE's start is another file: -u keeps it.
    let other = pattern(M, 22);
    env.write("dst", &other);
    set_mtime(&env.join("dst"), later);
    let rec = env
        .run(&["-u", "--resume", "--json", "src", "dst"])
        .json_record();
    assert_eq!(rec["status"], "skipped", "{rec}");
    assert_eq!(env.read("dst"), other);
    // A finished copy (as long as SOURCE, newer): skipped without reading, as before.
    env.write("dst", &data);
    set_mtime(&env.join("dst"), later);
    let rec = env
        .run(&["-u", "--resume", "--json", "src", "dst"])
        .json_record();
    assert_eq!(rec["status"], "skipped", "{rec}");
}

#[test]
fn resume_keeps_an_interrupted_copy_and_finishes_it() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(M, 13));
    // Without --resume, the failed new file is removed.
    env.fcopy()
        .wrapped(&pwrite_fault("error=ENOSPC:when=3"))
        .args(&["--method=read-write", "src", "plain"])
        .run()
        .failure();
    assert!(!env.exists("plain"));
    // With it, the two chunks written before the failure stay...
    env.fcopy()
        .wrapped(&pwrite_fault("error=ENOSPC:when=3"))
        .args(&["--resume", "--method=read-write", "src", "dst"])
        .run()
        .failure();
    let kept = fs::metadata(env.join("dst")).unwrap().len();
    assert!(kept > 0 && kept < M as u64, "kept {kept} bytes");
    assert_eq!(env.read("dst"), env.read("src")[..kept as usize]);
    // ...and the next run copies only the rest.
    let run = env.run(&["--resume", "--json", "src", "dst"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["resumed_from"], kept, "{rec}");
    assert_eq!(rec["bytes"], M as u64 - kept, "{rec}");
    env.assert_same_content("src", "dst");
}

#[test]
fn resume_refuses_ranges() {
    let env = TestEnv::new();
    env.write("src", b"abc");
    env.run(&["--resume", "--len=1", "src", "dst"])
        .failure()
        .stderr_contains("--resume cannot be used with --offset-in, --offset-out or --len");
    env.run(&["--update=changed", "--offset-in=1", "src", "dst"])
        .failure()
        .stderr_contains("--update=changed cannot be used with --offset-in");
    assert!(!env.exists("dst"));
}

#[test]
fn verify_passes_good_copies() {
    let env = TestEnv::new();
    env.write("src", pattern(2 * M + 3, 14));
    // --reflink=never: where a copy would be a clone (btrfs, XFS) it verifies as "reflink".
    let run = env.run(&["--verify", "--json", "--reflink=never", "src", "dst"]);
    run.success();
    assert_eq!(run.json_record()["verified"], "compared");
    env.assert_same_content("src", "dst");
    let run = env.run(&["--verify", "--debug", "--reflink=never", "src", "dst2"]);
    run.success();
    assert!(
        run.stdout().contains("verify: compared"),
        "{}",
        run.stdout()
    );
    // A resumed copy verifies the whole file, the part found on disk too.
    env.write("part", &pattern(2 * M + 3, 14)[..M]);
    let rec = env
        .run(&[
            "--resume",
            "--verify",
            "--json",
            "--reflink=never",
            "src",
            "part",
        ])
        .json_record();
    assert_eq!(rec["verified"], "compared", "{rec}");
}

/// A write the kernel never made (strace returns success without running pwrite) leaves a
/// 256 KiB gap: unnoticed without --verify, a failed file with it.
#[test]
fn verify_catches_a_write_that_never_reached_the_file() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(M, 15));
    let lost = pwrite_fault("retval=262144:when=2");
    env.fcopy()
        .wrapped(&lost)
        .args(&["--method=read-write", "src", "unverified"])
        .run()
        .success();
    assert_ne!(
        env.read("unverified"),
        env.read("src"),
        "the fault did not bite"
    );

    let run = env
        .fcopy()
        .wrapped(&lost)
        .args(&["--verify", "--method=read-write", "src", "dst"])
        .run();
    run.failure();
    run.stderr_contains("verification failed: 'dst' differs from 'src' at byte 262144");
    assert!(
        !env.exists("dst"),
        "a new DEST that failed verification is removed"
    );

    // With --atomic, the old DEST stays.
    env.write("old", b"old contents");
    env.fcopy()
        .wrapped(&lost)
        .args(&["--verify", "--atomic", "--method=read-write", "src", "old"])
        .run()
        .failure()
        .stderr_contains("verification failed");
    assert_eq!(env.read("old"), b"old contents");
}

#[test]
fn filters_leave_out_entries_and_do_not_descend() {
    let env = TestEnv::new();
    env.write("t/a/x.o", b"1");
    env.write("t/a/y.c", b"2");
    env.write("t/build/deep/z", b"3");
    env.write("t/keep.o", b"4");
    env.write("t/a/build", b"a file named build");
    env.write("t/docs/n.tmp", b"5");
    env.write("t/docs/sub/n.tmp", b"6");
    env.write("patterns", b"# comment\n\ndocs/*.tmp\n");
    let args = [
        "-r",
        "--exclude=*.o",
        "--exclude=build/",
        "--include=keep.o",
        "--exclude-from=patterns",
        "--json",
        "t",
        "out",
    ];
    let run = env.run(&args);
    run.success();
    let skipped: Vec<String> = run
        .json()
        .iter()
        .filter(|r| r["status"] == "skipped")
        .map(|r| r["source"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    for s in ["t/a/x.o", "t/build", "t/docs/n.tmp"] {
        assert!(
            skipped.iter().any(|k| k == s),
            "{s} not skipped: {skipped:?}"
        );
    }
    let build = run.json().into_iter().find(|r| r["source"] == "t/build");
    assert_eq!(build.unwrap()["type"], "directory");
    assert!(!env.exists("out/a/x.o"));
    assert!(
        !env.exists("out/build"),
        "an excluded directory is not created"
    );
    assert!(!env.exists("out/docs/n.tmp"));
    assert!(env.exists("out/docs/sub/n.tmp"), "* does not cross /");
    assert!(env.exists("out/a/build"), "build/ matches directories only");
    assert!(env.exists("out/keep.o"), "--include wins over --exclude");
    assert!(env.exists("out/a/y.c"));

    // --dry-run names them.
    let dry = env.run(&["-r", "--exclude=*.o", "--dry-run", "t", "out2"]);
    dry.success();
    assert!(
        dry.stdout()
            .contains("'t/a/x.o' -> 'out2/a/x.o' (excluded)"),
        "{}",
        dry.stdout()
    );
    assert!(!env.exists("out2"));

    env.run(&["-r", "--exclude=a[", "t", "out3"])
        .failure()
        .stderr_contains("invalid pattern for --exclude: 'a['");
    env.run(&["-r", "--exclude-from=missing", "t", "out3"])
        .failure()
        .stderr_contains("cannot read --exclude-from file 'missing': No such file or directory");
}

#[test]
fn stats_summarize_the_run_on_stderr() {
    let env = TestEnv::new();
    env.write("t/a", pattern(3000, 1));
    env.write("t/b", pattern(5000, 2));
    env.write("t/c.o", b"x");
    let run = env.run(&["-r", "--stats", "--exclude=*.o", "t", "out"]);
    assert_eq!(run.code(), Some(0));
    assert!(run.stdout().is_empty());
    let err = run.stderr();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], "files: 2 copied, 1 skipped, 0 failed");
    // On a filesystem that clones (btrfs, XFS) the bytes are shared rather than copied.
    assert!(lines[1].starts_with("bytes: "), "{err}");
    assert!(
        lines[1].ends_with(" copied (8000 bytes), 0 B cloned (0 bytes)")
            || lines[1].ends_with(" copied (0 bytes), 7.81 KiB cloned (8000 bytes)"),
        "{err}"
    );
    // The rate counts bytes copied, not bytes shared by a clone (none copied: no rate).
    let cloned_all = lines[1].ends_with("cloned (8000 bytes)");
    assert!(lines[2].starts_with("time: "), "{err}");
    assert_eq!(lines[2].ends_with("/s"), !cloned_all, "{err}");
}

#[test]
fn mkpath_creates_target_and_batch_directories() {
    let env = TestEnv::new();
    env.write("a", b"a");
    env.write("b", b"b");
    env.run(&["-t", "x/y", "a"])
        .failure()
        .stderr_contains("target directory 'x/y': No such file or directory");
    env.run(&["--mkpath", "-t", "x/y", "a", "b"]).success();
    assert_eq!(env.read("x/y/a"), b"a");
    assert_eq!(env.read("x/y/b"), b"b");
    env.write("jobs", b"a\tm/n/a-copy\nb\tp/q/\n");
    env.run(&["--batch", "jobs"]).failure();
    env.run(&["--mkpath", "--batch", "jobs"]).success();
    assert_eq!(env.read("m/n/a-copy"), b"a");
    assert_eq!(env.read("p/q/b"), b"b");
}

#[test]
fn mkpath_creates_the_directory_of_plain_operands() {
    // rsync's --mkpath on SOURCE DEST forms; it applied to -t and --batch only, and
    // `--mkpath a x/new/` failed with "Not a directory" (new-user trial, round 8).
    let env = TestEnv::new();
    env.write("a", b"a");
    env.write("b", b"b");
    env.write("s/d/f", b"f");
    let cases: [(&[&str], &str); 5] = [
        (&["a", "x1/new/"], "x1/new/a"),
        (&["a", "x2/new/file"], "x2/new/file"),
        (&["a", "b", "x3/new"], "x3/new/b"),
        (&["-T", "a", "x4/new/file"], "x4/new/file"),
        (&["-r", "s", "x5/new/copy"], "x5/new/copy/d/f"),
    ];
    for (args, made) in cases {
        let dry = env
            .fcopy()
            .arg("--dry-run")
            .arg("--mkpath")
            .args(args)
            .run();
        dry.success();
        assert!(
            dry.stdout().contains("(directory, --mkpath)"),
            "{}",
            dry.stdout()
        );
        let top = made.split('/').next().unwrap();
        assert!(!env.exists(top), "--dry-run made {top}");
        env.fcopy().arg("--mkpath").args(args).run().success();
        assert!(env.exists(made), "{args:?} did not make {made}");
    }
    assert_eq!(env.read("x3/new/a"), b"a");
    // Without --mkpath, cp's errors as before.
    env.run(&["a", "y/new/"])
        .failure()
        .stderr_contains("cannot create regular file 'y/new/'");
}

/// A small deterministic generator for kill moments and file sizes.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Starts `fcopy args`, SIGKILLs it after a random moment within `span`; returns whether it
/// was still running when killed.
fn kill_during(env: &TestEnv, args: &[&str], span: Duration, rng: &mut Lcg) -> bool {
    let mut child = std::process::Command::new(crate::testenv::FCOPY)
        .args(args)
        .current_dir(env.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_micros(
        rng.below(span.as_micros().max(1) as u64),
    ));
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    child.wait().unwrap();
    running
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The issue's proof, scaled to the suite: a big file copied with `--resume` and a tree copied
/// with `-a` are SIGKILLed at random moments (20 times each); every re-run ends with DEST
/// identical to SOURCE and moves only the missing bytes (counted from `--json`). Sizes:
/// `FCOPY_KILL_MIB` (default 64) and `FCOPY_KILL_FILES` (default 500); the counts are printed.
#[test]
fn sigkill_at_random_moments_then_resume_copies_only_what_is_missing() {
    let env = TestEnv::new();
    let rounds = env_number("FCOPY_KILL_ROUNDS", 20);
    let mib = env_number("FCOPY_KILL_MIB", 64) as usize;
    let files = env_number("FCOPY_KILL_FILES", 500);
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill test seed {seed}");
    let mut rng = Lcg(seed);

    // The big file.
    {
        let mut f = fs::File::create(env.join("big")).unwrap();
        for i in 0..mib {
            std::io::Write::write_all(&mut f, &pattern(M, 1000 + i as u64)).unwrap();
        }
    }
    let size = (mib * M) as u64;
    let started = std::time::Instant::now();
    env.run(&["big", "warm"]).success();
    let span = started.elapsed() + Duration::from_millis(5);
    fs::remove_file(env.join("warm")).unwrap();
    let (mut killed_mid, mut resumed, mut moved) = (0, 0, 0u64);
    for round in 0..rounds {
        let _ = fs::remove_file(env.join("copy"));
        let running = kill_during(&env, &["--resume", "-a", "big", "copy"], span, &mut rng);
        let partial = fs::metadata(env.join("copy")).map_or(0, |m| m.len());
        let run = env.run(&["--resume", "-a", "--json", "big", "copy"]);
        run.success();
        let rec = run.json_record();
        let from = rec["resumed_from"].as_u64().unwrap_or(0);
        if running && partial > 0 && partial < size {
            killed_mid += 1;
            assert_eq!(from, partial, "round {round}: {rec}");
            resumed += 1;
        }
        // A complete DEST (the killed run had written every byte) moves nothing.
        let expected = if partial > 0 && partial <= size {
            size - partial
        } else {
            size
        };
        assert_eq!(
            rec["bytes"].as_u64().unwrap(),
            expected,
            "round {round}: {rec}"
        );
        moved += expected;
        env.assert_same_content("big", "copy");
    }
    eprintln!(
        "kill test, {mib} MiB file: {rounds} kills, {killed_mid} mid-copy, {resumed} resumed, \
         {moved} bytes moved by the re-runs of {} in full copies",
        rounds * size
    );

    // The tree: files of 1 byte to 256 KiB in 20 directories.
    let mut sizes = Vec::new();
    for i in 0..files {
        let len = 1 + rng.below(256 * K as u64) as usize;
        env.write(format!("tree/d{}/f{i}", i % 20), pattern(len, i));
        sizes.push((format!("d{}/f{i}", i % 20), len as u64));
    }
    let started = std::time::Instant::now();
    env.run(&["-a", "-r", "-T", "tree", "warm"]).success();
    let span = started.elapsed() + Duration::from_millis(5);
    fs::remove_dir_all(env.join("warm")).unwrap();
    let (mut tree_mid, mut skipped_total, mut tree_moved) = (0, 0u64, 0u64);
    for round in 0..rounds {
        let _ = fs::remove_dir_all(env.join("out"));
        if kill_during(
            &env,
            &["-a", "-r", "-T", "--resume", "tree", "out"],
            span,
            &mut rng,
        ) {
            tree_mid += 1;
        }
        // What a correct re-run must move: every byte not already in place.
        let mut missing = 0;
        let mut done = 0;
        for (rel, len) in &sizes {
            let dst = env.join("out").join(rel);
            let expected = match fs::metadata(&dst) {
                Ok(m)
                    if m.len() == *len
                        && (m.mtime(), m.mtime_nsec()) == mtime(&env.join("tree").join(rel)) =>
                {
                    done += 1;
                    0
                }
                // Every byte there but not finished (times not set): resumed, nothing moves.
                Ok(m) if m.len() > 0 && m.len() <= *len => len - m.len(),
                _ => *len,
            };
            missing += expected;
        }
        let run = env.run(&[
            "-a",
            "-r",
            "-T",
            "--update=changed",
            "--resume",
            "--json",
            "tree",
            "out",
        ]);
        run.success();
        let summary = run.json().pop().unwrap();
        assert_eq!(
            summary["bytes"].as_u64().unwrap(),
            missing,
            "round {round}: {summary}"
        );
        assert_eq!(
            summary["skipped"].as_u64().unwrap(),
            done,
            "round {round}: {summary}"
        );
        skipped_total += done;
        tree_moved += missing;
        for (rel, _) in &sizes {
            env.assert_same_content(env.join("tree").join(rel), env.join("out").join(rel));
        }
    }
    eprintln!(
        "kill test, {files}-file tree: {rounds} kills, {tree_mid} mid-copy, {skipped_total} \
         finished files skipped, {tree_moved} bytes moved by the re-runs"
    );
}

/// SIGINT during a `--resume` copy: the partial file stays (a prefix of what was read), and the
/// message says so.
#[test]
fn resume_keeps_the_partial_file_on_sigint() {
    use std::io::Write;
    let env = TestEnv::new();
    let fifo = env.join("src");
    crate::testenv::mkfifo(&fifo);
    let writer = std::thread::spawn(move || {
        let mut sent = Vec::new();
        let Ok(mut w) = fs::OpenOptions::new().write(true).open(&fifo) else {
            return sent;
        };
        for i in 0..40 {
            let piece = pattern(4096, i);
            if w.write_all(&piece).is_err() {
                break;
            }
            sent.extend_from_slice(&piece);
            std::thread::sleep(Duration::from_millis(50));
        }
        sent
    });
    let child = std::process::Command::new(crate::testenv::FCOPY)
        .args(["--resume", "src", "dst"])
        .current_dir(env.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Signalled once fcopy copies, not after a fixed sleep: killed before its handlers exist
    // it never opens the FIFO, and the writer waits for ever (flake hunt, round 14).
    assert!(
        crate::testenv::wait_until_open(child.id(), &env.join("dst")),
        "fcopy never opened dst"
    );
    std::thread::sleep(Duration::from_millis(100));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "fcopy: interrupted while copying 'src' to 'dst'; the partial copy was kept for --resume\n"
    );
    let kept = env.read("dst");
    assert!(
        !kept.is_empty() && kept.len() <= sent.len(),
        "kept {} bytes",
        kept.len()
    );
    assert_eq!(kept, sent[..kept.len()]);
}

/// `--verify` of a file the kernel makes up as it is read (/proc: size 0 in stat) keeps the
/// copy and says it could not be verified. Before: "verification failed: 'v' has 2682 bytes,
/// '/proc/cpuinfo' has 0", exit 1, and the good copy removed.
#[test]
fn verify_of_a_proc_file_keeps_the_copy_and_says_it_is_not_verifiable() {
    let env = TestEnv::new();
    let run = env.run(&["--verify", "--json", "/proc/self/status", "v"]);
    run.exit_zero()
        .stderr_contains("'v' was copied but not verified: '/proc/self/status' is made up");
    let rec = run.json_record();
    assert_eq!(rec["verified"], "not verifiable", "{rec}");
    assert!(env.exists("v"));
    assert!(!env.read("v").is_empty());
}

/// A pattern line of `--exclude-from` that is not UTF-8 is refused with its line number, as
/// the same pattern on the command line is. Before: it silently matched nothing and the file
/// was copied, exit 0.
#[test]
fn exclude_from_refuses_a_pattern_that_is_not_utf8() {
    let env = TestEnv::new();
    env.write("src/keep", "k");
    env.write("pats", b"# comment\nx\xfe\n");
    let run = env.run(&["-r", "--exclude-from", "pats", "src", "dst"]);
    run.failure()
        .stderr_contains("pats:2: pattern is not valid UTF-8");
    assert!(!env.exists("dst"), "nothing copied after a usage error");
}

/// Gives `path` the mtime of `like`.
fn copy_mtime(like: &Path, path: &Path) {
    let t = mtime(like);
    set_mtime(
        path,
        SystemTime::UNIX_EPOCH + Duration::new(t.0 as u64, t.1 as u32),
    );
}

#[test]
fn checksum_copies_files_whose_size_and_mtime_match_but_bytes_differ() {
    let env = TestEnv::new();
    env.write("src/same", pattern(300 * K, 1));
    env.write("src/differs", pattern(2 * M + 5, 2));
    env.write("src/empty", b"");
    env.write("src/sub/tail", pattern(10 * K, 3));
    env.run(&["-a", "src", "dst"]).success();
    // Same size and mtime, other bytes: one at the start, one in the last byte.
    let mut bytes = pattern(2 * M + 5, 2);
    bytes[0] ^= 1;
    fs::write(env.join("dst/differs"), &bytes).unwrap();
    copy_mtime(&env.join("src/differs"), &env.join("dst/differs"));
    let mut bytes = pattern(10 * K, 3);
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(env.join("dst/sub/tail"), &bytes).unwrap();
    copy_mtime(&env.join("src/sub/tail"), &env.join("dst/sub/tail"));

    // Without --checksum both are taken as finished copies.
    let quick = env.run(&["-a", "--update=changed", "--json", "src/.", "dst"]);
    quick.success();
    assert_eq!(quick.json().pop().unwrap()["files"], 0);

    let run = env.run(&[
        "-a",
        "--update=changed",
        "--checksum",
        "--json",
        "-j1",
        "src/.",
        "dst",
    ]);
    run.success();
    let records = run.json();
    let status = |name: &str| {
        records
            .iter()
            .find(|r| r["source"] == format!("src/./{name}"))
            .unwrap_or_else(|| run.fail(&format!("no record for {name}")))["status"]
            .clone()
    };
    assert_eq!(status("same"), "skipped");
    assert_eq!(status("empty"), "skipped");
    assert_eq!(status("differs"), "ok");
    assert_eq!(status("sub/tail"), "ok");
    let summary = records.last().unwrap();
    assert_eq!(summary["files"], 2, "{summary}");
    assert_eq!(summary["skipped"], 2, "{summary}");
    for name in ["same", "differs", "empty", "sub/tail"] {
        env.assert_same_content(format!("src/{name}"), format!("dst/{name}"));
    }

    // --stats counts what --checksum found equal as skipped.
    let again = env.run(&[
        "-a",
        "--update=changed",
        "--checksum",
        "--stats",
        "src/.",
        "dst",
    ]);
    assert_eq!(again.code(), Some(0));
    let err = again.stderr();
    assert_eq!(
        err.lines().next(),
        Some("files: 0 copied, 4 skipped, 0 failed"),
        "{err}"
    );
}

#[test]
fn checksum_needs_update_changed() {
    let env = TestEnv::new();
    env.write("a", b"a");
    for args in [
        &["--checksum", "a", "b"][..],
        &["--checksum", "-u", "a", "b"],
        &["--checksum", "-n", "--update=changed", "a", "b"],
    ] {
        let run = env.run(args);
        assert_eq!(run.code(), Some(1), "{args:?}");
        assert!(
            run.stderr().contains("--checksum needs --update=changed"),
            "{}",
            run.stderr()
        );
        assert!(!env.exists("b"));
    }
}

#[test]
fn checksum_reads_a_destination_symlink_as_the_copy_writes_through_it() {
    let env = TestEnv::new();
    env.write("src/f", pattern(4 * K, 1));
    env.write("elsewhere", pattern(4 * K, 1));
    fs::create_dir(env.join("dst")).unwrap();
    std::os::unix::fs::symlink(env.join("elsewhere"), env.join("dst/f")).unwrap();
    copy_mtime(&env.join("src/f"), &env.join("elsewhere"));
    // As cp does, a regular file is written through a symbolic link at DEST: the file behind
    // the link is the one compared.
    let args = [
        "-a",
        "--update=changed",
        "--checksum",
        "--json",
        "src/.",
        "dst",
    ];
    let run = env.run(&args);
    run.success();
    assert_eq!(run.json().pop().unwrap()["files"], 0);
    let mut bytes = pattern(4 * K, 1);
    bytes[100] ^= 1;
    fs::write(env.join("elsewhere"), &bytes).unwrap();
    copy_mtime(&env.join("src/f"), &env.join("elsewhere"));
    let run = env.run(&args);
    run.success();
    assert_eq!(run.json().pop().unwrap()["files"], 1);
    assert!(fs::symlink_metadata(env.join("dst/f"))
        .unwrap()
        .file_type()
        .is_symlink());
    env.assert_same_content("src/f", "elsewhere");
}

/// Issue 17 feature 2 with `--atomic`: a `--resume --atomic` copy over an existing DEST is
/// SIGKILLed at random moments (`FCOPY_KILL_ROUNDS`, default 20; `FCOPY_KILL_MIB`, default 64).
/// DEST is at every moment its old self or the complete copy; the stable temporary
/// `.copy.fcopy-partial` stays, and the re-run continues it, moving only the missing bytes.
#[test]
fn sigkill_resume_atomic_continues_the_stable_temporary() {
    let env = TestEnv::new();
    let rounds = env_number("FCOPY_KILL_ROUNDS", 20);
    let mib = env_number("FCOPY_KILL_MIB", 64) as usize;
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("atomic kill test seed {seed}");
    let mut rng = Lcg(seed);
    {
        let mut f = fs::File::create(env.join("big")).unwrap();
        for i in 0..mib {
            std::io::Write::write_all(&mut f, &pattern(M, 2000 + i as u64)).unwrap();
        }
    }
    let size = (mib * M) as u64;
    let started = std::time::Instant::now();
    env.run(&["--atomic", "big", "warm"]).success();
    let span = started.elapsed() + Duration::from_millis(5);
    fs::remove_file(env.join("warm")).unwrap();
    let partial_path = env.join(".copy.fcopy-partial");
    let old = b"old contents".to_vec();
    let (mut resumed, mut moved) = (0, 0u64);
    for round in 0..rounds {
        env.write("copy", &old);
        let args = ["--resume", "--atomic", "big", "copy"];
        kill_during(&env, &args, span, &mut rng);
        let now = fs::metadata(env.join("copy")).unwrap().len();
        let complete = now == size;
        if !complete {
            assert_eq!(
                env.read("copy"),
                old,
                "round {round}: DEST changed before the rename"
            );
        }
        let partial = fs::metadata(&partial_path).map_or(0, |m| m.len());
        let run = env.run(&["--resume", "--atomic", "--json", "big", "copy"]);
        run.success();
        let rec = run.json_record();
        let expected = if complete {
            // DEST is already the whole SOURCE: --resume moves nothing (as rsync --append).
            assert_eq!(rec["resumed_from"], size, "round {round}: {rec}");
            0
        } else if partial > 0 {
            assert_eq!(rec["resumed_from"], partial, "round {round}: {rec}");
            resumed += 1;
            size - partial
        } else {
            size
        };
        assert_eq!(rec["bytes"], expected, "round {round}: {rec}");
        moved += expected;
        assert!(
            !partial_path.exists(),
            "round {round}: the temporary was renamed"
        );
        env.assert_same_content("big", "copy");
    }
    eprintln!(
        "atomic kill test, {mib} MiB file: {rounds} kills, {resumed} resumed from the partial \
         temporary, {moved} bytes moved by the re-runs of {} in full copies",
        rounds * size
    );
}

/// `--checksum` on a copy that shares the source's extents (btrfs, XFS: `-a` clones by default;
/// run with `FCOPY_TEST_DIR` there): the shared bytes count as equal unread, and a block
/// rewritten in place since (still in the page cache, or in XFS's COW fork) is found. Elsewhere
/// the same checks run by reading.
#[test]
fn checksum_finds_a_block_rewritten_in_a_reflinked_copy() {
    use std::io::{Seek, SeekFrom, Write};
    let env = TestEnv::new();
    env.write("src/f", pattern(3 * M, 5));
    env.run(&["-a", "src/f", "dst"]).success();
    let args = [
        "-a",
        "--update=changed",
        "--checksum",
        "--json",
        "src/f",
        "dst",
    ];
    let run = env.run(&args);
    run.success();
    assert_eq!(run.json_record()["status"], "skipped");
    let mut f = fs::File::options()
        .write(true)
        .open(env.join("dst"))
        .unwrap();
    f.seek(SeekFrom::Start((M + 4096) as u64)).unwrap();
    f.write_all(&[0xA5; 4096]).unwrap();
    drop(f);
    copy_mtime(&env.join("src/f"), &env.join("dst"));
    let run = env.run(&args);
    run.success();
    assert_eq!(run.json_record()["status"], "ok");
    env.assert_same_content("src/f", "dst");
}

/// The README's headline restartable command, run twice as it says, must copy into the same
/// DEST both times: cp's rule for an existing DEST directory nests `SRC DEST` the second time
/// unless the command says `-T` (or `SRC/.`).
#[test]
fn readme_restartable_command_names_the_same_dest_on_the_second_run() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains("# run it again after any interruption"))
        .expect("README has the restartable example");
    let command = line.split('#').next().unwrap();
    let args: Vec<String> = command
        .split_whitespace()
        .skip(1)
        .map(|a| a.replace("/mnt/backup/", "backup/"))
        .collect();
    let env = TestEnv::new();
    env.write("photos/a.jpg", pattern(5000, 1));
    env.write("photos/trip/b.jpg", pattern(7000, 2));
    fs::create_dir(env.join("backup")).unwrap();
    for run in 1..=2 {
        let out = env.run(&args);
        assert_eq!(
            out.code(),
            Some(0),
            "run {run} of {args:?}: {}",
            out.stderr()
        );
    }
    env.assert_same_content("photos/a.jpg", "backup/photos/a.jpg");
    env.assert_same_content("photos/trip/b.jpg", "backup/photos/trip/b.jpg");
    assert!(
        !env.exists("backup/photos/photos"),
        "the second run of {args:?} nested: {}",
        env.listing()
    );
}

/// `--dry-run --mkpath` says what the run would do: the missing directory is planned (made by
/// the run, not by the plan) and the files going into it are planned, exit 0, nothing created.
#[test]
fn dry_run_mkpath_plans_the_directories_it_would_make() {
    let env = TestEnv::new();
    env.write("e1", "1");
    let plan = env.run(&["--dry-run", "--mkpath", "-t", "nd2", "e1"]);
    assert_eq!(plan.code(), Some(0), "{}", plan.stderr());
    // The strategy depends on the filesystem and on what the plan can know of a directory
    // that does not exist yet (a clone on btrfs/XFS needs the directory's filesystem).
    let out = plan.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], "'nd2' (directory, --mkpath)");
    assert!(
        lines[1].starts_with("'e1' -> 'nd2/e1' (") && lines[1].ends_with(", 1 byte)"),
        "{out}"
    );
    assert!(!env.exists("nd2"), "the plan made the directory");
    env.write("jobs", "e1\tnewdir/a/x\ne1\tnewdir/a/y\n");
    let plan = env.run(&["--batch", "jobs", "--mkpath", "--dry-run"]);
    assert_eq!(plan.code(), Some(0), "{}", plan.stderr());
    let out = plan.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], "'newdir/a' (directory, --mkpath)");
    assert!(
        lines[1].starts_with("'e1' -> 'newdir/a/x' ("),
        "{}",
        lines[1]
    );
    assert!(!env.exists("newdir"));
    // Without --mkpath the plan still fails as the run would.
    let plan = env.run(&["--dry-run", "-t", "nd2", "e1"]);
    assert_eq!(plan.code(), Some(1));
}

/// A resumed copy that fails `--verify` (the part found on disk differs from SOURCE before its
/// checked tail): the note says what happened to DEST, not "partly written in the range" (the
/// user gave no range), and the `--json` failure record carries `resumed_from`.
#[test]
fn failed_resume_verify_says_what_became_of_dest() {
    let env = TestEnv::new();
    let data = pattern(3 * M, 21);
    env.write("src", &data);
    let mut part = data[..2 * M].to_vec();
    part[0] ^= 0xff; // outside the tail that --resume checks
    env.write("part", &part);
    let run = env.run(&["--resume", "--verify", "--json", "src", "part"]);
    run.failure();
    run.stderr_contains("verification failed: 'part' differs from 'src' at byte 0");
    assert!(!run.stderr().contains("in the range"), "{}", run.stderr());
    run.stderr_contains(&format!("'part' was resumed from byte {}", 2 * M));
    let rec = run.json_record();
    assert_eq!(rec["status"], "error", "{rec}");
    assert_eq!(rec["resumed_from"], 2 * M as u64, "{rec}");
    assert!(env.exists("part"), "the resumed DEST is kept");
}

/// `--dry-run -r --mkpath -t DIR` with DIR missing: the plan lists the tree the run would copy
/// into it (the walk stands in DIR's nearest existing ancestor), not "cannot create directory";
/// the same for the directory a `SOURCE DEST` operand's DEST goes in.
#[test]
fn dry_run_mkpath_plans_a_tree_into_the_directory_it_would_make() {
    let env = TestEnv::new();
    env.write("src/a", "1");
    env.write("src/sub/b", "22");
    let plan = env.run(&["--dry-run", "-r", "--mkpath", "-t", "new/deep", "src"]);
    assert_eq!(plan.code(), Some(0), "{}", plan.stderr());
    let out = plan.stdout();
    for line in [
        "'new/deep' (directory, --mkpath)",
        "'src' -> 'new/deep/src' (directory)",
        "'src/sub' -> 'new/deep/src/sub' (directory)",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} not in\n{out}");
    }
    assert!(out.contains("'src/a' -> 'new/deep/src/a' ("), "{out}");
    assert!(
        out.contains("'src/sub/b' -> 'new/deep/src/sub/b' ("),
        "{out}"
    );
    assert!(!env.exists("new"), "the plan made the directory");
    // `SOURCE DEST`: DEST's missing directory is made too (round 8; before, the plan and the
    // run both failed), and the plan says so.
    let plan = env.run(&["--dry-run", "-r", "--mkpath", "src", "new2/x"]);
    assert_eq!(plan.code(), Some(0), "{}", plan.stderr());
    let out = plan.stdout();
    for line in [
        "'new2' (directory, --mkpath)",
        "'src' -> 'new2/x' (directory)",
    ] {
        assert!(out.lines().any(|l| l == line), "{line} not in\n{out}");
    }
    assert!(!env.exists("new2"), "the plan made the directory");
    env.run(&["-r", "--mkpath", "src", "new2/x"]).success();
    assert_eq!(env.read("new2/x/sub/b"), b"22");
}

/// `--update=changed --resume` (the README's re-run recipe) after SOURCE was rewritten in place
/// in the middle, same size, since an `-a` copy: DEST's mtime (SOURCE's old one) is older than
/// SOURCE's, so DEST is an old copy, not an interrupted one, and is copied again whole; the
/// tail check alone would have taken it for complete (or its prefix for done) and left the
/// old middle there for good.
#[test]
fn resume_never_trusts_a_dest_older_than_the_source() {
    let env = TestEnv::new();
    let mut data = pattern(3 * M, 21);
    env.write("src", &data);
    env.run(&["-a", "src", "dst"]).success();
    data[M] ^= 0xff;
    env.write("src", &data);
    set_mtime(
        &env.join("src"),
        SystemTime::now() + Duration::from_secs(60),
    );
    let rec = env
        .run(&["-a", "--update=changed", "--resume", "--json", "src", "dst"])
        .json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    assert_eq!(rec["bytes"], 3 * M, "{rec}");
    env.assert_same_content("src", "dst");

    // The same with a shorter DEST: its prefix is not trusted either.
    set_len(&env.join("dst"), 2 * M as u64);
    set_mtime(
        &env.join("dst"),
        SystemTime::now() - Duration::from_secs(3600),
    );
    let rec = env.run(&["--resume", "--json", "src", "dst"]).json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    env.assert_same_content("src", "dst");
}

/// `--resume --atomic`: a stable temporary `.DEST.fcopy-partial` older than SOURCE is emptied
/// and the copy starts over (SOURCE may have been rewritten since it was written); a newer one
/// is continued.
#[test]
fn resume_atomic_never_continues_a_partial_file_older_than_the_source() {
    let env = TestEnv::new();
    let data = pattern(3 * M, 22);
    env.write("src", &data);
    for (age, resumed) in [(-3600i64, false), (60, true)] {
        let partial = env.write(".dst.fcopy-partial", &data[..M]);
        let t = SystemTime::now();
        set_mtime(&env.join("src"), t);
        crate::atomic8::mark_partial(&partial, &env.join("src"), "dst");
        let partial_time = if age < 0 {
            t - Duration::from_secs(age.unsigned_abs())
        } else {
            t + Duration::from_secs(age as u64)
        };
        set_mtime(&partial, partial_time);
        let rec = env
            .run(&["--resume", "--atomic", "--json", "src", "dst"])
            .json_record();
        if resumed {
            assert_eq!(rec["resumed_from"], M, "{rec}");
        } else {
            assert!(rec["resumed_from"].is_null(), "{rec}");
            assert_eq!(rec["bytes"], 3 * M, "{rec}");
        }
        env.assert_same_content("src", "dst");
        fs::remove_file(env.join("dst")).unwrap();
    }
}

/// `--resume` takes DEST for an earlier copy only on evidence (red team, round 4): a DEST of
/// SOURCE's size made by `truncate` over a SOURCE that ends in a hole has a matching tail of
/// zeros, which proves nothing; and a SOURCE replaced (rename) by a same-size file stamped
/// older than DEST changed after DEST was written (its ctime says so, whatever its mtime).
/// Both were "complete" (0 bytes, exit 0) and DEST differed from SOURCE.
#[test]
fn resume_needs_evidence_not_zeros_or_an_old_mtime() {
    let env = TestEnv::new();
    let head = pattern(3 * M, 31);
    env.write("src", &head);
    set_len(&env.join("src"), 8 * M as u64);
    env.write("dst", b"");
    set_len(&env.join("dst"), 8 * M as u64);
    let rec = env.run(&["--resume", "--json", "src", "dst"]).json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    env.assert_same_content("src", "dst");

    // SOURCE replaced by an older-looking file of the same size.
    env.write("s2", pattern(3 * M, 32));
    env.run(&["s2", "d2"]).success();
    let mut other = pattern(3 * M, 32);
    other[0] ^= 1;
    env.write("s2.new", &other);
    set_mtime(
        &env.join("s2.new"),
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800),
    );
    fs::rename(env.join("s2.new"), env.join("s2")).unwrap();
    let rec = env.run(&["--resume", "--json", "s2", "d2"]).json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    env.assert_same_content("s2", "d2");
}

/// Issue 16: a re-copy with -u has its look-ups made ahead by a helper thread (directories of
/// 16 entries or more, offered 128 at a time, with -j). What it decides must be what the walk
/// alone decides (-j1 has no helper): the same files copied (newer sources, a missing copy),
/// the same left alone (newer or equal copies), the same -v lines in the same order.
#[test]
fn update_with_look_ahead_decides_as_the_walk_alone() {
    let env = TestEnv::new();
    for i in 0..300 {
        env.write(format!("src/a/f{i}"), format!("{i}\n"));
    }
    for i in 0..20 {
        env.write(format!("src/b/g{i}"), format!("{i}\n"));
        std::os::unix::fs::symlink(format!("g{i}"), env.join(format!("src/b/l{i}"))).unwrap();
    }
    env.write("src/b/sub/h", "h\n");
    let now = SystemTime::now();
    let old = now - Duration::from_secs(3600);
    let later = now + Duration::from_secs(3600);
    for dst in ["dst1", "dst4"] {
        fs::create_dir(env.join(dst)).unwrap();
        env.fcopy().args(&["-a", "src", dst]).run().success();
        // Copies newer than their sources, with other contents: left alone.
        for name in ["a/f1", "a/f200", "b/g7"] {
            let path = env.join(dst).join("src").join(name);
            fs::write(&path, "kept\n").unwrap();
            set_mtime(&path, later);
        }
        fs::remove_file(env.join(dst).join("src/a/f42")).unwrap();
    }
    // Sources newer than their copies: copied.
    for name in ["a/f0", "a/f150", "a/f299", "b/g3"] {
        let path = env.join("src").join(name);
        fs::write(&path, "new\n").unwrap();
        set_mtime(&path, now);
        for dst in ["dst1", "dst4"] {
            set_mtime(&env.join(dst).join("src").join(name), old);
        }
    }
    let one = env
        .fcopy()
        .args(&["-r", "-u", "-v", "-j1", "src", "dst1"])
        .run();
    one.success();
    let four = env
        .fcopy()
        .args(&["-r", "-u", "-v", "-j4", "src", "dst4"])
        .run();
    four.success();
    assert_eq!(four.stdout().replace("dst4", "dst1"), one.stdout());
    assert_eq!(one.stdout().lines().count(), 5, "{}", one.stdout());
    for name in ["a/f0", "a/f150", "a/f299", "b/g3"] {
        assert_eq!(env.read(format!("dst4/src/{name}")), b"new\n", "{name}");
    }
    for name in ["a/f1", "a/f200", "b/g7"] {
        assert_eq!(env.read(format!("dst4/src/{name}")), b"kept\n", "{name}");
    }
    assert_eq!(env.read("dst4/src/a/f42"), b"42\n");
}

/// `--mkpath` makes each directory on the descriptor of the one before it, so a component
/// swapped for a symlink after it was made does not take the rest elsewhere (red team round
/// 8b: root's `fcopy --mkpath secret home/u/a/b/c/` made `victim/b/c/secret` when the owner of
/// `home/u` put `a -> victim` in place between two mkdirs).
#[test]
fn mkpath_never_follows_a_directory_swapped_after_it_was_made() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("secret", "s");
    fs::create_dir_all(env.join("home/u")).unwrap();
    fs::create_dir(env.join("victim")).unwrap();
    // The fourth mkdir (of b, after home, u and a; by path or at a descriptor) waits 1.5 s
    // (long enough for a starved test thread to see it); meanwhile a is swapped.
    let mut child = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=mkdir,mkdirat"])
        .args(["-e", "inject=mkdir,mkdirat:delay_enter=1500000:when=4"])
        .arg(crate::testenv::FCOPY)
        .args(["--mkpath", "secret", "home/u/a/b/c/"])
        .current_dir(env.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The swap must land after fcopy has opened the a it made (then it is waiting in the
    // mkdir of b): swapped between the mkdir and the open, a is refused as a symlink, which is
    // safe but not what this test is about (CI, round 13: the poll for a's name alone saw a
    // while strace held fcopy right after the mkdir).
    let a = fs::canonicalize(env.join("home/u")).unwrap().join("a");
    let fcopy = crate::testenv::traced_pid(child.id()).expect("fcopy runs under strace");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !holds_a_descriptor_on(fcopy, &a) {
        assert!(
            std::time::Instant::now() < deadline,
            "fcopy never opened {a:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    fs::rename(env.join("home/u/a"), env.join("home/u/a.old")).unwrap();
    std::os::unix::fs::symlink(env.join("victim"), env.join("home/u/a")).unwrap();
    child.wait().unwrap();
    let victim: Vec<_> = fs::read_dir(env.join("victim")).unwrap().collect();
    assert!(victim.is_empty(), "{}", env.listing());
    assert!(env.exists("home/u/a.old/b/c"), "{}", env.listing());
}

/// Whether process `pid` has a descriptor open on `path`, as its `/proc/PID/fd` links name it.
fn holds_a_descriptor_on(pid: u32, path: &Path) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| fs::read_link(fd.path()).is_ok_and(|target| target == path))
}

/// A `--resume`d copy keeps SOURCE's holes, as the whole copy it continues would (new user,
/// round 14: a 20 GiB thin image with 5 MiB of data, resumed, was written as 20 GiB of zeros
/// and failed on a filesystem the whole copy fits). Plain `--resume` and `--resume --atomic`
/// (its stable temporary); the bytes are SOURCE's either way.
#[test]
fn resume_keeps_the_holes_of_a_sparse_source() {
    let env = TestEnv::new();
    let head = pattern(M, 31);
    let middle = pattern(M, 32);
    let tail = pattern(4096, 33);
    let size = 64 * M as u64;
    let mid_at = 32 * M as u64;
    env.write_sparse(
        "src",
        size,
        &[(0, &head), (mid_at, &middle), (size - 4096, &tail)],
    );
    let src_allocated = allocated(&env.join("src"));
    assert!(
        src_allocated < 8 * M as u64,
        "the source is sparse here: {src_allocated}"
    );
    // Plain --resume: DEST holds SOURCE's first 512 KiB.
    env.write_partial_copy("dst", &head[..M / 2]);
    let rec = env.run(&["--resume", "--json", "src", "dst"]).json_record();
    assert_eq!(rec["resumed_from"], M / 2, "{rec}");
    env.assert_same_content("src", "dst");
    let dst_allocated = allocated(&env.join("dst"));
    assert!(
        dst_allocated <= src_allocated + M as u64,
        "the holes were written: {dst_allocated} bytes allocated for {src_allocated} in SOURCE"
    );
    // --resume --atomic: the stable temporary holds SOURCE's first MiB.
    let partial = env.write(".copy.fcopy-partial", &head);
    crate::atomic8::mark_partial(&partial, &env.join("src"), "copy");
    set_mtime(&partial, SystemTime::now() + Duration::from_secs(60));
    let rec = env
        .run(&["--resume", "--atomic", "--json", "src", "copy"])
        .json_record();
    assert_eq!(rec["resumed_from"], M, "{rec}");
    env.assert_same_content("src", "copy");
    let copy_allocated = allocated(&env.join("copy"));
    assert!(
        copy_allocated <= src_allocated + M as u64,
        "the holes were written: {copy_allocated} bytes allocated for {src_allocated} in SOURCE"
    );
}

/// Runs fcopy with `args` in `env`, held in the first fsync (x86-64 call 74: `--verify`'s flush
/// before it reads DEST back), and stops it there with SIGINT: its exit status and stderr.
fn interrupt_while_verifying(env: &TestEnv, args: &[&str]) -> (std::process::ExitStatus, String) {
    let (mut child, fcopy) = crate::testenv::start_held_in(
        env.path(),
        "fsync",
        "inject=fsync:delay_exit=1000000:when=1",
        &[74],
        crate::testenv::FCOPY,
        args,
    );
    let pid = rustix::process::Pid::from_raw(fcopy as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (child.wait().unwrap(), stderr)
}

/// Stopped while `--verify` reads DEST back, a `--resume` copy keeps DEST (or, with `--atomic`,
/// its stable temporary): the data is complete and unverified, and the next run verifies it and
/// copies nothing. New user, round 15: each Ctrl-C during the check removed the complete copy,
/// so `timeout -s INT` around a large `--resume --verify` never finished.
#[test]
fn resume_keeps_a_copy_interrupted_while_verifying() {
    if !require_strace() {
        return;
    }
    let data = pattern(4 * M, 51);
    for atomic in [false, true] {
        let env = TestEnv::new();
        env.write("src", &data);
        // The kept copy must be written strictly after SOURCE last changed, by a coarse clock
        // (see `TestEnv::write_partial_copy`), for the next run to trust it.
        std::thread::sleep(Duration::from_millis(50));
        // --reflink=never: on XFS and btrfs (the fs matrix) a clone is verified by its shared
        // extents, without reading DEST back.
        let mut args = vec!["--reflink=never", "--resume", "--verify", "src", "dst"];
        if atomic {
            args.insert(0, "--atomic");
        }
        let (status, stderr) = interrupt_while_verifying(&env, &args);
        assert!(!status.success(), "atomic {atomic}: {stderr}");
        assert!(
            stderr.contains("the partial copy was kept for --resume"),
            "atomic {atomic}: {stderr}"
        );
        let kept = if atomic { ".dst.fcopy-partial" } else { "dst" };
        assert!(env.read(kept) == data, "atomic {atomic}: {}", env.listing());
        let rec = env.fcopy().arg("--json").args(&args).run().json_record();
        assert_eq!(rec["resumed_from"], 4 * M, "atomic {atomic}: {rec}");
        assert_eq!(rec["bytes"], 0, "atomic {atomic}: {rec}");
        assert_eq!(rec["verified"], "compared", "atomic {atomic}: {rec}");
        env.assert_same_content("src", "dst");
        assert!(!env.exists(".dst.fcopy-partial"), "{}", env.listing());
    }
    // With -u a kept DEST as long as SOURCE would be skipped by every later run, unverified
    // and without -a's attributes (red team, round 15): it is removed, as before.
    let env = TestEnv::new();
    env.write("src", &data);
    std::thread::sleep(Duration::from_millis(50));
    let (status, stderr) = interrupt_while_verifying(
        &env,
        &[
            "--reflink=never",
            "-a",
            "-u",
            "--resume",
            "--verify",
            "src",
            "dst",
        ],
    );
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("interrupted while verifying"), "{stderr}");
    assert!(!env.exists("dst"), "-u: {}", env.listing());
}

/// `-a --update=changed --resume` without `--verify`: a DEST of SOURCE's size whose bytes were
/// changed in place is copied again, not taken for a finished copy by its tail. New user, round
/// 15: it said "copied" with 0 bytes, `-a` stamped SOURCE's time on the wrong bytes, and every
/// later `--update=changed` skipped the file. A DEST whose bytes are all SOURCE's (a copy stopped
/// before its attributes) is still completed without copying; for a sparse SOURCE it is copied
/// again, holes kept, rather than read whole (red team, round 15: 21 s for an 8 GiB sparse file).
#[test]
fn update_changed_resume_rereads_a_dest_of_the_source_size() {
    let env = TestEnv::new();
    let data = pattern(5 * M, 61);
    env.write("ed/doc", &data);
    env.run(&["-a", "-T", "ed", "edb"]).success();
    // The record of edb/doc after `-a --update=changed --resume -T ed edb`.
    let rerun = || {
        let args = [
            "-a",
            "--update=changed",
            "--resume",
            "--json",
            "-T",
            "ed",
            "edb",
        ];
        let records = env.run(&args).json();
        let file = records.iter().find(|r| r["dest"] == "edb/doc");
        file.expect("a record for edb/doc").clone()
    };
    let mut edited = data.clone();
    edited[1000..1009].copy_from_slice(b"CORRUPTED");
    env.write_partial_copy("edb/doc", &edited);
    let file = rerun();
    assert!(file["resumed_from"].is_null(), "{file}");
    assert_eq!(file["bytes"], 5 * M, "{file}");
    assert!(env.read("edb/doc") == data, "edb/doc still differs");
    // The same bytes with another time (attributes never applied): nothing is copied.
    env.write_partial_copy("edb/doc", &data);
    let file = rerun();
    assert_eq!(file["resumed_from"], 5 * M, "{file}");
    assert_eq!(file["bytes"], 0, "{file}");
    // A sparse SOURCE: copied again, not read whole (its holes stay holes).
    env.write_sparse("ed/doc", 64 * M as u64, &[(0, &data[..M])]);
    env.run(&["-a", "-T", "ed", "edb"]).success();
    let mut dest = env.read("edb/doc");
    dest[7] ^= 1;
    env.write_sparse("edb/doc", 64 * M as u64, &[(0, &dest[..M])]);
    let file = rerun();
    assert!(file["resumed_from"].is_null(), "{file}");
    env.assert_same_content("ed/doc", "edb/doc");
    env.assert_same_content("ed/doc", "edb/doc");
}
