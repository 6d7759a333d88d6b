//! Round 13's leftovers and new-user trial: what the bar and `--help` show.

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use crate::experience::in_pty;
use crate::testenv::{mkfifo, pattern, require_tool, wait_until_open, TestEnv, FCOPY};

/// New-user trial, round 12: `-g -v` on one file first drew `0 B/≥0 B`: the `-v` line made the
/// bar redraw before the file's size was counted. Every frame the terminal got shows the
/// file's size as the total, never a lower bound.
#[test]
fn a_bar_drawn_around_a_verbose_line_shows_the_files_size() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("a", pattern(3 << 20, 1));
    let screen = in_pty(&env, "-g -v a b");
    env.assert_same_content("a", "b");
    let frames: Vec<&str> = screen
        .split(['\r', '\n'])
        .map(|l| l.trim_start_matches("\u{1b}[2K"))
        .filter(|l| l.contains(" B/") || l.contains("iB/"))
        .collect();
    assert!(!frames.is_empty(), "no bar drawn: {screen:?}");
    for frame in &frames {
        assert!(
            frame.contains("/3.00 MiB") && !frame.contains('≥'),
            "a frame without the file's size: {frame:?} in {screen:?}"
        );
    }
    assert!(screen.contains("'a' -> 'b'"), "-v line missing: {screen:?}");
}

/// New-user trial, round 12: installed as `cp`, `--help`'s usage said `cp` but its examples
/// `fcopy`, so they could not be pasted. Every example names the program as invoked (as
/// GNU's usage lines do); a name such as `.DEST.fcopy-partial` stays.
#[test]
fn help_examples_name_the_program_as_invoked() {
    for program in ["cp", "fcopy"] {
        let out = Command::new(FCOPY)
            .arg0(program)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        let examples = help
            .split("Examples:\n")
            .nth(1)
            .expect("--help has examples");
        let commands: Vec<&str> = examples
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .collect();
        assert!(commands.len() >= 5, "{examples}");
        for line in commands {
            let first = line.split_whitespace().next().unwrap_or_default();
            let named = if first == "cat" || first == "find" {
                line.split("| ").nth(1).unwrap_or_default()
            } else {
                line.trim_start()
            };
            assert!(
                named.starts_with(&format!("{program} ")),
                "{program}: example {line:?}"
            );
        }
    }
}

/// New-user trial, round 13: Ctrl-C during `-a` gave a directory still being filled its final
/// mode and times: a 0555 source directory came out 0555 with 626 of its 3,001 entries, and
/// every later run as its owner (`--resume`, `-u`) failed with EACCES where GNU cp's re-run
/// (which leaves it 0700) succeeds. A directory left after a stop keeps its owner's rwx and
/// gets no times; a new run finishes it.
#[test]
fn an_interrupted_tree_copy_leaves_its_unfinished_directory_writable() {
    let env = TestEnv::new();
    env.write("src/ro/a", "a");
    env.write("src/ro/z", "z");
    let fifo = env.join("src/ro/m");
    mkfifo(&fifo);
    set_old_mtime(&env, "src/ro");
    fs::set_permissions(env.join("src/ro"), fs::Permissions::from_mode(0o555)).unwrap();
    let child = Command::new(FCOPY)
        .args(["-a", "--copy-contents", "src", "dst"])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // fcopy blocks reading the FIFO, whose writer (this test) writes nothing.
    let writer = OpenOptions::new().write(true).open(&fifo).unwrap();
    assert!(
        wait_until_open(child.id(), &fifo),
        "fcopy never opened the FIFO"
    );
    thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    drop(writer);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(2), "{:?}: {stderr}", out.status);
    let left = fs::metadata(env.join("dst/ro")).unwrap();
    let source_mtime = fs::metadata(env.join("src/ro")).unwrap().mtime();
    assert_eq!(
        left.mode() & 0o700,
        0o700,
        "the unfinished directory is {:o}: {stderr}",
        left.mode()
    );
    assert_ne!(
        left.mtime(),
        source_mtime,
        "it got SOURCE's times: {stderr}"
    );
    // A new run (the FIFO gone) finishes it: mode and times as SOURCE's.
    fs::set_permissions(env.join("src/ro"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_file(&fifo).unwrap();
    fs::set_permissions(env.join("src/ro"), fs::Permissions::from_mode(0o555)).unwrap();
    set_old_mtime(&env, "src/ro");
    let rerun = env.run(&["-a", "-T", "src", "dst"]);
    assert_eq!(rerun.code(), Some(0), "{}", rerun.stderr());
    let done = fs::metadata(env.join("dst/ro")).unwrap();
    assert_eq!(done.mode() & 0o7777, 0o555);
    assert_eq!(done.mtime(), source_mtime);
    assert_eq!(env.read("dst/ro/a"), b"a");
    assert_eq!(env.read("dst/ro/z"), b"z");
}

/// New-user trial, round 13: with `-v` or `--json` into a pipe whose reader went away
/// (`fcopy -rv a b | head -1`), fcopy copied every remaining file and exited 1 with `write
/// error: Broken pipe`; the README says it stops and dies by SIGPIPE, as GNU cp does. No
/// file is left half-written, and nothing is said on standard error.
#[test]
fn a_verbose_tree_copy_into_a_closed_pipe_stops_and_dies_by_sigpipe() {
    let env = TestEnv::new();
    // Names long enough that the lines (over 300 KB) outgrow the pipe (64 KiB) and fcopy's
    // buffer (64 KiB): fcopy must meet the closed pipe before it is done.
    let long = "n".repeat(40);
    for i in 0..3000 {
        env.write(format!("src/{long}{i:04}"), "x".repeat(i % 50));
    }
    for flag in ["-v", "--json"] {
        let dst = format!("dst{flag}");
        let mut child = Command::new(FCOPY)
            .args(["-r", flag, "src", &dst])
            .current_dir(env.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader reads one line and goes, as `head -1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.signal(),
            Some(13),
            "{flag}: {:?}: {stderr}",
            out.status
        );
        assert_eq!(stderr, "", "{flag}");
        let copied: Vec<_> = fs::read_dir(env.join(&dst)).unwrap().flatten().collect();
        // Stopped soon, as GNU cp (355 of 3,001 in red team 13b's run); with a 64 KiB
        // buffer fcopy copied all of them first.
        assert!(
            copied.len() < 1500,
            "{flag}: {} files were copied",
            copied.len()
        );
        for entry in copied {
            let name = entry.file_name().into_string().unwrap();
            assert_eq!(
                fs::read(entry.path()).unwrap(),
                env.read(format!("src/{name}")),
                "{flag}: {name} differs"
            );
        }
    }
}

/// New-user trial, round 13: invoked as `fcopy`, `--at` (meant for `--atomic`) ran as GNU's
/// `--attributes-only` (DEST kept its old bytes, exit 0), `--sy` as `--symbolic-link`, `--l`
/// as `--link`. As `fcopy` such a prefix is ambiguous and refused, listing both; installed as
/// `cp` it keeps GNU cp's meaning (GNU's own scripts use `--b=simple`).
#[test]
fn an_abbreviation_of_a_gnu_and_an_fcopy_option_is_ambiguous_as_fcopy() {
    let env = TestEnv::new();
    env.write("new", "new\n");
    env.write("dest", "old\n");
    let run = env.run(&["--at", "new", "dest"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        "fcopy: option '--at' is ambiguous; possibilities: '--attributes-only' '--atomic'\n\
         Try 'fcopy --help' for more information.\n"
    );
    assert_eq!(env.read("dest"), b"old\n");
    for (prefix, listed) in [
        ("--sy", "'--symbolic-link' '--sync'"),
        ("--l", "'--link' '--len'"),
        ("--b", "'--backup' '--batch'"),
        (
            "--re",
            "'--recursive' '--remove-destination' '--reflink' '--resume'",
        ),
    ] {
        let run = env.run(&[prefix, "new", "x"]);
        assert_eq!(run.code(), Some(1), "{prefix}");
        assert!(
            run.stderr()
                .contains(&format!("is ambiguous; possibilities: {listed}\n")),
            "{prefix}: {}",
            run.stderr()
        );
        assert!(!env.join("x").exists(), "{prefix} made x");
    }
    // An abbreviation of one option only still works.
    let run = env.run(&["--atom", "new", "dest"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(env.read("dest"), b"new\n");
    // Installed as cp: GNU's meaning, as GNU cp's scripts expect.
    env.write("dest", "old\n");
    let out = run_as_cp(&env, &["--at", "new", "dest"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        env.read("dest"),
        b"old\n",
        "--attributes-only copies no data"
    );
    let out = run_as_cp(&env, &["--re", "new", "x"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "cp: option '--re' is ambiguous; possibilities: '--recursive' '--remove-destination' \
         '--reflink'\nTry 'cp --help' for more information.\n"
    );
}

/// New-user trial, round 13: `fcopy big copy &` drew the automatic bar (`--progress=auto`)
/// under the shell's output, and its last clear erased the prompt. The bar is drawn only for
/// the terminal's foreground job (as pv decides); the same copy in the foreground draws it.
#[test]
fn the_automatic_bar_is_drawn_only_for_the_foreground_job() {
    if !require_tool("script") || !require_tool("bash") {
        return;
    }
    let env = TestEnv::new();
    mkfifo(&env.join("fifo"));
    for (n, (how, drawn)) in [("&", false), (";", true)].into_iter().enumerate() {
        // A source that takes four seconds (the bar waits one: three to spare on a loaded
        // machine); `set -m` gives the background job a process group of its own, as an
        // interactive shell does.
        let script = format!(
            "set -m; (for i in $(seq 50); do head -c 65536 /dev/zero; sleep 0.08; done > fifo &); \
             {FCOPY} fifo out{n} {how} wait"
        );
        let typescript = env.join(format!("typescript{n}"));
        let status = Command::new("script")
            .args(["-qfec", &format!("bash -c '{script}'")])
            .arg(&typescript)
            .current_dir(env.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{how}: {status}");
        assert_eq!(env.read(format!("out{n}")).len(), 50 * 65536, "{how}");
        let screen = String::from_utf8_lossy(&fs::read(&typescript).unwrap()).into_owned();
        let bar = screen.contains("iB/") || screen.contains(" B/");
        assert_eq!(bar, drawn, "{how}: {screen:?}");
    }
}

/// Red team, round 13: `cp -fb f ./f` made the backup `f~` and exited 0; GNU cp 9.1 makes a
/// backup copy of the source only when both operands are the same text (cp.c: `STREQ (source,
/// dest)`), and otherwise says the two are the same file, exit 1. Compared with GNU cp.
#[test]
fn force_backup_onto_the_source_under_another_name_is_the_same_file() {
    use crate::gnu_compat::harness::{dir, file, have_gnu, Diff};
    if !have_gnu() {
        return;
    }
    let setup = |r: &std::path::Path| {
        file(r, "f", "F\n");
        dir(r, "sub");
        file(r, "sub/g", "G\n");
    };
    for args in [
        &["-fb", "f", "./f"][..],
        &["-fb", "f", "f"],
        &["--backup=numbered", "-f", "f", "./f"],
        &["-fb", "sub/g", "sub/../sub/g"],
        &["-b", "f", "./f"],
    ] {
        Diff::new(setup).args(args).check();
    }
}

/// Red team, round 13: under `--atomic -j 8` a job reading `l0`, a symlink to a file that the
/// two jobs before it replace, failed with "replaced while being copied" where `-j 1` copied:
/// the job before it took the identities of its files before waiting for the earlier jobs,
/// which then renamed a new file over that name. Every run of `-j 8` equals `-j 1`.
#[test]
fn atomic_batch_jobs_through_a_symlink_keep_the_list_order_under_j() {
    let env = TestEnv::new();
    for jobs in ["-j1", "-j8"] {
        for _ in 0..5 {
            for name in ["f0", "f2", "f4", "h2", "l0", "f2.~1~", "ddir/x"] {
                let _ = fs::remove_file(env.join(name));
            }
            env.write("f0", "0".repeat(300_000));
            env.write("f2", "2\n");
            env.write("f4", "4\n");
            fs::hard_link(env.join("f2"), env.join("h2")).unwrap();
            std::os::unix::fs::symlink("f0", env.join("l0")).unwrap();
            fs::create_dir_all(env.join("ddir")).unwrap();
            env.write(
                "jl",
                "h2\tddir/x\nddir/x\tf2.~1~\nf2.~1~\tf0\nf4\tf0\nl0\tf2\n",
            );
            let run = env.run(&["--batch", "jl", "--atomic", jobs]);
            assert_eq!(run.code(), Some(0), "{jobs}: {}", run.stderr());
            assert_eq!(env.read("f2"), b"4\n", "{jobs}");
            assert_eq!(env.read("f0"), b"4\n", "{jobs}");
        }
    }
}

/// Red team 13b: a copy shown in the foreground, then stopped with Ctrl-Z and sent on with
/// `bg`, went on drawing its bar over the shell (and with `stty tostop` stalled). The bar is
/// hidden while fcopy is in the background and comes back after `fg`. Driven through an
/// interactive bash on a pseudo-terminal (Python's `pty`), as a person at a terminal does;
/// the bar is waited for (up to 15 s) rather than looked for in a fixed 2.5 s, which a loaded
/// CI machine missed (round 14), and the copy is then stopped with Ctrl-C. After Ctrl-Z the
/// driver waits for bash's "Stopped" before it types `bg`: a fixed 1 s wait let a loaded CI
/// machine (stop 33) deliver the stop late, so frames drawn in the foreground were counted as
/// drawn in the background.
#[test]
fn the_automatic_bar_hides_while_the_job_is_in_the_background() {
    if !require_tool("python3") || !require_tool("bash") {
        return;
    }
    let env = TestEnv::new();
    mkfifo(&env.join("fifo"));
    let driver = r#"
import os, pty, select, sys, time
fcopy, workdir = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["PS1"] = "PROMPT$ "
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
frame = lambda b: b"MiB/" in b
def read(seconds, until=lambda b: False):
    out, end = b"", time.time() + seconds
    while time.time() < end and not until(out):
        if select.select([fd], [], [], 0.05)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    return out
read(0.5)
os.write(fd, f"cd {workdir}; stty cols 100\n".encode()); read(0.5)
os.write(fd, b"(for i in $(seq 200); do head -c 1000000 /dev/zero; sleep 0.15; done > fifo &); " + fcopy.encode() + b" fifo out\n")
before = read(15, frame)
os.write(fd, b"\x1a")
stopped = read(15, lambda b: b"Stopped" in b)
os.write(fd, b"bg\n")
background = read(2)
os.write(fd, b"fg\n")
foreground = read(15, frame)
os.write(fd, b"\x03"); read(1)
os.write(fd, b"exit\n"); read(1)
os.kill(pid, 9)
print("before", frame(before), "stopped", b"Stopped" in stopped, "background", frame(background), "foreground", frame(foreground))
"#;
    let out = Command::new("python3")
        .args(["-c", driver, FCOPY])
        .arg(env.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        said.trim(),
        "before True stopped True background False foreground True",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `touch -d 2001-02-03 04:05:06 REL` in the test directory.
fn set_old_mtime(env: &TestEnv, rel: &str) {
    let touched = Command::new("touch")
        .args(["-d", "2001-02-03 04:05:06", rel])
        .current_dir(env.path())
        .status()
        .unwrap();
    assert!(touched.success());
}

/// fcopy invoked as `cp` (argv[0]) with `args`, in the test directory.
fn run_as_cp(env: &TestEnv, args: &[&str]) -> std::process::Output {
    Command::new(FCOPY)
        .arg0("cp")
        .args(args)
        .current_dir(env.path())
        .output()
        .unwrap()
}

/// Red team 13b: an ambiguous `--s=x` was named `'--s'`; GNU's getopt names the argument as
/// given, value included (`option '--s=x' is ambiguous`). Compared with GNU cp (fcopy
/// installed as cp). (`--=foo` is named alike, but GNU's list of every option also names
/// `--path`, an alias of `--parents` that fcopy lists once.)
#[test]
fn an_ambiguous_option_with_a_value_is_named_as_given() {
    use crate::gnu_compat::harness::{file, have_gnu, Diff};
    if !have_gnu() {
        return;
    }
    let setup = |r: &std::path::Path| file(r, "a", "a\n");
    for args in [&["--s=x", "a", "b"][..], &["--re=1", "a", "b"]] {
        Diff::new(setup).args(args).check();
    }
}
