//! The test environment: a temporary directory with fixture files, a runner for the built
//! `fcopy` binary, and helpers for tools (strace, loop devices, mkfs) that some tests need.
//!
//! Every assertion failure shows the command, its exit status, stdout, stderr and a listing of
//! the test directory, so a failing test explains itself.

#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};

use tempfile::TempDir;

/// The binary under test.
pub const FCOPY: &str = env!("CARGO_BIN_EXE_fcopy");

/// Whether we run in CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips the test (reports it with [`record_skip`] and returns `false`) — or, in CI, fails it.
pub fn skip(why: &str) -> bool {
    if in_ci() {
        panic!("required for this test in CI: {why}");
    }
    record_skip(why);
    false
}

/// How many tests of this run have skipped so far.
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Reports a skipped test where a person sees it, and does not fail (use [`skip`] for a missing
/// tool, which fails under `CI=true`; this is for what the machine simply is, such as a test
/// directory that is not on ext4).
///
/// cargo captures what a passing test prints with `eprintln!`, so a skip would vanish inside
/// "N passed". This line is written to the process's standard error directly (libtest captures
/// only the print macros), names the test and counts the skips so far, e.g.
/// `SKIPPED (3 so far): faults::eio_after_progress: strace is not installed`. The last such
/// line before cargo's `test result:` gives the run's total; `cargo test 2>&1 | grep SKIPPED`
/// lists them.
pub fn record_skip(why: &str) {
    let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("(unnamed test)");
    let line = format!("\nSKIPPED ({n} so far): {test}: {why}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Whether `tool` is on PATH (or in /sbin, /usr/sbin); skips (or fails in CI) when it is not.
pub fn require_tool(tool: &str) -> bool {
    if find_tool(tool).is_some() {
        return true;
    }
    skip(&format!("{tool} is not installed"))
}

pub fn find_tool(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/sbin", "/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether we are root; skips (or fails in CI) when not.
pub fn require_root(why: &str) -> bool {
    is_root() || skip(&format!("{why} needs root"))
}

/// Whether `strace` can trace and inject here (it needs ptrace); skips (or fails in CI).
pub fn require_strace() -> bool {
    if !require_tool("strace") {
        return false;
    }
    let ok = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "-e", "trace=none", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok || skip("strace cannot trace processes here (ptrace not permitted)")
}

/// The filesystem magic (`statfs` `f_type`) of a path.
pub fn fs_magic(path: &Path) -> u64 {
    rustix::fs::statfs(path).expect("statfs").f_type as u64
}

pub const EXT4_MAGIC: u64 = 0xEF53;
pub const TMPFS_MAGIC: u64 = 0x0102_1994;

/// The base directory for tests that want the build tree's (usually ext4) filesystem, and for
/// loop images.
pub fn disk_base() -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-tmp");
    fs::create_dir_all(&base).expect("create test-tmp");
    base
}

/// The environment variable that moves `TestEnv::new()` (and the GNU differential tests) to
/// another directory, e.g. a tmpfs or a loop-mounted XFS or btrfs (see `.ci/fs-matrix`).
pub const TEST_DIR_VAR: &str = "FCOPY_TEST_DIR";

/// The base directory of `TestEnv::new()`: `$FCOPY_TEST_DIR` when set (created if missing),
/// otherwise `disk_base()`.
pub fn test_base() -> PathBuf {
    match std::env::var_os(TEST_DIR_VAR).filter(|v| !v.is_empty()) {
        Some(dir) => {
            let base = PathBuf::from(dir);
            fs::create_dir_all(&base)
                .unwrap_or_else(|e| panic!("{TEST_DIR_VAR}={}: {e}", base.display()));
            base
        }
        None => disk_base(),
    }
}

pub const XFS_MAGIC: u64 = 0x5846_5342;
pub const BTRFS_MAGIC: u64 = 0x9123_683E;

/// Whether fcopy clones (FICLONE) by default at `path`: btrfs and XFS (`--reflink=auto`).
pub fn clones_by_default(path: &Path) -> bool {
    matches!(fs_magic(path), XFS_MAGIC | BTRFS_MAGIC)
}

/// Adds to strace arguments (which must have a `-e trace=...`) an injection that makes FICLONE
/// fail (EOPNOTSUPP, as on a filesystem that cannot clone) where fcopy would clone by default,
/// so fault-injection tests reach copy_file_range (and its fallbacks) on btrfs and XFS too;
/// elsewhere the arguments are returned unchanged. strace only tampers with traced syscalls, so
/// `ioctl` joins the trace set. The injection hits every ioctl: the others fcopy makes (TCGETS,
/// for isatty) then say "not a terminal", which under the tests they are not anyway.
pub fn with_failing_clone(path: &Path, mut strace: Vec<String>) -> Vec<String> {
    if clones_by_default(path) {
        let trace = strace
            .iter_mut()
            .find(|a| a.starts_with("trace="))
            .expect("strace arguments without -e trace=");
        trace.push_str(",ioctl");
        strace.extend(["-e".into(), "inject=ioctl:error=EOPNOTSUPP".into()]);
    }
    strace
}

/// The strace command that runs fcopy with `faults` (strace `-e inject=...` expressions, each
/// passed as given) on the system calls that touch `path` (`-P`: a descriptor or name of it),
/// following every thread, its trace thrown away.
pub fn strace_faults_on(path: &Path, faults: &[&str]) -> Vec<String> {
    let mut strace: Vec<String> = ["strace", "-f", "-o", "/dev/null", "-P"]
        .into_iter()
        .map(String::from)
        .collect();
    strace.push(path.to_str().expect("a UTF-8 test path").to_owned());
    for fault in faults {
        strace.extend(["-e".to_owned(), (*fault).to_owned()]);
    }
    strace
}

/// A name for the filesystem at `path` ("ext4", "tmpfs", "xfs", "btrfs" or the magic in hex),
/// for SKIP lines and assertion messages.
pub fn fs_name(path: &Path) -> String {
    match fs_magic(path) {
        EXT4_MAGIC => "ext4".into(),
        TMPFS_MAGIC => "tmpfs".into(),
        XFS_MAGIC => "xfs".into(),
        BTRFS_MAGIC => "btrfs".into(),
        other => format!("fs {other:#x}"),
    }
}

/// A temporary directory in which tests create files and run fcopy.
pub struct TestEnv {
    dir: TempDir,
}

impl TestEnv {
    /// A test directory under `test_base()`: the build tree's filesystem, or `$FCOPY_TEST_DIR`.
    pub fn new() -> TestEnv {
        TestEnv::in_dir(&test_base())
    }

    /// A test directory under `base` (e.g. a tmpfs or a loop mount).
    pub fn in_dir(base: &Path) -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("fcopy-test-")
            .tempdir_in(base)
            .unwrap_or_else(|e| panic!("cannot create a temp dir in {}: {e}", base.display()));
        TestEnv { dir }
    }

    /// A test directory on ext4, or `None` (after a SKIP line) when the test directory
    /// (`test_base()`: the build tree, or `$FCOPY_TEST_DIR`) is elsewhere.
    pub fn on_ext4() -> Option<TestEnv> {
        let env = TestEnv::new();
        if fs_magic(env.path()) == EXT4_MAGIC {
            Some(env)
        } else {
            // Not a missing tool: CI's file system is what it is, so this only skips.
            record_skip(&format!(
                "ext4-only test: {} is on {}",
                test_base().display(),
                fs_name(env.path())
            ));
            None
        }
    }

    /// A test directory on tmpfs (/dev/shm), or `None` after a SKIP (a failure in CI).
    pub fn on_tmpfs() -> Option<TestEnv> {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() && fs_magic(shm) == TMPFS_MAGIC {
            Some(TestEnv::in_dir(shm))
        } else {
            skip("/dev/shm is not a tmpfs");
            None
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a fixture file (creating parent directories).
    pub fn write(&self, rel: impl AsRef<Path>, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, data).unwrap();
        path
    }

    /// Writes `data` as a partial copy that `--resume` may continue: its mtime a second after
    /// now, since `--resume` continues only a DEST written strictly after SOURCE last changed,
    /// and file times come from a coarse clock (a few ms): two files written in one tick would
    /// be copied from the start, and the test would flake.
    pub fn write_partial_copy(&self, rel: impl AsRef<Path>, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.write(rel, data);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        path
    }

    /// Writes a sparse file: `size` bytes, with `data` written at each given offset, the rest holes.
    pub fn write_sparse(&self, rel: impl AsRef<Path>, size: u64, data: &[(u64, &[u8])]) -> PathBuf {
        let path = self.join(rel);
        let f = File::create(&path).unwrap();
        for (at, bytes) in data {
            f.write_all_at(bytes, *at).unwrap();
        }
        f.set_len(size).unwrap();
        f.sync_all().unwrap();
        path
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> Vec<u8> {
        let path = self.join(rel);
        fs::read(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}\n{}", path.display(), self.listing()))
    }

    pub fn exists(&self, rel: impl AsRef<Path>) -> bool {
        self.join(rel).symlink_metadata().is_ok()
    }

    /// A command running fcopy in this directory.
    pub fn fcopy(&self) -> Cmd<'_> {
        Cmd::new(self, FCOPY)
    }

    /// Runs fcopy with `args` in this directory.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        self.fcopy().args(args).run()
    }

    /// A recursive listing of the directory: type, size, allocated bytes and name.
    pub fn listing(&self) -> String {
        let mut out = format!("contents of {}:\n", self.path().display());
        list_dir(self.path(), self.path(), &mut out);
        out
    }

    /// Asserts that `a` and `b` (relative or absolute) have the same bytes, hashing in chunks.
    pub fn assert_same_content(&self, a: impl AsRef<Path>, b: impl AsRef<Path>) {
        let (a, b) = (self.join(a), self.join(b));
        if let Err(why) = same_content(&a, &b) {
            panic!(
                "{} and {} differ: {why}\n{}",
                a.display(),
                b.display(),
                self.listing()
            );
        }
    }
}

fn list_dir(root: &Path, dir: &Path, out: &mut String) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(md) = path.symlink_metadata() else {
            continue;
        };
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let kind = if md.is_dir() {
            'd'
        } else if md.file_type().is_symlink() {
            'l'
        } else {
            '-'
        };
        let _ = write!(
            out,
            "  {kind}{:o} {:>12} bytes {:>12} allocated  {}",
            md.mode() & 0o7777,
            md.len(),
            md.blocks() * 512,
            rel.display()
        );
        if kind == 'l' {
            let _ = write!(
                out,
                " -> {}",
                fs::read_link(&path).unwrap_or_default().display()
            );
        }
        out.push('\n');
        if md.is_dir() {
            list_dir(root, &path, out);
        }
    }
}

/// Compares two files chunk by chunk; `Err` says where they first differ.
pub fn same_content(a: &Path, b: &Path) -> Result<(), String> {
    let (ma, mb) = (
        fs::metadata(a).map_err(|e| format!("{}: {e}", a.display()))?,
        fs::metadata(b).map_err(|e| format!("{}: {e}", b.display()))?,
    );
    if ma.len() != mb.len() {
        return Err(format!("sizes {} and {}", ma.len(), mb.len()));
    }
    let (mut fa, mut fb) = (File::open(a).unwrap(), File::open(b).unwrap());
    let mut ba = vec![0u8; 1 << 20];
    let mut bb = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if na != nb {
            return Err(format!("short read at {offset}"));
        }
        if na == 0 {
            return Ok(());
        }
        if ba[..na] != bb[..nb] {
            let i = ba.iter().zip(&bb).position(|(x, y)| x != y).unwrap();
            return Err(format!("first difference at byte {}", offset + i as u64));
        }
        offset += na as u64;
    }
}

fn read_full(f: &mut File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]).unwrap() {
            0 => break,
            k => n += k,
        }
    }
    n
}

/// Allocated bytes of a file (`st_blocks * 512`).
pub fn allocated(path: &Path) -> u64 {
    fs::metadata(path).unwrap().blocks() * 512
}

/// The data extents of a file per SEEK_DATA/SEEK_HOLE, as half-open ranges.
pub fn data_extents(path: &Path) -> Vec<(u64, u64)> {
    use rustix::fs::{seek, SeekFrom};
    let f = File::open(path).unwrap();
    let size = f.metadata().unwrap().len();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < size {
        let start = match seek(&f, SeekFrom::Data(pos)) {
            Ok(s) => s,
            Err(rustix::io::Errno::NXIO) => break,
            Err(e) => panic!("SEEK_DATA: {e}"),
        };
        let end = seek(&f, SeekFrom::Hole(start)).unwrap();
        out.push((start, end));
        pos = end;
    }
    out
}

/// Waits (polling every millisecond, for at most 10 s) until process `pid` has `path` open, as
/// seen in `/proc/PID/fd`; returns whether it did. A test that signals a copy in progress waits
/// on this instead of sleeping a fixed time: on a loaded machine (CI, parallel tests) the child
/// may not even have reached `main` after a fixed sleep, and a signal then kills it before
/// fcopy's handlers exist (fcopy installs them before it opens any operand).
pub fn wait_until_open(pid: u32, path: &Path) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let fds = PathBuf::from(format!("/proc/{pid}/fd"));
    while std::time::Instant::now() < deadline {
        let open = fs::read_dir(&fds).into_iter().flatten().flatten();
        if open
            .filter_map(|fd| fs::read_link(fd.path()).ok())
            .any(|t| t == path)
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

/// The process strace (`strace_pid`) runs: its child that has left strace's executable for
/// the traced program (strace first forks short-lived children of its own, to probe what
/// ptrace can do), polled for at most 10 s.
pub fn traced_pid(strace_pid: u32) -> Option<u32> {
    let children = format!("/proc/{0}/task/{0}/children", strace_pid);
    let strace_exe = fs::read_link(format!("/proc/{strace_pid}/exe")).ok()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let listed = fs::read_to_string(&children).unwrap_or_default();
        let traced = listed
            .split_whitespace()
            .filter_map(|pid| pid.parse::<u32>().ok())
            .find(|pid| {
                fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe != strace_exe)
            });
        if traced.is_some() {
            return traced;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    None
}

/// Waits (at most 10 s) until a thread of process `pid` is held in one of the system calls
/// `nrs` (x86-64 numbers, as `/proc/PID/task/TID/syscall` gives them): seen in it twice,
/// 30 ms apart, with the same arguments, so a call that strace's `inject=...:delay_*` holds and
/// not a passing one of the same kind. Returns whether it was. A test that acts "while fcopy
/// is in the delayed call" waits on this instead of sleeping a fixed time: on a loaded CI
/// machine fcopy may not have reached the call after a fixed sleep (flake hunt, round 14: a
/// start 150 ms late failed two tests).
pub fn wait_held_in_syscall(pid: u32, nrs: &[u64]) -> bool {
    let in_call = || -> Vec<String> {
        let tasks = fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten();
        tasks
            .flatten()
            .filter_map(|t| fs::read_to_string(t.path().join("syscall")).ok())
            .filter(|line| {
                let nr = line.split_whitespace().next().and_then(|n| n.parse().ok());
                nr.is_some_and(|nr: u64| nrs.contains(&nr))
            })
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let seen = in_call();
        if !seen.is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(30));
            if in_call().iter().any(|line| seen.contains(line)) {
                return true;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

/// Starts `program` with `args` in `dir` under strace, which traces the calls `trace` (a
/// comma-separated list) and applies `inject` (`inject=CALL:delay_enter=...`), with standard
/// error piped; returns once the traced process is held in one of the calls `nrs` (see
/// [`wait_held_in_syscall`]): strace's child and the traced process's pid. Panics if it never
/// is. A test that acts while fcopy waits in a delayed call starts it with this.
pub fn start_held_in(
    dir: &Path,
    trace: &str,
    inject: &str,
    nrs: &[u64],
    program: &str,
    args: &[&str],
) -> (std::process::Child, u32) {
    let child = std::process::Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            &format!("trace={trace}"),
        ])
        .args(["-e", inject, program])
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = traced_pid(child.id()).expect("the program runs under strace");
    assert!(
        wait_held_in_syscall(pid, nrs),
        "{program} never reached its delayed {trace}"
    );
    (child, pid)
}

/// Waits (polling every millisecond, for at most 10 s) until `path` exists; whether it did.
pub fn wait_until_exists(path: &Path) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if fs::symlink_metadata(path).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// What to connect to the child's standard input.
enum Input {
    Null,
    Bytes(Vec<u8>),
    File(File),
}

/// A command being built: fcopy (or a wrapper such as strace around it) with arguments.
pub struct Cmd<'e> {
    env: &'e TestEnv,
    prefix: Vec<OsString>,
    program: OsString,
    args: Vec<OsString>,
    stdin: Input,
    stdout: Option<File>,
    dir: PathBuf,
    timeout: Option<std::time::Duration>,
}

impl<'e> Cmd<'e> {
    fn new(env: &'e TestEnv, program: impl AsRef<OsStr>) -> Self {
        Cmd {
            env,
            prefix: Vec::new(),
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            stdin: Input::Null,
            stdout: None,
            dir: env.path().to_owned(),
            timeout: run_timeout(),
        }
    }

    /// Kills the run (and fails the test) after `limit` instead of [`run_timeout`].
    pub fn timeout(mut self, limit: std::time::Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Runs a different program (e.g. a symlink to fcopy named `cp`).
    pub fn program(mut self, program: impl AsRef<OsStr>) -> Self {
        self.program = program.as_ref().to_owned();
        self
    }

    /// Runs fcopy under a wrapper such as `strace -f ...`.
    pub fn wrapped<S: AsRef<OsStr>>(mut self, prefix: &[S]) -> Self {
        self.prefix = prefix.iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: &[S]) -> Self {
        self.args.extend(args.iter().map(|s| s.as_ref().to_owned()));
        self
    }

    /// Feeds these bytes through a pipe on standard input.
    pub fn stdin_bytes(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Input::Bytes(data.into());
        self
    }

    /// Connects standard input to an open file.
    pub fn stdin_file(mut self, file: File) -> Self {
        self.stdin = Input::File(file);
        self
    }

    /// Connects standard output to an open file instead of a pipe.
    pub fn stdout_file(mut self, file: File) -> Self {
        self.stdout = Some(file);
        self
    }

    /// Runs the command in another directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = dir.as_ref().to_owned();
        self
    }

    fn command_line(&self) -> String {
        let mut line = String::new();
        for part in self
            .prefix
            .iter()
            .chain(std::iter::once(&self.program))
            .chain(&self.args)
        {
            if !line.is_empty() {
                line.push(' ');
            }
            let s = part.to_string_lossy();
            if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'') {
                let _ = write!(line, "'{}'", s.replace('\'', "'\\''"));
            } else {
                line.push_str(&s);
            }
        }
        line
    }

    pub fn run(self) -> Run {
        let line = self.command_line();
        let mut command = match self.prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&self.program);
                c
            }
            None => Command::new(&self.program),
        };
        command.args(&self.args).current_dir(&self.dir);
        command.env_remove("COLUMNS");
        // Its own process group: the watchdog below then stops a wrapper (strace) and the
        // fcopy under it together.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut feed = None;
        match self.stdin {
            Input::Null => {
                command.stdin(Stdio::null());
            }
            Input::Bytes(b) => {
                command.stdin(Stdio::piped());
                feed = Some(b);
            }
            Input::File(f) => {
                command.stdin(Stdio::from(f));
            }
        }
        let to_file = self.stdout.is_some();
        match self.stdout {
            Some(f) => command.stdout(Stdio::from(f)),
            None => command.stdout(Stdio::piped()),
        };
        command.stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {line}: {e}"));
        let writer = feed.map(|bytes| {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                // fcopy may stop reading early (an error): a broken pipe is fine.
                let _ = stdin.write_all(&bytes);
            })
        });
        let watchdog = Watchdog::start(child.id(), self.timeout);
        let output = child.wait_with_output().unwrap();
        if watchdog.fired() {
            let limit = self.timeout.unwrap_or_default();
            panic!("killed after {limit:?} without finishing (a hang?): {line}");
        }
        if let Some(w) = writer {
            w.join().unwrap();
        }
        Run {
            line,
            status: output.status,
            stdout: output.stdout,
            stderr: output.stderr,
            listing: self.env.listing(),
            stdout_redirected: to_file,
        }
    }
}

/// How long one run of a command may take: 300 s, or `FCOPY_TEST_TIMEOUT` seconds (`0`: no
/// limit). `cargo test` has no timeout of its own, so a run that blocks for ever (a FIFO nobody
/// opens, a lost wake-up) would stop CI without naming the test; killed, it fails with its
/// command line. Only runs through [`Cmd::run`] are watched.
pub fn run_timeout() -> Option<std::time::Duration> {
    let secs = match std::env::var("FCOPY_TEST_TIMEOUT") {
        Ok(s) => s.parse::<u64>().unwrap_or_else(|_| {
            panic!("FCOPY_TEST_TIMEOUT={s:?}: expected a whole number of seconds (0: no limit)")
        }),
        Err(_) => 300,
    };
    (secs > 0).then(|| std::time::Duration::from_secs(secs))
}

/// Kills a command's process group (SIGKILL) if it is still running after a time limit.
struct Watchdog {
    finished: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<bool>>,
}

impl Watchdog {
    /// Watches the process group led by `pid` (started with `process_group(0)`); `None`: no
    /// limit. The group is killed only while its leader is not yet reaped (a pidfd asked with
    /// `waitid(WNOWAIT)`), so its number cannot have been reused by another process.
    fn start(pid: u32, limit: Option<std::time::Duration>) -> Watchdog {
        use rustix::process::{PidfdFlags, WaitId, WaitIdOptions};
        let (finished, waited) = std::sync::mpsc::channel::<()>();
        let leader = rustix::process::Pid::from_raw(pid as i32);
        let pidfd = leader.and_then(|p| rustix::process::pidfd_open(p, PidfdFlags::empty()).ok());
        let thread = limit.map(|limit| {
            std::thread::spawn(move || {
                let timed_out = matches!(
                    waited.recv_timeout(limit),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                );
                let unreaped = |fd: &std::os::fd::OwnedFd| {
                    let options =
                        WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
                    rustix::process::waitid(WaitId::PidFd(std::os::fd::AsFd::as_fd(fd)), options)
                        .is_ok()
                };
                match (leader, &pidfd) {
                    (Some(group), Some(fd)) if timed_out && unreaped(fd) => {
                        let _ = rustix::process::kill_process_group(
                            group,
                            rustix::process::Signal::KILL,
                        );
                        true
                    }
                    _ => false,
                }
            })
        });
        Watchdog {
            finished: Some(finished),
            thread,
        }
    }

    /// Stops watching (the command finished): whether it had to be killed.
    fn fired(mut self) -> bool {
        drop(self.finished.take());
        self.thread.take().is_some_and(|t| t.join().unwrap_or(true))
    }
}

/// A finished command, with everything needed to explain a failed assertion.
pub struct Run {
    pub line: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    listing: String,
    stdout_redirected: bool,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Panics with the full context.
    pub fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\ncommand: {}\nstatus: {}\nstdout:{}\n{}\nstderr:\n{}\n{}",
            self.line,
            self.status,
            if self.stdout_redirected {
                " (redirected to a file)"
            } else {
                ""
            },
            if self.stdout.len() > 4096 {
                format!("({} bytes)", self.stdout.len())
            } else {
                self.stdout()
            },
            self.stderr(),
            self.listing
        )
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Asserts exit status 0 and an empty standard error.
    pub fn success(&self) -> &Self {
        if self.code() != Some(0) {
            self.fail("expected exit status 0");
        }
        if !self.stderr.is_empty() {
            self.fail("expected nothing on stderr");
        }
        self
    }

    /// Asserts exit status 0, whatever standard error says (a warning; check it with
    /// [`Run::stderr_is`]).
    pub fn exit_zero(&self) -> &Self {
        if self.code() != Some(0) {
            self.fail("expected exit status 0");
        }
        self
    }

    /// Asserts exit status 1.
    pub fn failure(&self) -> &Self {
        if self.code() != Some(1) {
            self.fail("expected exit status 1");
        }
        self
    }

    /// Asserts standard error is exactly these lines.
    pub fn stderr_is(&self, expected: &str) -> &Self {
        if self.stderr() != expected {
            self.fail(&format!("expected stderr:\n{expected}"));
        }
        self
    }

    /// Asserts standard output is exactly this text.
    pub fn stdout_is(&self, expected: &str) -> &Self {
        if self.stdout() != expected {
            self.fail(&format!("expected stdout:\n{expected}"));
        }
        self
    }

    pub fn stderr_contains(&self, needle: &str) -> &Self {
        if !self.stderr().contains(needle) {
            self.fail(&format!("expected stderr to contain: {needle}"));
        }
        self
    }

    /// Parses standard output as JSON Lines.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| self.fail(&format!("not JSON ({e}): {l}")))
            })
            .collect()
    }

    /// The single file record of a `--json` run (asserting the summary follows it).
    pub fn json_record(&self) -> serde_json::Value {
        let records = self.json();
        if records.len() != 2 || records[1]["type"] != "summary" {
            self.fail("expected one file record and a summary");
        }
        records[0].clone()
    }
}

/// Serializes tests that use loop devices and mounts.
static MOUNT_LOCK: Mutex<()> = Mutex::new(());

/// A filesystem image mounted on a loop device; unmounted and detached on drop (also on panic).
pub struct LoopMount {
    _lock: MutexGuard<'static, ()>,
    dir: TempDir,
    mount_point: PathBuf,
    device: Option<String>,
    mounted: bool,
}

impl LoopMount {
    /// Makes and mounts a `size`-byte image of filesystem `fs` ("btrfs" or "xfs"), or skips.
    pub fn new(fs: &str, size: u64) -> Option<LoopMount> {
        if !require_root(&format!("mounting a {fs} image")) {
            return None;
        }
        let (mkfs, mkfs_args): (&str, &[&str]) = match fs {
            "btrfs" => ("mkfs.btrfs", &["-q", "-f"]),
            "xfs" => ("mkfs.xfs", &["-q", "-f", "-m", "reflink=1"]),
            other => panic!("unknown filesystem {other}"),
        };
        if !require_tool(mkfs) || !require_tool("losetup") || !require_tool("mount") {
            return None;
        }
        if !Path::new("/dev/loop-control").exists() {
            skip("no loop devices (/dev/loop-control)");
            return None;
        }
        let lock = MOUNT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::Builder::new()
            .prefix("fcopy-mount-")
            .tempdir_in(disk_base())
            .unwrap();
        let image = dir.path().join("image");
        File::create(&image).unwrap().set_len(size).unwrap();
        let mount_point = dir.path().join("mnt");
        fs::create_dir(&mount_point).unwrap();
        let mut mount = LoopMount {
            _lock: lock,
            dir,
            mount_point,
            device: None,
            mounted: false,
        };
        sh(Command::new(mkfs).args(mkfs_args).arg(&image));
        let device = sh(Command::new("losetup").args(["-f", "--show"]).arg(&image));
        mount.device = Some(device.trim().to_owned());
        sh(Command::new("mount")
            .arg(device.trim())
            .arg(&mount.mount_point));
        mount.mounted = true;
        Some(mount)
    }

    /// Mounts a tmpfs of `size` bytes (for filling a filesystem), or skips.
    pub fn tmpfs(size: u64) -> Option<LoopMount> {
        if !require_root("mounting a tmpfs") || !require_tool("mount") {
            return None;
        }
        let lock = MOUNT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::Builder::new()
            .prefix("fcopy-mount-")
            .tempdir_in(disk_base())
            .unwrap();
        let mount_point = dir.path().join("mnt");
        fs::create_dir(&mount_point).unwrap();
        let mut mount = LoopMount {
            _lock: lock,
            dir,
            mount_point,
            device: None,
            mounted: false,
        };
        sh(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount.mount_point));
        mount.mounted = true;
        Some(mount)
    }

    pub fn path(&self) -> &Path {
        &self.mount_point
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        if self.mounted {
            // A process just killed by a test may still hold the filesystem for a moment
            // (EBUSY): retry for a second, then detach it lazily rather than leak the mount.
            let unmounted = (0..20).any(|attempt| {
                if attempt > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Command::new("umount")
                    .arg(&self.mount_point)
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            });
            if !unmounted {
                let _ = Command::new("umount")
                    .arg("-l")
                    .arg(&self.mount_point)
                    .status();
            }
        }
        if let Some(dev) = &self.device {
            let _ = Command::new("losetup").args(["-d", dev]).status();
        }
        let _ = &self.dir;
    }
}

/// Runs a setup command, panicking with its output if it fails; returns its stdout.
pub fn sh(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{command:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `filefrag -v` reports any extent of `path` with the `shared` flag.
pub fn has_shared_extents(path: &Path) -> bool {
    // Flush delayed allocation so FIEMAP shows real extents.
    sh(Command::new("sync").arg(path));
    let out = sh(Command::new("filefrag").arg("-v").arg(path));
    out.lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .any(|l| {
            l.split(|c: char| c == ',' || c.is_whitespace())
                .any(|w| w == "shared")
        })
}

/// Opens a file for appending, for standard output redirections like `>>`.
pub fn open_append(path: &Path) -> File {
    fs::OpenOptions::new().append(true).open(path).unwrap()
}

/// A command prefix that runs fcopy as an unprivileged user: nothing when we are not root,
/// `setpriv` to uid/gid 65534 when we are (the test directory is then opened up to that user).
/// `None` after a SKIP (a failure in CI) when root has no setpriv.
pub fn unprivileged(env: &TestEnv) -> Option<Vec<String>> {
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        return Some(Vec::new());
    }
    if !require_tool("setpriv") {
        return None;
    }
    fs::set_permissions(env.path(), fs::Permissions::from_mode(0o777)).unwrap();
    Some(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(String::from)
        .to_vec(),
    )
}

impl LoopMount {
    /// Makes and mounts a `size`-byte ext4 image on a loop device (for ENOSPC, `chattr +i`,
    /// swap files), or skips.
    pub fn ext4(size: u64) -> Option<LoopMount> {
        if !require_root("mounting an ext4 image") {
            return None;
        }
        if !require_tool("mkfs.ext4") || !require_tool("losetup") || !require_tool("mount") {
            return None;
        }
        if !Path::new("/dev/loop-control").exists() {
            skip("no loop devices (/dev/loop-control)");
            return None;
        }
        let lock = MOUNT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::Builder::new()
            .prefix("fcopy-mount-")
            .tempdir_in(disk_base())
            .unwrap();
        let image = dir.path().join("image");
        File::create(&image).unwrap().set_len(size).unwrap();
        let mount_point = dir.path().join("mnt");
        fs::create_dir(&mount_point).unwrap();
        let mut mount = LoopMount {
            _lock: lock,
            dir,
            mount_point,
            device: None,
            mounted: false,
        };
        sh(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&image));
        let device = sh(Command::new("losetup").args(["-f", "--show"]).arg(&image));
        mount.device = Some(device.trim().to_owned());
        sh(Command::new("mount")
            .arg(device.trim())
            .arg(&mount.mount_point));
        mount.mounted = true;
        Some(mount)
    }
}

/// Names in `dir` (recursively) that look like fcopy's `--atomic` temporaries (`.NAME.fcopy-*`).
pub fn atomic_leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(".fcopy-") {
            found.push(path.clone());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(atomic_leftovers(&path));
        }
    }
    found
}

/// Makes a FIFO (mode 0600) at `path`.
pub fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
}
