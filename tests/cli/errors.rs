//! Every error with its exact message and exit status; same-file detection; nothing lost.

use std::fs;
use std::os::unix::fs::symlink;

use crate::testenv::{unprivileged, TestEnv, FCOPY};

#[test]
fn missing_source() {
    let env = TestEnv::new();
    env.run(&["nope", "x"])
        .failure()
        .stderr_is("fcopy: cannot stat 'nope': No such file or directory\n");
    assert!(!env.exists("x"));
}

#[test]
fn missing_operands() {
    let env = TestEnv::new();
    env.run::<&str>(&[])
        .failure()
        .stderr_is("fcopy: missing file operand\nTry 'fcopy --help' for more information.\n");
    env.write("a", b"a");
    env.run(&["a"]).failure().stderr_is(
        "fcopy: missing destination file operand after 'a'\nTry 'fcopy --help' for more information.\n",
    );
}

#[test]
fn unknown_option_is_a_usage_error() {
    let env = TestEnv::new();
    let run = env.run(&["--no-such-flag", "a", "b"]);
    run.failure();
    let err = run.stderr();
    assert!(err.starts_with("fcopy: "), "{err}");
    assert!(
        err.ends_with("Try 'fcopy --help' for more information.\n"),
        "{err}"
    );
}

#[test]
fn missing_target_directory() {
    let env = TestEnv::new();
    env.write("a", b"a");
    env.write("b", b"b");
    env.run(&["a", "b", "c"])
        .failure()
        .stderr_is("fcopy: target 'c': No such file or directory\n");
    env.run(&["a", "b", "a"])
        .failure()
        .stderr_is("fcopy: target 'a': Not a directory\n");
    assert_eq!(env.read("a"), b"a");
}

#[test]
fn directory_source_without_r() {
    let env = TestEnv::new();
    fs::create_dir(env.join("d")).unwrap();
    env.run(&["d", "e"])
        .failure()
        .stderr_is("fcopy: -r not specified; omitting directory 'd'\n");
    assert!(!env.exists("e"));
}

#[test]
fn dangling_symlink_destination() {
    let env = TestEnv::new();
    env.write("a", b"a");
    symlink("target-missing", env.join("x")).unwrap();
    env.run(&["a", "x"])
        .failure()
        .stderr_is("fcopy: not writing through dangling symlink 'x'\n");
    assert!(!env.exists("target-missing"));
    assert!(fs::symlink_metadata(env.join("x"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn same_file_every_spelling() {
    let env = TestEnv::new();
    env.write("f", b"precious");
    symlink("f", env.join("link")).unwrap();
    fs::hard_link(env.join("f"), env.join("hard")).unwrap();
    fs::create_dir(env.join("sub")).unwrap();
    for (dst, shown) in [
        ("f", "f"),
        ("./f", "./f"),
        ("link", "link"),
        ("hard", "hard"),
        ("sub/../f", "sub/../f"),
    ] {
        env.run(&["f", dst])
            .failure()
            .stderr_is(&format!("fcopy: 'f' and '{shown}' are the same file\n"));
        assert_eq!(env.read("f"), b"precious");
    }
    // Through a symlink as the source too.
    env.run(&["link", "f"])
        .failure()
        .stderr_is("fcopy: 'link' and 'f' are the same file\n");
    // And into the directory the file already lives in.
    env.run(&["f", "."])
        .failure()
        .stderr_is("fcopy: 'f' and './f' are the same file\n");
    assert_eq!(env.read("f"), b"precious");
}

#[test]
fn program_name_is_argv0_basename() {
    let env = TestEnv::new();
    let cp = env.join("bin/cp");
    fs::create_dir(env.join("bin")).unwrap();
    symlink(FCOPY, &cp).unwrap();
    env.fcopy()
        .program(&cp)
        .args(&["nope", "x"])
        .run()
        .failure()
        .stderr_is("cp: cannot stat 'nope': No such file or directory\n");
    env.fcopy()
        .program(&cp)
        .run()
        .failure()
        .stderr_is("cp: missing file operand\nTry 'cp --help' for more information.\n");
}

#[test]
fn reflink_always_on_ext4_fails_to_clone() {
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    env.write("src", b"data");
    env.run(&["--reflink=always", "src", "dst"])
        .failure()
        .stderr_is("fcopy: failed to clone 'dst' from 'src': Operation not supported\n");
    assert!(
        !env.exists("dst"),
        "the created destination must be removed"
    );
    // `--reflink` alone means always.
    env.run(&["--reflink", "src", "dst"])
        .failure()
        .stderr_is("fcopy: failed to clone 'dst' from 'src': Operation not supported\n");
    // An existing destination: the error, and the note that it cannot be restored.
    env.write("old", b"old");
    let run = env.run(&["--reflink=always", "src", "old"]);
    run.failure()
        .stderr_contains("fcopy: failed to clone 'old' from 'src': Operation not supported\n");
}

#[test]
fn reflink_always_conflicts_with_sparse() {
    let env = TestEnv::new();
    env.write("a", b"a");
    env.run(&["--reflink=always", "--sparse=never", "a", "b"])
        .failure()
        .stderr_is("fcopy: --reflink can be used only with --sparse=auto\nTry 'fcopy --help' for more information.\n");
    assert!(!env.exists("b"));
}

/// A source that cannot be opened (a socket: open gives ENXIO, even for root) must leave an
/// existing destination untouched: it is truncated only once the source is open.
#[test]
fn existing_dest_not_truncated_when_source_cannot_be_opened() {
    let env = TestEnv::new();
    let _listener = std::os::unix::net::UnixListener::bind(env.join("sock")).unwrap();
    env.write("dst", b"old contents");
    env.run(&["sock", "dst"])
        .failure()
        .stderr_is("fcopy: cannot open 'sock' for reading: No such device or address\n");
    assert_eq!(env.read("dst"), b"old contents");
}

/// A mode-000 source cannot be opened by an ordinary user: the destination stays intact.
#[test]
fn existing_dest_not_truncated_when_source_is_unreadable() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let Some(user) = unprivileged(&env) else {
        return;
    };
    let src = env.write("src", b"secret");
    fs::set_permissions(&src, fs::Permissions::from_mode(0o000)).unwrap();
    let dst = env.write("dst", b"old contents");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o666)).unwrap();
    env.fcopy()
        .wrapped(&user)
        .args(&["src", "dst"])
        .run()
        .failure()
        .stderr_is("fcopy: cannot open 'src' for reading: Permission denied\n");
    assert_eq!(env.read("dst"), b"old contents");
}

/// `-f`: a destination that cannot be opened for writing is removed and created anew.
#[test]
fn force_replaces_an_unwritable_destination() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let Some(user) = unprivileged(&env) else {
        return;
    };
    let src = env.write("src", b"new data");
    fs::set_permissions(&src, fs::Permissions::from_mode(0o644)).unwrap();
    let dst = env.write("dst", b"read-only old data");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o444)).unwrap();
    env.fcopy()
        .wrapped(&user)
        .args(&["src", "dst"])
        .run()
        .failure()
        .stderr_is("fcopy: cannot create regular file 'dst': Permission denied\n");
    assert_eq!(env.read("dst"), b"read-only old data");
    env.fcopy()
        .wrapped(&user)
        .args(&["-f", "src", "dst"])
        .run()
        .success();
    assert_eq!(env.read("dst"), b"new data");
}

#[test]
fn failure_into_a_missing_directory() {
    let env = TestEnv::new();
    env.write("a", b"a");
    env.run(&["a", "no/such/dir/b"]).failure().stderr_is(
        "fcopy: cannot create regular file 'no/such/dir/b': No such file or directory\n",
    );
}

#[test]
fn writing_to_a_full_device_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        crate::testenv::record_skip("no /dev/full");
        return;
    }
    let env = TestEnv::new();
    env.write("a", b"some data");
    env.run(&["a", "/dev/full"])
        .failure()
        .stderr_is("fcopy: error writing '/dev/full': No space left on device\n");
}

/// A destination that is a symlink loop cannot be written; with `-f` it is replaced.
#[test]
fn symlink_loop_destination() {
    let env = TestEnv::new();
    env.write("a", b"data");
    symlink("loop", env.join("loop")).unwrap();
    let run = env.run(&["a", "loop"]);
    run.failure();
    run.stderr_contains("'loop': Too many levels of symbolic links\n");
    env.run(&["-f", "a", "loop"]).success();
    assert!(fs::symlink_metadata(env.join("loop")).unwrap().is_file());
    assert_eq!(env.read("loop"), b"data");
}

/// Reports that cannot be written (stdout is /dev/full) are a failure, as in GNU cp.
#[test]
fn write_error_on_stdout_is_a_failure() {
    let env = TestEnv::new();
    env.write("a", b"data");
    for flag in ["-v", "--debug", "--json", "--dry-run"] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let run = env.fcopy().args(&[flag, "a", "b"]).stdout_file(full).run();
        run.failure();
        run.stderr_contains("No space left on device");
    }
}

/// Non-UTF-8 names round-trip, and messages quote them as GNU does.
#[test]
fn non_utf8_names() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let name = OsStr::from_bytes(b"caf\xe9");
    env.write(name, b"bytes");
    fs::create_dir(env.join("d")).unwrap();
    env.fcopy()
        .args(&[OsStr::new("-v"), name, OsStr::new("d")])
        .run()
        .success()
        .stdout_is("'caf'$'\\351' -> 'd/caf'$'\\351'\n");
    assert_eq!(fs::read(env.join("d").join(name)).unwrap(), b"bytes");
    env.fcopy()
        .args(&[OsStr::from_bytes(b"n\xffpe"), OsStr::new("x")])
        .run()
        .failure()
        .stderr_is("fcopy: cannot stat 'n'$'\\377''pe': No such file or directory\n");
}

/// Running out of space mid-copy: `error writing`, exit 1, the partial new file removed.
#[test]
fn enospc_on_a_small_filesystem() {
    let Some(mount) = crate::testenv::LoopMount::tmpfs(1 << 20) else {
        return;
    };
    let disk = TestEnv::new();
    disk.write("big", crate::testenv::pattern(3 << 20, 1));
    let dst = mount.path().join("dst");
    for method in ["auto", "read-write"] {
        let run = disk.run(&[
            std::ffi::OsStr::new("--method"),
            method.as_ref(),
            "big".as_ref(),
            dst.as_os_str(),
        ]);
        run.failure();
        let err = run.stderr();
        let writing = format!(
            "fcopy: error writing '{}': No space left on device\n",
            dst.display()
        );
        let copying = format!(
            "fcopy: error copying 'big' to '{}': No space left on device\n",
            dst.display()
        );
        if err != writing && err != copying {
            run.fail("expected an ENOSPC error");
        }
        assert!(!dst.exists(), "the partial destination must be removed");
    }
}

/// An explicit `--preserve=context` fails before anything is copied, in GNU cp 9.1's words
/// without SELinux; the context `-a` and `--preserve=all` imply is best effort (silent), `-Z`
/// and a bare `--context` are ignored silently and `--context=CTX` with GNU's warning.
#[test]
fn preserve_context_is_refused_as_gnu_does_without_selinux() {
    let env = TestEnv::new();
    env.write("f", "x");
    for args in [
        &["--preserve=context", "f", "g"][..],
        &["--preserve=mode,context", "f", "g"],
        &["-a", "--preserve=context", "f", "g"],
    ] {
        env.run(args).failure().stderr_is(
            "fcopy: cannot preserve security context without an SELinux-enabled kernel\n",
        );
        assert!(!env.exists("g"), "{args:?} copied");
    }
    for (i, args) in [
        &["-a"][..],
        &["--preserve=all"],
        &["-Z"],
        &["--context"],
        &["--preserve=context", "--no-preserve=context"],
    ]
    .into_iter()
    .enumerate()
    {
        let dest = format!("ok{i}");
        let mut all = args.to_vec();
        all.extend(["f", &dest]);
        env.run(&all).success();
    }
    let warned = env.run(&["--context=system_u:object_r:tmp_t:s0", "f", "h"]);
    assert_eq!(warned.code(), Some(0));
    warned.stderr_is("fcopy: warning: ignoring --context; it requires an SELinux-enabled kernel\n");
}

/// An `--exclude-from` file that cannot be read is an I/O error: its message alone, without
/// "Try 'fcopy --help'", which is for command-line mistakes (a bad pattern keeps it).
#[test]
fn unreadable_exclude_from_has_no_usage_hint() {
    let env = TestEnv::new();
    env.write("t/a", "1");
    env.run(&["-r", "--exclude-from", "nonexist", "t", "out"])
        .failure()
        .stderr_is(
            "fcopy: cannot read --exclude-from file 'nonexist': No such file or directory\n",
        );
    env.run(&["-r", "--exclude=a[", "t", "out"])
        .failure()
        .stderr_contains("Try 'fcopy --help' for more information.");
}

/// A full filesystem reached through sendfile (ext4 → tmpfs: copy_file_range says EXDEV) is
/// `error writing 'DEST'`, as GNU cp 9.1 says there (its read/write loop), not `error copying`.
#[test]
fn enospc_through_sendfile_says_error_writing_as_gnu() {
    let Some(mount) = crate::testenv::LoopMount::tmpfs(1 << 20) else {
        return;
    };
    // The source on the build tree's disk (not $FCOPY_TEST_DIR, which may be a tmpfs).
    let disk = TestEnv::in_dir(&crate::testenv::disk_base());
    if crate::testenv::fs_magic(disk.path()) == crate::testenv::fs_magic(mount.path()) {
        crate::testenv::skip("the work tree is a tmpfs: no EXDEV, no sendfile");
        return;
    }
    disk.write("big", crate::testenv::pattern(3 << 20, 1));
    let dst = mount.path().join("dst");
    disk.run(&["big".as_ref(), dst.as_os_str()])
        .failure()
        .stderr_is(&format!(
            "fcopy: error writing '{}': No space left on device\n",
            dst.display()
        ));
    assert!(!dst.exists());
}

/// Under `--json` every failure is a record and the run ends with the summary, also for the
/// usage errors found once the command line parsed: a missing `--files-from` or
/// `--exclude-from` file, `-t` to a missing directory, several SOURCEs into a missing DEST,
/// conflicting options (new-user trial, round 8: these printed nothing on standard output,
/// while a missing `--batch` file gave a record and the summary).
#[test]
fn usage_errors_after_parsing_are_records_under_json() {
    let env = TestEnv::new();
    env.write("a", "A");
    env.write("t/b", "B");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--files-from=nolist", "out/"],
            "cannot read --files-from list 'nolist'",
        ),
        (
            &["-r", "--exclude-from=nope", "t", "o"],
            "cannot read --exclude-from file 'nope'",
        ),
        (&["-t", "nonexist", "a"], "target directory 'nonexist'"),
        (&["a", "t/b", "missing/"], "target 'missing/'"),
        (
            &["-l", "-s", "a", "b"],
            "cannot make both hard and symbolic links",
        ),
    ];
    for (args, message) in cases {
        let run = env.fcopy().arg("--json").args(args).run();
        run.failure().stderr_contains(message);
        let records = run.json();
        assert_eq!(records.len(), 2, "{}", run.stdout());
        assert_eq!(records[0]["type"], "error", "{}", run.stdout());
        let error = records[0]["error"].as_str().unwrap();
        assert!(error.contains(message), "{error}");
        assert_eq!(records[1]["type"], "summary");
        assert_eq!(records[1]["failures"], 1);
    }
    // Without --json: standard output stays empty.
    env.run(&["-t", "nonexist", "a"]).failure().stdout_is("");
}

/// `-j` with a value that is not a number of workers names what was expected (it said Rust's
/// "invalid digit found in string": new-user trial, round 8).
#[test]
fn an_invalid_number_of_jobs_says_what_is_expected() {
    let env = TestEnv::new();
    env.write("a", "A");
    for value in ["abc", "0", "257", "2r"] {
        let expected = format!(
            "fcopy: invalid value '{value}' for '--jobs <N>': invalid number of jobs '{value}' \
             (expected a whole number from 1 to 256)\nTry 'fcopy --help' for more information.\n"
        );
        env.run(&["-j", value, "a", "b"])
            .failure()
            .stderr_is(&expected);
    }
    env.run(&["-j", "256", "a", "b"]).success();
}
