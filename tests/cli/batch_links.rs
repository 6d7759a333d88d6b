//! `--batch -j`: jobs that reach a file through a symbolic link wait for the jobs before them
//! (red team, round 17).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::testenv::{require_tool, TestEnv, FCOPY};

/// Runs `fcopy --batch jobs -j JOBS` in `env` with standard input a pipe that gets `hello\n`
/// at once and `world\n` 1.5 s later, each look at `env/S` by path delayed 0.5 s (strace, whose
/// `-P` matches the name a call is given: the list names `S` by its absolute path), so
/// that the first job (`-` to `f`) has created `f` and is still writing it when a later job
/// through the link `S -> f` is handed out. Returns the exit status and standard error.
fn run_with_slow_stdin(env: &TestEnv, jobs: &str) -> (Option<i32>, String) {
    let link = env.join("S");
    let mut child = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-P"])
        .arg(&link)
        .args([
            "-e",
            "trace=newfstatat,statx,readlink,readlinkat",
            "-e",
            "inject=newfstatat,statx:delay_enter=500000",
            FCOPY,
            "--batch",
            "jobs",
            "-j",
            jobs,
        ])
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    stdin.write_all(b"world\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A later line reads, or writes, through a symbolic link whose target an earlier line is
/// still writing: `-j 4` gives what `-j 1` gives. Before, the link's target was looked up when
/// the later job was handed out; the earlier job had created it by then, under a name the later
/// job's keys did not share, so the two ran together: `S -> copy` copied the 6 bytes written
/// so far (`hello\n`), and `g -> S` was overwritten by the earlier job's bytes.
#[test]
fn a_job_through_a_link_waits_for_the_job_writing_its_target() {
    if !require_tool("strace") {
        return;
    }
    // Each hand-off ends at a job of 8 MiB or more: the filler sends the first job to a worker
    // before the next line is read.
    let filler = vec![7u8; 9 << 20];
    for jobs in ["1", "4"] {
        let env = TestEnv::new();
        env.write("fill", &filler);
        std::os::unix::fs::symlink("f", env.join("S")).unwrap();
        let link = env.join("S").display().to_string();
        env.write("jobs", format!("-\tf\nfill\tfo\n{link}\tcopy\n"));
        let (code, stderr) = run_with_slow_stdin(&env, jobs);
        assert_eq!((code, stderr.as_str()), (Some(0), ""), "-j {jobs}");
        assert_eq!(
            env.read("copy"),
            b"hello\nworld\n",
            "-j {jobs}: read through S"
        );

        let env = TestEnv::new();
        env.write("fill", &filler);
        env.write("g", "GGG\n");
        std::os::unix::fs::symlink("f", env.join("S")).unwrap();
        let link = env.join("S").display().to_string();
        env.write("jobs", format!("-\tf\nfill\tfo\ng\t{link}\n"));
        let (code, stderr) = run_with_slow_stdin(&env, jobs);
        assert_eq!((code, stderr.as_str()), (Some(0), ""), "-j {jobs}");
        assert_eq!(env.read("f"), b"GGG\n", "-j {jobs}: written through S");
    }
}

/// A job after one that re-points a symbolic link to a directory finds the link's new
/// directory, not the one looked up before (red team, round 18). `x -> L/y0` looks up `L`
/// (`dirA`); `M -> L` (`-dT`) makes `L` lead to `dirB`; `big -> L/f` then writes `dirB/f`,
/// and `dirB/f -> out` must wait for it. Keyed as a write into `dirA` (the remembered `L`),
/// the last job ran beside it: `out` was a prefix of `big` (exit 0) or "cannot stat". The
/// big job's `copy_file_range` is delayed 0.5 s (strace) to hold it open meanwhile.
#[test]
fn a_job_after_a_link_is_repointed_finds_its_new_directory() {
    if !require_tool("strace") {
        return;
    }
    let big = vec![9u8; 9 << 20];
    for jobs in ["1", "4"] {
        let env = TestEnv::new();
        std::fs::create_dir(env.join("dirA")).unwrap();
        std::fs::create_dir(env.join("dirB")).unwrap();
        std::os::unix::fs::symlink("dirA", env.join("L")).unwrap();
        std::os::unix::fs::symlink("dirB", env.join("M")).unwrap();
        env.write("x", "x\n");
        env.write("big", &big);
        env.write("jobs", "x\tL/y0\nM\tL\nbig\tL/f\ndirB/f\tout\n");
        let out = Command::new("strace")
            .args(["-f", "-o", "/dev/null", "-e", "trace=copy_file_range"])
            .args(["-e", "inject=copy_file_range:delay_enter=500000"])
            .args([FCOPY, "-dT", "--batch", "jobs", "-j", jobs])
            .current_dir(env.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!((out.status.code(), &*stderr), (Some(0), ""), "-j {jobs}");
        let link = std::fs::read_link(env.join("L")).unwrap();
        assert_eq!(link, std::path::Path::new("dirB"), "-j {jobs}");
        assert!(env.read("out") == big, "-j {jobs}: out is not big");
        assert!(env.read("dirB/f") == big, "-j {jobs}: dirB/f is not big");
    }
}
