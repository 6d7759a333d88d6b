//! The breaks of issue 12, each reproduced deterministically: an strace delay widens the window and an attacker running as `nobody` acts in it (swapped names, planted symlinks, trees deeper than PATH_MAX, cyclic symlinks).

use super::*;

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
