//! Fault injection with strace: copy_file_range failing on the first call and mid-file, each
//! fallback errno, a 0 return after progress, `--method` both ways, and ENOSYS remembered.

use std::fs;

use crate::testenv::{pattern, require_strace, with_failing_clone, TestEnv};

const M: u64 = 1 << 20;

/// strace arguments that inject `spec` into copy_file_range (output discarded). On btrfs and
/// XFS FICLONE is made to fail too, so the copy reaches copy_file_range there as well.
fn inject(env: &TestEnv, spec: &str) -> Vec<String> {
    let v = vec![
        "strace".into(),
        "-f".into(),
        "-o".into(),
        "/dev/null".into(),
        "-e".into(),
        "trace=copy_file_range".into(),
        "-e".into(),
        format!("inject=copy_file_range:{spec}"),
    ];
    with_failing_clone(env.path(), v)
}

/// strace arguments that log copy_file_range calls to `log` (and inject `spec`, if any); on
/// btrfs and XFS FICLONE fails, as in [`inject`].
fn trace_to(env: &TestEnv, log: &std::path::Path, spec: Option<&str>) -> Vec<String> {
    let mut v = vec![
        "strace".into(),
        "-f".into(),
        "-o".into(),
        log.to_string_lossy().into_owned(),
        "-e".into(),
        "trace=copy_file_range".into(),
    ];
    if let Some(spec) = spec {
        v.extend(["-e".into(), format!("inject=copy_file_range:{spec}")]);
    }
    with_failing_clone(env.path(), v)
}

/// copy_file_range calls in an strace log (not counting strace's own "+++ exited" lines).
fn cfr_calls(log: &std::path::Path) -> usize {
    fs::read_to_string(log)
        .unwrap()
        .lines()
        .filter(|l| l.contains("copy_file_range("))
        .count()
}

/// A sparse file with `n` data extents of 64 KiB, 1 MiB apart: one copy_file_range call each.
fn multi_extent(env: &TestEnv, name: &str, n: u64) -> Vec<u64> {
    let chunks: Vec<(u64, Vec<u8>)> = (0..n)
        .map(|i| (i * M, pattern(64 * 1024, 100 + i)))
        .collect();
    let refs: Vec<(u64, &[u8])> = chunks.iter().map(|(at, d)| (*at, d.as_slice())).collect();
    env.write_sparse(name, n * M, &refs);
    chunks.iter().map(|(at, _)| *at).collect()
}

const ERRNOS: [&str; 5] = ["EXDEV", "EOPNOTSUPP", "ENOSYS", "EINVAL", "EPERM"];

/// `FUSE_SUPER_MAGIC` (statfs(2)).
const FUSE_MAGIC: u64 = 0x6573_5546;

/// A test directory where fcopy copies with copy_file_range by default: the suite's, unless
/// that is on FUSE, where fcopy reads and writes instead (the kernel's copy is a slower splice
/// there, `FsKind::kernel_copy_is_slower`; checked by
/// [`fuse_destinations_are_read_and_written`]): then tmpfs, as the fault-injection tests
/// need copy_file_range calls to fail. `None` (and a SKIP line, a failure under CI=true)
/// when there is no tmpfs.
pub(crate) fn kernel_copy_env() -> Option<TestEnv> {
    let env = TestEnv::new();
    if crate::testenv::fs_magic(env.path()) == FUSE_MAGIC {
        return TestEnv::on_tmpfs();
    }
    Some(env)
}

#[test]
fn fallback_on_the_first_call() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    env.write("src", pattern(3 * M as usize + 17, 1));
    for errno in ERRNOS {
        let dst = format!("dst-{errno}");
        let run = env
            .fcopy()
            .wrapped(&inject(&env, &format!("error={errno}")))
            .args(&["--json", "src", &dst])
            .run();
        run.success();
        let rec = run.json_record();
        assert_eq!(rec["fallback"], errno, "{rec}");
        assert_eq!(rec["fallback_offset"], 0, "{rec}");
        // Between two regular files the fallback still copies in the kernel, with sendfile.
        assert_eq!(rec["method"], "sendfile", "{rec}");
        assert_eq!(rec["bytes"], 3 * M + 17);
        env.assert_same_content("src", &dst);
    }
}

#[test]
fn fallback_mid_file() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    let starts = multi_extent(&env, "src", 6);
    for errno in ERRNOS {
        let dst = format!("dst-{errno}");
        let run = env
            .fcopy()
            .wrapped(&inject(&env, &format!("error={errno}:when=3+")))
            .args(&["--json", "src", &dst])
            .run();
        run.success();
        let rec = run.json_record();
        assert_eq!(rec["strategy"], "sparse");
        assert_eq!(rec["fallback"], errno, "{rec}");
        // Two extents went through copy_file_range; the third call failed.
        assert_eq!(rec["fallback_offset"], starts[2], "{rec}");
        assert_eq!(rec["method"], "read_write", "{rec}");
        assert_eq!(rec["extents"], 6);
        assert_eq!(rec["bytes"], 6 * 64 * 1024);
        env.assert_same_content("src", &dst);
    }
}

#[test]
fn copy_file_range_only_fails_instead_of_falling_back() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    env.write("src", pattern(100_000, 1));
    env.write("old", b"old");
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=EXDEV"))
        .args(&["--method=copy-file-range", "src", "dst"])
        .run();
    run.failure().stderr_is(
        "fcopy: cannot copy 'src' to 'dst' with copy_file_range: Invalid cross-device link; --method=copy-file-range does not fall back\n",
    );
    assert!(
        !env.exists("dst"),
        "a destination fcopy created must be removed"
    );
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=EOPNOTSUPP"))
        .args(&["--json", "--method=copy-file-range", "src", "old"])
        .run();
    run.failure();
    run.stderr_contains(
        "fcopy: cannot copy 'src' to 'old' with copy_file_range: Operation not supported; --method=copy-file-range does not fall back\n",
    );
    let rec = run.json_record();
    assert_eq!(rec["status"], "error");
    assert_eq!(rec["strategy"], "copy_file_range");
}

#[test]
fn read_write_method_never_calls_copy_file_range() {
    if !require_strace() {
        return;
    }
    let Some(env) = kernel_copy_env() else {
        return;
    };
    env.write("src", pattern(2 * M as usize, 1));
    multi_extent(&env, "sparse", 3);
    let log = env.join("strace.log");
    let run = env
        .fcopy()
        .wrapped(&trace_to(&env, &log, None))
        .args(&["--json", "--method=read-write", "src", "dst"])
        .run();
    run.success();
    assert_eq!(run.json_record()["method"], "read_write");
    assert_eq!(cfr_calls(&log), 0, "{}", fs::read_to_string(&log).unwrap());
    env.fcopy()
        .wrapped(&trace_to(&env, &log, None))
        .args(&["--method=read-write", "sparse", "sparse.copy"])
        .run()
        .success();
    assert_eq!(cfr_calls(&log), 0, "{}", fs::read_to_string(&log).unwrap());
    env.fcopy()
        .wrapped(&trace_to(&env, &log, None))
        .args(&["--method=read-write", "--offset-in=10", "src", "ranged"])
        .run()
        .success();
    assert_eq!(cfr_calls(&log), 0, "{}", fs::read_to_string(&log).unwrap());
    env.assert_same_content("src", "dst");
    env.assert_same_content("sparse", "sparse.copy");
    // The control: auto does call it.
    env.fcopy()
        .wrapped(&trace_to(&env, &log, None))
        .args(&["src", "dst2"])
        .run()
        .success();
    assert!(cfr_calls(&log) > 0);
}

/// On FUSE (GlusterFS, sshfs ...) whole-file and sparse copies read and write: no
/// copy_file_range call, the same bytes and holes. `--method=copy-file-range` still asks the
/// kernel. Elsewhere copy_file_range is asked first (the tests above); this one needs the
/// suite's directory on FUSE (`.ci/fs-matrix gluster`) and says so otherwise.
#[test]
fn fuse_destinations_are_read_and_written() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    if crate::testenv::fs_magic(env.path()) != FUSE_MAGIC {
        eprintln!("note: not on FUSE, nothing to check here (.ci/fs-matrix gluster runs it)");
        return;
    }
    env.write("src", pattern(3 * M as usize, 7));
    multi_extent(&env, "sparse", 3);
    let log = env.join("strace.log");
    for (from, to) in [("src", "dst"), ("sparse", "sparse.copy")] {
        let run = env
            .fcopy()
            .wrapped(&trace_to(&env, &log, None))
            .args(&["--json", from, to])
            .run();
        run.success();
        assert_eq!(run.json_record()["method"], "read_write", "{from}");
        assert_eq!(cfr_calls(&log), 0, "{}", fs::read_to_string(&log).unwrap());
        env.assert_same_content(from, to);
    }
    let run = env
        .fcopy()
        .wrapped(&trace_to(&env, &log, None))
        .args(&["--method=copy-file-range", "src", "dst2"])
        .run();
    run.success();
    assert!(cfr_calls(&log) > 0);
    env.assert_same_content("src", "dst2");
}

#[test]
fn enosys_is_remembered_for_the_rest_of_the_run() {
    if !require_strace() {
        return;
    }
    let Some(env) = kernel_copy_env() else {
        return;
    };
    env.write("a", pattern(50_000, 1));
    env.write("b", pattern(60_000, 2));
    fs::create_dir(env.join("out")).unwrap();
    let log = env.join("strace.log");
    let run = env
        .fcopy()
        .wrapped(&trace_to(&env, &log, Some("error=ENOSYS:when=1")))
        .args(&["--json", "a", "b", "out"])
        .run();
    run.success();
    let recs = run.json();
    assert_eq!(recs[0]["fallback"], "ENOSYS");
    assert_eq!(recs[1]["fallback"], "ENOSYS");
    assert_eq!(recs[1]["method"], "sendfile");
    assert_eq!(
        cfr_calls(&log),
        1,
        "the second file must not call copy_file_range:\n{}",
        fs::read_to_string(&log).unwrap()
    );
    assert_eq!(env.read("out/a"), env.read("a"));
    assert_eq!(env.read("out/b"), env.read("b"));
}

#[test]
fn exdev_is_remembered_per_device_pair_and_other_errnos_are_not() {
    if !require_strace() {
        return;
    }
    let Some(env) = kernel_copy_env() else {
        return;
    };
    env.write("a", pattern(50_000, 1));
    env.write("b", pattern(60_000, 2));
    fs::create_dir(env.join("out")).unwrap();
    // EXDEV is a property of the two filesystems: the second file between the same devices
    // does not ask again (one copy_file_range call in all).
    let log = env.join("strace.log");
    let run = env
        .fcopy()
        .wrapped(&trace_to(&env, &log, Some("error=EXDEV:when=1")))
        .args(&["--json", "a", "b", "out"])
        .run();
    run.success();
    let recs = run.json();
    assert_eq!(recs[0]["fallback"], "EXDEV");
    assert_eq!(recs[1]["fallback"], "EXDEV", "{}", recs[1]);
    assert_eq!(
        cfr_calls(&log),
        1,
        "EXDEV was asked again for the same device pair"
    );
    assert_eq!(env.read("out/b"), env.read("b"));
    // Any other errno is about that one file: the next file tries copy_file_range again.
    let log = env.join("strace2.log");
    let run = env
        .fcopy()
        .wrapped(&trace_to(&env, &log, Some("error=EINVAL:when=1")))
        .args(&["--json", "a", "b", "out"])
        .run();
    run.success();
    let recs = run.json();
    assert_eq!(recs[0]["fallback"], "EINVAL");
    assert!(recs[1]["fallback"].is_null(), "{}", recs[1]);
    assert_eq!(recs[1]["method"], "copy_file_range");
    assert_eq!(env.read("out/b"), env.read("b"));
}

#[test]
fn real_errors_are_reported_not_retried() {
    if !require_strace() {
        return;
    }
    let Some(env) = kernel_copy_env() else {
        return;
    };
    env.write("src", pattern(10_000, 1));
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=ENOSPC"))
        .args(&["src", "dst"])
        .run();
    run.failure()
        .stderr_is("fcopy: error copying 'src' to 'dst': No space left on device\n");
    assert!(!env.exists("dst"));
}

#[test]
fn eintr_is_retried() {
    if !require_strace() {
        return;
    }
    let Some(env) = kernel_copy_env() else {
        return;
    };
    env.write("src", pattern(10_000, 1));
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=EINTR:when=1"))
        .args(&["--json", "src", "dst"])
        .run();
    run.success();
    let rec = run.json_record();
    assert!(rec["fallback"].is_null(), "{rec}");
    assert_eq!(rec["method"], "copy_file_range");
    env.assert_same_content("src", "dst");
}

/// A 0 return after progress proves nothing (DESIGN rule 3): a read at that offset finds
/// data, so the copy goes on with read/write from there (`zero-return`) and is complete.
/// Before: `changed size while being copied`, DEST removed.
#[test]
fn zero_return_after_progress_with_data_there_continues() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    multi_extent(&env, "src", 4);
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "retval=0:when=2"))
        .args(&["--json", "src", "dst"])
        .run();
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["fallback"], "zero-return", "{rec}");
    assert_eq!(rec["bytes"], 4 * 64 * 1024, "{rec}");
    env.assert_same_content("src", "dst");
}

/// A 0 return on the first call (procfs-style) switches to read/write and records why.
#[test]
fn zero_return_on_the_first_call_falls_back() {
    if !require_strace() {
        return;
    }
    let Some(env) = kernel_copy_env() else {
        return;
    };
    env.write("src", pattern(70_000, 1));
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "retval=0:when=1"))
        .args(&["--json", "src", "dst"])
        .run();
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["fallback"], "zero-return");
    assert_eq!(rec["method"], "sendfile");
    env.assert_same_content("src", "dst");
}

/// EIO before the first byte falls back (CIFS); after progress it is an error.
#[test]
fn eio_before_and_after_progress() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    multi_extent(&env, "src", 4);
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=EIO:when=1"))
        .args(&["--json", "src", "dst"])
        .run();
    run.success();
    assert_eq!(run.json_record()["fallback"], "EIO");
    env.assert_same_content("src", "dst");
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=EIO:when=2"))
        .args(&["src", "dst2"])
        .run();
    run.failure()
        .stderr_is("fcopy: error copying 'src' to 'dst2': Input/output error\n");
    assert!(!env.exists("dst2"));
}

/// More than 1 GiB in one span: the engine asks for at most 1 GiB per call, with explicit
/// offsets, and a failure on the second call falls back to read/write at exactly 1 GiB.
#[test]
fn over_one_gib_several_calls_and_fallback_at_the_second() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    let size = (1u64 << 30) + M;
    let tail = pattern(M as usize, 3);
    env.write_sparse("src", size, &[(0, b"head"), (1 << 30, &tail)]);
    let log = env.join("strace.log");
    // A range over the whole file: one span, no extent walk.
    let run = env
        .fcopy()
        .wrapped(&trace_to(&env, &log, Some("error=EXDEV:when=2")))
        .args(&["--json", "--offset-in", "0", "src", "dst"])
        .run();
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["bytes"], size);
    assert_eq!(rec["fallback"], "EXDEV", "{rec}");
    assert_eq!(rec["fallback_offset"], 1u64 << 30, "{rec}");
    let trace = fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("copy_file_range("))
        .collect();
    assert_eq!(calls.len(), 2, "{trace}");
    assert!(
        calls[0].contains("[0], 4, [0], 1073741824, 0) = 1073741824"),
        "{trace}"
    );
    assert!(
        calls[1].contains("[1073741824], 4, [1073741824], 1048576, 0) = -1 EXDEV"),
        "{trace}"
    );
    env.assert_same_content("src", "dst");
}

/// Runs fcopy with `args` under strace tracing `calls` (descriptors shown with their paths),
/// expects success, and returns the lines of the trace.
fn traced_calls(env: &TestEnv, calls: &str, args: &[&str]) -> Vec<String> {
    let log = env.join("strace.log");
    let trace = format!("trace={calls}");
    env.fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-y",
            "-o",
            &log.to_string_lossy(),
            "-e",
            &trace,
        ])
        .args(args)
        .run()
        .success();
    fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The fallocate calls with FALLOC_FL_KEEP_SIZE that a successful fcopy with `args` makes.
fn keep_size_fallocates(env: &TestEnv, args: &[&str]) -> Vec<String> {
    traced_calls(env, "fallocate", args)
        .into_iter()
        .filter(|l| l.contains("fallocate(") && l.contains("FALLOC_FL_KEEP_SIZE"))
        .collect()
}

#[test]
fn ext4_destinations_get_their_blocks_reserved_before_large_writes() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    // A whole file of 3 MiB: one reservation of its full length, the size still exact.
    env.write("big", pattern(3 * M as usize, 7));
    let calls = keep_size_fallocates(&env, &["big", "big.copy"]);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].contains(", 0, 3145728)"), "{calls:?}");
    env.assert_same_content("big", "big.copy");
    // A sparse file: one reservation per data extent of 1 MiB or more, none for the holes, so
    // the copy allocates what the source does.
    env.write_sparse(
        "sparse",
        16 * M,
        &[
            (0, &pattern(M as usize, 1)),
            (8 * M, &pattern(2 * M as usize, 2)),
        ],
    );
    let calls = keep_size_fallocates(&env, &["sparse", "sparse.copy"]);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[1].contains(", 8388608, 2097152)"), "{calls:?}");
    env.assert_same_content("sparse", "sparse.copy");
    assert_eq!(
        crate::testenv::data_extents(&env.join("sparse.copy")),
        crate::testenv::data_extents(&env.join("sparse"))
    );
    // Small files are written without the extra call.
    env.write("small", pattern(64 * 1024, 3));
    assert!(keep_size_fallocates(&env, &["small", "small.copy"]).is_empty());
    // A range inside an existing destination overwrites allocated blocks: no call.
    assert!(keep_size_fallocates(&env, &["--len", "2M", "big", "big.copy"]).is_empty());
}

#[test]
fn tmpfs_destinations_are_not_preallocated() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_tmpfs() else {
        return;
    };
    env.write("big", pattern(3 * M as usize, 7));
    assert!(keep_size_fallocates(&env, &["big", "big.copy"]).is_empty());
    env.assert_same_content("big", "big.copy");
}

#[test]
fn new_files_are_created_with_their_final_mode_unless_owner_or_mode_is_preserved() {
    if !require_strace() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let src = env.write("src", b"data");
    fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
    // As GNU cp: one open with the mode (the umask applies), no fchmod afterwards.
    let calls = traced_calls(&env, "openat,fchmod", &["src", "plain"]);
    assert!(
        calls
            .iter()
            .any(|l| l.contains("\"plain\"") && l.contains("O_CREAT") && l.contains("0640")),
        "{calls:#?}"
    );
    assert!(!calls.iter().any(|l| l.contains("fchmod(")), "{calls:#?}");
    assert_eq!(
        fs::metadata(env.join("plain"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o640 & !0o022
    );
    // -p: created private (0600) until its owner is set, then given the source's mode.
    let calls = traced_calls(&env, "openat,fchmod", &["-p", "src", "kept"]);
    assert!(
        calls
            .iter()
            .any(|l| l.contains("\"kept\"") && l.contains("O_CREAT") && l.contains("0600")),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|l| l.contains("fchmod(") && l.contains("0640")),
        "{calls:#?}"
    );
    assert_eq!(
        fs::metadata(env.join("kept")).unwrap().permissions().mode() & 0o7777,
        0o640
    );
}

#[test]
fn a_failed_overwrite_on_ext4_keeps_no_reserved_blocks() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    use std::os::unix::fs::MetadataExt;
    env.write("src", pattern(3 * M as usize, 1));
    env.write("dst", b"old contents");
    let run = env
        .fcopy()
        .wrapped(&inject(&env, "error=ENOSPC"))
        .args(&["src", "dst"])
        .run();
    run.failure()
        .stderr_contains("fcopy: error copying 'src' to 'dst': No space left on device\n");
    // Truncated for the copy, which then failed before its first byte: empty, and the 3 MiB
    // reserved for it are given back rather than left allocated past the end of the file.
    let meta = fs::metadata(env.join("dst")).unwrap();
    assert_eq!(meta.len(), 0);
    assert_eq!(meta.blocks(), 0, "blocks still reserved: {meta:?}");
}

/// Asserts that a traced run fsynced each of `paths` (strace -y shows descriptors' paths).
fn assert_synced(calls: &[String], paths: &[std::path::PathBuf]) {
    for path in paths {
        // "fsync(5</path>) = 0", or "fsync(5</path> <unfinished ...>" when threads interleave.
        let needle = format!("<{}>", path.display());
        assert!(
            calls
                .iter()
                .any(|l| l.contains("fsync(") && l.contains(&needle)),
            "{} not synced: {calls:#?}",
            path.display()
        );
    }
}

#[test]
fn sync_flushes_every_directory_of_a_tree_and_the_new_tree_s_parent() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src/a/b/f", b"data");
    env.write("src/top", b"data");
    std::fs::create_dir(env.join("out")).unwrap();
    let calls = traced_calls(&env, "fsync", &["-r", "--sync", "src", "out/dst"]);
    let out = env.join("out");
    assert_synced(
        &calls,
        &[
            out.join("dst/a/b/f"),
            out.join("dst/top"),
            out.join("dst/a/b"),
            // "a" holds no file: only its own flush makes "b"'s entry durable.
            out.join("dst/a"),
            out.join("dst"),
            // The parent that holds the new tree's entry.
            out.clone(),
        ],
    );
    env.assert_same_content("src/a/b/f", "out/dst/a/b/f");
}

#[test]
fn a_failed_range_leaves_blocks_the_file_had_reserved_itself() {
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    use std::os::unix::fs::MetadataExt;
    // 1 MiB of data and 8 MiB reserved past its end by its owner (fallocate -n).
    let dst = env.write("dst", pattern(M as usize, 3));
    let file = fs::OpenOptions::new().write(true).open(&dst).unwrap();
    rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::KEEP_SIZE, M, 8 * M).unwrap();
    drop(file);
    let blocks_before = fs::metadata(&dst).unwrap().blocks();
    // The range asks for 4 MiB from standard input, which ends after 2 MiB: an error.
    let run = env
        .fcopy()
        .args(&["--offset-out", "1M", "--len", "4M", "-", "dst"])
        .stdin_bytes(pattern(2 * M as usize, 4))
        .run();
    run.failure().stderr_contains("ended early");
    let meta = fs::metadata(&dst).unwrap();
    assert_eq!(meta.len(), 3 * M, "the 2 MiB that came were written");
    assert_eq!(
        meta.blocks(),
        blocks_before,
        "the owner's reservation was given back with fcopy's"
    );
}

#[test]
fn sync_with_parents_flushes_the_directories_it_creates() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("a/b/f", b"data");
    std::fs::create_dir(env.join("out")).unwrap();
    let calls = traced_calls(&env, "fsync", &["--parents", "--sync", "a/b/f", "out"]);
    let out = env.join("out");
    assert_synced(
        &calls,
        &[
            out.join("a/b/f"),
            out.join("a/b"),
            out.join("a"),
            out.clone(),
        ],
    );
}

/// With the source's times on DEST (`-p`), the delayed write errors of NFS/FUSE are asked for
/// by closing a duplicate descriptor; when no descriptor is left for it (`EMFILE`, a low
/// `ulimit -n`), the data is flushed with fdatasync instead and the copy succeeds. Before:
/// `failed to close 'dst': Too many open files` for a copy that had nothing wrong with it
/// (found copying a tree under `ulimit -n 8`).
#[test]
fn no_descriptor_for_the_flush_is_not_a_failed_close() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(10_000, 3));
    let strace: Vec<String> = [
        "strace",
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "trace=fcntl",
        "-e",
        "inject=fcntl:error=EMFILE",
    ]
    .map(String::from)
    .to_vec();
    env.fcopy()
        .wrapped(&strace)
        .args(&["-p", "src", "dst"])
        .run()
        .success();
    env.assert_same_content("src", "dst");
}
