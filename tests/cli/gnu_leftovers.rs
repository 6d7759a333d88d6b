//! Differences from GNU cp 9.1 that round 6's closing note still listed, each compared with
//! GNU cp (`/usr/bin/cp`) where it is installed: an unreadable source directory, several
//! `--parents` operands of which some fail, the messages for invalid option values (the
//! valid words in GNU's order) and the quoting of values that are not UTF-8 (options and
//! `VERSION_CONTROL`).

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::gnu_compat::harness::{chmod, chown, dir, file, gnu_as_nobody, have_gnu, scratch, Diff};
use crate::testenv::FCOPY;

/// `cp ARGS` as `nobody` in `dir` ([`harness::run_as_nobody`]): (status, stdout + stderr).
fn run_as_nobody(program: &Path, dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let (code, stdout, stderr) = crate::gnu_compat::harness::run_as_nobody(program, dir, args);
    (code, stdout + &stderr)
}

/// Every path under `root/rel` with its mode, and its mtime when `times`.
fn modes_under(root: &Path, rel: &str, times: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(rel)];
    while let Some(p) = stack.pop() {
        let Ok(md) = p.symlink_metadata() else {
            continue;
        };
        let shown = p.strip_prefix(root).unwrap().display().to_string();
        let mtime = if times { md.mtime() } else { 0 };
        out.push(format!("{shown} {:o} {mtime}", md.mode() & 0o7777));
        if md.is_dir() {
            chmod(root, &shown, md.mode() | 0o700);
            stack.extend(fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    out.sort();
    out
}

#[test]
fn an_unreadable_source_directory_is_copied_empty_like_gnu() {
    // GNU cp makes a directory's copy before it reads the source (copy.c: mkdir, then
    // copy_dir's "cannot access", then the metadata): the copy is left empty, with the mode
    // (and -p's times) it would have had. fcopy used to make nothing. Also a source whose
    // owner has no bits (055, owned by root): its copy, owned by nobody, could not be opened.
    if !gnu_as_nobody() {
        return;
    }
    let options: [&[&str]; 5] = [
        &["-r"],
        &["-rv"],
        &["-rp"],
        &["-a"],
        &["-r", "--no-preserve=mode"],
    ];
    for mode in [0o000, 0o100, 0o300, 0o1000, 0o055] {
        for opts in options {
            for operands in [["s", "d"], ["s/sub", "d"]] {
                let mut args = opts.to_vec();
                args.extend(operands);
                let mut results = Vec::new();
                for program in [Path::new("/usr/bin/cp"), Path::new(FCOPY)] {
                    let scratch_dir = scratch();
                    let r = scratch_dir.path();
                    fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
                    file(r, "s/a", "a\n");
                    file(r, "s/sub/f", "f\n");
                    dir(r, "s/sub/deeper");
                    for (i, rel) in ["s/sub/f", "s/sub/deeper", "s/sub", "s/a", "s"]
                        .iter()
                        .enumerate()
                    {
                        let time = 1_000_000_000 + 1000 * i as i64;
                        crate::gnu_compat::harness::set_mtime(&r.join(rel), time);
                    }
                    if mode != 0o055 {
                        chown(r, "s", 65534, 65534);
                        chown(r, "s/a", 65534, 65534);
                        chown(r, "s/sub", 65534, 65534);
                    }
                    chmod(r, "s/sub", mode);
                    let (code, output) = run_as_nobody(program, r, &args);
                    // Entries are read in inode order, which differs between the fixtures.
                    let mut lines: Vec<&str> = output.lines().collect();
                    lines.sort_unstable();
                    let times = matches!(opts, ["-rp"] | ["-a"]);
                    let tree = modes_under(r, "d", times);
                    results.push((code, lines.join("\n"), tree));
                }
                assert_eq!(
                    results[0], results[1],
                    "source mode {mode:o}, cp {args:?}: GNU, then fcopy"
                );
            }
        }
    }
}

/// Sources for the `--parents` cases: `a/b/f`, `a/b/c/h`, `x/f`, `f2`, a symlink `sl`, a FIFO
/// `ff`, and an empty directory `d`; plus what `extra` (a shell command) adds.
fn parents_fixture(extra: &'static str) -> impl Fn(&Path) + 'static {
    move |r: &Path| {
        file(r, "a/b/f", "f\n");
        file(r, "a/b/c/h", "h\n");
        file(r, "x/f", "x\n");
        file(r, "f2", "2\n");
        dir(r, "d");
        std::os::unix::fs::symlink("f2", r.join("sl")).unwrap();
        crate::gnu_compat::harness::fifo(r, "ff");
        if !extra.is_empty() {
            let status = Command::new("sh")
                .args(["-c", extra])
                .current_dir(r)
                .status()
                .unwrap();
            assert!(status.success(), "{extra}");
        }
    }
}

#[test]
fn several_parents_operands_fail_like_gnu() {
    // GNU cp 9.1 carries `new_dst` from one --parents operand to the next (cp.c do_copy):
    // an operand without leading directories after one whose parent was made takes DEST to
    // be missing, and fails where it is there ("cannot create directory 'd/a': File
    // exists"). fcopy merged `a` into d/a, then refused a/b/c/h ("will not overwrite
    // just-created"). GNU also makes the leading directories before it looks at SOURCE.
    if !have_gnu() {
        return;
    }
    let cases: [(&'static str, &[&str]); 14] = [
        (
            "",
            &["-rp", "--parents", "a/b/f", "a", "g/x", "a/b/c/h", "d"],
        ),
        (
            "",
            &["-rv", "--parents", "a/b/f", "a", "g/x", "a/b/c/h", "d"],
        ),
        ("touch d/f2", &["--parents", "a/b/f", "f2", "d"]),
        ("touch d/f2", &["-i", "--parents", "a/b/f", "f2", "d"]),
        (
            "touch d/f2",
            &["--backup=t", "--parents", "a/b/f", "f2", "d"],
        ),
        ("ln -s ../x/f d/f2", &["--parents", "a/b/f", "f2", "d"]),
        ("touch d/sl", &["-P", "--parents", "a/b/f", "sl", "d"]),
        ("touch d/ff", &["-r", "--parents", "a/b/f", "ff", "d"]),
        ("touch d/f2", &["-l", "--parents", "a/b/f", "f2", "d"]),
        (
            "touch d/f2",
            &["--parents", "a/b/f", "a/b/c/h", "a/b/f", "f2", "d"],
        ),
        ("touch d/f2", &["--parents", "a/b/f", "./f2", "d"]),
        ("", &["-v", "--parents", "a/b/missing", "a/b/f", "d"]),
        ("", &["--parents", "a/b/f/x", "d"]),
        (
            "mkdir -p d/a/b; touch d/a/b/f",
            &["--parents", "x/f", "a/b/f", "d"],
        ),
    ];
    for (extra, args) in cases {
        Diff::new(parents_fixture(extra)).args(args).check();
    }
}

/// Option values GNU's argmatch refuses, with the valid words in GNU's order.
const BAD_WORDS: [&str; 14] = [
    "--sparse=x",
    "--sparse=",
    "--sparse=a",
    "--sparse",
    "--reflink=x",
    "--reflink=a",
    "--backup=x",
    "--backup=n",
    "--preserve=bogus",
    "--preserve=,",
    "--no-preserve=mode,,",
    "--preserve=it's",
    "--sparse=it's",
    "--sparse=a\\b\x01",
];

/// Option values that are not UTF-8 (or not ASCII), quoted with octal escapes by GNU.
const NON_UTF8_VALUES: [&[u8]; 8] = [
    b"--sparse=\xff",
    b"--reflink=a\xff",
    b"--sparse=\xc3\xbc",
    b"--backup=\xff",
    b"--b=\xc3\xbc",
    b"--preserve=\xff",
    b"--no-preserve=mode,\xffx",
    b"--preserve=bogus,\xff",
];

/// Runs `cp VALUE a b` with GNU cp and fcopy and compares them.
fn check_value(value: &[u8]) {
    let setup = |r: &Path| file(r, "a", "a\n");
    let args = [OsStr::from_bytes(value), OsStr::new("a"), OsStr::new("b")];
    Diff::new(setup).args(&args).check();
}

#[test]
fn invalid_option_values_list_the_words_in_gnus_order() {
    // GNU's argmatch lists `--sparse`'s words as never, auto, always (cp.c
    // sparse_type_string); fcopy listed them in its --help order, auto first. Values are
    // quoted as gnulib's `quote` does in the C locale (`'it\'s'`, `'a\\b\001'`).
    if !have_gnu() {
        return;
    }
    for value in BAD_WORDS {
        check_value(value.as_bytes());
    }
}

#[test]
fn option_values_that_are_not_utf8_are_quoted_like_gnu() {
    // GNU quotes them with octal escapes ('\377', '\303\274' in the C locale); fcopy showed
    // U+FFFD, or clap's "invalid UTF-8 was detected" for --backup and --preserve.
    if !have_gnu() {
        return;
    }
    for value in NON_UTF8_VALUES {
        check_value(value);
    }
}

#[test]
fn a_version_control_that_is_not_utf8_is_refused_like_gnu() {
    // GNU reads VERSION_CONTROL when --backup has no word, and refuses bytes that name no
    // control; fcopy ignored a value that is not UTF-8.
    if !have_gnu() {
        return;
    }
    let scratch_dir = scratch();
    let r = scratch_dir.path();
    file(r, "a", "a\n");
    let bin = r.join(".bin");
    fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(FCOPY, bin.join("cp")).unwrap();
    for args in [&["-b", "a", "b"][..], &["--backup=t", "a", "c"]] {
        let mut results = Vec::new();
        for program in [Path::new("/usr/bin/cp"), &bin.join("cp")] {
            let out = Command::new(program)
                .arg0("cp")
                .args(args)
                .current_dir(r)
                .env("LC_ALL", "C")
                .env("VERSION_CONTROL", OsStr::from_bytes(b"\xff"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            results.push((out.status.code(), stderr));
        }
        assert_eq!(results[0], results[1], "cp {args:?}: GNU, then fcopy");
    }
}

/// New-user helper gnu7, round 7: `cp -rp` run by a user who cannot give the copy the
/// source's group drops set-user-ID, set-group-ID and sticky bits, except that a directory
/// keeps its sticky bit (GNU's mkdir gives it, and its ACL copy sets only the permission bits):
/// a 3700 directory becomes 1700, a 3700 file 0700. fcopy made the directory 0700.
#[test]
fn special_bits_without_the_owner_match_gnu() {
    if !gnu_as_nobody() {
        return;
    }
    for mode in [0o3700, 0o1700, 0o2700, 0o4700, 0o7755] {
        for opts in [&["-rp"][..], &["-a"], &["-r", "--preserve=mode,ownership"]] {
            let mut results = Vec::new();
            for program in [Path::new("/usr/bin/cp"), Path::new(FCOPY)] {
                let scratch_dir = scratch();
                let r = scratch_dir.path();
                fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
                file(r, "s/f", "f\n");
                // Owned by nobody, in root's group, which nobody cannot give.
                chown(r, "s", 65534, 0);
                chown(r, "s/f", 65534, 0);
                chmod(r, "s/f", mode);
                chmod(r, "s", mode);
                let mut args = opts.to_vec();
                args.extend(["s", "d"]);
                let (code, output) = run_as_nobody(program, r, &args);
                results.push((code, output, modes_under(r, "d", false)));
            }
            assert_eq!(
                results[0], results[1],
                "source mode {mode:o}, cp {opts:?}: GNU, then fcopy"
            );
        }
    }
}

/// `cp -x` makes a mount point of another filesystem and never opens it: one the user cannot
/// read (here a tmpfs mounted with mode 000) is made all the same and is no error (gnu7, round
/// 7: fcopy said `cannot access` and exited 1 once unreadable directories were copied empty).
#[test]
fn an_unreadable_mount_point_under_one_file_system_like_gnu() {
    if !gnu_as_nobody() {
        return;
    }
    let Some(mount) = crate::testenv::LoopMount::tmpfs(1 << 20) else {
        return;
    };
    let top = mount.path().parent().unwrap().to_owned();
    fs::write(top.join("f"), "f\n").unwrap();
    fs::write(mount.path().join("inner"), "i\n").unwrap();
    fs::set_permissions(&top, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(top.join("f"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(mount.path(), fs::Permissions::from_mode(0o000)).unwrap();
    let source = top.to_str().unwrap();
    let mut results = Vec::new();
    for program in [Path::new("/usr/bin/cp"), Path::new(FCOPY)] {
        let scratch_dir = scratch();
        let r = scratch_dir.path();
        fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
        let (code, output) = run_as_nobody(program, r, &["-rx", source, "d"]);
        results.push((code, output, modes_under(r, "d", false)));
    }
    assert_eq!(results[0], results[1], "cp -rx: GNU, then fcopy");
    assert_eq!(results[1].0, Some(0));
}

/// The empty copy of a directory its owner cannot read keeps the source's ACL under `-a`, as
/// GNU's copy by name does (red team, round 7: without it the group got the ACL mask's rwx);
/// and `--json` gives one record for it, the error (it gave an "ok" record first).
#[test]
fn an_unreadable_directory_keeps_its_acl_and_gets_one_json_record() {
    if !gnu_as_nobody() || !crate::testenv::require_tool("setfacl") {
        return;
    }
    let mut results = Vec::new();
    for program in [Path::new("/usr/bin/cp"), Path::new(FCOPY)] {
        let scratch_dir = scratch();
        let r = scratch_dir.path();
        fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
        file(r, "s/u/x", "x\n");
        chown(r, "s", 65534, 65534);
        chown(r, "s/u", 65534, 65534);
        chmod(r, "s/u", 0o300);
        let acl = Command::new("setfacl")
            .args(["-m", "u:1000:rwx"])
            .arg(r.join("s/u"))
            .status()
            .unwrap();
        assert!(acl.success());
        let (code, output) = run_as_nobody(program, r, &["-a", "s", "d"]);
        let shown = Command::new("getfacl")
            .args(["-cpn"])
            .arg(r.join("d/u"))
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
        results.push((code, output, modes_under(r, "d", false), shown));
    }
    assert_eq!(results[0], results[1], "cp -a: GNU, then fcopy");
    assert!(results[1].3.contains("user:1000:rwx"), "{:?}", results[1]);
    let scratch_dir = scratch();
    let r = scratch_dir.path();
    fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
    dir(r, "s/u");
    chmod(r, "s/u", 0o000);
    let (code, stdout, _) = crate::gnu_compat::harness::run_as_nobody(
        Path::new(FCOPY),
        r,
        &["--json", "-r", "s/u", "d"],
    );
    assert_eq!(code, Some(1));
    let records: Vec<&str> = stdout.lines().filter(|l| l.contains("\"s/u\"")).collect();
    assert_eq!(records.len(), 1, "{stdout}");
    assert!(records[0].contains("\"status\":\"error\""), "{stdout}");
}
