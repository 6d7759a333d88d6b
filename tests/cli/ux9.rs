//! User-facing leftovers of round 8's closing note (round 9, helper ux9): `--dry-run --mkpath`
//! says what the run does in its corners (rsync's `--mkpath`, 3.5.0 here, is the reference:
//! it makes `n1/n2/` for `-r sd/ n1/n2/` and `-R sd/q n7/`, and refuses a DEST directory that
//! is a file or a dangling symlink); an interrupted `--atomic --resume` names the partial file
//! it kept; a resumed copy's `--json` strategy is `ranged` with or without `--atomic`; a
//! `--batch` line's own range with command-line ranges fails that line only.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::testenv::{pattern, TestEnv, FCOPY};

const M: usize = 1 << 20;

/// A source tree `sd/f`, `sd/q/g`, a file `s`, a regular file `file` and a dangling symlink
/// `dang`.
fn mkpath_env() -> TestEnv {
    let env = TestEnv::new();
    env.write("sd/f", b"f");
    env.write("sd/q/g", b"g");
    env.write("s", b"s");
    env.write("file", b"a file");
    symlink("nowhere", env.join("dang")).unwrap();
    env
}

/// Runs `args` with `--dry-run`, then for real; returns each run's (exit status, stderr).
fn dry_then_real(env: &TestEnv, args: &[&str]) -> [(Option<i32>, String); 2] {
    let mut dry = vec!["--dry-run"];
    dry.extend_from_slice(args);
    let planned = env.run(&dry);
    let planned = (planned.code(), planned.stderr());
    let done = env.run(args);
    [planned, (done.code(), done.stderr())]
}

/// `--dry-run --mkpath` refused `-rT sd n1/n2/` and `--parents --mkpath sd/q n6/` (`cannot
/// create directory`, `cannot access 'n6'`), which the run does; it planned `s file/` and
/// `s dang/`, which the run refuses. Now the plan has the run's exit status and message.
#[test]
fn dry_run_mkpath_agrees_with_the_run_in_its_corners() {
    let cases: [(&[&str], i32, &str); 8] = [
        (&["-rT", "--mkpath", "sd", "n1/n2/"], 0, ""),
        (
            &["--parents", "--mkpath", "sd/q", "n6/"],
            1,
            "fcopy: -r not specified; omitting directory 'sd/q'\n",
        ),
        (&["-r", "--parents", "--mkpath", "sd/q", "n7/"], 0, ""),
        (
            &["-r", "--parents", "--mkpath", "sd/q", "sd/f", "n8/a/b"],
            0,
            "",
        ),
        (
            &["--mkpath", "s", "file/"],
            1,
            "fcopy: cannot create directory 'file/': Not a directory\n",
        ),
        (
            &["--mkpath", "s", "dang/"],
            1,
            "fcopy: cannot create directory 'dang/': No such file or directory\n",
        ),
        // `..` after a directory the run makes climbs back out of it (red team, round 9: the
        // plan stopped at `new` and said yes; the run met the file `file`).
        (
            &["--mkpath", "s", "new/../file/x/"],
            1,
            "fcopy: cannot create directory 'new/../file/x/': Not a directory\n",
        ),
        (&["--mkpath", "s", "a/b/../c/"], 0, ""),
    ];
    let env = mkpath_env();
    for (args, code, stderr) in cases {
        let [planned, done] = dry_then_real(&env, args);
        assert_eq!(done, (Some(code), stderr.to_owned()), "run of {args:?}");
        assert_eq!(planned, done, "--dry-run of {args:?}");
    }
    assert_eq!(env.read("n1/n2/q/g"), b"g");
    assert_eq!(env.read("n7/sd/q/g"), b"g");
    assert_eq!(env.read("n8/a/b/sd/f"), b"f");
    assert_eq!(env.read("a/c/s"), b"s");
    assert!(
        env.join("n6/sd").is_dir(),
        "GNU makes --parents' directories first"
    );
}

/// The same for `--batch` jobs: a DEST ending in `/` that `--mkpath` would make is planned
/// as the directory the job copies into, and a job whose directory is a file or a dangling
/// symlink fails as in the run.
#[test]
fn dry_run_mkpath_agrees_with_the_run_for_batch_jobs() {
    let env = mkpath_env();
    env.write("jobs", "s\tfile/x\ns\tnb/y\ns\tdang/z\ns\tnc/\n");
    let [planned, done] = dry_then_real(&env, &["--mkpath", "--batch", "jobs"]);
    let refused = "fcopy: jobs:1: cannot create directory 'file': Not a directory\n\
                   fcopy: jobs:3: cannot create directory 'dang': No such file or directory\n";
    assert_eq!(done, (Some(1), refused.to_owned()));
    assert_eq!(planned, done);
    assert_eq!(env.read("nc/s"), b"s");
    let listed = env.run(&["--dry-run", "--mkpath", "--batch", "jobs"]);
    assert!(
        listed.stdout().contains("'s' -> 'nc/s'"),
        "{}",
        listed.stdout()
    );
}

/// Starts `fcopy ARGS` in `env`, sends SIGINT once it has `.dst.fcopy-partial` open, and
/// returns (exit status, stderr); `None` when the copy finished first.
fn interrupt_when_partial_open(env: &TestEnv, args: &[&str]) -> Option<(Option<i32>, String)> {
    use std::os::unix::process::ExitStatusExt;
    let child = std::process::Command::new(FCOPY)
        .args(args)
        .current_dir(env.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let dir = fs::canonicalize(env.path()).unwrap();
    let partial = dir.join(Path::new(args.last().unwrap()).parent().unwrap());
    let partial = partial.join(".dst.fcopy-partial");
    if !crate::testenv::wait_until_open(child.id(), &partial) {
        eprintln!("note: never saw fcopy with the partial file open");
    }
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        return None;
    }
    Some((out.status.signal(), stderr))
}

/// SIGINT stops `--atomic --resume`: the message said DEST "was left unchanged" (or "was not
/// created") without a word of the partial file it kept; as a copy in place says "the partial
/// copy was kept for --resume", it now says so, and where.
#[test]
fn an_interrupted_atomic_resume_names_the_partial_file_it_kept() {
    let env = TestEnv::new();
    // A sparse SOURCE copied byte by byte: large to write, cheap to make.
    let src = fs::File::create(env.join("src")).unwrap();
    src.set_len(2048 * M as u64).unwrap();
    fs::create_dir(env.join("sub")).unwrap();
    let copy = [
        "--atomic",
        "--resume",
        "--method=read-write",
        "--sparse=never",
        "src",
    ];
    for (dest, existed) in [("dst", true), ("sub/dst", false)] {
        if existed {
            env.write(dest, b"old");
        }
        let args: Vec<&str> = copy.iter().copied().chain([dest]).collect();
        let Some((signal, stderr)) = interrupt_when_partial_open(&env, &args) else {
            eprintln!("note: the copy finished before SIGINT");
            continue;
        };
        assert_eq!(signal, Some(2), "{stderr}");
        let (fate, partial) = if existed {
            ("left unchanged", ".dst.fcopy-partial".to_owned())
        } else {
            ("not created", "sub/.dst.fcopy-partial".to_owned())
        };
        assert_eq!(
            stderr,
            format!(
                "fcopy: interrupted while copying 'src' to '{dest}'; '{dest}' was {fate}; \
                 the partial copy was kept for --resume in '{partial}'\n"
            )
        );
        assert!(env.exists(&partial), "{partial} was not kept");
        assert_eq!(env.exists(dest), existed);
        fs::remove_file(env.join(&partial)).unwrap();
    }
}

/// A resumed copy's `--json` record said `"strategy":"ranged"` (with its range) in place and
/// `"copy_file_range"` (no range) with `--atomic`, for the same copy: what moved the bytes is
/// one range in both, and `method` says which call.
#[test]
fn a_resumed_copy_is_ranged_in_json_with_or_without_atomic() {
    let env = TestEnv::new();
    let data = pattern(3 * M, 91);
    env.write("src", &data);
    env.write_partial_copy("dst", &data[..M]);
    let partial = env.write(".dst2.fcopy-partial", &data[..M]);
    if !crate::atomic8::mark_partial(&partial, &env.join("src"), "dst2") {
        crate::testenv::skip("the test directory's filesystem has no user xattrs");
        return;
    }
    // Written after SOURCE last changed, as an interrupted copy is (resume's evidence): in one
    // clock tick a coarse mtime could fall before SOURCE's fine-grained ctime, and the copy
    // was then (rightly) made from the start (seen once under load, round 10).
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    for name in ["dst", ".dst2.fcopy-partial"] {
        let f = std::fs::File::options()
            .write(true)
            .open(env.join(name))
            .unwrap();
        f.set_modified(later).unwrap();
    }
    let fields = [
        "strategy",
        "offset_in",
        "offset_out",
        "len",
        "resumed_from",
        "bytes",
    ];
    let mut records = Vec::new();
    let runs: [&[&str]; 2] = [
        &["--json", "--resume", "src", "dst"],
        &["--json", "--resume", "--atomic", "src", "dst2"],
    ];
    for args in runs {
        let run = env.run(args);
        run.success();
        let rec = run.json_record();
        assert_eq!(rec["resumed_from"], M, "{rec}");
        records.push(fields.map(|f| rec[f].clone()));
    }
    assert_eq!(records[0][0], "ranged");
    assert_eq!(records[1], records[0], "--atomic against in place");
    assert!(env.read("dst2") == data);
}

/// A `--batch` line with its own range while `--len` is on the command line fails that line
/// only (exit 1, the other lines copied), as any per-line error; the README called it a usage
/// error.
#[test]
fn a_batch_lines_own_range_with_command_line_ranges_fails_that_line_only() {
    let env = TestEnv::new();
    env.write("src", b"0123456789");
    env.write("jobs", "src\tb1\nsrc\tb2\t0\t0\t8\nsrc\tb3\n");
    let run = env.run(&["--batch", "jobs", "--len", "5"]);
    assert_eq!(run.code(), Some(1));
    assert_eq!(
        run.stderr(),
        "fcopy: jobs:2: the line has its own range, but --offset-in/--offset-out/--len were \
         given\n"
    );
    assert_eq!(env.read("b1"), b"01234");
    assert_eq!(env.read("b3"), b"01234");
    assert!(!env.exists("b2"));
    // The README and the man page say so.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in ["README.md", "man/fcopy.1"] {
        let text = fs::read_to_string(root.join(doc))
            .unwrap()
            .replace("\\-", "-")
            .replace('`', "");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("own range together with --offset-in/--offset-out/--len"),
            "{doc}"
        );
    }
}
