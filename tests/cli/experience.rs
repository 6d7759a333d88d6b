//! What a person sees: the progress bar in a pseudo-terminal (via `script`), never outside one,
//! and clean stops on SIGINT/SIGTERM (exit 130/143, the unfinished file removed, source intact).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::testenv::{pattern, require_tool, TestEnv, FCOPY};

/// Runs `fcopy ARGS` under `script` (a pseudo-terminal) and returns everything the terminal got.
fn in_pty(env: &TestEnv, args: &str) -> String {
    let typescript = env.join("typescript");
    let status = Command::new("script")
        .args(["-qfec", &format!("{FCOPY} {args}")])
        .arg(&typescript)
        .current_dir(env.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("script runs");
    assert!(
        status.success(),
        "fcopy {args} under script failed: {status}"
    );
    String::from_utf8_lossy(&fs::read(&typescript).unwrap()).into_owned()
}

/// Feeds `chunks` pieces of 4 KiB into a FIFO, one every `every`, then closes it.
fn slow_writer(fifo: &Path, chunks: usize, every: Duration) -> thread::JoinHandle<Vec<u8>> {
    let fifo = fifo.to_path_buf();
    thread::spawn(move || {
        let mut sent = Vec::new();
        let Ok(mut w) = OpenOptions::new().write(true).open(&fifo) else {
            return sent;
        };
        for i in 0..chunks {
            let piece = pattern(4096, i as u64);
            if w.write_all(&piece).is_err() {
                break;
            }
            sent.extend_from_slice(&piece);
            thread::sleep(every);
        }
        sent
    })
}

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}

#[test]
fn progress_always_draws_a_bar_on_a_terminal() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("a", pattern(3 << 20, 1));
    let screen = in_pty(&env, "--progress=always -v a b");
    env.assert_same_content("a", "b");
    assert!(
        screen.contains("3.00 MiB/3.00 MiB"),
        "no final bar in: {screen:?}"
    );
    assert!(screen.contains("'a' -> 'b'"), "-v line missing: {screen:?}");
    // The -v line is printed with the bar out of the way: it starts a line of its own.
    assert!(
        screen
            .split(['\r', '\n'])
            .any(|l| l.trim_start_matches("\u{1b}[2K") == "'a' -> 'b'"),
        "-v line mixed with the bar: {screen:?}"
    );
}

#[test]
fn progress_auto_shows_only_for_a_slow_copy() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("quick", pattern(1 << 20, 2));
    let screen = in_pty(&env, "quick quick.out");
    assert!(
        !screen.contains("B/s"),
        "a quick copy flashed a bar: {screen:?}"
    );

    let fifo = env.join("slow");
    mkfifo(&fifo);
    let writer = slow_writer(&fifo, 15, Duration::from_millis(100));
    let screen = in_pty(&env, "slow slow.out");
    let sent = writer.join().unwrap();
    assert_eq!(fs::read(env.join("slow.out")).unwrap(), sent);
    assert!(
        screen.contains("B/s"),
        "no bar for a 1.5 s copy: {screen:?}"
    );
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let env = TestEnv::new();
    env.write("a", pattern(1 << 20, 3));
    for flag in ["--progress=always", "-g", "--progress"] {
        let run = env.run(&[flag, "a", "b"]);
        run.success();
        assert_eq!(run.stderr(), "", "{flag} wrote to a non-terminal stderr");
        env.assert_same_content("a", "b");
    }
}

fn interrupt(signal: &str, expected: i32) {
    let env = TestEnv::new();
    let fifo = env.join("src");
    mkfifo(&fifo);
    let writer = slow_writer(&fifo, 40, Duration::from_millis(50));
    let child = Command::new(FCOPY)
        .args(["src", "dst"])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(400));
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Issue 13: after cleaning up, fcopy dies by the signal (as cp); a shell shows 128+N.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal().map(|n| 128 + n),
        Some(expected),
        "stderr: {stderr}"
    );
    assert_eq!(
        stderr,
        "fcopy: interrupted while copying 'src' to 'dst'; the partial copy was removed\n"
    );
    assert!(
        !env.exists("dst"),
        "the unfinished copy was left behind:\n{}",
        env.listing()
    );
}

#[test]
fn sigint_stops_cleans_up_and_exits_130() {
    interrupt("INT", 130);
}

#[test]
fn sigterm_stops_cleans_up_and_exits_143() {
    interrupt("TERM", 143);
}

#[test]
fn sigint_during_a_tree_copy_stops_the_walk() {
    let env = TestEnv::new();
    for i in 0..50 {
        env.write(format!("tree/f{i:02}"), pattern(1024, i));
    }
    let fifo = env.join("tree/zz-slow");
    mkfifo(&fifo);
    let writer = slow_writer(&fifo, 40, Duration::from_millis(50));
    let child = Command::new(FCOPY)
        .args(["-r", "--copy-contents", "-j1", "tree", "out"])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(400));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!env.exists("out/zz-slow"), "{}", env.listing());
    for i in 0..50 {
        assert_eq!(
            env.read(format!("tree/f{i:02}")),
            pattern(1024, i),
            "source changed"
        );
    }
}
