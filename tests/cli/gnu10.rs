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

/// Two names of one symbolic link, or of one FIFO: GNU's copy_internal links any non-directory
/// to its group's first copy, so `cp -a` and `cp -d --preserve=links -r` make one inode with two
/// names (fcopy made two separate symlinks or FIFOs), also over existing files and with `-b`.
#[test]
fn names_of_one_symlink_or_fifo_stay_one_inode() {
    let env = TestEnv::new();
    std::fs::create_dir(env.join("src")).unwrap();
    std::os::unix::fs::symlink("target", env.join("src/l1")).unwrap();
    std::fs::hard_link(env.join("src/l1"), env.join("src/l2")).unwrap();
    let fifo = rustix::fs::mknodat(
        rustix::fs::CWD,
        env.join("src/p1"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    );
    let fifo = fifo.is_ok();
    if fifo {
        std::fs::hard_link(env.join("src/p1"), env.join("src/p2")).unwrap();
    }
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
