//! `--dry-run` agrees with the run (round 10, helper dry10; the red team's round-9 findings):
//! each case runs the binary twice on identical fresh fixtures, once for real and once with
//! `--dry-run`, and asserts the same exit status and the same messages (GNU's wording, exit 1),
//! and that the dry run changed nothing. Cases: a sticky directory holding another user's file
//! (`-b`, `--remove-destination`, `-f`, `--atomic`), `--parents` and `-r` into a directory the
//! caller may not write, immutable files and directories (`chattr +i`), an existing DEST on a
//! read-only bind mount, and `--mkpath` with DEST ending in `/.`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::testenv::{self, TestEnv};

/// One run's exit status and standard error, its lines sorted (the run reports a failed
/// directory before the files a worker failed; the dry run in walk order).
type Outcome = (Option<i32>, String);

/// Runs `args` under `wrap` (a command prefix, or none) in a fresh fixture made by `setup`,
/// for real and with `--dry-run` (each in its own fixture); returns `[dry, real]`. Asserts that
/// the dry run left its fixture as it was. `setup` returns what to undo before the fixture is
/// removed (immutable flags, mounts), done also when an assertion fails.
fn dry_and_real(setup: &dyn Fn(&TestEnv) -> Undo, wrap: &[String], args: &[&str]) -> [Outcome; 2] {
    let run = |dry: bool| {
        let env = TestEnv::new();
        fs::set_permissions(env.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let undo = setup(&env);
        let before = env.listing();
        let mut cmd = env.fcopy();
        if !wrap.is_empty() {
            cmd = cmd.wrapped(wrap);
        }
        if dry {
            cmd = cmd.arg("--dry-run");
        }
        let run = cmd.args(args).run();
        if dry {
            assert_eq!(env.listing(), before, "the dry run changed the fixture");
        }
        drop(undo);
        let stderr = run.stderr();
        let mut lines: Vec<&str> = stderr.lines().collect();
        lines.sort_unstable();
        (run.code(), lines.join("\n"))
    };
    [run(true), run(false)]
}

/// Asserts that the dry run and the run of `args` both fail with exit 1 and `want` (the
/// run's own words, one message per line).
pub(crate) fn both_fail(
    setup: &dyn Fn(&TestEnv) -> Undo,
    wrap: &[String],
    args: &[&str],
    want: &[&str],
) {
    let mut want: Vec<&str> = want.to_vec();
    want.sort_unstable();
    let want = (Some(1), want.join("\n"));
    let [dry, real] = dry_and_real(setup, wrap, args);
    assert_eq!(real, want, "the run of {args:?}");
    assert_eq!(dry, want, "the dry run of {args:?} (the run: {real:?})");
}

/// Asserts that the dry run and the run of `args` both succeed, saying nothing on stderr.
fn both_succeed(setup: &dyn Fn(&TestEnv) -> Undo, wrap: &[String], args: &[&str]) {
    let ok = (Some(0), String::new());
    assert_eq!(
        dry_and_real(setup, wrap, args),
        [ok.clone(), ok],
        "{args:?}"
    );
}

/// What a fixture's setup must undo before it is removed: `chattr -i -a` of paths, `umount` of
/// mount points (in that order).
#[derive(Default)]
pub(crate) struct Undo {
    immutable: Vec<PathBuf>,
    mounts: Vec<PathBuf>,
}

impl Drop for Undo {
    fn drop(&mut self) {
        for path in &self.immutable {
            let _ = Command::new("chattr").args(["-i", "-a"]).arg(path).status();
        }
        for mnt in &self.mounts {
            let _ = Command::new("umount").arg(mnt).status();
        }
    }
}

/// The command prefix that runs fcopy as uid/gid 65534 (root only: the fixtures need a file
/// of another user); `None` after a SKIP (a failure under `CI=true`).
pub(crate) fn as_nobody(why: &str) -> Option<Vec<String>> {
    if !testenv::require_root(why) || !testenv::require_tool("setpriv") {
        return None;
    }
    let wrap = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    Some(wrap.map(String::from).to_vec())
}

pub(crate) fn mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `s` (the source, mode 644) and the sticky directory `st` (1777, root's) holding root's
/// `st/f` (644); `st/mine` (644) is nobody's.
fn sticky_fixture(env: &TestEnv) -> Undo {
    env.write("s", b"new");
    mode(&env.join("s"), 0o644);
    fs::create_dir(env.join("st")).unwrap();
    mode(&env.join("st"), 0o1777);
    env.write("st/f", b"old");
    mode(&env.join("st/f"), 0o644);
    env.write("st/mine", b"old");
    mode(&env.join("st/mine"), 0o644);
    std::os::unix::fs::chown(env.join("st/mine"), Some(65534), Some(65534)).unwrap();
    Undo::default()
}

/// In a sticky directory (mode 1777, as /tmp) a caller may not remove or rename another user's
/// file (EPERM) unless it owns the directory or has CAP_FOWNER. Red team, round 9: as nobody,
/// over root's `st/f`, `--dry-run` with `-b`, `--remove-destination` and `-f` planned the copy
/// and exited 0; the run refused it. The dry run now asks the kernel's questions of the
/// removal (fs/namei.c `may_delete`) without making it.
#[test]
fn sticky_directory_with_another_users_file() {
    let Some(nobody) = as_nobody("a file of another user in a sticky directory") else {
        return;
    };
    let cases: [(&[&str], &str); 6] = [
        (
            &["-b"],
            "fcopy: cannot backup 'st/f': Operation not permitted",
        ),
        (
            &["--remove-destination"],
            "fcopy: cannot remove 'st/f': Operation not permitted",
        ),
        // The open fails (EACCES) and -f cannot remove it (EPERM): GNU cp 9.1 says the
        // removal's error (fix10, measured as nobody with /bin/cp).
        (
            &["-f"],
            "fcopy: cannot remove 'st/f': Operation not permitted",
        ),
        (
            &["--atomic", "-f"],
            "fcopy: cannot replace 'st/f': Operation not permitted",
        ),
        (
            &["--atomic", "--remove-destination"],
            "fcopy: cannot replace 'st/f': Operation not permitted",
        ),
        (
            &["--atomic", "-b"],
            "fcopy: cannot backup 'st/f': Operation not permitted",
        ),
    ];
    for (options, message) in cases {
        let args: Vec<&str> = options.iter().copied().chain(["s", "st/f"]).collect();
        both_fail(&sticky_fixture, &nobody, &args, &[message]);
    }
    // The caller's own file there, and root over anyone's: both may.
    for options in [
        &["-b"][..],
        &["--remove-destination"],
        &["-f"],
        &["--atomic"],
    ] {
        let args: Vec<&str> = options.iter().copied().chain(["s", "st/mine"]).collect();
        both_succeed(&sticky_fixture, &nobody, &args);
        let args: Vec<&str> = options.iter().copied().chain(["s", "st/f"]).collect();
        both_succeed(&sticky_fixture, &[], &args);
    }
}

/// `src/a/b/f` to copy with `--parents`; `ro` (555) to copy into, and `ro2/src/a/b` (555)
/// whose directories are all there.
fn parents_fixture(env: &TestEnv) -> Undo {
    env.write("src/a/b/f", b"f");
    env.write("tree/f", b"f");
    fs::create_dir_all(env.join("tree/sub")).unwrap();
    fs::create_dir_all(env.join("ro/t")).unwrap();
    fs::create_dir_all(env.join("ro2/src/a/b")).unwrap();
    mode(&env.join("ro"), 0o555);
    mode(&env.join("ro/t"), 0o555);
    mode(&env.join("ro2/src/a/b"), 0o555);
    Undo::default()
}

/// `--parents` into a directory the caller may not write: the run's first `mkdirat` fails
/// ("cannot make directory", GNU's words); red team, round 9: the dry run planned `ro/src`,
/// `ro/src/a`... and exited 0. Where the directories exist but the last one is not writable,
/// the file cannot be created; nor can `-rT`'s files in an existing directory the caller may
/// not write (the dry run planned them too).
#[test]
fn parents_into_a_directory_the_caller_may_not_write() {
    let Some(wrap) = unprivileged() else {
        return;
    };
    both_fail(
        &parents_fixture,
        &wrap,
        &["--parents", "src/a/b/f", "ro"],
        &["fcopy: cannot make directory 'ro/src': Permission denied"],
    );
    both_fail(
        &parents_fixture,
        &wrap,
        &["--parents", "src/a/b/f", "ro2"],
        &["fcopy: cannot create regular file 'ro2/src/a/b/f': Permission denied"],
    );
    both_fail(
        &parents_fixture,
        &wrap,
        &["-rT", "tree", "ro/t"],
        &[
            "fcopy: cannot create directory 'ro/t/sub': Permission denied",
            "fcopy: cannot create regular file 'ro/t/f': Permission denied",
        ],
    );
}

/// A prefix that runs fcopy without write permission on root's fixtures: setpriv to 65534
/// as root, nothing otherwise (then mode 555 stops the caller itself).
pub(crate) fn unprivileged() -> Option<Vec<String>> {
    if !testenv::is_root() {
        return Some(Vec::new());
    }
    as_nobody("running as another user")
}

/// Whether `chattr +i` works in the test directory (ext4, XFS, btrfs; not every tmpfs): a
/// probe file made immutable and back. Root only; SKIP (a failure in CI) otherwise.
fn immutable_supported() -> bool {
    if !testenv::require_root("chattr +i") || !testenv::require_tool("chattr") {
        return false;
    }
    let env = TestEnv::new();
    let probe = env.write("probe", b"p");
    let set = Command::new("chattr").arg("+i").arg(&probe).output();
    let _ = Command::new("chattr").arg("-i").arg(&probe).status();
    if set.is_ok_and(|o| o.status.success()) {
        return true;
    }
    let fs = testenv::fs_name(env.path());
    testenv::skip(&format!(
        "chattr +i is not supported on {fs} (the test directory)"
    ))
}

/// `s`; the immutable file `imm`; the immutable directory `idir` holding `e`; `idir2/tree`
/// immutable; `tree/f`, `tree/sub` to copy into it; `app`, append-only.
fn immutable_fixture(env: &TestEnv) -> Undo {
    env.write("s", b"new");
    env.write("imm", b"old");
    env.write("app", b"old");
    env.write("idir/e", b"old");
    env.write("tree/f", b"f");
    fs::create_dir_all(env.join("tree/sub")).unwrap();
    fs::create_dir_all(env.join("idir2/tree")).unwrap();
    let paths = ["imm", "idir", "idir2/tree"].map(|p| env.join(p));
    let undo = Undo {
        immutable: [&paths[..], &[env.join("app")]].concat(),
        mounts: Vec::new(),
    };
    testenv::sh(Command::new("chattr").arg("+i").args(&paths));
    testenv::sh(Command::new("chattr").arg("+a").arg(env.join("app")));
    undo
}

/// Immutable files and directories (`chattr +i`: EPERM for root too). Red team, round 9: the
/// dry run planned `-b` and `--remove-destination` over an immutable file or over a file in
/// an immutable directory, and `-r` files into an immutable directory; the run refused each.
/// So it did a plain copy over an append-only file (`chattr +a`).
#[test]
fn immutable_files_and_directories() {
    if !immutable_supported() {
        return;
    }
    let eperm = |what: &str, path: &str| format!("fcopy: {what} '{path}': Operation not permitted");
    for dest in ["imm", "idir/e"] {
        let cases: [(&[&str], &str); 4] = [
            (&[], "cannot create regular file"),
            // -f's removal fails too: GNU says that (fix10, measured with /bin/cp).
            (&["-f"], "cannot remove"),
            (&["--remove-destination"], "cannot remove"),
            (&["-b"], "cannot backup"),
        ];
        for (options, what) in cases {
            if dest == "idir/e" && matches!(options, [] | ["-f"]) {
                // Written in place: an immutable directory does not stop that.
                let args: Vec<&str> = options.iter().copied().chain(["s", dest]).collect();
                both_succeed(&immutable_fixture, &[], &args);
                continue;
            }
            let args: Vec<&str> = options.iter().copied().chain(["s", dest]).collect();
            both_fail(&immutable_fixture, &[], &args, &[&eperm(what, dest)]);
        }
    }
    // Append-only (`chattr +a`): opened for writing without O_APPEND, EPERM, which
    // faccessat(W_OK) does not tell; nor can -f remove it (GNU then says "cannot remove":
    // fix10, measured with /bin/cp).
    for (options, what) in [
        (&[][..], "cannot create regular file"),
        (&["-f"], "cannot remove"),
    ] {
        let args: Vec<&str> = options.iter().copied().chain(["s", "app"]).collect();
        both_fail(&immutable_fixture, &[], &args, &[&eperm(what, "app")]);
    }
    both_fail(
        &immutable_fixture,
        &[],
        &["s", "idir/new"],
        &[&eperm("cannot create regular file", "idir/new")],
    );
    both_fail(
        &immutable_fixture,
        &[],
        &["-r", "tree", "idir2/"],
        &[
            &eperm("cannot create directory", "idir2/tree/sub"),
            &eperm("cannot create regular file", "idir2/tree/f"),
        ],
    );
}

/// `s`; `rob/e` (444), `rob/w` (666) and the directory `rob/ro` (555) seen through `mnt`, a
/// read-only bind mount of `rob`.
fn bind_fixture(env: &TestEnv) -> Undo {
    env.write("s", b"new");
    mode(&env.join("s"), 0o644);
    env.write("rob/e", b"old");
    env.write("rob/w", b"old");
    mode(&env.join("rob"), 0o777);
    mode(&env.join("rob/e"), 0o444);
    mode(&env.join("rob/w"), 0o666);
    fs::create_dir(env.join("rob/ro")).unwrap();
    mode(&env.join("rob/ro"), 0o555);
    fs::create_dir(env.join("mnt")).unwrap();
    let mnt = env.join("mnt");
    testenv::sh(
        Command::new("mount")
            .arg("--bind")
            .arg(env.join("rob"))
            .arg(&mnt),
    );
    let undo = Undo {
        immutable: Vec::new(),
        mounts: vec![mnt.clone()],
    };
    testenv::sh(
        Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(&mnt),
    );
    undo
}

/// An existing DEST on a read-only bind mount (its filesystem writable elsewhere): the run's
/// open, removal and rename meet EROFS, or, for a caller who may not write DEST, the open
/// meets EACCES first and `-f`'s removal then EROFS (the run reports the open's error). Red
/// team, round 9: the dry run planned these copies.
#[test]
fn existing_dest_on_a_read_only_bind_mount() {
    if !testenv::require_root("mount --bind") || !testenv::require_tool("mount") {
        return;
    }
    let Some(nobody) = as_nobody("a DEST the caller may not write") else {
        return;
    };
    let erofs = |what: &str| format!("fcopy: {what} 'mnt/e': Read-only file system");
    both_fail(
        &bind_fixture,
        &[],
        &["s", "mnt/e"],
        &[&erofs("cannot create regular file")],
    );
    both_fail(
        &bind_fixture,
        &nobody,
        &["s", "mnt/e"],
        &["fcopy: cannot create regular file 'mnt/e': Permission denied"],
    );
    // -f's removal fails too (EROFS): GNU says that (fix10, measured with /bin/cp).
    for wrap in [&[][..], &nobody] {
        both_fail(
            &bind_fixture,
            wrap,
            &["-f", "s", "mnt/e"],
            &[&erofs("cannot remove")],
        );
    }
    for wrap in [&[][..], &nobody] {
        let args = ["--remove-destination", "s", "mnt/e"];
        both_fail(&bind_fixture, wrap, &args, &[&erofs("cannot remove")]);
        let args = ["-b", "s", "mnt/e"];
        both_fail(&bind_fixture, wrap, &args, &[&erofs("cannot backup")]);
    }
    // A directory the caller may not write either: the kernel says EROFS first (faccessat
    // says EACCES first).
    let args = ["s", "mnt/ro/x"];
    let want = "fcopy: cannot create regular file 'mnt/ro/x': Read-only file system";
    both_fail(&bind_fixture, &nobody, &args, &[want]);
    let args = ["--parents", "s", "mnt/ro"];
    let want = "fcopy: cannot create regular file 'mnt/ro/s': Read-only file system";
    both_fail(&bind_fixture, &nobody, &args, &[want]);
    both_fail(
        &bind_fixture,
        &nobody,
        &["-f", "s", "mnt/w"],
        &["fcopy: cannot remove 'mnt/w': Read-only file system"],
    );
}

/// `--mkpath` with DEST ending in `/.`: the kernel resolves `new/.` in `new` itself, which
/// `--mkpath` does not make (the directory DEST goes in is the one above), so the run's open
/// fails with ENOENT. Red team, round 9: the dry run took `new/.` as a name in the working
/// directory and planned the copy. The same for a `--batch` line.
#[test]
fn mkpath_with_dest_ending_in_dot() {
    let setup = |env: &TestEnv| {
        env.write("s", b"s");
        env.write("jobs", b"s\tnew/.\ns\tnew2/a/.\n");
        Undo::default()
    };
    let enoent = |dest: &str| {
        format!("fcopy: cannot create regular file '{dest}': No such file or directory")
    };
    both_fail(
        &setup,
        &[],
        &["--mkpath", "s", "new/."],
        &[&enoent("new/.")],
    );
    both_fail(
        &setup,
        &[],
        &["--mkpath", "s", "new/a/."],
        &[&enoent("new/a/.")],
    );
    both_fail(&setup, &[], &["s", "new/."], &[&enoent("new/.")]);
    let [dry, real] = dry_and_real(&setup, &[], &["--mkpath", "--batch", "jobs"]);
    assert_eq!(real.0, Some(1));
    assert_eq!(dry, real);
}
