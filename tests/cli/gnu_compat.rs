//! Differential tests against GNU cp 9.1 (`/usr/bin/cp`): every option and rule of issue 3,
//! and the scenarios of GNU's own test suite (same-file, into-self, thru-dangling, abuse, ...).
//!
//! Each test builds a fixture twice, runs GNU cp in one copy and fcopy (as `cp`) in the other
//! with the same arguments, and compares exit status, output and the resulting trees (see
//! `gnu_compat/harness.rs`). Options GNU cp 9.1 lacks (`--update=WHEN`,
//! `--keep-directory-symlink`) and fcopy's deliberate differences are asserted directly.

#[path = "gnu_compat/harness.rs"]
pub(crate) mod harness;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use harness::{
    chmod, chown, dir, fcopy_in, fifo, file, hardlink, have_gnu, scratch, set_mtime, symlink,
    xattr, Diff,
};

use crate::testenv::{is_root, skip};

/// A tree with most kinds of entries: files with various modes, a subdirectory, symlinks
/// (relative, dangling, to a directory), hard links, an empty and a read-only directory, a
/// set-uid file, files owned by someone else (as root) and `user.*` xattrs; plus, outside
/// `src`, a file, a symlink to `src` and a symlink to a file.
fn tree(root: &Path) {
    file(root, "src/a", "alpha\n");
    file(root, "src/b", "beta\n");
    chmod(root, "src/b", 0o640);
    file(root, "src/exec", "#!/bin/sh\n");
    chmod(root, "src/exec", 0o755);
    file(root, "src/setuid", "s\n");
    chmod(root, "src/setuid", 0o4755);
    file(root, "src/sub/c", "gamma\n");
    file(root, "src/sub/deep/d", "delta\n");
    symlink(root, "src/link", "a");
    symlink(root, "src/dangling", "nowhere");
    symlink(root, "src/dirlink", "sub");
    file(root, "src/hl1", "linked\n");
    hardlink(root, "src/hl1", "src/sub/hl2");
    dir(root, "src/empty");
    file(root, "src/ro/inside", "ro\n");
    chmod(root, "src/ro", 0o555);
    chmod(root, "src/sub/deep", 0o700);
    file(root, "src/owned", "theirs\n");
    if is_root() {
        chown(root, "src/owned", 1234, 2345);
        chown(root, "src/sub/deep", 1234, 2345);
    }
    xattr(root, "src/a", "user.colour", "blue");
    xattr(root, "src/sub", "user.kind", "dir");
    file(root, "ext/file", "external\n");
    symlink(root, "linktosrc", "src");
    symlink(root, "flink", "src/a");
}

fn check(args: &[&str]) {
    if have_gnu() {
        Diff::new(tree).args(args).check();
    }
}

// ---------------------------------------------------------------- options, one by one

#[test]
fn recursive_r() {
    check(&["-r", "src", "dst"]);
}

#[test]
fn recursive_capital_r_into_existing_dir() {
    if have_gnu() {
        Diff::new(|r| {
            tree(r);
            file(r, "dst/src/a", "old\n");
            dir(r, "dst/src/sub");
        })
        .args(&["-R", "src", "dst"])
        .check();
    }
}

#[test]
fn archive() {
    check(&["-a", "src", "dst"]);
}

#[test]
fn archive_verbose() {
    if have_gnu() {
        Diff::new(tree)
            .args(&["-av", "src", "dst"])
            .unordered()
            .check();
        Diff::new(tree)
            .args(&["-rv", "src", "dst"])
            .unordered()
            .check();
    }
}

#[test]
fn d_copies_symlinks_and_keeps_hard_links() {
    check(&["-d", "flink", "src/hl1", "src/sub/hl2", "ext"]);
}

#[test]
fn p_preserves_mode_owner_times() {
    check(&["-rp", "src", "dst"]);
}

#[test]
fn preserve_each_attribute() {
    for attr in [
        "mode",
        "ownership",
        "timestamps",
        "links",
        "xattr",
        "all",
        "mode,timestamps",
    ] {
        check(&["-r", &format!("--preserve={attr}"), "src", "dst"]);
    }
}

#[test]
fn preserve_without_list_is_p() {
    check(&["-r", "--preserve", "src", "dst"]);
}

#[test]
fn no_preserve_with_archive() {
    for list in [
        "mode",
        "ownership",
        "timestamps",
        "links",
        "xattr",
        "mode,ownership",
        "all",
    ] {
        check(&["-a", &format!("--no-preserve={list}"), "src", "dst"]);
    }
}

#[test]
fn preserve_invalid_list() {
    check(&["-r", "--preserve=bogus", "src", "dst"]);
    check(&["-r", "--no-preserve=mode,nope", "src", "dst"]);
}

/// gnulib's argmatch takes an unambiguous prefix of an attribute; the empty word (a prefix of
/// all) is "ambiguous argument ''". (`cont`: both fail alike without SELinux.)
#[test]
fn preserve_list_abbreviations() {
    check(&["-r", "--preserve=cont", "src", "dst"]);
    check(&["-r", "--preserve=mo,ti,l", "src", "dst"]);
    check(&["-r", "--preserve=a", "src", "dst"]);
    check(&["-a", "--no-preserve=own,x", "src", "dst"]);
    check(&["-r", "--preserve=", "src", "dst"]);
    check(&["-r", "--preserve=mode,", "src", "dst"]);
    check(&["-r", "--no-preserve=Mode", "src", "dst"]);
}

#[test]
fn dereference_l() {
    // The dangling link makes both fail on that entry and copy the rest.
    check(&["-rL", "src", "dst"]);
    check(&["-L", "flink", "copy"]);
    check(&["-rL", "linktosrc", "dst"]);
}

#[test]
fn no_dereference_p() {
    check(&["-P", "flink", "copy"]);
    check(&["-rP", "linktosrc", "dst"]);
    check(&["-P", "src/dangling", "copy"]);
}

#[test]
fn dereference_command_line_h() {
    check(&["-rH", "linktosrc", "dst"]);
    check(&["-H", "flink", "copy"]);
    check(&["-rH", "src/dangling", "copy"]);
}

#[test]
fn last_of_l_p_h_wins() {
    check(&["-rLP", "linktosrc", "dst"]);
    check(&["-rPL", "linktosrc", "dst"]);
    check(&["-rLH", "linktosrc", "dst"]);
    if have_gnu() {
        // (Without the directory's xattr: see known_differences.)
        Diff::new(|r| {
            tree(r);
            let _ = rustix::fs::lremovexattr(r.join("src/sub"), "user.kind");
        })
        .args(&["-aL", "linktosrc", "dst"])
        .check();
    }
    check(&["-La", "linktosrc", "dst"]);
}

#[test]
fn symlink_slash_dereferences_the_operand() {
    // GNU symlink-slash.sh: `cp -dR symlink/ s` copies the directory.
    check(&["-dR", "linktosrc/", "s"]);
    check(&["-r", "linktosrc/", "s"]);
}

#[test]
fn strip_trailing_slashes() {
    check(&["-r", "--strip-trailing-slashes", "linktosrc/", "s"]);
    check(&["-r", "--strip-trailing-slashes", "src///", "s"]);
    check(&["-r", "--strip-trailing-slashes", "linktosrc/", "ext"]);
    check(&[
        "-r",
        "--strip-trailing-slashes",
        "linktosrc/",
        "src/a",
        "ext",
    ]);
}

#[test]
fn hard_link_l() {
    check(&["-l", "src/a", "hl"]);
    check(&["-rl", "src", "dst"]);
    check(&["-l", "src/a", "ext/file"]);
    check(&["-lf", "src/a", "ext/file"]);
    check(&["-lL", "flink", "hl"]);
    check(&["-lP", "flink", "hl"]);
}

#[test]
fn symbolic_link_s() {
    check(&["-s", "src/a", "sl"]);
    // Relative link targets work only in the current directory.
    check(&["-s", "src/a", "ext/sl"]);
    if have_gnu() {
        Diff::new(tree)
            .args(&["-rs", "src", "dst"])
            .unordered()
            .check();
    }
    check(&["-s", "src/a", "ext/file"]);
    check(&["-sf", "src/a", "ext/file"]);
    check(&["-ls", "src/a", "x"]);
}

#[test]
fn symbolic_link_s_in_subdirectory() {
    if have_gnu() {
        Diff::new(tree).cwd("src").args(&["-s", "a", "a2"]).check();
        Diff::new(tree).cwd("src").args(&["-s", "a", "."]).check();
    }
}

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

#[test]
fn parents() {
    check(&["--parents", "src/sub/c", "ext"]);
    check(&["--parents", "src/sub/c", "src/a", "ext"]);
    check(&["-r", "--parents", "src/sub", "ext"]);
    check(&["-a", "--parents", "src/sub/deep", "ext"]);
    check(&["--parents", "-p", "src/sub/deep/d", "ext"]);
    check(&["--parents", "src/a", "flink"]);
    check(&["--parents", "src/a", "nonexistent"]);
    check(&["-v", "--parents", "src/sub/c", "ext"]);
    if have_gnu() {
        // cp-parents.sh: pre-existing directories are left as they are.
        Diff::new(|r| {
            tree(r);
            dir(r, "ext/src/sub");
            chmod(r, "ext/src", 0o700);
        })
        .args(&["--parents", "-p", "src/sub/c", "ext"])
        .check();
        // A parent in the path that is a symlink to a directory.
        Diff::new(tree)
            .args(&["--parents", "linktosrc/sub/c", "ext"])
            .check();
    }
}

#[test]
fn attributes_only() {
    if !have_gnu() {
        return;
    }
    // GNU attr-existing.sh: existing data is never truncated.
    let setup = |r: &Path| {
        file(r, "file1", "1");
        chmod(r, "file1", 0o751);
        file(r, "file2", "2");
        xattr(r, "file1", "user.x", "y");
    };
    Diff::new(setup)
        .args(&["--attributes-only", "file1", "file2"])
        .check();
    Diff::new(setup)
        .args(&[
            "--attributes-only",
            "--remove-destination",
            "file1",
            "file2",
        ])
        .check();
    Diff::new(setup)
        .args(&["--attributes-only", "-p", "file1", "file2"])
        .check();
    Diff::new(setup)
        .args(&["--attributes-only", "--preserve=all", "file1", "file3"])
        .check();
    check(&["-a", "--attributes-only", "src", "dst"]);
    check(&["-r", "--attributes-only", "src", "dst"]);
}

#[test]
fn copy_contents_of_fifo_and_device() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        dir(r, "sp");
        fifo(r, "sp/fifo");
        file(r, "sp/plain", "p\n");
    };
    // Recursive: the FIFO is recreated...
    Diff::new(setup).args(&["-r", "sp", "out"]).check();
    // ...or read with --copy-contents (a writer feeds it).
    Diff::new(setup)
        .feed_fifo("sp/fifo", b"through the pipe\n")
        .args(&["-r", "--copy-contents", "sp", "out"])
        .check();
    // Not recursive: read.
    Diff::new(setup)
        .feed_fifo("sp/fifo", b"plain read\n")
        .args(&["sp/fifo", "out"])
        .check();
    if !is_root() {
        skip("creating device nodes needs root");
        return;
    }
    let dev = |r: &Path| {
        dir(r, "dv");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            r.join("dv/null"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o666),
            rustix::fs::makedev(1, 3),
        )
        .unwrap();
    };
    Diff::new(dev).args(&["-r", "dv", "out"]).check();
    Diff::new(dev).args(&["-a", "dv", "out"]).check();
    Diff::new(dev)
        .args(&["-r", "--copy-contents", "dv", "out"])
        .check();
    Diff::new(dev).args(&["dv/null", "out"]).check();
}

#[test]
fn keep_directory_symlink_follows_current_gnu_manual() {
    // Not in GNU cp 9.1: an existing symlink to a directory in the destination is followed.
    let d = scratch();
    let r = d.path();
    tree(r);
    dir(r, "real");
    dir(r, "dst/src");
    symlink(r, "dst/src/sub", "../../real");
    let (code, _, err) = fcopy_in(r, &["-r", "--keep-directory-symlink", "src", "dst"], None);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(fs::symlink_metadata(r.join("dst/src/sub"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(r.join("real/c")).unwrap(), "gamma\n");
    assert_eq!(
        fs::read_to_string(r.join("real/deep/d")).unwrap(),
        "delta\n"
    );
    // Without it, GNU 9.1's behaviour (differential).
    if have_gnu() {
        Diff::new(|r| {
            tree(r);
            dir(r, "real");
            dir(r, "dst/src");
            symlink(r, "dst/src/sub", "../../real");
        })
        .args(&["-r", "src", "dst"])
        .check();
    }
}

#[test]
fn one_file_system_x() {
    if !have_gnu() {
        return;
    }
    if !is_root() {
        skip("mounting a tmpfs for -x needs root");
        return;
    }
    let mount = |r: &Path| {
        tree(r);
        dir(r, "src/mnt");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(r.join("src/mnt"))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mount tmpfs");
        file(r, "src/mnt/inner", "on tmpfs\n");
        dir(r, "src/mnt/innerdir");
    };
    let umount = |root: &Path| {
        let _ = std::process::Command::new("umount")
            .arg(root.join("src/mnt"))
            .status();
    };
    for args in [
        &["-rx", "src", "dst"][..],
        &["-ax", "src", "dst"],
        &["-r", "src", "dst"],
    ] {
        let (gnu, ours) = Diff::new(mount).args(args).no_stamp().run_then(umount);
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        // The mount point's times are the tmpfs root's (fresh): ignored by the comparison.
        harness::assert_same(&args, &gnu, &ours);
    }
}

// ---------------------------------------------------------------- GNU's scenarios

#[test]
fn same_file() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "f", "data\n");
        symlink(r, "sl", "f");
        hardlink(r, "f", "hl");
        dir(r, "d");
    };
    for args in [
        &["f", "f"][..],
        &["f", "./f"],
        &["f", "sl"],
        &["sl", "f"],
        &["f", "hl"],
        &["-f", "f", "f"],
        &["-b", "f", "f"],
        &["--force", "--backup", "f", "f"],
        &["--force", "--backup=numbered", "f", "f"],
        &["-fb", "f", "hl"],
        &["-d", "f", "sl"],
        &["-d", "sl", "f"],
        &["-a", "f", "hl"],
        &["-a", "sl", "sl"],
        &["-r", "d", "d"],
        &["-r", "f", "."],
        &["-l", "f", "hl"],
        &["--remove-destination", "f", "hl"],
        &["-s", "f", "f"],
    ] {
        Diff::new(setup).args(args).check();
    }
}

#[test]
fn into_self() {
    if !have_gnu() {
        return;
    }
    // One fixture entry per directory: GNU visits entries in inode order, and what it copies
    // before noticing the copy into itself depends on that order.
    let setup = |r: &Path| {
        file(r, "d/sub/f", "x\n");
        symlink(r, "dl", "d");
    };
    Diff::new(setup)
        .args(&["-r", "d", "d/sub"])
        .outputs_only()
        .check();
    Diff::new(setup)
        .args(&["-r", "d", "d"])
        .outputs_only()
        .check();
    Diff::new(setup)
        .args(&["-r", "d", "d/new"])
        .outputs_only()
        .check();
    Diff::new(setup)
        .args(&["-r", "d", "dl/new"])
        .outputs_only()
        .check();
    Diff::new(setup)
        .args(&["-r", "d", "d/sub/x/y"])
        .outputs_only()
        .check();
    Diff::new(setup)
        .args(&["-r", "d", "."])
        .outputs_only()
        .check();
    // DEST a symlink to the source directory: the copy lands in it (new-user trial, round 4:
    // fcopy said "will not create hard link 'dl/d/d' to directory 'dl/d'").
    Diff::new(setup)
        .args(&["-r", "d", "dl"])
        .outputs_only()
        .check();
}

#[test]
fn thru_dangling() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "f", "data\n");
        symlink(r, "dangle", "no-such");
        dir(r, "d");
        symlink(r, "d/f", "../no-such");
    };
    Diff::new(setup).args(&["f", "dangle"]).check();
    Diff::new(setup).args(&["f", "d"]).check();
    Diff::new(setup).args(&["-f", "f", "dangle"]).check();
    Diff::new(setup)
        .args(&["--remove-destination", "f", "dangle"])
        .check();
    Diff::new(setup).args(&["-b", "f", "dangle"]).check();
    // With POSIXLY_CORRECT, GNU writes through the dangling symlink (creating no-such), -f
    // too; --remove-destination and -b replace the link instead.
    for args in [
        &["f", "dangle"][..],
        &["f", "d"],
        &["-v", "f", "dangle"],
        &["-f", "f", "dangle"],
        &["--remove-destination", "f", "dangle"],
        &["-b", "f", "dangle"],
    ] {
        Diff::new(setup)
            .env("POSIXLY_CORRECT", "1")
            .args(args)
            .check();
    }
}

#[test]
fn abuse_symlink_created_in_same_run() {
    if !have_gnu() {
        return;
    }
    for existing in [false, true] {
        let setup = move |r: &Path| {
            dir(r, "a");
            dir(r, "b");
            dir(r, "c");
            symlink(r, "a/1", "../t");
            file(r, "b/1", "payload\n");
            if existing {
                file(r, "t", "i\n");
            }
        };
        Diff::new(setup).args(&["-dR", "a/1", "b/1", "c"]).check();
        Diff::new(setup)
            .args(&["-dR", "--backup=numbered", "a/1", "b/1", "c"])
            .check();
        Diff::new(setup).args(&["-dRf", "a/1", "b/1", "c"]).check();
    }
}

#[test]
fn dir_slash() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "dir1/f", "f\n");
        dir(r, "dir2");
    };
    Diff::new(setup).args(&["-r", "dir1/", "dir2"]).check();
    Diff::new(setup).args(&["-r", "dir1//", "dir2/"]).check();
    Diff::new(setup).args(&["-r", "dir1/", "dir3"]).check();
    Diff::new(setup).args(&["-r", "dir1", "dir3/"]).check();
    Diff::new(setup).args(&["dir1/f", "dir3/"]).check();
    Diff::new(setup).args(&["dir1/f/", "dir3"]).check();
}

#[test]
fn dir_vs_file() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        dir(r, "dir");
        file(r, "file", "f\n");
        symlink(r, "symlink", "file");
        dir(r, "d/file");
        file(r, "e/dir", "not a dir\n");
    };
    Diff::new(setup).args(&["-R", "dir", "file"]).check();
    Diff::new(setup).args(&["-R", "dir", "symlink"]).check();
    Diff::new(setup).args(&["file", "d"]).check();
    Diff::new(setup).args(&["-R", "file", "d"]).check();
    Diff::new(setup).args(&["-R", "dir", "e"]).check();
    Diff::new(setup).args(&["file", "dir"]).check();
    Diff::new(setup).args(&["-T", "file", "dir"]).check();
    Diff::new(setup).args(&["dir", "x"]).check();
}

#[test]
fn src_base_dot() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        tree(r);
        dir(r, "x");
        dir(r, "y");
    };
    Diff::new(setup).args(&["-r", "src/.", "dst"]).check();
    Diff::new(setup).args(&["-r", "src/.", "ext"]).check();
    Diff::new(setup).args(&["-a", "src/./", "dst"]).check();
    Diff::new(setup)
        .cwd("y")
        .args(&["-ab", "../x/.", "."])
        .check();
    Diff::new(setup)
        .cwd("src")
        .args(&["-r", ".", "../dst"])
        .check();
    Diff::new(setup).args(&["-r", "src/sub/..", "dst"]).check();
}

#[test]
fn r_vs_symlink() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "foo", "abc\n");
        symlink(r, "slink", "foo");
        symlink(r, "no-file", "no-such-file");
    };
    Diff::new(setup).args(&["-r", "no-file", "junk"]).check();
    Diff::new(setup).args(&["-r", "slink", "bar"]).check();
    Diff::new(setup).args(&["slink", "bar"]).check();
    Diff::new(setup).args(&["no-file", "bar"]).check();
}

#[test]
fn cp_hl() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        dir(r, "src-dir");
        dir(r, "dest-dir");
        file(r, "f", "f\n");
        symlink(r, "slink", "f");
        symlink(r, "no-file", "no-such-file");
        symlink(r, "src-dir/slink", "../f");
    };
    Diff::new(setup)
        .args(&["-H", "-R", "slink", "src-dir", "dest-dir"])
        .check();
    Diff::new(setup)
        .args(&["-L", "-R", "slink", "src-dir", "dest-dir"])
        .check();
    Diff::new(setup)
        .args(&["-H", "-R", "no-file", "dest-dir"])
        .check();
    Diff::new(setup)
        .args(&["-HL", "-R", "slink", "src-dir", "dest-dir"])
        .check();
    Diff::new(setup)
        .args(&["-LH", "-R", "slink", "src-dir", "dest-dir"])
        .check();
}

#[test]
fn cp_deref() {
    if !have_gnu() {
        return;
    }
    // Two command-line links to one directory, followed: both copied whole.
    let setup = |r: &Path| {
        dir(r, "a");
        dir(r, "b");
        dir(r, "c");
        dir(r, "d");
        file(r, "c/f", "f\n");
        symlink(r, "a/c", "../c");
        symlink(r, "b/c", "../c");
    };
    Diff::new(setup).args(&["-RL", "a", "b", "d"]).check();
    Diff::new(setup)
        .args(&["-RL", "--preserve=links", "a", "b", "d"])
        .check();
    Diff::new(setup).args(&["-aL", "a", "b", "d"]).check();
}

#[test]
fn link_preserve() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "a", "a\n");
        hardlink(r, "a", "b");
        dir(r, "c");
        symlink(r, "s", "a");
        file(r, "t/x", "x\n");
        hardlink(r, "t/x", "t/y");
        hardlink(r, "t/x", "t/z");
    };
    Diff::new(setup).args(&["-d", "a", "b", "c"]).check();
    Diff::new(setup).args(&["a", "b", "c"]).check();
    Diff::new(setup)
        .args(&["--preserve=links", "a", "b", "c"])
        .check();
    Diff::new(setup)
        .args(&["-a", "--no-preserve=links", "a", "b", "c"])
        .check();
    Diff::new(setup)
        .args(&["-L", "--preserve=links", "a", "s", "c"])
        .check();
    Diff::new(setup)
        .args(&["-H", "--preserve=links", "a", "s", "c"])
        .check();
    Diff::new(setup).args(&["-a", "t", "a", "b", "c"]).check();
    Diff::new(setup).args(&["-r", "t", "c"]).check();
    Diff::new(setup).args(&["-a", "t", "t/x", "c"]).check();
}

#[test]
fn preserve_mode() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "a", "a\n");
        chmod(r, "a", 0o1777);
        dir(r, "d1");
        chmod(r, "d1", 0o2755);
        file(r, "d1/f", "f\n");
        chmod(r, "d1/f", 0o604);
        file(r, "g", "g\n");
        chmod(r, "g", 0o2750);
    };
    Diff::new(setup)
        .args(&["--preserve=mode", "a", "b"])
        .check();
    Diff::new(setup).args(&["a", "b"]).check();
    Diff::new(setup)
        .args(&["--no-preserve=mode", "--preserve=all", "a", "b"])
        .check();
    Diff::new(setup)
        .args(&["--preserve=all", "--no-preserve=mode", "a", "b"])
        .check();
    Diff::new(setup)
        .args(&["--no-preserve=mode", "-r", "d1", "d2"])
        .check();
    Diff::new(setup)
        .args(&["-a", "--no-preserve=mode", "d1", "d2"])
        .check();
    Diff::new(setup).args(&["-r", "d1", "d2"]).check();
    Diff::new(setup).args(&["-p", "g", "h"]).check();
    // An existing destination keeps its mode unless mode is preserved.
    Diff::new(|r| {
        file(r, "a", "a\n");
        chmod(r, "a", 0o755);
        file(r, "b", "old\n");
        chmod(r, "b", 0o600);
    })
    .args(&["a", "b"])
    .check();
}

#[test]
fn preserve_link_into_existing_tree() {
    if !have_gnu() {
        return;
    }
    // GNU preserve-link.sh: re-copying a tree with hard links over an earlier copy.
    let setup = |r: &Path| {
        file(r, "s/f", "f\n");
        hardlink(r, "s/f", "s/g");
        dir(r, "s/d");
        hardlink(r, "s/f", "s/d/h");
        // Only t/s/d/h exists: which of f and g (one inode) is copied first is qsort's choice.
        file(r, "t/s/d/h", "old\n");
    };
    // Which of s/d and s/f comes first is inode order, for GNU cp and fcopy alike, and the two
    // fixtures get their own inode numbers: whether t/s/d/h is rewritten in place or replaced
    // by a link depends on it. Compare only fixtures whose orders agree (retrying for that).
    for args in [
        &["-a", "s", "t"][..],
        &["-dR", "s", "t"][..],
        &["-R", "--preserve=links", "s", "t"][..],
        &["-aT", "s", "t/s"][..],
    ] {
        let orders = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = orders.clone();
        let diff = Diff::new(move |r: &Path| {
            setup(r);
            let ino = |rel: &str| fs::metadata(r.join(rel)).unwrap().ino();
            seen.lock().unwrap().push(ino("s/d") < ino("s/f"));
        })
        .args(args);
        // (Under a parallel test run XFS hands out inodes from other tests' allocation
        // groups too, so agreeing orders can take many tries; each is two tiny copies.)
        let compared = (0..200).any(|_| {
            orders.lock().unwrap().clear();
            let (gnu, ours) = diff.run();
            let o = orders.lock().unwrap().clone();
            if o.len() == 2 && o[0] == o[1] {
                let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
                harness::assert_same(&args, &gnu, &ours);
                true
            } else {
                false
            }
        });
        assert!(
            compared,
            "{args:?}: never got two fixtures with the same entry order"
        );
    }
}

#[test]
fn readonly_dir() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "ro/a/f", "f\n");
        chmod(r, "ro/a", 0o555);
        chmod(r, "ro", 0o500);
    };
    Diff::new(setup).args(&["-a", "ro", "out"]).check();
    Diff::new(setup).args(&["-r", "ro", "out"]).check();
    Diff::new(setup).args(&["-rp", "ro", "out"]).check();
}

#[test]
fn special_files() {
    if !have_gnu() {
        return;
    }
    // GNU special-f.sh: -R over an existing regular file makes a FIFO.
    let setup = |r: &Path| {
        fifo(r, "fifo");
        file(r, "e", "");
        dir(r, "sp");
        fifo(r, "sp/p");
        let _ = std::os::unix::net::UnixListener::bind(r.join("sp/sock"));
    };
    Diff::new(setup).args(&["-R", "fifo", "e"]).check();
    Diff::new(setup).args(&["-Rf", "fifo", "e"]).check();
    Diff::new(setup).args(&["-a", "sp", "out"]).check();
    Diff::new(setup).args(&["-r", "sp", "out"]).check();
    Diff::new(setup).args(&["-r", "sp/sock", "sock2"]).check();
    Diff::new(setup).args(&["sp/sock", "sock2"]).check();
    if !is_root() {
        skip("creating device nodes needs root");
        return;
    }
    let devs = |r: &Path| {
        dir(r, "dv");
        for (name, ft, maj, min) in [
            ("null", rustix::fs::FileType::CharacterDevice, 1, 3),
            ("zero", rustix::fs::FileType::CharacterDevice, 1, 5),
            ("loop", rustix::fs::FileType::BlockDevice, 7, 200),
        ] {
            rustix::fs::mknodat(
                rustix::fs::CWD,
                r.join("dv").join(name),
                ft,
                rustix::fs::Mode::from_raw_mode(0o640),
                rustix::fs::makedev(maj, min),
            )
            .unwrap();
        }
        chown(r, "dv/null", 12, 34);
    };
    Diff::new(devs).args(&["-a", "dv", "out"]).check();
    Diff::new(devs).args(&["-r", "dv", "out"]).check();
    Diff::new(devs).args(&["-R", "dv/null", "n2"]).check();
}

#[test]
fn backup_1_and_backup_is_src() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "a", "a\n");
        file(r, "a~", "a-tilde\n");
        file(r, "b", "b\n");
    };
    Diff::new(setup).args(&["-b", "a~", "a"]).check();
    Diff::new(setup)
        .args(&["--backup=simple", "a~", "a"])
        .check();
    Diff::new(setup).args(&["-b", "-S", "x", "a~", "a"]).check();
    // backup-1: `--force --backup f f` makes a backup (an existing a~: see known_differences).
    Diff::new(setup)
        .args(&["--force", "--backup", "b", "b"])
        .check();
    Diff::new(setup).args(&["-b", "b", "a"]).check();
}

#[test]
fn no_deref_link() {
    if !have_gnu() {
        return;
    }
    // no-deref-link1: a symlink in the destination dir pointing at the source.
    Diff::new(|r| {
        file(r, "a/foo", "foo\n");
        symlink(r, "b/foo", "../a/foo");
    })
    .args(&["-d", "-u", "a/foo", "b"])
    .check();
    // no-deref-link2 and 3.
    let setup = |r: &Path| {
        file(r, "a", "bar\n");
        symlink(r, "b", "a");
    };
    Diff::new(setup).args(&["-d", "a", "b"]).check();
    Diff::new(setup).args(&["-d", "b", "a"]).check();
    Diff::new(setup).args(&["-P", "b", "a"]).check();
    Diff::new(setup).args(&["-df", "b", "a"]).check();
}

#[test]
fn non_utf8_names() {
    if !have_gnu() {
        return;
    }
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(b"\xffname");
    let setup = move |r: &Path| {
        fs::write(r.join(name), "bytes\n").unwrap();
        fs::create_dir(r.join("d\u{e9}")).unwrap();
        fs::create_dir(r.join(std::ffi::OsStr::from_bytes(b"dir\xfe"))).unwrap();
        fs::write(
            r.join(std::ffi::OsStr::from_bytes(b"dir\xfe/in\xff")),
            "in\n",
        )
        .unwrap();
    };
    let args = |list: &[&[u8]]| -> Vec<std::ffi::OsString> {
        list.iter()
            .map(|a| std::ffi::OsStr::from_bytes(a).to_owned())
            .collect()
    };
    Diff::new(setup)
        .args(&args(&[b"\xffname", b"copy\xfe"]))
        .check();
    Diff::new(setup)
        .args(&args(&[b"-rv", b"dir\xfe", b"out\xfd"]))
        .check();
    Diff::new(setup)
        .args(&args(&[b"-r", b"dir\xfe", b"dir\xfe/sub"]))
        .outputs_only()
        .check();
    Diff::new(setup)
        .args(&args(&[b"missing\xff", b"x"]))
        .check();
    Diff::new(setup).args(&args(&[b"dir\xfe", b"x"])).check();
    Diff::new(setup)
        .args(&args(&[b"-r", b"d\xc3\xa9", b"x\xc3\xa9"]))
        .check();
    Diff::new(setup)
        .args(&args(&[b"-v", b"name\xff", b"tab\there"]))
        .check();
}

#[test]
fn source_named_twice_and_just_created() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "x", "x\n");
        file(r, "y/x", "yx\n");
        file(r, "d/f", "f\n");
        dir(r, "dst");
        symlink(r, "xl", "x");
    };
    Diff::new(setup).args(&["x", "x", "dst"]).check();
    Diff::new(setup).args(&["-r", "d", "d", "dst"]).check();
    Diff::new(setup).args(&["x", "./x", "dst"]).check();
    Diff::new(setup).args(&["x", "y/x", "dst"]).check();
    Diff::new(setup).args(&["-b", "x", "x", "dst"]).check();
    Diff::new(setup)
        .args(&["--backup=numbered", "x", "y/x", "dst"])
        .check();
    Diff::new(setup).args(&["x", "xl", "dst"]).check();
    Diff::new(setup).args(&["-d", "x", "xl", "dst"]).check();
    Diff::new(setup).args(&["-r", "y", "y/", "dst"]).check();
}

#[test]
fn deep_tree_1000() {
    if !have_gnu() {
        return;
    }
    Diff::new(|r| {
        let mut p = r.join("deep");
        for i in 0..1000 {
            p.push(format!("d{}", i % 10));
        }
        fs::create_dir_all(&p).unwrap();
        fs::write(p.join("leaf"), "leaf\n").unwrap();
    })
    .args(&["-a", "deep", "copy"])
    .check();
}

#[test]
fn wide_dir_20000() {
    if !have_gnu() {
        return;
    }
    Diff::new(|r| {
        let d = r.join("wide");
        fs::create_dir(&d).unwrap();
        for i in 0..20_000 {
            fs::write(d.join(format!("f{i:05}")), "").unwrap();
        }
        fs::write(d.join("f00007"), "seven\n").unwrap();
    })
    .no_stamp()
    .args(&["-r", "wide", "copy"])
    .check();
}

#[test]
fn misc_usage_messages() {
    check(&["src"]);
    check(&[]);
    check(&["src", "dst"]);
    check(&["src/a", "src/b", "src/c"]);
    check(&["src/a", "src/b", "nonexistent"]);
    check(&["-t", "ext/file", "src/a"]);
    check(&["-T", "src/a", "src/b", "ext"]);
    check(&["--parents", "src/a", "ext/file"]);
}

#[test]
fn owner_without_privileges_drops_setuid() {
    // As root this is a plain -p copy; the non-root rule is exercised when run unprivileged.
    check(&["-p", "src/setuid", "copy"]);
    check(&["-p", "src/owned", "copy"]);
}

#[test]
fn name_starting_with_an_escaped_byte_is_quoted_as_gnu_does() {
    if !have_gnu() {
        return;
    }
    use std::os::unix::ffi::OsStrExt;
    // GNU writes ''$'\377''name' for it (fcopy once left out the leading '').
    Diff::new(|r| fs::write(r.join(std::ffi::OsStr::from_bytes(b"\xffname")), "x\n").unwrap())
        .args(&[
            std::ffi::OsStr::from_bytes(b"-v"),
            std::ffi::OsStr::from_bytes(b"\xffname"),
            "copy".as_ref(),
        ])
        .check();
}

/// The known differences from GNU cp 9.1 (listed in the README's "Differences from GNU cp"):
/// fcopy's own behaviour is asserted, so a change to either side shows up.
#[test]
fn known_differences_behave_as_documented() {
    use std::process::Command;
    let scratch_dir = scratch();
    let r = scratch_dir.path();
    let run = |args: &[&str], env: Option<(&str, &str)>| {
        let mut cmd = Command::new(crate::testenv::FCOPY);
        cmd.args(args).current_dir(r).env("LC_ALL", "C");
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // 1. `--force --backup a a` with an existing a~: a stays, a~ gets a's data as a new file
    //    (GNU rewrites a~ in place, keeping its inode).
    //    A second link to the old a~ shows which: rewritten in place, it would read "a".
    file(r, "a", "a\n");
    file(r, "a~", "old\n");
    hardlink(r, "a~", "old-link");
    let out = run(&["--force", "--backup", "a", "a"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(r.join("a")).unwrap(), b"a\n");
    assert_eq!(fs::read(r.join("a~")).unwrap(), b"a\n");
    assert_eq!(fs::read(r.join("old-link")).unwrap(), b"old\n");
    // 2. -aL through a symlink to a directory: fcopy copies the directory's own xattrs (GNU
    //    reads them through the symlink, so copies none).
    dir(r, "d");
    symlink(r, "linktod", "d");
    if xattr(r, "d", "user.kind", "dir") {
        let out = run(&["-aL", "linktod", "dst"], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            harness::user_xattrs(&r.join("dst")),
            vec![(b"user.kind".to_vec(), b"dir".to_vec())]
        );
    } else {
        skip("user xattrs are not supported here");
    }
}

// ---------------------------------------------------------------- ACLs and the new file's mode

/// A POSIX ACL in the kernel's xattr format: (tag, permission bits, id) entries.
fn acl_xattr(entries: &[(u16, u16, u32)]) -> Vec<u8> {
    let mut value = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        value.extend(tag.to_le_bytes());
        value.extend(perm.to_le_bytes());
        value.extend(id.to_le_bytes());
    }
    value
}

const ACL_USER_OBJ: u16 = 0x01;
const ACL_USER: u16 = 0x02;
const ACL_GROUP_OBJ: u16 = 0x04;
const ACL_MASK: u16 = 0x10;
const ACL_OTHER: u16 = 0x20;
const NO_ID: u32 = u32::MAX;

/// Sets `name` (system.posix_acl_access or _default) on `root/rel`; false when unsupported.
fn set_acl(root: &Path, rel: &str, name: &str, entries: &[(u16, u16, u32)]) -> bool {
    rustix::fs::setxattr(
        root.join(rel),
        name,
        &acl_xattr(entries),
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok()
}

fn acls_supported() -> bool {
    let dir = scratch();
    file(dir.path(), "probe", "");
    let entries = [
        (ACL_USER_OBJ, 6, NO_ID),
        (ACL_GROUP_OBJ, 4, NO_ID),
        (ACL_OTHER, 4, NO_ID),
    ];
    set_acl(dir.path(), "probe", "system.posix_acl_access", &entries)
        || skip("the test filesystem does not take POSIX ACLs")
}

#[test]
fn preserve_xattr_of_a_file_with_an_acl_keeps_the_umask_like_gnu() {
    if !have_gnu() || !acls_supported() {
        return;
    }
    // The ACL makes the source rw for everyone; GNU cp copies the xattrs but not their mode.
    Diff::new(|r| {
        file(r, "src", "data\n");
        chmod(r, "src", 0o666);
        let rw = 6;
        let acl = [
            (ACL_USER_OBJ, rw, NO_ID),
            (ACL_USER, rw, 1234),
            (ACL_GROUP_OBJ, rw, NO_ID),
            (ACL_MASK, rw, NO_ID),
            (ACL_OTHER, rw, NO_ID),
        ];
        assert!(set_acl(r, "src", "system.posix_acl_access", &acl));
    })
    .args(&["--preserve=xattr", "src", "new"])
    .check();
}

#[test]
fn a_default_acl_decides_a_plain_copy_s_mode_but_not_no_preserve_mode_like_gnu() {
    if !have_gnu() || !acls_supported() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "src", "data\n");
        chmod(r, "src", 0o644);
        dir(r, "acl");
        let default = [
            (ACL_USER_OBJ, 7, NO_ID),
            (ACL_USER, 7, 1234),
            (ACL_GROUP_OBJ, 0, NO_ID),
            (ACL_MASK, 7, NO_ID),
            (ACL_OTHER, 0, NO_ID),
        ];
        assert!(set_acl(r, "acl", "system.posix_acl_default", &default));
    };
    // Plain: created with the mode, the default ACL masks it (0640 here), as GNU cp.
    Diff::new(setup).args(&["src", "acl/plain"]).check();
    // A default ACL that allows more than the umask would: the umask does not apply (0666).
    Diff::new(|r| {
        file(r, "src", "data\n");
        chmod(r, "src", 0o666);
        dir(r, "open");
        let default = [
            (ACL_USER_OBJ, 7, NO_ID),
            (ACL_GROUP_OBJ, 7, NO_ID),
            (ACL_OTHER, 7, NO_ID),
        ];
        assert!(set_acl(r, "open", "system.posix_acl_default", &default));
    })
    .args(&["src", "open/plain"])
    .check();
    // --no-preserve=mode: GNU sets 0666 less the umask explicitly, whatever the ACL says.
    Diff::new(setup)
        .args(&["--no-preserve=mode", "src", "acl/explicit"])
        .check();
}

#[test]
fn preserving_the_mode_copies_posix_acls_like_gnu() {
    if !have_gnu() || !acls_supported() {
        return;
    }
    // GNU tests/cp/acl.sh: -p (and --preserve=mode) carry the access ACL; for a directory also
    // the default ACL. A source without an ACL removes one the destination had.
    let setup = |r: &Path| {
        file(r, "a/file", "data\n");
        let acl = [
            (ACL_USER_OBJ, 6, NO_ID),
            (ACL_USER, 6, 2),
            (ACL_GROUP_OBJ, 4, NO_ID),
            (ACL_MASK, 6, NO_ID),
            (ACL_OTHER, 4, NO_ID),
        ];
        assert!(set_acl(r, "a/file", "system.posix_acl_access", &acl));
        assert!(set_acl(r, "a", "system.posix_acl_default", &acl));
        file(r, "plain", "plain\n");
        file(r, "b/file", "old\n");
        assert!(set_acl(r, "b/file", "system.posix_acl_access", &acl));
        dir(r, "c");
    };
    Diff::new(setup).args(&["a/file", "c/"]).check();
    Diff::new(setup).args(&["-p", "a/file", "c/"]).check();
    Diff::new(setup)
        .args(&["--preserve=mode", "a/file", "c/"])
        .check();
    Diff::new(setup)
        .args(&["-p", "--attributes-only", "a/file", "c/"])
        .check();
    Diff::new(setup).args(&["-rp", "a", "c/"]).check();
    Diff::new(setup).args(&["-p", "plain", "b/file"]).check();
}

#[test]
fn runs_clean_under_valgrind() {
    // GNU tests/cp/copy-FMR.sh runs cp under valgrind; a statically linked glibc makes valgrind
    // report errors in its start-up, so the default build is dynamic.
    use std::process::Command;
    if Command::new("valgrind").arg("--version").output().is_err() {
        skip("valgrind is not installed");
        return;
    }
    let scratch_dir = scratch();
    let r = scratch_dir.path();
    fs::write(r.join("j"), vec![b'x'; 3 * 4096 + 10]).unwrap();
    let out = Command::new("valgrind")
        .args(["--quiet", "--error-exitcode=3", crate::testenv::FCOPY])
        .args(["--reflink=never", "j", "j2"])
        .current_dir(r)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read(r.join("j2")).unwrap(),
        fs::read(r.join("j")).unwrap()
    );
}

#[test]
fn parents_modes_and_leading_dot_or_slash() {
    if !have_gnu() {
        return;
    }
    // GNU tests/cp/parent-perm.sh: with -p, existing parents get the source's attributes too.
    let perm = |r: &Path| {
        file(r, "a/b/c/foo", "c\n");
        file(r, "a/b/d/foo", "d\n");
        file(r, "e/a/b/c/foo", "c\n");
        chmod(r, "e/a", 0o700);
        chmod(r, "e/a/b", 0o705);
    };
    Diff::new(perm)
        .args(&["-p", "--parents", "a/b/d/foo", "e"])
        .check();
    Diff::new(perm)
        .args(&["--parents", "a/b/d/foo", "e"])
        .check();
    // GNU tests/cp/cp-parents.sh: --no-preserve=mode makes new parents 0777 less the umask.
    let np = |r: &Path| {
        file(r, "np/b/file", "f\n");
        chmod(r, "np/b/file", 0o775);
        chmod(r, "np", 0o700);
        dir(r, "np_dest");
    };
    Diff::new(np)
        .args(&["--parents", "--no-preserve=mode", "np/b/file", "np_dest/"])
        .check();
    Diff::new(np)
        .args(&["--parents", "np/b/file", "np_dest/"])
        .check();
    // `find . -print0 | xargs -0 cp --parents -t DIR`: './a/b/f'; and absolute names.
    Diff::new(perm)
        .args(&["-v", "--parents", "-t", "e", "./a/b/d/foo", "a/b/c/foo"])
        .check();
    let outside = scratch();
    file(outside.path(), "x/y", "y\n");
    let abs = outside.path().join("x/y");
    let abs = abs.to_str().unwrap();
    Diff::new(perm).args(&["-v", "--parents", abs, "e"]).check();
}

#[test]
fn option_errors_and_abbreviations_like_gnu() {
    if !have_gnu() {
        return;
    }
    // `-h` is not a cp option; GNU getopt's words for unknown, ambiguous and misused options.
    for args in [
        &["-rh", "src", "dst"][..],
        &["--recursve", "src", "dst"],
        &["--recursve=x", "src", "dst"],
        &["--re", "src", "dst"],
        &["--parents=x", "src/a", "ext"],
        &["--reflink=bogus", "src/a", "copy"],
        &["--suffix"],
        &["src/a", "-S"],
        // GNU tests/cp/backup-is-src.sh: `--b` is `--backup` (fcopy's --batch does not count).
        &["--b=simple", "src/a", "src/b"],
        &["--pa", "src/a", "ext"],
        &["--path", "src/sub/c", "ext"],
        &["-R", "src", "dst"],
        // `-u` takes no value (only --update=WHEN does): '=' is an invalid option (new-user
        // trial, round 4: fcopy took `-u=older` as --update=older).
        &["-u=older", "src/a", "copy"],
        &["-ru=all", "src", "dst"],
        &["-S=x", "-b", "src/a", "src/b"],
    ] {
        check(args);
    }
    // --sparse=bogus: GNU lists never/auto/always; fcopy names the same three.
    let out = Diff::new(tree)
        .args(&["--sparse=bogus", "src/a", "copy"])
        .run()
        .1;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .starts_with("cp: invalid argument 'bogus' for '--sparse'\nValid arguments are:\n"),
        "{}",
        out.stderr
    );
    // --len -5: the message names the option that got the bad value.
    let out = Diff::new(tree)
        .args(&["--len", "-5", "src/a", "copy"])
        .run()
        .1;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("'--len"), "{}", out.stderr);
}

#[test]
fn help_shows_gnu_usage_forms_and_fails_on_a_full_disk() {
    use std::process::{Command, Stdio};
    let help = Command::new(crate::testenv::FCOPY)
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for form in [
        "[OPTION]... [-T] SOURCE DEST",
        "[OPTION]... SOURCE... DIRECTORY",
        "[OPTION]... -t DIRECTORY SOURCE...",
        "-R",
    ] {
        assert!(text.contains(form), "--help lacks {form}:\n{text}");
    }
    for flag in ["--help", "--version"] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(crate::testenv::FCOPY)
            .arg(flag)
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag} into /dev/full");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("write error: No space left on device"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs fcopy (as `cp`) in `dir` under `ulimit -v kib`; true when it exits 0.
fn fcopy_with_vm_limit(dir: &Path, kib: u64, args: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" {args}"))
        .arg(crate::testenv::FCOPY)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn hard_link_tree_under_an_address_space_limit() {
    // GNU tests/cp/link-heap.sh: `cp -al` of 2 × (10,000 files + 10,000 directories) with
    // 4 MiB of address space above what a one-file `cp -al` needs. fcopy used to abort
    // ("memory allocation of ... failed"): worker threads, and names of every linked file and
    // created directory. GNU cp passes; fcopy must too, without worker threads.
    let scratch_dir = scratch();
    let r = scratch_dir.path();
    file(r, "one", "");
    let Some(vm) = (1..=60)
        .map(|i| i * 1000)
        .find(|&kib| fcopy_with_vm_limit(r, kib, "-al one one2"))
    else {
        skip("fcopy does not run under any ulimit -v up to 60 MB here");
        return;
    };
    for top in ["e/a", "e/b"] {
        for i in 0..10_000 {
            fs::write(r.join(format!("{top}/{i:031}")).as_path(), "").unwrap_or_else(|_| {
                fs::create_dir_all(r.join(top)).unwrap();
                fs::write(r.join(format!("{top}/{i:031}")), "").unwrap();
            });
            fs::create_dir(r.join(format!("{top}/d{i:030}"))).unwrap();
        }
    }
    assert!(
        fcopy_with_vm_limit(r, vm + 4000, "-al e f"),
        "cp -al e f failed under ulimit -v {}",
        vm + 4000
    );
    assert!(r.join(format!("f/b/{:031}", 9999)).is_file());
    assert!(r.join(format!("f/a/d{:030}", 9999)).is_dir());
}

/// Runs `cp ARGS` as `nobody` (setpriv) in `dir`, with `cp` being `program`: (status, stderr).
fn run_as_nobody(program: &Path, dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let bin = dir.join(".bin");
    let _ = fs::create_dir(&bin);
    let _ = fs::remove_file(bin.join("cp"));
    std::os::unix::fs::symlink(program, bin.join("cp")).unwrap();
    let out = std::process::Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cp"])
        .args(args)
        .current_dir(dir)
        .env("PATH", &bin)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn permission_messages_as_an_unprivileged_user_like_gnu() {
    use std::os::unix::fs::PermissionsExt;
    if !have_gnu() {
        return;
    }
    if !is_root() || !Path::new("/usr/bin/setpriv").exists() {
        skip("needs root and setpriv to run as nobody");
        return;
    }
    // GNU tests/cp/fail-perm.sh (as nobody): DEST behind an unsearchable directory, and a
    // read-only DEST without -f.
    for args in [
        &["F", "symlink"][..],
        &["--no-target-directory", "F", "symlink"],
        &["--target-directory=symlink", "F"],
        &["F", "ro"],
    ] {
        let mut results = Vec::new();
        for program in [Path::new(harness::GNU_CP), Path::new(crate::testenv::FCOPY)] {
            let scratch_dir = scratch();
            let r = scratch_dir.path();
            fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
            dir(r, "D/D");
            file(r, "F", "f\n");
            file(r, "ro", "old\n");
            chmod(r, "ro", 0o444);
            chown(r, "ro", 65534, 65534);
            chmod(r, "D", 0);
            chown(r, "D", 65534, 65534);
            symlink(r, "symlink", "D/D");
            results.push(run_as_nobody(program, r, args));
            assert_eq!(fs::read(r.join("ro")).unwrap(), b"old\n");
            chmod(r, "D", 0o700);
        }
        assert_eq!(results[0], results[1], "cp {args:?}: GNU, then fcopy");
    }
}

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
fn ownership_without_privileges_like_gnu() {
    use std::os::unix::fs::PermissionsExt;
    if !have_gnu() {
        return;
    }
    if !is_root() || !Path::new("/usr/bin/setpriv").exists() {
        skip("needs root and setpriv to run as nobody");
        return;
    }
    // As nobody, root's files: the chown fails with EPERM, which GNU accepts silently even
    // for --preserve=ownership; and a file whose owner could not be kept loses its
    // set-user-ID, set-group-ID and sticky bits (1777 -> 0777).
    for args in [
        &["--preserve=ownership", "f", "g"][..],
        &["-p", "sticky", "g"],
        &["-a", "sticky", "g"],
        &["-p", "setuid", "g"],
    ] {
        let mut results = Vec::new();
        for program in [Path::new(harness::GNU_CP), Path::new(crate::testenv::FCOPY)] {
            let scratch_dir = scratch();
            let r = scratch_dir.path();
            fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
            file(r, "f", "f\n");
            file(r, "sticky", "s\n");
            chmod(r, "sticky", 0o1777);
            file(r, "setuid", "u\n");
            chmod(r, "setuid", 0o6755);
            let (code, stderr) = run_as_nobody(program, r, args);
            let mode = fs::metadata(r.join("g")).map(|m| m.mode() & 0o7777).ok();
            results.push((code, stderr, mode));
        }
        assert_eq!(results[0], results[1], "cp {args:?}: GNU, then fcopy");
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
fn names_in_the_c_locale_are_escaped_like_gnu() {
    if !have_gnu() {
        return;
    }
    // LC_ALL=C (the harness's locale): GNU escapes non-ASCII bytes and groups consecutive
    // escapes in one $'...'.
    let setup = |r: &Path| {
        file(r, "üü", "u\n");
        file(r, "aü", "a\n");
        file(r, "a\n\nb", "n\n");
    };
    for src in ["üü", "aü", "a\n\nb"] {
        Diff::new(setup).args(&["-v", src, "copy"]).check();
        Diff::new(setup).args(&[src, src]).check();
    }
}

#[test]
fn a_clone_that_fails_for_want_of_space_fails_the_file_like_gnu_9_2() {
    // GNU 9.2: FICLONE failing with EIO, ENOSPC, ENOMEM or EDQUOT is not a reason to fall back
    // to copying (which would fail alike); only "cannot clone here" errors are.
    if !crate::testenv::require_tool("strace") {
        return;
    }
    let Some(mount) = crate::testenv::LoopMount::new("xfs", 512 << 20) else {
        return;
    };
    let env = crate::testenv::TestEnv::in_dir(mount.path());
    env.write("src", b"data\n");
    for (errno, text) in [
        ("ENOSPC", "No space left on device"),
        ("EDQUOT", "Disk quota exceeded"),
    ] {
        let out = std::process::Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=ioctl"])
            .arg("-e")
            .arg(format!("inject=ioctl:error={errno}"))
            .arg(crate::testenv::FCOPY)
            .args(["src", "dst"])
            .current_dir(env.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{errno}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("fcopy: failed to clone 'dst' from 'src': {text}\n")
        );
        assert!(!env.path().join("dst").exists(), "{errno}: dst left behind");
    }
    // "Cannot clone here" still falls back to copying.
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=ioctl"])
        .args(["-e", "inject=ioctl:error=EOPNOTSUPP"])
        .arg(crate::testenv::FCOPY)
        .args(["src", "dst"])
        .current_dir(env.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(env.path().join("dst")).unwrap(), b"data\n");
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

/// Runs `program args` in `dir` under strace with `inject` (e.g. `linkat:error=EPERM`):
/// (exit code, standard error without the program's name, sorted names in `dir`, `g`'s text).
fn run_injected(
    program: &Path,
    dir: &Path,
    inject: &str,
    args: &[&str],
) -> (Option<i32>, String, Vec<String>, String) {
    let syscall = inject.split(':').next().unwrap();
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={syscall}"))
        .arg("-e")
        .arg(format!("inject={inject}"))
        .arg(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr
        .split_once(": ")
        .map_or("", |(_, rest)| rest)
        .to_owned();
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let g = fs::read_to_string(dir.join("g")).unwrap_or_default();
    (out.status.code(), stderr, names, g)
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

#[test]
fn a_failed_chown_with_privileges_fails_the_copy_like_gnu() {
    // Red-team review: with fchown failing as root, `cp -a f h` exited 0 and gave h f's group
    // and other bits. GNU: "failed to preserve ownership", exit 1, h left 0600 (the bits
    // withheld until the owner is right stay withheld).
    if !have_gnu() || !is_root() || !crate::testenv::require_strace() {
        return;
    }
    for errno in ["EIO", "EPERM"] {
        for options in ["-a", "-p", "--preserve=ownership", "-a --no-preserve=mode"] {
            let mut args: Vec<&str> = options.split(' ').collect();
            args.extend(["f", "h"]);
            let side = |program: &Path| {
                let tmp = scratch();
                file(tmp.path(), "f", "a\n");
                chown(tmp.path(), "f", 65534, 65534);
                chmod(tmp.path(), "f", 0o640);
                let inject = format!("fchown:error={errno}");
                let (code, stderr, _, _) = run_injected(program, tmp.path(), &inject, &args);
                let meta = fs::metadata(tmp.path().join("h")).unwrap();
                (code, stderr, meta.mode() & 0o7777, meta.uid())
            };
            let gnu = side(Path::new("/usr/bin/cp"));
            let ours = side(Path::new(crate::testenv::FCOPY));
            assert_eq!(gnu, ours, "{errno} {args:?}: GNU, then fcopy");
        }
    }
}

#[test]
fn special_files_onto_themselves_are_the_same_file_like_gnu() {
    if !have_gnu() {
        return;
    }
    // Red-team review: `cp -r p p`, `cp -a p p2` (p2 a hard link of FIFO p) and `cp -r p q`
    // (q -> p) exited 0, the last replacing the user's symlink with a FIFO; `-rfb p p` made
    // p~. GNU: "are the same file", exit 1. With -n GNU 9.1 skips before that check.
    let setup = |r: &Path| {
        fifo(r, "p");
        hardlink(r, "p", "p2");
        symlink(r, "q", "p");
        file(r, "f", "a\n");
        hardlink(r, "f", "f2");
        symlink(r, "l", "f");
    };
    for args in [
        "-r p p",
        "-a p p2",
        "-r p q",
        "-rfb p p",
        "-rb p p",
        "-rf p q",
        "-a p q",
        "-rb --backup=numbered p p",
        "-r --remove-destination p p",
        "-rn p p",
        "-rn p p2",
        "-an p q",
        "-an l l",
        "-n f f",
        "-n f f2",
        "-n l f",
        "-rfb p p2",
        "-rL p q",
    ] {
        let args: Vec<&str> = args.split(' ').collect();
        Diff::new(setup).args(&args).check();
    }
}

#[test]
fn loops_dangling_symlinks_and_merged_operands_like_gnu_9_1() {
    if !have_gnu() {
        return;
    }
    // Red-team review, GNU 9.1 differences: a backup renames a symlink loop away and copies;
    // -n, -u, -i do not skip (or ask about) a dangling symlink, they refuse to write through
    // it (POSIXLY_CORRECT writes through it); "will not overwrite just-created" is for
    // command-line operands only (`cp -r d1/x d2/x d` merges both).
    let setup = |r: &Path| {
        file(r, "f", "a\n");
        symlink(r, "loop", "loop");
        symlink(r, "dangling", "nowhere");
        file(r, "d1/x/f", "1\n");
        file(r, "d2/x/f", "2\n");
        file(r, "d2/x/g", "3\n");
        dir(r, "d");
    };
    for args in [
        "-b f loop",
        "-fb f loop",
        "--backup=numbered f loop",
        "-n f dangling",
        "-u f dangling",
        "-r d1/x d2/x d",
        "-a d1/x d2/x d",
        "-rb d1/x d2/x d",
    ] {
        let args: Vec<&str> = args.split(' ').collect();
        Diff::new(setup).args(&args).check();
    }
    // (-i: GNU 9.1 asks nothing, so an answer would not be read.)
    Diff::new(setup).args(&["-i", "f", "dangling"]).check();
    for args in ["-n f dangling", "-u f dangling", "-i f dangling"] {
        let args: Vec<&str> = args.split(' ').collect();
        Diff::new(setup)
            .args(&args)
            .env("POSIXLY_CORRECT", "1")
            .check();
    }
}

#[test]
fn a_backup_that_cannot_be_put_back_is_said_like_gnu() {
    // Red-team review: a failed un-backup was silent. GNU: "cannot un-backup 'g': ...", after
    // the link's own error. (GNU renames differently, so only fcopy runs here: the first
    // renameat2 is the un-backup.)
    if !crate::testenv::require_strace() {
        return;
    }
    for (syscall, options, what) in [
        ("linkat", "-lb", "hard link"),
        ("symlinkat", "-sb", "symbolic link"),
    ] {
        let tmp = scratch();
        file(tmp.path(), "f", "new\n");
        file(tmp.path(), "g", "old\n");
        let out = std::process::Command::new("strace")
            .args(["-f", "-qq", "-o", "/dev/null", "-e"])
            .arg(format!("inject={syscall}:error=EPERM"))
            .args(["-e", "inject=renameat2:error=EIO"])
            .arg(crate::testenv::FCOPY)
            .args([options, "f", "g"])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "fcopy: cannot create {what} 'g' to 'f': Operation not permitted\n\
                 fcopy: cannot un-backup 'g': Input/output error\n"
            )
        );
        assert_eq!(fs::read_to_string(tmp.path().join("g~")).unwrap(), "old\n");
    }
}

#[test]
fn parents_through_a_file_or_a_dangling_symlink_like_gnu() {
    if !have_gnu() {
        return;
    }
    // Reviewer's cases: a file where a --parents directory goes is "'d/a/b' exists but is not
    // a directory"; a dangling symlink is "cannot make directory 'd/a/b': File exists".
    for in_the_way in ["file", "dangling", "symlink to a file"] {
        let setup = move |r: &Path| {
            file(r, "a/b/f", "x\n");
            dir(r, "d/a");
            match in_the_way {
                "file" => file(r, "d/a/b", "y\n"),
                "dangling" => symlink(r, "d/a/b", "nowhere"),
                _ => symlink(r, "d/a/b", "../../a/b/f"),
            }
        };
        for args in [
            "--parents a/b/f d",
            "-a --parents a/b/f d",
            "--parents -r a/b d",
        ] {
            let args: Vec<&str> = args.split(' ').collect();
            Diff::new(setup).args(&args).check();
        }
    }
}

/// GNU copy.c removes an existing DEST file that has other names before copying when links are
/// kept (`x->preserve_links && 1 < dst_sb.st_nlink`), so its other names keep the old contents,
/// and `-v` says `removed 'DEST'`; without kept links it is rewritten in place, and every name
/// shows the new contents (new-user trial, round 4: fcopy -a rewrote it in place).
#[test]
fn a_dest_file_with_other_names_is_replaced_when_links_are_kept_like_gnu() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "src/h", "new\n");
        file(r, "src/g", "g\n");
        file(r, "dst/h", "old\n");
        hardlink(r, "dst/h", "dst/hh");
        file(r, "dst/g", "old g\n");
        file(r, "f", "f\n");
        file(r, "t", "old t\n");
        hardlink(r, "t", "t2");
        symlink(r, "tl", "t");
    };
    for args in [
        "-av src/. dst",
        "-rv src/. dst",
        "-dRv src/. dst",
        "-rv --preserve=links src/. dst",
        "-av f t",
        "-v f t",
        "-av f tl",
        "-av --remove-destination f t",
    ] {
        let args: Vec<&str> = args.split(' ').collect();
        // (A tree's entries come in inode order, which differs between the two fixtures.)
        let diff = Diff::new(setup).args(&args);
        if args.contains(&"src/.") {
            diff.unordered().check();
        } else {
            diff.check();
        }
    }
}

#[test]
fn a_later_name_of_a_link_group_whose_first_copy_was_skipped_keeps_or_links_dest_like_gnu() {
    if !have_gnu() {
        return;
    }
    // Red-team round 4: s/a, s/b one file (2020); t/a a symlink to a newer file, t/b an old
    // file. GNU 9.1 `cp -a -u -v`: skips t/a, remembers it, links t/b to it (the symlink) and
    // says "removed 't/b'", exit 0; fcopy removed t/b, then failed to link it (ENOENT). `-n`
    // skips both.
    let setup = |r: &Path| {
        file(r, "s/a", "data\n");
        hardlink(r, "s/a", "s/b");
        set_mtime(&r.join("s/a"), 1_577_836_800);
        file(r, "t/new", "new\n");
        symlink(r, "t/a", "new");
        file(r, "t/b", "old\n");
        set_mtime(&r.join("t/b"), 1_546_300_800);
    };
    for args in [["-a", "-u", "-v"], ["-a", "-n", "-v"]] {
        Diff::new(setup)
            .no_stamp()
            .args(&[args[0], args[1], args[2], "s/a", "s/b", "t"])
            .check();
    }
    // A later name onto an old file: GNU's force_linkat replaces it, "removed 't/b'" after
    // the link's line.
    Diff::new(|r: &Path| {
        file(r, "s/a", "data\n");
        hardlink(r, "s/a", "s/b");
        file(r, "t/b", "old\n");
    })
    .args(&["-a", "-v", "s/a", "s/b", "t"])
    .check();
}

#[test]
fn a_fifo_at_a_name_of_a_hard_linked_source_is_replaced_where_gnu_replaces_it() {
    if !have_gnu() {
        return;
    }
    // Red-team round 4: a FIFO planted at t/a hung `fcopy -a s/. t` (s/a, s/b one file) in
    // open(O_WRONLY). GNU 9.1 replaces it when links are kept at the name it copies second
    // (also with --attributes-only, and a device node the same), exit 0; at the first name it
    // opens the FIFO and blocks, as with a source of one name and `-r` (cp's documented
    // behaviour, not tested here). GNU sorts names by inode number, stably, so two names of
    // one inode keep their directory order: the FIFO goes at the later one in each fixture
    // (fcopy replaces it at either).
    let setup = |r: &Path| {
        file(r, "s/a", "hi\n");
        hardlink(r, "s/a", "s/b");
        dir(r, "t");
        let first = fs::read_dir(r.join("s"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .find(|n| n == "a" || n == "b")
            .unwrap();
        fifo(r, if first == "a" { "t/b" } else { "t/a" });
    };
    for args in [
        &["-a", "s/.", "t"][..],
        &["-a", "--attributes-only", "s/.", "t"],
        &["-d", "-r", "s/.", "t"],
        &["--preserve=links", "-r", "s/.", "t"],
    ] {
        Diff::new(setup).args(args).unordered().check();
    }
}

#[test]
fn verbose_says_removed_where_gnu_removes_dest_before_a_link_or_node() {
    if !have_gnu() {
        return;
    }
    // GNU 9.1 prints "removed 'DEST'" before the line of a link or node made after unlinking
    // DEST (`-a` onto a file with other names, a symlink or FIFO onto a file), and nothing for
    // the name `-lf`/`-sf` replace by a rename.
    // (-s: a relative source makes a symlink only in the current directory.)
    let linked = |r: &Path| {
        file(r, "s", "x\n");
        file(r, "d", "y\n");
        hardlink(r, "d", "o");
    };
    for args in [
        ["-d", "-v", "-s"],
        ["-a", "-v", "-l"],
        ["-v", "-l", "-f"],
        ["-v", "-s", "-f"],
    ] {
        Diff::new(linked)
            .args(&[args[0], args[1], args[2], "s", "d"])
            .check();
    }
    Diff::new(|r: &Path| {
        symlink(r, "s/l", "x");
        fifo(r, "s/p");
        file(r, "t/l", "y\n");
        file(r, "t/p", "y\n");
    })
    .args(&["-a", "-v", "s/l", "s/p", "t"])
    .check();
}
