//! Memory limits (issue 14, GNU tests/cp/link-heap.sh): under any `ulimit -v` that lets the
//! process reach `main`, fcopy either copies (with fewer workers and smaller buffers) or fails
//! cleanly with status 1 and `memory exhausted` (or a file's `Cannot allocate memory`), as GNU
//! cp's `xalloc_die` does; it never dies by SIGABRT.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::testenv::{pattern, same_content, skip, TestEnv};

const K: usize = 1 << 10;
const M: usize = 1 << 20;

/// Runs `fcopy ARGS` under `ulimit -v kib` in `dir`, with `stdin` as its standard input.
fn fcopy_under_vm_limit(dir: &Path, kib: u64, args: &str, stdin: Option<&Path>) -> Output {
    let input = match stdin {
        Some(path) => Stdio::from(fs::File::open(path).unwrap()),
        None => Stdio::null(),
    };
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" {args}"))
        .arg(crate::testenv::FCOPY)
        // `cargo test` puts its target folders on the loader's path. Searching them costs the
        // loader allocations that glibc's ld.so does not check: under a limit that lets libc
        // map but not those 8 KiB, it dies of SIGSEGV before `main`. Users run fcopy without it.
        .env_remove("LD_LIBRARY_PATH")
        .current_dir(dir)
        .stdin(input)
        .output()
        .unwrap()
}

/// The lowest `ulimit -v` (KiB, to within 32 KiB) under which `fcopy --version` runs: what
/// this build needs to start on this machine (its mappings and the C library's), measured
/// rather than assumed so that the limits below hold on any machine. `None` if it does not run
/// under 256 MiB.
fn startup_address_space(dir: &Path) -> Option<u64> {
    let runs = |kib| {
        fcopy_under_vm_limit(dir, kib, "--version", None)
            .status
            .success()
    };
    let (mut lo, mut hi) = (256, 256 * 1024);
    if !runs(hi) {
        return None;
    }
    while hi - lo > 32 {
        let mid = (lo + hi) / 2;
        if runs(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Under an address-space limit that lets fcopy start but leaves no room for its usual buffers
/// (256 KiB to copy a stream; two of 1 MiB to compare for `--verify`), it copies with smaller
/// ones: every file is copied and verified, nothing aborts. Before: "memory allocation of ...
/// failed" and SIGABRT (exit 134) on the first file. A buffer that cannot be had even at one
/// page fails that file only ("error copying 'A' to 'B': Cannot allocate memory"); no limit
/// reaches that point reliably (start-up's own small allocations abort first), so that path is
/// covered by the unit tests of `exec::rw` and of the messages.
#[test]
fn memory_limit_means_smaller_buffers_not_an_abort() {
    let env = TestEnv::new();
    let Some(start) = startup_address_space(env.path()) else {
        skip("fcopy --version does not run under ulimit -v 262144 here (sanitizer, emulator?)");
        return;
    };
    env.write("a", pattern(3 * M, 1));
    env.write("b", pattern(5 * K, 2));
    env.write("c", pattern(2 * M + 17, 3));
    fs::create_dir(env.join("dir")).unwrap();
    // 1 MiB above start-up: room for the files' state, not for 2 MiB of comparison buffers.
    let out = fcopy_under_vm_limit(env.path(), start + 1024, "--verify a b c dir", None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "limit {}: {stderr}",
        start + 1024
    );
    for name in ["a", "b", "c"] {
        env.assert_same_content(name, format!("dir/{name}"));
    }
    // 128 KiB above start-up: half the stream buffer.
    let limit = start + 128;
    let out = fcopy_under_vm_limit(env.path(), limit, "- out", Some(&env.join("c")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "limit {limit}: {stderr}");
    env.assert_same_content("c", "out");
    // A tree with -j 8: fewer (or no) workers, never an abort.
    for i in 0..20 {
        env.write(format!("tree/f{i}"), pattern(40 * K, i));
    }
    let limit = start + 1024;
    let args = "-r -j 8 --verify tree tree2";
    let out = fcopy_under_vm_limit(env.path(), limit, args, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "limit {limit}: {stderr}");
    for i in 0..20 {
        env.assert_same_content(format!("tree/f{i}"), format!("tree2/f{i}"));
    }
}

// ---------------------------------------------------------------------------------------------
// The sweep: every limit from below start-up's need to above the command's

/// One command of the sweep: its arguments, its standard input, what each run must start
/// without, and the check of a run that exited 0.
struct Workload {
    args: &'static str,
    stdin: Option<&'static str>,
    /// Removed before each run (destinations), and `bout` made again for `--batch`.
    outputs: &'static [&'static str],
    check: fn(&Path) -> Result<(), String>,
}

/// How a run under a memory limit ended, when it ended acceptably.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Exit 0, and the copy is right.
    Copied,
    /// Exit 1 with GNU's `memory exhausted`, std's `memory allocation of N bytes failed` (the
    /// line std prints before the abort that fcopy turns into status 1), glibc's `failed to
    /// register TLS destructor: out of memory` (a thread's start, also an abort), or a file's
    /// `Cannot allocate memory` (a buffer that could not be had even at one page).
    MemoryExhausted,
    /// Never reached `main`: the dynamic loader could not map a library or the thread's TLS
    /// (status 127), or std's runtime could not map the main thread's signal stack (its panic
    /// in start-up code, SIGABRT): nothing fcopy's code can answer.
    BeforeMain,
    /// A debug build only: its main thread needs about 1 MiB of stack (clap's unoptimised
    /// frames), far beyond the 128 KiB the kernel maps at exec, and a stack that cannot grow
    /// under `RLIMIT_AS` is SIGSEGV. The release build needs less than 96 KiB (measured with
    /// `ulimit -s`), never grows its stack, and is held to the strict rule (CI runs it).
    DebugStack,
}

/// What a run that ran out of memory says (see [`Outcome::MemoryExhausted`]).
const MEMORY_TEXTS: [&str; 4] = [
    "memory exhausted",
    "memory allocation of",
    "out of memory",
    "Cannot allocate memory",
];

/// Judges one run; `Err` describes a run that ended in a way it must never end.
fn judge(dir: &Path, workload: &Workload, out: &Output) -> Result<Outcome, String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let has = |texts: &[&str]| texts.iter().any(|t| stderr.contains(t));
    match (out.status.code(), out.status.signal()) {
        (Some(0), _) => (workload.check)(dir).map(|()| Outcome::Copied),
        (Some(1), _) if has(&MEMORY_TEXTS) => Ok(Outcome::MemoryExhausted),
        // Where panics unwind (a debug build), a helper thread's quiet ENOMEM panic can fail to
        // start unwinding for want of memory: std's abort, status 1 too.
        (Some(1), _) if cfg!(debug_assertions) && has(&["failed to initiate panic"]) => {
            Ok(Outcome::MemoryExhausted)
        }
        (Some(127), _)
            if has(&[
                "error while loading shared libraries",
                "cannot allocate TLS data structures",
            ]) =>
        {
            Ok(Outcome::BeforeMain)
        }
        (None, Some(6))
            if stderr.contains("thread 'main'")
                && stderr.contains("failed to allocate an alternative stack")
                && !has(&["memory exhausted", "memory allocation of"]) =>
        {
            Ok(Outcome::BeforeMain)
        }
        (None, Some(11)) if cfg!(debug_assertions) => Ok(Outcome::DebugStack),
        _ => Err(format!("{:?}: {stderr}", out.status)),
    }
}

/// Runs `workload` once under `limit` KiB in `dir`, after removing its outputs.
fn run_workload(dir: &Path, workload: &Workload, limit: u64) -> Output {
    for name in workload.outputs {
        let path = dir.join(name);
        let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
    }
    if workload.args.contains("--batch") {
        fs::create_dir(dir.join("bout")).unwrap();
    }
    let stdin = workload.stdin.map(|name| dir.join(name));
    fcopy_under_vm_limit(dir, limit, workload.args, stdin.as_deref())
}

/// The lowest limit (KiB, to within 64) under which `workload` copies, searched from `start`
/// (fcopy's start-up need) up to 256 MiB; `None` if it fails even there.
fn success_limit(dir: &Path, workload: &Workload, start: u64) -> Option<u64> {
    let copies = |kib| {
        let out = run_workload(dir, workload, kib);
        out.status.success() && (workload.check)(dir).is_ok()
    };
    let (mut lo, mut hi) = (start, start + 8 * 1024);
    while !copies(hi) {
        if hi >= 256 * 1024 {
            return None;
        }
        (lo, hi) = (hi, hi * 2);
    }
    while hi - lo > 64 {
        let mid = (lo + hi) / 2;
        if copies(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Every file under `src` is under `dst` with the same bytes.
fn same_tree(src: &Path, dst: &Path) -> Result<(), String> {
    for entry in fs::read_dir(src).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            same_tree(&from, &to)?;
        } else {
            same_content(&from, &to).map_err(|e| format!("{}: {e}", to.display()))?;
        }
    }
    Ok(())
}

/// `links/d/fN` and `links/d/lN` are one file: its copy must be one file too.
fn same_tree_and_links(dir: &Path) -> Result<(), String> {
    same_tree(&dir.join("links"), &dir.join("lout"))?;
    for i in 0..LINKS {
        let ino = |name: String| fs::metadata(dir.join("lout/d").join(name)).map(|m| m.ino());
        if ino(format!("f{i}")).ok() != ino(format!("l{i}")).ok() {
            return Err(format!("lout/d/f{i} and lout/d/l{i} are not one file"));
        }
    }
    Ok(())
}

/// Files in the tree of the sweep, and hard-linked pairs in its tree of links.
const TREE_FILES: usize = 300;
const LINKS: usize = 300;

/// Makes the sweep's sources in `env`: a 3 MiB file `a`, a tree `tree` of [`TREE_FILES`] small
/// files in 30 directories, `links/d` of [`LINKS`] pairs of hard links, and a batch list
/// `jobs` of 150 jobs from `bsrc` into `bout`.
fn sweep_sources(env: &TestEnv) {
    env.write("a", pattern(3 * M, 7));
    for i in 0..TREE_FILES {
        env.write(
            format!("tree/d{}/f{i}", i % 30),
            pattern(100 + i % 900, i as u64),
        );
    }
    for i in 0..LINKS {
        env.write(format!("links/d/f{i}"), format!("{i}\n"));
        fs::hard_link(
            env.join(format!("links/d/f{i}")),
            env.join(format!("links/d/l{i}")),
        )
        .unwrap();
    }
    let mut jobs = String::new();
    for i in 0..150 {
        env.write(format!("bsrc/f{i}"), pattern(1 + i * 37, i as u64));
        jobs.push_str(&format!("bsrc/f{i}\tbout/f{i}\n"));
    }
    env.write("jobs", jobs);
}

/// `a`'s copy `to` in `dir` has `a`'s bytes.
fn copy_of_a(dir: &Path, to: &str) -> Result<(), String> {
    same_content(&dir.join("a"), &dir.join(to))
}

/// The commands of the sweep.
fn workloads() -> [Workload; 7] {
    [
        Workload {
            args: "a b",
            stdin: None,
            outputs: &["b"],
            check: |d| copy_of_a(d, "b"),
        },
        Workload {
            args: "-r tree out",
            stdin: None,
            outputs: &["out"],
            check: |d| same_tree(&d.join("tree"), &d.join("out")),
        },
        Workload {
            args: "-r -j 8 tree out8",
            stdin: None,
            outputs: &["out8"],
            check: |d| same_tree(&d.join("tree"), &d.join("out8")),
        },
        Workload {
            args: "--verify a v",
            stdin: None,
            outputs: &["v"],
            check: |d| copy_of_a(d, "v"),
        },
        Workload {
            args: "- s",
            stdin: Some("a"),
            outputs: &["s"],
            check: |d| copy_of_a(d, "s"),
        },
        Workload {
            args: "-a links lout",
            stdin: None,
            outputs: &["lout"],
            check: same_tree_and_links,
        },
        Workload {
            args: "--batch jobs -j 4",
            stdin: None,
            outputs: &["bout"],
            check: |d| same_tree(&d.join("bsrc"), &d.join("bout")),
        },
    ]
}

/// Issue 14: under every `ulimit -v` from below what fcopy needs to start up to what each
/// command needs, every run either copies correctly or exits 1 saying that memory ran out —
/// never death by SIGABRT (before: `memory allocation of N bytes failed`, status 134, from
/// clap's parsing, the tree walk, the hard-link map). Runs that never reach `main` (the loader,
/// std's runtime start-up) are told apart by their own messages. The sweep must meet some runs
/// that fail inside `main`, or it proves nothing.
#[test]
fn under_any_memory_limit_fcopy_copies_or_exits_1_never_aborts() {
    let env = TestEnv::new();
    let Some(start) = startup_address_space(env.path()) else {
        skip("fcopy --version does not run under ulimit -v 262144 here (sanitizer, emulator?)");
        return;
    };
    sweep_sources(&env);
    let mut failed_in_main = 0;
    let mut bad = Vec::new();
    for (n, workload) in workloads().iter().enumerate() {
        let Some(need) = success_limit(env.path(), workload, start) else {
            bad.push(format!("{}: fails even under 256 MiB", workload.args));
            continue;
        };
        // From 192 KiB below start-up's need (the loader, malloc's first heap) to the command's
        // own, in 16 steps; the first command also every 8 KiB around start-up's need.
        let low = start.saturating_sub(192);
        let mut limits: Vec<u64> = (0..=16).map(|i| low + (need + 8 - low) * i / 16).collect();
        if n == 0 {
            limits.extend((low..start + 32).step_by(8));
        }
        for limit in limits {
            let out = run_workload(env.path(), workload, limit);
            match judge(env.path(), workload, &out) {
                Ok(Outcome::MemoryExhausted) => failed_in_main += 1,
                Ok(_) => {}
                Err(why) => bad.push(format!("ulimit -v {limit}; fcopy {}: {why}", workload.args)),
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        failed_in_main > 0,
        "no run failed inside main: the sweep tests nothing"
    );
}
