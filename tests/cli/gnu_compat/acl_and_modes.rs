//! POSIX ACLs, the new file's mode, --parents modes, valgrind, option errors and help (issue 14).

use super::*;

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
        // GNU's argmatch takes a unique prefix of a value (new-user trial, round 6: fcopy
        // refused `--sparse=alw`).
        &["--sparse=alw", "src/a", "copy"],
        &["--sparse", "nev", "src/a", "copy"],
        &["--reflink=aut", "src/a", "copy"],
        &["--reflink=n", "src/a", "copy"],
    ] {
        check(args);
    }
    // A prefix of several words: GNU says "ambiguous" (and lists them in its own order).
    for args in [
        &["--sparse=a", "src/a", "copy"][..],
        &["--sparse", "a", "src/a", "copy"],
    ] {
        let out = Diff::new(tree).args(args).run().1;
        assert_eq!(out.code, Some(1));
        assert!(
            out.stderr
                .starts_with("cp: ambiguous argument 'a' for '--sparse'\nValid arguments are:\n"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("'copy'"), "{}", out.stderr);
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
