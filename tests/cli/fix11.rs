//! Round 11's fixes of defects left from round 10: `-l`/`-s` with DEST `-` (standard output),
//! `-P`/`-d` with a byte range of a regular SOURCE, and `-u`'s remembered skips of a symbolic
//! link or FIFO with other names (moved into the planner, behaviour pinned here).

use std::os::unix::fs::MetadataExt;

use crate::testenv::TestEnv;

/// `fcopy -l a -` and `fcopy -s a -` copied `a` to standard output, the flag ignored, exit 0
/// (round 10's closing note). A link needs a name: a usage error, as `fcopy a b -` is, also
/// with `-T` and under `--dry-run`.
#[test]
fn a_link_to_standard_output_is_a_usage_error() {
    let env = TestEnv::new();
    env.write("a", "data");
    let cases: [(&[&str], &str); 6] = [
        (&["-l", "a", "-"], "hard"),
        (&["-s", "a", "-"], "symbolic"),
        (&["-T", "-l", "a", "-"], "hard"),
        (&["-fs", "a", "-"], "symbolic"),
        (&["--dry-run", "-l", "a", "-"], "hard"),
        (&["--dry-run", "-v", "-s", "a", "-"], "symbolic"),
    ];
    for (args, kind) in cases {
        let run = env.run(args);
        let want = format!(
            "fcopy: cannot make a {kind} link to standard output ('-'): a link needs a file \
             name; a file named - is ./-\nTry 'fcopy --help' for more information.\n"
        );
        assert_eq!(
            (run.code(), run.stdout(), run.stderr()),
            (Some(1), String::new(), want),
            "{args:?}"
        );
    }
    assert!(!env.exists("-"));
}

/// A `--batch` line `SOURCE<TAB>-` with `-l`/`-s` fails that line with the same words (its
/// `FILE:LINE:` first, as every line's problem), copying nothing to standard output; the other
/// lines are linked.
#[test]
fn a_batch_lines_link_to_standard_output_fails_the_line() {
    let env = TestEnv::new();
    env.write("a", "data");
    for (opts, kind) in [
        (&["-l"][..], "hard"),
        (&["-s"], "symbolic"),
        (&["--dry-run", "-l"], "hard"),
        (&["-j2", "-s"], "symbolic"),
    ] {
        let _ = std::fs::remove_file(env.join("b"));
        let run = env
            .fcopy()
            .args(&["--batch", "-"])
            .args(opts)
            .current_dir(env.path())
            .stdin_bytes("a\t-\na\tb\n")
            .run();
        assert_eq!(run.code(), Some(1), "{opts:?}: {}", run.stderr());
        // The dry run's plan of the second line; nothing of `a`'s data.
        let dry = opts[0] == "--dry-run";
        let plan = if dry { "'a' -> 'b' (hardlink)\n" } else { "" };
        assert_eq!(run.stdout(), plan, "{opts:?}");
        let want = format!(
            "fcopy: -:1: cannot make a {kind} link to standard output ('-'): a link needs a \
             file name; a file named - is ./-\n"
        );
        assert_eq!(run.stderr(), want, "{opts:?}");
        if dry {
            assert!(!env.exists("b"));
            continue;
        }
        let md = std::fs::symlink_metadata(env.join("b")).unwrap();
        assert_eq!(md.file_type().is_symlink(), kind == "symbolic", "{opts:?}");
    }
    assert!(!env.exists("-"));
}

/// `-P`/`-d` with a byte range was a usage error even for a regular SOURCE, which `-P` leaves
/// alone (a `--batch` line's range was copied); it is refused only when SOURCE is a symbolic
/// link, which would be copied as a link, the range dropped: exit 1, DEST untouched, in the
/// dry run too.
#[test]
fn no_dereference_refuses_a_range_only_of_a_symbolic_link() {
    let env = TestEnv::new();
    env.write("s", "0123456789");
    std::os::unix::fs::symlink("s", env.join("slk")).unwrap();
    for opt in ["-P", "-d", "--no-dereference"] {
        env.write("q", "patch me, keep me");
        let run = env.run(&[opt, "--offset-out", "2", "--len", "3", "s", "q"]);
        assert_eq!(run.code(), Some(0), "{opt}: {}", run.stderr());
        assert_eq!(env.read("q"), b"pa012 me, keep me", "{opt}");
        let run = env.run(&[opt, "--len", "4", "s", "new"]);
        assert_eq!(run.code(), Some(0), "{opt}: {}", run.stderr());
        assert_eq!(env.read("new"), b"0123", "{opt}");
        std::fs::remove_file(env.join("new")).unwrap();
        let run = env.run(&["--dry-run", opt, "--len", "3", "s", "q"]);
        assert_eq!(run.code(), Some(0), "{opt}: {}", run.stderr());
    }
    let want = "fcopy: --offset-in, --offset-out and --len read a file's bytes; they cannot be \
                used with -P or -d ('slk' is a symbolic link)\n";
    for args in [
        &["-P", "--len", "3", "slk", "q"][..],
        &["-fd", "--offset-out", "2", "--len", "3", "slk", "q"],
        &["-P", "--len", "3", "slk", "new"],
        &["--dry-run", "-P", "--len", "3", "slk", "q"],
        &["--dry-run", "-P", "--len", "3", "slk", "new"],
    ] {
        env.write("q", "patch me, keep me");
        let run = env.run(args);
        assert_eq!(
            (run.code(), run.stderr()),
            (Some(1), want.to_string()),
            "{args:?}"
        );
        let md = std::fs::symlink_metadata(env.join("q")).unwrap();
        assert!(md.is_file(), "{args:?}");
        assert_eq!(env.read("q"), b"patch me, keep me", "{args:?}");
        assert!(
            std::fs::symlink_metadata(env.join("new")).is_err(),
            "{args:?}"
        );
    }
}

/// `cp -a -u` of two names of one symbolic link and of one FIFO onto four newer files: the
/// first name of each is skipped and remembered, the second linked to its DEST (GNU 9.1's `-u`
/// branch). Pins what the dry run plans and the run says and makes (round 11 moved the rule
/// from the drive layer into `plan::replace`).
#[test]
fn update_with_links_kept_links_a_later_skipped_node_in_the_plan_and_the_run() {
    let env = TestEnv::new();
    std::fs::create_dir(env.join("src")).unwrap();
    std::os::unix::fs::symlink("target", env.join("src/l1")).unwrap();
    std::fs::hard_link(env.join("src/l1"), env.join("src/l2")).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(env.join("src/p1"))
        .status();
    if !fifo.is_ok_and(|s| s.success()) {
        crate::testenv::skip("mkfifo failed");
        return;
    }
    std::fs::hard_link(env.join("src/p1"), env.join("src/p2")).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    for name in ["l1", "l2", "p1", "p2"] {
        let file = env.write(format!("t/{name}"), name);
        let file = std::fs::File::options().write(true).open(file).unwrap();
        file.set_modified(later).unwrap();
    }
    let ino = |name: &str| std::fs::metadata(env.join(name)).unwrap().ino();
    let before: Vec<u64> = ["t/l1", "t/l2", "t/p1", "t/p2"].map(ino).to_vec();
    let dry = env
        .fcopy()
        .args(&["-a", "-u", "-v", "--dry-run", "src/.", "t"])
        .current_dir(env.path())
        .run();
    // The names of one inode come in directory order (tmpfs lists the newest first): the
    // first met is skipped and remembered, the other linked to it.
    let listed: Vec<String> = std::fs::read_dir(env.join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let in_order = |a: &'static str, b: &'static str| {
        let at = |n: &str| listed.iter().position(|l| l == n).unwrap();
        if at(a) < at(b) {
            (a, b)
        } else {
            (b, a)
        }
    };
    let (l_first, l_later) = in_order("l1", "l2");
    let (p_first, p_later) = in_order("p1", "p2");
    let planned = format!(
        "'src/.' -> 't/.' (directory)\n\
         'src/./{l_first}' -> 't/./{l_first}' (skipped)\n\
         'src/./{l_later}' -> 't/./{l_later}' (hardlink)\n\
         'src/./{p_first}' -> 't/./{p_first}' (skipped)\n\
         'src/./{p_later}' -> 't/./{p_later}' (hardlink)\n"
    );
    let lines = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    assert_eq!(
        (dry.code(), lines(&dry.stdout())),
        (Some(0), lines(&planned))
    );
    let after: Vec<u64> = ["t/l1", "t/l2", "t/p1", "t/p2"].map(ino).to_vec();
    assert_eq!(before, after, "the dry run changed nothing");
    let run = env
        .fcopy()
        .args(&["-a", "-u", "-v", "src/.", "t"])
        .current_dir(env.path())
        .run();
    let said = format!(
        "'src/./{l_later}' -> 't/./{l_later}'\nremoved 't/./{l_later}'\n\
         'src/./{p_later}' -> 't/./{p_later}'\nremoved 't/./{p_later}'\n"
    );
    assert_eq!((run.code(), lines(&run.stdout())), (Some(0), lines(&said)));
    for name in [l_later, p_later] {
        let pair = format!("'src/./{name}' -> 't/./{name}'\nremoved 't/./{name}'\n");
        assert!(run.stdout().contains(&pair), "{}", run.stdout());
    }
    // Each later name is now a link to its group's first DEST, which kept its data.
    let kept = |name: &str| {
        before[["l1", "l2", "p1", "p2"]
            .iter()
            .position(|n| *n == name)
            .unwrap()]
    };
    assert_eq!((ino("t/l1"), ino("t/l2")), (kept(l_first), kept(l_first)));
    assert_eq!((ino("t/p1"), ino("t/p2")), (kept(p_first), kept(p_first)));
    assert_eq!(env.read(format!("t/{l_later}")), l_first.as_bytes());
}
