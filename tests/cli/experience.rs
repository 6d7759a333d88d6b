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
    assert_eq!(out.status.code(), Some(expected), "stderr: {stderr}");
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
    assert_eq!(
        out.status.code(),
        Some(130),
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

/// Runs the shell `command` in a pseudo-terminal of `cols` columns (via `script`), with `input`
/// typed on that terminal, and returns everything the terminal got (the typescript).
fn in_pty_sized(env: &TestEnv, cols: u16, command: &str, input: &[u8]) -> String {
    let typescript = env.join("typescript");
    let mut child = Command::new("script")
        .args(["-qfec", &format!("stty cols {cols} rows 24; {command}")])
        .arg(&typescript)
        .current_dir(env.path())
        .env("FCOPY", FCOPY)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    // Typed once the program waits, as a person would (a tty would echo it early otherwise).
    thread::sleep(Duration::from_millis(if input.is_empty() {
        0
    } else {
        500
    }));
    let _ = stdin.write_all(input);
    drop(stdin);
    let status = child.wait().unwrap();
    let screen = String::from_utf8_lossy(&fs::read(&typescript).unwrap()).into_owned();
    assert!(
        status.success(),
        "{command} under script failed: {status}\n{screen}"
    );
    screen
}

// Issue 11: every output line goes through the Reporter.

#[test]
fn parents_verbose_lines_come_in_order_when_piped() {
    let env = TestEnv::new();
    env.write("a/b/f", "1");
    env.write("c/d/g", "2");
    fs::create_dir(env.join("dst")).unwrap();
    // GNU cp prints each directory --parents creates (quoted only when needed), then the file.
    env.run(&["-v", "--parents", "a/b/f", "c/d/g", "dst"])
        .success()
        .stdout_is(
            "a -> dst/a\na/b -> dst/a/b\n'a/b/f' -> 'dst/a/b/f'\n\
             c -> dst/c\nc/d -> dst/c/d\n'c/d/g' -> 'dst/c/d/g'\n",
        );
}

#[test]
fn json_parents_gives_directory_records_and_nothing_but_json() {
    let env = TestEnv::new();
    env.write("a/b/f", "1");
    fs::create_dir(env.join("dst")).unwrap();
    let run = env.run(&["--json", "-v", "--parents", "a/b/f", "dst"]);
    run.success();
    let records = run.json();
    let dirs: Vec<_> = records
        .iter()
        .filter(|r| r["type"] == "directory")
        .map(|r| (r["source"].as_str().unwrap(), r["dest"].as_str().unwrap()))
        .collect();
    assert_eq!(
        dirs,
        [("a", "dst/a"), ("a/b", "dst/a/b")],
        "{}",
        run.stdout()
    );
    assert_eq!(records.last().unwrap()["type"], "summary");
}

#[test]
fn verbose_names_the_backup_as_gnu_does() {
    let env = TestEnv::new();
    env.write("a", "new");
    env.write("b", "old");
    env.write("d/a", "old");
    env.run(&["-bv", "a", "b"])
        .success()
        .stdout_is("'a' -> 'b' (backup: 'b~')\n");
    env.run(&["-v", "--backup=numbered", "a", "d/"])
        .success()
        .stdout_is("'a' -> 'd/a' (backup: 'd/a.~1~')\n");
    assert_eq!(env.read("b~"), b"old");
    assert_eq!(env.read("d/a.~1~"), b"old");
}

#[test]
fn stdout_is_flushed_before_each_diagnostic() {
    let env = TestEnv::new();
    env.write("a", "1");
    env.write("c", "3");
    fs::create_dir(env.join("dst")).unwrap();
    let log = env.join("log");
    // `fcopy -v a missing c dst > log 2>&1`: one file, both streams, in the order of events.
    let status = Command::new("sh")
        .args(["-c", "\"$FCOPY\" -v a missing c dst > log 2>&1"])
        .env("FCOPY", FCOPY)
        .current_dir(env.path())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        fs::read_to_string(log).unwrap(),
        "'a' -> 'dst/a'\n\
         fcopy: cannot stat 'missing': No such file or directory\n\
         'c' -> 'dst/c'\n"
    );
}

fn batch_fixture(env: &TestEnv) {
    env.write("a", "new1");
    env.write("c", "new2");
    env.write("b", "old1");
    env.write("d", "old2");
    env.write("jobs.tsv", "a\tb\nc\td\n");
}

#[test]
fn interactive_batch_from_stdin_asks_on_the_terminal() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    batch_fixture(&env);
    let screen = in_pty_sized(&env, 80, "\"$FCOPY\" -i --batch - < jobs.tsv", b"y\nn\n");
    assert!(screen.contains("fcopy: overwrite 'b'?"), "{screen:?}");
    assert!(screen.contains("fcopy: overwrite 'd'?"), "{screen:?}");
    assert_eq!(env.read("b"), b"new1", "answered y: {screen:?}");
    assert_eq!(env.read("d"), b"old2", "answered n: {screen:?}");
}

#[test]
fn interactive_batch_from_stdin_without_a_terminal_is_a_usage_error() {
    if !require_tool("setsid") {
        return;
    }
    let env = TestEnv::new();
    batch_fixture(&env);
    let run = env
        .fcopy()
        .wrapped(&["setsid", "-w"])
        .args(&["-i", "--batch", "-"])
        .stdin_file(fs::File::open(env.join("jobs.tsv")).unwrap())
        .run();
    run.failure().stderr_contains("there is no terminal");
    assert_eq!(env.read("b"), b"old1");
    assert_eq!(env.read("d"), b"old2");
}

/// A prompt waiting for an answer on a pipe that never gets one ends at once on `signal`.
fn signal_ends_a_pending_prompt(signal: &str, expected: i32) {
    let env = TestEnv::new();
    env.write("a", "new");
    env.write("b", "old");
    let mut child = Command::new(FCOPY)
        .args(["-i", "a", "b"])
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(400));
    Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fcopy -i still waits for an answer 5 s after SIG{signal}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(expected));
    assert_eq!(env.read("b"), b"old");
}

#[test]
fn sigint_interrupts_a_pending_prompt() {
    signal_ends_a_pending_prompt("INT", 130);
}

#[test]
fn sigterm_interrupts_a_pending_prompt() {
    signal_ends_a_pending_prompt("TERM", 143);
}
