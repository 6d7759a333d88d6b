//! Reflinks on loop-mounted btrfs and XFS (reflink=1) images: shared extents with `always` and
//! `auto`, none with `never` (checked with `filefrag -v`).

use std::fs;

use crate::testenv::{has_shared_extents, pattern, require_tool, LoopMount, TestEnv};

/// Image size: XFS needs at least 300 MiB; the image file itself is sparse.
const IMAGE: u64 = 512 << 20;

fn reflink_modes(fs_name: &str) {
    if !require_tool("filefrag") {
        return;
    }
    let Some(mount) = LoopMount::new(fs_name, IMAGE) else {
        return;
    };
    let env = TestEnv::in_dir(mount.path());
    let data = pattern(3 << 20, 11);

    for (mode, expect_shared, strategy, method) in [
        ("always", true, "reflink", "reflink"),
        ("auto", true, "reflink", "reflink"),
        ("never", false, "read_write", "read_write"),
    ] {
        // A fresh source each time, so an earlier clone cannot make its extents shared.
        let src = format!("src-{mode}");
        let dst = format!("dst-{mode}");
        env.write(&src, &data);
        fs::File::open(env.join(&src)).unwrap().sync_all().unwrap();
        let run = env.run(&["--json", &format!("--reflink={mode}"), &src, &dst]);
        run.success();
        let rec = run.json_record();
        assert_eq!(rec["strategy"], strategy, "{fs_name} {mode}: {rec}");
        assert_eq!(rec["method"], method, "{fs_name} {mode}: {rec}");
        assert_eq!(rec["bytes"], data.len());
        assert_eq!(env.read(&dst), data, "{fs_name} {mode}");
        assert_eq!(
            has_shared_extents(&env.join(&dst)),
            expect_shared,
            "{fs_name} --reflink={mode}: shared extents in {dst}\n{}",
            env.listing()
        );
        assert_eq!(has_shared_extents(&env.join(&src)), expect_shared);
    }

    // --debug says how.
    env.write("d", &data);
    env.run(&["--debug", "--reflink=always", "d", "d2"])
        .success()
        .stdout_is("'d' -> 'd2'\ncopy offload: unknown, reflink: yes, sparse detection: no\n");

    // A sparse file clones too, and stays sparse.
    env.write_sparse("sparse", 16 << 20, &[(8 << 20, &pattern(4096, 1))]);
    env.run(&["--reflink=always", "sparse", "sparse.clone"])
        .success();
    env.assert_same_content("sparse", "sparse.clone");
    assert!(crate::testenv::allocated(&env.join("sparse.clone")) < 1 << 20);

    // Sparse copies without cloning allocate no more than the source (XFS speculative
    // preallocation must not fill the holes).
    env.write_sparse(
        "holes",
        32 << 20,
        &[(0, &pattern(65536, 2)), (16 << 20, &pattern(65536, 3))],
    );
    for mode in ["never", "auto"] {
        let dst = format!("holes-{mode}");
        env.run(&[&format!("--reflink={mode}"), "holes", &dst])
            .success();
        env.assert_same_content("holes", &dst);
        crate::testenv::sh(std::process::Command::new("sync").arg(env.join(&dst)));
        assert!(
            crate::testenv::allocated(&env.join(&dst))
                <= crate::testenv::allocated(&env.join("holes")),
            "{fs_name} --reflink={mode}: holes filled\n{}",
            env.listing()
        );
    }

    // Ranged copies on a cloning filesystem keep DEST's other bytes.
    env.write("r", vec![b'-'; 10_000]);
    env.run(&[
        "--offset-in",
        "4096",
        "--offset-out",
        "4096",
        "--len",
        "4096",
        "src-auto",
        "r",
    ])
    .success();
    let mut expected = vec![b'-'; 10_000];
    expected[4096..8192].copy_from_slice(&data[4096..8192]);
    assert_eq!(env.read("r"), expected);
}

#[test]
fn reflink_on_btrfs() {
    reflink_modes("btrfs");
}

#[test]
fn reflink_on_xfs() {
    reflink_modes("xfs");
}

/// From a cloning filesystem to another one a clone is impossible: `always` fails clearly and
/// removes the destination it created; `auto` copies.
#[test]
fn reflink_across_filesystems() {
    let Some(mount) = LoopMount::new("btrfs", IMAGE) else {
        return;
    };
    let env = TestEnv::in_dir(mount.path());
    let disk = TestEnv::new();
    let data = pattern(100_000, 5);
    env.write("src", &data);
    let dst = disk.join("dst");
    let run = env.run(&["--reflink=always".as_ref(), "src".as_ref(), dst.as_os_str()]);
    run.failure().stderr_is(&format!(
        "fcopy: failed to clone '{}' from 'src': Invalid cross-device link\n",
        dst.display()
    ));
    assert!(!dst.exists());
    let run = env.run(&["--json".as_ref(), "src".as_ref(), dst.as_os_str()]);
    run.success();
    assert_eq!(fs::read(&dst).unwrap(), data);
}

/// Issue 17: a range on a cloning filesystem clones its block-aligned middle (FICLONERANGE) and
/// copies the unaligned head and tail; `--reflink=always` fails when no block can be cloned;
/// copy_file_range's shared extents are counted (`shared_bytes`, `reflink: partial`).
fn ranged_clones(fs_name: &str) {
    if !require_tool("filefrag") {
        return;
    }
    let Some(mount) = LoopMount::new(fs_name, IMAGE) else {
        return;
    };
    let env = TestEnv::in_dir(mount.path());
    let data = pattern(1 << 20, 21);
    env.write("src", &data);
    fs::File::open(env.join("src")).unwrap().sync_all().unwrap();

    // Head 4096-1000 bytes, 64 KiB of whole blocks cloned, tail 500 bytes.
    let (off, len) = (1000_usize, 4096 - 1000 + (64 << 10) + 500);
    for mode in ["auto", "always"] {
        let dst = format!("dst-{mode}");
        env.write(&dst, vec![b'-'; 200_000]);
        let (o, l) = (off.to_string(), len.to_string());
        let reflink = format!("--reflink={mode}");
        let args = ["--json", &reflink, "--offset-in", &o, "--offset-out", &o];
        let run = env.run(&[&args[..], &["--len", &l, "src", &dst]].concat());
        run.success();
        let rec = run.json_record();
        assert_eq!(rec["method"], "reflink", "{fs_name} {mode}: {rec}");
        assert_eq!(rec["bytes"], len, "{rec}");
        assert_eq!(rec["shared_bytes"], 64 << 10, "{fs_name} {mode}: {rec}");
        let mut expected = vec![b'-'; 200_000];
        expected[off..off + len].copy_from_slice(&data[off..off + len]);
        assert_eq!(env.read(&dst), expected, "{fs_name} {mode}");
        assert!(has_shared_extents(&env.join(&dst)), "{fs_name} {mode}");
    }
    // --debug says how much was shared.
    env.write("dbg", vec![b'-'; 200_000]);
    env.run(&[
        "--debug",
        "--offset-in=1000",
        "--offset-out=1000",
        "--len=70132",
        "src",
        "dbg",
    ])
    .success()
    .stdout_is(
        "'src' -> 'dbg'\ncopy offload: yes, reflink: partial (65536 bytes), sparse detection: no\n",
    );
    // Offsets not aligned alike: nothing can be cloned. `always` fails, `auto` copies.
    env.write("odd", vec![b'-'; 200_000]);
    let odd = [
        "--offset-in=1",
        "--offset-out=2",
        "--len=100000",
        "src",
        "odd",
    ];
    env.run(&[&["--reflink=always"][..], &odd[..]].concat())
        .failure()
        // fcopy's own refusal (no clone tried) says why (red team, round 12: "Invalid
        // argument", as if the kernel had refused).
        .stderr_is(
            "fcopy: failed to clone 'odd' from 'src': the range holds no 4096-byte block \
             aligned in both files\n",
        );
    let run = env.run(&[&["--json", "--reflink=auto"][..], &odd[..]].concat());
    run.success();
    assert_eq!(run.json_record()["method"], "copy_file_range");
    let mut expected = vec![b'-'; 200_000];
    expected[2..100_002].copy_from_slice(&data[1..100_001]);
    assert_eq!(env.read("odd"), expected);

    // copy_file_range on btrfs/XFS shares extents: counted, not hidden behind `reflink: no`.
    let run = env.run(&["--json", "--method=copy-file-range", "src", "cfr"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["method"], "copy_file_range", "{rec}");
    assert_eq!(rec["shared_bytes"], data.len(), "{fs_name}: {rec}");
    env.run(&["--debug", "--method=copy-file-range", "src", "cfr2"])
        .success()
        .stdout_is(&format!(
            "'src' -> 'cfr2'\ncopy offload: yes, reflink: partial ({} bytes), sparse detection: no\n",
            data.len()
        ));
}

#[test]
fn ranged_clones_on_btrfs() {
    ranged_clones("btrfs");
}

#[test]
fn ranged_clones_on_xfs() {
    ranged_clones("xfs");
}

/// `--reflink=always` over an existing DEST: FICLONE replaces its contents in one step or not
/// at all, so DEST is not emptied first. Where no clone can be made (ext4, tmpfs) DEST keeps
/// its contents and the only message is the clone's (GNU cp 9.1 truncates it first and loses
/// it); where one can (btrfs, XFS), a longer DEST is cut to SOURCE's size.
#[test]
fn reflink_always_never_empties_an_existing_dest_it_cannot_clone_onto() {
    let env = TestEnv::new();
    env.write("src", pattern(100_000, 41));
    let old = pattern(300_000, 42);
    env.write("dst", &old);
    let run = env.run(&["--reflink=always", "src", "dst"]);
    if crate::testenv::clones_by_default(env.path()) {
        run.success();
        env.assert_same_content("src", "dst");
    } else {
        run.failure()
            .stderr_is("fcopy: failed to clone 'dst' from 'src': Operation not supported\n");
        assert!(env.read("dst") == old, "DEST changed");
    }
    // On btrfs and XFS, the cloning branch.
    for fs_name in ["btrfs", "xfs"] {
        let Some(mount) = LoopMount::new(fs_name, IMAGE) else {
            continue;
        };
        let env = TestEnv::in_dir(mount.path());
        env.write("src", pattern(100_000, 41));
        env.write("dst", &old);
        env.run(&["--reflink=always", "src", "dst"]).success();
        env.assert_same_content("src", "dst");
        // Where a clone can be made, DEST is emptied before it, as GNU does: a FICLONE stopped
        // part-way by SIGKILL left SOURCE's first extents and DEST's old bytes at full size,
        // which `--resume` took for complete (red team, round 6).
        if crate::testenv::require_strace() {
            env.write("dst", &old);
            assert_emptied_before_the_clone(&env, "dst", fs_name);
            // A btrfs subvolume has a device number of its own, yet clones with its parent:
            // DEST there is emptied first too (a device comparison had kept it).
            let made = fs_name == "btrfs"
                && std::process::Command::new("btrfs")
                    .args(["subvolume", "create"])
                    .arg(env.join("sv"))
                    .output()
                    .is_ok_and(|o| o.status.success());
            if made {
                env.write("sv/dst", &old);
                assert_emptied_before_the_clone(&env, "sv/dst", "subvolume");
            } else if fs_name == "btrfs" && crate::testenv::in_ci() {
                panic!("btrfs subvolume create failed in CI");
            }
        }
    }
}

/// A hard-link group whose first copy failed (`-a --reflink=always` where nothing clones):
/// the later name is copied on its own and fails with its own clone error, as in GNU cp, and
/// keeps its old contents; before (red team, round 4) it was linked to the failed first copy,
/// which was gone: "cannot create hard link 't/b' to 't/a': No such file or directory".
#[test]
fn a_later_link_name_is_not_linked_to_a_first_copy_that_failed() {
    let env = TestEnv::new();
    if crate::testenv::clones_by_default(env.path()) {
        return; // the clone succeeds here; reflink_modes covers it
    }
    env.write("s/a", b"data");
    fs::hard_link(env.join("s/a"), env.join("s/b")).unwrap();
    env.write("t/b", b"old b");
    let run = env.run(&["-a", "--reflink=always", "s/a", "s/b", "t"]);
    run.failure().stderr_is(
        "fcopy: failed to clone 't/a' from 's/a': Operation not supported\n\
         fcopy: failed to clone 't/b' from 's/b': Operation not supported\n",
    );
    assert_eq!(env.read("t/b"), b"old b");
    assert!(!env.exists("t/a"));
}

/// Runs `fcopy --reflink=always src DST` under strace: DEST is emptied before the FICLONE, and
/// ends as SOURCE's copy. `what` names the case in the failure.
fn assert_emptied_before_the_clone(env: &TestEnv, dst: &str, what: &str) {
    let log = env.join("strace.log");
    env.fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            &log.to_string_lossy(),
            "-e",
            "trace=ftruncate,ioctl",
        ])
        .args(&["--reflink=always", "src", dst])
        .run()
        .success();
    let trace = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = trace.lines().collect();
    let emptied = lines
        .iter()
        .position(|l| l.contains("ftruncate(") && l.contains(", 0)"));
    let cloned = lines.iter().position(|l| l.contains("FICLONE"));
    assert!(
        matches!((emptied, cloned), (Some(e), Some(c)) if e < c),
        "{what}: DEST not emptied before the clone:\n{trace}"
    );
    env.assert_same_content("src", dst);
}

/// Red team, round 11: a resumed copy clones the block-aligned middle of what is left; it wrote
/// the middle before the unaligned head, so a failure between the two left DEST at SOURCE's
/// size with a hole at the resume point, and the next `--resume` took it as complete (exit 0,
/// wrong bytes). Under `--resume` the head now comes first: whatever fails, DEST stays a
/// prefix of SOURCE, and a second `--resume` finishes it exactly.
fn resume_after_a_failure_next_to_the_clone(fs_name: &str) {
    if !crate::testenv::require_strace() {
        return;
    }
    let Some(mount) = LoopMount::new(fs_name, IMAGE) else {
        return;
    };
    let env = TestEnv::in_dir(mount.path());
    let data = pattern(3 << 20, 7);
    env.write("s", &data);
    // Not a multiple of the block: the rest has an unaligned head before the clonable middle.
    env.write_partial_copy("d", &data[..1_000_000]);
    let strace = [
        "strace",
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "trace=copy_file_range,pwrite64,write,ioctl",
        "-e",
        // Round 12: a resumed clone starts at the block boundary, so no head is copied; the
        // clone (an ioctl) fails too, and the copy of the middle it falls back to.
        "inject=copy_file_range,pwrite64,ioctl:error=ENOSPC",
    ];
    let failed = env
        .fcopy()
        .args(&["--resume", "s", "d"])
        .wrapped(&strace)
        .run();
    assert_eq!(failed.code(), Some(1), "{fs_name}: {}", failed.stderr());
    let again = env.run(&["--json", "--resume", "s", "d"]);
    assert_eq!(again.code(), Some(0), "{fs_name}: {}", again.stderr());
    assert!(
        env.read("d") == data,
        "{fs_name}: the second --resume left DEST unlike SOURCE: {}",
        again.stdout()
    );
}

#[test]
fn resume_after_a_failure_next_to_the_clone_on_btrfs() {
    resume_after_a_failure_next_to_the_clone("btrfs");
}

#[test]
fn resume_after_a_failure_next_to_the_clone_on_xfs() {
    resume_after_a_failure_next_to_the_clone("xfs");
}

/// Round 11's leftovers: `--resume --reflink=always` whose rest was one partial block (DEST a
/// block-aligned prefix of SOURCE) had no whole block to clone, failed with "Invalid argument"
/// and kept DEST for the next `--resume`, which failed the same way: it could never finish.
/// A range that ends at SOURCE's end and DEST's clones the partial block too, and a resumed
/// clone starts at the block boundary below DEST's end (its bytes there were checked equal). A range that
/// ends at SOURCE's end inside a longer DEST still clones only whole blocks (the kernel will
/// not clone an EOF block into the middle of a file), and DEST's tail is kept.
fn resume_with_reflink_always_clones_a_last_partial_block(fs_name: &str) {
    let Some(mount) = LoopMount::new(fs_name, IMAGE) else {
        return;
    };
    let env = TestEnv::in_dir(mount.path());
    let data = pattern(8192 + 1808, 11);
    env.write("s", &data);
    env.write_partial_copy("d", &data[..8192]);
    let out = env.run(&["--json", "--resume", "--reflink=always", "s", "d"]);
    assert_eq!(out.code(), Some(0), "{fs_name}: {}", out.stderr());
    assert!(env.read("d") == data, "{fs_name}: DEST unlike SOURCE");
    assert!(
        out.stdout().contains("\"shared_bytes\":1808"),
        "{fs_name}: the last partial block was not cloned: {}",
        out.stdout()
    );
    // DEST ending inside a block (new-user trial and red team, round 12): the rest had no
    // whole block, and every run failed. The clone now starts at the block boundary below.
    for (size, kept) in [(10_000, 9_999), (10_000, 8_193), (4_095, 1), (3_000, 1_000)] {
        let data = pattern(size, 13);
        env.write("u", &data);
        env.write_partial_copy("v", &data[..kept]);
        let out = env.run(&["--json", "--resume", "--reflink=always", "u", "v"]);
        assert_eq!(
            out.code(),
            Some(0),
            "{fs_name} {size}/{kept}: {}",
            out.stderr()
        );
        assert!(
            env.read("v") == data,
            "{fs_name} {size}/{kept}: DEST unlike SOURCE"
        );
        let rest = format!("\"bytes\":{},", size - kept);
        assert!(
            out.stdout().contains(&rest),
            "{fs_name} {size}/{kept}: not {rest}: {}",
            out.stdout()
        );
    }
    let longer = pattern(20_000, 12);
    env.write("long", &longer);
    let out = env.run(&[
        "--reflink=always",
        "--offset-in=0",
        "--offset-out=0",
        "--len=10000",
        "s",
        "long",
    ]);
    assert_eq!(out.code(), Some(0), "{fs_name}: {}", out.stderr());
    let long = env.read("long");
    assert!(
        long[..10_000] == data[..] && long[10_000..] == longer[10_000..],
        "{fs_name}: the range into a longer DEST is wrong"
    );
}

#[test]
fn resume_with_reflink_always_clones_a_last_partial_block_on_btrfs() {
    resume_with_reflink_always_clones_a_last_partial_block("btrfs");
}

#[test]
fn resume_with_reflink_always_clones_a_last_partial_block_on_xfs() {
    resume_with_reflink_always_clones_a_last_partial_block("xfs");
}
