//! Round 20: what the new-user trial and the red team found (the bar and `^C`, `--resume` with
//! `--atomic -v`, cp's `-i` question for a destination the user cannot write).

use std::fs;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use crate::atomic8::{mark_partial, set_mtime, user_xattrs};
use crate::experience::{in_pty_typed, slow_copy_command, slow_writer, terminal_screen};
use crate::testenv::{mkfifo, pattern, require_tool, TestEnv};

/// Ctrl-C typed at the terminal: the tty echoes `^C` where the cursor is. Frames were padded
/// to the terminal's full width, so the echo wrapped to a new line, the clear before the
/// message erased only that line, and the bar stayed above `interrupted while copying`
/// (new-user trial, round 20, in tmux at 100 and 45 columns).
#[test]
fn ctrl_c_typed_at_the_terminal_leaves_no_bar_above_the_message() {
    if !require_tool("script") {
        return;
    }
    for cols in [45u16, 100] {
        let env = TestEnv::new();
        let fifo = env.join("slow");
        mkfifo(&fifo);
        let writer = slow_writer(&fifo, 200, Duration::from_millis(50));
        // A shell that survives the SIGINT (a handler, not an ignored signal: fcopy would
        // inherit that and keep it, as cp does), so `script` ends well.
        let command = "trap : INT; \"$FCOPY\" -g slow out; echo exit=$?";
        let screen = in_pty_typed(&env, cols, command, b"\x03", Duration::from_millis(1500));
        drop(writer);
        let (shown, frames) = terminal_screen(&screen, usize::from(cols));
        assert!(
            frames.iter().any(|f| f.contains("B/s")),
            "no bar was drawn at {cols}: {screen:?}"
        );
        assert!(
            shown
                .iter()
                .any(|l| l.contains("interrupted while copying")),
            "{shown:?}"
        );
        assert!(shown.iter().any(|l| l == "exit=130"), "{shown:?}");
        assert!(
            shown.iter().all(|l| !l.contains("B/s")),
            "a stale bar is left on the screen at {cols}: {shown:?}"
        );
        assert!(fs::metadata(env.join("slow")).is_ok());
    }
}

/// `--atomic --resume -v` goes on from the kept partial file `.NAME.fcopy-partial`, which only
/// the copy itself finds: `-v` now says `resumed 'DEST' from byte N` when it did, and
/// `--debug` `, resumed from byte N`. Both said nothing, though `--stats` and `--json` showed
/// the copy had resumed (new-user trial, round 20). The start lines keep their order and their
/// backup notes (red team, round 20: a first try that printed them at the end misplaced both).
#[test]
fn verbose_atomic_resume_says_where_it_goes_on_from() {
    const M: usize = 1 << 20;
    let env = TestEnv::new();
    if !user_xattrs(&env) {
        return;
    }
    let data = pattern(3 * M, 20);
    env.write("big", &data);
    let partial = |dest: &str| {
        let partial = env.write(format!(".{dest}.fcopy-partial"), &data[..M]);
        assert!(mark_partial(&partial, &env.join("big"), dest));
        set_mtime(&partial, SystemTime::now() + Duration::from_secs(60));
    };
    for (jobs, dest) in [("1", "one"), ("2", "two")] {
        partial(dest);
        let run = env.run(&["--resume", "--atomic", "-v", "-j", jobs, "big", dest]);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        assert_eq!(
            run.stdout(),
            format!("'big' -> '{dest}'\nresumed '{dest}' from byte {M}\n"),
            "-j {jobs}"
        );
        env.assert_same_content("big", dest);
    }
    partial("three");
    let run = env.run(&["--resume", "--atomic", "--debug", "big", "three"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert!(
        run.stdout().contains(&format!(", resumed from byte {M}")),
        "{}",
        run.stdout()
    );
    // No partial file: the plain line alone.
    let run = env.run(&["--resume", "--atomic", "-v", "big", "fresh"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout(), "'big' -> 'fresh'\n");
    // DEST complete: said so.
    let run = env.run(&["--resume", "--atomic", "-v", "big", "fresh"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout(), "'big' -> 'fresh' (already complete)\n");
    // A tree with backups: each line names its own backup, in walk order, as without
    // --resume.
    for i in 1..=40 {
        env.write(format!("s/f{i:02}"), format!("new{i}"));
        env.write(format!("d/s/f{i:02}"), format!("old{i}"));
        env.write(format!("e/s/f{i:02}"), format!("old{i}"));
    }
    let lines = |resume: &[&str], dest: &str| {
        let mut args = vec!["-v", "-b", "--atomic", "-j", "4", "-r", "s", dest];
        args.splice(0..0, resume.iter().copied());
        let run = env.run(&args);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        run.stdout().replace(dest, "DEST/")
    };
    let resumed = lines(&["--resume"], "d/");
    assert_eq!(resumed, lines(&[], "e/"));
    assert_eq!(
        resumed.matches("(backup: 'DEST/s/f").count(),
        40,
        "{resumed}"
    );
    for i in 1..=40 {
        let line = format!("'s/f{i:02}' -> 'DEST/s/f{i:02}' (backup: 'DEST/s/f{i:02}~')\n");
        assert!(resumed.contains(&line), "{resumed}");
    }
}

/// The rate a bar frame shows, in bytes per second (`... 400.00 KiB/s ...`).
fn frame_rate(frame: &str) -> Option<f64> {
    let field = frame.split_whitespace().find(|w| w.ends_with("B/s"))?;
    let start = frame.find(field)?;
    let number: f64 = frame[..start].split_whitespace().last()?.parse().ok()?;
    let unit = field.trim_end_matches("/s");
    let scale = ["B", "KiB", "MiB", "GiB"].iter().position(|u| *u == unit)?;
    Some(number * 1024f64.powi(scale as i32))
}

/// A copy stopped for a while (Ctrl-Z, `kill -STOP`) and continued: the stopped time leaves
/// the rate, as pv's. Counted in, the stopped seconds made the rate read a fraction of the
/// real one for many seconds after `fg` (red team, round 19): 6 s stopped, the bar showed
/// about 30% of the rate 3 s after the copy went on. Nor does the rate jump after it (red
/// team, round 20: counted from the moment itself, the bytes under way and the pipe's buffer
/// read as 737 MiB/s to 2 TiB/s), also after a SIGCONT without a stop.
#[test]
fn the_rate_after_a_stop_counts_from_when_the_copy_goes_on() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    let fifo = env.join("slow");
    mkfifo(&fifo);
    // 4 KiB every 10 ms, timing each write that did not wait for the reader.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut out = fs::OpenOptions::new().write(true).open(fifo).unwrap();
            let mut gaps = Vec::new();
            let mut last = Instant::now();
            for i in 0..450u64 {
                let began = Instant::now();
                if out.write_all(&pattern(4096, i)).is_err() {
                    break;
                }
                if began.elapsed() < Duration::from_millis(2) {
                    gaps.push(last.elapsed());
                }
                last = Instant::now();
                std::thread::sleep(Duration::from_millis(10));
            }
            gaps.sort();
            gaps.get(gaps.len() / 2).copied()
        })
    };
    let command = "\"$FCOPY\" -g slow out & p=$!; sleep 1.5; kill -STOP $p; sleep 6; \
                   kill -CONT $p; sleep 1; kill -CONT $p; wait $p; echo exit=$?";
    let screen = in_pty_typed(&env, 100, command, b"", Duration::ZERO);
    let gap = writer.join().unwrap().expect("the writer wrote");
    let real = 4096.0 / gap.as_secs_f64();
    let (shown, frames) = terminal_screen(&screen, 100);
    assert!(shown.iter().any(|l| l == "exit=0"), "{shown:?}");
    let rates: Vec<f64> = frames.iter().filter_map(|f| frame_rate(f)).collect();
    assert!(rates.len() > 20, "too few frames: {frames:?}");
    let most = rates.iter().copied().fold(0.0, f64::max);
    assert!(
        most < 2.5 * real,
        "a frame read {most:.0} B/s; the source gives {real:.0} B/s: {frames:?}"
    );
    // The last frames: about 3 s after the copy went on.
    let last = rates[rates.len() - 1];
    assert!(
        last > 0.8 * real,
        "the rate after the stop reads {last:.0} B/s; the source gives {real:.0} B/s: {:?}",
        &frames[frames.len().saturating_sub(5)..]
    );
}

/// A failed job that left bytes in DEST names the method that moved them in its `--json`
/// record: it said `"method": null` beside `"bytes": 2883584` (red team, round 19). Faults:
/// the 3rd write into DEST (read/write), or the read that looks for SOURCE's end after
/// copy_file_range moved it all; DEST existed, so it keeps what was written.
#[test]
fn a_failed_job_names_the_method_of_the_bytes_it_kept() {
    if !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(4 << 20, 4));
    for (method, fault, path, name) in [
        (
            "read-write",
            "inject=pwrite64:error=EIO:when=3",
            "out",
            "read_write",
        ),
        (
            "copy-file-range",
            "inject=pread64:error=EIO:when=1+",
            "src",
            "copy_file_range",
        ),
    ] {
        env.write("out", pattern(15_000, 5));
        let watched = env.join(path);
        let strace = crate::testenv::strace_faults_on(&watched, &[fault]);
        let run = env
            .fcopy()
            .wrapped(&strace)
            .args(&["--json", &format!("--method={method}"), "src", "out"])
            .run();
        assert_eq!(run.code(), Some(1), "{}", run.stderr());
        let record = run.json_record();
        assert_eq!(record["status"], "error", "{}", run.stdout());
        let kept = record["bytes"].as_u64().unwrap();
        assert!(kept > 0, "{}", run.stdout());
        assert_eq!(record["method"], name, "{}", run.stdout());
    }
    // A job that kept nothing names none.
    let run = env.run(&["--json", "missing", "out2"]);
    assert_eq!(run.json_record()["method"], serde_json::Value::Null);
}

/// `--mkpath -v` says each directory it makes, parents first, as `mkdir -pv`: it said only the
/// last one (`created directory 'new/deep'`, though `new` was made too; new-user trial, round
/// 20). The same for a `--batch` job's directory, and `--json` has a record for each.
#[test]
fn mkpath_verbose_says_every_directory_it_makes() {
    let env = TestEnv::new();
    env.write("a1", "1");
    env.write("a2", "2");
    let run = env.run(&["--mkpath", "-v", "-t", "new/deep", "a1", "a2"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "created directory 'new'\ncreated directory 'new/deep'\n'a1' -> 'new/deep/a1'\n\
         'a2' -> 'new/deep/a2'\n"
    );
    env.write("jobs", "a1\tb/c/d/x\na2\tb/c/e/\n");
    let run = env.run(&["--mkpath", "-v", "--batch", "jobs"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "created directory 'b'\ncreated directory 'b/c'\ncreated directory 'b/c/d'\n\
         'a1' -> 'b/c/d/x'\ncreated directory 'b/c/e/'\n'a2' -> 'b/c/e/a2'\n"
    );
    let run = env.run(&["--mkpath", "--json", "a1", "j/k/"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let dirs: Vec<String> = run
        .json()
        .iter()
        .filter(|r| r["type"] == "directory")
        .map(|r| r["dest"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(dirs, ["j", "j/k/"]);
}

/// The bar keeps one width from its first frame to its last: the slots of the fields beside
/// it (bytes, rate, time left) are kept at their widest forms. It was 30 columns in the first
/// frame at 80 columns, 24 once the rate and ETA appeared, 23 from `101.00 MiB` (new-user
/// trial, round 20). A tree copy with its file count, and a single file.
#[test]
fn the_bar_keeps_its_width_from_first_frame_to_last() {
    if !require_tool("script") || !crate::testenv::require_strace() {
        return;
    }
    for cols in [80u16, 100] {
        let env = TestEnv::new();
        env.write("big", pattern(24 << 20, 3));
        let screen = in_pty_typed(&env, cols, &slow_copy_command(""), b"", Duration::ZERO);
        env.assert_same_content("big", "big.out");
        let (_, frames) = terminal_screen(&screen, usize::from(cols));
        let widths: Vec<usize> = frames
            .iter()
            .filter(|f| f.starts_with('['))
            .map(|f| f.find(']').expect("a closed bar") + 1)
            .collect();
        assert!(widths.len() > 3, "too few bars at {cols}: {frames:?}");
        assert!(
            widths.iter().all(|w| *w == widths[0]),
            "the bar's width changed at {cols}: {widths:?}\n{frames:?}"
        );
        assert!(
            frames
                .iter()
                .any(|f| f.starts_with('[') && f.contains("B/s")),
            "no frame with a rate at {cols}: {frames:?}"
        );
    }
}

/// A `--batch` line's range is named by its columns in the messages about it (`OFFSET_IN`,
/// `LEN`), as the line's parse errors name them: `jobs:1: --offset-in 100 is past the end of
/// 'f5' (7 bytes)` named an option nobody gave (new-user trial, round 20). The options keep
/// their names.
#[test]
fn batch_range_messages_name_the_columns() {
    let env = TestEnv::new();
    env.write("f5", "1234567");
    env.write(
        "jobs",
        "f5\tr1\t100\t0\t1\nf5\tr2\t2\t0\t9\nf5\tr3\t9223372036854775807\t0\t-\n",
    );
    let run = env.run(&["--batch", "jobs"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert_eq!(
        run.stderr(),
        "fcopy: jobs:1: OFFSET_IN 100 is past the end of 'f5' (7 bytes)\n\
         fcopy: jobs:2: LEN 9 from offset 2 is past the end of 'f5' (7 bytes)\n\
         fcopy: jobs:3: OFFSET_IN 9223372036854775807 is past the end of 'f5' (7 bytes)\n"
    );
    // A stream SOURCE that ends before OFFSET_IN.
    env.write("jobs2", "/proc/version\tr4\t100000\t0\t-\n");
    let run = env.run(&["--batch", "jobs2"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert!(
        run.stderr().contains(", before OFFSET_IN 100000\n"),
        "{}",
        run.stderr()
    );
    let run = env.run(&["--offset-in", "100", "f5", "r5"]);
    assert_eq!(
        run.stderr(),
        "fcopy: --offset-in 100 is past the end of 'f5' (7 bytes)\n"
    );
}

/// A write error on standard output names it as dd names its default output: `error writing
/// 'standard output': No space left on device`, not `error writing '-'` (new-user trial,
/// round 19). Each way the bytes can go: copy_file_range (falls back), read/write, a /proc
/// file.
#[test]
fn a_full_standard_output_is_named_as_dd_names_it() {
    let env = TestEnv::new();
    env.write("f", pattern(100_000, 9));
    for args in [
        &["f", "-"][..],
        &["--method=read-write", "f", "-"],
        &["/proc/self/status", "-"],
    ] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(crate::testenv::FCOPY)
            .args(args)
            .current_dir(env.path())
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "fcopy: error writing 'standard output': No space left on device\n",
            "{args:?}"
        );
    }
}
