//! Security (issue 12, DESIGN rule 10): root copying into a directory another user can write
//! gives that user nothing. First the deterministic reproductions of each break (an strace delay
//! widens the window, an attacker running as `nobody` acts in it), then resource limits, then a
//! race harness: an unprivileged attacker loop swapping names as fast as it can against many
//! runs of each scenario, counting every effect outside the destination.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::testenv::{
    is_root, require_root, require_strace, require_tool, skip, unprivileged, TestEnv, FCOPY,
};

/// The uid and gid the attacker runs as (`nobody`/`nogroup`).
const NOBODY: u32 = 65534;

/// Runs `sh -c script` as `nobody` in `dir`; returns whether it succeeded.
fn as_nobody(dir: &Path, script: &str) -> bool {
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            "-c",
        ])
        .arg(script)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A test directory that `nobody` can reach, with a `shared` directory `nobody` owns; `None`
/// after a SKIP when not root (or no setpriv/strace).
fn attack_env(strace: bool) -> Option<TestEnv> {
    if !require_root("attacking as nobody") || (strace && !require_strace()) {
        return None;
    }
    let env = TestEnv::new();
    unprivileged(&env)?;
    fs::set_permissions(env.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(env.join("shared")).unwrap();
    chown(&env.join("shared"), NOBODY);
    Some(env)
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

/// Runs fcopy under strace with `inject` (a `SYSCALL:delay_enter=...` spec) in the background,
/// runs `attack` as nobody one second later, and returns fcopy's output.
fn delayed_race(env: &TestEnv, inject: &str, args: &[&str], attack: &str) -> Output {
    let syscall = inject.split(':').next().unwrap();
    // `when=N` counts fcopy's own calls: the ones the process makes before main (the dynamic
    // loader opening libraries, the runtime reading /proc/self/maps) are added here.
    let inject = match inject.split_once(":when=") {
        Some((head, n)) => format!(
            "{head}:when={}",
            n.parse::<usize>().unwrap() + startup_calls(syscall)
        ),
        None => inject.to_owned(),
    };
    // Under `timeout -s KILL`: a run that hangs (e.g. opening a FIFO swapped in) fails the test.
    let child = Command::new("timeout")
        .args(["-s", "KILL", "60", "strace", "-f", "-o", "/dev/null", "-e"])
        .arg(format!("trace={syscall}"))
        .arg("-e")
        .arg(format!("inject={inject}"))
        .arg(FCOPY)
        .args(args)
        .current_dir(env.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    as_nobody(env.path(), attack);
    child.wait_with_output().unwrap()
}

/// How many `syscall` calls fcopy makes before its own work (`fcopy --version` makes only
/// those): the dynamic loader's and the Rust runtime's.
fn startup_calls(syscall: &str) -> usize {
    let out = Command::new("strace")
        .args(["-f", "-e"])
        .arg(format!("trace={syscall}"))
        .arg(FCOPY)
        .arg("--version")
        .output()
        .unwrap();
    let needle = format!("{syscall}(");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

fn mode_owner(path: &Path) -> (u32, u32) {
    let m = fs::symlink_metadata(path).unwrap();
    (m.mode() & 0o7777, m.uid())
}

// ---------------------------------------------------------------------------------------------
// The breaks of issue 12, each deterministic

/// Break 1: `--attributes-only` opened DEST with `O_CREAT` but without `O_EXCL` after its
/// check, so a symlink planted meanwhile made root create (and with -p chown) a file anywhere.
#[test]
fn attributes_only_never_creates_through_a_planted_symlink() {
    let Some(env) = attack_env(true) else { return };
    fs::create_dir(env.join("victim")).unwrap();
    env.write("f", "data\n");
    chown(&env.join("f"), NOBODY);
    let out = delayed_race(
        &env,
        "openat:delay_enter=2000000:when=2",
        &["-j1", "--attributes-only", "-p", "f", "shared/f"],
        "ln -s ../victim/owned shared/f",
    );
    assert!(
        !env.exists("victim/owned"),
        "root created a file through the planted symlink; fcopy said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Break 2 (-r): a special file's mode was set by name after creating it, following a symlink
/// the attacker renamed over it (`/etc/shadow` made 0644). Now it is created with its mode.
#[test]
fn special_file_mode_is_never_applied_through_a_swapped_in_symlink() {
    for flags in [&["-r"][..], &["-a"][..], &["-r", "--preserve=mode"][..]] {
        let Some(env) = attack_env(true) else { return };
        env.write("secret", "secret\n");
        fs::set_permissions(env.join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::create_dir(env.join("src")).unwrap();
        let st = Command::new("mkfifo")
            .args(["-m", "666", "src/p"])
            .current_dir(env.path())
            .status()
            .unwrap();
        assert!(st.success());
        let mut args = flags.to_vec();
        args.extend(["src/.", "shared"]);
        let out = delayed_race(
            &env,
            "fchmodat:delay_enter=2000000",
            &args,
            "ln -s ../secret shared/.x && mv -f shared/.x shared/p",
        );
        assert_eq!(
            mode_owner(&env.join("secret")),
            (0o600, 0),
            "{flags:?}: root changed a file outside the destination; fcopy said: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Audit finding (rule 10): a copied symlink's owner was set by name (`lchown`), so a hard link
/// renamed over the new symlink gave the attacker a file they could only write, not own.
#[test]
fn symlink_owner_is_never_given_to_a_node_swapped_in_for_it() {
    let Some(env) = attack_env(true) else { return };
    env.write("victim/ww", "root's\n");
    fs::set_permissions(env.join("victim/ww"), fs::Permissions::from_mode(0o666)).unwrap();
    fs::set_permissions(env.join("victim"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(env.join("src")).unwrap();
    std::os::unix::fs::symlink("nowhere", env.join("src/l")).unwrap();
    chown(&env.join("src/l"), NOBODY);
    let out = delayed_race(
        &env,
        "fchownat:delay_enter=2000000",
        &["-a", "src/.", "shared"],
        "ln victim/ww shared/.x && mv -f shared/.x shared/l",
    );
    assert_eq!(
        mode_owner(&env.join("victim/ww")),
        (0o666, 0),
        "root gave away a file outside the destination; fcopy said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Audit finding (rule 10): an existing DEST checked as a regular file was opened with
/// `O_TRUNC` following symlinks, so a symlink renamed over it between the check and the open
/// made root truncate and overwrite any file. Now the file opened must be the one checked.
#[test]
fn an_existing_destination_swapped_for_a_symlink_is_not_written_through() {
    let Some(env) = attack_env(true) else { return };
    env.write("victim/file", "secret\n");
    env.write("f", "attacker's data\n");
    env.write("shared/x", "old\n");
    chown(&env.join("shared/x"), NOBODY);
    let out = delayed_race(
        &env,
        "openat:delay_enter=2000000:when=2",
        &["-j1", "f", "shared/x"],
        "ln -s ../victim/file shared/.x && mv -f shared/.x shared/x",
    );
    assert_eq!(
        env.read("victim/file"),
        b"secret\n",
        "root overwrote a file outside the destination; fcopy said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success());
}

/// Red-team round 3: the file root must never write, chmod or chown (0600, "secret").
fn existing_dest_env() -> Option<TestEnv> {
    let env = attack_env(true)?;
    env.write("victim/file", "secret\n");
    fs::set_permissions(env.join("victim/file"), fs::Permissions::from_mode(0o600)).unwrap();
    env.write("f", "attacker's data\n");
    fs::set_permissions(env.join("f"), fs::Permissions::from_mode(0o666)).unwrap();
    env.write("shared/x", "old\n");
    chown(&env.join("shared/x"), NOBODY);
    Some(env)
}

/// The attacker's move: `shared/x` becomes a symlink to root's file, in one rename.
const SWAP_X: &str = "ln -s ../victim/file shared/.x && mv -f shared/.x shared/x";

fn assert_victim_untouched(env: &TestEnv, out: &Output, what: &str) {
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        env.read("victim/file"),
        b"secret\n",
        "{what}: root wrote a file outside the destination; fcopy said: {said}"
    );
    assert_eq!(
        mode_owner(&env.join("victim/file")),
        (0o600, 0),
        "{what}: root chmodded or chowned a file outside the destination; fcopy said: {said}"
    );
}

/// Red-team finding 1: the rules looked at DEST with lstat, then the planner stat'ed it again
/// following links and took the identity to check from that second look, so a symlink renamed
/// over DEST between the two was written through. The delay is on the rules' last look: in a
/// single-file copy onto an existing DEST, fcopy's third `newfstatat` (DEST followed, to see if
/// it is a directory; the source; DEST's lstat, the rules' one look: issue 16 took the rest).
#[test]
fn an_existing_destination_swapped_after_the_rules_looked_is_not_written_through() {
    let Some(env) = existing_dest_env() else {
        return;
    };
    let out = delayed_race(
        &env,
        "newfstatat:delay_exit=2000000:when=3",
        &["-j1", "f", "shared/x"],
        SWAP_X,
    );
    assert_victim_untouched(&env, &out, "f shared/x");
    assert!(!out.status.success());
}

/// An existing DEST swapped for a FIFO after the rules looked: the open must not wait for a
/// reader (the run hung, and SIGTERM did not end it: the handler restarts the open); it is
/// refused as replaced. Re-review finding; `delayed_race`'s `timeout -s KILL` turns the old hang
/// into a failure.
#[test]
fn an_existing_destination_swapped_for_a_fifo_does_not_hang_the_copy() {
    let Some(env) = existing_dest_env() else {
        return;
    };
    let out = delayed_race(
        &env,
        "newfstatat:delay_exit=2000000:when=3",
        &["-j1", "f", "shared/x"],
        "rm -f shared/x && mkfifo shared/x",
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "killed by timeout? {said}");
    assert!(said.contains("'shared/x' was replaced"), "{said}");
}

/// Finding 1 in a tree: the entry's one look, then the planner's second (followed) stat.
#[test]
fn an_existing_tree_entry_swapped_after_the_rules_looked_is_not_written_through() {
    let Some(env) = attack_env(true) else { return };
    env.write("victim/file", "secret\n");
    fs::set_permissions(env.join("victim/file"), fs::Permissions::from_mode(0o600)).unwrap();
    env.write("src/x", "attacker's data\n");
    fs::set_permissions(env.join("src/x"), fs::Permissions::from_mode(0o666)).unwrap();
    env.write("shared/t/x", "old\n");
    chown(&env.join("shared/t"), NOBODY);
    chown(&env.join("shared/t/x"), NOBODY);
    let out = delayed_race(
        &env,
        "newfstatat:delay_exit=2000000:when=7",
        &["-j1", "-r", "src/.", "shared/t"],
        "ln -s ../../victim/file shared/t/.x && mv -f shared/t/.x shared/t/x",
    );
    assert_victim_untouched(&env, &out, "-r src/. shared/t");
    assert!(!out.status.success());
}

/// Red-team finding 2: after `-b` renamed DEST away (or `--remove-destination` removed it),
/// DEST was probed again and a symlink planted there was written through. DEST is new then:
/// created with `O_EXCL`, a name found there is a failure, and the backup goes back.
#[test]
fn a_symlink_planted_after_a_backup_or_removal_is_not_written_through() {
    for (syscall, flag) in [("renameat", "-b"), ("unlinkat", "--remove-destination")] {
        let Some(env) = existing_dest_env() else {
            return;
        };
        let out = delayed_race(
            &env,
            &format!("{syscall}:delay_exit=2000000"),
            &["-j1", flag, "f", "shared/x"],
            "ln -s ../victim/file shared/x",
        );
        assert_victim_untouched(&env, &out, flag);
        assert!(!out.status.success(), "{flag}: a planted name is a failure");
    }
}

/// Red-team finding 3: `--atomic` looked at DEST's name again in the executor and, finding a
/// symlink there, renamed the new file over the symlink's target.
#[test]
fn atomic_never_replaces_the_target_of_a_symlink_swapped_in_after_the_check() {
    let Some(env) = existing_dest_env() else {
        return;
    };
    let out = delayed_race(
        &env,
        "newfstatat:delay_exit=2000000:when=3",
        &["-j1", "--atomic", "f", "shared/x"],
        SWAP_X,
    );
    assert_victim_untouched(&env, &out, "--atomic");
    assert!(!out.status.success());
}

/// Red-team finding 4: `--attributes-only` decided whether to follow DEST from its own late
/// look, with no identity check, so root chmodded (and with -p chowned) a swapped-in target.
#[test]
fn attributes_only_never_changes_a_file_swapped_in_for_an_existing_destination() {
    let Some(env) = existing_dest_env() else {
        return;
    };
    let out = delayed_race(
        &env,
        "newfstatat:delay_exit=2000000:when=3",
        &["-j1", "--attributes-only", "-p", "f", "shared/x"],
        SWAP_X,
    );
    assert_victim_untouched(&env, &out, "--attributes-only");
    assert!(!out.status.success());
}

/// Break 3: `--parents` reopened each created parent by path, following a symlink swapped in
/// for a component, and chowned/chmodded whatever it reached.
#[test]
fn parents_never_chown_or_chmod_through_a_swapped_component() {
    let Some(env) = attack_env(true) else { return };
    fs::create_dir(env.join("victim")).unwrap();
    fs::set_permissions(env.join("victim"), fs::Permissions::from_mode(0o700)).unwrap();
    env.write("a/b/f", "x\n");
    for p in ["a", "a/b", "a/b/f"] {
        chown(&env.join(p), NOBODY);
    }
    let out = delayed_race(
        &env,
        "openat:delay_enter=2000000:when=2",
        &["-j1", "--parents", "-p", "a/b/f", "shared/"],
        "mv shared/a shared/moved && ln -s ../victim shared/a",
    );
    assert_eq!(
        mode_owner(&env.join("victim")),
        (0o700, 0),
        "root gave away a directory outside the destination; fcopy said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!env.exists("victim/b"), "a directory was created outside");
}

/// Break 5: the second name of a hard-linked file was linked by its path from the working
/// directory, so a swapped destination directory made root link a file from outside the tree.
#[test]
fn hard_links_are_made_relative_to_the_tree_not_to_a_swapped_path() {
    let Some(env) = attack_env(true) else { return };
    env.write("src/a/f", "tree\n");
    fs::create_dir(env.join("src/b")).unwrap();
    fs::hard_link(env.join("src/a/f"), env.join("src/b/g")).unwrap();
    env.write("victim/a/f", "outside\n");
    let out = delayed_race(
        &env,
        "linkat:delay_enter=2000000",
        &["-a", "src", "shared/t"],
        "mv shared/t shared/moved && ln -s ../victim shared/t",
    );
    let outside = fs::metadata(env.join("victim/a/f")).unwrap();
    assert_eq!(
        outside.nlink(),
        1,
        "root linked a file from outside the tree; fcopy said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (f, g) = (
        fs::metadata(env.join("shared/moved/a/f")).unwrap(),
        fs::metadata(env.join("shared/moved/b/g")).unwrap(),
    );
    assert_eq!(f.ino(), g.ino(), "the hard link was not kept");
}

/// `src/DDD.../DDD...` in `env` (25 levels of `name`, 5,000 bytes) with x/f, x/g and y/h linked
/// together; the first error of the filesystem.
fn make_tree_deeper_than_path_max(env: &TestEnv, name: &str) -> rustix::io::Result<()> {
    use rustix::fs::{mkdirat, openat, Mode, OFlags};
    fs::create_dir(env.join("src")).unwrap();
    let mut dir = openat(
        rustix::fs::CWD,
        env.join("src"),
        OFlags::RDONLY | OFlags::DIRECTORY,
        Mode::empty(),
    )?;
    for _ in 0..25 {
        mkdirat(&dir, name, Mode::from_raw_mode(0o755))?;
        dir = openat(
            &dir,
            name,
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )?;
    }
    for sub in ["x", "y"] {
        mkdirat(&dir, sub, Mode::from_raw_mode(0o755))?;
    }
    let f = openat(
        &dir,
        "x/f",
        OFlags::WRONLY | OFlags::CREATE,
        Mode::from_raw_mode(0o644),
    )?;
    rustix::io::write(&f, b"deep\n")?;
    rustix::fs::linkat(&dir, "x/f", &dir, "x/g", rustix::fs::AtFlags::empty())?;
    rustix::fs::linkat(&dir, "x/f", &dir, "y/h", rustix::fs::AtFlags::empty())?;
    Ok(())
}

/// Break 5, second half: in a tree deeper than PATH_MAX the second name of a hard link was
/// lost (`File name too long` from a path-based linkat).
#[test]
fn hard_links_survive_trees_deeper_than_path_max() {
    use rustix::fs::{openat, Mode, OFlags};
    let mut env = TestEnv::new();
    let name = "d".repeat(200);
    if let Err(errno) = make_tree_deeper_than_path_max(&env, &name) {
        // GlusterFS (FUSE) resolves every name by its full path: it refuses to make one past
        // PATH_MAX (ENAMETOOLONG; ESTALE when the path's lookup fails on the brick first), so
        // no such tree can exist there and none can lose a link.
        // Such a tree is made, and the promise checked, on tmpfs.
        assert!(
            [rustix::io::Errno::NAMETOOLONG, rustix::io::Errno::STALE].contains(&errno),
            "making the deep tree: {errno}"
        );
        eprintln!(
            "note: {} refuses paths longer than PATH_MAX ({errno}); checked on tmpfs",
            env.path().display()
        );
        let Some(tmpfs) = TestEnv::on_tmpfs() else {
            return;
        };
        env = tmpfs;
        make_tree_deeper_than_path_max(&env, &name).unwrap();
    }
    let run = env.run(&["-a", "src", "dst"]);
    run.success();
    let mut dir = openat(
        rustix::fs::CWD,
        env.join("dst"),
        OFlags::RDONLY | OFlags::DIRECTORY,
        Mode::empty(),
    )
    .unwrap();
    for _ in 0..25 {
        dir = openat(
            &dir,
            name.as_str(),
            OFlags::RDONLY | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
    }
    let ino = |n: &str| {
        rustix::fs::statat(&dir, n, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
            .unwrap_or_else(|e| panic!("{n}: {e}"))
            .st_ino
    };
    assert_eq!(ino("x/f"), ino("x/g"));
    assert_eq!(ino("x/f"), ino("y/h"));
}

/// Break 4: `-rL` over a symlink to an ancestor never ended (and ate memory). GNU cp 9.1 says
/// `cannot copy cyclic symbolic link 's/d/up'`, copies the rest and exits 1.
#[test]
fn dereferencing_a_cyclic_symlink_is_reported_and_the_walk_goes_on() {
    if !require_tool("timeout") || !require_tool("prlimit") {
        return;
    }
    let env = TestEnv::new();
    env.write("s/d/file", "x\n");
    env.write("s/z", "z\n");
    std::os::unix::fs::symlink("..", env.join("s/d/up")).unwrap();
    // Bounded, so the broken version fails instead of eating the machine.
    let run = env
        .fcopy()
        .wrapped(&["timeout", "20", "prlimit", "--as=1000000000", "--"])
        .args(&["-rL", "s", "t"])
        .run();
    run.failure()
        .stderr_is("fcopy: cannot copy cyclic symbolic link 's/d/up'\n");
    assert_eq!(env.read("t/d/file"), b"x\n");
    assert_eq!(env.read("t/z"), b"z\n");
    assert!(!env.exists("t/d/up"));
}

// ---------------------------------------------------------------------------------------------
// Resource limits (break 6): fewer workers and fewer cached directories, never a crash

/// A tree of `depth` nested directories with one file at every level: `depth + 1` files.
fn nested_tree(env: &TestEnv, depth: usize) -> usize {
    let mut dir = PathBuf::from("src");
    for level in 0..=depth {
        env.write(dir.join("f"), format!("{level}\n"));
        dir.push("d");
    }
    depth + 1
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let t = entry.file_type().unwrap();
        if t.is_dir() {
            n += count_files(&entry.path());
        } else {
            n += 1;
        }
    }
    n
}

#[test]
fn a_worker_thread_that_cannot_start_means_fewer_workers_not_a_crash() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    for i in 0..40 {
        env.write(format!("src/{}/f{i}", i % 4), format!("{i}\n"));
    }
    let run = env
        .fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=clone,clone3",
            "-e",
            "inject=clone,clone3:error=EAGAIN",
        ])
        .args(&["-r", "-j4", "src", "dst"])
        .run();
    run.success();
    assert_eq!(count_files(&env.join("dst")), 40);
}

#[test]
fn a_low_open_file_limit_still_copies_everything() {
    if !require_tool("prlimit") {
        return;
    }
    let cases: &[(usize, &str, &[&str])] = &[
        (12, "12", &["-r"]),
        (12, "12", &["-a", "-j1"]),
        (200, "64", &["-r"]),
        (200, "256", &["-r"]),
        (12, "16", &["-r", "-j8"]),
    ];
    for &(depth, nofile, flags) in cases {
        let env = TestEnv::new();
        let files = nested_tree(&env, depth);
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["src", "dst"]);
        let limit = format!("--nofile={nofile}");
        let run = env
            .fcopy()
            .wrapped(&["prlimit", limit.as_str(), "--"])
            .args(&args)
            .run();
        run.success();
        assert_eq!(
            count_files(&env.join("dst")),
            files,
            "{flags:?} at -n {nofile}"
        );
    }
}

#[test]
fn many_files_with_many_workers_at_a_low_open_file_limit() {
    if !require_tool("prlimit") {
        return;
    }
    let env = TestEnv::new();
    for i in 0..1000 {
        env.write(format!("src/{}/f{i}", i % 10), "x");
    }
    for nofile in ["8", "12", "16"] {
        let dst = format!("dst{nofile}");
        let limit = format!("--nofile={nofile}");
        let run = env
            .fcopy()
            .wrapped(&["prlimit", limit.as_str(), "--"])
            .args(&["-r", "-j8", "src", dst.as_str()])
            .run();
        run.success();
        assert_eq!(count_files(&env.join(&dst)), 1000, "at -n {nofile}");
    }
}

// ---------------------------------------------------------------------------------------------
// Modes at creation (break 7): the kernel and the default ACL decide, as for GNU cp

#[test]
fn new_directories_and_special_files_get_the_default_acls_mode_as_with_gnu_cp() {
    if !require_tool("setfacl") {
        return;
    }
    let env = TestEnv::new();
    fs::create_dir(env.join("src")).unwrap();
    fs::create_dir(env.join("src/sub")).unwrap();
    fs::set_permissions(env.join("src/sub"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(env.join("src"), fs::Permissions::from_mode(0o755)).unwrap();
    let fifo = Command::new("mkfifo")
        .args(["-m", "666", "src/p"])
        .current_dir(env.path())
        .status()
        .unwrap();
    assert!(fifo.success());
    for d in ["gnu", "ours"] {
        fs::create_dir(env.join(d)).unwrap();
        let acl = Command::new("setfacl")
            .args(["-d", "-m", "u::rwx,g::r-x,o::---", d])
            .current_dir(env.path())
            .status()
            .unwrap();
        if !acl.success() {
            skip("default ACLs are not supported here");
            return;
        }
    }
    let gnu = Command::new("cp")
        .args(["-r", "src", "gnu/"])
        .current_dir(env.path())
        .status()
        .unwrap();
    assert!(gnu.success());
    env.run(&["-r", "src", "ours/"]).success();
    for p in ["src", "src/sub", "src/p"] {
        let (g, o) = (
            mode_owner(&env.join("gnu").join(p)).0,
            mode_owner(&env.join("ours").join(p)).0,
        );
        assert_eq!(o, g, "{p}: fcopy {o:o}, GNU cp {g:o}");
    }
    assert_eq!(mode_owner(&env.join("ours/src")).0, 0o750);
}

/// Without ACLs the GNU rules hold too: a read-only source directory is copied into (the owner
/// gets write permission while copying) and ends with the source's mode less the umask.
#[test]
fn new_directories_end_with_the_source_mode_less_the_umask() {
    let env = TestEnv::new();
    env.write("src/ro/f", "x");
    env.write("src/open/f", "y");
    fs::set_permissions(env.join("src/open"), fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(env.join("src/ro"), fs::Permissions::from_mode(0o555)).unwrap();
    let run = env
        .fcopy()
        .wrapped(&["sh", "-c", "umask 002 && exec \"$0\" \"$@\""])
        .args(&["-r", "src", "dst"])
        .run();
    run.success();
    assert_eq!(mode_owner(&env.join("dst/ro")).0, 0o555);
    assert_eq!(mode_owner(&env.join("dst/open")).0, 0o775);
    assert_eq!(env.read("dst/ro/f"), b"x");
}

// ---------------------------------------------------------------------------------------------
// The race harness: an unprivileged attacker swapping names as fast as it can

/// Runs of fcopy per scenario (issue 12 asks for at least 200).
const RACE_RUNS: usize = 200;

/// What is outside the destination, to compare before and after each run: every name under
/// `victim/` with its type, mode, owner, group, link count and mtime.
type Snapshot = Vec<(PathBuf, u32, u32, u32, u64, i64, i64)>;

fn snapshot(dir: &Path) -> Snapshot {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let m = fs::symlink_metadata(&d).unwrap();
        out.push((
            d.strip_prefix(dir).unwrap().to_path_buf(),
            m.mode(),
            m.uid(),
            m.gid(),
            m.nlink(),
            m.mtime(),
            m.mtime_nsec(),
        ));
        if m.is_dir() {
            for e in fs::read_dir(&d).unwrap().flatten() {
                todo.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Effects outside the destination, by kind, summed over a scenario's runs.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Escapes {
    created: usize,
    chmodded: usize,
    chowned: usize,
    linked: usize,
    touched: usize,
}

impl Escapes {
    fn total(&self) -> usize {
        self.created + self.chmodded + self.chowned + self.linked + self.touched
    }

    /// Adds what differs between two snapshots of the victim directory.
    fn add(&mut self, before: &Snapshot, after: &Snapshot) {
        for b in before {
            match after.iter().find(|a| a.0 == b.0) {
                Some(a) => {
                    self.chmodded += usize::from(a.1 != b.1);
                    self.chowned += usize::from(a.2 != b.2 || a.3 != b.3);
                    self.linked += usize::from(a.4 != b.4 && a.1 & 0o170000 != 0o040000);
                    self.touched += usize::from((a.5, a.6) != (b.5, b.6) && a.1 == b.1);
                }
                None => self.touched += 1,
            }
        }
        self.created += after
            .iter()
            .filter(|a| !before.iter().any(|b| b.0 == a.0))
            .count();
    }
}

/// Resets `victim/` (root's, outside every destination): `file`, `a/f`, `b/`.
fn make_victim(root: &Path) {
    let v = root.join("victim");
    if v.exists() {
        fs::remove_dir_all(&v).unwrap();
    }
    for d in ["", "a", "b"] {
        fs::create_dir_all(v.join(d)).unwrap();
        fs::set_permissions(v.join(d), fs::Permissions::from_mode(0o700)).unwrap();
    }
    for f in ["file", "a/f"] {
        fs::write(v.join(f), "secret\n").unwrap();
        fs::set_permissions(v.join(f), fs::Permissions::from_mode(0o600)).unwrap();
    }
    // Times well in the past, so any change shows.
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for p in ["file", "a/f", "a", "b", ""] {
        let f = fs::File::open(v.join(p)).unwrap();
        f.set_times(fs::FileTimes::new().set_modified(old)).unwrap();
    }
}

/// An existing DEST for a race scenario: nobody's, dated before the source `f`.
fn make_existing(path: &Path) {
    fs::write(path, "old\n").unwrap();
    chown(path, NOBODY);
    let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(800_000_000);
    let f = fs::File::open(path).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(t)).unwrap();
}

/// Empties `shared/` (as root; symlinks are removed, never followed).
fn clear_shared(shared: &Path) {
    for e in fs::read_dir(shared).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            fs::remove_dir_all(&p).unwrap();
        } else {
            fs::remove_file(&p).unwrap();
        }
    }
}

/// How the attacker treats the run's name in `shared/`.
#[derive(Copy, Clone)]
enum Attack {
    /// Whenever the name is something fcopy made (not a symlink), rename it away and put a
    /// symlink to `target` in its place.
    SwapCreated(&'static str),
    /// Keep renaming a fresh symlink to `target` over the name (also before fcopy looks).
    RenameOver(&'static str),
}

impl Attack {
    /// Where the attacker's symlinks lead.
    fn link_target(self) -> &'static str {
        match self {
            Attack::SwapCreated(t) | Attack::RenameOver(t) => t,
        }
    }
}

/// A scenario: fcopy's arguments for run `i` (names relative to the test directory), the name
/// under `shared/` attacked, whether `shared/NAME`'s parent is a directory nobody owns made
/// for the run, and the attack.
struct Scenario {
    name: &'static str,
    args: fn(usize) -> Vec<String>,
    /// The attacked name relative to `shared/` for run i.
    target: fn(usize) -> String,
    /// A nobody-owned directory to make under `shared/` before run i.
    run_dir: Option<fn(usize) -> String>,
    /// An existing DEST to make under `shared/` before run i: nobody's regular file, older
    /// than the source `f` (so `-u` replaces it), which is older than the victim's files (so
    /// `-u` never writes through a symlink the rules find there: cp would, legitimately).
    existing: Option<fn(usize) -> String>,
    /// Names under `shared/` where nobody plants a symlink to the attack's target before run i
    /// (red-team round 3: a symlink planted before the run, not swapped in during it).
    planted: Option<fn(usize) -> Vec<String>>,
    attack: Attack,
}

/// The attacker's loop, on its own thread running as nobody (thread credentials: the rest of
/// the test process stays root): act on the current run's name until told to stop.
fn attacker(
    shared: PathBuf,
    scenarios_target: std::sync::Arc<std::sync::Mutex<Option<(PathBuf, Attack, Instant)>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicBool>,
    swaps: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> std::thread::JoinHandle<()> {
    use rustix::fs::{renameat, statat, symlinkat, AtFlags, FileType, CWD};
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        let nobody_g = rustix::process::Gid::from_raw(NOBODY);
        let nobody_u = rustix::process::Uid::from_raw(NOBODY);
        rustix::thread::set_thread_groups(&[]).unwrap();
        rustix::thread::set_thread_res_gid(nobody_g, nobody_g, nobody_g).unwrap();
        rustix::thread::set_thread_res_uid(nobody_u, nobody_u, nobody_u).unwrap();
        assert!(!rustix::process::geteuid().is_root());
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            if waiting.load(Ordering::Relaxed) {
                // The test thread wants the lock (std's mutex is not fair): step aside.
                std::thread::yield_now();
                continue;
            }
            // The lock is held for the whole step: once the test has taken the target away,
            // the attacker has stopped touching the run's names.
            let guard = scenarios_target.lock().unwrap();
            let Some((name, attack, from)) = guard.clone() else {
                continue;
            };
            if Instant::now() < from {
                // Each run is attacked from another moment on, to hit every window.
                continue;
            }
            n += 1;
            let path = shared.join(&name);
            let tmp = path.with_file_name(format!(".x{n}"));
            match attack {
                Attack::SwapCreated(target) => {
                    let Ok(st) = statat(CWD, &path, AtFlags::SYMLINK_NOFOLLOW) else {
                        continue;
                    };
                    if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
                        continue;
                    }
                    let gone = path.with_file_name(format!(".gone{n}"));
                    if renameat(CWD, &path, CWD, &gone).is_ok()
                        && symlinkat(target, CWD, &path).is_ok()
                    {
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Attack::RenameOver(target) => {
                    if symlinkat(target, CWD, &tmp).is_ok()
                        && renameat(CWD, &tmp, CWD, &path).is_ok()
                    {
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    })
}

fn race_scenarios() -> Vec<Scenario> {
    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }
    vec![
        Scenario {
            name: "-r",
            args: |i| v(&["-r", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "-a",
            args: |i| v(&["-a", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "-j4",
            args: |i| v(&["-a", "-j4", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "--parents",
            args: |i| v(&["--parents", "-p", "a/b/f", &format!("shared/p{i}")]),
            target: |i| format!("p{i}/a"),
            run_dir: Some(|i| format!("p{i}")),
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../../victim"),
        },
        Scenario {
            name: "--attributes-only",
            args: |i| v(&["--attributes-only", "-p", "f", &format!("shared/o{i}")]),
            target: |i| format!("o{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::RenameOver("../victim/created"),
        },
        Scenario {
            name: "-l",
            args: |i| v(&["-rl", "src", &format!("shared/l{i}")]),
            target: |i| format!("l{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "special files (-a)",
            args: |i| v(&["-a", "special/.", &format!("shared/s{i}")]),
            target: |i| format!("s{i}/p"),
            run_dir: Some(|i| format!("s{i}")),
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../../victim/file"),
        },
        Scenario {
            name: "special files (-r)",
            args: |i| v(&["-r", "special/.", &format!("shared/s{i}")]),
            target: |i| format!("s{i}/p"),
            run_dir: Some(|i| format!("s{i}")),
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../../victim/file"),
        },
        Scenario {
            name: "--atomic",
            args: |i| v(&["--atomic", "-p", "f", &format!("shared/m{i}")]),
            target: |i| format!("m{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::RenameOver("../victim/created"),
        },
        // An existing DEST (red-team round 3): the attacker keeps renaming a symlink to root's
        // file over it. With -b or --remove-destination a symlink the rules see is renamed or
        // removed, never followed; with -u one they see leads to a newer file and is skipped.
        // Any effect on the victim is a name re-resolved after the rules' look.
        Scenario {
            name: "overwrite (-u)",
            args: |i| v(&["-u", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "-b over existing",
            args: |i| v(&["-b", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "--remove-dest",
            args: |i| v(&["--remove-destination", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "--atomic existing",
            args: |i| v(&["-u", "--atomic", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "--attr-only existing",
            args: |i| {
                v(&[
                    "-u",
                    "--attributes-only",
                    "-p",
                    "f",
                    &format!("shared/e{i}"),
                ])
            },
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        // A multiply-linked source over a planted symlink (red-team round 3): symlinks to root's
        // file wait at both names of one file before the run, and the attacker keeps renaming
        // new ones over the first. GNU cp 9.1 writes through the one at the name it copies
        // first; fcopy replaces both.
        Scenario {
            name: "-a links, planted",
            args: |i| v(&["-a", "links/.", &format!("shared/h{i}")]),
            target: |i| format!("h{i}/x"),
            run_dir: Some(|i| format!("h{i}")),
            existing: None,
            planted: Some(|i| vec![format!("h{i}/x"), format!("h{i}/y")]),
            attack: Attack::RenameOver("../../victim/file"),
        },
        Scenario {
            name: "-a -j4 links, planted",
            args: |i| v(&["-a", "-j4", "links/.", &format!("shared/h{i}")]),
            target: |i| format!("h{i}/y"),
            run_dir: Some(|i| format!("h{i}")),
            existing: None,
            planted: Some(|i| vec![format!("h{i}/x"), format!("h{i}/y")]),
            attack: Attack::RenameOver("../../victim/file"),
        },
    ]
}

/// Issue 12's proof: every scenario, `RACE_RUNS` runs each against the attacker, and not one
/// file created, chmodded, chowned or linked outside the destination. `FCOPY_RACE_BIN` runs
/// the harness against another build (to measure the code before the fixes).
#[test]
fn race_harness_an_unprivileged_attacker_gains_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    if !is_root() {
        skip("the race harness needs root (it attacks as nobody)");
        return;
    }
    let bin = std::env::var_os("FCOPY_RACE_BIN")
        .filter(|b| !b.is_empty())
        .map_or_else(|| PathBuf::from(FCOPY), PathBuf::from);
    let env = TestEnv::new();
    fs::set_permissions(env.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let root = env.path().to_path_buf();
    // Fixtures: a small tree with a hard link, a FIFO, a file with --parents components, a
    // directory of two names of one file.
    env.write("src/f", "f\n");
    env.write("src/a/f", "af\n");
    fs::create_dir(env.join("src/b")).unwrap();
    fs::hard_link(env.join("src/a/f"), env.join("src/b/g")).unwrap();
    env.write("a/b/f", "abf\n");
    env.write("f", "top\n");
    env.write("links/x", "linked\n");
    fs::hard_link(env.join("links/x"), env.join("links/y")).unwrap();
    fs::create_dir(env.join("special")).unwrap();
    let fifo = Command::new("mkfifo")
        .args(["-m", "666", "special/p"])
        .current_dir(&root)
        .status()
        .unwrap();
    assert!(fifo.success());
    for p in [
        "src",
        "src/f",
        "src/a",
        "src/a/f",
        "src/b",
        "a",
        "a/b",
        "a/b/f",
        "f",
        "links",
        "links/x",
        "special/p",
    ] {
        chown(&env.join(p), NOBODY);
    }
    // `f` is older than the victim's files and newer than an existing DEST (see `existing`).
    let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(900_000_000);
    fs::File::open(env.join("f"))
        .unwrap()
        .set_times(fs::FileTimes::new().set_modified(t))
        .unwrap();
    let shared = env.join("shared");
    fs::create_dir(&shared).unwrap();
    chown(&shared, NOBODY);
    make_victim(&root);
    let baseline = snapshot(&root.join("victim"));

    let current: Arc<Mutex<Option<(PathBuf, Attack, Instant)>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let waiting = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let thread = attacker(
        shared.clone(),
        Arc::clone(&current),
        Arc::clone(&stop),
        Arc::clone(&waiting),
        Arc::clone(&swaps),
    );
    let set_target = |target: Option<(PathBuf, Attack, Instant)>| {
        waiting.store(true, Ordering::Relaxed);
        *current.lock().unwrap() = target;
        waiting.store(false, Ordering::Relaxed);
    };
    let started = Instant::now();
    let mut results = Vec::new();
    for sc in race_scenarios() {
        let mut escapes = Escapes::default();
        let mut failed_runs = 0;
        let t0 = Instant::now();
        let swaps0 = swaps.load(Ordering::Relaxed);
        for i in 0..RACE_RUNS {
            if let Some(dir) = sc.run_dir {
                let d = shared.join(dir(i));
                fs::create_dir(&d).unwrap();
                chown(&d, NOBODY);
            }
            if let Some(name) = sc.existing {
                make_existing(&shared.join(name(i)));
            }
            for name in sc.planted.map_or_else(Vec::new, |names| names(i)) {
                let link = shared.join(name);
                std::os::unix::fs::symlink(sc.attack.link_target(), &link).unwrap();
                chown(&link, NOBODY);
            }
            let from = Instant::now() + Duration::from_micros((i % 8) as u64 * 150);
            set_target(Some((PathBuf::from((sc.target)(i)), sc.attack, from)));
            let out = Command::new(&bin)
                .args((sc.args)(i))
                .current_dir(&root)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            set_target(None);
            failed_runs += usize::from(!out.success());
            let after = snapshot(&root.join("victim"));
            if after != baseline {
                escapes.add(&baseline, &after);
                make_victim(&root);
            }
            clear_shared(&shared);
        }
        eprintln!(
            "race {:<20} {RACE_RUNS} runs, {:>5} swaps ({failed_runs} refused or failed, {:.1} s): created {}, chmodded {}, chowned {}, linked {}, other changes {}",
            sc.name,
            swaps.load(Ordering::Relaxed) - swaps0,
            t0.elapsed().as_secs_f64(),
            escapes.created,
            escapes.chmodded,
            escapes.chowned,
            escapes.linked,
            escapes.touched
        );
        results.push((sc.name, escapes));
    }
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    eprintln!(
        "race harness: {} scenarios, {} attacker swaps, {:.1} s",
        results.len(),
        swaps.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    let broken: Vec<_> = results.iter().filter(|(_, e)| e.total() > 0).collect();
    assert!(
        broken.is_empty(),
        "effects outside the destination: {broken:?}"
    );
}

/// `--parents -p` gives existing parent directories the source's attributes again, as GNU cp's
/// re_protect does (GNU test parent-perm.sh), through the descriptors it opened them by.
#[test]
fn parents_with_p_restores_existing_parents_attributes_as_gnu_cp() {
    let env = TestEnv::new();
    for d in ["a/b/c", "a/b/d", "gnu", "ours"] {
        fs::create_dir_all(env.join(d)).unwrap();
    }
    env.write("a/b/c/foo", "");
    env.write("a/b/d/foo", "");
    let modes = |root: &str| -> Vec<u32> {
        ["a", "a/b", "a/b/d"]
            .iter()
            .map(|d| mode_owner(&env.join(root).join(d)).0)
            .collect()
    };
    for (dir, program) in [("gnu", "cp"), ("ours", FCOPY)] {
        for (src, restrict) in [("a/b/c/foo", true), ("a/b/d/foo", false)] {
            let st = Command::new(program)
                .args(["-p", "--parents", src, dir])
                .current_dir(env.path())
                .status()
                .unwrap();
            assert!(st.success(), "{program} -p --parents {src} {dir}");
            if restrict {
                for d in ["a", "a/b"] {
                    let p = env.join(dir).join(d);
                    fs::set_permissions(&p, fs::Permissions::from_mode(0o705)).unwrap();
                }
            }
        }
    }
    assert_eq!(modes("ours"), modes("gnu"));
    assert_eq!(modes("ours"), modes("."));
}

/// `-l -R -H`: a command-line symlink is followed, the link is made to its target (GNU test
/// link-deref.sh); with -P the symlink itself is linked.
#[test]
fn link_with_h_links_to_the_target_of_a_command_line_symlink() {
    let env = TestEnv::new();
    env.write("file", "");
    std::os::unix::fs::symlink("file", env.join("filelink")).unwrap();
    env.run(&["--link", "-H", "-R", "filelink", "dst"])
        .success();
    env.run(&["--link", "-P", "filelink", "dst2"]).success();
    let ino = |p: &str| fs::symlink_metadata(env.join(p)).unwrap().ino();
    assert_eq!(ino("dst"), ino("file"));
    assert_eq!(ino("dst2"), ino("filelink"));
}

// ---------------------------------------------------------------------------------------------
// A symlink planted in DEST's tree before the run (red-team round 3)

/// GNU cp's differential harness, for the cases below.
use crate::gnu_compat::harness as gnu;

/// The fixture of a planted symlink: `src/a` and `src/b` (one file when `linked`, else two),
/// `etc/victim` (root's, "secret"), and `shared/t/PLANT` a symlink to it (`None`: at the name
/// GNU cp copies second).
fn planted_fixture(root: &Path, linked: bool, plant: Option<&str>) {
    gnu::file(root, "etc/victim", "secret\n");
    gnu::chmod(root, "etc/victim", 0o600);
    gnu::file(root, "src/a", "data\n");
    if linked {
        gnu::hardlink(root, "src/a", "src/b");
    } else {
        gnu::file(root, "src/b", "other\n");
    }
    gnu::chown(root, "src/a", NOBODY, NOBODY);
    let plant = plant.map_or_else(|| gnu_second_name(root), str::to_string);
    gnu::symlink(root, &format!("shared/t/{plant}"), "../../etc/victim");
    gnu::chown(root, &format!("shared/t/{plant}"), NOBODY, NOBODY);
}

/// The name of `src/a` and `src/b` that GNU cp 9.1 copies second when they are one file: it
/// sorts a directory's names by inode number (a stable sort), so two names of one inode keep
/// their order in the directory.
fn gnu_second_name(root: &Path) -> String {
    let first = fs::read_dir(root.join("src"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .find(|n| n == "a" || n == "b")
        .unwrap();
    if first == "a" { "b" } else { "a" }.to_string()
}

/// A symlink to root's file planted at DEST's name before the run, against GNU cp 9.1
/// (measured): with one name of the source (or links not kept: `-r`, `-L` without `-a`), GNU
/// writes through it, and so does fcopy (cp's contract: `cp f symlink-to-file`); `-b` and
/// `--remove-destination` replace it, `-n` skips it; with hard links kept (`-a`, `-d`,
/// `--preserve=links`) GNU replaces a symlink at a later name of a hard-linked source with a
/// link to the first copy — fcopy likewise, in whatever order it meets the names.
#[test]
fn a_planted_destination_symlink_is_written_through_only_where_gnu_cp_does() {
    if !is_root() {
        skip("a root-owned victim and a nobody-owned symlink need root");
        return;
    }
    if !gnu::have_gnu() {
        return;
    }
    let options: [&[&str]; 13] = [
        &["-r"],
        &["-a"],
        &["-dR"],
        &["-rL"],
        &["-rH"],
        &["-aL"],
        &["-R", "--preserve=links"],
        &["-a", "-f"],
        &["-a", "-b"],
        &["-r", "-b"],
        &["-a", "--remove-destination"],
        &["-r", "--remove-destination"],
        &["-a", "-n"],
    ];
    for opts in options {
        for linked in [false, true] {
            let mut args: Vec<&str> = opts.to_vec();
            args.extend(["src/.", "shared/t"]);
            gnu::Diff::new(move |r: &Path| {
                // One file: the symlink is at the name GNU copies second.
                planted_fixture(r, linked, (!linked).then_some("a"));
            })
            .args(&args)
            .check();
        }
    }
    // -u with an older victim: GNU writes through (one name) or links (the second name).
    for linked in [false, true] {
        gnu::Diff::new(move |r: &Path| {
            planted_fixture(r, linked, (!linked).then_some("a"));
        })
        .post(|r| gnu::set_mtime(&r.join("etc/victim"), 900_000_000))
        .args(&["-a", "-u", "src/.", "shared/t"])
        .check();
    }
}

/// fcopy's own (README, Differences): at the FIRST name of a hard-linked source whose links are
/// kept, GNU cp 9.1 writes through a symlink planted at DEST's name (and then links the later
/// names to that symlink), so root's file behind it was overwritten or not by entry order;
/// fcopy removes the symlink and creates the copy, in both orders, with and without workers.
#[test]
fn a_planted_symlink_at_any_name_of_a_hard_linked_source_is_replaced() {
    let Some(env) = attack_env(false) else { return };
    let root = env.path();
    for args in [
        &["-a"][..],
        &["-a", "-j4"],
        &["-dR"],
        &["-R", "--preserve=links"],
    ] {
        for plant in ["a", "b"] {
            for p in ["etc", "src", "shared/t"] {
                let _ = fs::remove_dir_all(root.join(p));
            }
            planted_fixture(root, true, Some(plant));
            let mut all = args.to_vec();
            all.extend(["src/.", "shared/t"]);
            env.run(&all).success();
            let what = format!("{all:?} over shared/t/{plant}");
            assert_eq!(env.read("etc/victim"), b"secret\n", "{what}");
            assert_eq!(mode_owner(&env.join("etc/victim")), (0o600, 0), "{what}");
            let a = fs::symlink_metadata(env.join("shared/t/a")).unwrap();
            let b = fs::symlink_metadata(env.join("shared/t/b")).unwrap();
            assert!(
                a.is_file() && a.ino() == b.ino() && a.nlink() == 2,
                "{what}"
            );
            assert_eq!(env.read("shared/t/a"), b"data\n", "{what}");
        }
    }
}

/// Red-team round 4: a FIFO another user planted at a name of a hard-linked source in the
/// destination tree hung `fcopy -a` forever in `open(O_WRONLY)` (GNU 9.1 replaces it and exits
/// 0). The run must end within a deadline; on timeout it is killed and the test fails (never
/// hangs the suite).
#[test]
fn a_fifo_planted_at_a_name_of_a_hard_linked_source_does_not_hang_the_copy() {
    let Some(env) = attack_env(false) else {
        return;
    };
    env.write("src/a", "hi\n");
    fs::hard_link(env.join("src/a"), env.join("src/b")).unwrap();
    fs::set_permissions(env.join("shared"), fs::Permissions::from_mode(0o1777)).unwrap();
    assert!(as_nobody(
        env.path(),
        "mkdir shared/t && mkfifo -m666 shared/t/a"
    ));
    for args in [&["-a"][..], &["-a", "--attributes-only"]] {
        let mut child = Command::new(FCOPY)
            .args(args)
            .args(["src/.", "shared/t"])
            .current_dir(env.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("fcopy {args:?} hung on the planted FIFO (killed)");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "fcopy {args:?}: {status}");
        let meta = fs::symlink_metadata(env.join("shared/t/a")).unwrap();
        assert!(meta.is_file(), "{args:?}: t/a is not a regular file");
        let b = fs::metadata(env.join("shared/t/b")).unwrap();
        assert_eq!((meta.ino(), meta.nlink()), (b.ino(), 2), "{args:?}");
        // Put the FIFO back for the next run.
        fs::remove_dir_all(env.join("shared/t")).unwrap();
        assert!(as_nobody(
            env.path(),
            "mkdir shared/t && mkfifo -m666 shared/t/a"
        ));
    }
}

/// Issue 14: the fewest descriptors a tree copies with. A directory's entries are listed
/// before its destination is opened (the listing's descriptor is closed first), and under a
/// limit this low the walk does not keep the top destination directory for hard links: a tree
/// copies under `ulimit -n 7` (standard streams, one source and destination directory, a
/// source and destination file) with -r, -a (its hard links kept) and -j. One below, nothing
/// fits, and every failure is reported: exit status 1, each message `Too many open files`.
#[test]
fn a_tree_copies_under_ulimit_n_7_and_below_every_failure_is_reported() {
    if !require_tool("prlimit") {
        return;
    }
    let env = TestEnv::new();
    let files = nested_tree(&env, 6);
    env.write("src/d/g", "g\n");
    fs::hard_link(env.join("src/d/g"), env.join("src/d/d/d/h")).unwrap();
    let files = files + 2;
    for flags in [&["-r"][..], &["-a"], &["-r", "-j8"], &["-a", "-j1"]] {
        let dst = format!("dst{}", flags.join(""));
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["src", dst.as_str()]);
        let run = env
            .fcopy()
            .wrapped(&["prlimit", "--nofile=7", "--"])
            .args(&args)
            .run();
        run.success();
        assert_eq!(count_files(&env.join(&dst)), files, "{flags:?} at -n 7");
        if flags[0] == "-a" {
            let ino = |p: &str| fs::metadata(env.join(&dst).join(p)).unwrap().ino();
            assert_eq!(ino("d/g"), ino("d/d/d/h"), "{flags:?}: hard link kept");
        }
        let low = format!("{dst}-6");
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["src", low.as_str()]);
        let run = env
            .fcopy()
            .wrapped(&["prlimit", "--nofile=6", "--"])
            .args(&args)
            .run();
        run.failure();
        assert_eq!(run.code(), Some(1), "{flags:?} at -n 6");
        let stderr = run.stderr();
        assert!(!stderr.is_empty(), "{flags:?} at -n 6: nothing reported");
        for line in stderr.lines() {
            assert!(
                line.ends_with("Too many open files"),
                "{flags:?} at -n 6: {line}"
            );
        }
    }
}
