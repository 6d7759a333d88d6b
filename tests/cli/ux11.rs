//! Round 11's new-user trial and red team: what the progress bar says when it appears late,
//! `--json` and `--stats` for skipped nodes, `--mkpath`'s report, links to standard input, and
//! byte ranges of a block device.

use std::fs;
use std::time::Duration;

use crate::experience::{in_pty, slow_writer};
use crate::testenv::{mkfifo, require_tool, TestEnv};

/// The rates a bar showed, in bytes per second (`12.3 KiB/s` and the like).
fn rates_shown(screen: &str) -> Vec<f64> {
    let mut rates = Vec::new();
    for word in screen.split([' ', '\r', '\n']) {
        let Some(unit) = word.strip_suffix("/s") else {
            continue;
        };
        let scale = [
            ("GiB", 1u64 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
            ("B", 1),
        ]
        .into_iter()
        .find(|(suffix, _)| unit.ends_with(suffix));
        let Some((suffix, scale)) = scale else {
            continue;
        };
        // The number is the word before the unit when they are apart.
        let number = unit.trim_end_matches(suffix);
        let number = if number.is_empty() {
            let at = screen.find(word).unwrap_or(0);
            screen[..at].split_whitespace().last().unwrap_or("")
        } else {
            number
        };
        if let Ok(n) = number.parse::<f64>() {
            rates.push(n * scale as f64);
        }
    }
    rates
}

/// New-user trial, round 11: with `--progress=auto` the bar appears after about a second, and
/// everything copied before it counted as copied in an instant (`24.29 GiB/s` for a copy
/// running at 2.5 MiB/s). A FIFO fed 4 KiB every 100 ms runs at 40 KiB/s: no rate shown may
/// be ten times that.
#[test]
fn a_bar_that_appears_late_shows_the_real_rate() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    let fifo = env.join("slow");
    mkfifo(&fifo);
    let writer = slow_writer(&fifo, 20, Duration::from_millis(100));
    let screen = in_pty(&env, "slow slow.out");
    let sent = writer.join().unwrap();
    assert_eq!(fs::read(env.join("slow.out")).unwrap(), sent);
    let rates = rates_shown(&screen);
    assert!(!rates.is_empty(), "no rate on the bar: {screen:?}");
    assert!(
        rates.iter().all(|&r| r < 400.0 * 1024.0),
        "a rate far above the 40 KiB/s the FIFO gives: {rates:?} in {screen:?}"
    );
    // And the rate is the copy's, not a zero that would pass the check above.
    assert!(
        rates.iter().any(|&r| r > 10.0 * 1024.0),
        "no rate near the 40 KiB/s the FIFO gives: {rates:?} in {screen:?}"
    );
}

/// New-user trial, round 11: `--dry-run --mkpath -v` planned `'new1/new2' (directory,
/// --mkpath)` and a `directory` record, but the run made the directory without a word. It now
/// says `created directory 'DIR'` with `-v` (as `mkdir -pv`) and emits the record with
/// `--json`; a directory that was there already is not reported. Each level made is said
/// (round 20, as `mkdir -pv`; see ux20).
#[test]
fn mkpath_reports_the_directory_it_makes() {
    let env = TestEnv::new();
    env.write("a.txt", b"a");
    let run = env.run(&["-v", "--mkpath", "a.txt", "-t", "new1/new2"]);
    run.success();
    assert_eq!(
        run.stdout(),
        "created directory 'new1'\ncreated directory 'new1/new2'\n'a.txt' -> 'new1/new2/a.txt'\n"
    );
    let again = env.run(&["-v", "--mkpath", "a.txt", "-t", "new1/new2"]);
    again.success();
    assert_eq!(again.stdout(), "'a.txt' -> 'new1/new2/a.txt'\n");
    let json = env.run(&["--json", "--mkpath", "a.txt", "-t", "new3/"]);
    json.success();
    let first = json.stdout().lines().next().unwrap_or("").to_owned();
    assert!(
        first.starts_with(r#"{"type":"directory","source":null,"dest":"new3/""#)
            && first.contains(r#""status":"ok""#),
        "{}",
        json.stdout()
    );
    assert!(env.join("new3/a.txt").is_file());
    // A `--batch` job's directory, the same way.
    let batch = env
        .fcopy()
        .args(&["-v", "--mkpath", "--batch", "-"])
        .stdin_bytes(b"a.txt\tnew4/x/a.txt\n".to_vec())
        .run();
    batch.success();
    assert_eq!(
        batch.stdout(),
        "created directory 'new4'\ncreated directory 'new4/x'\n'a.txt' -> 'new4/x/a.txt'\n"
    );
}

/// New-user trial, round 11: a skip's `--json` record said `"type":"file"` for a symlink or a
/// FIFO (copy records said `symlink`/`special`), and `--stats` counted every skipped node but
/// only regular files as copied: `1 copied`, then `0 copied, 3 skipped` for one file, one
/// symlink and one FIFO.
#[test]
fn skips_of_symlinks_and_fifos_are_recorded_as_what_they_are_and_counted_as_copies_are() {
    let env = TestEnv::new();
    env.write("s/f", b"1\n");
    std::os::unix::fs::symlink("f", env.join("s/l")).unwrap();
    mkfifo(&env.join("s/p"));
    let first = env.run(&["-a", "--update=changed", "--stats", "-T", "s", "d"]);
    assert_eq!(first.code(), Some(0), "{}", first.stderr());
    assert!(
        first
            .stderr()
            .contains("files: 1 copied, 0 skipped, 0 failed"),
        "{}",
        first.stderr()
    );
    let again = env.run(&["-a", "--update=changed", "--stats", "-T", "s", "d"]);
    assert_eq!(again.code(), Some(0), "{}", again.stderr());
    assert!(
        again
            .stderr()
            .contains("files: 0 copied, 1 skipped, 0 failed"),
        "{}",
        again.stderr()
    );
    let json = env.run(&["-a", "-n", "--json", "-T", "s", "d"]);
    json.success();
    let out = json.stdout();
    for (name, kind) in [("f", "file"), ("l", "symlink"), ("p", "special")] {
        let record = format!(
            r#"{{"type":"{kind}","source":"s/{name}","dest":"d/{name}","status":"skipped""#
        );
        assert!(out.contains(&record), "no {record} in {out}");
    }
    assert!(out.contains(r#""skipped":1,"#), "{out}");
}

/// fix11's report, round 11: `echo hi | fcopy -l - b` (and `-s`) copied standard input to `b`,
/// the flag ignored, as `-l a -` copied to standard output. Standard input has no name to link
/// to: a usage error, nothing made.
#[test]
fn a_link_to_standard_input_is_a_usage_error() {
    let env = TestEnv::new();
    for (flag, kind) in [("-l", "hard"), ("-s", "symbolic"), ("-sf", "symbolic")] {
        let run = env
            .fcopy()
            .args(&[flag, "-", "b"])
            .stdin_bytes(b"hi\n".to_vec())
            .run();
        let want = format!(
            "fcopy: cannot make a {kind} link to standard input ('-'): a link needs a file \
             name; a file named - is ./-\nTry 'fcopy --help' for more information.\n"
        );
        assert_eq!(
            (run.code(), run.stdout(), run.stderr()),
            (Some(1), String::new(), want),
            "{flag}"
        );
        assert!(!env.exists("b"), "{flag} made b");
    }
}

/// A loop device over an image file, detached when dropped.
pub(crate) struct LoopDevice(pub(crate) String);

impl Drop for LoopDevice {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup")
            .args(["-d", &self.0])
            .status();
    }
}

/// Attaches a loop device over `image` (root and `losetup` checked by the caller).
pub(crate) fn attach(image: &std::path::Path) -> LoopDevice {
    let out = std::process::Command::new("losetup")
        .args(["-f", "--show"])
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success(), "losetup: {out:?}");
    LoopDevice(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// Red team, round 11: two nodes of one block device (another inode, the same `st_rdev`) were
/// taken for two files, so an overlapping range between them was copied forward over bytes
/// not yet read. They are one file's bytes now: the range is copied as memmove would.
#[test]
fn an_overlapping_range_between_two_nodes_of_one_device_is_memmove_safe() {
    if !crate::testenv::require_root("attaching a loop device") || !require_tool("losetup") {
        return;
    }
    let env = TestEnv::new();
    let data = crate::testenv::pattern(4 << 20, 9);
    env.write("img", &data);
    let device = attach(&env.join("img"));
    let status = std::process::Command::new("cp")
        .args(["-a", &device.0])
        .arg(env.join("alias"))
        .status()
        .unwrap();
    assert!(status.success());
    env.run(&[
        "--offset-in",
        "0",
        "--offset-out",
        "1M",
        "--len",
        "2M",
        &device.0,
        "alias",
    ])
    .success();
    let mut want = data.clone();
    want.copy_within(0..2 << 20, 1 << 20);
    drop(device);
    assert!(
        env.read("img") == want,
        "the range was not copied as memmove"
    );
}

/// Red team, round 11: `stat` gives a block device size 0, so a range past its end was not
/// refused: `--offset-in 5M` of a 4 MiB device made an empty DEST, exit 0 (dd: "cannot
/// skip"), and `--offset-in 3M --len 2M` wrote 1 MiB into DEST before failing. The device's
/// size is now known (sysfs), and both are refused before DEST is touched, as for a file.
#[test]
fn a_range_past_the_end_of_a_block_device_is_refused_before_dest_is_touched() {
    if !crate::testenv::require_root("attaching a loop device") || !require_tool("losetup") {
        return;
    }
    let env = TestEnv::new();
    let data = crate::testenv::pattern(4 << 20, 5);
    env.write("img", &data);
    let device = attach(&env.join("img"));
    let dev = device.0.as_str();

    let past = env.run(&["--offset-in", "5M", dev, "new"]);
    assert_eq!(past.code(), Some(1));
    assert_eq!(
        past.stderr(),
        format!("fcopy: --offset-in 5M is past the end of '{dev}' (4194304 bytes)\n")
    );
    assert!(!env.exists("new"));

    env.write("old", b"old");
    let long = env.run(&["--offset-in", "3M", "--len", "2M", dev, "old"]);
    assert_eq!(long.code(), Some(1), "{}", long.stderr());
    assert_eq!(env.read("old"), b"old");

    // Within the device, the range is copied.
    env.run(&["--offset-in", "3M", "--len", "1M", dev, "tail"])
        .success();
    assert!(env.read("tail") == data[3 << 20..]);
}

/// Red team, round 11: `--remove-destination` on a full disk removed the old DEST, then the
/// failed new one, and said only "No space left on device". The failure now says the old DEST
/// is gone, as an in-place overwrite says it is incomplete.
#[test]
fn a_failed_copy_after_remove_destination_says_the_old_dest_is_gone() {
    if !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("big", crate::testenv::pattern(100_000, 3));
    env.write("d", b"old\n");
    // Every way the data could be written fails; on btrfs and XFS the clone too.
    let strace = crate::testenv::with_failing_clone(
        env.path(),
        [
            "strace",
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=copy_file_range,sendfile,pwrite64",
            "-e",
            "inject=copy_file_range,sendfile,pwrite64:error=ENOSPC",
        ]
        .map(String::from)
        .to_vec(),
    );
    let run = env
        .fcopy()
        .args(&["--remove-destination", "big", "d"])
        .wrapped(&strace)
        .run();
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        "fcopy: error copying 'big' to 'd': No space left on device\n\
         fcopy: 'd' was removed before the copy began; its old contents cannot be restored\n"
    );
    assert!(!env.exists("d"));
}

/// Red team, round 11: with standard input DEST itself and a range writing ahead of the reads,
/// `fcopy --offset-out 10 - g < g` read what it wrote and grew `g` without end (3.9 GB). That
/// range is refused without `--len`; one reading ahead of the writes is copied, as dd does.
#[test]
fn standard_input_that_is_dest_with_writes_ahead_of_reads_needs_a_len() {
    let env = TestEnv::new();
    let data: Vec<u8> = (0..4000u32).flat_map(|i| (i as u8).to_le_bytes()).collect();
    env.write("g", &data);
    let stdin = || std::fs::File::open(env.join("g")).unwrap();
    let endless = env
        .fcopy()
        .args(&["--offset-out", "10", "-", "g"])
        .stdin_file(stdin())
        .run();
    assert_eq!(endless.code(), Some(1));
    assert_eq!(
        endless.stderr(),
        "fcopy: standard input is 'g' itself: without --len the copy would read what it writes \
         and never end\n"
    );
    assert!(env.read("g") == data);
    env.fcopy()
        .args(&["--offset-out", "10", "--len", "20", "-", "g"])
        .stdin_file(stdin())
        .run()
        .success();
    let mut want = data.clone();
    want.copy_within(0..20, 10);
    assert!(env.read("g") == want);
    env.fcopy()
        .args(&["--offset-in", "10", "-", "g"])
        .stdin_file(stdin())
        .run()
        .success();
    want.copy_within(10.., 0);
    assert!(env.read("g") == want);
}

/// Red team, round 11: an empty range with `--sparse=always` extended DEST to `--offset-out`
/// (`--len 0 --offset-out 1M` made a 4-byte DEST 1 MiB); without it DEST was unchanged, as
/// with dd `count=0 seek=N conv=notrunc`. An empty range now changes nothing either way.
#[test]
fn an_empty_range_changes_nothing_also_with_sparse_always() {
    let env = TestEnv::new();
    env.write("s", b"xyz");
    for sparse in ["--sparse=always", "--sparse=auto", "--sparse=never"] {
        env.write("d", b"abcd");
        env.run(&[sparse, "--len", "0", "--offset-out", "1M", "s", "d"])
            .success();
        assert_eq!(env.read("d"), b"abcd", "{sparse}");
    }
}

/// Red team, round 11: with `--batch FILE -0`, a missing field shifted every later pair:
/// `s1 d1 s2 s3 d3` copied `s2` over the SOURCE `s3` before the odd count was found at the
/// end. A regular job-list file with an odd number of fields is now refused before any job; a
/// trailing NUL is no field.
#[test]
fn a_nul_separated_job_list_with_a_missing_field_copies_nothing() {
    let env = TestEnv::new();
    for name in ["s1", "s2", "s3"] {
        env.write(name, name.as_bytes());
    }
    env.write("jobs", b"s1\0d1\0s2\0s3\0d3\0");
    let run = env.run(&["--batch", "jobs", "-0"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        "fcopy: jobs: 5 NUL-separated fields, an odd number: a SOURCE or DEST is missing, and \
         every pair after it would be wrong; nothing was copied\n"
    );
    assert_eq!(env.read("s3"), b"s3");
    assert!(!env.exists("d1"));
    env.write("even", b"s1\0d1\0s2\0d2\0\0");
    env.run(&["--batch", "even", "-0"]).success();
    assert_eq!(env.read("d2"), b"s2");
}

/// New-user trial, round 11: `--resume --debug` said only `copy offload: yes, reflink: no,
/// sparse detection: no`, nothing of the resume. The line now ends with the byte the copy
/// continued from, as `--json`'s `resumed_from` gives it.
#[test]
fn resume_debug_says_where_the_copy_continued() {
    let env = TestEnv::new();
    let data = crate::testenv::pattern(3 << 20, 4);
    env.write("s", &data);
    env.write_partial_copy("d", &data[..2 << 20]);
    let run = env.run(&["--resume", "--debug", "s", "d"]);
    run.success();
    let debug = run.stdout().lines().nth(1).unwrap_or("").to_owned();
    assert!(
        debug.starts_with("copy offload: ") && debug.ends_with(", resumed from byte 2097152"),
        "{}",
        run.stdout()
    );
    assert!(env.read("d") == data);
}
