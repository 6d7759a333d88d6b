//! Replacing existing destinations like GNU (issue 14): symlink loops, links with -L/-H, hard-link groups, the same-file matrix, directories and special files in the way.

use super::*;

#[test]
fn existing_destinations_symlink_loop_and_attributes_only_like_gnu() {
    if !have_gnu() {
        return;
    }
    // GNU tests/cp/dir-rm-dest.sh: --remove-destination replaces a symlink loop.
    let setup = |r: &Path| {
        file(r, "file", "data\n");
        symlink(r, "loop", "loop");
    };
    Diff::new(setup)
        .args(&["--remove-destination", "file", "loop"])
        .check();
    Diff::new(setup).args(&["-f", "file", "loop"]).check();
    Diff::new(setup).args(&["file", "loop"]).check();
    // GNU tests/cp/attr-existing.sh: -a --attributes-only from a symlink onto an existing file
    // fails and leaves the file; --remove-destination replaces it with the link.
    let setup = |r: &Path| {
        file(r, "file1", "1");
        file(r, "file2", "2");
        hardlink(r, "file2", "link2");
        symlink(r, "sym1", "file1");
    };
    Diff::new(setup)
        .args(&["-a", "--attributes-only", "file1", "file2"])
        .check();
    Diff::new(setup)
        .args(&["-a", "--attributes-only", "sym1", "file2"])
        .check();
    Diff::new(setup)
        .args(&[
            "-a",
            "--remove-destination",
            "--attributes-only",
            "sym1",
            "file2",
        ])
        .check();
}

#[test]
fn link_with_dereference_options_like_gnu() {
    if !have_gnu() {
        return;
    }
    // GNU tests/cp/link-deref.sh: --link with -H/-L links to the symlink's target, with -P
    // (and by default with -R) to the symlink itself.
    let setup = |r: &Path| {
        file(r, "file", "");
        symlink(r, "filelink", "file");
        dir(r, "dir");
        symlink(r, "dirlink", "dir");
        symlink(r, "other", "dir");
    };
    for deref in ["", "-H", "-L", "-P"] {
        for r in ["", "-R"] {
            for src in ["filelink", "dirlink"] {
                let args: Vec<&str> = ["--link", deref, r, src, "dst"]
                    .into_iter()
                    .filter(|a| !a.is_empty())
                    .collect();
                Diff::new(setup).args(&args).check();
            }
        }
    }
    // `cp -lP sym other` over an existing symlink replaces it.
    Diff::new(setup).args(&["-lP", "filelink", "other"]).check();
}

#[test]
fn update_keeps_hard_link_groups_in_an_existing_tree_like_gnu() {
    if !have_gnu() {
        return;
    }
    // GNU tests/cp/preserve-link.sh: `cp -au s t` where t/s has some of the links, older and
    // newer: every name ends up linked to one file.
    for first in ["f", "linkm"] {
        let diff = Diff::new(move |r| {
            file(r, "s/f", "");
            for name in ["linkm", "linke", "fileo", "fileu"] {
                hardlink(r, "s/f", &format!("s/{name}"));
            }
            set_mtime(&r.join("s/f"), 1_500_000_000);
            file(r, &format!("t/s/{first}"), "");
            set_mtime(&r.join(format!("t/s/{first}")), 1_600_000_000);
            hardlink(r, &format!("t/s/{first}"), "t/s/linke");
            file(r, "t/s/fileo", "");
            set_mtime(&r.join("t/s/fileo"), 1_400_000_000);
            file(r, "t/s/fileu", "");
            set_mtime(&r.join("t/s/fileu"), 1_700_000_000);
        })
        .no_stamp()
        .args(&["-au", "s", "t"]);
        // Which name is copied first follows directory order (the names share one inode), so
        // times may differ: the hard-link structure and the outcome must not.
        let (gnu, ours) = diff.run();
        assert_eq!((gnu.code, &gnu.stderr), (ours.code, &ours.stderr));
        assert_eq!(gnu.links, ours.links, "hard-link groups: GNU, then fcopy");
        let t_group = ours.links.iter().find(|g| g.contains(&b"t/s/f".to_vec()));
        assert_eq!(t_group.map(|g| g.len()), Some(5), "{:?}", ours.links);
    }
}

#[test]
fn same_file_matrix_like_gnu() {
    if !have_gnu() {
        return;
    }
    // GNU tests/cp/same-file.sh: every pair × option set (GNU's same_file_ok).
    for args in [
        "foo symlink",
        "symlink foo",
        "foo foo",
        "sl1 sl2",
        "foo hardlink",
        "hlsl sl2",
    ] {
        for options in [
            "", "-d", "-f", "-df", "--rem", "-b", "-bd", "-bf", "-bdf", "-l", "-dl", "-fl", "-dfl",
            "-bl", "-bdl", "-bfl", "-bdfl", "-s", "-sf",
        ] {
            let setup = move |r: &Path| {
                file(r, "foo", "XYZ\n");
                if args.contains("symlink") {
                    symlink(r, "symlink", "foo");
                }
                if args.contains("hardlink") {
                    hardlink(r, "foo", "hardlink");
                }
                if args.contains("sl1") {
                    symlink(r, "sl1", "foo");
                }
                if args.contains("sl2") {
                    symlink(r, "sl2", "foo");
                }
                if args.contains("hlsl") {
                    hardlink(r, "sl2", "hlsl");
                }
            };
            let mut argv: Vec<&str> = args.split(' ').collect();
            if !options.is_empty() {
                argv.insert(0, options);
            }
            Diff::new(setup).args(&argv).check();
        }
    }
}

#[test]
fn replacing_symlinks_to_directories_and_special_files_like_gnu() {
    if !have_gnu() {
        return;
    }
    // A DEST that is a symlink to a directory: -b and --remove-destination back it up or
    // remove it and copy (GNU looks at the link itself then); without them it is refused.
    let setup = |r: &Path| {
        file(r, "f", "x\n");
        dir(r, "t");
        symlink(r, "d", "t");
    };
    for opts in [
        &["-T"][..],
        &["-rT"],
        &["-rT", "--remove-destination"],
        &["-rT", "-b"],
        &["-T", "-b"],
        &["-T", "--remove-destination"],
    ] {
        let mut args = opts.to_vec();
        args.extend(["f", "d"]);
        Diff::new(setup).args(&args).check();
    }
    // A FIFO onto an existing file: -r replaces it, -rL cannot ("File exists"), -rb backs up.
    let setup = |r: &Path| {
        dir(r, "s");
        fifo(r, "s/p");
        file(r, "dst/s/p", "old\n");
    };
    for opts in ["-r", "-rL", "-rb", "-rL --remove-destination"] {
        let mut args: Vec<&str> = opts.split(' ').collect();
        args.extend(["s", "dst"]);
        Diff::new(setup).args(&args).check();
    }
}

#[test]
fn copying_a_directory_into_an_existing_directory_inside_it_stops_like_gnu() {
    if !have_gnu() {
        return;
    }
    // New-user trial: `cp -r . out` with `out` already there went 13,000 levels deep until the
    // disk was full. GNU: "cannot copy a directory, '.', into itself, 'out/.'", exit 1. The
    // check is by identity, whatever names the operands use.
    let setup = |r: &Path| {
        file(r, "w/f", "f\n");
        dir(r, "w/out");
        file(r, "w/a/g", "g\n");
        file(r, "w/a/s/s", "s\n");
        dir(r, "w/a/out");
    };
    for args in [
        &["-r", ".", "out"][..],
        &["-r", "./", "out"],
        &["-a", ".", "out"],
        &["-r", "a/.", "a/out"],
        &["-r", "a", "a/out"],
        &["-a", "a/.", "a/out/deeper"],
    ] {
        Diff::new(setup).args(args).cwd("w").outputs_only().check();
    }
    // -j: the same stop with workers.
    let tmp = scratch();
    setup(tmp.path());
    let w = tmp.path().join("w");
    let (code, _, stderr) = fcopy_in(&w, &["-a", "-j2", ".", "out"], None);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("into itself, 'out/.'"), "{stderr}");
    assert!(!w.join("out/out/out").exists());
}

#[test]
fn backups_come_before_hard_links_into_an_existing_tree_like_gnu() {
    if !have_gnu() {
        return;
    }
    // Red-team review: the second name of a link group replaced its old file with no backup.
    let setup = |r: &Path| {
        file(r, "s/f", "a\n");
        hardlink(r, "s/f", "s/g");
        file(r, "d/s/g", "x\n");
        file(r, "d/s/f", "y\n");
    };
    for options in ["-ab", "-a --backup=numbered", "-rb --preserve=links"] {
        let mut args: Vec<&str> = options.split(' ').collect();
        args.extend(["s", "d"]);
        Diff::new(setup).args(&args).check();
    }
}

#[test]
fn a_link_that_cannot_be_made_keeps_the_old_destination_like_gnu() {
    // Red-team review: `-lf` removed DEST before a link that then failed (EXDEV): GNU 9.1
    // removes it only when linkat says EEXIST (force_linkat); `-lb`/`-sb` left DEST renamed
    // to its backup: GNU puts it back (un_backup).
    if !have_gnu() || !crate::testenv::require_tool("strace") {
        return;
    }
    for (inject, options) in [
        ("linkat:error=EXDEV", "-lf"),
        ("linkat:error=EPERM", "-lb"),
        ("linkat:error=EMLINK", "-lb --backup=numbered"),
        ("symlinkat:error=EPERM", "-sb"),
        ("symlinkat:error=EPERM", "-sfb --backup=numbered"),
        ("symlinkat:error=EIO", "-Pb l"),
    ] {
        let mut args: Vec<&str> = options.split(' ').collect();
        if args.last() != Some(&"l") {
            args.push("f");
        }
        args.push("g");
        let side = |program: &Path| {
            let tmp = scratch();
            file(tmp.path(), "f", "new\n");
            file(tmp.path(), "g", "old\n");
            symlink(tmp.path(), "l", "f");
            run_injected(program, tmp.path(), inject, &args)
        };
        let gnu = side(Path::new("/usr/bin/cp"));
        let ours = side(Path::new(crate::testenv::FCOPY));
        assert_eq!(gnu, ours, "{inject} {args:?}: GNU, then fcopy");
        assert_eq!(ours.3, "old\n", "{args:?}");
    }
}

#[test]
fn interactive_asks_on_the_same_file_backup_branches_like_gnu() {
    if !have_gnu() {
        return;
    }
    // Red-team review: `cp -fbi f f` replaced an existing f~, and `cp -fbi f g` (g a hard link
    // of f) renamed g over g~, both unasked. GNU asks ("overwrite 'f~'?", "overwrite 'g'?") and
    // keeps everything on "n" (exit 0, as in 9.1; 1 only with POSIXLY_CORRECT).
    let setup = |r: &Path| {
        file(r, "f", "a\n");
        file(r, "f~", "old\n");
        hardlink(r, "f", "g");
        file(r, "g~", "old\n");
    };
    for (answer, code) in [("n\n", 0), ("y\n", 0)] {
        for dest in ["f", "g"] {
            let (gnu, ours) = Diff::new(setup)
                .args(&["-fbi", "f", dest])
                .stdin(answer.as_bytes())
                .run();
            assert_eq!(gnu.stderr, ours.stderr, "{answer:?} {dest}");
            // (Names, kinds, modes and contents: GNU overwrites f~ in place, fcopy replaces it.)
            let shape = |side: &harness::Side| -> Vec<_> {
                let nodes = side.tree.iter();
                nodes
                    .map(|(k, n)| (k.clone(), n.kind, n.mode, n.content.clone()))
                    .collect()
            };
            assert_eq!(shape(&gnu), shape(&ours), "{answer:?} {dest}");
            assert_eq!(ours.code, Some(code), "{answer:?} {dest}");
        }
    }
}

#[test]
fn a_directory_in_the_way_of_a_link_or_special_file_is_kept_like_gnu() {
    if !have_gnu() {
        return;
    }
    // Red-team review: `-lb`, `-sb` and `-ab` (a FIFO) moved the directory to its backup name
    // and made the node; without -b the message was the link's "File exists". GNU: "cannot
    // overwrite directory 'd/f' with non-directory", exit 1.
    let setup = |r: &Path| {
        file(r, "f", "a\n");
        file(r, "d/f/x", "k\n");
        fifo(r, "p");
        file(r, "d/p/x", "k\n");
    };
    for options in [
        "-lb",
        "-sb",
        "-l",
        "-s",
        "-lf",
        "-sf",
        "-ln",
        "-l --remove-destination",
    ] {
        let mut args: Vec<&str> = options.split(' ').collect();
        // (-s with a relative source: the directory is said before "can make relative
        // symbolic links only in current directory".)
        args.extend(["f", "d"]);
        Diff::new(setup).args(&args).check();
    }
    for options in ["-ab", "-a", "-r", "-rf", "-Rb"] {
        let mut args: Vec<&str> = options.split(' ').collect();
        args.extend(["p", "d"]);
        Diff::new(setup).args(&args).check();
    }
}

/// A directory copied onto itself with `-n`: GNU skips its same-file check under `-n`, so the
/// directory by its own name is left alone (status 0), and a symbolic link to it is a
/// non-directory in the way (`cannot overwrite non-directory 'dln' with directory 'd'`,
/// status 1); without `-n` both are the same file (red-team finding, round 5: fcopy said
/// nothing for the link).
#[test]
fn a_directory_onto_itself_with_no_clobber_like_gnu() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "d/x", "1\n");
        symlink(r, "dln", "d");
        file(r, "nd", "f\n");
    };
    for args in [
        &["-nrT", "d", "dln"][..],
        &["-rT", "d", "dln"],
        &["-nrT", "d", "d"],
        &["-nr", "d", "."],
        &["-nrT", "d", "./d"],
        &["-nrT", "d", "nd"],
    ] {
        Diff::new(setup).args(args).check();
    }
}

/// `-s` over an existing DEST decides by SOURCE, as GNU's copy_internal: under `-P` (`-d`,
/// `-r`, `-a`) a SOURCE that is not a regular file (a symbolic link) removes DEST first and the
/// link is made; a regular SOURCE onto an existing symbolic link fails with `File exists`
/// (without `-f`); `-u` compares SOURCE's time (red-team finding, round 5: DEST's own facts
/// were used, inverting the first two).
#[test]
fn symbolic_links_over_existing_destinations_decide_by_source_like_gnu() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "b", "regular\n");
        file(r, "c", "other\n");
        symlink(r, "ln", "c");
        symlink(r, "ln2", "c");
        set_mtime(&r.join("c"), 1_000_000_000);
    };
    for args in [
        &["-sP", "ln", "b"][..],
        &["-vsP", "ln", "b"],
        &["-ds", "b", "ln"],
        &["-s", "b", "ln"],
        &["-sP", "ln", "ln2"],
        &["-sfP", "b", "ln"],
        &["-su", "c", "b"],
        &["-sPu", "ln", "b"],
    ] {
        Diff::new(setup).args(args).check();
    }
}
