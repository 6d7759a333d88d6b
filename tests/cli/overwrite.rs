//! Overwriting an existing DEST: a small one (one page, no holes, SOURCE at least as long) in
//! place on ext4 and tmpfs, every other one emptied first; either way exactly SOURCE's bytes
//! after a copy, and never a mix of new and old bytes after a failed or killed one (issue 16,
//! goal 5: the re-copy row; red team, round 6).

use std::fs;
use std::process::Command;

use crate::testenv::{
    fs_magic, pattern, require_strace, LoopMount, TestEnv, EXT4_MAGIC, FCOPY, TMPFS_MAGIC,
};

const M: usize = 1 << 20;

/// Runs fcopy `args` in `env` under `strace -f -y` tracing `calls`; returns (exit code, trace).
fn traced(
    env: &TestEnv,
    calls: &str,
    inject: Option<&str>,
    args: &[&str],
) -> (Option<i32>, String) {
    let log = env.join("strace.log");
    let mut wrap = vec![
        "strace".to_owned(),
        "-f".into(),
        "-y".into(),
        "-o".into(),
        log.to_string_lossy().into_owned(),
        "-e".into(),
        format!("trace={calls}"),
    ];
    if let Some(spec) = inject {
        wrap.extend(["-e".to_owned(), format!("inject={spec}")]);
    }
    let run = env.fcopy().wrapped(&wrap).args(args).run();
    (run.code(), fs::read_to_string(log).unwrap())
}

/// Whether the trace empties `dst` (an `ftruncate` to 0 of a descriptor on it).
fn emptied(trace: &str, dst: &std::path::Path) -> bool {
    let needle = format!("<{}>, 0)", dst.display());
    trace
        .lines()
        .any(|l| l.contains("ftruncate(") && l.contains(&needle))
}

/// The test directories this machine offers: the default one (ext4 here; btrfs and XFS in the
/// fs matrix) and tmpfs.
fn envs() -> Vec<TestEnv> {
    let mut envs = vec![TestEnv::new()];
    envs.extend(TestEnv::on_tmpfs());
    envs
}

#[test]
fn only_a_small_whole_dest_on_ext4_or_tmpfs_is_overwritten_in_place() {
    if !require_strace() {
        return;
    }
    // (SOURCE bytes, DEST bytes, in place where the filesystem allows it)
    let cases = [
        (4096, 4096, true),
        (3 * M, 4096, true),
        (100, 4096, false),
        (4096, 4097, false),
        (3 * M, 5 * M, false),
    ];
    for env in envs() {
        let magic = fs_magic(env.path());
        let in_place_fs = magic == EXT4_MAGIC || magic == TMPFS_MAGIC;
        for method in ["--method=auto", "--method=read-write"] {
            for (src_len, dst_len, small) in cases {
                env.write("src", pattern(src_len, 1));
                env.write("dst", pattern(dst_len, 2));
                let (code, trace) = traced(&env, "ftruncate", None, &[method, "src", "dst"]);
                assert_eq!(code, Some(0), "{trace}");
                env.assert_same_content("src", "dst");
                let dst = fs::canonicalize(env.join("dst")).unwrap();
                assert_eq!(
                    emptied(&trace, &dst),
                    !(small && in_place_fs),
                    "{method}, {src_len} over {dst_len} bytes on {magic:#x}:\n{trace}"
                );
            }
        }
    }
}

/// A copy that fails after DEST was written to leaves it empty or a prefix of SOURCE (with the
/// usual note), never SOURCE's first pieces followed by DEST's old bytes: for a DEST
/// overwritten in place (one page) and for one emptied first.
#[test]
fn a_failed_overwrite_never_mixes_new_and_old_bytes() {
    if !require_strace() {
        return;
    }
    for env in envs() {
        for dst_len in [4096, 8 * M] {
            env.write("src", pattern(8 * M, 3));
            env.write("dst", pattern(dst_len, 4));
            let (code, trace) = traced(
                &env,
                "pwrite64,ftruncate",
                Some("pwrite64:error=EIO:when=3"),
                &["--method=read-write", "src", "dst"],
            );
            assert_eq!(code, Some(1), "{trace}");
            let dst = fs::canonicalize(env.join("dst")).unwrap();
            let needle = format!("<{}>", dst.display());
            let writes = trace
                .lines()
                .filter(|l| l.contains("pwrite64(") && l.contains(&needle))
                .count();
            assert!(
                writes >= 3,
                "the failure came before DEST was written:\n{trace}"
            );
            // Emptied, or a prefix of SOURCE (the pieces written before the failure, as GNU
            // leaves them); never DEST's old bytes after new ones.
            let left = env.read("dst");
            let src = env.read("src");
            assert!(
                left.len() < src.len() && src.starts_with(&left),
                "{dst_len}-byte DEST: {} bytes left, not a prefix of SOURCE",
                left.len()
            );
        }
    }
}

/// Red team, round 6: a 64 MiB DEST overwritten in place and killed mid-copy kept its old size
/// (new bytes, then old ones); `--resume` took it for a partial copy, appended, exited 0, and
/// left stale bytes in the middle. Killed anywhere, a DEST must leave `--resume` with SOURCE.
#[test]
fn a_killed_overwrite_then_resume_gives_exactly_the_source() {
    if !require_strace() {
        return;
    }
    for env in envs() {
        let old = pattern(64 * M, 5);
        let mut src = pattern(65 * M, 6);
        // SOURCE's 64th MiB equals DEST's: the tail check alone cannot tell a mix.
        src[63 * M..64 * M].copy_from_slice(&old[63 * M..64 * M]);
        env.write("src", &src);
        env.write("dst", &old);
        let killed = Command::new("strace")
            .args([
                "-f",
                "-o",
                "/dev/null",
                "-e",
                "inject=pwrite64:signal=KILL:when=20",
            ])
            .arg(FCOPY)
            .args(["--method=read-write", "src", "dst"])
            .current_dir(env.path())
            .status()
            .unwrap();
        assert!(!killed.success(), "the kill never came");
        env.run(&["--resume", "src", "dst"]).success();
        env.assert_same_content("src", "dst");
    }
}

/// Red team, round 6: a DEST with a hole, in place, needed new blocks for the hole and failed
/// with ENOSPC (then emptied) where GNU cp, which empties it first, copies.
#[test]
fn a_dest_with_a_hole_on_a_full_filesystem_is_still_replaced() {
    let Some(mount) = LoopMount::tmpfs(8 << 20) else {
        return;
    };
    let dir = mount.path();
    let env = TestEnv::new();
    env.write("src", pattern(3 * M, 7));
    let dst = dir.join("dst");
    let f = fs::File::create(&dst).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &pattern(3 * M, 8), 3 * M as u64).unwrap();
    drop(f);
    // Fill the rest: only DEST's own blocks can make room for the copy.
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64K", "status=none"])
        .arg(format!("of={}", dir.join("fill").display()))
        .status();
    env.fcopy().arg(env.join("src")).arg(&dst).run().success();
    assert_eq!(fs::read(&dst).unwrap(), env.read("src"));
}

/// Red team, round 7: a SOURCE that holds fewer bytes than its size said (here a FUSE file that
/// claims 4096 bytes and holds 12; the same as a log emptied between the `stat` and the copy)
/// was written over a one-page DEST in place, and fcopy killed before the cut left 12 new
/// bytes followed by 4084 old ones, which `-u` then kept. SOURCE's first page is now read
/// before anything is written: a shorter one empties DEST first, so a kill at any point leaves
/// DEST's old bytes or a prefix of SOURCE.
#[test]
fn a_source_shorter_than_its_size_never_leaves_old_bytes_after_new_ones() {
    if !require_strace() {
        return;
    }
    for env in envs() {
        let Some(lying) = super::integrity::LyingFs::mount(&env) else {
            return;
        };
        let src = lying.path("dio-larger");
        let src = src.to_str().unwrap();
        let old = pattern(4096, 5);
        for kill_at in 1..=2 {
            env.write("dst", &old);
            let spec = format!("ftruncate:signal=KILL:when={kill_at}");
            let (code, trace) = traced(
                &env,
                "pread64,pwrite64,ftruncate",
                Some(&spec),
                &[src, "dst"],
            );
            let left = env.read("dst");
            assert!(
                left == old || super::integrity::FUSE_CONTENT.starts_with(&left),
                "killed at ftruncate #{kill_at} (exit {code:?}): DEST mixes SOURCE's bytes with its old ones \
                 ({} bytes, starts {:?}):\n{trace}",
                left.len(),
                String::from_utf8_lossy(&left[..left.len().min(16)])
            );
        }
        env.write("dst", &old);
        let (code, trace) = traced(&env, "ftruncate", None, &[src, "dst"]);
        assert_eq!(code, Some(0), "{trace}");
        assert_eq!(env.read("dst"), super::integrity::FUSE_CONTENT);
    }
}
