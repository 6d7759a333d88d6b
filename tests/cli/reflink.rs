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
