//! Overwriting an existing DEST: in place on ext4 and tmpfs (then cut to the bytes copied),
//! emptied first elsewhere; either way exactly SOURCE's bytes after a copy, and never a mix of
//! new and old bytes after a failed one (issue 16, goal 5: the re-copy row).

use std::fs;

use crate::testenv::{fs_magic, pattern, require_strace, TestEnv, EXT4_MAGIC, TMPFS_MAGIC};

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

/// The test directories this machine offers: ext4 and tmpfs (in place), and the default one
/// (whatever `FCOPY_TEST_DIR` is on: btrfs and XFS in the fs matrix, emptied first).
fn envs() -> Vec<TestEnv> {
    let mut envs = vec![TestEnv::new()];
    envs.extend(TestEnv::on_tmpfs());
    envs
}

#[test]
fn a_shorter_source_over_a_longer_dest_leaves_exactly_the_source() {
    if !require_strace() {
        return;
    }
    for env in envs() {
        for method in ["--method=auto", "--method=read-write"] {
            env.write("src", pattern(3 * M, 1));
            env.write("dst", pattern(5 * M, 2));
            let (code, trace) = traced(&env, "ftruncate", None, &[method, "src", "dst"]);
            assert_eq!(code, Some(0), "{trace}");
            env.assert_same_content("src", "dst");
            let dst = fs::canonicalize(env.join("dst")).unwrap();
            let magic = fs_magic(env.path());
            let in_place = magic == EXT4_MAGIC || magic == TMPFS_MAGIC;
            assert_eq!(
                emptied(&trace, &dst),
                !in_place,
                "{method} on {magic:#x}: emptied first only off ext4/tmpfs:\n{trace}"
            );
        }
    }
}

/// The promise the in-place overwrite must keep: a copy that fails half-way leaves DEST empty
/// (with the usual "cannot be restored" note), never SOURCE's first pieces followed by DEST's
/// old bytes, which would look like a complete file of the right size.
#[test]
fn a_failed_overwrite_never_mixes_new_and_old_bytes() {
    if !require_strace() {
        return;
    }
    for env in envs() {
        // Same size: a mix would not even show in the length.
        env.write("src", pattern(8 * M, 3));
        env.write("dst", pattern(8 * M, 4));
        let (code, trace) = traced(
            &env,
            "pwrite64,ftruncate",
            Some("pwrite64:error=EIO:when=3"),
            &["--method=read-write", "src", "dst"],
        );
        assert_eq!(code, Some(1), "{trace}");
        let dst = fs::canonicalize(env.join("dst")).unwrap();
        let writes = trace
            .lines()
            .filter(|l| l.contains("pwrite64(") && l.contains(&format!("<{}>", dst.display())))
            .count();
        assert!(
            writes >= 3,
            "the failure did not come after DEST was written to:\n{trace}"
        );
        let left = env.read("dst");
        assert!(left.is_empty(), "{} bytes left in DEST", left.len());
    }
}
