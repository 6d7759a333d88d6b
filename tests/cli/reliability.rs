//! Reliability: `--atomic` and `--sync`, and fcopy's behaviour on real faults — full disks
//! (tmpfs, loop ext4), read-only mounts, immutable files and directories, busy swap files,
//! RLIMIT_FSIZE, errors injected with strace, sources changing underneath, SIGKILL — plus a
//! fault-injection sweep that checks the invariants at every failing syscall of a workload.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::testenv::{
    atomic_leftovers, data_extents, is_root, pattern, require_strace, require_tool, sh, skip,
    unprivileged, with_failing_clone, LoopMount, TestEnv,
};

const K: usize = 1 << 10;
const M: usize = 1 << 20;

/// strace arguments that run quietly and apply each `-e inject=` spec (`SYSCALL:...`).
fn strace(specs: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["strace", "-f", "-o", "/dev/null"]
        .map(String::from)
        .to_vec();
    let names: Vec<&str> = specs.iter().map(|s| s.split(':').next().unwrap()).collect();
    v.extend(["-e".into(), format!("trace={}", names.join(","))]);
    for spec in specs {
        v.extend(["-e".into(), format!("inject={spec}")]);
    }
    v
}

fn assert_no_leftovers(dir: &Path) {
    let left = atomic_leftovers(dir);
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

/// A sparse file with data at 0, 1 MiB and 2 MiB (64 KiB each) and a trailing hole: 2.5 MiB.
fn three_extents(env: &TestEnv, name: &str) -> Vec<u8> {
    let chunks: Vec<(u64, Vec<u8>)> = (0..3)
        .map(|i| ((i * M) as u64, pattern(64 * K, 40 + i as u64)))
        .collect();
    let refs: Vec<(u64, &[u8])> = chunks.iter().map(|(at, d)| (*at, d.as_slice())).collect();
    env.write_sparse(name, (2 * M + M / 2) as u64, &refs);
    env.read(name)
}

// ---------------------------------------------------------------------------------------------
// --atomic and --sync on their own

#[test]
fn atomic_creates_a_new_file_with_the_usual_mode() {
    let env = TestEnv::new();
    let src = env.write("src", pattern(3 * M + 5, 1));
    fs::set_permissions(&src, fs::Permissions::from_mode(0o754)).unwrap();
    env.run(&["--atomic", "src", "dst"]).success();
    env.assert_same_content("src", "dst");
    // The same mode a plain copy gives (source mode less the umask).
    env.run(&["src", "plain"]).success();
    assert_eq!(mode(&env.join("dst")), mode(&env.join("plain")));
    assert_no_leftovers(env.path());
}

#[test]
fn atomic_over_an_existing_file_keeps_its_mode_and_owner() {
    let env = TestEnv::new();
    env.write("src", pattern(200 * K, 2));
    let dst = env.write("dst", b"old contents");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o640)).unwrap();
    if is_root() {
        rustix::fs::chown(
            &dst,
            Some(rustix::fs::Uid::from_raw(1234)),
            Some(rustix::fs::Gid::from_raw(4321)),
        )
        .unwrap();
    }
    let ino = fs::metadata(&dst).unwrap().ino();
    env.run(&["--atomic", "src", "dst"]).success();
    env.assert_same_content("src", "dst");
    let meta = fs::metadata(&dst).unwrap();
    assert_ne!(meta.ino(), ino, "--atomic replaces DEST by a new file");
    assert_eq!(meta.mode() & 0o7777, 0o640);
    if is_root() {
        assert_eq!((meta.uid(), meta.gid()), (1234, 4321));
    }
    // With -p the source's mode wins, as in a plain copy.
    fs::set_permissions(env.join("src"), fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["--atomic", "-p", "src", "dst"]).success();
    assert_eq!(mode(&dst), 0o600);
    assert_no_leftovers(env.path());
}

#[test]
fn atomic_through_a_symlink_replaces_the_file_it_names() {
    let env = TestEnv::new();
    env.write("src", b"new");
    env.write("sub/real", b"old");
    std::os::unix::fs::symlink("sub/real", env.join("link")).unwrap();
    env.run(&["--atomic", "src", "link"]).success();
    assert!(fs::symlink_metadata(env.join("link"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(env.read("sub/real"), b"new");
    assert_no_leftovers(env.path());
}

#[test]
fn atomic_ignores_special_destinations_and_stdout() {
    let env = TestEnv::new();
    env.write("src", b"data\n");
    // A FIFO stays a FIFO: it is written to, never replaced by a regular file.
    sh(Command::new("mkfifo").arg(env.join("fifo")));
    let reader = {
        let fifo = env.join("fifo");
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    env.run(&["--atomic", "src", "fifo"]).success();
    assert_eq!(reader.join().unwrap(), b"data\n");
    assert!(fs::symlink_metadata(env.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    let run = env.run(&["--atomic", "src", "-"]);
    run.success();
    assert_eq!(run.stdout, b"data\n");
    if is_root() {
        // A private /dev/null stays a character device.
        sh(Command::new("mknod")
            .arg(env.join("null"))
            .args(["c", "1", "3"]));
        env.run(&["--atomic", "src", "null"]).success();
        assert!(fs::symlink_metadata(env.join("null"))
            .unwrap()
            .file_type()
            .is_char_device());
    }
    assert_no_leftovers(env.path());
}

#[test]
fn atomic_needs_a_writable_destination_like_a_plain_overwrite() {
    let env = TestEnv::new();
    let Some(prefix) = unprivileged(&env) else {
        return;
    };
    env.write("src", b"new");
    let dst = env.write("dst", b"old");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o444)).unwrap();
    for args in [&["src", "dst"][..], &["--atomic", "src", "dst"]] {
        let run = env.fcopy().wrapped(&prefix).args(args).run();
        run.failure()
            .stderr_is("fcopy: cannot create regular file 'dst': Permission denied\n");
        assert_eq!(env.read("dst"), b"old");
    }
    // -f: replaced, as -f replaces what it cannot open.
    env.fcopy()
        .wrapped(&prefix)
        .args(&["--atomic", "-f", "src", "dst"])
        .run()
        .success();
    assert_eq!(env.read("dst"), b"new");
    assert_no_leftovers(env.path());
}

#[test]
fn atomic_ranged_copy_edits_a_copy_of_dest() {
    let env = TestEnv::new();
    env.write("src", pattern(10_000, 3));
    let old = three_extents(&env, "dst");
    let run = env.run(&[
        "--atomic",
        "--offset-in",
        "100",
        "--offset-out",
        "1048000",
        "--len",
        "5000",
        "src",
        "dst",
    ]);
    run.success();
    let mut want = old.clone();
    want[1_048_000..1_053_000].copy_from_slice(&pattern(10_000, 3)[100..5100]);
    assert!(env.read("dst") == want);
    // The holes of DEST outside the range are still holes.
    let extents = data_extents(&env.join("dst"));
    assert!(
        extents
            .iter()
            .all(|&(s, e)| s >= 2 * M as u64 || e <= (M + 128 * K) as u64),
        "{extents:?}"
    );
    // A new DEST: the range lands after a hole, as without --atomic.
    env.run(&["--atomic", "--offset-out", "4096", "src", "fresh"])
        .success();
    let fresh = env.read("fresh");
    assert_eq!(fresh.len(), 4096 + 10_000);
    assert!(fresh[..4096].iter().all(|&b| b == 0) && fresh[4096..] == pattern(10_000, 3)[..]);
    assert_no_leftovers(env.path());
}

#[test]
fn atomic_tree_and_batch_copies() {
    let env = TestEnv::new();
    env.write("tree/a", pattern(100 * K, 4));
    env.write("tree/sub/b", pattern(10, 5));
    env.write("out/tree/a", b"old a");
    env.run(&["--atomic", "-r", "-j2", "tree", "out"]).success();
    env.assert_same_content("tree/a", "out/tree/a");
    env.assert_same_content("tree/sub/b", "out/tree/sub/b");
    env.write("list", "tree/a\tbatch-a\ntree/sub/b\tbatch-b\n");
    env.run(&["--atomic", "--batch", "list"]).success();
    env.assert_same_content("tree/a", "batch-a");
    assert_no_leftovers(env.path());
}

/// Lines of an strace log for `syscall`.
fn calls<'a>(log: &'a str, syscall: &str) -> Vec<&'a str> {
    let needle = format!("{syscall}(");
    log.lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|w| w.starts_with(&needle))
        })
        .collect()
}

#[test]
fn sync_fsyncs_file_and_directory() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(100 * K, 6));
    env.write("old", b"old");
    let log = env.join("log");
    for (args, min_files, dir) in [
        (&["--sync", "src", "new1"][..], 1, true),
        (&["--sync", "src", "old"], 1, false),
        (&["--sync", "--atomic", "src", "new2"], 1, true),
        (&["--sync", "--atomic", "src", "old"], 1, true),
    ] {
        env.fcopy()
            .wrapped(&[
                "strace",
                "-f",
                "-o",
                log.to_str().unwrap(),
                "-e",
                "trace=fsync,openat,fdatasync",
            ])
            .args(args)
            .run()
            .success();
        let text = fs::read_to_string(&log).unwrap();
        let fsyncs = calls(&text, "fsync");
        assert!(fsyncs.len() >= min_files, "{args:?}:\n{text}");
        // The directory's descriptor is one opened with O_DIRECTORY.
        let dir_fds: Vec<String> = calls(&text, "openat")
            .iter()
            .filter(|l| l.contains("O_DIRECTORY"))
            .filter_map(|l| l.rsplit("= ").next().map(|s| s.trim().to_owned()))
            .collect();
        let dir_synced = fsyncs
            .iter()
            .any(|l| dir_fds.iter().any(|fd| l.contains(&format!("fsync({fd})"))));
        assert_eq!(dir_synced, dir, "{args:?}:\n{text}");
    }
    env.assert_same_content("src", "old");
    // Without --sync, nothing is synced.
    env.fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            log.to_str().unwrap(),
            "-e",
            "trace=fsync,fdatasync",
        ])
        .args(&["--atomic", "src", "new3"])
        .run()
        .success();
    assert!(calls(&fs::read_to_string(&log).unwrap(), "fsync").is_empty());
}

#[test]
fn sync_errors_are_reported() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(100 * K, 7));
    // A new file that cannot be synced is removed.
    let run = env
        .fcopy()
        .wrapped(&strace(&["fsync:error=EIO:when=1"]))
        .args(&["--sync", "src", "new"])
        .run();
    run.failure()
        .stderr_is("fcopy: error syncing 'new': Input/output error\n");
    assert!(!env.exists("new"));
    // An existing one was overwritten: the note says so.
    env.write("old", b"old");
    let run = env
        .fcopy()
        .wrapped(&strace(&["fsync:error=EIO:when=1"]))
        .args(&["--sync", "src", "old"])
        .run();
    run.failure()
        .stderr_contains("fcopy: error syncing 'old': Input/output error\n")
        .stderr_contains("its old contents cannot be restored");
    // --atomic: DEST keeps its old bytes when the file cannot be synced ...
    env.write("old", b"old");
    let run = env
        .fcopy()
        .wrapped(&strace(&["fsync:error=EIO:when=1"]))
        .args(&["--sync", "--atomic", "src", "old"])
        .run();
    run.failure()
        .stderr_is("fcopy: error syncing 'old': Input/output error\n");
    assert_eq!(env.read("old"), b"old");
    // ... and is the new file, said so, when only the directory cannot be.
    let run = env
        .fcopy()
        .wrapped(&strace(&["fsync:error=EIO:when=2"]))
        .args(&["--sync", "--atomic", "src", "old"])
        .run();
    run.failure()
        .stderr_contains("fcopy: error syncing '.': Input/output error\n")
        .stderr_contains("'old' was replaced");
    env.assert_same_content("src", "old");
    assert_no_leftovers(env.path());
}

// ---------------------------------------------------------------------------------------------
// Full disks, read-only mounts, immutable files, busy files

/// ENOSPC on `base`: two sources, the first too big. The big one fails naming the file and
/// "No space left on device" and leaves nothing; the small one is copied.
fn enospc_on(base: &Path, big: usize) {
    let env = TestEnv::new();
    env.write("big", pattern(big, 8));
    env.write("small", pattern(10 * K, 9));
    for (i, extra) in [
        &[][..],
        &["--atomic"],
        &["--method=read-write"],
        &["--atomic", "--sync"],
    ]
    .iter()
    .enumerate()
    {
        let out = base.join(format!("out{i}"));
        fs::create_dir(&out).unwrap();
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend([
            "big".into(),
            "small".into(),
            out.to_string_lossy().into_owned(),
        ]);
        let run = env.run(&args);
        run.failure().stderr_contains("No space left on device");
        let shown = format!("'{}'", out.join("big").display());
        assert!(run.stderr().contains(&shown), "{}", run.stderr());
        assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
        assert!(!out.join("big").exists(), "partial file left: {extra:?}");
        assert_eq!(fs::read(out.join("small")).unwrap(), pattern(10 * K, 9));
        assert_no_leftovers(&out);
        fs::remove_dir_all(&out).unwrap();
    }
    // Over an existing DEST with --atomic: the old file survives.
    let out = base.join("existing");
    fs::write(&out, b"precious").unwrap();
    let run = env.run(&["--atomic", "big", out.to_str().unwrap()]);
    run.failure().stderr_contains("No space left on device");
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    assert_no_leftovers(base);
}

#[test]
fn enospc_on_a_small_tmpfs() {
    let Some(mount) = LoopMount::tmpfs(M as u64) else {
        return;
    };
    enospc_on(mount.path(), 3 * M);
}

#[test]
fn enospc_on_a_small_loop_ext4() {
    let Some(mount) = LoopMount::ext4(8 * M as u64) else {
        return;
    };
    enospc_on(mount.path(), 12 * M);
}

#[test]
fn erofs_on_a_read_only_tmpfs() {
    let Some(mount) = LoopMount::tmpfs(M as u64) else {
        return;
    };
    let env = TestEnv::new();
    env.write("src", b"new");
    fs::write(mount.path().join("old"), b"old").unwrap();
    sh(Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(mount.path()));
    let new = mount.path().join("new");
    let old = mount.path().join("old");
    for atomic in [false, true] {
        let mut args = vec!["src".to_owned(), new.to_string_lossy().into_owned()];
        if atomic {
            args.insert(0, "--atomic".into());
        }
        env.run(&args).failure().stderr_is(&format!(
            "fcopy: cannot create regular file '{}': Read-only file system\n",
            new.display()
        ));
        args.pop();
        args.push(old.to_string_lossy().into_owned());
        env.run(&args).failure().stderr_is(&format!(
            "fcopy: cannot create regular file '{}': Read-only file system\n",
            old.display()
        ));
        assert_eq!(fs::read(&old).unwrap(), b"old");
    }
    sh(Command::new("mount")
        .args(["-o", "remount,rw"])
        .arg(mount.path()));
}

/// `chattr +i` on a loop ext4: an immutable directory (EPERM creating in it) and an immutable
/// file (EPERM opening it for writing, and renaming over it).
#[test]
fn immutable_directory_and_file_on_loop_ext4() {
    if !require_tool("chattr") {
        return;
    }
    let Some(mount) = LoopMount::ext4(8 * M as u64) else {
        return;
    };
    let env = TestEnv::new();
    env.write("src", b"new");
    let dir = mount.path().join("dir");
    fs::create_dir(&dir).unwrap();
    let file = mount.path().join("file");
    fs::write(&file, b"old").unwrap();
    sh(Command::new("chattr").arg("+i").arg(&dir).arg(&file));
    let result = std::panic::catch_unwind(|| {
        for atomic in [false, true] {
            let pre: &[&str] = if atomic { &["--atomic"] } else { &[] };
            let target = dir.join("x");
            let mut args: Vec<String> = pre.iter().map(|s| s.to_string()).collect();
            args.extend(["src".into(), target.to_string_lossy().into_owned()]);
            env.run(&args).failure().stderr_is(&format!(
                "fcopy: cannot create regular file '{}': Operation not permitted\n",
                target.display()
            ));
            let mut args: Vec<String> = pre.iter().map(|s| s.to_string()).collect();
            args.extend(["src".into(), file.to_string_lossy().into_owned()]);
            env.run(&args).failure().stderr_is(&format!(
                "fcopy: cannot create regular file '{}': Operation not permitted\n",
                file.display()
            ));
            // -f cannot remove it either.
            args.insert(0, "-f".into());
            env.run(&args)
                .failure()
                .stderr_contains("Operation not permitted");
            assert_eq!(fs::read(&file).unwrap(), b"old");
            assert_no_leftovers(mount.path());
        }
    });
    sh(Command::new("chattr").arg("-i").arg(&dir).arg(&file));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn eacces_on_the_destination_directory() {
    let env = TestEnv::new();
    let Some(prefix) = unprivileged(&env) else {
        return;
    };
    env.write("src", b"new");
    env.write("ro/old", b"old");
    fs::set_permissions(env.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    for atomic in [false, true] {
        let pre: &[&str] = if atomic { &["--atomic"] } else { &[] };
        let run = env
            .fcopy()
            .wrapped(&prefix)
            .args(pre)
            .args(&["src", "ro/new"])
            .run();
        run.failure()
            .stderr_is("fcopy: cannot create regular file 'ro/new': Permission denied\n");
    }
    // A writable file in a read-only directory: overwritten in place, but --atomic cannot
    // create its temporary there, and says so.
    fs::set_permissions(env.join("ro/old"), fs::Permissions::from_mode(0o666)).unwrap();
    let run = env
        .fcopy()
        .wrapped(&prefix)
        .args(&["--atomic", "src", "ro/old"])
        .run();
    run.failure().stderr_is(
        "fcopy: cannot create a temporary file in 'ro' to replace 'ro/old' (--atomic): Permission denied\n",
    );
    assert_eq!(env.read("ro/old"), b"old");
    env.fcopy()
        .wrapped(&prefix)
        .args(&["src", "ro/old"])
        .run()
        .success();
    assert_eq!(env.read("ro/old"), b"new");
    fs::set_permissions(env.join("ro"), fs::Permissions::from_mode(0o755)).unwrap();
}

/// Turns swap off again on drop.
struct Swap(std::path::PathBuf);
impl Drop for Swap {
    fn drop(&mut self) {
        let _ = Command::new("swapoff").arg(&self.0).status();
    }
}

#[test]
fn etxtbsy_on_an_active_swap_file() {
    if !require_tool("mkswap") || !require_tool("swapon") {
        return;
    }
    let Some(mount) = LoopMount::ext4(16 * M as u64) else {
        return;
    };
    let swap = mount.path().join("swap");
    sh(Command::new("dd")
        .args(["if=/dev/zero", "bs=1M", "count=4", "status=none"])
        .arg(format!("of={}", swap.display())));
    fs::set_permissions(&swap, fs::Permissions::from_mode(0o600)).unwrap();
    sh(Command::new("mkswap").arg(&swap).stdout(Stdio::null()));
    let on = Command::new("swapon").arg(&swap).output().unwrap();
    if !on.status.success() {
        // Containers and some VMs refuse swapon even to root: nothing to test then.
        crate::testenv::record_skip(&format!(
            "swapon not permitted here: {}",
            String::from_utf8_lossy(&on.stderr).trim()
        ));
        return;
    }
    let _swap = Swap(swap.clone());
    let env = TestEnv::new();
    env.write("src", b"new");
    let before = fs::read(&swap).unwrap();
    for atomic in [false, true] {
        let mut args = vec!["src".to_owned(), swap.to_string_lossy().into_owned()];
        if atomic {
            args.insert(0, "--atomic".into());
        }
        let run = env.run(&args);
        // In place: open(O_WRONLY) says ETXTBSY; --atomic: rename(2) over a swap file says EPERM.
        let want = if atomic {
            "Operation not permitted"
        } else {
            "Text file busy"
        };
        run.failure().stderr_contains(want);
        assert!(run.stderr().contains(&swap.display().to_string()));
    }
    assert!(fs::read(&swap).unwrap() == before);
    assert_no_leftovers(mount.path());
}

#[test]
fn eisdir_never_replaces_a_directory() {
    let env = TestEnv::new();
    env.write("src", b"new");
    fs::create_dir(env.join("d")).unwrap();
    fs::create_dir(env.join("src-dir")).unwrap();
    for atomic in [false, true] {
        let pre: &[&str] = if atomic { &["--atomic"] } else { &[] };
        env.fcopy()
            .args(pre)
            .args(&["-T", "src", "d"])
            .run()
            .failure()
            .stderr_contains("cannot overwrite directory 'd'");
        env.fcopy()
            .args(pre)
            .args(&["src-dir", "x"])
            .run()
            .failure()
            .stderr_contains("omitting directory 'src-dir'");
        assert!(env.join("d").is_dir());
    }
    // DEST turning into a directory after planning: the rename says EISDIR, nothing is left.
    if require_strace() {
        env.write("x", b"old");
        let run = env
            .fcopy()
            .wrapped(&strace(&["renameat:error=EISDIR"]))
            .args(&["--atomic", "src", "x"])
            .run();
        run.failure()
            .stderr_is("fcopy: cannot replace 'x': Is a directory\n");
        assert_eq!(env.read("x"), b"old");
        assert_no_leftovers(env.path());
    }
}

/// `ulimit -f` and huge offsets: a clean "File too large", never death by SIGXFSZ.
#[test]
fn efbig_and_rlimit_fsize() {
    if !require_tool("bash") {
        return;
    }
    let env = TestEnv::new();
    env.write("big", pattern(M, 10));
    env.write("old", b"old");
    for extra in ["", "--method=read-write", "--atomic", "--sparse=always"] {
        for dest in ["new", "old"] {
            let out = Command::new("bash")
                .current_dir(env.path())
                .arg("-c")
                .arg(format!(
                    "ulimit -f 100; exec {} {extra} big {dest}",
                    crate::testenv::FCOPY
                ))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{extra} {dest}: {stderr}");
            assert!(
                stderr.contains("File too large"),
                "{extra} {dest}: {stderr}"
            );
            assert!(stderr.contains(&format!("'{dest}'")), "{stderr}");
            if dest == "new" {
                assert!(!env.exists("new"), "{extra}: partial file left");
            } else if extra == "--atomic" {
                assert_eq!(env.read("old"), b"old");
            } else {
                assert!(stderr.contains("cannot be restored"), "{stderr}");
                env.write("old", b"old");
            }
        }
    }
    assert_no_leftovers(env.path());
    // An offset past what ext4 can hold.
    if let Some(env) = TestEnv::on_ext4() {
        env.write("src", b"x");
        let run = env.run(&["--offset-out", "8000000000000000", "src", "dst"]);
        run.failure().stderr_contains("File too large");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors in the middle of a copy (strace)

/// A sparse file with `n` data extents of 64 KiB, 1 MiB apart (one copy_file_range call each).
fn multi_extent(env: &TestEnv, name: &str, n: usize) -> Vec<u8> {
    let chunks: Vec<(u64, Vec<u8>)> = (0..n)
        .map(|i| ((i * M) as u64, pattern(64 * K, 100 + i as u64)))
        .collect();
    let refs: Vec<(u64, &[u8])> = chunks.iter().map(|(at, d)| (*at, d.as_slice())).collect();
    env.write_sparse(name, (n * M) as u64, &refs);
    env.read(name)
}

/// Runs fcopy under `specs` to a new and an existing DEST, with and without --atomic; each
/// outcome must be a full copy or an error naming the file, never a silent short copy.
fn mid_copy(env: &TestEnv, specs: &[&str], args: &[&str], want_error: Option<&str>) {
    let src = env.read("src");
    for atomic in [false, true] {
        for existing in [false, true] {
            let _ = fs::remove_file(env.join("dst"));
            if existing {
                env.write("dst", b"old dst");
            }
            let mut a: Vec<&str> = args.to_vec();
            if atomic {
                a.push("--atomic");
            }
            a.extend(["src", "dst"]);
            // On btrfs and XFS FICLONE fails too, so the injected faults are reached there.
            let wrapper = with_failing_clone(env.path(), strace(specs));
            let run = env.fcopy().wrapped(&wrapper).args(&a).run();
            match run.code() {
                Some(0) => {
                    assert!(want_error.is_none(), "expected an error: {}", run.line);
                    assert!(env.read("dst") == src, "short copy reported as success");
                }
                Some(1) => {
                    if let Some(msg) = want_error {
                        run.stderr_contains(msg);
                    }
                    let stderr = run.stderr();
                    assert!(
                        stderr.contains("'dst'") || stderr.contains("'src'"),
                        "{stderr}"
                    );
                    match (atomic, existing) {
                        (_, false) => assert!(!env.exists("dst"), "{}", run.line),
                        (true, true) => assert_eq!(env.read("dst"), b"old dst"),
                        (false, true) => {
                            run.stderr_contains("cannot be restored");
                        }
                    }
                }
                _ => run.fail("exit status 0 or 1 expected"),
            }
            assert!(env.read("src") == src);
            assert_no_leftovers(env.path());
        }
    }
}

#[test]
fn eio_from_copy_file_range_mid_file() {
    if !require_strace() {
        return;
    }
    // Where fcopy asks copy_file_range (on FUSE it reads and writes: tmpfs then).
    let Some(env) = crate::faults::kernel_copy_env() else {
        return;
    };
    multi_extent(&env, "src", 5);
    mid_copy(
        &env,
        &["copy_file_range:error=EIO:when=3+"],
        &[],
        Some("Input/output error"),
    );
}

#[test]
fn enospc_from_pwrite_mid_file() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(2 * M, 11));
    mid_copy(
        &env,
        &["pwrite64:error=ENOSPC:when=2+"],
        &["--method=read-write"],
        Some("error writing 'dst': No space left on device"),
    );
}

#[test]
fn eio_from_read_in_the_fallback() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(2 * M, 12));
    // copy_file_range refuses (EXDEV) and so does sendfile (EINVAL); the read/write fallback
    // then meets EIO on its 2nd read (counting after the dynamic loader's own reads).
    let pread_eio = format!(
        "pread64:error=EIO:when={}+",
        startup_calls(&env, "pread64") + 2
    );
    mid_copy(
        &env,
        &[
            "copy_file_range:error=EXDEV",
            "sendfile:error=EINVAL",
            &pread_eio,
        ],
        &[],
        Some("error reading 'src': Input/output error"),
    );
    // And on a stream: read(2) from standard input.
    let read_eio = format!("read:error=EIO:when={}+", startup_calls(&env, "read") + 3);
    let run = env
        .fcopy()
        .wrapped(&strace(&[&read_eio]))
        .stdin_bytes(pattern(2 * M, 13))
        .args(&["-", "from-stdin"])
        .run();
    if run.code() == Some(0) {
        assert!(env.read("from-stdin") == pattern(2 * M, 13));
    } else {
        run.failure().stderr_contains("Input/output error");
        assert!(!env.exists("from-stdin"));
    }
}

/// How many times `syscall` runs before fcopy does anything (the dynamic loader reading
/// libc, the runtime's start-up): counted on `fcopy --version`. Injections count from there.
fn startup_calls(env: &TestEnv, syscall: &str) -> usize {
    let log = env.path().with_extension(format!("{syscall}.startup.log"));
    env.fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            log.to_str().unwrap(),
            "-e",
            &format!("trace={syscall}"),
        ])
        .arg("--version")
        .run()
        .success();
    let text = fs::read_to_string(&log).unwrap();
    fs::remove_file(&log).unwrap();
    calls(&text, syscall).len()
}

/// Where the O_TMPFILE open happens, so that strace can refuse it and force a named temporary.
fn tmpfile_open_index(env: &TestEnv, args: &[&str]) -> Option<usize> {
    let log = env.join("open.log");
    env.fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            log.to_str().unwrap(),
            "-e",
            "trace=openat",
        ])
        .args(args)
        .run()
        .success();
    let text = fs::read_to_string(&log).unwrap();
    fs::remove_file(&log).unwrap();
    calls(&text, "openat")
        .iter()
        .position(|l| l.contains("O_TMPFILE"))
        .map(|i| i + 1)
}

#[test]
fn named_temporaries_when_o_tmpfile_is_missing() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(2 * M, 14));
    env.write("dst", b"old");
    let Some(n) = tmpfile_open_index(&env, &["--atomic", "src", "probe"]) else {
        skip("this filesystem has no O_TMPFILE: named temporaries are the default here");
        return;
    };
    fs::remove_file(env.join("probe")).unwrap();
    let no_tmpfile = format!("openat:error=EOPNOTSUPP:when={n}");
    // Success: renamed into place, nothing left.
    env.fcopy()
        .wrapped(&strace(&[&no_tmpfile]))
        .args(&["--atomic", "src", "new"])
        .run()
        .success();
    env.assert_same_content("src", "new");
    env.fcopy()
        .wrapped(&strace(&[&no_tmpfile]))
        .args(&["--atomic", "src", "dst"])
        .run()
        .success();
    env.assert_same_content("src", "dst");
    assert_no_leftovers(env.path());
    // A failure mid-copy removes the named temporary.
    env.write("dst", b"old");
    let run = env
        .fcopy()
        .wrapped(&strace(&[&no_tmpfile, "pwrite64:error=ENOSPC:when=2+"]))
        .args(&["--atomic", "--method=read-write", "src", "dst"])
        .run();
    run.failure().stderr_contains("No space left on device");
    assert_eq!(env.read("dst"), b"old");
    assert_no_leftovers(env.path());
    // RENAME_NOREPLACE refused by the filesystem: a hard link does the no-replace instead.
    let run = env
        .fcopy()
        .wrapped(&strace(&[&no_tmpfile, "renameat2:error=EINVAL"]))
        .args(&["--atomic", "src", "new2"])
        .run();
    run.success();
    env.assert_same_content("src", "new2");
    assert_no_leftovers(env.path());
}

#[test]
fn new_dest_appearing_meanwhile_is_not_replaced() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", b"new");
    // linkat of the finished O_TMPFILE (or the NOREPLACE rename) finds a file there.
    let run = env
        .fcopy()
        .wrapped(&strace(&["linkat:error=EEXIST", "renameat2:error=EEXIST"]))
        .args(&["--atomic", "src", "racy"])
        .run();
    run.failure()
        .stderr_is("fcopy: cannot create regular file 'racy': File exists\n");
    assert!(!env.exists("racy"));
    assert_no_leftovers(env.path());
}

// ---------------------------------------------------------------------------------------------
// Sources that change underneath, and SIGKILL

/// Starts fcopy slowed down by strace (each read delayed) and, once DEST has data, runs `act`.
fn while_copying(env: &TestEnv, args: &[&str], watch: &str, act: impl FnOnce()) -> Output {
    let mut cmd = vec![
        "strace".to_owned(),
        "-f".into(),
        "-o".into(),
        "/dev/null".into(),
        "-e".into(),
        "trace=pread64".into(),
        "-e".into(),
        "inject=pread64:delay_exit=3000".into(),
        crate::testenv::FCOPY.into(),
    ];
    cmd.extend(args.iter().map(|s| s.to_string()));
    let child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .current_dir(env.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let watched = env.join(watch);
    while fs::metadata(&watched).map(|m| m.len()).unwrap_or(0) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the copy never started"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    act();
    child.wait_with_output().unwrap()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn source_shrinks_during_the_copy() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_tmpfs() else {
        return;
    };
    env.write("src", pattern(64 * M, 15));
    let src = env.join("src");
    let run = while_copying(&env, &["--method=read-write", "src", "dst"], "dst", || {
        fs::OpenOptions::new()
            .write(true)
            .open(&src)
            .unwrap()
            .set_len(M as u64)
            .unwrap();
    });
    // DESIGN rule 9: the copy ends where the source ended, and succeeds (as cp). It holds
    // only bytes the source had: what was read before the truncation, nothing past it.
    assert!(run.status.success(), "{}", stderr_of(&run));
    let copied = env.read("dst");
    let original = pattern(64 * M, 15);
    assert!(copied.len() >= M && copied.len() < original.len());
    assert!(copied[..] == original[..copied.len()], "a wrong byte");
}

/// New user, round 14: on ext4 fcopy reserves a large copy's blocks first (`fallocate`, keeping
/// the size); a source truncated while being copied left the short copy holding them all (a 1
/// GiB source cut to 10 MiB: a copy of 100 MiB that took 3 GiB on disk, exit 0). The blocks
/// past the copy's end are given back. (Elsewhere nothing is reserved; the check holds too.)
#[test]
fn a_source_that_shrinks_leaves_no_blocks_reserved_past_the_copy() {
    use std::os::unix::fs::MetadataExt;
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(64 * M, 21));
    // The first copy_file_range (x86-64 call 326) is held for a second; the source is cut
    // to 1 MiB meanwhile. `--method=copy-file-range`: on XFS and btrfs (the fs matrix) a copy
    // is otherwise a clone, made at once, which no shrinking source cuts short.
    let (child, _) = crate::testenv::start_held_in(
        env.path(),
        "copy_file_range",
        "inject=copy_file_range:delay_enter=1000000:when=1",
        &[326],
        crate::testenv::FCOPY,
        &["--method=copy-file-range", "src", "dst"],
    );
    fs::OpenOptions::new()
        .write(true)
        .open(env.join("src"))
        .unwrap()
        .set_len(M as u64)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(env.read("dst") == pattern(64 * M, 21)[..M], "a wrong byte");
    let dst = fs::metadata(env.join("dst")).unwrap();
    assert!(
        dst.blocks() * 512 <= 2 * M as u64,
        "a {} byte copy holds {} bytes of blocks",
        dst.len(),
        dst.blocks() * 512
    );
}

#[test]
fn source_grows_during_the_copy() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_tmpfs() else {
        return;
    };
    let original = pattern(64 * M, 16);
    env.write("src", &original);
    let src = env.join("src");
    let run = while_copying(&env, &["--method=read-write", "src", "dst"], "dst", || {
        use std::io::Write;
        let mut f = fs::OpenOptions::new().append(true).open(&src).unwrap();
        f.write_all(&pattern(M, 17)).unwrap();
    });
    assert!(run.status.success(), "{}", stderr_of(&run));
    // DESIGN rule 9: copied to end of file, the appended MiB included (it was there before
    // the last read).
    assert!(env.read("dst") == env.read("src"));
    assert_eq!(env.read("dst").len(), 65 * M);
}

#[test]
fn source_replaced_by_a_symlink_during_the_copy() {
    if !require_strace() {
        return;
    }
    let Some(env) = TestEnv::on_tmpfs() else {
        return;
    };
    let original = pattern(64 * M, 18);
    env.write("src", &original);
    env.write("secret", b"SECRET");
    let run = while_copying(&env, &["--method=read-write", "src", "dst"], "dst", || {
        fs::rename(env.join("src"), env.join("src.moved")).unwrap();
        std::os::unix::fs::symlink("secret", env.join("src")).unwrap();
    });
    // The open descriptor keeps reading the file that was opened: the original arrives whole.
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert!(env.read("dst") == original);
    // Swapped between the check and the open (the first fstatfs, right after the source's stat,
    // asks for its filesystem and is held for a second while the swap happens): refused,
    // nothing written through the link.
    fs::remove_file(env.join("src")).unwrap();
    fs::rename(env.join("src.moved"), env.join("src")).unwrap();
    for atomic in [false, true] {
        let _ = fs::remove_file(env.join("dst2"));
        let mut a = vec!["src", "dst2"];
        if atomic {
            a.insert(0, "--atomic");
        }
        // Swapped while fcopy is held in that fstatfs (x86-64 call 138), however late it
        // started (a fixed 150 ms sleep failed under load: flake hunt, round 14).
        let (child, _) = crate::testenv::start_held_in(
            env.path(),
            "fstatfs",
            "inject=fstatfs:delay_exit=1000000:when=1",
            &[138],
            crate::testenv::FCOPY,
            &a,
        );
        fs::rename(env.join("src"), env.join("src.moved")).unwrap();
        std::os::unix::fs::symlink("secret", env.join("src")).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("replaced while being copied"), "{stderr}");
        assert!(!env.exists("dst2"));
        assert_eq!(env.read("secret"), b"SECRET");
        fs::remove_file(env.join("src")).unwrap();
        fs::rename(env.join("src.moved"), env.join("src")).unwrap();
    }
    assert_no_leftovers(env.path());
}

#[test]
fn sigkill_during_an_atomic_copy_leaves_old_or_new() {
    let Some(env) = TestEnv::on_tmpfs() else {
        return;
    };
    let new = pattern(96 * M, 19);
    let old = pattern(32 * M, 20);
    env.write("src", &new);
    // How long a whole copy takes here; the kills are spread from its start to past its end.
    let t0 = Instant::now();
    env.run(&["--atomic", "--method=read-write", "src", "probe"])
        .success();
    let full = t0.elapsed();
    fs::remove_file(env.join("probe")).unwrap();
    let (mut saw_old, mut saw_new) = (0, 0);
    for i in 0..16u32 {
        env.write("dst", &old);
        let mut child = Command::new(crate::testenv::FCOPY)
            .args(["--atomic", "--method=read-write", "src", "dst"])
            .current_dir(env.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * i / 10);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let now = env.read("dst");
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            panic!(
                "after SIGKILL ({status}) DEST is neither old nor new: {} bytes",
                now.len()
            );
        }
        // O_TMPFILE: the unfinished copy had no name, so nothing is left (only a kill in the
        // instant between linkat and rename could leave a `.dst.fcopy-*`).
        for left in atomic_leftovers(env.path()) {
            eprintln!("note: leftover {}", left.display());
            fs::remove_file(left).unwrap();
        }
    }
    eprintln!("SIGKILL: DEST old {saw_old} times, new {saw_new} times");
    assert!(saw_old > 0, "the kill never landed mid-copy");
}

#[test]
fn sigint_during_an_atomic_copy_keeps_dest() {
    let Some(env) = TestEnv::on_tmpfs() else {
        return;
    };
    env.write("src", pattern(256 * M, 21));
    env.write("dst", b"old");
    let child = Command::new(crate::testenv::FCOPY)
        .args(["--atomic", "--method=read-write", "src", "dst"])
        .current_dir(env.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Not a fixed sleep: under load the child may not have installed its handlers yet.
    let src = fs::canonicalize(env.join("src")).unwrap();
    if !crate::testenv::wait_until_open(child.id(), &src) {
        eprintln!("note: never saw fcopy with src open (finished already?)");
    }
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(0) {
        eprintln!("note: the copy finished before SIGINT");
        return;
    }
    // Issue 13: after cleaning up, fcopy dies by the signal, as cp does.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(2), "{stderr}");
    assert!(stderr.contains("'dst' was left unchanged"), "{stderr}");
    assert_eq!(env.read("dst"), b"old");
    assert_no_leftovers(env.path());
}

// ---------------------------------------------------------------------------------------------
// The fault-injection sweep

#[derive(Clone, Copy, Debug)]
struct Workload {
    sparse: bool,
    /// `--offset-in 1000 --offset-out 5000 --len 300000`.
    ranged: bool,
    existing: bool,
    atomic: bool,
    opts: &'static [&'static str],
}

const SWEEP_SYSCALLS: &[&str] = &[
    "copy_file_range",
    "read",
    "pread64",
    "write",
    "pwrite64",
    "fsync",
    "ftruncate",
    "rename",
    "renameat",
    "renameat2",
    "linkat",
];

const OLD: &[u8] = b"the old destination\n";

#[derive(Default)]
struct Tally {
    runs: usize,
    injections: usize,
    checks: usize,
    failures_seen: usize,
}

/// One sweep workload: count each syscall's calls, then fail each call in turn.
fn sweep_one(w: Workload, startup: &HashMap<&str, usize>, tally: &mut Tally) {
    let env = TestEnv::new();
    let src = if w.sparse {
        three_extents(&env, "src")
    } else {
        env.write("src", pattern(600 * K + 123, 22));
        env.read("src")
    };
    let reset = || {
        let _ = fs::remove_file(env.join("dst"));
        if w.existing {
            env.write("dst", OLD);
        }
    };
    let mut args: Vec<&str> = w.opts.to_vec();
    if w.atomic {
        args.push("--atomic");
    }
    if w.ranged {
        args.extend([
            "--offset-in",
            "1000",
            "--offset-out",
            "5000",
            "--len",
            "300000",
        ]);
    }
    args.extend(["src", "dst"]);
    // What a successful copy leaves.
    let want = if w.ranged {
        let mut d = if w.existing { OLD.to_vec() } else { Vec::new() };
        d.resize(d.len().max(305_000), 0);
        d[5000..305_000].copy_from_slice(&src[1000..301_000]);
        d
    } else {
        src.clone()
    };
    // Count the calls.
    reset();
    let log = env.join("../sweep-count.log");
    let log = log.with_file_name(format!(
        "sweep-{}.log",
        env.path().file_name().unwrap().to_string_lossy()
    ));
    env.fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-o",
            log.to_str().unwrap(),
            "-e",
            &format!("trace={}", SWEEP_SYSCALLS.join(",")),
        ])
        .args(&args)
        .run()
        .success();
    tally.runs += 1;
    let text = fs::read_to_string(&log).unwrap();
    fs::remove_file(&log).unwrap();
    for syscall in SWEEP_SYSCALLS {
        let n = calls(&text, syscall).len();
        let errnos: &[&str] = if matches!(*syscall, "read" | "pread64") {
            &["EIO"]
        } else {
            &["EIO", "ENOSPC"]
        };
        for (when, errno) in
            (startup[syscall] + 1..=n).flat_map(|n| errnos.iter().map(move |e| (n, e)))
        {
            reset();
            let spec = format!("{syscall}:error={errno}:when={when}");
            let run = env.fcopy().wrapped(&strace(&[&spec])).args(&args).run();
            tally.runs += 1;
            tally.injections += 1;
            let ctx = || format!("{w:?} {spec}\n{}", run.stderr());
            let mut check = |ok: bool, what: &str| {
                tally.checks += 1;
                assert!(ok, "invariant '{what}' broken: {}", ctx());
            };
            let code = run.code();
            check(matches!(code, Some(0 | 1)), "exit status 0 or 1");
            check(env.read("src") == src, "source unchanged");
            check(atomic_leftovers(env.path()).is_empty(), "no temporary left");
            if code == Some(0) {
                check(
                    env.read("dst") == want,
                    "success means DEST is the full copy",
                );
                continue;
            }
            tally.failures_seen += 1;
            let stderr = run.stderr();
            check(
                stderr.contains("'dst'") || stderr.contains("'src'") || stderr.contains("'.'"),
                "the message names the file",
            );
            let dst = fs::read(env.join("dst")).ok();
            if w.atomic {
                let replaced_unsynced =
                    stderr.contains("was replaced") && dst.as_deref() == Some(&want[..]);
                let untouched = if w.existing {
                    dst.as_deref() == Some(OLD)
                } else {
                    dst.is_none()
                };
                check(
                    untouched || replaced_unsynced,
                    "--atomic: DEST old (or absent)",
                );
            } else if w.existing {
                check(
                    dst.as_deref() == Some(OLD) || stderr.contains("cannot be restored"),
                    "an overwritten DEST is old or reported unrestorable",
                );
            } else {
                check(dst.is_none(), "a failed new DEST is removed");
            }
        }
    }
}

#[test]
fn fault_injection_sweep() {
    if !require_strace() {
        return;
    }
    let start = Instant::now();
    let mut workloads = Vec::new();
    for (sparse, ranged) in [(false, false), (true, false), (false, true)] {
        for existing in [false, true] {
            for atomic in [false, true] {
                for opts in [&[][..], &["--sync"], &["--method=read-write", "--sync"]] {
                    workloads.push(Workload {
                        sparse,
                        ranged,
                        existing,
                        atomic,
                        opts,
                    });
                }
            }
        }
    }
    // Calls made before fcopy's main (the loader reading libc): failing those is not a test
    // of fcopy (the loader exits 127).
    let probe = TestEnv::new();
    let startup: HashMap<&str, usize> = SWEEP_SYSCALLS
        .iter()
        .map(|s| (*s, startup_calls(&probe, s)))
        .collect();
    let startup = &startup;
    // Two workers: each strace run is mostly waiting on ptrace stops.
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let chunks: Vec<Vec<Workload>> = (0..2)
            .map(|i| workloads.iter().copied().skip(i).step_by(2).collect())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    let mut t = Tally::default();
                    for w in chunk {
                        sweep_one(w, startup, &mut t);
                    }
                    t
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total = tallies.iter().fold(Tally::default(), |mut a, t| {
        a.runs += t.runs;
        a.injections += t.injections;
        a.checks += t.checks;
        a.failures_seen += t.failures_seen;
        a
    });
    eprintln!(
        "fault sweep: {} workloads, {} injected faults ({} ended in an error, {} recovered), {} invariant checks, {} fcopy runs, {:.1} s",
        workloads.len(),
        total.injections,
        total.failures_seen,
        total.injections - total.failures_seen,
        total.checks,
        total.runs,
        start.elapsed().as_secs_f64()
    );
    assert!(total.injections > 100, "the sweep injected too little");
}

// ---------------------------------------------------------------------------------------------
// Ranged copies with holes, methods and --atomic against a model

fn sparse_file(
    env: &TestEnv,
    name: &str,
    len: usize,
    holes: &[(usize, usize)],
    seed: u64,
) -> Vec<u8> {
    let mut data = pattern(len, seed);
    for &(at, hole) in holes {
        let end = (at + hole).min(len);
        if at < end {
            data[at..end].fill(0);
        }
    }
    let f = fs::File::create(env.join(name)).unwrap();
    use std::os::unix::fs::FileExt;
    // Write only the non-zero 4 KiB blocks so that zero blocks are real holes.
    for (i, block) in data.chunks(4096).enumerate() {
        if block.iter().any(|&b| b != 0) {
            f.write_all_at(block, (i * 4096) as u64).unwrap();
        }
    }
    f.set_len(len as u64).unwrap();
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn ranged_copies_with_holes_match_the_model(
        src_len in 1usize..400_000,
        dst_len in 0usize..400_000,
        a in 0.0f64..1.0,
        l in proptest::option::of(0.0f64..1.0),
        out in 0usize..450_000,
        holes in proptest::collection::vec((0usize..400_000, 1usize..100_000), 0..4),
        method in 0usize..2,
        atomic in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let env = TestEnv::new();
        let src = sparse_file(&env, "src", src_len, &holes, seed);
        let mut dst = sparse_file(&env, "dst", dst_len, &holes, seed ^ 1);
        let off_in = (a * src_len as f64) as usize;
        let len = l.map(|l| (l * (src_len - off_in) as f64) as usize);
        let mut args = vec![
            "--offset-in".to_owned(), off_in.to_string(),
            "--offset-out".to_owned(), out.to_string(),
            "--method".to_owned(), ["auto", "read-write"][method].to_owned(),
        ];
        if let Some(len) = len {
            args.extend(["--len".to_owned(), len.to_string()]);
        }
        if atomic {
            args.push("--atomic".to_owned());
        }
        args.extend(["src".to_owned(), "dst".to_owned()]);
        env.run(&args).success();
        let n = len.unwrap_or(src_len - off_in);
        if n > 0 {
            if dst.len() < out + n {
                dst.resize(out + n, 0);
            }
            dst[out..out + n].copy_from_slice(&src[off_in..off_in + n]);
        }
        prop_assert!(env.read("dst") == dst, "{:?}", args);
        prop_assert!(env.read("src") == src);
        prop_assert!(atomic_leftovers(env.path()).is_empty());
    }
}

/// The suite's own guard against hangs: a run still going after its time limit is killed
/// (its whole process group, so also fcopy under a wrapper) and fails the test with its command
/// line, instead of holding CI for ever (`cargo test` has no timeout; round 14's suite had seven
/// tests that could block on a FIFO). Here fcopy waits for a writer that never opens the FIFO.
#[test]
fn a_run_that_never_ends_is_killed_and_named() {
    let env = TestEnv::new();
    crate::testenv::mkfifo(&env.join("fifo"));
    let started = Instant::now();
    let hung = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        env.fcopy()
            .wrapped(&["env"])
            .args(&["--copy-contents", "fifo", "out"])
            .timeout(Duration::from_millis(500))
            .run()
    }));
    let message = match hung {
        Ok(run) => panic!("the run finished: {}", run.line),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default(),
    };
    assert!(message.contains("killed after 500ms"), "{message}");
    assert!(message.contains("--copy-contents fifo out"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(60));
}
