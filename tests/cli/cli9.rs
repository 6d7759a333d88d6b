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
