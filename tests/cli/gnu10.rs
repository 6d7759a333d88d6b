//! GNU cp 9.1 differences closed in round 10 (helper gnu10): the hard links between names of one
//! symbolic link or special file kept by `-a`, `-u`'s remembered skipped files, `--debug -u`
//! onto the source itself, a declined `-i` under `POSIXLY_CORRECT`. Each expectation was
//! measured with GNU cp 9.1 (`/bin/cp`) on the same files.

use std::os::unix::fs::MetadataExt;

use crate::testenv::TestEnv;

/// (device, inode) of `rel`, not followed.
fn id(env: &TestEnv, rel: &str) -> (u64, u64) {
    let m = std::fs::symlink_metadata(env.join(rel)).unwrap();
    (m.dev(), m.ino())
}

/// `src/l1` and `src/l2`, two names of one symbolic link to `target`, and `src/p1` and `src/p2`,
/// two names of one FIFO (0644); false when the FIFO could not be made.
fn linked_symlink_and_fifo(env: &TestEnv, target: &str) -> bool {
    std::fs::create_dir(env.join("src")).unwrap();
    std::os::unix::fs::symlink(target, env.join("src/l1")).unwrap();
    std::fs::hard_link(env.join("src/l1"), env.join("src/l2")).unwrap();
    let fifo = rustix::fs::mknodat(
        rustix::fs::CWD,
        env.join("src/p1"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    );
    if fifo.is_ok() {
        std::fs::hard_link(env.join("src/p1"), env.join("src/p2")).unwrap();
    }
    fifo.is_ok()
}

/// Two names of one symbolic link, or of one FIFO: GNU's copy_internal links any non-directory
/// to its group's first copy, so `cp -a` and `cp -d --preserve=links -r` make one inode with two
/// names (fcopy made two separate symlinks or FIFOs), also over existing files and with `-b`.
#[test]
fn names_of_one_symlink_or_fifo_stay_one_inode() {
    let env = TestEnv::new();
    let fifo = linked_symlink_and_fifo(&env, "target");
    let runs: [&[&str]; 4] = [
        &["-a", "src", "a"],
        &["-d", "--preserve=links", "-r", "src", "d"],
        &["-a", "src/.", "a"],
        &["-ab", "src/.", "d"],
    ];
    for args in runs {
        let run = env.run(args);
        assert_eq!(run.code(), Some(0), "{args:?}: {}", run.stderr());
        let dest = args[args.len() - 1];
        let (l1, l2) = (format!("{dest}/l1"), format!("{dest}/l2"));
        assert_eq!(id(&env, &l1), id(&env, &l2), "{args:?}");
        assert_ne!(id(&env, &l1), id(&env, "src/l1"), "{args:?}");
        assert_eq!(
            std::fs::read_link(env.join(&l2)).unwrap(),
            std::path::Path::new("target")
        );
        if fifo {
            let (p1, p2) = (format!("{dest}/p1"), format!("{dest}/p2"));
            assert_eq!(id(&env, &p1), id(&env, &p2), "{args:?}");
        }
    }
    assert!(env.exists("d/l1~") && env.exists("d/l2~"));
    // --dry-run plans what the run does: one symlink, then a hard link to it.
    let run = env.run(&["-a", "--dry-run", "src", "z"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    let plan = run.stdout();
    let line = |name: &str| plan.lines().find(|l| l.contains(name)).unwrap().to_owned();
    let kinds =
        [line("src/l1'"), line("src/l2'")].map(|l| l.rsplit(' ').next().unwrap().to_owned());
    let mut kinds = kinds.to_vec();
    kinds.sort();
    assert_eq!(kinds, ["(hardlink)", "(symlink)"], "{plan}");
    assert!(!env.exists("z"));
    // Without links kept, two symlinks (GNU `cp -r`: -P inside the tree, no link map).
    let run = env.run(&["-r", "src", "r"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_ne!(id(&env, "r/l1"), id(&env, "r/l2"));
}

/// `-u` onto another name of the source itself where GNU's `same_file_ok` finds nothing to do
/// (`-d` onto a hard link of the symlink, `-l` onto a hard link of the file): GNU's `-u` branch
/// comes before that `return_now` and skips, exit 0; `--debug` says `skipped 'DEST'` as for every
/// other `-u` skip (fcopy said nothing here). GNU cp 9.1 itself has no `--debug` and prints
/// nothing, with `-v` too; `cp -u a a` is "are the same file" in both.
#[test]
fn update_onto_another_name_of_the_source_is_a_reported_skip() {
    let env = TestEnv::new();
    env.write("a", "a");
    std::fs::hard_link(env.join("a"), env.join("b")).unwrap();
    std::os::unix::fs::symlink("a", env.join("l")).unwrap();
    std::fs::hard_link(env.join("l"), env.join("l2")).unwrap();
    for (args, shown) in [
        (["-d", "-u", "l", "l2"], "l2"),
        (["-l", "-u", "a", "b"], "b"),
    ] {
        let run = env.fcopy().arg("--debug").args(&args).run();
        assert_eq!(run.code(), Some(0), "{args:?}: {}", run.stderr());
        assert_eq!(run.stdout(), format!("skipped '{shown}'\n"), "{args:?}");
        let run = env.fcopy().arg("-v").args(&args).run();
        assert_eq!(
            (run.code(), run.stdout()),
            (Some(0), String::new()),
            "{args:?}"
        );
    }
    assert_eq!(id(&env, "l"), id(&env, "l2"));
    assert_eq!(id(&env, "a"), id(&env, "b"));
    let run = env.run(&["--debug", "-u", "a", "a"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(run.stderr(), "fcopy: 'a' and 'a' are the same file\n");
}

/// GNU 9.1's `-u` branch remembers every file it skips, links kept or not, and links a later
/// skipped name of the same file to that DEST, replacing the newer file there (copy.c: "we
/// currently replace DST_NAME unconditionally, even if it was a newer separate file"): with
/// `cp -u a b dir`, `cp -r -u`, `cp -r -u -L`, `-R -u -H` the second newer DEST's data is gone
/// without a word. fcopy keeps every newer DEST unless links are kept (round 10: nothing lost
/// silently); with `-a -u` a later skipped name is linked, as GNU's tests/cp/preserve-link.sh.
#[test]
fn update_keeps_newer_dests_unless_links_are_kept() {
    let env = TestEnv::new();
    env.write("f", "source");
    env.write("src/h1", "source");
    std::fs::hard_link(env.join("src/h1"), env.join("src/h2")).unwrap();
    std::os::unix::fs::symlink("../f", env.join("src/s1")).unwrap();
    std::os::unix::fs::symlink("../f", env.join("src/s2")).unwrap();
    let newer = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    let older = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
    let dest = |dir: &str, names: [&str; 2], times: [std::time::SystemTime; 2]| {
        for (name, time) in names.into_iter().zip(times) {
            let file = env.write(format!("{dir}/{name}"), format!("old {name}"));
            let file = std::fs::File::options().write(true).open(file).unwrap();
            file.set_modified(time).unwrap();
        }
    };
    let runs: [(&[&str], [&str; 2]); 4] = [
        (&["-u", "src/h1", "src/h2", "a"], ["h1", "h2"]),
        (&["-r", "-u", "src/h1", "src/h2", "b"], ["h1", "h2"]),
        (&["-r", "-u", "-L", "src/s1", "src/s2", "c"], ["s1", "s2"]),
        (&["-R", "-u", "-H", "src/s1", "src/s2", "d"], ["s1", "s2"]),
    ];
    for (args, names) in runs {
        let dir = args[args.len() - 1];
        dest(dir, names, [newer, newer]);
        let run = env.run(args);
        assert_eq!(run.code(), Some(0), "{args:?}: {}", run.stderr());
        let (first, later) = (format!("{dir}/{}", names[0]), format!("{dir}/{}", names[1]));
        assert_ne!(id(&env, &first), id(&env, &later), "{args:?}");
        for name in names {
            let want = format!("old {name}");
            assert_eq!(
                env.read(format!("{dir}/{name}")),
                want.as_bytes(),
                "{args:?}"
            );
        }
    }
    // In a tree with -L: every newer DEST kept as it was.
    dest("e", ["s1", "s2"], [newer, newer]);
    dest("e", ["h1", "h2"], [newer, newer]);
    let run = env.run(&["-r", "-u", "-L", "src/.", "e"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    for name in ["s1", "s2", "h1", "h2"] {
        assert_eq!(
            env.read(format!("e/{name}")),
            format!("old {name}").as_bytes()
        );
    }
    // Links kept: the later skipped name is linked to the first DEST.
    dest("m", ["h1", "h2"], [newer, newer]);
    let run = env.run(&["-a", "-u", "src/h1", "src/h2", "m"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(id(&env, "m/h1"), id(&env, "m/h2"));
    assert_eq!(env.read("m/h2"), b"old h1");
    // A later name not skipped: its own copy, unless links are kept.
    for (keep, dir) in [(false, "g"), (true, "k")] {
        dest(dir, ["h1", "h2"], [newer, older]);
        let opt = if keep { "-a" } else { "-r" };
        let run = env.run(&[opt, "-u", "src/h1", "src/h2", dir]);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        let (h1, h2) = (format!("{dir}/h1"), format!("{dir}/h2"));
        assert_eq!(id(&env, &h1) == id(&env, &h2), keep, "{opt}");
        let want: &[u8] = if keep { b"old h1" } else { b"source" };
        assert_eq!(env.read(&h2), want, "{opt}");
    }
}

/// A symbolic link copied (`-d`) onto a directory: GNU's `-u` and `overwrite_ok` (`-n`, a
/// declined `-i`) come before "cannot overwrite directory", so those skip it, exit 0; an
/// accepted `-i` gets the error (measured with GNU cp 9.1). fcopy failed first in every case.
#[test]
fn update_no_clobber_and_interactive_come_before_a_directory_in_the_way_of_a_symlink() {
    let env = TestEnv::new();
    std::os::unix::fs::symlink("t", env.join("l")).unwrap();
    std::fs::create_dir_all(env.join("d/l")).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::open(env.join("d/l"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    for (args, answer) in [
        (["-d", "-u"], ""),
        (["-d", "-n"], ""),
        (["-d", "-i"], "n\n"),
    ] {
        let run = env
            .fcopy()
            .args(&args)
            .args(&["l", "d"])
            .stdin_bytes(answer)
            .run();
        assert_eq!(run.code(), Some(0), "{args:?}: {}", run.stderr());
        assert!(!run.stderr().contains("cannot overwrite"), "{args:?}");
    }
    let run = env
        .fcopy()
        .args(&["-d", "-i", "l", "d"])
        .stdin_bytes("y\n")
        .run();
    assert_eq!(run.code(), Some(1));
    assert!(run
        .stderr()
        .ends_with("fcopy: cannot overwrite directory 'd/l' with non-directory\n"));
    assert!(env.join("d/l").is_dir());
}

/// GNU's `-u` remembers a skipped symbolic link or FIFO with other names as it does a file, and
/// links a later skipped name to that DEST, links kept or not. fcopy does so with links kept
/// (`cp -a -u`: two names of one symlink and of one FIFO onto four newer files come out as two
/// pairs, each holding one name's old data) and keeps each newer DEST without (`cp -r -u`).
#[test]
fn update_links_later_skipped_names_of_a_symlink_or_fifo() {
    let env = TestEnv::new();
    assert!(linked_symlink_and_fifo(&env, "t"), "mkfifo failed");
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    for (opt, dir) in [("-r", "r"), ("-a", "a")] {
        for name in ["l1", "l2", "p1", "p2"] {
            let file = env.write(format!("{dir}/{name}"), name);
            let file = std::fs::File::options().write(true).open(file).unwrap();
            file.set_modified(later).unwrap();
        }
        let run = env.run(&[opt, "-u", "src/.", dir]);
        assert_eq!(run.code(), Some(0), "{opt}: {}", run.stderr());
        for pair in [["l1", "l2"], ["p1", "p2"]] {
            let [one, two] = pair.map(|n| format!("{dir}/{n}"));
            if opt == "-r" {
                assert_ne!(id(&env, &one), id(&env, &two), "{opt} {pair:?}");
                assert_eq!(env.read(&two), pair[1].as_bytes(), "{opt}");
                continue;
            }
            assert_eq!(id(&env, &one), id(&env, &two), "{opt} {pair:?}");
            let data = env.read(&one);
            assert!(
                data == pair[0].as_bytes() || data == pair[1].as_bytes(),
                "{opt}"
            );
        }
    }
}
