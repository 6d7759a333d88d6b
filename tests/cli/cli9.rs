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
