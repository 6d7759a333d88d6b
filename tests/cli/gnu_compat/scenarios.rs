//! Scenarios of GNU's own tests/cp suite: same-file, into-self, thru-dangling, abuse, trailing slashes, -H/-L over links, --preserve=links.

use super::*;

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
