//! A new user's findings, round 9 (helper cli9): a repeated option that would drop work is
//! refused (`-t` twice in GNU cp 9.1's words); `-i` takes only a line starting with `y`/`Y`
//! (GNU's `^[yY]`); `-l -i f f` asks first, as GNU does; `-vb` names the backup after DEST as
//! given; `--dry-run` fails where the run cannot create DEST.

use crate::testenv::TestEnv;

/// `-t o1 -t o2` copied into o2 and `--batch j1 --batch j2` ran only j2, exit 0. GNU cp 9.1:
/// "cp: multiple target directories specified", exit 1, no "Try" line; fcopy's own lists and
/// byte ranges are usage errors, and nothing is copied.
#[test]
fn repeated_options_that_would_drop_work_are_refused() {
    let env = TestEnv::new();
    env.write("s1", b"s1");
    env.write("j1", b"s1\tj1out\n");
    env.write("j2", b"s1\tj2out\n");
    env.write("l1", b"s1\n");
    std::fs::create_dir(env.join("o1")).unwrap();
    std::fs::create_dir(env.join("o2")).unwrap();
    let run = env.run(&["-t", "o1", "-t", "o2", "s1"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        "fcopy: multiple target directories specified\n"
    );
    let cases: [(&[&str], &str); 5] = [
        (&["--batch", "j1", "--batch=j2"], "--batch"),
        (
            &["--files-from", "l1", "--files-from=l1", "o1"],
            "--files-from",
        ),
        (
            &["--offset-in", "1", "--offset-in=0", "s1", "x"],
            "--offset-in",
        ),
        (
            &["--offset-out=1", "--offset-out", "0", "s1", "x"],
            "--offset-out",
        ),
        (&["--len", "1", "--len", "2", "s1", "x"], "--len"),
    ];
    for (args, name) in cases {
        let run = env.run(args);
        assert_eq!(run.code(), Some(1), "{args:?}");
        let want = format!(
            "fcopy: option '{name}' may be given only once\n\
             Try 'fcopy --help' for more information.\n"
        );
        assert_eq!(run.stderr(), want, "{args:?}");
    }
    for copy in ["o1/s1", "o2/s1", "j1out", "j2out", "x"] {
        assert!(!env.exists(copy), "{copy} was copied");
    }
    // GNU cp takes the last -S, and so does fcopy.
    env.write("o1/s1", b"old");
    let run = env.run(&["-b", "-S", ".a", "-S", ".b", "s1", "o1/"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(env.read("o1/s1.b"), b"old");
}

/// `printf ' y\n' | fcopy -i s d` overwrote d. GNU cp 9.1's yesno() matches `^[yY]` (rpmatch,
/// coreutils lib/yesno.c): a leading blank is no, and d is kept (exit 0, as a declined `-i`).
#[test]
fn interactive_answer_with_leading_blank_is_no() {
    let env = TestEnv::new();
    env.write("s", b"new");
    env.write("d", b"old");
    for answer in [" y\n", "\ty\n", "n\n", ""] {
        let run = env
            .fcopy()
            .args(&["-i", "s", "d"])
            .stdin_bytes(answer)
            .run();
        assert_eq!(run.code(), Some(0), "{answer:?}: {}", run.stderr());
        assert_eq!(run.stderr(), "fcopy: overwrite 'd'? ", "{answer:?}");
        assert_eq!(env.read("d"), b"old", "{answer:?}");
    }
    let run = env
        .fcopy()
        .args(&["-i", "s", "d"])
        .stdin_bytes("Yes\n")
        .run();
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(env.read("d"), b"new");
}

/// `fcopy -l -i a a` (and onto another hard link of a, and `-d` onto another hard link of a
/// symlink) did nothing without asking. GNU cp 9.1 asks "overwrite 'a'?" first (its
/// `overwrite_ok` comes before `same_file_ok`'s `return_now`), then does nothing and exits 0
/// whatever the answer.
#[test]
fn link_onto_itself_asks_first_as_gnu() {
    let env = TestEnv::new();
    env.write("a", b"a");
    std::fs::hard_link(env.join("a"), env.join("b")).unwrap();
    std::os::unix::fs::symlink("x", env.join("l")).unwrap();
    std::fs::hard_link(env.join("l"), env.join("l2")).unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["-l", "-i", "a", "a"], "a"),
        (&["-l", "-i", "a", "b"], "b"),
        (&["-d", "-i", "l", "l2"], "l2"),
    ];
    for (args, dest) in cases {
        for answer in ["y\n", "n\n"] {
            let run = env.fcopy().args(args).stdin_bytes(answer).run();
            assert_eq!(run.code(), Some(0), "{args:?} {answer:?}");
            let want = format!("fcopy: overwrite '{dest}'? ");
            assert_eq!(run.stderr(), want, "{args:?} {answer:?}");
        }
    }
    assert_eq!(env.read("a"), b"a");
    assert_eq!(std::fs::read_link(env.join("l2")).unwrap().as_os_str(), "x");
}

/// `fcopy -vb s/a d/./a` said `(backup: 'd/a~')`; GNU cp 9.1 keeps DEST's text:
/// `(backup: 'd/./a~')`. The backup file itself is the same.
#[test]
fn verbose_backup_is_named_after_dest_as_given() {
    let env = TestEnv::new();
    env.write("s/a", b"new");
    env.write("d/a", b"old");
    let run = env.run(&["-vb", "s/a", "d/./a"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout(), "'s/a' -> 'd/./a' (backup: 'd/./a~')\n");
    let run = env.run(&["-v", "--backup=t", "s/a", "d//a"]);
    assert_eq!(run.stdout(), "'s/a' -> 'd//a' (backup: 'd//a.~1~')\n");
    let run = env.run(&["--dry-run", "--backup=simple", "s/a", "d/./a"]);
    assert!(
        run.stdout().ends_with(" (backup: 'd/./a~')\n"),
        "{}",
        run.stdout()
    );
    assert_eq!(env.read("d/a~"), b"old");
}

/// The dry run and the run of `args` in `env`, each under `wrap` (a command prefix, or none):
/// each run's (exit status, stderr with the program's name as `fcopy`).
fn dry_and_real(env: &TestEnv, wrap: &[&str], args: &[&str]) -> [(Option<i32>, String); 2] {
    let run = |dry: bool| {
        let mut cmd = env.fcopy();
        if !wrap.is_empty() {
            cmd = cmd.wrapped(wrap);
        }
        if dry {
            cmd = cmd.arg("--dry-run");
        }
        let run = cmd.args(args).run();
        (run.code(), run.stderr())
    };
    [run(true), run(false)]
}

/// As a user who may not write the directory, `--dry-run f ro/x` planned the copy and exited
/// 0; the run says "cannot create regular file 'ro/x': Permission denied", exit 1. The plan now
/// looks (faccessat, AT_EACCESS) and says the same. As root the run is made as uid 65534
/// through setpriv.
#[test]
fn dry_run_fails_where_dest_cannot_be_created() {
    use std::os::unix::fs::PermissionsExt;
    let wrap: &[&str] = if crate::testenv::is_root() {
        if !crate::testenv::require_tool("setpriv") {
            return;
        }
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
    } else {
        &[]
    };
    let env = TestEnv::new();
    env.write("f", b"f");
    std::fs::create_dir(env.join("ro")).unwrap();
    let mode = |path, mode| std::fs::set_permissions(path, PermissionsExt::from_mode(mode));
    mode(env.path().to_path_buf(), 0o755).unwrap();
    mode(env.join("f"), 0o644).unwrap();
    mode(env.join("ro"), 0o555).unwrap();
    let want = (
        Some(1),
        "fcopy: cannot create regular file 'ro/x': Permission denied\n".to_owned(),
    );
    assert_eq!(
        dry_and_real(&env, wrap, &["f", "ro/x"]),
        [want.clone(), want]
    );
    assert!(!env.exists("ro/x"));
    // An existing DEST the caller may not write (red team, round 9: planned, exit 0).
    env.write("old", b"o");
    mode(env.join("old"), 0o444).unwrap();
    let want = (
        Some(1),
        "fcopy: cannot create regular file 'old': Permission denied\n".to_owned(),
    );
    assert_eq!(
        dry_and_real(&env, wrap, &["f", "old"]),
        [want.clone(), want]
    );
    assert_eq!(env.read("old"), b"o");
    // A directory the run would make there (red team, round 9: planned, exit 0).
    env.write("tree/a", b"a");
    let want = (
        Some(1),
        "fcopy: cannot create directory 'ro/t': Permission denied\n".to_owned(),
    );
    assert_eq!(
        dry_and_real(&env, wrap, &["-r", "tree", "ro/t"]),
        [want.clone(), want]
    );
    assert!(!env.exists("ro/t"));
}

/// Into a read-only mount (a tmpfs mounted `ro` in a user and mount namespace), `--dry-run`
/// planned the copy; the run fails with "Read-only file system". Needs `unshare -rm` (user
/// namespaces).
#[test]
fn dry_run_fails_on_a_read_only_mount() {
    if !crate::testenv::require_tool("unshare") {
        return;
    }
    let env = TestEnv::new();
    env.write("f", b"f");
    std::fs::create_dir(env.join("romnt")).unwrap();
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "mount", "-t", "tmpfs", "-o", "ro", "none"])
        .arg(env.join("romnt"))
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        crate::testenv::skip("unshare -rm cannot mount a tmpfs here (no user namespaces)");
        return;
    }
    let mount = "mount -t tmpfs -o ro none romnt && exec \"$0\" \"$@\"";
    let wrap = ["unshare", "-rm", "sh", "-c", mount];
    let want = (
        Some(1),
        "fcopy: cannot create regular file 'romnt/x': Read-only file system\n".to_owned(),
    );
    assert_eq!(
        dry_and_real(&env, &wrap, &["f", "romnt/x"]),
        [want.clone(), want]
    );
}
