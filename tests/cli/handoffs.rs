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

/// Under `-j`, `-v` lists a file when it is handed to a worker; after SIGINT, the files no worker
/// started are counted in one note, so every listed file is on disk or accounted for on
/// standard error (red team, round 9: 408 of 942 listed files were not on disk, with one
/// "interrupted" line).
#[test]
fn after_sigint_every_file_verbose_listed_is_copied_or_accounted_for() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    for d in 0..3 {
        for f in 0..100 {
            env.write(format!("tree/d{d}/f{f}"), pattern(100, d * 100 + f));
        }
    }
    // Every open takes 20 ms: the walk lists files far ahead of the workers.
    let slow = [
        "strace",
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "inject=openat:delay_exit=20000",
    ];
    let child = std::process::Command::new(slow[0])
        .args(&slow[1..])
        .arg(crate::testenv::FCOPY)
        .args(["-r", "-v", "-j4", "tree", "out"])
        .current_dir(env.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("strace runs");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let fcopy = std::process::Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .expect("pgrep");
    let pid = String::from_utf8_lossy(&fcopy.stdout).trim().to_string();
    assert!(!pid.is_empty(), "fcopy still runs under strace");
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("strace ends");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let listed = stdout.lines().filter(|l| l.contains("/f")).count();
    let on_disk = (0..3)
        .flat_map(|d| (0..100).map(move |f| format!("out/d{d}/f{f}")))
        .filter(|p| env.exists(p))
        .count();
    let stopped = stderr
        .lines()
        .filter(|l| {
            l.contains("interrupted while copying") || l.contains("interrupted before copying")
        })
        .count();
    let noted: usize = stderr
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("fcopy: interrupted: ")?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0);
    assert!(on_disk < 300, "the copy was not interrupted: {stderr}");
    assert_eq!(
        listed,
        on_disk + stopped + noted,
        "-v listed {listed} files; {on_disk} on disk, {stopped} stopped, {noted} noted as not copied:\n{stderr}"
    );
}

/// Under `-j`, `-b` renames each DEST to its backup, and `--remove-destination` removes it,
/// when the job is handed out; a stop signal while a worker waits on a FIFO left the other
/// DESTs of the hand-off only as backups, or deleted (red team, round 9). Now a job that never
/// started puts its backup back, and a job whose DEST was removed runs at once: every DEST
/// that is not the interrupted copy's keeps its old bytes or has its new ones.
#[test]
fn a_stop_signal_under_j_leaves_every_other_dest_old_or_new() {
    let env = TestEnv::new();
    // A FIFO and twenty files in one directory (one hand-off). The FIFO is made first: the
    // walk takes a directory's entries in inode order, so the files come after it.
    std::fs::create_dir(env.join("tr")).expect("tr");
    crate::testenv::mkfifo(&env.join("tr/f1"));
    for i in 2..=21 {
        env.write(format!("tr/f{i}"), "new\n");
    }
    for opt in ["-b", "--remove-destination"] {
        for i in 1..=21 {
            env.write(format!("out/f{i}"), "OLD\n");
        }
        // A writer that holds the FIFO open and sends nothing: the copy of f1 waits.
        let fifo = env.join("tr/f1");
        let holder = std::thread::spawn(move || {
            let _writer = std::fs::OpenOptions::new().write(true).open(fifo);
            std::thread::sleep(std::time::Duration::from_millis(2500));
        });
        let child = std::process::Command::new(crate::testenv::FCOPY)
            .args(["-r", "-j2", "--copy-contents", opt, "tr/.", "out"])
            .current_dir(env.path())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("fcopy runs");
        std::thread::sleep(std::time::Duration::from_millis(800));
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        let out = child.wait_with_output().expect("fcopy ends");
        holder.join().expect("the FIFO's writer");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for f in (2..=21).map(|i| format!("out/f{i}")) {
            let f = f.as_str();
            assert!(
                env.exists(f),
                "{opt}: {f} is gone: {stderr}\n{}",
                env.listing()
            );
            let bytes = env.read(f);
            assert!(
                bytes == b"OLD\n" || bytes == b"new\n",
                "{opt}: {f}: {bytes:?}"
            );
            if bytes == b"OLD\n" {
                assert!(
                    !env.exists(format!("{f}~")),
                    "{opt}: {f} was put back: {stderr}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(env.join("out"));
    }
}

/// Red team, round 14: under `-j`, a later operand that makes a symlink, a FIFO or a directory
/// (the two tested here) at a DEST that a worker was still writing (an earlier operand's file of the same name) did
/// not wait for it: "cannot create regular file 'dst/x/f0': File exists" with the symlink left,
/// or the wrong node left, or (a directory) the directory made and filled where GNU says it
/// cannot overwrite the file. It waits now, so every outcome is `-j1`'s and GNU's. The earlier
/// operand's file is a FIFO copied with `--copy-contents`: its worker waits in `open` until the
/// test writes to it, while the walk goes on to the later operand.
#[test]
fn a_later_operand_waits_for_the_worker_writing_its_dest() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    // (Not a FIFO as the later node: `--copy-contents` would read it too.)
    for other in ["symlink", "directory"] {
        let env = TestEnv::new();
        std::fs::create_dir_all(env.join("a/x")).unwrap();
        crate::testenv::mkfifo(&env.join("a/x/f0"));
        std::fs::create_dir_all(env.join("b/x")).unwrap();
        if other == "symlink" {
            std::os::unix::fs::symlink("/nonexistent", env.join("b/x/f0")).unwrap();
        } else {
            env.write("b/x/f0/g", "g\n");
        }
        std::fs::create_dir(env.join("dst")).unwrap();
        let child = Command::new(crate::testenv::FCOPY)
            .args(["-r", "--copy-contents", "-j4", "a/x", "b/x", "dst"])
            .current_dir(env.path())
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The worker waits in openat (x86-64 call 257) for a writer; the walk meanwhile
        // reaches b/x/f0 (a fixed pause: too short, it would only hide the race, not fail).
        assert!(
            crate::testenv::wait_held_in_syscall(child.id(), &[257]),
            "{other}: no worker waits on the FIFO"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(env.join("a/x/f0"))
            .unwrap();
        fifo.write_all(b"data\n").unwrap();
        drop(fifo);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let left = std::fs::symlink_metadata(env.join("dst/x/f0"))
            .unwrap()
            .file_type();
        match other {
            "symlink" => {
                assert!(out.status.success(), "{other}: {stderr}");
                assert!(left.is_symlink(), "{other}: {left:?}");
            }
            _ => {
                assert_eq!(out.status.code(), Some(1), "{other}: {stderr}");
                assert_eq!(
                    stderr,
                    "fcopy: cannot overwrite non-directory 'dst/x/f0' with directory 'b/x/f0'\n"
                );
                assert!(left.is_file(), "{other}: {left:?}");
                assert_eq!(env.read("dst/x/f0"), b"data\n");
            }
        }
    }
}
