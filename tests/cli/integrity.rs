//! Never a wrong byte, never a silent loss (issue 13): the end of a file is where the kernel
//! says it is (FUSE files whose size lies, a growing log, a sparse file that shrinks), and the
//! other ways a copy could end short or wrong without saying so.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::testenv::{mkfifo, pattern, require_root, require_strace, require_tool, skip, TestEnv};

const M: u64 = 1 << 20;

/// What every file of `tests/fuse/lying_fs.py` holds, whatever size it reports.
pub(crate) const FUSE_CONTENT: &[u8] = b"0123456789ab";

/// The lying FUSE filesystem of `tests/fuse/lying_fs.py`, mounted for one test; unmounted on
/// drop (also on panic).
pub(crate) struct LyingFs {
    server: Child,
    mount_point: PathBuf,
}

impl LyingFs {
    /// Mounts it at `env/mnt`, or skips (fails in CI) without /dev/fuse or python3-fuse.
    pub(crate) fn mount(env: &TestEnv) -> Option<LyingFs> {
        if !require_root("mounting a FUSE filesystem") || !require_tool("fusermount") {
            return None;
        }
        if !Path::new("/dev/fuse").exists() {
            skip("no /dev/fuse");
            return None;
        }
        let python = "/usr/bin/python3";
        let has_module = Command::new(python)
            .args(["-c", "import fuse"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_module {
            skip("python3-fuse is not installed");
            return None;
        }
        let mount_point = env.join("mnt");
        fs::create_dir(&mount_point).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuse/lying_fs.py");
        let server = Command::new(python)
            .arg(script)
            .arg(&mount_point)
            .args(["-f", "-s"])
            .stdin(Stdio::null())
            .spawn()
            .expect("cannot start the FUSE server");
        let fs = LyingFs {
            server,
            mount_point,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !fs.path("dio-true").exists() {
            assert!(Instant::now() < deadline, "the FUSE server did not mount");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(fs)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.mount_point.join(name)
    }
}

impl Drop for LyingFs {
    fn drop(&mut self) {
        let unmounted = Command::new("fusermount")
            .arg("-u")
            .arg(&self.mount_point)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(&self.mount_point)
                .status();
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The bytes the kernel gives for a whole read of `path` to end of file (what `cat` copies).
fn kernel_content(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap()
}

/// DESIGN rule 9: a FUSE file whose `st_size` is smaller, larger or zero against its content is
/// copied to where the kernel reports end of file, and the copy succeeds — with direct I/O
/// (every read reaches the server: all 12 bytes) and through the page cache (the kernel's own
/// answer, as for `cat` and GNU cp). Before: 3 of 12 bytes with exit 0, or "changed size".
#[test]
fn fuse_sizes_that_lie_copy_to_end_of_file() {
    let env = TestEnv::new();
    let Some(lying) = LyingFs::mount(&env) else {
        return;
    };
    let flags: [&[&str]; 4] = [
        &[],
        &["--reflink=never"],
        &["--method=read-write"],
        &["--sparse=always"],
    ];
    for io in ["dio", "cache"] {
        for claim in ["small", "large", "larger", "zero", "true"] {
            let name = format!("{io}-{claim}");
            let src = lying.path(&name);
            let expected = kernel_content(&src);
            if io == "dio" {
                assert_eq!(expected, FUSE_CONTENT, "{name}: the server misbehaves");
            }
            for (i, extra) in flags.iter().enumerate() {
                let dst = env.join(format!("{name}.{i}"));
                env.fcopy().args(extra).arg(&src).arg(&dst).run().success();
                assert_eq!(fs::read(&dst).unwrap(), expected, "{name} with {extra:?}");
            }
        }
    }
    // A tree copy takes its sizes from the walk: the same rule holds there.
    env.fcopy()
        .arg("-r")
        .arg(&lying.mount_point)
        .arg(env.join("tree"))
        .run()
        .success();
    for entry in fs::read_dir(&lying.mount_point).unwrap() {
        let entry = entry.unwrap();
        let copied = env.join("tree").join(entry.file_name());
        assert_eq!(
            fs::read(&copied).unwrap(),
            kernel_content(&entry.path()),
            "tree copy of {:?}",
            entry.file_name()
        );
    }
}

/// A file appended to between the walk's stat and the copy is copied to its end, not cut at
/// the size it had when stat'ed (the open of SOURCE is held back by strace while 5 MiB are
/// appended). Before: 10 MiB of 15 copied, exit 0.
#[test]
fn growing_source_is_copied_to_its_end() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    let src = env.write("log", pattern(10 * M as usize, 1));
    let child = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-P"])
        .arg(&src)
        .args([
            "-e",
            "trace=openat",
            "-e",
            "inject=openat:delay_enter=1500000",
        ])
        .arg(crate::testenv::FCOPY)
        .arg(&src)
        .arg(env.join("copy"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let mut log = OpenOptions::new().append(true).open(&src).unwrap();
    log.write_all(&pattern(5 * M as usize, 2)).unwrap();
    drop(log);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::metadata(env.join("copy")).unwrap().len(), 15 * M);
    env.assert_same_content("log", "copy");
}

/// A sparse source truncated between two extents (SEEK_DATA then answers ENXIO) ends where
/// the source now ends: no zeros past its real end, and the copy succeeds. Before: padded
/// with zeros to the old 4 MiB.
#[test]
fn sparse_source_that_shrinks_ends_at_its_real_end() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    let head = pattern(64 * 1024, 3);
    let tail = pattern(64 * 1024, 4);
    let src = env.write_sparse("sparse", 4 * M, &[(0, &head), (2 * M, &tail)]);
    if crate::testenv::data_extents(&src).len() != 2 {
        eprintln!(
            "SKIP: this filesystem does not keep the holes of {}",
            src.display()
        );
        return;
    }
    // The third lseek on SOURCE is the SEEK_DATA after the first extent.
    let child = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-P"])
        .arg(&src)
        .args([
            "-e",
            "trace=lseek",
            "-e",
            "inject=lseek:delay_enter=1500000:when=3",
        ])
        .arg(crate::testenv::FCOPY)
        .arg("--reflink=never")
        .arg(&src)
        .arg(env.join("copy"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    File::options()
        .write(true)
        .open(&src)
        .unwrap()
        .set_len(M)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::metadata(env.join("copy")).unwrap().len(), M);
    env.assert_same_content("sparse", "copy");
}

/// Only a promised length is checked: `--len` past what a lying FUSE file really holds is an
/// error, with nothing left behind.
#[test]
fn fuse_len_that_cannot_be_met_is_an_error() {
    let env = TestEnv::new();
    let Some(lying) = LyingFs::mount(&env) else {
        return;
    };
    env.fcopy()
        .args(&["--len", "16"])
        .arg(lying.path("dio-large"))
        .arg(env.join("out"))
        .run()
        .failure()
        .stderr_contains("changed size while being copied");
    assert!(!env.exists("out"));
}

// ---- Signals (issue 13, section 5) ----

/// Feeds a FIFO 4 KiB every 50 ms for `chunks` chunks (a copy that lasts).
fn slow_writer(fifo: &Path, chunks: usize) -> std::thread::JoinHandle<()> {
    let fifo = fifo.to_path_buf();
    std::thread::spawn(move || {
        let Ok(mut w) = OpenOptions::new().write(true).open(&fifo) else {
            return;
        };
        for i in 0..chunks {
            if w.write_all(&pattern(4096, i as u64)).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT each stop a copy, remove the unfinished new file, and
/// then fcopy dies by that signal (as cp), so the caller sees the signal and not an exit
/// status. Before: exit 130/143 for INT/TERM; SIGHUP and SIGQUIT killed fcopy at once and left
/// the half-written file.
#[test]
fn stopped_by_a_signal_cleans_up_then_dies_by_it() {
    use std::os::unix::process::ExitStatusExt;
    for (name, number) in [("INT", 2), ("TERM", 15), ("HUP", 1), ("QUIT", 3)] {
        let env = TestEnv::new();
        mkfifo(&env.join("src"));
        let writer = slow_writer(&env.join("src"), 40);
        let child = Command::new(crate::testenv::FCOPY)
            .args(["src", "dst"])
            .current_dir(env.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Signalled once fcopy is copying, not after a fixed sleep: killed before its handlers
        // exist it never opens the FIFO, and the writer waits for ever (flake hunt, round 14).
        assert!(
            crate::testenv::wait_until_open(child.id(), &env.join("dst")),
            "fcopy never opened dst"
        );
        assert!(Command::new("kill")
            .args([&format!("-{name}"), &child.id().to_string()])
            .status()
            .unwrap()
            .success());
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.signal(), Some(number), "SIG{name}: {stderr}");
        assert_eq!(
            stderr,
            "fcopy: interrupted while copying 'src' to 'dst'; the partial copy was removed\n",
            "SIG{name}"
        );
        assert!(!env.exists("dst"), "SIG{name}:\n{}", env.listing());
    }
}

/// A signal the caller left ignored stays ignored: `nohup fcopy` outlives its terminal, and a
/// script's background `fcopy a b &` (started with SIGINT and SIGQUIT ignored) is not stopped
/// by Ctrl-C, as with GNU cp (new-user trial, round 7: fcopy caught them anyway, died by
/// SIGHUP and removed its copy). Here a copy from a pipe gets SIGHUP, SIGINT and SIGQUIT while
/// it waits for input, then finishes with everything the pipe brought.
#[test]
fn signals_the_caller_ignored_stay_ignored() {
    let env = TestEnv::new();
    let script = format!(
        "trap '' HUP INT QUIT USR1; exec '{}' - dst",
        crate::testenv::FCOPY
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"first ").unwrap();
    let dst = fs::canonicalize(env.path()).unwrap().join("dst");
    assert!(crate::testenv::wait_until_open(child.id(), &dst));
    for name in ["HUP", "INT", "QUIT", "USR1"] {
        assert!(Command::new("kill")
            .args([&format!("-{name}"), &child.id().to_string()])
            .status()
            .unwrap()
            .success());
    }
    // Longer than the watchdog's grace for a copy blocked in a read (1 s).
    std::thread::sleep(Duration::from_millis(1500));
    input.write_all(b"second").unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    assert_eq!(env.read("dst"), b"first second");
}

/// Ctrl-C (SIGINT to the whole process group) stops a shell loop of fcopy at the first copy,
/// as with cp: bash ends a loop only when its child died by SIGINT. Before: fcopy exited 130
/// and the loop went on to the next file.
#[test]
fn ctrl_c_stops_a_shell_loop() {
    use std::os::unix::process::CommandExt;
    if !require_tool("bash") {
        return;
    }
    let env = TestEnv::new();
    mkfifo(&env.join("slow"));
    env.write("quick", b"quick");
    let writer = slow_writer(&env.join("slow"), 40);
    let script = format!(
        "for s in slow quick; do '{}' \"$s\" \"out-$s\"; done",
        crate::testenv::FCOPY
    );
    let child = Command::new("bash")
        .args(["-c", &script])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    // Ctrl-C once the first fcopy copies (its copy exists), not after a fixed sleep (see
    // `stopped_by_a_signal_cleans_up_then_dies_by_it`).
    let copying = crate::testenv::wait_until_exists(&env.join("out-slow"));
    assert!(copying, "the first fcopy never created out-slow");
    std::thread::sleep(Duration::from_millis(50));
    assert!(Command::new("kill")
        .args(["-INT", "--", &format!("-{}", child.id())])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        !env.exists("out-quick"),
        "the loop went on after Ctrl-C: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        env.listing()
    );
    assert!(!env.exists("out-slow"));
}

/// `--atomic` over an existing DEST: a temporary left by a killed run (`.NAME.fcopy-XXXXXX`,
/// same owner, older than this run) is removed by the next atomic run into that directory;
/// files that only look similar, or belong to someone else, stay. Before: left forever.
#[test]
fn atomic_removes_stale_temporaries_of_earlier_runs() {
    let env = TestEnv::new();
    env.write("src", b"new");
    env.write("d/f", b"old");
    let stale = [".f.fcopy-a2b3c4", ".other.fcopy-z7z7z7"];
    let kept = [
        ".f.fcopy-A2B3C4",  // not fcopy's alphabet
        ".f.fcopy-abc234",  // not letter, digit, letter, digit...
        ".f.fcopy-a2b",     // too short
        "f.fcopy-a2b3c4",   // no leading dot
        ".f.fcopy-a2b3c4d", // too long
    ];
    for name in stale.iter().chain(&kept) {
        env.write(format!("d/{name}"), b"left by a killed fcopy");
    }
    let foreign = ".f.fcopy-q2q2q2";
    env.write(format!("d/{foreign}"), b"someone else's");
    let other_owner = is_root_and_chown(&env.join(format!("d/{foreign}")));
    std::thread::sleep(Duration::from_millis(20));
    env.run(&["--atomic", "src", "d/f"]).success();
    assert_eq!(env.read("d/f"), b"new");
    for name in stale {
        assert!(
            !env.exists(format!("d/{name}")),
            "{name} stayed:\n{}",
            env.listing()
        );
    }
    for name in kept {
        assert!(env.exists(format!("d/{name}")), "{name} was removed");
    }
    if other_owner {
        assert!(
            env.exists(format!("d/{foreign}")),
            "another user's file was removed"
        );
    }
    // A temporary newer than the run (another fcopy at work) is not touched: it appears while
    // the scan is held back by strace.
    if !require_strace() {
        return;
    }
    // Written while fcopy is held in that getdents64 (x86-64 call 217), after its run began,
    // however late it started (a fixed 300 ms sleep failed under load: flake hunt, round 14).
    let (child, _) = crate::testenv::start_held_in(
        env.path(),
        "getdents64",
        "inject=getdents64:delay_enter=800000:when=1",
        &[217],
        crate::testenv::FCOPY,
        &["--atomic", "src", "d/f"],
    );
    env.write("d/.f.fcopy-a2c4e6", b"busy");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        env.exists("d/.f.fcopy-a2c4e6"),
        "a newer temporary was removed"
    );
}

/// Chowns `path` to nobody (65534) when root; whether it did.
fn is_root_and_chown(path: &Path) -> bool {
    crate::testenv::is_root() && std::os::unix::fs::chown(path, Some(65534), Some(65534)).is_ok()
}

// ---- JSON names (issue 13, section 6) ----

/// The exact bytes of a record's path field: `KEY_bytes` when present, else the string.
fn json_path(record: &serde_json::Value, key: &str) -> Vec<u8> {
    match record.get(format!("{key}_bytes")) {
        Some(bytes) => bytes
            .as_array()
            .unwrap_or_else(|| panic!("{key}_bytes is not an array: {record}"))
            .iter()
            .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
            .collect(),
        None => record[key].as_str().unwrap().as_bytes().to_vec(),
    }
}

/// Every name in a tree of odd names (invalid UTF-8 that differs only in its invalid byte,
/// controls, quotes, backslashes, non-ASCII) maps back from `--json` to its exact file, whose
/// copy holds that file's bytes. Before: `a\377` and `a\376` were both `"a\ufffd"`.
#[test]
fn json_names_map_back_to_the_exact_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let names: [&[u8]; 9] = [
        b"a\xff",
        b"a\xfe",
        b"b\xc3",
        b"new\nline",
        b"tab\there",
        b"quote\"and\\back",
        b"caf\xc3\xa9",
        b"cr\r",
        b"\xef\xbf\xbd",
    ];
    fs::create_dir_all(env.join("s/d\x01ir")).unwrap();
    for (i, name) in names.iter().enumerate() {
        let path = env.join("s/d\x01ir").join(OsStr::from_bytes(name));
        fs::write(&path, pattern(100 + i, i as u64)).unwrap();
    }
    let run = env.run(&["--json", "-r", "s", "t"]);
    run.success();
    let records = run.json();
    let files: Vec<_> = records.iter().filter(|r| r["type"] == "file").collect();
    assert_eq!(files.len(), names.len(), "{}", run.stdout());
    let mut seen = Vec::new();
    for record in files {
        let source = json_path(record, "source");
        let dest = json_path(record, "dest");
        let src_path = env.join(OsStr::from_bytes(&source));
        let dst_path = env.join(OsStr::from_bytes(&dest));
        assert_eq!(
            fs::read(&src_path).unwrap_or_else(|e| panic!("{record}: {e}")),
            fs::read(&dst_path).unwrap_or_else(|e| panic!("{record}: {e}")),
            "{record}"
        );
        let base = src_path.file_name().unwrap().as_bytes().to_vec();
        assert!(names.contains(&base.as_slice()), "{record}");
        seen.push(base);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), names.len(), "two records name one file");
}

/// A failure record carries the entry's real `type`: a directory that cannot be created is a
/// `"directory"`, a symlink that cannot be made a `"symlink"`. Before: always `"file"`.
#[test]
fn json_failure_records_carry_the_entry_type() {
    let env = TestEnv::new();
    fs::create_dir_all(env.join("s/sub")).unwrap();
    env.write("s/sub/f", b"f");
    std::os::unix::fs::symlink("target", env.join("s/link")).unwrap();
    // In the destination, a file where the directory goes and a directory where the link goes.
    env.write("t/sub", b"in the way");
    fs::create_dir_all(env.join("t/link")).unwrap();
    let run = env.run(&["--json", "-r", "s/.", "t"]);
    run.failure();
    let records = run.json();
    let failed: Vec<_> = records.iter().filter(|r| r["status"] == "error").collect();
    let type_of = |name: &str| {
        failed
            .iter()
            .find(|r| r["source"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no failure record for {name}: {}", run.stdout()))["type"]
            .clone()
    };
    assert_eq!(type_of("sub"), "directory", "{}", run.stdout());
    assert_eq!(type_of("link"), "symlink", "{}", run.stdout());
}

// ---- Batch jobs run as written (issue 13, section 2) ----

/// `--batch -` with a job whose SOURCE is `-`: that copy would read the rest of the job list
/// as data. It is refused with the line number; every other job still runs. Before: the jobs
/// after it silently never ran, exit 0.
#[test]
fn batch_on_stdin_refuses_stdin_as_a_source() {
    let env = TestEnv::new();
    let mut list = String::new();
    for i in 0..50 {
        env.write(format!("s{i}"), format!("data {i}"));
        list.push_str(&format!("s{i}\td{i}\n"));
        if i == 10 {
            list.push_str("-\tswallowed\n");
        }
    }
    let run = env.fcopy().args(&["--batch", "-"]).stdin_bytes(list).run();
    run.failure().stderr_is(
        "fcopy: -:12: SOURCE '-' (standard input) cannot be copied: the job list is read from standard input\n",
    );
    assert!(!env.exists("swallowed"));
    for i in 0..50 {
        assert_eq!(env.read(format!("d{i}")), format!("data {i}").as_bytes());
    }
}

/// Under parallel `-j`, jobs that touch one file run in list order, whatever the spelling, so
/// the result equals `-j 1`: a job that reads an earlier job's DEST sees it complete, two
/// spellings of one DEST (`out`, `./out`, `sub/../out`) are written in list order as in `-j 1`
/// (the last job's contents win), and a file is not overwritten while an earlier job reads it. Repeated, since a race
/// shows up only some of the time. Before: an empty file reported ok, or a mix of sources.
#[test]
fn parallel_batch_jobs_that_share_files_run_in_order() {
    let env = TestEnv::new();
    fs::create_dir(env.join("sub")).unwrap();
    let big = pattern(4 << 20, 7);
    env.write("big", &big);
    env.write("other", pattern(3 << 20, 8));
    let mut list = String::new();
    // A chain: each job reads the previous job's DEST.
    list.push_str("big\tc0\n");
    for i in 1..8 {
        list.push_str(&format!("./c{}\tsub/../c{i}\n", i - 1));
    }
    // One DEST, three spellings.
    list.push_str("big\tout\n");
    list.push_str("other\t./out\n");
    list.push_str(&format!("other\t{}\n", env.join("sub/../out").display()));
    // A job that overwrites a file an earlier job is still reading.
    list.push_str("reread\tr.copy\n");
    list.push_str("other\treread\n");
    env.write("jobs", &list);
    let outputs: Vec<String> = (0..8)
        .map(|i| format!("c{i}"))
        .chain(["out", "r.copy", "reread"].map(String::from))
        .collect();
    let run_once = |jobs: &str| {
        for name in &outputs {
            let _ = fs::remove_file(env.join(name));
        }
        env.write("reread", &big);
        let run = env.run(&["--batch", "jobs", "-j", jobs]);
        let mut stderr: Vec<String> = run.stderr().lines().map(String::from).collect();
        stderr.sort();
        let contents: Vec<Vec<u8>> = outputs.iter().map(|n| env.read(n)).collect();
        (run.code(), stderr, contents)
    };
    let serial = run_once("1");
    assert!(serial.2[..8].iter().all(|c| *c == big), "-j 1 chain");
    for round in 0..6 {
        let parallel = run_once("4");
        assert_eq!(parallel.0, serial.0, "round {round}: exit status");
        assert_eq!(parallel.1, serial.1, "round {round}: messages");
        for (i, name) in outputs.iter().enumerate() {
            assert!(
                parallel.2[i] == serial.2[i],
                "round {round}: {name} differs from -j 1"
            );
        }
    }
}

/// With a batch job whose DEST is `-`, `--json` and `-v` records go to standard error from the
/// first one on, and standard output holds only the copied data. Before: the records were
/// written into the data.
#[test]
fn batch_records_go_to_stderr_when_a_job_writes_stdout() {
    let env = TestEnv::new();
    env.write("a", b"AAAA");
    env.write("b", b"BBBB");
    env.write("jobs", "a\tcopy\nb\t-\n");
    for flag in ["--json", "-v"] {
        let _ = fs::remove_file(env.join("copy"));
        let run = env.run(&["--batch", "jobs", "-j1", flag]);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        assert_eq!(run.stdout, b"BBBB", "{flag}: records in the data");
        assert!(run.stderr().contains("copy"), "{flag}: {}", run.stderr());
    }
    // The same with the job list on standard input.
    let run = env
        .fcopy()
        .args(&["--batch", "-", "--json"])
        .stdin_bytes("a\tcopy2\nb\t-\n")
        .run();
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout, b"BBBB");
    assert!(run.stderr().contains("\"summary\""), "{}", run.stderr());
    // And from a list that can be read only once (a FIFO, as `--batch <(...)` gives): looking
    // ahead must not eat the jobs.
    mkfifo(&env.join("jobs.fifo"));
    let writer = {
        let path = env.join("jobs.fifo");
        std::thread::spawn(move || fs::write(path, "a\tcopy3\nb\t-\n").unwrap())
    };
    let run = env.run(&["--batch", "jobs.fifo", "--json"]);
    writer.join().unwrap();
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout, b"BBBB");
    assert_eq!(env.read("copy3"), b"AAAA");
}

/// A line longer than the cap (a binary passed by mistake) is `FILE:N: line too long`, not held
/// in memory; the other jobs run. Before: the whole line was held (a 100 MB line cost 490 MB),
/// and under a memory limit fcopy aborted.
#[test]
fn batch_line_too_long_is_an_error_and_the_rest_continue() {
    let env = TestEnv::new();
    env.write("a", b"A");
    let mut list = b"a\tone\n".to_vec();
    list.extend(std::iter::repeat_n(b'x', 64 << 20));
    list.extend_from_slice(b"\tnever\na\ttwo\n");
    env.write("jobs", &list);
    // 64 MiB of one line fits under this limit only if it is not held whole.
    let run = env
        .fcopy()
        .wrapped(&["prlimit", "--as=60000000", "--"])
        .args(&["--batch", "jobs", "-j1"])
        .run();
    run.failure()
        .stderr_is("fcopy: jobs:2: line too long (more than 65536 bytes)\n");
    assert_eq!(env.read("one"), b"A");
    assert_eq!(env.read("two"), b"A");
}

// ---- Outputs that cannot honour an offset (issue 13, section 4) ----

/// `--offset-out` on standard output opened for appending is refused before a byte is
/// written (every write would land at the end). Before: exit 0, the data appended.
#[test]
fn offset_out_on_an_append_output_is_refused() {
    let env = TestEnv::new();
    env.write("s", b"hello world");
    let log = env.write("log", b"LOG\n");
    let out = OpenOptions::new().append(true).open(&log).unwrap();
    env.fcopy()
        .args(&["--offset-out", "2", "s", "-"])
        .stdout_file(out)
        .run()
        .failure()
        .stderr_is(
            "fcopy: --offset-out cannot be honoured: standard output is open for appending (O_APPEND)\n",
        );
    assert_eq!(env.read("log"), b"LOG\n");
}

/// A stream is read or written from where it is: `--offset-out 0` to a pipe, and FIFO operands
/// both ways (a non-zero `--offset-in` skipped by reading) work; `/dev/null` takes any offset;
/// a FIFO DEST with a non-zero offset is refused naming that DEST. Before: `Illegal seek`, and
/// the message said "standard output" for a FIFO.
#[test]
fn streams_take_offset_zero_and_skip_input_by_reading() {
    let env = TestEnv::new();
    env.write("s", b"hello world");
    // To a pipe (standard output).
    env.fcopy()
        .args(&["--offset-out", "0", "--offset-in", "6", "s", "-"])
        .run()
        .success()
        .stdout_is("world");
    // To a FIFO, offset 0.
    mkfifo(&env.join("out.fifo"));
    let reader = {
        let path = env.join("out.fifo");
        std::thread::spawn(move || fs::read(path).unwrap())
    };
    env.run(&["--offset-out", "0", "--len", "5", "s", "out.fifo"])
        .success();
    assert_eq!(reader.join().unwrap(), b"hello");
    // From a FIFO, skipping 3 bytes by reading.
    mkfifo(&env.join("in.fifo"));
    let writer = {
        let path = env.join("in.fifo");
        std::thread::spawn(move || {
            let mut w = OpenOptions::new().write(true).open(path).unwrap();
            w.write_all(b"abcdefgh").unwrap();
        })
    };
    env.run(&["--offset-in", "3", "--len", "4", "in.fifo", "got"])
        .success();
    writer.join().unwrap();
    assert_eq!(env.read("got"), b"defg");
    // /dev/null takes any offset.
    env.run(&["--offset-out", "1G", "s", "/dev/null"]).success();
    // A FIFO cannot take a non-zero offset: the message names it.
    env.run(&["--offset-out", "5", "s", "out.fifo"])
        .failure()
        .stderr_is("fcopy: --offset-out needs a seekable destination ('out.fifo' is not)\n");
}

/// A /proc file shorter than `--len` says so (how far it got), instead of "changed size".
#[test]
fn proc_file_shorter_than_len_says_so() {
    let env = TestEnv::new();
    let run = env.run(&["--len", "1M", "/proc/self/status", "out"]);
    run.failure();
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("fcopy: '/proc/self/status' ended early, after ")
            && stderr.ends_with(" of --len 1048576 bytes\n"),
        "{stderr}"
    );
    assert!(!env.exists("out"));
}

// ---- Errors that surface late, backups (issue 13, section 3) ----

/// `-r -b` over an existing regular file with a FIFO source makes the backup (GNU keeps
/// `node~`). Before: the file was deleted without a backup.
#[test]
fn recursive_backup_over_a_file_with_a_fifo_source_keeps_the_backup() {
    use std::os::unix::fs::FileTypeExt;
    let env = TestEnv::new();
    fs::create_dir(env.join("s")).unwrap();
    mkfifo(&env.join("s/node"));
    env.write("d/node", b"precious");
    env.run(&["-r", "-b", "s/.", "d"]).success();
    assert!(fs::symlink_metadata(env.join("d/node"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(env.read("d/node~"), b"precious");
}

/// When the copy after a backup rename fails, the backup is put back, so DEST's name does not
/// vanish (GNU). Before: DEST gone, only `d~` left. Then the same on a filesystem without
/// RENAME_NOREPLACE (GlusterFS's FUSE answers EINVAL, found by .ci/fs-matrix gluster).
#[test]
fn failed_copy_after_a_backup_puts_the_backup_back() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(70_000, 5));
    env.write("d", b"old contents");
    for (traced, no_renameat2) in [("", false), (",renameat2", true)] {
        let mut strace: Vec<String> = [
            "strace",
            "-f",
            "-o",
            "/dev/null",
            "-e",
            &format!("trace=copy_file_range,pwrite64,sendfile,ioctl{traced}"),
            "-e",
            "inject=copy_file_range,pwrite64,sendfile:error=ENOSPC",
            "-e",
            "inject=ioctl:error=EOPNOTSUPP",
        ]
        .map(String::from)
        .to_vec();
        if no_renameat2 {
            strace.extend(["-e".into(), "inject=renameat2:error=EINVAL".into()]);
        }
        let run = env
            .fcopy()
            .wrapped(&strace)
            .args(&["-b", "--reflink=auto", "src", "d"])
            .run();
        run.failure().stderr_contains("No space left on device");
        assert_eq!(env.read("d"), b"old contents", "{}", env.listing());
        assert!(!env.exists("d~"), "{}", env.listing());
    }
}

/// Runs fcopy under strace with every `close` of `dest` failing with EIO (as NFS, CIFS and
/// FUSE report delayed write errors).
fn fcopy_with_failing_close(
    env: &TestEnv,
    args: &[&str],
    dest: &std::path::Path,
) -> std::process::Output {
    Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-P"])
        .arg(dest)
        .args(["-e", "trace=close", "-e", "inject=close:error=EIO"])
        .arg(crate::testenv::FCOPY)
        .args(args)
        .current_dir(env.path())
        .output()
        .unwrap()
}

/// The destination's close(2) is checked (GNU cp: `failed to close`): an error there fails
/// the file, exit 1, and a DEST that fcopy created is removed. Before: exit 0, "ok".
#[test]
fn close_error_on_the_destination_fails_the_copy() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(100_000, 7));
    let out = fcopy_with_failing_close(&env, &["src", "new"], &env.join("new"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("failed to close 'new': Input/output error"),
        "{stderr}"
    );
    assert!(
        !env.exists("new"),
        "a new DEST whose close failed is removed"
    );

    // An existing DEST: the failure is reported and says the old contents are gone.
    env.write("old", b"old contents");
    let out = fcopy_with_failing_close(&env, &["src", "old"], &env.join("old"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed to close 'old'"), "{stderr}");

    // --json: an error record, not "ok".
    let out = fcopy_with_failing_close(&env, &["--json", "src", "new2"], &env.join("new2"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"status\":\"error\""), "{stdout}");
    assert!(!stdout.contains("\"status\":\"ok\""), "{stdout}");
}

// ---- --atomic cleanup spares live temporaries and users' files ----

/// Names in `dir` containing `.fcopy-`.
fn fcopy_temps(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".fcopy-"))
        .collect()
}

/// A paused fcopy's named temporary (no `/proc`, so no `O_TMPFILE`) is older than a second run
/// that starts meanwhile; that run must not remove it (it is locked), and the first run still
/// replaces DEST. Red-team finding: the second run removed it and the first failed
/// 'cannot replace'.
#[test]
fn atomic_cleanup_spares_a_paused_runs_temporary() {
    if !require_root("mounting a tmpfs over /proc in a mount namespace") || !require_tool("unshare")
    {
        return;
    }
    let env = TestEnv::new();
    env.write("f", b"y\n");
    env.write("d/x", b"old\n");
    let mut first = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs none /proc && exec \"$0\" --atomic - d/x",
        ])
        .arg(crate::testenv::FCOPY)
        .current_dir(env.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fcopy_temps(&env.join("d")).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no temporary:\n{}",
            env.listing()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(50));
    env.run(&["--atomic", "f", "d/y"]).success();
    assert_eq!(env.read("d/y"), b"y\n");
    assert_eq!(
        fcopy_temps(&env.join("d")).len(),
        1,
        "the running copy's temporary was removed:\n{}",
        env.listing()
    );
    let mut stdin = first.stdin.take().unwrap();
    stdin.write_all(b"new\n").unwrap();
    drop(stdin);
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.read("d/x"), b"new\n");
    assert!(fcopy_temps(&env.join("d")).is_empty(), "{}", env.listing());
}

/// A user's files whose names merely look like `.NAME.fcopy-` plus six letters are not
/// fcopy's temporaries and stay (red-team finding: `.notes.fcopy-backup` was removed).
#[test]
fn atomic_cleanup_spares_users_files_shaped_like_temporaries() {
    let env = TestEnv::new();
    env.write("f", b"y");
    let users = [".notes.fcopy-backup", ".x.fcopy-abcdef", ".x.fcopy-v2copy"];
    for name in users {
        let path = env.write(format!("d/{name}"), b"mine");
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(20));
    env.run(&["--atomic", "f", "d/new"]).success();
    assert_eq!(env.read("d/new"), b"y");
    for name in users {
        assert!(
            env.exists(format!("d/{name}")),
            "{name} was removed:\n{}",
            env.listing()
        );
    }
}

/// A sparse source truncated into a hole while an extent past the new end is being copied
/// (copy_file_range or the read then answers 0 at the extent's start) ends where the source
/// ends now: 5 MiB, its trailing hole kept, rc 0. Before: DEST padded with zeros to the
/// extent's start (10 MiB) and "ok".
#[test]
fn sparse_source_that_shrinks_into_a_hole_ends_at_its_real_end() {
    if !require_strace() {
        return;
    }
    let mut env = TestEnv::new();
    // The shrink is timed by a delayed copy_file_range: where a whole-file copy is a clone
    // (btrfs, XFS) there is none, so the test runs on tmpfs there.
    if crate::testenv::clones_by_default(env.path()) {
        let Some(tmpfs) = TestEnv::on_tmpfs() else {
            return;
        };
        env = tmpfs;
    }
    let parts: Vec<Vec<u8>> = (0..4).map(|i| pattern(64 * 1024, 20 + i)).collect();
    let layout: Vec<(u64, &[u8])> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u64 * 10 * M, p.as_slice()))
        .collect();
    let src = env.write_sparse("sparse", 40 * M, &layout);
    if crate::testenv::data_extents(&src).len() != 4 {
        eprintln!(
            "SKIP: this filesystem does not keep the holes of {}",
            src.display()
        );
        return;
    }
    // The second copy of SOURCE's data is the extent at 10 MiB: held back while SOURCE
    // shrinks. It is a copy_file_range, or a pread64 where the copy reads and writes (FUSE:
    // `--reflink=never` rules out a kernel copy that might share extents; network and FUSE
    // filesystems are copied with read/write, exec/strategy.rs). Each call has its own count;
    // `-P` leaves out the dynamic loader's reads of its libraries.
    let child = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-P"])
        .arg(&src)
        .args([
            "-e",
            "trace=copy_file_range,pread64",
            "-e",
            "inject=copy_file_range,pread64:delay_enter=1500000:when=2",
        ])
        .arg(crate::testenv::FCOPY)
        .args(["--reflink=never", "--json"])
        .arg(&src)
        .arg(env.join("copy"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    File::options()
        .write(true)
        .open(&src)
        .unwrap()
        .set_len(5 * M)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("\"status\":\"ok\""),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::metadata(env.join("copy")).unwrap().len(), 5 * M);
    env.assert_same_content("sparse", "copy");
}

/// `--update=changed` on a DEST of a run with the source's size and times (after `-p`).
fn update_changed_run(env: &TestEnv) -> std::process::Output {
    Command::new(crate::testenv::FCOPY)
        .args(["-p", "--update=changed", "--json", "src", "dst"])
        .current_dir(env.path())
        .output()
        .unwrap()
}

/// With `-p`, a DEST whose `--sync` fsync or checked close failed (rc 1, "incomplete") is
/// never skipped by a later `--update=changed`: it does not keep the source's mtime. Before:
/// the times were set before those checks, and the next run said "skipped", rc 0.
#[test]
fn failed_sync_or_close_after_p_is_not_skipped_by_update_changed() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    let src = env.write("src", pattern(100_000, 31));
    // SOURCE last changed an hour ago: DEST's time after a failed run ("now") is then in
    // another second. Where mtimes are compared in whole seconds (FUSE, whose servers may keep
    // no more: restart/update_changed.rs), a SOURCE written in the same second as the failed
    // copy would look unchanged whether or not fcopy set the times; this way a DEST that got
    // SOURCE's mtime is still told from one that did not, on every filesystem.
    File::options()
        .write(true)
        .open(&src)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let failing_fsync = ["-e", "inject=fsync:error=EIO"].as_slice();
    let failing_close = [
        "-P",
        "dst",
        "-e",
        "trace=close",
        "-e",
        "inject=close:error=EIO",
    ];
    for (what, inject, args) in [
        (
            "fsync",
            failing_fsync,
            ["-p", "--sync", "src", "dst"].as_slice(),
        ),
        (
            "close",
            failing_close.as_slice(),
            ["-p", "src", "dst"].as_slice(),
        ),
    ] {
        env.write("dst", pattern(100_000, 32));
        let out = Command::new("strace")
            .args(["-f", "-o", "/dev/null"])
            .args(inject)
            .arg(crate::testenv::FCOPY)
            .args(args)
            .current_dir(env.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        assert!(stderr.contains("incomplete"), "{what}: {stderr}");

        let out = update_changed_run(&env);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{what}: {stdout}");
        assert!(
            !stdout.contains("\"status\":\"skipped\""),
            "{what}: {stdout}"
        );
        assert!(stdout.contains("\"status\":\"ok\""), "{what}: {stdout}");
        env.assert_same_content("src", "dst");
        // Now finished: the next run skips it.
        let stdout = String::from_utf8_lossy(&update_changed_run(&env).stdout).into_owned();
        assert!(
            stdout.contains("\"status\":\"skipped\""),
            "{what}: {stdout}"
        );
    }
}

/// `cp -r -j4 x dir/x/z dir`: the second operand reads `dir/x/z`, which the first operand
/// writes (x/z into dir/x). The copy must be the whole new file, as with `-j 1` and GNU cp,
/// never a prefix of it with exit 0 (red-team finding). A race, so several rounds.
#[test]
fn later_operand_reads_the_whole_file_an_earlier_operand_wrote() {
    let big = vec![b'N'; 20_000_000];
    for round in 0..5 {
        let env = TestEnv::new();
        for i in 1..=150 {
            env.write(format!("x/f{i}"), format!("{i}\n"));
        }
        env.write("x/z", &big);
        env.write("dir/x/z", vec![b'O'; 20_000_000]);
        env.run(&["-r", "-j", "4", "x", "dir/x/z", "dir"]).success();
        let got = env.read("dir/z");
        assert!(
            got == big,
            "round {round}: dir/z has {} bytes, {} of them N (want 20000000 N)",
            got.len(),
            got.iter().filter(|&&b| b == b'N').count()
        );
    }
}

/// `--resume` over a DEST as long as SOURCE says it is, where SOURCE (a FUSE file whose size is
/// too small) holds more: copied on to SOURCE's real end, as the whole-file copy it stands for
/// (red team, round 7: a 3-byte DEST was taken for complete, exit 0 with 3 of 12 bytes).
#[test]
fn resume_goes_on_to_the_real_end_of_a_fuse_file() {
    let env = TestEnv::new();
    let Some(lying) = LyingFs::mount(&env) else {
        return;
    };
    for name in ["dio-small", "cache-small", "dio-true"] {
        env.write("dst", &FUSE_CONTENT[..3]);
        let run = env
            .fcopy()
            .arg("--resume")
            .arg(lying.path(name))
            .arg(env.join("dst"))
            .run();
        assert_eq!(run.code(), Some(0), "{name}: {}", run.stderr());
        let want = kernel_content(&lying.path(name));
        assert_eq!(env.read("dst"), want, "{name}");
    }
}
