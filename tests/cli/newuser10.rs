//! Round 10 findings of the new-user trial and the red team: option spellings, `--json` lines,
//! and `--dry-run` agreeing with the run and changing nothing.

use crate::testenv::TestEnv;

/// `--json` and `--debug` name the strategies `read_write` and `copy_file_range`; `--method`
/// refused those spellings (it wants `read-write`, `copy-file-range`). Both are taken; the
/// list of valid words still shows GNU-style words only.
#[test]
fn method_takes_the_spellings_json_reports() {
    let env = TestEnv::new();
    env.write("a", "data");
    for word in [
        "read_write",
        "read-write",
        "copy_file_range",
        "copy-file-range",
    ] {
        let run = env.run(&["--method", word, "a", "b"]);
        run.success();
        assert_eq!(env.read("b"), b"data", "{word}");
    }
    let run = env.run(&["--method=read_w", "a", "b"]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr().contains("  - 'read-write'\n") && !run.stderr().contains("read_write'\n"),
        "{}",
        run.stderr()
    );
}

/// `--dry-run` of an unreadable SOURCE (as another user) planned the copy, alone and in a
/// tree; the run says `cannot open 'secret' for reading: Permission denied`, exit 1.
#[test]
fn dry_run_fails_on_an_unreadable_source_as_the_run_does() {
    use std::os::unix::fs::PermissionsExt;
    let Some(wrap) = crate::dry10::unprivileged() else {
        return;
    };
    let setup = |env: &TestEnv| {
        env.write("secret", "s");
        env.write("tr/secret", "s");
        env.write("tr/ok", "ok");
        for f in ["secret", "tr/secret"] {
            std::fs::set_permissions(env.join(f), std::fs::Permissions::from_mode(0o000)).unwrap();
        }
        std::fs::create_dir(env.join("w")).unwrap();
        std::fs::set_permissions(env.join("w"), std::fs::Permissions::from_mode(0o777)).unwrap();
        crate::dry10::Undo::default()
    };
    let want = ["fcopy: cannot open 'secret' for reading: Permission denied"];
    crate::dry10::both_fail(&setup, &wrap, &["secret", "w/y"], &want);
    let want = ["fcopy: cannot open 'tr/secret' for reading: Permission denied"];
    crate::dry10::both_fail(&setup, &wrap, &["-r", "tr", "w/tr"], &want);
}

/// `--batch --json`: a job's records name its line, also when it finishes after later lines
/// were planned (`-j`); a failed job's record had `"line":null` (new user, round 10).
#[test]
fn batch_json_records_name_their_line() {
    let env = TestEnv::new();
    env.write("a", "data");
    let mut list = String::new();
    for i in 0..40 {
        let source = if i == 7 { "missing" } else { "a" };
        list.push_str(&format!("{source}\tout{i}\n"));
    }
    env.write("jobs.tsv", list);
    for jobs in ["-j1", "-j3"] {
        let run = env.run(&["--batch", "jobs.tsv", "--json", jobs]);
        assert_eq!(run.code(), Some(1), "{jobs}");
        let mut seen = 0;
        for record in run.stdout().lines() {
            let r: serde_json::Value = serde_json::from_str(record).unwrap();
            if r["type"] != "file" {
                continue;
            }
            let dest = r["dest"].as_str().unwrap();
            let line = r["line"]
                .as_u64()
                .unwrap_or_else(|| panic!("{jobs}: {record}"));
            assert_eq!(format!("out{}", line - 1), dest, "{jobs}: {record}");
            assert_eq!(r["status"] == "error", line == 8, "{jobs}: {record}");
            seen += 1;
        }
        assert_eq!(seen, 40, "{jobs}");
    }
}

/// Red team, round 10: `--dry-run` called `mkdirat` on every destination directory that
/// already existed (for its EEXIST); a name removed in between was then made, a root-owned
/// 0700 directory left by a run that promises to change nothing. No `mkdir` at all now.
#[test]
fn dry_run_never_calls_mkdir() {
    if !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("s/a/f", "x");
    env.write("s/b/g", "y");
    std::fs::create_dir_all(env.join("d/s/a")).unwrap();
    let trace = env.join("trace");
    let trace_arg = trace.to_str().unwrap();
    let run = env
        .fcopy()
        .wrapped(&[
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=mkdir,mkdirat",
            "-o",
            trace_arg,
        ])
        .args(&["--dry-run", "-a", "s", "d"])
        .run();
    run.success();
    let said = std::fs::read_to_string(&trace).unwrap();
    assert!(!said.contains("mkdir"), "the dry run called mkdir: {said}");
    assert!(!env.join("d/s/b").exists());
}

/// Red team, round 10: a DEST that takes no positioned writes (`/proc/self/comm`: pwrite says
/// ESPIPE) failed with "Illegal seek" where GNU cp writes it (exit 0). A copy from its
/// beginning is written with write(2); a range at an offset still fails there.
#[test]
fn a_dest_without_positioned_writes_is_written_from_its_start() {
    let env = TestEnv::new();
    env.write("c4", "abcd");
    let run = env.run(&["c4", "/proc/self/comm"]);
    assert_eq!((run.code(), run.stderr()), (Some(0), String::new()));
    let run = env.run(&["--offset-out", "2", "c4", "/proc/self/comm"]);
    assert_eq!(run.code(), Some(1));
    assert!(run.stderr().contains("Illegal seek"), "{}", run.stderr());
}

/// Red team, round 10: `--dry-run -l` planned a hard link onto another filesystem; the run's
/// linkat says EXDEV. Both now fail alike.
#[test]
fn dry_run_of_a_hard_link_across_filesystems_fails_as_the_run_does() {
    let env = TestEnv::new();
    let Some(other) = TestEnv::on_tmpfs() else {
        return;
    };
    if crate::testenv::fs_magic(env.path()) == crate::testenv::fs_magic(other.path()) {
        crate::testenv::record_skip("the test directory is on tmpfs too: no second filesystem");
        return;
    }
    env.write("src", "s");
    let dest = other.join("x");
    let dest = dest.to_str().unwrap();
    let dry = env.run(&["--dry-run", "-l", "src", dest]);
    let run = env.run(&["-l", "src", dest]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr().contains("Invalid cross-device link"),
        "{}",
        run.stderr()
    );
    assert_eq!((dry.code(), dry.stderr()), (run.code(), run.stderr()));
    // Through directories the run makes first (red team 10b: the dry run planned these).
    let deep = other.join("n/e/w");
    let deep = deep.to_str().unwrap();
    let dry = env.run(&["--dry-run", "-l", "--mkpath", "src", deep]);
    let run = env.run(&["-l", "--mkpath", "src", deep]);
    assert_eq!(run.code(), Some(1));
    assert_eq!((dry.code(), dry.stderr()), (run.code(), run.stderr()));
}

/// Red team, round 10: `--dry-run -b src B/t` with a directory `B/t~` planned the copy; the
/// run (and GNU) say `cannot backup 'B/t': Is a directory`.
#[test]
fn dry_run_of_a_backup_onto_a_directory_fails_as_the_run_does() {
    let env = TestEnv::new();
    env.write("src", "s");
    env.write("B/t", "o");
    std::fs::create_dir_all(env.join("B/t~/x")).unwrap();
    let dry = env.run(&["--dry-run", "-b", "src", "B/t"]);
    let run = env.run(&["-b", "src", "B/t"]);
    let want = "fcopy: cannot backup 'B/t': Is a directory\n";
    assert_eq!((run.code(), run.stderr()), (Some(1), want.to_string()));
    assert_eq!((dry.code(), dry.stderr()), (Some(1), want.to_string()));
}

/// New user, round 10: `fcopy a b -` said `target '-': No such file or directory`, or copied
/// into a directory named `-` when there was one, though `-` is standard output as DEST and a
/// file named `-` is `./-`. Several SOURCEs to `-` are a usage error; `./-` is the directory.
#[test]
fn several_sources_to_standard_output_are_a_usage_error() {
    let env = TestEnv::new();
    env.write("a", "1");
    env.write("b", "2");
    std::fs::create_dir(env.join("-")).unwrap();
    let run = env.run(&["a", "b", "-"]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr()
            .starts_with("fcopy: several SOURCEs cannot be copied to standard output"),
        "{}",
        run.stderr()
    );
    assert!(!env.join("-/a").exists());
    env.run(&["a", "b", "./-"]).success();
    assert_eq!(env.read("-/b"), b"2");
}

/// Red team 10b: `--attributes-only` of an unreadable SOURCE made an empty DEST, exit 0, where
/// GNU (and fcopy's own dry run) say `cannot open 'r' for reading`, exit 1.
#[test]
fn attributes_only_of_an_unreadable_source_fails_as_gnu() {
    use std::os::unix::fs::PermissionsExt;
    let Some(wrap) = crate::dry10::unprivileged() else {
        return;
    };
    let setup = |env: &TestEnv| {
        env.write("r", "secret");
        std::fs::set_permissions(env.join("r"), std::fs::Permissions::from_mode(0o000)).unwrap();
        std::fs::create_dir(env.join("w")).unwrap();
        std::fs::set_permissions(env.join("w"), std::fs::Permissions::from_mode(0o777)).unwrap();
        crate::dry10::Undo::default()
    };
    let want = ["fcopy: cannot open 'r' for reading: Permission denied"];
    crate::dry10::both_fail(&setup, &wrap, &["--attributes-only", "r", "w/o"], &want);
}
