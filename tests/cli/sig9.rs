//! Round 9, helper sig9: a stop signal that arrives while fcopy waits on an empty pipe or
//! FIFO takes the same cleanup and messages as one between chunks (an existing DEST is said
//! to be incomplete, a `-b` backup is put back, `--resume` says it kept the partial copy);
//! closed standard streams are not silently replaced by /dev/null.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::testenv::{mkfifo, pattern, TestEnv, FCOPY};

const M: usize = 1 << 20;

/// Where the blocked copy reads from: standard input (a pipe) or a FIFO operand.
#[derive(Clone, Copy)]
enum Source {
    Pipe,
    Fifo,
}

/// Copies 1 MiB from a pipe or FIFO whose writer then sleeps holding it open, over an
/// existing `e` (`old\n`), with `args`; sends SIGINT to fcopy's own pid once `e` holds the
/// 1 MiB and fcopy waits in the read. Checks that fcopy died by SIGINT; returns its stderr.
fn interrupted_while_blocked(env: &TestEnv, source: Source, args: &[&str]) -> String {
    env.write("e", "old\n");
    let data = pattern(M, 9);
    let operand = match source {
        Source::Pipe => "-",
        Source::Fifo => {
            mkfifo(&env.join("ff"));
            "ff"
        }
    };
    let mut child = Command::new(FCOPY)
        .args(args)
        .args([operand, "e"])
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The writer: the test itself, which keeps its end open until fcopy has ended.
    let mut writer: Box<dyn Write> = match source {
        Source::Pipe => Box::new(child.stdin.take().unwrap()),
        Source::Fifo => Box::new(OpenOptions::new().write(true).open(env.join("ff")).unwrap()),
    };
    writer.write_all(&data).unwrap();
    writer.flush().unwrap();
    let start = Instant::now();
    while fs::metadata(env.join("e")).map_or(0, |m| m.len()) < M as u64 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "e never got 1 MiB"
        );
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(Duration::from_millis(300)); // now blocked in the read of the empty pipe
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    drop(writer);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.signal(), Some(2), "{:?}: {stderr}", out.status);
    stderr
}

#[test]
fn blocked_read_interrupted_says_the_existing_dest_is_incomplete() {
    let env = TestEnv::new();
    let stderr = interrupted_while_blocked(&env, Source::Pipe, &[]);
    assert!(
        stderr.contains("interrupted while copying '-' to 'e'"),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("'e' was being overwritten and is now incomplete"),
        "{stderr:?}"
    );
    assert_eq!(fs::metadata(env.join("e")).unwrap().len(), M as u64);
}

#[test]
fn blocked_read_interrupted_puts_the_backup_back() {
    for jobs in [&["-b"][..], &["-b", "-j2"][..]] {
        let env = TestEnv::new();
        let stderr = interrupted_while_blocked(&env, Source::Pipe, jobs);
        assert!(
            stderr.contains("the partial copy was removed and the old file put back"),
            "{jobs:?}: {stderr:?}"
        );
        assert_eq!(env.read("e"), b"old\n", "{jobs:?}: {stderr:?}");
        assert!(!env.exists("e~"), "{jobs:?}");
    }
}

#[test]
fn blocked_read_interrupted_keeps_the_partial_for_resume() {
    for source in [Source::Pipe, Source::Fifo] {
        let env = TestEnv::new();
        let stderr = interrupted_while_blocked(&env, source, &["--resume"]);
        assert!(stderr.contains("kept for --resume"), "{stderr:?}");
        assert_eq!(env.read("e"), pattern(M, 9));
    }
}
