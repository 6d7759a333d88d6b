//! Byte ranges, new-user report of round 10: a range is refused where fcopy would not write
//! bytes (`-l`, `-s`, `--attributes-only`, a symbolic link copied as one with `-P`/`-d`),
//! instead of being dropped while DEST was replaced by a link or an empty file.

use crate::testenv::TestEnv;

/// `fcopy -lf --len 3 s q` made `q` a hard link to all of `s` (its own bytes gone), exit 0;
/// `-sf`, `--attributes-only` and `-P` with a symlink SOURCE dropped the range as well.
#[test]
fn a_range_with_links_attributes_only_or_no_dereference_is_refused() {
    let env = TestEnv::new();
    env.write("s", "0123456789");
    std::os::unix::fs::symlink("s", env.join("slk")).unwrap();
    let cases: [&[&str]; 7] = [
        &["-lf", "--len", "3", "s", "q"],
        &["-sf", "--offset-out", "2", "--len", "3", "s", "q"],
        &["-f", "--attributes-only", "--len", "3", "s", "q"],
        &["-f", "-P", "--len", "3", "slk", "q"],
        &["-f", "-d", "--len", "3", "slk", "q"],
        &["-L", "-P", "--len", "3", "slk", "q"],
        &["-l", "--len", "3", "s", "new"],
    ];
    for args in cases {
        env.write("q", "patch me, keep me");
        let run = env.run(args);
        assert_eq!(run.code(), Some(1), "{args:?}");
        assert!(
            run.stderr()
                .starts_with("fcopy: --offset-in, --offset-out and --len "),
            "{args:?}: {}",
            run.stderr()
        );
        assert_eq!(env.read("q"), b"patch me, keep me", "{args:?}");
        assert!(!env.join("new").exists(), "{args:?}");
        let md = std::fs::symlink_metadata(env.join("q")).unwrap();
        assert!(md.is_file() && md.len() == 17, "{args:?}");
    }
    // The last of -L/-P decides: -P then -L follows the link and copies the range.
    env.write("q", "patch me, keep me");
    let run = env.run(&["-P", "-L", "--offset-out", "2", "--len", "3", "slk", "q"]);
    run.success();
    assert_eq!(env.read("q"), b"pa012 me, keep me");
}

/// A `--batch` line's own range with `-l`/`-s`/`--attributes-only`, or with a symbolic link
/// SOURCE that `-P`/`-d`/`-r` would copy as a link, fails that line (DEST kept); a regular
/// file's range under `-r`/`-a`/`-d` is copied.
#[test]
fn a_batch_lines_range_where_no_bytes_would_be_written_fails_the_line() {
    let env = TestEnv::new();
    env.write("s", "0123456789");
    std::os::unix::fs::symlink("s", env.join("slk")).unwrap();
    let cases: [(&str, &[&str]); 6] = [
        ("s", &["-l"]),
        ("s", &["-sf"]),
        ("s", &["--attributes-only"]),
        ("slk", &["-d"]),
        ("slk", &["-r"]),
        ("slk", &["-P"]),
    ];
    for (source, opts) in cases {
        env.write("q", "patch me, keep me");
        let line = format!("{source}\tq\t0\t2\t3\n");
        let run = env
            .fcopy()
            .args(&["--batch", "-"])
            .args(opts)
            .stdin_bytes(line)
            .run();
        assert_eq!(run.code(), Some(1), "{source} {opts:?}");
        assert!(
            run.stderr().contains("-:1: the line has its own range"),
            "{source} {opts:?}: {}",
            run.stderr()
        );
        assert_eq!(env.read("q"), b"patch me, keep me", "{source} {opts:?}");
    }
    for opts in [&["-r"][..], &["-a"], &["-d"]] {
        env.write("q", "patch me, keep me");
        let run = env
            .fcopy()
            .args(&["--batch", "-"])
            .args(opts)
            .stdin_bytes("s\tq\t0\t2\t3\n")
            .run();
        run.success();
        assert_eq!(env.read("q"), b"pa012 me, keep me", "{opts:?}");
    }
}

/// Red team, round 10: a `--batch` line's own range with a directory SOURCE under `-r` was
/// applied to every file of the tree (an existing copy patched), exit 0; the line now fails,
/// as a command-line range with `-r` is refused.
#[test]
fn a_batch_lines_range_with_a_directory_source_fails_the_line() {
    let env = TestEnv::new();
    env.write("t1/a", "hello-world");
    env.write("t1o/a", "ZZZZZZZZZZZZZZZ");
    for line in ["t1\tt1n\t2\t0\t3\n", "t1/.\tt1o\t2\t0\t3\n"] {
        let run = env
            .fcopy()
            .args(&["-r", "--batch", "-"])
            .stdin_bytes(line)
            .run();
        assert_eq!(run.code(), Some(1), "{line:?}");
        assert!(
            run.stderr().contains("SOURCE is a directory"),
            "{}",
            run.stderr()
        );
    }
    assert!(!env.join("t1n").exists());
    assert_eq!(env.read("t1o/a"), b"ZZZZZZZZZZZZZZZ");
}

/// Red team, round 10: `--attributes-only a -` panicked (exit 134), also from a `--batch`
/// line; the dry run planned a copy. All say the open's error now, exit 1.
#[test]
fn attributes_only_to_standard_output_fails_without_a_panic() {
    let env = TestEnv::new();
    env.write("a", "ab");
    let want = "fcopy: cannot create regular file '-': Operation not supported\n";
    for args in [
        &["--attributes-only", "a", "-"][..],
        &["--dry-run", "--attributes-only", "a", "-"],
    ] {
        let run = env.run(args);
        assert_eq!(
            (run.code(), run.stderr()),
            (Some(1), want.to_string()),
            "{args:?}"
        );
    }
    let run = env
        .fcopy()
        .args(&["--attributes-only", "-j2", "--batch", "-"])
        .stdin_bytes("a\t-\n")
        .run();
    // A job's error names its line of the list (`-:1:`, as a malformed line's does).
    let want = want.replacen("fcopy: ", "fcopy: -:1: ", 1);
    assert_eq!((run.code(), run.stderr()), (Some(1), want));
}
