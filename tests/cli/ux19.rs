//! Round 19: what `--stats` says of links made in place of copies.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::testenv::{pattern, TestEnv};

/// `-l`, `-s` and a tree's second name of a file (`-a`) make links, not copies: `--stats`
/// says how many (`files: 0 copied, 1 linked, ...`). It said `0 copied` and nothing else, as
/// if the run had done nothing.
#[test]
fn stats_count_the_links_made() {
    let env = TestEnv::new();
    env.write("a", pattern(5000, 1));
    env.write("t/one", pattern(100, 2));
    fs::hard_link(env.join("t/one"), env.join("t/two")).unwrap();
    std::os::unix::fs::symlink("one", env.join("t/link")).unwrap();
    let absolute = env.join("a");
    let absolute = absolute.to_str().unwrap();
    for (args, files) in [
        (
            &["--stats", "-l", "a", "hard"][..],
            "files: 0 copied, 1 linked, 0 skipped, 0 failed",
        ),
        (
            &["--stats", "-s", absolute, "soft"],
            "files: 0 copied, 1 linked, 0 skipped, 0 failed",
        ),
        // A symbolic link copied as one is neither a copy nor a link made by -l or -s.
        (
            &["--stats", "-a", "t", "tree"],
            "files: 1 copied, 1 linked, 0 skipped, 0 failed",
        ),
        (
            &["--stats", "a", "copy"],
            "files: 1 copied, 0 skipped, 0 failed",
        ),
    ] {
        let run = env.run(args);
        let stderr = run.stderr();
        assert_eq!(run.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(files), "{args:?}: {stderr}");
    }
    let inode = |name: &str| fs::metadata(env.join(name)).unwrap().ino();
    assert_eq!(inode("hard"), inode("a"));
    assert_eq!(fs::read_link(env.join("soft")).unwrap(), env.join("a"));
    assert_eq!(inode("tree/one"), inode("tree/two"));
    assert_ne!(inode("tree/one"), inode("t/one"));
}

/// Installed as `cp`, an operand `-` is a file of that name, as in GNU cp; as `fcopy` it is
/// standard input or output. New-user trial, round 19: as `cp`, `cp - out` copied standard
/// input (empty here) and exited 0, and `cp f -` wrote `f` to standard output, where GNU cp
/// copies the file `-` and writes a file `-`.
#[test]
fn installed_as_cp_a_dash_is_a_file_name() {
    use std::io::Write as _;
    use std::os::unix::process::CommandExt as _;
    use std::process::{Command, Stdio};
    let env = TestEnv::new();
    let as_cp = |args: &[&str]| {
        let mut child = Command::new(crate::testenv::FCOPY)
            .arg0("cp")
            .args(args)
            .current_dir(env.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // (Installed as cp, fcopy never reads it: the pipe may be closed by then.)
        let _ = child.stdin.take().unwrap().write_all(b"standard input\n");
        child.wait_with_output().unwrap()
    };
    env.write("-", "the file named dash\n");
    env.write("f", "f's bytes\n");
    fs::create_dir(env.join("d")).unwrap();
    for (args, dest) in [
        (&["-", "out"][..], "out"),
        (&["-t", "d", "-"], "d/-"),
        (&["-", "d"], "d/-"),
    ] {
        let _ = fs::remove_file(env.join(dest));
        let out = as_cp(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(env.read(dest), b"the file named dash\n", "{args:?}");
    }
    let out = as_cp(&["f", "-"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"", "cp f - wrote to standard output");
    assert_eq!(env.read("-"), b"f's bytes\n");
    // As fcopy, `-` stays standard input.
    let run = env
        .fcopy()
        .args(&["-", "from-stdin"])
        .stdin_bytes("piped\n")
        .run();
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(env.read("from-stdin"), b"piped\n");
}

/// `-v` says what `--resume` does with DEST: goes on from its size, finds it complete, or
/// (no DEST) copies it all. The line was `'big' -> 'part'` in all three cases.
#[test]
fn verbose_resume_says_where_it_goes_on_from() {
    let env = TestEnv::new();
    let data = pattern(300_000, 7);
    env.write("big", &data);
    env.write("part", &data[..100_000]);
    let said = |env: &TestEnv| {
        let run = env.run(&["--resume", "-v", "big", "part"]);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        env.assert_same_content("big", "part");
        run.stdout()
    };
    assert_eq!(said(&env), "'big' -> 'part' (resumed from byte 100000)\n");
    assert_eq!(said(&env), "'big' -> 'part' (already complete)\n");
    fs::remove_file(env.join("part")).unwrap();
    assert_eq!(said(&env), "'big' -> 'part'\n");
}

/// Red team, round 19: when only the read that looks for SOURCE's end failed, DEST held all
/// of SOURCE and the note said it was "now incomplete". A DEST that holds just the copy's
/// first bytes now says how many, which the user can hold against SOURCE's size.
#[test]
fn a_failed_overwrite_says_how_many_bytes_of_the_copy_dest_holds() {
    if !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(1 << 20, 4));
    env.write("out", pattern(15_000, 5));
    let src = env.join("src");
    let strace = crate::testenv::strace_faults_on(&src, &["inject=pread64:error=EIO:when=1+"]);
    // copy_file_range on every filesystem (a reflink reads nothing to look for the end).
    let run = env
        .fcopy()
        .wrapped(&strace)
        .args(&["--method=copy-file-range", "src", "out"])
        .run();
    // The error: the read or the copy that looks for SOURCE's end (by filesystem), then
    // the note.
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("'src'"), "{stderr}");
    assert_eq!(
        lines[1],
        "fcopy: 'out' was being overwritten and now holds the first 1048576 bytes of the copy; \
         its old contents cannot be restored"
    );
    env.assert_same_content("src", "out");
}

/// Red team, round 19: a tree copy whose files failed ended at `19% ... ETA 2s 31/31 files`:
/// a failed file's bytes stayed in the bar's total. Ten 1 MiB files, each copy_file_range
/// held 0.2 s (strace) and the 3rd and 7th failing (EIO, which fails the file), two workers:
/// after a failure the total is what can still be copied.
#[test]
fn a_failed_file_leaves_the_bars_total() {
    if !crate::testenv::require_tool("script") || !crate::testenv::require_strace() {
        return;
    }
    let env = TestEnv::new();
    for i in 0..10 {
        env.write(format!("tree/f{i}"), pattern(1 << 20, i));
    }
    let command = format!(
        "strace -f -o /dev/null -e trace=copy_file_range \
         -e inject=copy_file_range:delay_enter=200000 \
         -e inject=copy_file_range:error=EIO:when=3+4 \
         {} --progress=always --method=copy-file-range -j 2 -r tree copy; true",
        crate::testenv::FCOPY
    );
    let frames = crate::ux18::bar_frames(&env, &command);
    // The totals once final (not lower bounds while the walk goes on: the workers wait in
    // strace long after it ends) go down as files fail; they stayed at 10 MiB.
    let finals: Vec<f64> = frames.iter().map(|f| f.1).filter(|&t| t > 0.0).collect();
    let mib = (1 << 20) as f64;
    assert!(
        finals.len() >= 3,
        "too few frames with a final total: {frames:?}"
    );
    assert!(
        finals.iter().any(|&t| t <= 9.0 * mib + 1.0),
        "no total without the failed file's bytes: {frames:?}"
    );
    assert!(finals.windows(2).all(|w| w[1] <= w[0]), "{frames:?}");
    assert!(frames.iter().all(|f| f.0 <= f.1.abs()), "{frames:?}");
    let copies = fs::read_dir(env.join("copy")).map_or(0, |d| d.count());
    assert_eq!(copies, 8, "the files that did not fail");
}
