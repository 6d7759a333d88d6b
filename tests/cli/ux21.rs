//! Round 21: the leftovers of round 20's red team (the bar of a copy of empty files, a DEST
//! that `-f` removed before a copy that then failed).

use std::time::Duration;

use crate::experience::{in_pty_typed, terminal_screen};
use crate::testenv::{
    find_tool, pattern, require_root, require_strace, require_tool, strace_faults_on, TestEnv,
};

/// A copy of empty files has a total of 0 bytes. The bar read `0 B/≥0 B` (a lower bound) from
/// its first frame to its last and never said `done` (red team, round 20). Once the walk is
/// over the total is final like any other: `0 B/0 B 100%`, the files counted, then `done`.
/// strace holds each `openat` 50 ms, so the copy lasts long enough for the bar to show.
#[test]
fn a_copy_of_empty_files_has_a_final_total_and_ends_with_done() {
    if !require_tool("script") || !require_strace() {
        return;
    }
    let env = TestEnv::new();
    for i in 0..20 {
        env.write(format!("empties/f{i:02}"), b"");
    }
    let command = "strace -f -o /dev/null -e trace=openat -e inject=openat:delay_exit=50000 \
                   \"$FCOPY\" -g -r empties out";
    let screen = in_pty_typed(&env, 80, command, b"", Duration::ZERO);
    let copied = std::fs::read_dir(env.join("out")).map_or(0, |dir| dir.count());
    assert_eq!(copied, 20, "{}", env.listing());
    let (_, frames) = terminal_screen(&screen, 80);
    let last = frames
        .iter()
        .rev()
        .find(|f| f.contains(" B/"))
        .unwrap_or_else(|| panic!("no bar: {frames:?}"));
    assert!(
        last.starts_with("[=") && last.ends_with("0 B/0 B 100% done 20/20 files"),
        "the last frame: {last:?}\n{frames:?}"
    );
    let after_the_walk = frames.iter().skip_while(|f| f.contains('≥'));
    for frame in after_the_walk.filter(|f| f.contains(" B/")) {
        assert!(
            frame.contains("0 B/0 B 100%") && !frame.contains("flushing"),
            "{frame:?}\n{frames:?}"
        );
    }
}

/// `-f` removes a DEST it cannot open and makes a new one (GNU cp's copy_reg). When the copy
/// then fails, the old DEST is gone: fcopy said only the copy's error, and `-v`'s `removed 'd'`
/// (red team, round 20). It now says so, as it does after `--remove-destination`. The DEST
/// that cannot be opened is a running executable (ETXTBSY, even for root); SOURCE's reads
/// fail (strace).
#[test]
fn a_dest_that_force_removed_before_a_failed_copy_is_said_to_be_gone() {
    if !require_root("root opens a running executable's file and nothing else fails it")
        || !require_strace()
    {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(100_000, 7));
    let sleep = find_tool("sleep").expect("coreutils' sleep");
    std::fs::copy(&sleep, env.join("d")).unwrap();
    let mut running = std::process::Command::new(env.join("d"))
        .arg("30")
        .spawn()
        .expect("the copy of sleep runs");
    let faults = [
        "inject=pread64,read:error=EIO",
        "inject=copy_file_range,sendfile:error=EIO",
    ];
    let run = env
        .fcopy()
        .wrapped(&strace_faults_on(&env.join("src"), &faults))
        .args(&["-f", "--reflink=never", "src", "d"])
        .run();
    let _ = running.kill();
    let _ = running.wait();
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert!(!env.exists("d"), "{}", env.listing());
    // The copy's error (`error copying 'src' to 'd'`, or `error reading 'src'` where fcopy
    // reads and writes: XFS, btrfs), then the note.
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("'src'") && lines[0].ends_with(": Input/output error"),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        "fcopy: 'd' was removed before the copy began; its old contents cannot be restored"
    );
}

/// A stream's length is not known until it ends: the bar's total is a lower bound until then,
/// however many operands are planned. It showed a full bar, `0 B/0 B 100%`, for as long as
/// fcopy waited for the stream's first byte (new-user trial, round 21), and after the last
/// `2 B/≥2 B`, never `done`. Now `0 B/≥0 B` while it waits, and `2 B/2 B 100% ... done`.
#[test]
fn a_stream_total_is_a_lower_bound_until_the_stream_ends() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    let command = "(sleep 1.5; printf hi) | \"$FCOPY\" -g - out";
    let screen = in_pty_typed(&env, 80, command, b"", Duration::ZERO);
    assert_eq!(env.read("out"), b"hi");
    let (_, frames) = terminal_screen(&screen, 80);
    let bars: Vec<&String> = frames.iter().filter(|f| f.contains(" B/")).collect();
    assert!(
        bars.first().is_some_and(|f| f.starts_with("0 B/≥0 B")),
        "{frames:?}"
    );
    assert!(
        !bars.iter().any(|f| f.contains("0 B/0 B")),
        "a total of 0 bytes before the stream ended: {frames:?}"
    );
    let last = bars.last().expect("frames");
    assert!(
        last.starts_with("[=") && last.contains("2 B/2 B 100%") && last.ends_with(" done"),
        "{frames:?}"
    );
}

/// `--mkpath -v` says each directory it made, as `mkdir -pv`: also those made before a level
/// that failed (they were left unsaid), and each spelled as the operand spells it up to there
/// (`a//b`, `x/./y`: fcopy said `a/b`). Red team, round 20. A name over NAME_MAX fails the
/// third level; a batch job's directory is said the same way.
#[test]
fn mkpath_verbose_says_the_directories_made_before_a_failure_as_spelled() {
    let env = TestEnv::new();
    env.write("f", "1");
    let long = "L".repeat(300);
    let run = env.run(&["--mkpath", "-v", "f", &format!("a//n/./m/{long}/f")]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "created directory 'a'\ncreated directory 'a//n'\ncreated directory 'a//n/./m'\n"
    );
    assert!(
        run.stderr().contains(&format!(
            "cannot create directory 'a//n/./m/{long}': File name too long"
        )),
        "{}",
        run.stderr()
    );
    env.write("jobs", format!("f\tb/c/{long}/f\nf\tx/./y//z\n"));
    let run = env.run(&["--mkpath", "-v", "--batch", "jobs"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert_eq!(
        run.stdout(),
        "created directory 'b'\ncreated directory 'b/c'\ncreated directory 'x'\n\
         created directory 'x/./y'\n'f' -> 'x/./y//z'\n"
    );
}

/// `-g -i` over an existing DEST: the bar drawn when the question was answered, before the
/// file's size was counted, said `0 B/0 B 100%`, and the percentage (which never goes back)
/// stayed at 100% for the whole copy (red team, round 21). One operand's totals are final once
/// its job is counted; the percentage climbs from 0.
#[test]
fn the_percentage_after_an_interactive_question_climbs_from_zero() {
    if !require_tool("script") || !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("big", pattern(24 << 20, 3));
    env.write("big.out", "old");
    let command = crate::experience::slow_copy_command("-i");
    let screen = in_pty_typed(&env, 80, &command, b"y\n", Duration::from_millis(500));
    env.assert_same_content("big", "big.out");
    let (_, frames) = terminal_screen(&screen, 80);
    let percents: Vec<u64> = frames
        .iter()
        .filter_map(|f| {
            let (before, _) = f.split_once('%')?;
            before.rsplit(' ').next()?.parse().ok()
        })
        .collect();
    assert!(
        percents.iter().any(|p| (1..100).contains(p)),
        "no percentage under 100: {frames:?}"
    );
    assert!(
        !frames.iter().any(|f| f.contains("0 B/0 B")),
        "a total of 0 bytes: {frames:?}"
    );
}

/// `--dry-run` fails a job that may not fall back where both filesystems already say the run
/// will: `--reflink=always` where no clone can be made, `--method=copy-file-range` between two
/// filesystems. It planned them (`'s' -> 'd' (reflink, 4 bytes)`, exit 0) and the run
/// then refused them (new-user trial, round 21). The plan's message and status are the run's:
/// within the test directory's filesystem (which may clone: XFS, btrfs) and from it to a tmpfs
/// (or, when it is one, from a tmpfs on another device).
#[test]
fn the_plan_refuses_what_the_filesystems_refuse_as_the_run_does() {
    let env = TestEnv::new();
    env.write("s", "abc");
    let Some(other) = TestEnv::on_tmpfs() else {
        return;
    };
    // One tmpfs (`FCOPY_TEST_DIR` in /dev/shm): copy_file_range works there.
    use std::os::unix::fs::MetadataExt;
    let device = |p: &std::path::Path| std::fs::metadata(p).unwrap().dev();
    let one_fs = device(env.path()) == device(other.path());
    let across = other.join("x");
    let across = across.to_str().unwrap();
    let cases: [(&str, &str, bool); 3] = [
        (
            "--reflink=always",
            "d",
            crate::testenv::clones_by_default(env.path()),
        ),
        ("--reflink=always", across, false),
        ("--method=copy-file-range", across, one_fs),
    ];
    for (option, dest, run_may_succeed) in cases {
        let plan = env.run(&["--dry-run", option, "s", dest]);
        let run = env.run(&[option, "s", dest]);
        assert_eq!(
            (plan.code(), plan.stderr()),
            (run.code(), run.stderr()),
            "{option} s {dest}: the plan said {}",
            plan.stdout()
        );
        if !run_may_succeed {
            assert_eq!(run.code(), Some(1), "{option} s {dest}: {}", run.stderr());
        }
        let _ = std::fs::remove_file(env.join(dest));
    }
}

/// `--atomic` over a file the user may write, in a directory the user may not: the run cannot
/// make its temporary file there and says so; the plan said `cannot replace 'ro/f'` (new-user
/// trial, round 21). Both now say the run's message. As nobody, over root's `ro/f` (0666) in
/// root's `ro` (0755).
#[test]
fn atomic_in_a_directory_the_user_cannot_write_is_planned_with_the_runs_message() {
    use crate::dry10::{as_nobody, both_fail, mode, Undo};
    let Some(nobody) = as_nobody("a directory of another user") else {
        return;
    };
    let fixture = |env: &TestEnv| {
        env.write("s", b"new");
        mode(&env.join("s"), 0o644);
        std::fs::create_dir(env.join("ro")).unwrap();
        mode(&env.join("ro"), 0o755);
        env.write("ro/f", b"old");
        mode(&env.join("ro/f"), 0o666);
        mode(env.path(), 0o755);
        Undo::default()
    };
    both_fail(
        &fixture,
        &nobody,
        &["--atomic", "s", "ro/f"],
        &[
            "fcopy: cannot create a temporary file in 'ro' to replace 'ro/f' (--atomic): \
           Permission denied",
        ],
    );
}

/// `--stats` prints its lines after an operand error, as `--json` prints its summary and as
/// `--stats` did after a SOURCE that could not be stat'ed (new-user trial, round 21: after
/// `target 'nodir': No such file or directory` it printed nothing).
#[test]
fn stats_are_printed_after_an_operand_error() {
    let env = TestEnv::new();
    env.write("s1", "a");
    env.write("s2", "b");
    for args in [&["s1", "s2", "nodir"][..], &["nosuch", "s2"]] {
        let args: Vec<&str> = std::iter::once("--stats")
            .chain(args.iter().copied())
            .collect();
        let run = env.run(&args);
        assert_eq!(run.code(), Some(1), "{args:?}: {}", run.stderr());
        let stderr = run.stderr();
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 4, "{args:?}: {stderr}");
        assert!(lines[0].starts_with("fcopy: "), "{args:?}: {stderr}");
        assert_eq!(lines[1], "files: 0 copied, 0 skipped, 1 failed", "{args:?}");
    }
}

/// One empty file in a tree kept the whole bar a lower bound (`1.25 MiB/≥4.77 MiB`, no bar,
/// percentage or ETA) until it was copied: it was counted as of unknown length (red team,
/// round 21). An empty regular file counts 0 bytes; the bar and its percentage show.
#[test]
fn an_empty_file_in_a_tree_leaves_the_bar_its_percentage() {
    if !require_tool("script") || !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("t/a_big", pattern(5_000_000, 8));
    env.write("t/z_empty", b"");
    let command = "strace -f -o /dev/null -e trace=pread64 -e inject=pread64:delay_exit=50000 \
                   \"$FCOPY\" -g -r --method=read-write t d";
    let screen = in_pty_typed(&env, 80, command, b"", Duration::ZERO);
    env.assert_same_content("t/a_big", "d/a_big");
    let (_, frames) = terminal_screen(&screen, 80);
    assert!(
        frames
            .iter()
            .any(|f| f.starts_with("[") && f.contains("/4.77 MiB") && !f.contains("100%")),
        "no bar with a percentage under 100 while the big file was copied: {frames:?}"
    );
    let last = frames.iter().rfind(|f| f.contains("MiB/")).expect("frames");
    assert!(last.ends_with("done 2/2 files"), "{frames:?}");
}

/// The plan's foresight of the kernel's refusals is about data written into a regular file at
/// DEST's name: `--remove-destination` over a symlink into another filesystem makes the new
/// file beside the link, and `--attributes-only` writes no data, so both are planned as the
/// run does them (red team, round 21: the plan refused both with `Invalid cross-device link`).
#[test]
fn the_plan_does_not_refuse_what_the_run_does_elsewhere() {
    let env = TestEnv::new();
    env.write("s", "abc");
    let Some(other) = TestEnv::on_tmpfs() else {
        return;
    };
    other.write("target", "old");
    std::os::unix::fs::symlink(other.join("target"), env.join("lnk")).unwrap();
    let across = other.join("x");
    let across = across.to_str().unwrap();
    let cases: [&[&str]; 2] = [
        &[
            "--method=copy-file-range",
            "--remove-destination",
            "s",
            "lnk",
        ],
        &["--attributes-only", "--method=copy-file-range", "s", across],
    ];
    for args in cases {
        let plan_args: Vec<&str> = std::iter::once("--dry-run")
            .chain(args.iter().copied())
            .collect();
        let plan = env.run(&plan_args);
        assert_eq!(
            (plan.code(), plan.stderr()),
            (Some(0), String::new()),
            "{args:?}"
        );
        let run = env.run(args);
        assert_eq!(
            (run.code(), run.stderr()),
            (Some(0), String::new()),
            "{args:?}"
        );
    }
    assert_eq!(env.read("lnk"), b"abc");
    assert!(std::fs::symlink_metadata(env.join("lnk"))
        .unwrap()
        .is_file());
    assert_eq!(other.read("target"), b"old");
}
