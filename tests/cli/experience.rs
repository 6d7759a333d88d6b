//! What a person sees: the progress bar in a pseudo-terminal (via `script`), never outside one,
//! and clean stops on SIGINT/SIGTERM (exit 130/143, the unfinished file removed, source intact).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::testenv::{mkfifo, pattern, require_tool, TestEnv, FCOPY};

/// Runs `fcopy ARGS` under `script` (a pseudo-terminal) and returns everything the terminal got.
pub(crate) fn in_pty(env: &TestEnv, args: &str) -> String {
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
pub(crate) fn slow_writer(
    fifo: &Path,
    chunks: usize,
    every: Duration,
) -> thread::JoinHandle<Vec<u8>> {
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

/// New user, round 10: a tree holding a sparse file ended at `[> ] 101.67 KiB/10.10 MiB 0%
/// ... 5/5 files`: its holes counted in the total, never as done. The last bar drawn must
/// show every byte done; since round 17 the holes leave the total (counted as done, they made
/// the rate and the time left absurd), so the total is the 100,000 + 4,096 bytes of data.
#[test]
fn progress_counts_a_sparse_files_holes_as_done() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("src/small", pattern(100_000, 2));
    let mut sparse = fs::File::create(env.join("src/sparse")).unwrap();
    sparse.write_all(&pattern(4096, 1)).unwrap();
    sparse.set_len(10 << 20).unwrap();
    drop(sparse);
    // --reflink=never: a clone (btrfs, XFS) shares the holes and counts them as cloned.
    let screen = in_pty(&env, "--progress=always --reflink=never -r src dst");
    env.assert_same_content("src/sparse", "dst/sparse");
    let last = screen
        .rsplit('\r')
        .find(|l| l.contains("files"))
        .unwrap_or("");
    assert!(
        last.contains("101.66 KiB/101.66 KiB")
            && last.contains("100%")
            && last.contains("2/2 files"),
        "last bar not complete: {last:?} in {screen:?}"
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
    // Signalled once fcopy is copying (its handlers are set before it opens an operand),
    // not after a fixed sleep: killed before that, by the default action, it never opens the
    // FIFO and the writer waits for a reader for ever (flake hunt, round 14).
    assert!(
        crate::testenv::wait_until_open(child.id(), &env.join("dst")),
        "fcopy never opened dst"
    );
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
    // Signalled while the FIFO's copy is open, not after a fixed sleep (see `interrupt`).
    let copying = crate::testenv::wait_until_open(child.id(), &env.join("out/zz-slow"));
    assert!(copying, "fcopy never opened out/zz-slow");
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

/// Runs the shell `command` in a pseudo-terminal of `cols` columns (via `script`), with `input`
/// typed on that terminal, and returns everything the terminal got (the typescript).
fn in_pty_sized(env: &TestEnv, cols: u16, command: &str, input: &[u8]) -> String {
    let typed_after = Duration::from_millis(if input.is_empty() { 0 } else { 500 });
    in_pty_typed(env, cols, command, input, typed_after)
}

/// [`in_pty_sized`] with `input` typed `typed_after` the start.
pub(crate) fn in_pty_typed(
    env: &TestEnv,
    cols: u16,
    command: &str,
    input: &[u8],
    typed_after: Duration,
) -> String {
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
    thread::sleep(typed_after);
    let _ = stdin.write_all(input);
    drop(stdin);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            // Closing the terminal hangs up whatever still runs on it.
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command} still runs after 60 s");
        }
        thread::sleep(Duration::from_millis(20));
    };
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
    // A declined overwrite exits 0 (GNU cp 9.1; 1 only with POSIXLY_CORRECT); the shell
    // reports it after fcopy.
    let screen = in_pty_sized(
        &env,
        80,
        "\"$FCOPY\" -i --batch - < jobs.tsv; echo \"exit $?\"",
        b"y\nn\n",
    );
    assert!(screen.contains("exit 0"), "{screen:?}");
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

/// `-i` while the bar is drawn: the question stays on the screen, with the answer typed after
/// it, and the bar comes back below (new-user trial, round 8: the bar was drawn again after the
/// question, on its line, and its next redraw wiped question and answer).
#[test]
fn a_question_is_not_drawn_over_by_the_bar() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("x", "new");
    env.write("d/x", "old");
    mkfifo(&env.join("f"));
    // The FIFO keeps the bar up for a second; then fcopy asks about d/x, answered at 2.5 s.
    let command = "(sleep 0.5; head -c 100000 /dev/zero; sleep 0.7) > f & \
                   \"$FCOPY\" -g -i f x d/; echo \"exit $?\"";
    let screen = in_pty_typed(&env, 80, command, b"y\n", Duration::from_millis(2500));
    assert!(screen.contains("exit 0"), "{screen:?}");
    assert!(
        screen.contains("fcopy: overwrite 'd/x'? y\r\n"),
        "the answer does not follow the question: {screen:?}"
    );
    assert_eq!(env.read("d/x"), b"new");
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
    // After cleaning up, fcopy dies by the signal, as cp does (a shell shows 128+N).
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal().map(|n| 128 + n),
        Some(expected),
        "{status:?}"
    );
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

// Issue 15: the bar tells the truth and fits the terminal.

/// What a terminal `cols` wide shows after `typescript` (carriage returns, line feeds, wrapping
/// at the last column, erase-line and cursor-up; other escapes are dropped), and every line the
/// bar drew (each frame, trailing blanks trimmed).
pub(crate) fn terminal_screen(typescript: &str, cols: usize) -> (Vec<String>, Vec<String>) {
    let body = typescript
        .split_once('\n')
        .map_or(typescript, |(_, rest)| rest);
    let body = body.rsplit_once("\nScript done").map_or(body, |(b, _)| b);
    let mut screen: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut frames = Vec::new();
    let mut chars = body.chars().peekable();
    let mut frame = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => {
                if !frame.trim_end().is_empty() {
                    frames.push(frame.trim_end().to_owned());
                }
                frame.clear();
                col = 0;
                if c == '\n' {
                    row += 1;
                    if screen.len() <= row {
                        screen.push(Vec::new());
                    }
                }
            }
            '\u{1b}' => {
                let mut seq = String::new();
                if chars.peek() == Some(&'[') {
                    chars.next();
                    while let Some(&d) = chars.peek() {
                        chars.next();
                        seq.push(d);
                        if d.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
                match seq.as_str() {
                    "2K" => screen[row].clear(),
                    "K" | "0K" => screen[row].truncate(col),
                    s if s.ends_with('A') => {
                        let n: usize = s[..s.len() - 1].parse().unwrap_or(1);
                        row = row.saturating_sub(n);
                    }
                    _ => {}
                }
            }
            c => {
                if col == cols {
                    // Auto-margin: the line wraps.
                    row += 1;
                    col = 0;
                    if screen.len() <= row {
                        screen.push(Vec::new());
                    }
                    frames.push(std::mem::take(&mut frame));
                }
                let line = &mut screen[row];
                while line.len() <= col {
                    line.push(' ');
                }
                line[col] = c;
                col += 1;
                frame.push(c);
            }
        }
    }
    let screen = screen
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    (screen, frames)
}

/// The bar's frames: the drawn lines that carry a rate.
fn bar_frames(frames: &[String]) -> Vec<&String> {
    frames.iter().filter(|f| f.contains("B/s")).collect()
}

#[test]
fn bar_fits_60_and_80_columns_and_counts_files_while_the_walk_goes_on() {
    if !require_tool("script") {
        return;
    }
    // The lower bound's mark is `≥` in a UTF-8 locale and `>=` in others (round 8).
    for (cols, locale, mark) in [
        (60usize, "C.UTF-8", "≥"),
        (80, "C.UTF-8", "≥"),
        (80, "C", ">="),
    ] {
        let env = TestEnv::new();
        for name in ["f1", "f2", "f3"] {
            env.write(name, pattern(100_000, 7));
        }
        fs::create_dir(env.join("dst")).unwrap();
        let fifo = env.join("slow");
        mkfifo(&fifo);
        let writer = slow_writer(&fifo, 15, Duration::from_millis(100));
        let screen = in_pty_sized(
            &env,
            cols as u16,
            &format!("LC_ALL={locale} \"$FCOPY\" -g --copy-contents f1 f2 f3 slow dst"),
            b"",
        );
        writer.join().unwrap();
        let (_, frames) = terminal_screen(&screen, cols);
        let bars = bar_frames(&frames);
        assert!(!bars.is_empty(), "no bar at {cols} columns: {screen:?}");
        for bar in &bars {
            assert!(
                bar.chars().count() < cols,
                "the bar wraps at {cols} columns: {bar:?}"
            );
        }
        // Three files are done while the fourth streams in; the total is a lower bound as long
        // as that stream has more than its size said. Once it ends, its bytes are the rest of
        // the total: the last frame is `100% ... done` (round 21: it stayed a lower bound).
        assert!(
            bars.iter().any(|b| b.contains(&format!("3/{mark}4 files"))),
            "the file counter did not move at {cols} columns: {bars:?}"
        );
        let (last, streaming) = bars.split_last().expect("bars");
        assert!(
            streaming.iter().all(|b| !b.contains('%')),
            "a percentage of an unknown total: {bars:?}"
        );
        // (At 60 columns the last frame has a bar and no room for the rate or `done`.)
        let last = frames.iter().rfind(|f| f.contains("KiB/")).unwrap_or(last);
        assert!(
            last.contains("352.97 KiB/352.97 KiB 100%")
                && last.ends_with(if cols < 80 {
                    " 4/4 files"
                } else {
                    "done 4/4 files"
                }),
            "the last frame at {cols} columns: {frames:?}"
        );
    }
}

/// A 24 MiB copy slowed to about 2 s by strace (each write delayed), under a terminal.
pub(crate) fn slow_copy_command(extra: &str) -> String {
    format!(
        "strace -f -o /dev/null -e trace=pwrite64 -e inject=pwrite64:delay_exit=15000 \
         \"$FCOPY\" -g --method=read-write {extra} big big.out"
    )
}

#[test]
fn bar_percentage_only_moves_forward_with_an_eta_and_fits() {
    if !require_tool("script") || !crate::testenv::require_strace() {
        return;
    }
    for cols in [60usize, 80] {
        let env = TestEnv::new();
        env.write("big", pattern(24 << 20, 3));
        let screen = in_pty_sized(&env, cols as u16, &slow_copy_command(""), b"");
        env.assert_same_content("big", "big.out");
        let (_, frames) = terminal_screen(&screen, cols);
        let bars = bar_frames(&frames);
        assert!(bars.len() > 3, "too few frames at {cols}: {screen:?}");
        let mut last = 0;
        for bar in &bars {
            assert!(bar.chars().count() < cols, "wraps at {cols}: {bar:?}");
            let percent: u64 = bar
                .split_whitespace()
                .find_map(|w| w.strip_suffix('%'))
                .unwrap_or_else(|| panic!("no percentage at {cols}: {bar:?}"))
                .parse()
                .unwrap();
            assert!(percent >= last, "went back from {last}% in {bar:?}");
            last = percent;
            assert!(bar.contains("/24.00 MiB"), "{bar:?}");
        }
        // At 80 columns there is room for the ETA at its widest; at 60 the layout, chosen from
        // the fields' widest forms (round 20), has none, in every frame.
        let with_eta = bars.iter().filter(|b| b.contains("ETA ")).count();
        if cols == 80 {
            assert!(with_eta > 0, "no ETA at {cols}: {bars:?}");
        } else {
            assert_eq!(
                with_eta, 0,
                "an ETA that comes and goes at {cols}: {bars:?}"
            );
        }
        if cols == 80 {
            assert!(bars.iter().any(|b| b.starts_with("[=")), "no bar: {bars:?}");
        }
    }
}

#[test]
fn ctrl_c_leaves_no_bar_on_the_screen() {
    if !require_tool("script") || !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("big", pattern(24 << 20, 4));
    // `set -m`: a script's background job otherwise starts with SIGINT ignored, and fcopy
    // keeps a signal its caller ignored (as cp does).
    let command = format!(
        "set -m; {} & sleep 1; kill -INT $(pgrep -P $! fcopy || echo $!); wait",
        slow_copy_command("")
    );
    let screen = in_pty_sized(&env, 60, &command, b"");
    let (shown, _) = terminal_screen(&screen, 60);
    assert!(
        shown
            .iter()
            .any(|l| l.contains("interrupted while copying")),
        "{shown:?}"
    );
    assert!(
        shown.iter().all(|l| !l.contains("B/s")),
        "a stale bar is left on the screen: {shown:?}"
    );
}

#[test]
fn sigusr1_prints_a_status_line_and_the_copy_goes_on() {
    let env = TestEnv::new();
    let fifo = env.join("src");
    mkfifo(&fifo);
    let writer = slow_writer(&fifo, 20, Duration::from_millis(50));
    let child = Command::new(FCOPY)
        .args(["src", "dst"])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Signalled while copying, not after a fixed sleep (see `interrupt`).
    assert!(
        crate::testenv::wait_until_open(child.id(), &env.join("dst")),
        "fcopy never opened dst"
    );
    thread::sleep(Duration::from_millis(100));
    Command::new("kill")
        .args(["-USR1", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(fs::read(env.join("dst")).unwrap(), sent);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    // `fcopy: 36.00 KiB (36864 bytes) copied, 0/1 files, 0.5 s, 71.84 KiB/s`, as dd's.
    let line = lines[0];
    assert!(line.starts_with("fcopy: "), "{line}");
    assert!(line.contains(" bytes) copied, 0/1 files, "), "{line}");
    assert!(line.ends_with("B/s"), "{line}");
}

// Issue 15: JSON records for scripts.

#[test]
fn json_records_have_the_same_fields_in_every_status() {
    let env = TestEnv::new();
    env.write("src/f", "data");
    env.write("src/old", "x");
    std::os::unix::fs::symlink("f", env.join("src/link")).unwrap();
    env.write("dst/src/old", "kept");
    env.write("big", pattern(10_000, 1));
    // ok files, a directory, a symlink, a skipped file (-n), and an error (a missing source).
    let tree = env.run(&["--json", "-rn", "src", "missing", "dst"]);
    tree.failure();
    // planned records.
    let plan = env.run(&["--json", "--dry-run", "-r", "src", "planned"]);
    plan.success();
    // A ranged job that fails keeps its offsets; a malformed batch line is a record.
    let ranged = env.run(&["--json", "--offset-in", "20000", "big", "part"]);
    ranged.failure();
    env.write("jobs.tsv", "big\tcopy\nnot a job\n");
    let batch = env.run(&["--json", "--batch", "jobs.tsv"]);
    batch.failure();

    let mut records = Vec::new();
    for run in [&tree, &plan, &ranged, &batch] {
        let all = run.json();
        let summary = all.last().unwrap();
        assert_eq!(summary["type"], "summary", "{}", run.stdout());
        let errors = all.iter().filter(|r| r["status"] == "error").count();
        assert_eq!(summary["failures"], errors as u64, "{}", run.stdout());
        records.extend(all.into_iter().filter(|r| r["type"] != "summary"));
    }
    let keys =
        |r: &serde_json::Value| -> Vec<String> { r.as_object().unwrap().keys().cloned().collect() };
    let expected = keys(&records[0]);
    let mut seen = std::collections::BTreeSet::new();
    for r in &records {
        assert_eq!(keys(r), expected, "fields differ: {r}");
        seen.insert((
            r["type"].as_str().unwrap().to_owned(),
            r["status"].as_str().unwrap().to_owned(),
        ));
    }
    for (kind, status) in [
        ("file", "ok"),
        ("file", "skipped"),
        ("file", "error"),
        ("file", "planned"),
        ("directory", "ok"),
        ("directory", "planned"),
        ("symlink", "ok"),
        ("batch_line", "error"),
    ] {
        assert!(
            seen.contains(&(kind.to_owned(), status.to_owned())),
            "no {kind}/{status} record among {seen:?}"
        );
    }
    let failed_range = ranged.json()[0].clone();
    assert_eq!(failed_range["offset_in"], 20000, "{failed_range}");
    assert_eq!(failed_range["offset_out"], 0, "{failed_range}");
    let bad_line = batch
        .json()
        .into_iter()
        .find(|r| r["type"] == "batch_line")
        .unwrap();
    assert_eq!(bad_line["line"], 2, "{bad_line}");
    // The dry run's summary counts the files it would copy.
    assert_eq!(plan.json().last().unwrap()["files"], 2, "{}", plan.stdout());
}

// Issue 15: the dry run is the run's plan, entry for entry, and writes nothing.

/// A tree with every kind of node: files (one sparse, one empty), subdirectories (one empty),
/// a symlink, a FIFO and two hard links to one file.
fn dry_run_fixture(env: &TestEnv) {
    env.write("src/f", "data");
    env.write("src/empty", "");
    env.write("src/sub/g", pattern(5000, 2));
    env.write_sparse("src/sub/sparse", 1 << 20, &[(4096, b"x")]);
    fs::create_dir_all(env.join("src/void")).unwrap();
    std::os::unix::fs::symlink("f", env.join("src/link")).unwrap();
    mkfifo(&env.join("src/fifo"));
    fs::hard_link(env.join("src/f"), env.join("src/f2")).unwrap();
}

/// (type, source, dest, status) of every record but the summary, sorted; `planned` reads `ok`.
fn entries(run: &crate::testenv::Run) -> Vec<(String, String, String, String)> {
    let mut all: Vec<_> = run
        .json()
        .into_iter()
        .filter(|r| r["type"] != "summary")
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            let status = if s("status") == "planned" {
                "ok".to_owned()
            } else {
                s("status")
            };
            (s("type"), s("source"), s("dest"), status)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn dry_run_plans_what_the_run_does_entry_for_entry() {
    let cases: &[(&[&str], &str)] = &[
        (&["-r"], ""),
        (&["-a"], ""),
        (&["-rn"], "partial"),
        (&["-r", "-n"], ""),
        (&["-rL"], ""),
        (&["-a", "--parents"], ""),
        (&["-rl"], ""),
        (&["-r", "-u"], "partial"),
    ];
    for (flags, existing) in cases {
        let env = TestEnv::new();
        dry_run_fixture(&env);
        fs::create_dir(env.join("dst")).unwrap();
        if *existing == "partial" {
            env.write("dst/src/f", "old");
            env.write("dst/src/sub/g", "old");
        }
        let mut args: Vec<&str> = vec!["--json"];
        args.extend_from_slice(flags);
        if flags.contains(&"--parents") {
            args.extend_from_slice(&["src/sub/g", "src/f", "dst"]);
        } else {
            args.extend_from_slice(&["src", "dst"]);
        }
        let before = env.listing();
        let mut dry = vec!["--dry-run"];
        dry.extend_from_slice(&args);
        let plan = env.run(&dry);
        assert_eq!(env.listing(), before, "--dry-run {flags:?} wrote something");
        let run = env.run(&args);
        assert_eq!(
            plan.code(),
            run.code(),
            "{flags:?}: {}\n{}",
            plan.stderr(),
            run.stderr()
        );
        assert_eq!(
            entries(&plan),
            entries(&run),
            "{flags:?}: the plan differs from the run\nplan: {}\nrun: {}",
            plan.stdout(),
            run.stdout()
        );
    }
}

#[test]
fn dry_run_reports_the_errors_the_run_would() {
    let env = TestEnv::new();
    env.write("a", "1");
    env.write("file", "2");
    for dest in ["missing/dir/b", "file/b"] {
        let plan = env.run(&["--dry-run", "a", dest]);
        let run = env.run(&["a", dest]);
        assert_eq!(
            plan.code(),
            Some(1),
            "--dry-run a {dest}: {}",
            plan.stdout()
        );
        assert_eq!(plan.stderr(), run.stderr(), "--dry-run a {dest}");
    }
    env.write("dir/f", "3");
    for dest in ["missing/x", "file/x"] {
        let plan = env.run(&["--dry-run", "-r", "dir", dest]);
        let run = env.run(&["-r", "dir", dest]);
        assert_eq!(
            plan.code(),
            Some(1),
            "--dry-run -r dir {dest}: {}",
            plan.stdout()
        );
        assert_eq!(plan.stdout(), "", "--dry-run -r dir {dest}");
        assert_eq!(plan.stderr(), run.stderr(), "--dry-run -r dir {dest}");
    }
}

/// The plan fails where the run fails (new-user trial, round 8): a tree copied into itself,
/// and `-l`/`-s` onto a DEST that nothing clears (no -f, -b or --remove-destination) were
/// planned as copies and links, exit 0.
#[test]
fn dry_run_reports_links_over_a_dest_and_a_copy_into_itself_as_the_run_does() {
    let env = TestEnv::new();
    env.write("tree/sub/f", "1");
    env.write("s", "s");
    env.write("d", "d");
    let cases: [&[&str]; 5] = [
        &["-r", "tree", "tree/sub"],
        &["-l", "s", "d"],
        &["-s", "s", "d"],
        &["-rl", "tree", "tree/sub"],
        &["-l", "-f", "s", "d"],
    ];
    for args in cases {
        let plan = env.fcopy().arg("--dry-run").args(args).run();
        let scratch = TestEnv::new();
        for name in ["tree/sub/f", "s", "d"] {
            scratch.write(name, env.read(name));
        }
        let run = scratch.run(args);
        assert_eq!(plan.code(), run.code(), "{args:?}: {}", plan.stdout());
        assert_eq!(plan.stderr(), run.stderr(), "{args:?}");
    }
    assert_eq!(env.read("d"), b"d", "the plan wrote");
}

/// A plan moves nothing: its JSON summary has no throughput (it was 1 TB/s: planned bytes over
/// the microseconds of planning), and its `--stats` no rate.
#[test]
fn dry_run_summary_has_no_rate() {
    let env = TestEnv::new();
    env.write("a", pattern(100_000, 3));
    let plan = env.run(&["--dry-run", "--json", "--stats", "a", "b"]);
    assert_eq!(plan.code(), Some(0), "{}", plan.stderr());
    let summary = plan.stdout().lines().last().unwrap().to_owned();
    assert!(
        summary.contains(r#""throughput_bytes_per_sec":null"#),
        "{summary}"
    );
    assert!(!plan.stderr().contains("/s"), "{}", plan.stderr());
    // --reflink=never: a clone (btrfs, XFS) copies no bytes, so it has no rate either.
    let run = env.run(&["--json", "--stats", "--reflink=never", "a", "b"]);
    assert!(run
        .stderr()
        .lines()
        .any(|l| l.starts_with("time: ") && l.ends_with("/s")));
}

/// A human `--dry-run` has a line for every entry the plan met: files `-n`/`-u`/
/// `--update=changed` would leave alone say `(skipped)`, as excluded ones say `(excluded)`.
#[test]
fn dry_run_shows_skipped_files() {
    let env = TestEnv::new();
    env.write("a", "new");
    env.write("b", "old");
    let plan = env.run(&["--dry-run", "-n", "a", "b"]);
    assert_eq!(plan.code(), Some(0), "{}", plan.stderr());
    assert_eq!(plan.stdout(), "'a' -> 'b' (skipped)\n");
    env.run(&["-a", "a", "c"]).success();
    let plan = env.run(&["--dry-run", "-a", "--update=changed", "a", "c"]);
    assert_eq!(plan.stdout(), "'a' -> 'c' (skipped)\n");
}

// A stop signal ends a run blocked in a system call (SA_RESTART restarts it): the watchdog in
// src/signals.rs kills fcopy by the signal, as GNU cp dies at once.

/// Sends SIG`signal` to `child` after 400 ms and waits at most 5 s for it to end (then kills it
/// and fails): its exit status.
fn kill_and_wait(child: &mut std::process::Child, signal: &str) -> std::process::ExitStatus {
    thread::sleep(Duration::from_millis(400));
    assert!(Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fcopy blocked in a system call still runs 5 s after SIG{signal}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// fcopy blocked opening a FIFO (`src` without a writer, or `dst` without a reader) dies by
/// `signal` within seconds; a FIFO source is opened before DEST is made, so none is left.
fn blocked_on_a_fifo_dies_by(signal: &str, number: i32, fifo_is_source: bool) {
    blocked_on_a_fifo_with_options_dies_by(&[], signal, number, fifo_is_source);
}

/// [`blocked_on_a_fifo_dies_by`] with `options` before the operands.
fn blocked_on_a_fifo_with_options_dies_by(
    options: &[&str],
    signal: &str,
    number: i32,
    fifo_is_source: bool,
) {
    let env = TestEnv::new();
    let (src, dst) = if fifo_is_source {
        mkfifo(&env.join("src"));
        ("src", "dst")
    } else {
        env.write("file", pattern(1 << 20, 1));
        mkfifo(&env.join("fifo"));
        ("file", "fifo")
    };
    let mut child = Command::new(FCOPY)
        .args(options)
        .args([src, dst])
        .current_dir(env.path())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = kill_and_wait(&mut child, signal);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(number), "{status:?}");
    if fifo_is_source {
        assert!(!env.exists("dst"), "{}", env.listing());
    }
}

#[test]
fn sigint_ends_a_copy_blocked_on_a_fifo_without_writer() {
    blocked_on_a_fifo_dies_by("INT", 2, true);
}

#[test]
fn sigterm_ends_a_copy_blocked_on_a_fifo_without_writer() {
    blocked_on_a_fifo_dies_by("TERM", 15, true);
}

#[test]
fn sigint_and_sigterm_end_a_copy_into_a_fifo_without_reader() {
    blocked_on_a_fifo_dies_by("INT", 2, false);
    blocked_on_a_fifo_dies_by("TERM", 15, false);
}

/// `--attributes-only` onto a FIFO without a reader waits in open(2), as GNU cp does; a stop
/// signal ends it (red team, round 8: only SIGKILL did, the handlers restarted the open).
#[test]
fn a_stop_signal_ends_attributes_only_onto_a_fifo_without_reader() {
    for (signal, number) in [("TERM", 15), ("INT", 2)] {
        blocked_on_a_fifo_with_options_dies_by(&["--attributes-only"], signal, number, false);
    }
}

/// `sleep 30 | fcopy OPTIONS - out` in `env`: the writer that never writes, and fcopy waiting
/// in read(2), its standard output and error piped.
fn copy_from_an_idle_pipe(
    env: &TestEnv,
    options: &[&str],
) -> (std::process::Child, std::process::Child) {
    let mut writer = Command::new("sleep")
        .arg("30")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = writer.stdout.take().unwrap();
    let child = Command::new(FCOPY)
        .args(options)
        .args(["-", "out"])
        .current_dir(env.path())
        .stdin(pipe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Returned once fcopy waits in its copy (`out` open), not a fixed time after it started
    // (flake hunt, round 14: a start 600 ms late was signalled before its handlers existed).
    assert!(
        crate::testenv::wait_until_open(child.id(), &env.join("out")),
        "fcopy never opened out"
    );
    (writer, child)
}

/// `sleep 30 | fcopy - out`: fcopy waits in read(2) on an empty pipe; SIGTERM or SIGINT ends
/// it within about a second, and the new `out` it was writing is removed, with the usual
/// message (new-user trial, round 7: the watchdog killed fcopy and left `out`).
#[test]
fn a_stop_signal_ends_a_copy_waiting_on_an_empty_pipe_and_removes_its_file() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    for (name, number) in [("TERM", 15), ("INT", 2)] {
        let env = TestEnv::new();
        let (mut writer, mut child) = copy_from_an_idle_pipe(&env, &[]);
        let status = kill_and_wait(&mut child, name);
        let _ = writer.kill();
        let _ = writer.wait();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.signal(), Some(number), "{status:?}");
        assert_eq!(
            stderr,
            "fcopy: interrupted while copying '-' to 'out'; the partial copy was removed\n"
        );
        assert!(!env.exists("out"), "{}", env.listing());
    }
}

/// New-user trial, round 7: `kill -USR1` was answered only when a blocked read returned (the
/// handler's `SA_RESTART` restarts it, and the watcher thread started at the copy's next
/// piece). The watcher now starts with the watchdog, before a job that may block.
#[test]
fn usr1_is_answered_while_a_copy_waits_on_an_empty_pipe() {
    use std::io::Read;
    let env = TestEnv::new();
    let (mut writer, mut child) = copy_from_an_idle_pipe(&env, &[]);
    thread::sleep(Duration::from_millis(400));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-USR1", &pid])
        .status()
        .unwrap()
        .success());
    // The status line comes within the watcher's 100 ms tick, while the read still waits.
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        // The whole line: it may come in more than one write.
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\n") && matches!(stderr.read(&mut byte), Ok(1)) {
            line.push(byte[0]);
        }
        let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
    });
    let said = rx.recv_timeout(Duration::from_secs(2));
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.kill();
    let _ = writer.wait();
    let said = said.expect("no status line within 2 s of SIGUSR1");
    assert!(
        said.starts_with("fcopy: 0 bytes copied, 0/1 files"),
        "{said:?}"
    );
}

/// Round 7's closing note: under `--json` the watchdog's "partial copy was removed" was only a
/// plain line, where the job's own failure is also a record. Now it is both, as a job's own
/// error: the line on standard error, the record on standard output.
#[test]
fn under_json_the_removed_partial_copy_of_a_blocked_copy_is_a_record() {
    use std::io::Read;
    let env = TestEnv::new();
    let (mut writer, mut child) = copy_from_an_idle_pipe(&env, &["--json"]);
    kill_and_wait(&mut child, "TERM");
    let _ = writer.kill();
    let _ = writer.wait();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let message = "fcopy: interrupted while copying '-' to 'out'; the partial copy was removed";
    assert_eq!(stderr, format!("{message}\n"));
    // The job's own cleanup now runs (round 9, sig9): the summary follows, as after any
    // interrupted copy.
    let mut lines = stdout.lines();
    let record: serde_json::Value =
        serde_json::from_str(lines.next().unwrap_or_default()).expect(&stdout);
    let summary: serde_json::Value =
        serde_json::from_str(lines.next().unwrap_or_default()).expect(&stdout);
    assert_eq!(summary["type"], "summary", "{stdout}");
    assert_eq!(summary["failures"], 1, "{stdout}");
    assert_eq!(lines.next(), None, "{stdout}");
    assert_eq!(record["type"], "file", "{stdout}");
    assert_eq!(record["source"], "-", "{stdout}");
    assert_eq!(record["dest"], "out", "{stdout}");
    assert_eq!(record["status"], "error", "{stdout}");
    assert_eq!(record["error"], message, "{stdout}");
    assert!(!env.exists("out"), "{}", env.listing());
}

/// An interrupted `-b` copy puts the old DEST back from its backup, and says so (it said only
/// "the partial copy was removed", as if DEST had been new: new-user trial, round 8).
#[test]
fn an_interrupted_backup_copy_says_the_old_file_was_put_back() {
    use std::io::Read;
    if !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("big", pattern(8 << 20, 9));
    env.write("d", "old");
    // SIGINT to fcopy itself (strace's child), in the middle of its delayed writes (held in
    // a pwrite64, x86-64 call 18; not after a fixed sleep: flake hunt, round 14).
    let (mut child, fcopy) = crate::testenv::start_held_in(
        env.path(),
        "pwrite64",
        "inject=pwrite64:delay_exit=300000",
        &[18],
        FCOPY,
        &["-b", "--method=read-write", "big", "d"],
    );
    assert!(Command::new("kill")
        .args(["-INT", &fcopy.to_string()])
        .status()
        .unwrap()
        .success());
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let _ = child.wait();
    assert!(
        stderr.contains(
            "interrupted while copying 'big' to 'd'; the partial copy was removed and the old \
             file put back"
        ),
        "{stderr}"
    );
    assert_eq!(env.read("d"), b"old");
    assert!(!env.exists("d~"), "{}", env.listing());
}
