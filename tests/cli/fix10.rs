//! Follow-ups of round 10's `--dry-run` work (helper fix10): the dry run agrees with the run
//! for symbolic links, `-l`/`-s` links and special files in a sticky directory; `-f`'s failed
//! removal is said as GNU cp 9.1 says it; `--mkpath` with DEST ending in `..`. Each case runs
//! the binary twice on identical fresh fixtures, once for real and once with `--dry-run`, and
//! asserts the same exit status and messages, and that the dry run changed nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::dry10::{as_nobody, mode};
use crate::testenv::TestEnv;

/// One run's exit status and standard error, its lines sorted.
type Outcome = (Option<i32>, String);

/// Runs `args` under `wrap` (a command prefix, or none) in a fresh fixture made by `setup`,
/// for real and with `--dry-run` (each in its own fixture); returns `[dry, real]`, asserting
/// that the dry run left its fixture as it was.
fn dry_and_real(setup: &dyn Fn(&TestEnv), wrap: &[String], args: &[&str]) -> [Outcome; 2] {
    let run = |dry: bool| {
        let env = TestEnv::new();
        fs::set_permissions(env.path(), fs::Permissions::from_mode(0o777)).unwrap();
        setup(&env);
        let before = env.listing();
        let mut cmd = env.fcopy();
        if !wrap.is_empty() {
            cmd = cmd.wrapped(wrap);
        }
        if dry {
            cmd = cmd.arg("--dry-run");
        }
        // `ABS`: the fixture's `s` by its absolute path (`-s` makes relative links only in
        // the current directory), put back as `ABS` in the messages.
        let abs = env.join("s");
        let args: Vec<&std::ffi::OsStr> = args
            .iter()
            .map(|a| match *a {
                "ABS" => abs.as_os_str(),
                a => a.as_ref(),
            })
            .collect();
        let run = cmd.args(&args).run();
        if dry {
            assert_eq!(
                env.listing(),
                before,
                "the dry run of {args:?} changed the fixture"
            );
        }
        let stderr = run.stderr().replace(abs.to_str().unwrap(), "ABS");
        let mut lines: Vec<&str> = stderr.lines().collect();
        lines.sort_unstable();
        (run.code(), lines.join("\n"))
    };
    [run(true), run(false)]
}

/// Asserts that the dry run and the run of `args` both fail with exit 1 and `want`.
fn both_fail(setup: &dyn Fn(&TestEnv), wrap: &[String], args: &[&str], want: &str) {
    let want = (Some(1), want.to_string());
    let [dry, real] = dry_and_real(setup, wrap, args);
    assert_eq!(real, want, "the run of {args:?}");
    assert_eq!(dry, want, "the dry run of {args:?} (the run: {real:?})");
}

/// `s` (root's source, 644), the symlink `sl` to it, the FIFO `ff` (666), and the sticky
/// directory `st` (1777, root's) holding root's `st/f` (644) and nobody's `st/mine`; root's
/// `ro` (755).
fn sticky_fixture(env: &TestEnv) {
    env.write("s", b"new");
    mode(&env.join("s"), 0o644);
    std::os::unix::fs::symlink("s", env.join("sl")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(env.join("ff"))
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    mode(&env.join("ff"), 0o666);
    fs::create_dir(env.join("st")).unwrap();
    mode(&env.join("st"), 0o1777);
    env.write("st/f", b"old");
    mode(&env.join("st/f"), 0o644);
    env.write("st/mine", b"mine");
    mode(&env.join("st/mine"), 0o644);
    std::os::unix::fs::chown(env.join("st/mine"), Some(65534), Some(65534)).unwrap();
    fs::create_dir(env.join("ro")).unwrap();
    mode(&env.join("ro"), 0o755);
}

/// As nobody, a link or special file made in a directory the caller may not write (root's,
/// 755): the run's creation fails (EACCES); the dry run planned it (fix10).
#[test]
fn links_and_special_files_into_a_directory_the_caller_may_not_write() {
    let Some(nobody) = as_nobody("a directory of another user") else {
        return;
    };
    let cases: [(&[&str], &str); 4] = [
        (
            &["-s", "ABS", "ro/x"],
            "fcopy: cannot create symbolic link 'ro/x' to 'ABS': Permission denied",
        ),
        (
            &["-l", "st/mine", "ro/x"],
            "fcopy: cannot create hard link 'ro/x' to 'st/mine': Permission denied",
        ),
        (
            &["-P", "sl", "ro/x"],
            "fcopy: cannot create symbolic link 'ro/x': Permission denied",
        ),
        (
            &["-r", "ff", "ro/x"],
            "fcopy: cannot create fifo 'ro/x': Permission denied",
        ),
    ];
    for (args, want) in cases {
        both_fail(&sticky_fixture, &nobody, args, want);
    }
}

/// As nobody, over root's file in a sticky directory (mode 1777), links and special files:
/// the run refuses them (GNU cp 9.1's words, measured as uid 65534 with /bin/cp); the dry run
/// planned them and exited 0 (reported by helper dry10, round 10). `-l` links nobody's own
/// file (root's would meet `protected_hardlinks` first). The run itself said "cannot create
/// fifo 'st/f': File exists" and "cannot create hard link ...: File exists" where GNU, which
/// unlinks first, says "cannot remove".
#[test]
fn sticky_directory_links_and_special_files() {
    let Some(nobody) = as_nobody("a file of another user in a sticky directory") else {
        return;
    };
    let remove = "fcopy: cannot remove 'st/f': Operation not permitted";
    let backup = "fcopy: cannot backup 'st/f': Operation not permitted";
    let cases: [(&[&str], &str); 9] = [
        (
            &["-sf", "ABS", "st/f"],
            "fcopy: cannot create symbolic link 'st/f' to 'ABS': Operation not permitted",
        ),
        (
            &["-lf", "st/mine", "st/f"],
            "fcopy: cannot create hard link 'st/f' to 'st/mine': Operation not permitted",
        ),
        (&["-b", "-s", "ABS", "st/f"], backup),
        // GNU backs up before its relative-link check.
        (&["-b", "-s", "s", "st/f"], backup),
        (&["--remove-destination", "-P", "sl", "st/f"], remove),
        (&["-f", "-P", "sl", "st/f"], remove),
        (&["-r", "--remove-destination", "ff", "st/f"], remove),
        (&["-l", "--remove-destination", "st/mine", "st/f"], remove),
        (&["-s", "--remove-destination", "ABS", "st/f"], remove),
    ];
    for (args, want) in cases {
        both_fail(&sticky_fixture, &nobody, args, want);
    }
}

/// `-f` over another user's file in a sticky directory, as nobody: the open fails (EACCES),
/// then the removal `-f` tries (EPERM). GNU cp 9.1 (copy_reg's `unlink_dest_after_failed_open`)
/// says "cannot remove 'st/f': Operation not permitted" (measured as uid 65534 with /bin/cp);
/// fcopy's run and dry run said the open's "cannot create regular file ...: Permission denied".
#[test]
fn force_says_the_failed_removal() {
    let Some(nobody) = as_nobody("a file of another user in a sticky directory") else {
        return;
    };
    let want = "fcopy: cannot remove 'st/f': Operation not permitted";
    both_fail(&sticky_fixture, &nobody, &["-f", "s", "st/f"], want);
    // A regular file the caller may write is still opened and written, not removed.
    let setup = |env: &TestEnv| {
        sticky_fixture(env);
        mode(&env.join("st/f"), 0o666);
    };
    let [dry, real] = dry_and_real(&setup, &nobody, &["-f", "s", "st/f"]);
    assert_eq!(
        (dry, real),
        ((Some(0), String::new()), (Some(0), String::new()))
    );
}

/// `--mkpath s new/sub/..`: the run makes `new/sub` (DEST's parent, as `Path::parent` has it:
/// `..` is a name there), then finds DEST a directory (`new`) and copies into it as
/// `new/sub/../s`. GNU cp 9.1 has no `--mkpath`. The dry run named `new/sub/..` itself as the
/// copy (planned a file where the run makes `new/s`); it now names what the run names. So for
/// `--batch` jobs, and for two SOURCEs into `new/sub/..` (made whole, then copied into).
#[test]
fn mkpath_with_dest_ending_in_dot_dot() {
    let setup = |env: &TestEnv| {
        env.write("s", b"data");
        env.write("t", b"more");
        env.write("jobs", b"s\tnew/sub/..\n");
    };
    let cases: [(&[&str], &[&str]); 3] = [
        (&["--mkpath", "s", "new/sub/.."], &["new/sub/../s"]),
        (&["--mkpath", "--batch", "jobs"], &["new/sub/../s"]),
        (
            &["--mkpath", "s", "t", "new/sub/.."],
            &["new/sub/../s", "new/sub/../t"],
        ),
    ];
    for (args, copies) in cases {
        let env = TestEnv::new();
        setup(&env);
        let args: Vec<&str> = args.iter().copied().chain(["-v"]).collect();
        let real = env.fcopy().args(&args).run();
        assert_eq!(
            real.code(),
            Some(0),
            "the run of {args:?}: {}",
            real.stderr()
        );
        for copy in copies {
            assert_eq!(
                env.read(copy),
                env.read(&copy["new/sub/../".len()..]),
                "{args:?}"
            );
            let line = format!("-> '{copy}'");
            assert!(
                real.stdout().contains(&line),
                "the run of {args:?}: {}",
                real.stdout()
            );
        }
        let env = TestEnv::new();
        setup(&env);
        let before = env.listing();
        let dry = env.fcopy().arg("--dry-run").args(&args).run();
        assert_eq!(
            env.listing(),
            before,
            "the dry run of {args:?} changed the fixture"
        );
        assert_eq!(
            (dry.code(), dry.stderr()),
            (Some(0), String::new()),
            "the dry run of {args:?}"
        );
        for copy in copies {
            let line = format!("-> '{copy}'");
            assert!(
                dry.stdout().contains(&line),
                "the dry run of {args:?}: {}",
                dry.stdout()
            );
        }
    }
}
