//! `--resume --atomic`'s partial files (red team, round 8, helper atomic8): a file is taken for
//! fcopy's `.NAME.fcopy-partial` only when it carries fcopy's mark (`user.fcopy.partial`), and
//! NAMEs cut to 200 bytes get a hash of the whole NAME, so that another DEST's partial file,
//! a user's own `.x.fcopy-partial` or a copy of one is never continued, emptied or renamed over
//! DEST.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::testenv::{pattern, skip, TestEnv};

const M: usize = 1 << 20;

/// Marks `partial` as fcopy's partial file of DEST `dest_name` copying `src`, as fcopy does
/// when it creates one (`fcopy-partial/1 FDEV:FINO SDEV:SINO:SIZE:MTIME.NSEC NAME`): for tests
/// that make a partial file by hand. `false`: the filesystem has no user xattrs.
pub fn mark_partial(partial: &Path, src: &Path, dest_name: &str) -> bool {
    let (p, s) = (fs::metadata(partial).unwrap(), fs::metadata(src).unwrap());
    let value = format!(
        "fcopy-partial/1 {}:{} {}:{}:{}:{}.{} {dest_name}",
        p.dev(),
        p.ino(),
        s.dev(),
        s.ino(),
        s.size(),
        s.mtime(),
        s.mtime_nsec()
    );
    rustix::fs::setxattr(
        partial,
        "user.fcopy.partial",
        value.as_bytes(),
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok()
}

/// Whether the test directory's filesystem keeps user xattrs (fcopy marks partial files there).
pub(crate) fn user_xattrs(env: &TestEnv) -> bool {
    let probe = env.write("xattr-probe", b"");
    let ok =
        rustix::fs::setxattr(&probe, "user.probe", b"1", rustix::fs::XattrFlags::empty()).is_ok();
    fs::remove_file(probe).unwrap();
    ok || !skip("the test directory's filesystem has no user xattrs")
}

pub(crate) fn set_mtime(path: &Path, t: SystemTime) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(t).unwrap();
}

/// F1: two DESTs whose names share their first 200 bytes shared one partial file, so a copy
/// of B continued A's (only the last 1 MiB is checked, and B's SOURCE matched A's there): B
/// got A's first bytes, exit 0. Now a cut NAME gets a hash of the whole NAME.
#[test]
fn long_names_sharing_200_bytes_get_different_partial_files() {
    let env = TestEnv::new();
    let common = pattern(3 * M, 81);
    let (mut a, mut b) = (b"AAAA-header-of-A".to_vec(), b"BBBB-header-of-B".to_vec());
    a.extend_from_slice(&common);
    b.extend_from_slice(&common);
    env.write("srcA", &a);
    env.write("srcB", &b);
    fs::create_dir(env.join("d")).unwrap();
    let stem = "x".repeat(200);
    // A's partial file as the old naming made it (NAME cut to 200 bytes), written after SOURCE.
    let old_name = format!("d/.{stem}.fcopy-partial");
    let partial = env.write(&old_name, &a[..a.len() / 2]);
    mark_partial(&partial, &env.join("srcA"), &format!("{stem}_A"));
    set_mtime(&partial, SystemTime::now() + Duration::from_secs(60));
    let dest_b = format!("d/{stem}_B");
    let run = env.run(&["--resume", "--atomic", "--json", "srcB", &dest_b]);
    run.success();
    assert!(
        run.json_record()["resumed_from"].is_null(),
        "{}",
        run.stdout()
    );
    assert!(env.read(&dest_b) == b, "B got another file's bytes");
    assert_eq!(
        env.read(&old_name).len(),
        a.len() / 2,
        "A's partial file changed"
    );
    // B's partial file had its own, hashed name and is gone once B is complete.
    let left: Vec<_> = fs::read_dir(env.join("d"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".fcopy-partial") && n != &old_name[2..])
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// F5 (b): a user's own `d/.x.fcopy-partial`, which fcopy never made, was emptied (or, being
/// a prefix of SOURCE, continued) and renamed over x, exit 0: the user's file was gone.
#[test]
fn a_users_own_partial_named_file_is_left_alone() {
    let env = TestEnv::new();
    let data = pattern(3 * M, 82);
    env.write("src", &data);
    for (what, contents) in [("prefix", data[..M].to_vec()), ("other", b"mine".to_vec())] {
        let user = env.write(".dst.fcopy-partial", &contents);
        set_mtime(&user, SystemTime::now() + Duration::from_secs(60));
        env.write("dst", b"old");
        let run = env.run(&["--resume", "--atomic", "--json", "src", "dst"]);
        run.success();
        assert!(run.json_record()["resumed_from"].is_null(), "{what}");
        assert!(env.read("dst") == data, "{what}: DEST is not SOURCE");
        assert!(
            env.read(".dst.fcopy-partial") == contents,
            "{what}: user file changed"
        );
    }
}

/// F5 (a): a tree holding `x` and `.x.fcopy-partial` (say, itself the DEST of an interrupted
/// fcopy), copied again with `-r --resume --atomic s/. d` into its existing copy: DEST's copy
/// of `.x.fcopy-partial` was emptied and renamed over x, exit 1, a file missing from DEST.
#[test]
fn a_tree_with_partial_named_files_copies_again_unchanged() {
    let env = TestEnv::new();
    for n in ["a", "x"] {
        env.write(format!("s/{n}"), format!("content {n}\n"));
        env.write(
            format!("s/.{n}.fcopy-partial"),
            format!("user data for {n}\n"),
        );
    }
    for round in 1..=2 {
        env.run(&["-r", "--resume", "--atomic", "s/.", "d"])
            .success();
        for n in ["a", "x", ".a.fcopy-partial", ".x.fcopy-partial"] {
            env.assert_same_content(format!("s/{n}"), format!("d/{n}"));
        }
        assert_eq!(
            fs::read_dir(env.join("d")).unwrap().count(),
            4,
            "round {round}"
        );
    }
}

/// A partial file fcopy made (marked) is still continued, and DEST does not keep the mark;
/// a copy of a marked file (another inode, e.g. `cp -a` of a tree) is not fcopy's partial file.
#[test]
fn a_marked_partial_is_continued_and_the_mark_does_not_reach_dest() {
    let env = TestEnv::new();
    if !user_xattrs(&env) {
        return;
    }
    let data = pattern(3 * M, 83);
    env.write("src", &data);
    let partial = env.write(".dst.fcopy-partial", &data[..M]);
    assert!(mark_partial(&partial, &env.join("src"), "dst"));
    set_mtime(&partial, SystemTime::now() + Duration::from_secs(60));
    let run = env.run(&["--resume", "--atomic", "--json", "-a", "src", "dst"]);
    run.success();
    assert_eq!(run.json_record()["resumed_from"], M, "{}", run.stdout());
    assert!(env.read("dst") == data);
    assert!(!env.exists(".dst.fcopy-partial"));
    let mut buf = [0u8; 256];
    let mark = rustix::fs::getxattr(env.join("dst"), "user.fcopy.partial", &mut buf[..]);
    assert!(mark.is_err(), "DEST kept the partial file's mark");

    // Marked for this DEST but on another inode: a copy, not fcopy's file; left alone.
    let partial = env.write("marked", &data[..M]);
    assert!(mark_partial(&partial, &env.join("src"), "dst2"));
    let copy = env.join(".dst2.fcopy-partial");
    env.run(&["-a", "marked", copy.to_str().unwrap()]).success();
    set_mtime(&copy, SystemTime::now() + Duration::from_secs(60));
    let run = env.run(&["--resume", "--atomic", "--json", "src", "dst2"]);
    run.success();
    assert!(
        run.json_record()["resumed_from"].is_null(),
        "{}",
        run.stdout()
    );
    assert!(env.read("dst2") == data);
    assert_eq!(env.read(".dst2.fcopy-partial").len(), M);
}

/// Waits up to 10 s for `path` to exist.
fn wait_for(path: &Path) -> bool {
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < until {
        if fs::symlink_metadata(path).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// F2: `--atomic -b` renamed DEST to `DEST~` before copying, so while it copied (and after a
/// SIGKILL) there was no DEST at all. Now the backup is a hard link and the rename replaces
/// DEST; so with `--backup=numbered` and `--remove-destination`. The copy is held up on a FIFO
/// SOURCE that has no writer yet (the backup is made before SOURCE is opened).
#[test]
fn atomic_backup_and_remove_destination_never_leave_dest_missing() {
    let env = TestEnv::new();
    let fifo = env.join("fifo");
    crate::testenv::mkfifo(&fifo);
    for (args, backup) in [
        (&["-b"][..], "x~"),
        (&["--backup=numbered"][..], "x.~1~"),
        (&["--remove-destination"][..], ""),
    ] {
        env.write("x", b"old");
        let mut cmd = std::process::Command::new(crate::testenv::FCOPY);
        cmd.current_dir(env.path()).arg("--atomic").args(args);
        let mut child = cmd.args(["fifo", "x"]).spawn().unwrap();
        if backup.is_empty() {
            std::thread::sleep(Duration::from_millis(300));
        } else {
            assert!(wait_for(&env.join(backup)), "{args:?}: no backup");
        }
        let during = fs::read(env.join("x"));
        fs::write(&fifo, b"new").unwrap();
        assert!(child.wait().unwrap().success(), "{args:?}");
        assert_eq!(
            during.ok().as_deref(),
            Some(&b"old"[..]),
            "{args:?}: DEST missing"
        );
        assert_eq!(env.read("x"), b"new", "{args:?}");
        if !backup.is_empty() {
            assert_eq!(env.read(backup), b"old", "{args:?}");
            fs::remove_file(env.join(backup)).unwrap();
        }
    }
}

/// A kill between creating the partial file and marking it leaves it empty, mode 0600, without
/// a mark: the next run takes it (there is nothing in it to lose) instead of leaving it beside
/// DEST for good (CI, round 8: `sigkill_resume_atomic_continues_the_stable_temporary` hit the
/// window). An empty file of another mode is still a user's and left alone.
#[test]
fn an_empty_unmarked_partial_left_by_a_kill_is_taken() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let data = pattern(M, 83);
    env.write("src", &data);
    for (mode, taken) in [(0o600, true), (0o644, false)] {
        let partial = env.write(".dst.fcopy-partial", b"");
        fs::set_permissions(&partial, fs::Permissions::from_mode(mode)).unwrap();
        env.write("dst", b"old");
        env.run(&["--resume", "--atomic", "src", "dst"]).success();
        assert!(env.read("dst") == data, "{mode:o}");
        assert_eq!(env.exists(".dst.fcopy-partial"), !taken, "{mode:o}");
    }
}
