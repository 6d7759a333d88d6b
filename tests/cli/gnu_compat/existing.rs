//! GNU cp 9.1's options for an existing destination: -i, -n, -f, -u, --update, --remove-destination, backups.

use super::*;

#[test]
fn interactive_answers() {
    if !have_gnu() {
        return;
    }
    // A declined overwrite exits 0, as in GNU 9.1 (tests/cp/cp-i.sh, the compatibility bar);
    // with POSIXLY_CORRECT it exits 1, as POSIX specifies and GNU 9.2 and later always do: the
    // rest must match 9.1.
    let declined_exits_1 = |diff: Diff, args: &[&str]| {
        let diff = diff.env("POSIXLY_CORRECT", "1");
        let (mut gnu, ours) = diff.run();
        assert_eq!(gnu.code, Some(0), "GNU cp 9.1 exits 0: {}", gnu.stderr);
        gnu.code = Some(1);
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        harness::assert_same(&args, &gnu, &ours);
    };
    for answer in [b"n\n".as_slice(), b"y\n", b"yes\n", b"\n", b""] {
        for args in [&["-i", "src/a", "src/b"][..], &["-vi", "src/a", "src/b"]] {
            Diff::new(tree).args(args).stdin(answer).check();
            if !answer.starts_with(b"y") {
                declined_exits_1(Diff::new(tree).args(args).stdin(answer), args);
            }
        }
    }
    // GNU cp-i.sh: prompting inside a recursive copy; -i/-n/-f combinations.
    let args = ["-iR", "a", "b"];
    let nested = |r: &Path| {
        file(r, "a/c", "");
        dir(r, "b/a/c");
    };
    Diff::new(nested).args(&args).stdin(b"n\n").check();
    declined_exits_1(Diff::new(nested).args(&args).stdin(b"n\n"), &args);
    for flags in ["-vni", "-vin", "-vfi", "-vfn", "-vnf"] {
        Diff::new(tree)
            .args(&[flags, "src/a", "src/b"])
            .stdin(b"y\n")
            .check();
    }
    // -b with -n: GNU 9.5's wording (9.1: "options --backup and --no-clobber are mutually
    // exclusive"); the rest as 9.1.
    let (mut gnu, ours) = Diff::new(tree).args(&["-bn", "src/a", "src/b"]).run();
    assert_eq!(
        gnu.stderr,
        "cp: options --backup and --no-clobber are mutually exclusive\nTry 'cp --help' for more information.\n"
    );
    gnu.stderr = "cp: --backup is mutually exclusive with -n or --update=none-fail\nTry 'cp --help' for more information.\n".to_owned();
    let args: Vec<std::ffi::OsString> = ["-bn", "src/a", "src/b"].iter().map(Into::into).collect();
    harness::assert_same(&args, &gnu, &ours);
    // No prompt when the destination does not exist.
    Diff::new(tree)
        .args(&["-i", "src/a", "new"])
        .stdin(b"n\n")
        .check();
}

#[test]
fn no_clobber_n() {
    check(&["-n", "src/a", "src/b"]);
    check(&["-rn", "src", "linktosrc/.."]);
    if have_gnu() {
        Diff::new(|r| {
            tree(r);
            file(r, "dst/src/a", "keep\n");
        })
        .args(&["-rn", "src", "dst"])
        .check();
    }
}

#[test]
fn force_f() {
    check(&["-f", "src/a", "src/b"]);
    check(&["-f", "src/a", "src/dangling"]);
    check(&["-f", "src/a", "src/link"]);
    if have_gnu() {
        Diff::new(|r| {
            tree(r);
            symlink(r, "loop", "loop");
        })
        .args(&["-f", "src/a", "loop"])
        .check();
        Diff::new(|r| {
            tree(r);
            symlink(r, "loop", "loop");
        })
        .args(&["src/a", "loop"])
        .check();
    }
}

#[test]
fn update_u() {
    if !have_gnu() {
        return;
    }
    // Destination newer: not replaced; older: replaced; same time: not replaced.
    for (src_t, dst_t) in [(100, 200), (200, 100), (150, 150)] {
        Diff::new(tree)
            .post(move |r| {
                set_mtime(&r.join("src/a"), 1_100_000_000 + src_t);
                set_mtime(&r.join("src/b"), 1_100_000_000 + dst_t);
            })
            .args(&["-u", "src/a", "src/b"])
            .check();
    }
    Diff::new(|r| {
        tree(r);
        file(r, "dst/src/a", "newer\n");
        file(r, "dst/src/b", "older\n");
    })
    .post(|r| {
        set_mtime(&r.join("dst/src/a"), 1_900_000_000);
        set_mtime(&r.join("dst/src/b"), 900_000_000);
    })
    .args(&["-ruv", "src", "dst"])
    .unordered()
    .check();
}

#[test]
fn update_when_follows_current_gnu_manual() {
    // GNU cp 9.1 has no --update=WHEN; assert the documented semantics directly.
    let setup = |r: &Path| {
        file(r, "new", "new\n");
        file(r, "old", "old\n");
        set_mtime(&r.join("new"), 1_500_000_000);
        set_mtime(&r.join("old"), 1_000_000_000);
    };
    let run = |when: &str, src: &str, dst: &str| {
        let d = scratch();
        setup(d.path());
        let arg = format!("--update={when}");
        let (code, out, err) = fcopy_in(d.path(), &[&arg, src, dst], None);
        let content = fs::read_to_string(d.path().join(dst)).unwrap();
        (code, out, err, content)
    };
    // all: replace regardless of age.
    assert_eq!(
        run("all", "old", "new"),
        (Some(0), String::new(), String::new(), "old\n".into())
    );
    // none: never replace, succeed silently.
    assert_eq!(
        run("none", "new", "old"),
        (Some(0), String::new(), String::new(), "old\n".into())
    );
    // none-fail: never replace, fail with "not replacing".
    assert_eq!(
        run("none-fail", "new", "old"),
        (
            Some(1),
            String::new(),
            "cp: not replacing 'old'\n".into(),
            "old\n".into()
        )
    );
    // older: replace only an older destination.
    assert_eq!(run("older", "new", "old").3, "new\n");
    assert_eq!(run("older", "old", "new").3, "new\n");
    // Missing destinations are always created.
    let d = scratch();
    setup(d.path());
    for when in ["all", "none", "none-fail", "older"] {
        let dst = format!("made-{when}");
        let (code, _, err) = fcopy_in(d.path(), &[&format!("--update={when}"), "new", &dst], None);
        assert_eq!((code, err.as_str()), (Some(0), ""), "--update={when}");
        assert_eq!(fs::read_to_string(d.path().join(&dst)).unwrap(), "new\n");
    }
    // --update=none-fail, -n and (GNU 9.6 and later, whose tests/cp/cp-i.sh checks
    // `returns_ 1 cp -b --update=none c d`) --update=none exclude backups; nothing is copied.
    for update in ["--update=none-fail", "--update=none", "-n"] {
        let (code, _, err) = fcopy_in(d.path(), &[update, "-b", "new", "old"], None);
        assert_eq!(code, Some(1), "{update}");
        assert!(
            err.contains("--backup is mutually exclusive with -n or --update=none-fail"),
            "{update}: {err}"
        );
        assert_eq!(fs::read_to_string(d.path().join("old")).unwrap(), "old\n");
    }
}

#[test]
fn remove_destination() {
    if !have_gnu() {
        return;
    }
    // The destination has a second hard link: --remove-destination leaves it alone, a plain
    // copy writes through the shared inode.
    let setup = |r: &Path| {
        tree(r);
        file(r, "dst", "old\n");
        hardlink(r, "dst", "other");
    };
    Diff::new(setup)
        .args(&["--remove-destination", "src/a", "dst"])
        .check();
    Diff::new(setup).args(&["src/a", "dst"]).check();
    Diff::new(setup)
        .args(&["--remove-destination", "src/a", "src/dangling"])
        .check();
    Diff::new(setup)
        .args(&["-r", "--remove-destination", "src", "linktosrc/.."])
        .check();
}

#[test]
fn backups() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        tree(r);
        file(r, "d/x", "x0\n");
        file(r, "d/y", "y0\n");
        file(r, "d/y.~1~", "y1\n");
        file(r, "d/y.~7~", "y7\n");
        file(r, "d/y.~01~", "ignored\n");
    };
    for control in [
        "-b",
        "--backup",
        "--backup=numbered",
        "--backup=t",
        "--backup=existing",
        "--backup=nil",
        "--backup=simple",
        "--backup=never",
        "--backup=none",
        "--backup=off",
        "--backup=num",
        "--backup=bogus",
        "--backup=n",
    ] {
        Diff::new(setup).args(&[control, "src/a", "d/x"]).check();
        Diff::new(setup).args(&[control, "src/a", "d/y"]).check();
    }
    Diff::new(setup)
        .args(&["-S", ".bak", "src/a", "d/x"])
        .check();
    Diff::new(setup)
        .args(&["-b", "-S", ".bak", "src/a", "d/x"])
        .check();
    Diff::new(setup)
        .args(&["--suffix=.orig", "--backup=simple", "src/a", "d/y"])
        .check();
    Diff::new(setup)
        .args(&["-b", "-S", "", "src/a", "d/x"])
        .check();
    Diff::new(setup)
        .args(&["-b", "-S", "a/b", "src/a", "d/x"])
        .check();
    // Whole trees with backups, and backups of symlinks and directories' entries.
    Diff::new(|r| {
        tree(r);
        file(r, "dst/src/a", "old a\n");
        symlink(r, "dst/src/link", "b");
    })
    .args(&["-a", "--backup=numbered", "src", "dst"])
    .check();
    // Backing up twice in one run.
    Diff::new(setup)
        .args(&["--backup=numbered", "src/a", "src/b", "d/y"])
        .check();
}

/// Names near NAME_MAX: GNU 9.1 (gnulib's check_extension) shortens a first numbered backup,
/// and the simple one `-b`/`existing` falls back to, to the name's first 253 bytes and `~`; a
/// shortened numbered name that exists is "cannot backup: File exists"; `--backup=simple` is
/// "File name too long".
#[test]
fn backups_of_names_at_name_max() {
    if !have_gnu() {
        return;
    }
    for len in [250, 252, 253, 255] {
        let name = format!("d/{}", "a".repeat(len));
        let taken = format!("d/{}~", "a".repeat(len.min(253)));
        for control in [
            "-b",
            "--backup=numbered",
            "--backup=existing",
            "--backup=simple",
        ] {
            let n = name.clone();
            Diff::new(move |r| {
                file(r, "src", "new\n");
                file(r, &n, "old\n");
            })
            .args(&[control, "src", &name])
            .check();
            let (n, t) = (name.clone(), taken.clone());
            Diff::new(move |r| {
                file(r, "src", "new\n");
                file(r, &n, "old\n");
                file(r, &t, "older\n");
            })
            .args(&[control, "src", &name])
            .check();
        }
    }
}

#[test]
fn backup_environment() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        tree(r);
        file(r, "d/x", "x0\n");
        file(r, "d/y", "y0\n");
        file(r, "d/y.~3~", "y3\n");
    };
    for vc in [
        "numbered", "t", "existing", "simple", "never", "none", "off", "", "bogus", "nu",
    ] {
        Diff::new(setup)
            .env("VERSION_CONTROL", vc)
            .args(&["-b", "src/a", "d/x"])
            .check();
        Diff::new(setup)
            .env("VERSION_CONTROL", vc)
            .args(&["-b", "src/a", "d/y"])
            .check();
        // The flag's word beats the environment.
        Diff::new(setup)
            .env("VERSION_CONTROL", vc)
            .args(&["--backup=simple", "src/a", "d/y"])
            .check();
    }
    for suffix in [".env", "", "x/y"] {
        Diff::new(setup)
            .env("SIMPLE_BACKUP_SUFFIX", suffix)
            .args(&["-b", "src/a", "d/x"])
            .check();
        Diff::new(setup)
            .env("SIMPLE_BACKUP_SUFFIX", suffix)
            .args(&["-b", "-S", ".flag", "src/a", "d/x"])
            .check();
    }
}
