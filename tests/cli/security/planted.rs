//! A symlink planted in DEST's tree before the run (red-team rounds 3 and 4): written through only where GNU cp writes through it; hard-linked sources; FIFOs.

use super::*;

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

/// A directory put at DEST's name after the look that found it missing, before the `mkdir`
/// (red team, round 7): GNU refuses it (`cannot create directory 'D': File exists`); fcopy
/// copied the whole tree into it, so another user's 0777 directory in a shared one received
/// root's files (27 of 40 racing runs). Made deterministic here: strace holds the first
/// `mkdir` for a second while the directory appears. Both tools, both a tree operand and a
/// directory inside one made by this run (its parent, new, is where the plant goes).
#[test]
fn a_directory_planted_between_the_look_and_the_mkdir_is_refused_like_gnu() {
    if !require_strace() || !gnu::have_gnu() {
        return;
    }
    for (nth_mkdir, dest, planted) in [(1, "shared/t", "shared/t"), (2, "shared/t", "shared/t/in")]
    {
        let mut results = Vec::new();
        for program in [gnu::GNU_CP, crate::testenv::FCOPY] {
            let scratch = gnu::scratch();
            let r = scratch.path();
            gnu::file(r, "src/in/key", "secret\n");
            gnu::dir(r, "shared");
            let inject = format!("inject=mkdir,mkdirat:delay_enter=1000000:when={nth_mkdir}");
            // Planted while the tool is held in that mkdir (x86-64 calls 83 and 258), however
            // late it started (a fixed 150 ms sleep failed under load: flake hunt, round 14).
            let (child, _) = crate::testenv::start_held_in(
                r,
                "mkdir,mkdirat",
                &inject,
                &[83, 258],
                program,
                &["-r", "src", dest],
            );
            fs::create_dir(r.join(planted)).unwrap();
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).replace(program, "cp");
            let stderr = stderr
                .replace("fcopy:", "cp:")
                .replace("/usr/bin/cp:", "cp:");
            let inside: Vec<_> = fs::read_dir(r.join(planted))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            results.push((out.status.code(), stderr, inside));
        }
        assert_eq!(results[0], results[1], "planted {planted}: GNU, then fcopy");
        assert_eq!(results[1].0, Some(1), "{:?}", results[1]);
    }
}
