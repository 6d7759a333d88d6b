//! Batch job lists, parallel copies and the JSON schema: a 10,000-job batch with bad jobs,
//! `-j 1` and `-j 8` producing identical trees, and every `--json` line checked field by field.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use serde_json::Value;

use crate::testenv::{pattern, TestEnv};

/// Checks one `--json` record against the documented schema.
fn check_record(line: &str) -> Value {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let kind = v["type"]
        .as_str()
        .unwrap_or_else(|| panic!("no type: {line}"));
    let string = |k: &str| assert!(v[k].is_string(), "{k} should be a string: {line}");
    let number = |k: &str| {
        assert!(
            v[k].is_u64() || v[k].is_f64(),
            "{k} should be a number: {line}"
        )
    };
    let string_or_null = |k: &str| {
        assert!(
            v[k].is_string() || v[k].is_null(),
            "{k} should be a string or null: {line}"
        )
    };
    match kind {
        "summary" => {
            for k in ["files", "bytes", "failures", "skipped", "elapsed_ms"] {
                number(k);
            }
            // A number, or null when nothing was written: checked against the file records
            // in `records`.
            let rate = &v["throughput_bytes_per_sec"];
            assert!(
                rate.is_f64() || rate.is_u64() || rate.is_null(),
                "throughput_bytes_per_sec should be a number or null: {line}"
            );
        }
        "file" | "directory" | "symlink" | "hardlink" | "special" => {
            string("source");
            string("dest");
            let status = v["status"].as_str().unwrap();
            assert!(
                ["ok", "error", "skipped", "planned"].contains(&status),
                "status: {line}"
            );
            if status != "planned" {
                number("bytes");
                string_or_null("error");
            }
            if kind == "file" && status == "ok" {
                for k in ["strategy", "method"] {
                    string(k);
                }
                string_or_null("fallback");
                number("extents");
                number("elapsed_ms");
                let strategy = v["strategy"].as_str().unwrap();
                assert!(
                    [
                        "reflink",
                        "copy_file_range",
                        "sparse",
                        "ranged",
                        "read_write"
                    ]
                    .contains(&strategy),
                    "strategy: {line}"
                );
                let method = v["method"].as_str().unwrap();
                assert!(
                    [
                        "reflink",
                        "copy_file_range",
                        "sendfile",
                        "read_write",
                        "none"
                    ]
                    .contains(&method),
                    "method: {line}"
                );
            }
            if status == "error" {
                string("error");
            }
        }
        // A failure that is not about one job (a malformed batch line, with its line number).
        "batch_line" | "error" => {
            assert_eq!(v["status"], "error", "{line}");
            string("error");
            if kind == "batch_line" {
                number("line");
            }
        }
        other => panic!("unknown record type {other}: {line}"),
    }
    v
}

fn records(stdout: &str) -> Vec<Value> {
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(!lines.is_empty(), "no JSON output");
    let all: Vec<Value> = lines.iter().map(|l| check_record(l)).collect();
    assert_eq!(
        all.last().unwrap()["type"],
        "summary",
        "the last line is not the summary"
    );
    assert_eq!(all.iter().filter(|v| v["type"] == "summary").count(), 1);
    // The throughput counts the bytes written, not those a reflink or copy_file_range shared
    // (btrfs, XFS): null exactly when nothing was written.
    let summary = all.last().unwrap();
    let shared: u64 = all.iter().filter_map(|v| v["shared_bytes"].as_u64()).sum();
    let written = summary["bytes"].as_u64().unwrap() - shared;
    assert_eq!(
        summary["throughput_bytes_per_sec"].is_null(),
        written == 0,
        "{written} bytes written: {summary}"
    );
    all
}

#[test]
fn ten_thousand_jobs_with_ten_percent_bad() {
    let env = TestEnv::new();
    let mut jobs = String::new();
    for i in 0..10_000u64 {
        match i % 20 {
            // 5%: a missing source; 5%: a malformed line.
            3 => jobs.push_str(&format!("src/missing{i}\tdst/f{i}\n")),
            13 => jobs.push_str(&format!("src/f{i} dst/f{i}\n")),
            _ => {
                env.write(format!("src/f{i}"), pattern((i % 97 * 13) as usize, i));
                jobs.push_str(&format!("src/f{i}\tdst/f{i}\n"));
            }
        }
    }
    fs::create_dir(env.join("dst")).unwrap();
    env.write("jobs.tsv", &jobs);
    let run = env.run(&["--batch", "jobs.tsv", "--json", "-j", "4"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    let all = records(&run.stdout());
    let ok: Vec<_> = all.iter().filter(|v| v["status"] == "ok").collect();
    assert_eq!(ok.len(), 9_000);
    for v in &ok {
        let dest = v["dest"].as_str().unwrap();
        let src = v["source"].as_str().unwrap();
        assert_eq!(env.read(dest), env.read(src), "{dest}");
    }
    let summary = all.last().unwrap();
    assert_eq!(summary["files"], 9_000);
    assert_eq!(summary["failures"], 1_000);
    // Every failure is a record too: the 500 bad lines carry their line numbers.
    let errors: Vec<_> = all.iter().filter(|v| v["status"] == "error").collect();
    assert_eq!(errors.len(), 1_000);
    assert!(errors
        .iter()
        .any(|v| v["type"] == "batch_line" && v["line"] == 14));
    // Every failure has a human line on stderr: 500 missing sources, 500 bad lines with numbers.
    let stderr = run.stderr();
    assert_eq!(stderr.lines().count(), 1_000, "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("cannot stat 'src/missing"))
            .count(),
        500
    );
    assert!(
        stderr.contains("fcopy: jobs.tsv:14: expected SOURCE<TAB>DEST"),
        "{stderr}"
    );
    assert!(!env.exists("dst/f3") && !env.exists("dst/f13"));
}

#[test]
fn null_separated_batch_from_stdin_with_odd_names() {
    let env = TestEnv::new();
    env.write("a\tb", b"tab");
    env.write("new\nline", b"newline");
    let input = b"a\tb\x00out1\x00new\nline\x00out2\x00".to_vec();
    let run = env
        .fcopy()
        .args(&["--batch", "-", "-0"])
        .stdin_bytes(input)
        .run();
    run.success();
    assert_eq!(env.read("out1"), b"tab");
    assert_eq!(env.read("out2"), b"newline");
}

#[test]
fn batch_lines_carry_their_own_ranges() {
    let env = TestEnv::new();
    env.write("src", b"0123456789");
    env.write("dst", b"abcdefghij");
    env.write("jobs", "src\tdst\t2\t5\t3\nsrc\tnew\t-\t4\t-\n");
    env.run(&["--batch", "jobs"]).success();
    assert_eq!(env.read("dst"), b"abcde234ij");
    assert_eq!(env.read("new"), b"\x00\x00\x00\x000123456789");
}

#[test]
fn batch_dest_directory_receives_the_source_and_missing_parents_fail() {
    let env = TestEnv::new();
    env.write("a", b"A");
    fs::create_dir(env.join("d")).unwrap();
    env.write("jobs", "a\td\na\tnope/x\n");
    let run = env.run(&["--batch", "jobs"]);
    run.failure();
    assert_eq!(env.read("d/a"), b"A");
    run.stderr_contains("cannot create regular file 'nope/x': No such file or directory");
}

#[test]
fn batch_with_no_target_directory_makes_each_dest_the_copy_itself() {
    // -T applies to every line as on the command line (GNU `cp -T a d`): a file onto a
    // directory fails, a directory is merged into DEST, never copied into it (new-user
    // trial, round 8: -T was accepted and ignored, and `a` went into `d/a`).
    let env = TestEnv::new();
    env.write("a", b"A");
    env.write("s/x/f", b"F");
    fs::create_dir(env.join("d")).unwrap();
    fs::create_dir(env.join("e")).unwrap();
    env.write("jobs", "a\td\ns\te\n");
    let run = env.run(&["--batch", "jobs", "-T", "-r"]);
    run.failure()
        .stderr_contains("cannot overwrite directory 'd' with non-directory");
    assert!(!env.exists("d/a"));
    assert_eq!(env.read("e/x/f"), b"F");
    assert!(!env.exists("e/s"));
}

#[test]
fn batch_usage_errors() {
    let env = TestEnv::new();
    env.write("jobs", "a\tb\n");
    env.run(&["--batch", "jobs", "a", "b"])
        .failure()
        .stderr_contains("--batch cannot be combined with SOURCE or DEST operands");
    env.run(&["-0", "a", "b"])
        .failure()
        .stderr_contains("-0/--null needs --batch");
    env.write("ranged", "a\tb\t0\t0\t1\n");
    env.write("a", b"x");
    env.run(&["--batch", "ranged", "--len", "1"])
        .failure()
        .stderr_contains("ranged:1: the line has its own range");
    env.run(&["--batch", "missing-file"])
        .failure()
        .stderr_is("fcopy: cannot read batch file 'missing-file': No such file or directory\n");
}

/// New-user trial, round 6: `--batch --parents` wrote each job's DEST beside its SOURCE
/// (x/y/keep overwritten, exit 0). A job names its DEST itself: refused before any job runs.
#[test]
fn batch_with_parents_is_refused_and_writes_nothing() {
    let env = TestEnv::new();
    env.write("x/y/a", b"new");
    env.write("x/y/keep", b"precious");
    env.write("jobs", "x/y/a\tkeep\n");
    env.run(&["--batch", "jobs", "--parents"])
        .failure()
        .stderr_contains("--batch cannot be combined with --parents");
    assert_eq!(env.read("x/y/keep"), b"precious");
    assert!(!env.exists("keep"));
}

/// Everything about a tree that a copy must reproduce, keyed by relative path.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<u64, String> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let md = fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let ft = md.file_type();
            let content = if ft.is_file() {
                format!("{:?}", fs::read(&path).unwrap())
            } else if ft.is_symlink() {
                fs::read_link(&path).unwrap().display().to_string()
            } else {
                String::new()
            };
            let link_group = if ft.is_file() && md.nlink() > 1 {
                inodes
                    .entry(md.ino())
                    .or_insert_with(|| rel.clone())
                    .clone()
            } else {
                String::new()
            };
            let mtime = if ft.is_symlink() {
                0
            } else {
                md.mtime() * 1_000_000_000 + md.mtime_nsec()
            };
            out.insert(
                rel,
                format!(
                    "{:o} {} {} {mtime} {link_group} {content}",
                    md.mode(),
                    md.uid(),
                    md.gid()
                ),
            );
            if ft.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

#[test]
fn parallel_and_serial_trees_are_identical() {
    let env = TestEnv::new();
    for d in 0..12 {
        for f in 0..40 {
            let size = (d * 40 + f) * 1371 % 300_000;
            env.write(
                format!("src/d{d}/sub/f{f}"),
                pattern(size, (d * 100 + f) as u64),
            );
        }
        fs::set_permissions(
            env.join(format!("src/d{d}/sub/f0")),
            fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        std::os::unix::fs::symlink("f1", env.join(format!("src/d{d}/sub/link"))).unwrap();
        fs::hard_link(
            env.join(format!("src/d{d}/sub/f2")),
            env.join(format!("src/d{d}/hard")),
        )
        .unwrap();
        env.write_sparse(
            format!("src/d{d}/sparse"),
            8 << 20,
            &[(1 << 20, b"data"), (6 << 20, b"more")],
        );
    }
    fs::set_permissions(env.join("src/d3/sub"), fs::Permissions::from_mode(0o555)).unwrap();
    fs::set_permissions(env.join("src/d5"), fs::Permissions::from_mode(0o700)).unwrap();
    env.run(&["-a", "-j", "1", "src", "serial"]).success();
    env.run(&["-a", "-j", "8", "src", "parallel"]).success();
    let serial = snapshot(&env.join("serial"));
    let parallel = snapshot(&env.join("parallel"));
    // Per directory: itself, sub/, 40 files, the symlink, the hard link and the sparse file.
    assert_eq!(serial.len(), 12 * 45, "unexpected tree size");
    assert_eq!(serial, parallel, "-j 8 differs from -j 1");
    assert_eq!(
        serial,
        snapshot(&env.join("src")),
        "-a copy differs from the source"
    );
}

#[test]
fn json_for_trees_has_a_record_per_node() {
    let env = TestEnv::new();
    env.write("t/a", b"a");
    env.write("t/d/b", b"bb");
    std::os::unix::fs::symlink("a", env.join("t/l")).unwrap();
    let run = env.run(&["-r", "--json", "t", "u"]);
    run.success();
    let all = records(&run.stdout());
    let kinds: Vec<(&str, &str)> = all
        .iter()
        .filter(|v| v["type"] != "summary")
        .map(|v| (v["type"].as_str().unwrap(), v["dest"].as_str().unwrap()))
        .collect();
    for expected in [
        ("directory", "u"),
        ("directory", "u/d"),
        ("file", "u/a"),
        ("file", "u/d/b"),
        ("symlink", "u/l"),
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected:?} missing from {kinds:?}"
        );
    }
    assert_eq!(all.last().unwrap()["bytes"], 3);
}

#[test]
fn verbose_lines_keep_gnu_order_under_parallel_copies() {
    let env = TestEnv::new();
    for d in 0..5 {
        for f in 0..30 {
            env.write(
                format!("src/d{d}/f{f}"),
                pattern((f * 977) % 70_000, f as u64),
            );
        }
    }
    let gnu = std::process::Command::new("/usr/bin/cp")
        .args(["-rv", "src", "gnu"])
        .current_dir(env.path())
        .output()
        .unwrap();
    assert!(gnu.status.success());
    let run = env.run(&["-rv", "-j", "8", "src", "ours"]);
    run.success();
    let expected = String::from_utf8_lossy(&gnu.stdout).replace("'gnu", "'ours");
    assert_eq!(
        run.stdout(),
        expected,
        "-v order differs from GNU cp under -j 8"
    );
}

#[test]
fn dry_run_writes_nothing_even_with_backups_and_links() {
    let env = TestEnv::new();
    env.write("a", b"new");
    env.write("b", b"old");
    env.write("t/x", b"x");
    for args in [
        &["--dry-run", "-b", "-l", "a", "b"][..],
        &["--dry-run", "-b", "-s", "a", "b"][..],
        &["--dry-run", "-f", "-l", "a", "b"][..],
        &["--dry-run", "--backup=numbered", "a", "b"][..],
        &["--dry-run", "--remove-destination", "a", "b"][..],
        &["--dry-run", "-a", "t", "u"][..],
    ] {
        let before = env.listing();
        env.run(args).success();
        assert_eq!(env.listing(), before, "{args:?} changed the tree");
        assert_eq!(env.read("b"), b"old");
    }
}

/// `--batch -r -j4`: a job that reads a file inside a tree an earlier job writes
/// (`photos -> bk/photos`, then `bk/photos/p1 -> out2`) gets the whole file, as with `-j 1`
/// (red-team finding: a prefix, exit 0). A race, so several rounds.
#[test]
fn batch_job_reading_inside_a_tree_an_earlier_job_writes_waits_for_it() {
    let p1 = crate::testenv::pattern(20_000_000, 7);
    for round in 0..5 {
        let env = TestEnv::new();
        env.write("photos/p1", &p1);
        fs::create_dir(env.join("bk")).unwrap();
        env.write("j", "photos\tbk/photos\nbk/photos/p1\tout2\n");
        env.run(&["--batch", "j", "-r", "-j", "4"]).success();
        assert!(
            env.read("out2") == p1,
            "round {round}: out2 differs from photos/p1"
        );
    }
}

/// `--batch -r -j4`: `tree -> out` then `newf -> tree/f300`: the tree job copies tree's own
/// f300, never newf, whatever the timing (as with `-j 1`). A race, so several rounds.
#[test]
fn batch_job_writing_inside_a_tree_an_earlier_job_reads_waits_for_it() {
    for round in 0..5 {
        let env = TestEnv::new();
        for i in 1..=300 {
            env.write(format!("tree/f{i}"), format!("old {i}\n"));
        }
        env.write("newf", "new\n");
        env.write("j", "tree\tout\nnewf\ttree/f300\n");
        env.run(&["--batch", "j", "-r", "-j", "4"]).success();
        assert_eq!(
            String::from_utf8_lossy(&env.read("out/f300")),
            "old 300\n",
            "round {round}"
        );
    }
}

/// `--batch --mkpath` under `-j`: a job whose DEST needs a new directory waits for the jobs
/// before it, so the result is the one of `-j 1` (red-team finding: the directory `x` was made
/// for a later job while an earlier job that writes the file `x` was still queued: ten small
/// jobs in between keep it in the hand-off being filled).
#[test]
fn batch_mkpath_waits_for_earlier_jobs_before_making_a_directory() {
    for round in 0..5 {
        let env = TestEnv::new();
        env.write("a2", "file x\n");
        env.write("b2", "into x/y\n");
        let mut jobs = String::from("a2\tx\n");
        for i in 0..10 {
            env.write(format!("f{i}"), pattern(64 * 1024, i));
            jobs.push_str(&format!("f{i}\tcopy{i}\n"));
        }
        jobs.push_str("b2\tx/y\n");
        env.write("jobs.tsv", &jobs);
        let run = env.run(&["--batch", "jobs.tsv", "--mkpath", "-j", "4"]);
        run.failure();
        assert_eq!(
            env.read("x"),
            b"file x\n",
            "round {round}: {}",
            run.stderr()
        );
    }
}

/// A name that is not UTF-8.
fn latin1_name() -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    std::ffi::OsString::from_vec(b"caf\xe9".to_vec())
}

/// Names that a list must carry as they are: a space, a leading '-', a leading blank, a tab.
const ODD_NAMES: [(&str, &str); 4] = [
    ("a b", "1"),
    ("-n", "2"),
    (" lead", "3"),
    ("tab\there", "4"),
];

#[test]
fn files_from_copies_odd_names_into_the_target_directory() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    for (name, data) in ODD_NAMES {
        env.write(name, data);
    }
    fs::write(env.join(latin1_name()), b"5").unwrap();
    fs::create_dir(env.join("out")).unwrap();
    let mut list = b"a b\n\n-n\n lead\r\ntab\there\n".to_vec();
    list.extend_from_slice(latin1_name().as_bytes());
    list.push(b'\n');
    fs::write(env.join("list"), &list).unwrap();
    env.run(&["--files-from=list", "-t", "out"]).success();
    for (name, data) in ODD_NAMES {
        assert_eq!(
            env.read(Path::new("out").join(name)),
            data.as_bytes(),
            "{name}"
        );
    }
    assert_eq!(env.read(Path::new("out").join(latin1_name())), b"5");
    // The last operand is the directory when there is no -t.
    fs::create_dir(env.join("out2")).unwrap();
    env.run(&["--files-from", "list", "out2"]).success();
    assert_eq!(env.read("out2/-n"), b"2");
}

#[test]
fn files_from_with_null_reads_find_print0_from_standard_input() {
    let env = TestEnv::new();
    env.write("src/x.c", "x");
    env.write("src/deep/er/y.c", "y");
    env.write("src/new\nline.c", "z");
    env.write("src/skip.h", "h");
    fs::create_dir(env.join("dst")).unwrap();
    let list = b"./src/x.c\0./src/deep/er/y.c\0\0./src/new\nline.c\0".to_vec();
    let run = env
        .fcopy()
        .args(&["--files-from=-", "-0", "--parents", "-t", "dst"])
        .stdin_bytes(list)
        .run();
    run.success();
    assert_eq!(env.read("dst/src/x.c"), b"x");
    assert_eq!(env.read("dst/src/deep/er/y.c"), b"y");
    assert_eq!(env.read("dst/src/new\nline.c"), b"z");
    assert!(!env.exists("dst/src/skip.h"));
}

#[test]
fn files_from_names_fail_as_operands_do() {
    let env = TestEnv::new();
    env.write("a", "A");
    env.write("b", "B");
    fs::create_dir(env.join("out")).unwrap();
    env.write("list", "a\nmissing\nb\n");
    let listed = env.run(&["--files-from=list", "-t", "out"]);
    listed.failure();
    listed.stderr_contains("cannot stat 'missing': No such file or directory");
    assert_eq!(env.read("out/b"), b"B");
    // The same message and status as with the names on the command line.
    let direct = env.run(&["-t", "out", "a", "missing", "b"]);
    assert_eq!(direct.code(), listed.code());
    assert_eq!(direct.stderr(), listed.stderr());
}

#[test]
fn files_from_usage_errors() {
    let env = TestEnv::new();
    env.write("a", "A");
    fs::create_dir(env.join("out")).unwrap();
    env.run(&["--files-from=nolist", "-t", "out"])
        .failure()
        .stderr_contains("cannot read --files-from list 'nolist': No such file or directory");
    env.write("list", "a\n");
    // Without a destination the last name would become DEST: refused.
    env.run(&["--files-from=list"])
        .failure()
        .stderr_contains("--files-from needs a destination");
    env.run(&["--files-from=list", "--batch", "list"])
        .failure()
        .stderr_contains("--files-from cannot be used with --batch");
    let listing = env.listing();
    assert_eq!(listing.matches("out/").count(), 0, "{listing}");
    fs::remove_dir_all(env.join("nodir")).ok();
    env.run(&["--files-from=list", "-T", "out"])
        .failure()
        .stderr_contains("--files-from cannot be used with --no-target-directory");
    // The last operand is a directory, as -t's: one listed name is not copied to a file there.
    env.run(&["--files-from=list", "nodir"])
        .failure()
        .stderr_contains("target directory 'nodir': No such file or directory");
    assert!(!env.exists("nodir"));
    env.run(&["--files-from=list", "--mkpath", "nodir"])
        .success();
    assert_eq!(env.read("nodir/a"), b"A");
    // An empty list copies nothing and succeeds (as rsync does).
    env.write("empty", "\n\n");
    env.run(&["--files-from=empty", "-t", "out"]).success();
    env.run(&["--files-from=empty", "out"]).success();
}

#[test]
fn files_from_works_with_recursive_dry_run_and_json() {
    let env = TestEnv::new();
    env.write("tree/a", pattern(1000, 1));
    env.write("tree/sub/b", pattern(2000, 2));
    env.write("file", "f");
    fs::create_dir(env.join("out")).unwrap();
    env.write("list", "tree\nfile\n");
    // A directory in the list needs -r, as an operand does.
    env.run(&["--files-from=list", "-t", "out"])
        .failure()
        .stderr_contains("-r not specified; omitting directory 'tree'");
    assert_eq!(env.read("out/file"), b"f");
    fs::remove_file(env.join("out/file")).unwrap();

    let dry = env.run(&["-r", "--dry-run", "--files-from=list", "-t", "out"]);
    dry.success();
    assert!(!env.exists("out/tree") && !env.exists("out/file"));

    let run = env.run(&["-r", "--json", "--files-from=list", "-t", "out"]);
    run.success();
    let records = run.json();
    let summary = records.last().unwrap();
    assert_eq!(summary["files"], 3, "{summary}");
    assert!(records.iter().any(|r| r["source"] == "tree/sub/b"));
    env.assert_same_content("tree/sub/b", "out/tree/sub/b");
    env.assert_same_content("file", "out/file");
}

/// A job list is a sequence of cp commands, not one cp with many operands: GNU's "will not
/// overwrite just-created" rule (for two operands of ONE command naming the same DEST) does not
/// apply between lines. Assembling one new image from 64 range jobs works with `-j 1` and `-j 8`
/// and equals the whole, as a loop of `dd conv=notrunc` would (new-user trial, round 4: 63 of
/// the 64 jobs failed with "will not overwrite just-created 'img'"); two plain jobs writing one
/// DEST leave the second's contents, as two cp commands do.
#[test]
fn batch_jobs_writing_one_new_dest_run_in_order_as_separate_commands() {
    const PART: usize = 4096;
    let whole = pattern(64 * PART, 11);
    for jobs in ["1", "8"] {
        let env = TestEnv::new();
        let mut list = String::new();
        for (i, part) in whole.chunks(PART).enumerate() {
            env.write(format!("part.{i:03}"), part);
            list.push_str(&format!("part.{i:03}\timg\t0\t{}\t\n", i * PART));
        }
        env.write("jobs", list);
        env.run(&["--batch", "jobs", "-j", jobs]).success();
        assert!(
            env.read("img") == whole,
            "-j {jobs}: img differs from the parts"
        );

        env.write("a", b"first");
        env.write("b", b"second");
        env.write("plain", "a\tout\nb\tout\n");
        env.run(&["--batch", "plain", "-j", jobs]).success();
        assert_eq!(env.read("out"), b"second", "-j {jobs}");
    }
}

/// `--dry-run -r` into a destination that does not exist yet: nothing under it is looked up
/// in the existing directory standing in for it (its names are another directory's). Before
/// (new-user trial, round 4): a file `q` in the working directory made `new/sub/q` "a
/// non-directory in the way" (and fcopy tried mkdirat there), and `y/a/f`, a directory,
/// made `y/x/a/f` one; the real copies succeed.
#[test]
fn dry_run_into_a_missing_directory_looks_nothing_up_in_its_stand_in() {
    let env = TestEnv::new();
    fs::create_dir_all(env.join("src/sub/q")).unwrap();
    env.write("src/sub/file", b"1");
    env.write("q", b"in the way only if looked up in the wrong place");
    fs::create_dir_all(env.join("x/a")).unwrap();
    env.write("x/a/f", b"2");
    fs::create_dir_all(env.join("y/a/f")).unwrap();
    let before = env.listing();
    let run = env.run(&["--dry-run", "-r", "src", "new"]);
    run.success();
    assert!(
        run.stdout().contains("'src/sub/q' -> 'new/sub/q'"),
        "{}",
        run.stdout()
    );
    let run = env.run(&["--dry-run", "-r", "x", "y"]);
    run.success();
    assert!(
        run.stdout().contains("'x/a/f' -> 'y/x/a/f'"),
        "{}",
        run.stdout()
    );
    assert_eq!(env.listing(), before, "a dry run changed the tree");
    // The real copies agree.
    env.run(&["-r", "src", "new"]).success();
    env.run(&["-r", "x", "y"]).success();
    assert_eq!(env.read("y/x/a/f"), b"2");
}

/// `--batch -j N` gives the result of `-j 1` when a line reads through a symbolic link that
/// leads nowhere until an earlier line writes its target (red-team finding, round 4: with
/// `-j 2`, `cannot stat 'M'` where `-j 1` copied). Forty such pairs in one list, so that
/// running them together would be seen.
#[test]
fn batch_reading_through_a_link_an_earlier_line_completes_equals_serial() {
    for jobs in ["1", "8"] {
        let env = TestEnv::new();
        let mut list = String::new();
        for i in 0..40 {
            env.write(format!("x{i}"), pattern(4096 + i, i as u64));
            std::os::unix::fs::symlink(format!("c{i}"), env.join(format!("m{i}"))).unwrap();
            list.push_str(&format!("x{i}\tc{i}\nm{i}\tout{i}\n"));
        }
        env.write("jobs", list);
        env.run(&["--batch", "jobs", "-j", jobs]).success();
        for i in 0..40 {
            env.assert_same_content(format!("x{i}"), format!("out{i}"));
        }
    }
}

/// `--dry-run -b` names the backup the copy would make, as the real run's `-v` line does
/// (new-user trial, round 4: the planned line left it out), for simple and numbered backups;
/// nothing is renamed.
#[test]
fn dry_run_names_the_backup_the_copy_would_make() {
    let env = TestEnv::new();
    env.write("a", b"new");
    env.write("b", b"old");
    env.write("b.~1~", b"older");
    // `-b` is `existing`: numbered, since a numbered backup of b exists.
    for (flag, backup) in [
        ("--backup=simple", "b~"),
        ("-b", "b.~2~"),
        ("--backup=numbered", "b.~2~"),
    ] {
        let before = env.listing();
        let run = env.run(&["--dry-run", flag, "a", "b"]);
        run.success();
        let expected = format!("(backup: '{backup}')");
        assert!(run.stdout().contains(&expected), "{flag}: {}", run.stdout());
        assert_eq!(
            env.listing(),
            before,
            "{flag}: the dry run changed the tree"
        );
    }
    // The real copy makes the backup the dry run named.
    let run = env.run(&["-v", "--backup=numbered", "a", "b"]);
    run.success();
    assert!(
        run.stdout().contains("(backup: 'b.~2~')"),
        "{}",
        run.stdout()
    );
    assert_eq!(env.read("b.~2~"), b"old");
    // No existing DEST, no backup named.
    let run = env.run(&["--dry-run", "-b", "a", "c"]);
    run.success();
    assert!(!run.stdout().contains("backup"), "{}", run.stdout());
}

/// The names in a test directory and what each holds (a file's bytes, `dir`), for comparing
/// a `-j 4` run with a `-j 1` one (times and inode numbers differ between runs).
fn contents(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(rel, "dir".to_owned());
                stack.push(path);
            } else {
                out.insert(
                    rel,
                    String::from_utf8_lossy(&fs::read(&path).unwrap()).into(),
                );
            }
        }
    }
    out
}

/// Runs one job list with `-j 1`, then with `-j 4` while the first job's `slow` file takes a
/// second to open (strace), so that the later jobs are handed out before it runs; returns
/// each run's exit code, standard error and resulting files. `setup` makes the files of a
/// fresh directory and returns the job list, whose paths are absolute (strace's `-P` matches
/// the name the syscall is given).
fn serial_and_held_back(
    slow: &str,
    flags: &[&str],
    setup: impl Fn(&TestEnv) -> String,
) -> [(Option<i32>, String, BTreeMap<String, String>); 2] {
    ["1", "4"].map(|jobs| {
        let env = TestEnv::new();
        env.write("jobs", setup(&env));
        let mut args = vec!["--batch", "jobs", "-j", jobs];
        args.extend_from_slice(flags);
        let slow = env.join(slow);
        let strace = [
            "strace".as_ref(),
            "-f".as_ref(),
            "-o".as_ref(),
            "/dev/null".as_ref(),
            "-P".as_ref(),
            slow.as_os_str(),
            "-e".as_ref(),
            "trace=openat".as_ref(),
            "-e".as_ref(),
            "inject=openat:delay_enter=1000000".as_ref(),
        ];
        let wrapper: &[&std::ffi::OsStr] = if jobs == "1" { &[] } else { &strace };
        let run = env.fcopy().wrapped(wrapper).args(&args).run();
        let mut files = contents(env.path());
        files.remove("jobs");
        (run.status.code(), run.stderr(), files)
    })
}

/// `--batch -b -j 4` equals `-j 1` when a job's backup name is a name an earlier job reads or
/// writes (red-team finding, round 8: the backup rename, made when a job is handed out,
/// overtook the earlier queued job: "skipping file 'd~', as it was replaced", "cannot create
/// 'd~': File exists"). Simple and numbered backups; the earlier job is held back by strace.
#[test]
fn batch_backup_waits_for_an_earlier_job_using_its_backup_name() {
    if !crate::testenv::require_strace() {
        return;
    }
    let cases: [(&str, &str, &str, &str); 3] = [
        ("-b", "d~", "d~", "out"),
        ("-b", "x", "x", "d~"),
        ("--backup=numbered", "x", "x", "d.~1~"),
    ];
    for (flag, slow, first_source, first_dest) in cases {
        let [serial, parallel] = serial_and_held_back(slow, &[flag], |env| {
            env.write("a", "NEW-A\n");
            env.write("d", "OLD-D\n");
            env.write("d~", "OLDER-DTILDE\n");
            env.write("x", "XXX\n");
            let p = |name: &str| env.join(name).display().to_string();
            format!(
                "{}\t{}\n{}\t{}\n",
                p(first_source),
                p(first_dest),
                p("a"),
                p("d")
            )
        });
        assert_eq!(serial.0, Some(0), "{flag} {first_dest}: -j 1: {}", serial.1);
        assert_eq!(
            (parallel.0, &parallel.2),
            (serial.0, &serial.2),
            "{flag} {first_source} -> {first_dest}: -j 4 differs from -j 1: {}",
            parallel.1
        );
    }
}

/// `--batch --mkpath -j 4` with a DEST ending in `/` waits for the earlier jobs before making
/// the directory DEST itself (red-team finding, round 8: `x -> newdir` then `a -> newdir/`
/// made `newdir` a directory before the first job ran; with `-j 1` it is the file x, and the
/// second job fails).
#[test]
fn batch_mkpath_waits_before_making_a_dest_that_ends_in_a_slash() {
    if !crate::testenv::require_strace() {
        return;
    }
    let [serial, parallel] = serial_and_held_back("x", &["--mkpath"], |env| {
        env.write("x", "X\n");
        env.write("a", "A\n");
        let p = |name: &str| env.join(name).display().to_string();
        format!(
            "{}\t{}\n{}\t{}/\n",
            p("x"),
            p("newdir"),
            p("a"),
            p("newdir")
        )
    });
    assert_eq!(serial.0, Some(1), "-j 1: {}", serial.1);
    assert_eq!(serial.2["newdir"], "X\n");
    assert_eq!(parallel.0, serial.0, "-j 4: {}", parallel.1);
    assert_eq!(parallel.2, serial.2, "-j 4 differs from -j 1");
}

/// A job line's own range with `--resume` or `--update=changed` is refused with the line's
/// number, as `--offset-*` with them is on the command line (red-team finding, round 8: it ran
/// as a plain ranged copy and exited 0); the other lines still run.
#[test]
fn batch_line_range_with_resume_or_update_changed_is_refused() {
    for option in ["--resume", "--update=changed"] {
        let env = TestEnv::new();
        env.write("s", "0123456789abcdef");
        env.write("j", "s\td\t0\t10\t5\ns\tplain\n");
        let run = env.run(&["--batch", "j", option, "--json"]);
        run.failure();
        let expected =
            format!("j:1: the line has its own range, which cannot be used with {option}");
        assert!(
            run.stderr().contains(&expected),
            "{option}: {}",
            run.stderr()
        );
        assert!(!env.exists("d"), "{option}: the ranged line was copied");
        assert_eq!(env.read("plain"), b"0123456789abcdef", "{option}");
    }
}
