//! Round 18's new-user trial: what the progress display says while workers (`-j`) copy.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::testenv::{pattern, require_tool, TestEnv, FCOPY};

/// 50 files of 1 MiB and 200 small ones below `tree`.
fn tree(env: &TestEnv) {
    for i in 0..50 {
        env.write(format!("tree/f{i}"), pattern(1 << 20, i as u64));
    }
    for i in 0..200 {
        env.write(format!("tree/sub/s{i}"), format!("{i}\n"));
    }
}

/// A size as the bar shows it (`12.00 MiB`, `512.00 KiB`, `0 B`), in bytes.
fn shown_bytes(number: &str, unit: &str) -> f64 {
    let scale = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unit {other:?}"),
    };
    number.parse::<f64>().unwrap() * scale
}

/// Each frame's bytes copied and files done: `[...] 12.00 MiB/50.00 MiB ... 9/250 files`.
fn frames(screen: &str) -> Vec<(f64, usize)> {
    screen
        .split(['\r', '\n'])
        .filter(|frame| frame.contains(" files"))
        .filter_map(|frame| {
            let (copied, _) = frame_bytes(frame)?;
            let words: Vec<&str> = frame.split_whitespace().collect();
            let files = words.iter().position(|w| *w == "files")?;
            let done = words[files - 1].split('/').next()?.parse().ok()?;
            Some((copied, done))
        })
        .collect()
}

/// A frame's bytes copied and its total, as it shows them (`12.00 MiB/50.00 MiB`); a total
/// shown as a lower bound (`≥50.00 MiB`) is negative.
fn frame_bytes(frame: &str) -> Option<(f64, f64)> {
    let frame = frame.replace("\u{1b}[2K", " ");
    let words: Vec<&str> = frame.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.contains('/') && !w.contains("files") && !w.ends_with("/s"))?;
    let (unit, total) = words[at].split_once('/')?;
    let copied = shown_bytes(words[at - 1].trim_start_matches(['[', '=', '>', ']']), unit);
    let bound = total.starts_with('≥');
    let total = shown_bytes(total.trim_start_matches('≥'), words.get(at + 1)?);
    Some((copied, if bound { -total } else { total }))
}

/// What the terminal got while the shell `command` ran in a pty (`script`), in `env`.
fn pty_screen(env: &TestEnv, command: &str) -> String {
    let typescript = env.join("typescript");
    let status = Command::new("script")
        .args(["-qfec", command])
        .arg(&typescript)
        .current_dir(env.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{command}: {status}");
    String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
}

/// Every frame of a bar (`--progress=always`) drawn while the shell `command` runs in a pty.
pub(crate) fn bar_frames(env: &TestEnv, command: &str) -> Vec<(f64, f64)> {
    pty_screen(env, command)
        .split(['\r', '\n'])
        .filter(|line| line.starts_with("\u{1b}[2K"))
        // (A message printed with the bar out of the way starts so too.)
        .filter(|line| !line.contains(": "))
        .filter_map(frame_bytes)
        .collect()
}

/// Red team, round 18: `--atomic` with a range first copies DEST's old bytes into the
/// temporary, and counted them as copied: a 1 MiB range into a sparse DEST of 64 MiB with
/// 8 MiB of data said `9.00 MiB/≥9.00 MiB` (the old DEST's holes took the total to nothing,
/// so no bar and no percentage, for every later job too). Every frame now counts the range.
#[test]
fn an_atomic_range_counts_only_its_own_bytes() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("small", pattern(1 << 20, 5));
    env.write_sparse("dst", 64 << 20, &[(0, &pattern(8 << 20, 6))]);
    let command = format!("{FCOPY} --progress=always --atomic --offset-out 4096 small dst");
    let frames = bar_frames(&env, &command);
    assert!(!frames.is_empty(), "no frame");
    for &(copied, total) in &frames {
        assert_eq!(total, (1 << 20) as f64, "{frames:?}");
        assert!(copied <= total, "{frames:?}");
    }
    let got = env.read("dst");
    assert_eq!(got[4096..4096 + (1 << 20)], pattern(1 << 20, 5)[..]);
}

/// `--atomic --resume` continues its kept `.NAME.fcopy-partial`: the bytes it holds are not
/// copied again and leave the total, as they do for a copy resumed in place. The bar ended at
/// `275.25 MiB/300.00 MiB 91%`. Every frame that counts a byte has the rest as its total.
#[test]
fn an_atomic_resume_counts_only_the_rest() {
    if !require_tool("script") || !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    let source = pattern(64 << 20, 7);
    env.write("src", &source);
    let first = env
        .fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=pwrite64",
            "-e",
            "inject=pwrite64:error=ENOSPC:when=40",
        ])
        .args(&["--method=read-write", "--atomic", "--resume", "src", "dst"])
        .run();
    first.failure();
    let kept = env.read(".dst.fcopy-partial").len() as f64;
    assert!(kept > 0.0, "nothing kept");
    let rest = source.len() as f64 - kept;
    let command = format!("{FCOPY} --progress=always --atomic --resume src dst");
    let frames = bar_frames(&env, &command);
    let counting: Vec<_> = frames.iter().filter(|f| f.0 > 0.0).collect();
    assert!(!counting.is_empty(), "no frame counted a byte: {frames:?}");
    for &&(copied, total) in &counting {
        assert!(
            (total - rest).abs() < 0.01 * rest,
            "total {total}, rest {rest}: {frames:?}"
        );
        assert!(copied <= total, "{frames:?}");
    }
    env.assert_same_content("src", "dst");
}

/// New-user trial, round 18: with workers the bar's file count moved only when a worker's
/// hand-off of up to 128 jobs came back: `50.00 MiB/50.00 MiB 99% ... 48/250 files`, then
/// `122/250` at the end. Each job now counts where it ran. Each 1 MiB copy_file_range is held
/// 0.1 s (strace) so the bar draws many frames; in every one, the files done are at least the
/// 1 MiB files whose bytes it counts, less the 3 that workers may be finishing.
#[test]
fn the_bar_counts_each_file_a_worker_finishes() {
    if !require_tool("script") || !require_tool("strace") {
        return;
    }
    let env = TestEnv::new();
    tree(&env);
    let command = format!(
        "strace -f -o /dev/null -e trace=copy_file_range \
         -e inject=copy_file_range:delay_enter=100000 \
         {FCOPY} --progress=always -j 3 -r tree copy"
    );
    let screen = pty_screen(&env, &command);
    let frames = frames(&screen);
    assert!(frames.len() >= 5, "too few frames: {screen:?}");
    for (copied, done) in &frames {
        let big_files = (*copied / (1 << 20) as f64).floor() as usize;
        assert!(
            done + 3 >= big_files,
            "{done} files done beside {big_files} MiB copied in {frames:?}"
        );
    }
}

/// The same for `kill -USR1` mid-copy: each 1 MiB copy_file_range is held 0.2 s (strace), and
/// once 6 of the big files are complete on disk the status line must count them (less those
/// its 3 workers may still be closing). It said `0/≥176 files` with 15 on disk.
#[test]
fn the_status_line_counts_each_file_a_worker_finishes() {
    if !require_tool("strace") {
        return;
    }
    let env = TestEnv::new();
    tree(&env);
    let child = Command::new("strace")
        .args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=copy_file_range,pwrite64",
        ])
        .args(["-e", "inject=copy_file_range:delay_enter=200000"])
        .args(["-e", "inject=pwrite64:delay_enter=50000"])
        // No clone: on XFS and btrfs a FICLONE, which strace does not hold, copied the whole
        // tree at once and the request came as fcopy exited (the fs matrix's XFS and btrfs
        // legs, round 20). Without clones fcopy writes there (pwrite64), held too.
        .args([FCOPY, "--reflink=never", "-j", "3", "-r", "tree", "copy"])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let fcopy = crate::testenv::traced_pid(child.id()).expect("fcopy under strace");
    let complete = || {
        (0..50)
            .filter(|i| {
                std::fs::metadata(env.join(format!("copy/f{i}"))).is_ok_and(|m| m.len() == 1 << 20)
            })
            .count()
    };
    let started = Instant::now();
    while complete() < 6 {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    let on_disk = complete();
    let status = Command::new("kill")
        .args(["-USR1", &fcopy.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let line = stderr.lines().next().expect("a status line");
    let counted: usize = line
        .split(" copied, ")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no file count in {line:?}"));
    assert!(
        counted + 3 >= on_disk,
        "{on_disk} files complete on disk, the status line counted {counted}: {line:?}"
    );
}

/// Red team, round 18: a file of the POSIX message-queue filesystem says a size its contents
/// do not have (as `/proc` files do), and `--verify` failed the correct copy (exit 1, and on
/// an existing DEST "its old contents cannot be restored"). Such files are now known as
/// made up as they are read: copied, and the warning says why they are not verified.
#[test]
fn a_message_queue_file_is_copied_with_a_warning_not_failed() {
    if !crate::testenv::require_root("mounting an mqueue filesystem")
        || !require_tool("mount")
        || !require_tool("umount")
    {
        return;
    }
    let env = TestEnv::new();
    let mq = env.join("mq");
    std::fs::create_dir(&mq).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "mqueue", "none"])
        .arg(&mq)
        .status()
        .unwrap();
    if !mounted.success() {
        crate::testenv::skip("mount -t mqueue failed here");
        return;
    }
    std::fs::File::create(mq.join("q1")).unwrap();
    env.write("o", "old\n");
    let run = env.run(&["--verify", "mq/q1", "o"]);
    let contents = std::fs::read(mq.join("q1"));
    let _ = Command::new("umount").arg(&mq).status();
    run.exit_zero().stderr_is(
        "fcopy: warning: 'o' was copied but not verified: 'mq/q1' is made up as it is read, \
         and a second read may differ\n",
    );
    assert_eq!(env.read("o"), contents.unwrap());
}
