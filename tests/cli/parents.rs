//! `--parents`: the leading directories it makes (`d/a/b` for `a/b/f`) end with the source
//! directories' times and modes, as GNU cp leaves them, whatever the number of jobs (`-j`):
//! their attributes are applied after the files copied into them (new-user trial, round 6:
//! with `-rp`, `-a` and the default `-j`, the last one kept the time of the copy).
//!
//! Each case builds one fixture twice, runs GNU cp (`/usr/bin/cp`) in one and fcopy in the
//! other, with fcopy-only options (`-j N`, `--files-from`) added on fcopy's side only, and
//! compares the trees ([`assert_same`]: modes, owners, times; a time set during the run
//! compares equal to any other such time).

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::gnu_compat::harness::{
    assert_same, chmod, dir, file, have_gnu, run_in, snapshot, stamp, Diff, Side, GNU_CP,
};
use crate::testenv::{is_root, skip, test_base, FCOPY};

/// The `-j` settings fcopy runs with: the default (parallel), one worker and four.
const JOBS: [&[&str]; 3] = [&[], &["-j1"], &["-j", "4"]];

/// Who runs both programs.
#[derive(Clone, Copy, PartialEq)]
enum User {
    /// Whoever runs the tests.
    Me,
    /// uid/gid 65534 (through `setpriv` when we are root), who owns the fixture.
    Nobody,
}

/// Builds `setup` in two scratch directories (times stamped alike), runs GNU cp with `gnu` in
/// one and fcopy with `ours` (and `stdin`) in the other, asserts the results agree and
/// returns fcopy's side.
#[track_caller]
fn compare(setup: fn(&Path), gnu: &[&str], ours: &[&str], stdin: Option<&[u8]>) -> Side {
    compare_as(User::Me, setup, gnu, ours, stdin)
}

#[track_caller]
fn compare_as(
    user: User,
    setup: fn(&Path),
    gnu: &[&str],
    ours: &[&str],
    stdin: Option<&[u8]>,
) -> Side {
    let base = tempfile::Builder::new()
        .prefix("parents-")
        .tempdir_in(test_base())
        .expect("tempdir");
    fs::set_permissions(base.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 2;
    let side = |name: &str, program: &str, args: &[&str], stdin: Option<&[u8]>| {
        let bin = base.path().join(format!("{name}-bin"));
        fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(program, bin.join("cp")).unwrap();
        let root = base.path().join(name);
        fs::create_dir(&root).unwrap();
        setup(&root);
        stamp(&root, start);
        let (code, stdout, stderr) = match user {
            User::Me => run_in(&bin.join("cp"), &root, args, stdin),
            User::Nobody => run_as_nobody(&bin, &root, args),
        };
        let (tree, links) = snapshot(&root, start);
        Side {
            code,
            stdout,
            stderr,
            tree,
            links,
            root,
        }
    };
    let theirs = side("gnu", GNU_CP, gnu, None);
    let mine = side("fcopy", FCOPY, ours, stdin);
    let shown: Vec<OsString> = ours.iter().map(OsString::from).collect();
    assert_same(&shown, &theirs, &mine);
    // Leave nothing unremovable behind (0555 directories, for a test that is not root).
    for root in [&theirs.root, &mine.root] {
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("u+rwx")
            .arg(root)
            .status();
    }
    mine
}

/// Runs `cp ARGS` in `dir` as uid/gid 65534, `cp` being the program in `bin`, after giving
/// that user the fixture: (status, stdout, stderr).
fn run_as_nobody(bin: &Path, dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = if is_root() {
        chown_tree(dir, 65534);
        let mut cmd = Command::new("/usr/bin/setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "cp"]);
        cmd
    } else {
        let mut cmd = Command::new(bin.join("cp"));
        cmd.arg0("cp");
        cmd
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("PATH", bin)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Gives `path` and everything below it to `id` (uid and gid).
fn chown_tree(path: &Path, id: u32) {
    std::os::unix::fs::lchown(path, Some(id), Some(id)).unwrap();
    if path.symlink_metadata().unwrap().is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), id);
        }
    }
}

/// `args` with fcopy's `-j` setting first.
fn with_jobs<'a>(jobs: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
    jobs.iter().chain(args).copied().collect()
}

/// Asserts that `d/DIR` has the times of the source directory `DIR` (and its mode when
/// `mode`), for each of `dirs`, in fcopy's tree.
#[track_caller]
fn assert_kept(side: &Side, dest: &str, dirs: &[&str], mode: bool, what: &str) {
    for rel in dirs {
        let node = |p: &str| {
            side.tree
                .get(p.as_bytes())
                .unwrap_or_else(|| panic!("{what}: no {p} in fcopy's tree"))
        };
        let (src, copy) = (node(rel), node(&format!("{dest}/{rel}")));
        assert!(!src.mtime.fresh, "{what}: {rel} was stamped");
        assert_eq!(copy.mtime, src.mtime, "{what}: mtime of {dest}/{rel}");
        assert_eq!(copy.atime, src.atime, "{what}: atime of {dest}/{rel}");
        if mode {
            assert_eq!(copy.mode, src.mode, "{what}: mode of {dest}/{rel}");
        }
    }
}

/// `src/sub/deeper/f`, its directories with modes of their own, and an empty `d`.
fn one_file(r: &Path) {
    file(r, "src/sub/deeper/f", "f\n");
    chmod(r, "src/sub", 0o750);
    chmod(r, "src/sub/deeper", 0o705);
    dir(r, "d");
}

#[test]
fn every_leading_directory_keeps_the_source_times_and_modes_like_gnu() {
    if !have_gnu() {
        return;
    }
    for flags in [
        &["-rp"][..],
        &["-a"],
        &["-Rp"],
        &["-p"],
        &["-r", "--preserve=all"],
    ] {
        for jobs in JOBS {
            let gnu: Vec<&str> = flags
                .iter()
                .copied()
                .chain(["--parents", "src/sub/deeper/f", "d"])
                .collect();
            let ours = with_jobs(jobs, &gnu);
            let side = compare(one_file, &gnu, &ours, None);
            let what = ours.join(" ");
            let leading = ["src", "src/sub", "src/sub/deeper"];
            assert_kept(&side, "d", &leading, true, &what);
        }
    }
}

/// Files in shared directories: `a/b/f1 a/b/f2 a/c/f3 a/c/e/f4`.
fn shared(r: &Path) {
    file(r, "a/b/f1", "1\n");
    file(r, "a/b/f2", "2\n");
    file(r, "a/c/f3", "3\n");
    file(r, "a/c/e/f4", "4\n");
    chmod(r, "a/c", 0o751);
    dir(r, "d");
}

/// Operands sharing leading directories: each operand's directories are done after its file,
/// and before the next operand writes into them. As in GNU cp, a directory an operand made
/// gets its attributes once, after that operand: `d/a/b` has the time `f2` was written.
#[test]
fn operands_sharing_leading_directories_end_as_with_gnu() {
    if !have_gnu() {
        return;
    }
    for flags in ["-rp", "-a"] {
        for jobs in JOBS {
            let gnu = [
                flags,
                "--parents",
                "a/b/f1",
                "a/b/f2",
                "a/c/f3",
                "a/c/e/f4",
                "d",
            ];
            let ours = with_jobs(jobs, &gnu);
            let side = compare(shared, &gnu, &ours, None);
            // `a/b` is written into again by `f2` (GNU leaves it so: compared above).
            assert_kept(&side, "d", &["a", "a/c", "a/c/e"], true, &ours.join(" "));
        }
    }
}

/// The README's example: `--files-from` names the operands; GNU cp is given them as operands.
#[test]
fn files_from_leading_directories_keep_the_source_times_like_gnu() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "src/a/b/f", "f\n");
        file(r, "src/c/g", "g\n");
        chmod(r, "src/c", 0o700);
        dir(r, "f");
    };
    for flags in ["-a", "-rp"] {
        for jobs in JOBS {
            let gnu = [flags, "--parents", "-t", "f", "src/a/b/f", "src/c/g"];
            let listed = [flags, "--files-from=-", "--parents", "-t", "f"];
            let ours = with_jobs(jobs, &listed);
            let side = compare(setup, &gnu, &ours, Some(b"src/a/b/f\nsrc/c/g\n"));
            let leading = ["src", "src/a", "src/a/b", "src/c"];
            assert_kept(&side, "f", &leading, true, &ours.join(" "));
        }
    }
}

/// Names of a list of 8 directories (some nested) with 40 files each, in directory order or
/// interleaved (every directory's next file in turn).
fn many_names(interleaved: bool) -> Vec<String> {
    let dirs = [
        "t/a", "t/a/x", "t/b", "t/b/y/z", "t/c", "t/d", "t/d/e", "t/f",
    ];
    let mut pairs: Vec<(usize, usize)> = (0..dirs.len())
        .flat_map(|d| (0..40).map(move |i| (d, i)))
        .collect();
    if interleaved {
        pairs.sort_by_key(|&(d, i)| (i, d));
    }
    pairs
        .into_iter()
        .map(|(d, i)| format!("{}/f{i:02}", dirs[d]))
        .collect()
}

fn many_files(r: &Path) {
    for name in many_names(false) {
        file(r, &name, &name);
    }
    chmod(r, "t/b/y", 0o711);
    dir(r, "out");
}

/// More files than one hand-off to the workers (64), in directory order and interleaved:
/// every directory as GNU cp leaves it.
#[test]
fn a_long_files_from_list_ends_as_with_gnu() {
    if !have_gnu() {
        return;
    }
    for interleaved in [false, true] {
        let names = many_names(interleaved);
        let list = names.join("\n") + "\n";
        for jobs in JOBS {
            let mut gnu = vec!["-a", "--parents", "-t", "out"];
            gnu.extend(names.iter().map(String::as_str));
            let listed = ["-a", "--files-from=-", "--parents", "-t", "out"];
            let ours = with_jobs(jobs, &listed);
            let side = compare(many_files, &gnu, &ours, Some(list.as_bytes()));
            // In directory order, a directory's later files are written after its first
            // file's operand applied its attributes (GNU leaves it so): only the directories
            // whose last operand made a directory in them keep the source's times.
            if !interleaved {
                let leading = ["t", "t/a", "t/b", "t/b/y", "t/d"];
                assert_kept(&side, "out", &leading, true, &ours.join(" "));
            }
        }
    }
}

/// A source directory its owner may not write: GNU makes the copy writable until its file is
/// copied, then gives it the source's mode, so a second file cannot go in (GNU copies the
/// first, then fails). fcopy gave it the mode before any file went in.
#[test]
fn a_read_only_leading_directory_takes_its_first_file_like_gnu() {
    if !have_gnu() {
        return;
    }
    if is_root() && !Path::new("/usr/bin/setpriv").exists() {
        skip("needs setpriv to run as uid 65534");
        return;
    }
    let setup = |r: &Path| {
        file(r, "src/ro/f1", "1\n");
        file(r, "src/ro/f2", "2\n");
        file(r, "src/rw/f3", "3\n");
        chmod(r, "src/ro", 0o555);
        dir(r, "d");
    };
    for flags in ["-rp", "-a"] {
        for jobs in JOBS {
            let gnu = [
                flags,
                "--parents",
                "src/ro/f1",
                "src/ro/f2",
                "src/rw/f3",
                "d",
            ];
            let ours = with_jobs(jobs, &gnu);
            let side = compare_as(User::Nobody, setup, &gnu, &ours, None);
            assert!(side.tree.contains_key(&b"d/src/ro/f1"[..]), "{ours:?}");
            assert_kept(
                &side,
                "d",
                &["src", "src/ro", "src/rw"],
                true,
                &ours.join(" "),
            );
        }
    }
}

/// A leading directory is made, and a later one is no directory: GNU applies no attributes
/// to the one made (its re_protect follows a copy only).
#[test]
fn a_failed_operand_leaves_the_directories_made_as_gnu_does() {
    if !have_gnu() {
        return;
    }
    let setup = |r: &Path| {
        file(r, "b/f", "f\n");
        dir(r, "a");
        chmod(r, "a", 0o700);
        file(r, "d/b", "not a directory\n");
    };
    for flags in ["-a", "-rp", "-p"] {
        Diff::new(setup)
            .args(&[flags, "--parents", "a/../b/f", "d"])
            .check();
    }
}
