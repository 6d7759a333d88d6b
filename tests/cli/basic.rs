//! Whole-file copies: sizes, virtual files, across filesystems, the destination forms
//! (`SRC DST`, `SRC... DIR`, `-t`, `-T`) and what -v, --debug, --json and --dry-run print.

use std::fs;
use std::io::{Read, Write};

use crate::testenv::{pattern, TestEnv};

#[test]
fn sizes_around_page_boundaries_are_byte_identical() {
    let env = TestEnv::new();
    for (i, size) in [0usize, 1, 4095, 4096, 4097, (1 << 20) + 1]
        .into_iter()
        .enumerate()
    {
        let src = format!("src{size}");
        let dst = format!("dst{size}");
        env.write(&src, pattern(size, i as u64 + 1));
        env.run(&[&src, &dst]).success().stdout_is("");
        assert_eq!(env.read(&dst), env.read(&src), "size {size}");
    }
}

#[test]
fn sizes_with_each_method() {
    let env = TestEnv::new();
    for method in ["auto", "copy-file-range", "read-write"] {
        for size in [0usize, 1, 4097, (1 << 20) + 1] {
            let src = format!("src{size}");
            let dst = format!("dst{size}-{method}");
            env.write(&src, pattern(size, 7));
            env.run(&["--method", method, &src, &dst]).success();
            assert_eq!(
                env.read(&dst),
                env.read(&src),
                "size {size}, --method={method}"
            );
        }
    }
}

#[test]
fn empty_file_reports_no_fallback() {
    // An empty regular file is not a file the kernel "cannot copy".
    let env = TestEnv::new();
    env.write("empty", b"");
    let run = env.run(&["--json", "empty", "copy"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["bytes"], 0);
    assert_eq!(rec["fallback"], serde_json::Value::Null, "{rec}");
    assert_eq!(env.read("copy"), b"");
}

/// About 300 MiB of data on the build tree's filesystem, compared chunk by chunk.
#[test]
fn a_few_hundred_mib() {
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    let src = env.join("big");
    {
        let mut f = fs::File::create(&src).unwrap();
        let chunk = pattern(1 << 20, 42);
        for i in 0..300u32 {
            let mut c = chunk.clone();
            c[..4].copy_from_slice(&i.to_le_bytes());
            f.write_all(&c).unwrap();
        }
        f.write_all(b"tail").unwrap();
    }
    let run = env.run(&["--json", "big", "big.copy"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["bytes"], 300 * (1 << 20) + 4);
    assert_eq!(rec["method"], "copy_file_range");
    env.assert_same_content("big", "big.copy");
}

fn without_volatile_lines(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.contains("MHz") && !l.to_ascii_lowercase().contains("bogomips"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn cat(path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    fs::File::open(path).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn proc_cpuinfo_copies_like_cat() {
    let env = TestEnv::new();
    for method in ["auto", "read-write"] {
        let dst = format!("cpuinfo-{method}");
        let run = env.run(&["--json", "--method", method, "/proc/cpuinfo", &dst]);
        run.success();
        let copied = env.read(&dst);
        assert!(!copied.is_empty(), "empty copy of /proc/cpuinfo");
        assert_eq!(
            without_volatile_lines(&copied),
            without_volatile_lines(&cat("/proc/cpuinfo"))
        );
        assert_eq!(run.json_record()["bytes"], copied.len());
    }
}

#[test]
fn proc_file_with_copy_file_range_only_fails_and_removes_dest() {
    let env = TestEnv::new();
    let run = env.run(&["--method=copy-file-range", "/proc/cpuinfo", "out"]);
    // The kernel says why (a 0 return, or EXDEV across filesystems): either way, the message
    // names the file and says there is no fallback.
    run.failure();
    let err = run.stderr();
    let zero = "fcopy: copy_file_range copied nothing from '/proc/cpuinfo' (a file the kernel cannot copy, such as one in /proc); --method=copy-file-range does not fall back\n";
    let exdev = "fcopy: cannot copy '/proc/cpuinfo' to 'out' with copy_file_range: Invalid cross-device link; --method=copy-file-range does not fall back\n";
    if err != zero && err != exdev {
        run.fail("expected the copy_file_range-only error");
    }
    assert!(
        !env.exists("out"),
        "a destination fcopy created must be removed"
    );
}

#[test]
fn sys_file_copies_like_cat() {
    let candidates = [
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "/sys/devices/system/cpu/online",
        "/sys/devices/system/cpu/possible",
        "/sys/power/state",
    ];
    let Some(file) = candidates
        .iter()
        .find(|p| fs::read(p).is_ok_and(|b| !b.is_empty()))
    else {
        crate::testenv::record_skip(&format!("none of {candidates:?} is readable"));
        return;
    };
    let env = TestEnv::new();
    env.run(&[file, &"copy"]).success();
    let copied = env.read("copy");
    assert!(!copied.is_empty());
    assert_eq!(copied, cat(file));
}

#[test]
fn ext4_to_tmpfs_and_back() {
    let Some(disk) = TestEnv::on_ext4() else {
        return;
    };
    let Some(shm) = TestEnv::on_tmpfs() else {
        return;
    };
    let data = pattern(3 << 20, 9);
    disk.write("src", &data);
    shm.write("src", &data);
    for (from, to) in [(&disk, &shm), (&shm, &disk)] {
        let dst = to.join("dst");
        let run = from.run(&[
            "--json".as_ref(),
            from.join("src").as_os_str(),
            dst.as_os_str(),
        ]);
        run.success();
        let rec = run.json_record();
        assert!(
            rec["fallback"].is_null() || rec["fallback"] == "EXDEV",
            "unexpected fallback: {rec}"
        );
        assert_eq!(rec["bytes"], data.len());
        assert_eq!(fs::read(&dst).unwrap(), data);
        fs::remove_file(&dst).unwrap();
    }
}

#[test]
fn tmpfs_to_tmpfs() {
    let Some(shm) = TestEnv::on_tmpfs() else {
        return;
    };
    let data = pattern((1 << 20) + 1, 3);
    shm.write("a", &data);
    let run = shm.run(&["--json", "a", "b"]);
    run.success();
    assert_eq!(run.json_record()["method"], "copy_file_range");
    assert_eq!(shm.read("b"), data);
}

#[test]
fn overwrite_existing_longer_destination_truncates_it() {
    let env = TestEnv::new();
    env.write("src", b"short");
    env.write("dst", pattern(10000, 1));
    env.run(&["src", "dst"]).success();
    assert_eq!(env.read("dst"), b"short");
}

#[test]
fn several_sources_into_a_directory() {
    let env = TestEnv::new();
    env.write("a", b"aaa");
    env.write("b", b"bbbb");
    fs::create_dir(env.join("dir")).unwrap();
    env.run(&["-v", "a", "b", "dir"])
        .success()
        .stdout_is("'a' -> 'dir/a'\n'b' -> 'dir/b'\n");
    assert_eq!(env.read("dir/a"), b"aaa");
    assert_eq!(env.read("dir/b"), b"bbbb");
}

#[test]
fn single_source_into_a_directory() {
    let env = TestEnv::new();
    env.write("sub/a", b"xyz");
    fs::create_dir(env.join("dir")).unwrap();
    env.run(&["sub/a", "dir"]).success();
    assert_eq!(env.read("dir/a"), b"xyz");
}

#[test]
fn target_directory_option() {
    let env = TestEnv::new();
    env.write("a", b"1");
    env.write("b", b"22");
    fs::create_dir(env.join("out")).unwrap();
    env.run(&["-v", "-t", "out", "a", "b"])
        .success()
        .stdout_is("'a' -> 'out/a'\n'b' -> 'out/b'\n");
    assert_eq!(env.read("out/a"), b"1");
    assert_eq!(env.read("out/b"), b"22");
}

#[test]
fn no_target_directory_treats_dest_as_a_file() {
    let env = TestEnv::new();
    env.write("a", b"1");
    fs::create_dir(env.join("d")).unwrap();
    env.run(&["-T", "a", "d"])
        .failure()
        .stderr_is("fcopy: cannot overwrite directory 'd' with non-directory\n");
    env.run(&["-T", "a", "newname"]).success();
    assert_eq!(env.read("newname"), b"1");
}

#[test]
fn several_sources_one_failing_the_others_are_copied() {
    let env = TestEnv::new();
    env.write("a", b"aaa");
    env.write("c", b"ccc");
    fs::create_dir(env.join("dir")).unwrap();
    env.run(&["a", "nope", "c", "dir"])
        .failure()
        .stderr_is("fcopy: cannot stat 'nope': No such file or directory\n");
    assert_eq!(env.read("dir/a"), b"aaa");
    assert_eq!(env.read("dir/c"), b"ccc");
    assert!(!env.exists("dir/nope"));
}

#[test]
fn verbose_and_debug_lines() {
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    env.write("a", b"hello");
    env.run(&["-v", "a", "b"])
        .success()
        .stdout_is("'a' -> 'b'\n");
    env.run(&["--debug", "a", "c"])
        .success()
        .stdout_is("'a' -> 'c'\ncopy offload: yes, reflink: no, sparse detection: no\n");
    env.run(&["--debug", "--method=read-write", "a", "d"])
        .success()
        .stdout_is("'a' -> 'd'\ncopy offload: avoided, reflink: no, sparse detection: no\n");
    assert_eq!(env.read("c"), b"hello");
    assert_eq!(env.read("d"), b"hello");
}

#[test]
fn verbose_quotes_awkward_names() {
    let env = TestEnv::new();
    env.write("it's", b"q");
    env.run(&["-v", "it's", "b c"])
        .success()
        .stdout_is("\"it's\" -> 'b c'\n");
    assert_eq!(env.read("b c"), b"q");
}

#[test]
fn json_records_and_summary() {
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    env.write("a", pattern(5000, 1));
    env.write("b", b"");
    fs::create_dir(env.join("dir")).unwrap();
    let run = env.run(&["--json", "a", "b", "nope", "dir"]);
    run.failure()
        .stderr_is("fcopy: cannot stat 'nope': No such file or directory\n");
    let records = run.json();
    assert_eq!(records.len(), 4, "{}", run.stdout());
    let a = &records[0];
    for key in [
        "type",
        "source",
        "dest",
        "status",
        "strategy",
        "bytes",
        "method",
        "fallback",
        "fallback_offset",
        "extents",
        "error",
        "elapsed_ms",
    ] {
        assert!(a.get(key).is_some(), "missing {key} in {a}");
    }
    assert_eq!(a["type"], "file");
    assert_eq!(a["source"], "a");
    assert_eq!(a["dest"], "dir/a");
    assert_eq!(a["status"], "ok");
    assert_eq!(a["strategy"], "copy_file_range");
    assert_eq!(a["bytes"], 5000);
    assert_eq!(a["method"], "copy_file_range");
    assert!(a["fallback"].is_null());
    assert!(a["fallback_offset"].is_null());
    assert_eq!(a["extents"], 1);
    assert!(a["error"].is_null());
    assert!(a["elapsed_ms"].as_f64().is_some_and(|ms| ms >= 0.0));

    let b = &records[1];
    assert_eq!(b["status"], "ok");
    assert_eq!(b["bytes"], 0);
    assert_eq!(b["extents"], 0);

    let nope = &records[2];
    assert_eq!(nope["status"], "error");
    assert_eq!(nope["source"], "nope");
    assert_eq!(
        nope["error"],
        "fcopy: cannot stat 'nope': No such file or directory"
    );

    let summary = &records[3];
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["bytes"], 5000);
    assert_eq!(summary["failures"], 1);
    assert_eq!(summary["skipped"], 0);
    assert!(summary["elapsed_ms"].as_f64().is_some());
    assert!(summary["throughput_bytes_per_sec"].as_f64().is_some());
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let Some(env) = TestEnv::on_ext4() else {
        return;
    };
    env.write("a", pattern(1234, 1));
    env.write_sparse("s", 1 << 20, &[(0, b"x")]);
    env.write("old", b"keep me");
    env.run(&["--dry-run", "a", "b"])
        .success()
        .stdout_is("'a' -> 'b' (copy_file_range, 1.21 KiB (1234 bytes))\n");
    env.run(&["--dry-run", "s", "old"])
        .success()
        .stdout_is("'s' -> 'old' (sparse, 1.00 MiB (1048576 bytes))\n");
    env.run(&["--dry-run", "--method=read-write", "a", "b"])
        .success()
        .stdout_is("'a' -> 'b' (read_write, 1.21 KiB (1234 bytes))\n");
    env.run(&["--dry-run", "--offset-in", "4", "--len", "10", "a", "old"])
        .success()
        .stdout_is("'a' -> 'old' (ranged, 10 bytes, from offset 4 to offset 0)\n");
    let run = env.run(&["--dry-run", "--json", "a", "b"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["status"], "planned");
    assert_eq!(rec["strategy"], "copy_file_range");
    assert!(!env.exists("b"));
    assert_eq!(env.read("old"), b"keep me");
}

#[test]
fn no_clobber_leaves_dest_alone() {
    let env = TestEnv::new();
    env.write("a", b"new");
    env.write("b", b"old contents");
    env.run(&["-n", "a", "b"]).success().stdout_is("");
    assert_eq!(env.read("b"), b"old contents");
    let run = env.run(&["-n", "--json", "a", "b"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["status"], "skipped");
    assert_eq!(run.json()[1]["skipped"], 1);
    assert_eq!(env.read("b"), b"old contents");
}

#[test]
fn force_does_not_write_through_a_dangling_symlink() {
    // As GNU cp 9.1: -f does not make a dangling destination symlink writable.
    let env = TestEnv::new();
    env.write("a", b"data");
    std::os::unix::fs::symlink("nowhere", env.join("x")).unwrap();
    env.run(&["-f", "a", "x"])
        .failure()
        .stderr_is("fcopy: not writing through dangling symlink 'x'\n");
    assert!(fs::symlink_metadata(env.join("x"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(!env.exists("nowhere"), "must not write through the link");
    // --remove-destination replaces the link itself.
    env.run(&["--remove-destination", "a", "x"]).success();
    assert!(fs::symlink_metadata(env.join("x")).unwrap().is_file());
    assert_eq!(env.read("x"), b"data");
    assert!(!env.exists("nowhere"));
}

#[test]
fn sparse_abbreviation_is_accepted() {
    let env = TestEnv::new();
    env.write("a", pattern(9000, 2));
    env.run(&["--spars=never", "a", "b"]).success();
    assert_eq!(env.read("b"), env.read("a"));
    env.run(&["--meth=read-write", "a", "c"]).success();
    assert_eq!(env.read("c"), env.read("a"));
}

#[test]
fn help_lists_every_value_of_the_value_enums() {
    let env = TestEnv::new();
    for flag in ["--help"] {
        let run = env.run(&[flag]);
        run.success();
        let help = run.stdout();
        for needle in [
            "--sparse",
            "--reflink",
            "--method",
            "auto",
            "always",
            "never",
            "copy-file-range",
            "read-write",
        ] {
            if !help.contains(needle) {
                run.fail(&format!("{flag} does not mention {needle}"));
            }
        }
    }
    let long = env.run(&["--help"]).stdout();
    assert!(
        long.contains("copy_file_range is avoided"),
        "--help must say that --reflink=never avoids copy_file_range"
    );
}

#[test]
fn version_exits_zero() {
    let env = TestEnv::new();
    let run = env.run(&["--version"]);
    run.success();
    assert!(run.stdout().starts_with("fcopy "), "{}", run.stdout());
}

#[test]
fn mode_of_new_destination_follows_source_and_umask() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let src = env.write("a", b"x");
    fs::set_permissions(&src, fs::Permissions::from_mode(0o640)).unwrap();
    env.run(&["a", "b"]).success();
    let mode = fs::metadata(env.join("b")).unwrap().permissions().mode() & 0o777;
    // The test harness's umask is usually 022; either way no bit beyond the source's.
    assert_eq!(mode & !0o640, 0, "mode {mode:o}");
    assert_eq!(mode & 0o600, 0o600, "mode {mode:o}");
}
