//! Round 17's new-user trial: what a run says about what it did (`--verify` it could not do).

use crate::testenv::TestEnv;

/// New-user trial, round 17: `cat f | fcopy --verify - out` exited 0 in silence, and only
/// `--json` and `--debug` said the copy was not verified: a user who asked for `--verify` read
/// it as checked. Each end that cannot be read again (standard input, a `/proc` file, a device
/// as DEST, a range overlapping itself) now gets a warning naming DEST and the reason; the copy
/// stays and the exit status is 0. A copy that was compared says nothing.
#[test]
fn a_copy_that_could_not_be_verified_says_so() {
    let env = TestEnv::new();
    env.write("f", "some data\n");
    let piped = env
        .fcopy()
        .args(&["--verify", "-", "out"])
        .stdin_bytes("piped\n")
        .run();
    piped.exit_zero().stderr_is(
        "fcopy: warning: 'out' was copied but not verified: '-' (standard input) is read once, \
         not again\n",
    );
    assert_eq!(env.read("out"), b"piped\n");
    // Standard input redirected from a regular file is read once all the same (red team,
    // round 18: the warning said it was not a regular file).
    let redirected = env
        .fcopy()
        .args(&["--verify", "-", "out2"])
        .stdin_file(std::fs::File::open(env.join("f")).unwrap())
        .run();
    redirected.exit_zero().stderr_is(
        "fcopy: warning: 'out2' was copied but not verified: '-' (standard input) is read \
         once, not again\n",
    );
    assert_eq!(env.read("out2"), b"some data\n");
    let to_stdout = env.fcopy().args(&["--verify", "f", "-"]).run();
    to_stdout.exit_zero().stderr_is(
        "fcopy: warning: '-' was copied but not verified: '-' (standard output) is written \
         once, not read back\n",
    );

    let proc = env.run(&["--verify", "/proc/self/status", "st"]);
    proc.exit_zero().stderr_is(
        "fcopy: warning: 'st' was copied but not verified: '/proc/self/status' is made up as it \
         is read, and a second read may differ\n",
    );
    assert!(!env.read("st").is_empty());

    let device = env.run(&["--verify", "f", "/dev/null"]);
    device.exit_zero().stderr_is(
        "fcopy: warning: '/dev/null' was copied but not verified: '/dev/null' cannot be read \
         again (not a regular file)\n",
    );

    env.write("g", "0123456789".repeat(100));
    let overlap = env.run(&[
        "--verify",
        "--offset-in",
        "0",
        "--offset-out",
        "10",
        "--len",
        "100",
        "g",
        "g",
    ]);
    overlap.exit_zero().stderr_is(
        "fcopy: warning: 'g' was copied but not verified: the range overlaps its own source in \
         'g'\n",
    );

    // With --json the record says it too, and the warning still reaches standard error.
    let json = env
        .fcopy()
        .args(&["--json", "--verify", "-", "o2"])
        .stdin_bytes("x")
        .run();
    json.exit_zero()
        .stderr_contains("'o2' was copied but not verified");
    assert_eq!(json.json_record()["verified"], "not verifiable");

    // A copy that was compared: no warning.
    env.run(&["--verify", "f", "h"]).success().stderr_is("");
    assert_eq!(env.read("h"), b"some data\n");
}

/// `DIR/s`: 1 GiB of hole, 4 MiB of data, 1 GiB of hole.
fn sparse_source(env: &TestEnv) {
    let file = std::fs::File::create(env.join("s")).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(env.join("s"))
        .unwrap();
    std::io::Write::write_all(&mut file, &crate::testenv::pattern(4 << 20, 17)).unwrap();
    file.set_len(2 << 30).unwrap();
}

/// New-user trial, round 17: the holes of a sparse SOURCE counted as copied bytes. The bar
/// jumped to 44% at 434 GiB/s with an ETA of 1 s on a copy 4 s from done, and `kill -USR1`
/// said "4.40 GiB copied" of a copy whose `--stats` said 1 GiB. Holes now leave the total:
/// no frame shows more copied than the 4 MiB of data, and the last shows 4 MiB of 4 MiB.
#[test]
fn holes_are_not_counted_as_copied_by_the_bar() {
    if !crate::testenv::require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    sparse_source(&env);
    let screen = crate::experience::in_pty(&env, "--progress=always --reflink=never s d");
    let frames: Vec<String> = screen
        .split(['\r', '\n'])
        .map(|f| {
            let mut plain = String::new();
            let mut escape = false;
            for c in f.chars() {
                match (escape, c) {
                    (false, '\x1b') => escape = true,
                    (true, c) if c.is_ascii_alphabetic() => escape = false,
                    (true, _) => {}
                    (false, c) => plain.push(c),
                }
            }
            plain
        })
        .filter(|f| f.contains("B/"))
        .collect();
    assert!(!frames.is_empty(), "no bar drawn: {screen:?}");
    for frame in &frames {
        let copied = frame.split('/').next().unwrap();
        assert!(
            !copied.ends_with("GiB"),
            "holes counted as copied: {frame:?}"
        );
    }
    let last = frames.last().unwrap();
    assert!(last.contains("4.00 MiB/4.00 MiB 100%"), "{frames:?}");
    assert!(env.read("d") == std::fs::read(env.join("s")).unwrap());
}

/// The same for `kill -USR1`: its "copied" is the bytes copied, as `--stats` counts them. The
/// data's first copy_file_range or pwrite is held for a second (strace) while the signal is
/// sent (`--reflink=never`: a clone on btrfs or XFS shares the holes, and counts them): the line,
/// printed once it returns, says at most the 4 MiB of data (before: "1.00 GiB ... copied",
/// the leading hole).
#[test]
fn holes_are_not_counted_as_copied_by_the_status_line() {
    if !crate::testenv::require_tool("strace") {
        return;
    }
    let env = TestEnv::new();
    sparse_source(&env);
    let child = std::process::Command::new("strace")
        .args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=copy_file_range,pwrite64",
            "-e",
            "inject=copy_file_range,pwrite64:delay_enter=1000000:when=1",
            crate::testenv::FCOPY,
            "--reflink=never",
            "s",
            "d",
        ])
        .current_dir(env.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let fcopy = crate::testenv::traced_pid(child.id()).expect("fcopy under strace");
    assert!(
        crate::testenv::wait_until_open(fcopy, &env.join("d")),
        "fcopy never opened d"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = std::process::Command::new("kill")
        .args(["-USR1", &fcopy.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let line = stderr.lines().next().expect("a status line");
    assert!(line.contains(" copied, 0/1 files, "), "{line}");
    let copied: u64 = line
        .split(" (")
        .nth(1)
        .and_then(|rest| rest.split(" bytes)").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {line:?}"));
    assert!(copied <= 4 << 20, "holes counted as copied: {line:?}");
    assert!(env.read("d") == std::fs::read(env.join("s")).unwrap());
}

/// helper-86, round 17: a write refused by a `/proc` or `/sys` file added "was being
/// overwritten and is now incomplete; its old contents cannot be restored", which is false
/// there: `O_TRUNC` empties nothing and the refused write stored nothing. GNU cp says only the
/// write error; so does fcopy, word for word (root: as anyone else the open is refused first).
#[test]
fn a_refused_write_to_a_proc_file_says_only_the_write_error() {
    if !crate::testenv::require_root("writing /proc/version (mode 0444)") {
        return;
    }
    let env = TestEnv::new();
    env.write("a", "hello\n");
    let before = std::fs::read("/proc/version").unwrap();
    let run = env.run(&["a", "/proc/version"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let gnu = std::process::Command::new("/usr/bin/cp")
        .args(["a", "/proc/version"])
        .current_dir(env.path())
        .output()
        .unwrap();
    let gnu_said = String::from_utf8_lossy(&gnu.stderr).replacen("/usr/bin/cp: ", "fcopy: ", 1);
    if gnu.status.success() || gnu_said.is_empty() {
        crate::testenv::record_skip("GNU cp at /usr/bin/cp did not fail here to compare with");
    } else {
        run.stderr_is(&gnu_said);
    }
    let said = run.stderr();
    assert!(
        said.starts_with("fcopy: error writing '/proc/version': ") && said.lines().count() == 1,
        "{said}"
    );
    assert_eq!(std::fs::read("/proc/version").unwrap(), before);
}
