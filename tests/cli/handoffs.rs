//! How `-j` hands jobs to its workers: what a hand-off holds decides how many workers a copy
//! keeps busy.

use std::collections::HashSet;

use crate::testenv::{pattern, require_strace, TestEnv};

/// Large files of one directory go to several workers: hand-offs end at 8 MiB of jobs, not only
/// at 128 jobs (red team, round 9: 40 files of 2 MiB, or a `--batch` list of six 20 MB files,
/// were all copied by one worker under `-j4`).
#[test]
fn large_files_of_one_directory_are_copied_by_several_workers() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    for i in 0..4 {
        env.write(format!("src/f{i}"), pattern(12 << 20, i));
    }
    let log = env.join("strace.log");
    let trace = [
        "strace",
        "-f",
        "-o",
        log.to_str().expect("a UTF-8 test path"),
        "-e",
        "trace=copy_file_range,sendfile,pwrite64,write",
    ]
    .map(String::from)
    .to_vec();
    // --method=read-write: the same system calls on every filesystem the suite runs on.
    let run = env
        .fcopy()
        .wrapped(&trace)
        .args(&["-r", "-j4", "--method=read-write", "src", "dst"])
        .run();
    run.success();
    for i in 0..4 {
        assert_eq!(env.read(format!("dst/f{i}")), pattern(12 << 20, i));
    }
    let text = std::fs::read_to_string(&log).expect("strace's log");
    let writers: HashSet<&str> = text
        .lines()
        .filter(|l| l.contains("pwrite64(") || l.contains("write("))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        writers.len() >= 2,
        "the 4 files were written by {} thread(s): {writers:?}",
        writers.len()
    );
}
