//! The differential harness: build one fixture in two sibling scratch directories, run GNU cp
//! (`/usr/bin/cp`) in one and fcopy (through a symlink named `cp`, so messages say `cp:`) in the
//! other with the same relative arguments, and compare exit status, stdout, stderr and the
//! resulting trees (type, mode, size, content, symlink target, owner, times, `user.*` xattrs,
//! device numbers and hard-link structure).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, Timespec, Timestamps, CWD};

use crate::testenv::{test_base, FCOPY};

/// GNU cp, the reference.
pub const GNU_CP: &str = "/usr/bin/cp";

/// Whether GNU cp is here; prints a SKIP line when it is not.
pub fn have_gnu() -> bool {
    if Path::new(GNU_CP).is_file() {
        true
    } else {
        crate::testenv::skip("GNU cp (/usr/bin/cp) is not installed")
    }
}

/// Whether GNU cp can be compared as `nobody` here (GNU cp, root, setpriv); prints a SKIP line
/// when not.
pub fn gnu_as_nobody() -> bool {
    if !have_gnu() {
        return false;
    }
    if !crate::testenv::is_root() || !Path::new("/usr/bin/setpriv").exists() {
        return crate::testenv::skip("needs root and setpriv to run as nobody");
    }
    true
}

/// Runs `cp ARGS` as `nobody` (setpriv, no groups) in `dir`, in the C locale, with `cp` being
/// `program`: (status, stdout, stderr).
pub fn run_as_nobody(program: &Path, dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let bin = dir.join(".bin");
    let _ = fs::create_dir(&bin);
    let _ = fs::remove_file(bin.join("cp"));
    std::os::unix::fs::symlink(program, bin.join("cp")).unwrap();
    let out = std::process::Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cp"])
        .args(args)
        .current_dir(dir)
        .env("PATH", &bin)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The base of stamped modification times (2001-09-09): anything older than the run is stamped.
const MTIME_BASE: i64 = 1_000_000_000;

/// One side's result: status, output and the tree.
#[derive(Debug)]
pub struct Side {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub tree: BTreeMap<Vec<u8>, Node>,
    pub links: BTreeSet<Vec<Vec<u8>>>,
    pub root: PathBuf,
}

/// What is compared about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: char,
    pub mode: u32,
    pub size: Option<u64>,
    pub content: Option<Vec<u8>>,
    pub target: Option<Vec<u8>>,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub mtime: Time,
    pub atime: Time,
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A timestamp; "fresh" ones (set during the run) compare equal to each other.
#[derive(Debug, Clone, Copy)]
pub struct Time {
    pub sec: i64,
    pub nsec: i64,
    pub fresh: bool,
}

impl PartialEq for Time {
    fn eq(&self, o: &Time) -> bool {
        (self.fresh && o.fresh) || (self.sec, self.nsec) == (o.sec, o.nsec)
    }
}
impl Eq for Time {}

/// Code that builds (part of) a fixture in the scratch directory it is given.
type Fixture = Box<dyn Fn(&Path)>;

/// Every path's node, and the hard-link groups (paths sharing an inode).
type Snapshot = (BTreeMap<Vec<u8>, Node>, BTreeSet<Vec<Vec<u8>>>);

/// A differential case.
pub struct Diff {
    setup: Fixture,
    post: Vec<Fixture>,
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    env: Vec<(String, String)>,
    fifo_feed: Option<(PathBuf, Vec<u8>)>,
    cwd: Option<PathBuf>,
    stamp: bool,
    unordered: bool,
    outputs_only: bool,
}

impl Diff {
    /// A case whose fixture `setup` builds (in an empty directory given as its argument).
    pub fn new(setup: impl Fn(&Path) + 'static) -> Diff {
        Diff {
            setup: Box::new(setup),
            post: Vec::new(),
            args: Vec::new(),
            stdin: None,
            env: Vec::new(),
            fifo_feed: None,
            cwd: None,
            stamp: true,
            unordered: false,
            outputs_only: false,
        }
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: &[S]) -> Diff {
        self.args = args.iter().map(|a| a.as_ref().to_owned()).collect();
        self
    }

    pub fn stdin(mut self, data: &[u8]) -> Diff {
        self.stdin = Some(data.to_vec());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Diff {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs the command in this subdirectory of the scratch directory.
    pub fn cwd(mut self, rel: &str) -> Diff {
        self.cwd = Some(PathBuf::from(rel));
        self
    }

    /// Runs after the timestamps are stamped (e.g. to make one file newer).
    pub fn post(mut self, f: impl Fn(&Path) + 'static) -> Diff {
        self.post.push(Box::new(f));
        self
    }

    /// Compares stdout and stderr as sets of lines: tree walks visit entries in inode order, and
    /// the two fixtures' inode numbers differ (so GNU's order is not reproducible between them).
    pub fn unordered(mut self) -> Diff {
        self.unordered = true;
        self
    }

    /// Compares status and output only: for copies into themselves, how much GNU copies before
    /// it notices depends on inode numbers (a new directory's may be lower than old files').
    pub fn outputs_only(mut self) -> Diff {
        self.outputs_only = true;
        self
    }

    /// Keeps the times the fixture gave its files.
    pub fn no_stamp(mut self) -> Diff {
        self.stamp = false;
        self
    }

    /// Writes `data` into the FIFO `rel` (relative to the scratch dir) if and when someone reads it.
    pub fn feed_fifo(mut self, rel: &str, data: &[u8]) -> Diff {
        self.fifo_feed = Some((PathBuf::from(rel), data.to_vec()));
        self
    }

    /// Runs both sides and returns them (GNU first).
    pub fn run(&self) -> (Side, Side) {
        self.run_then(|_| {})
    }

    /// Runs both sides, then `teardown` on each scratch directory (e.g. to unmount).
    pub fn run_then(&self, teardown: impl Fn(&Path)) -> (Side, Side) {
        let base = tempfile::Builder::new()
            .prefix("gnu-compat-")
            .tempdir_in(test_base())
            .expect("tempdir");
        let bin = base.path().join("bin");
        fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(FCOPY, bin.join("cp")).unwrap();
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 2;
        let gnu = self.side(base.path(), "gnu", Path::new(GNU_CP), start);
        let ours = self.side(base.path(), "fcopy", &bin.join("cp"), start);
        teardown(&gnu.root);
        teardown(&ours.root);
        // Leave nothing unremovable behind (0555 directories are fine for root, not for others).
        make_removable(base.path());
        (gnu, ours)
    }

    fn side(&self, base: &Path, name: &str, program: &Path, start: i64) -> Side {
        let root = base.join(name);
        fs::create_dir(&root).unwrap();
        (self.setup)(&root);
        if self.stamp {
            stamp(&root, start);
        }
        for post in &self.post {
            post(&root);
        }
        let cwd = match &self.cwd {
            Some(rel) => root.join(rel),
            None => root.clone(),
        };
        let mut cmd = Command::new(program);
        // argv[0] "cp" for both: GNU prints argv[0] as given, fcopy its base name.
        cmd.arg0("cp")
            .args(&self.args)
            .current_dir(&cwd)
            .env("LC_ALL", "C")
            .env_remove("VERSION_CONTROL")
            .env_remove("SIMPLE_BACKUP_SUFFIX")
            .env_remove("POSIXLY_CORRECT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let feeder = self.fifo_feed.as_ref().map(|(rel, data)| {
            let path = root.join(rel);
            let data = data.clone();
            std::thread::spawn(move || feed_fifo(&path, &data))
        });
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        if let Some(data) = &self.stdin {
            let mut input = child.stdin.take().unwrap();
            let _ = input.write_all(data);
        }
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out_t = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            s
        });
        let err_t = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err.read_to_end(&mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if let Some(f) = feeder {
            let _ = f.join();
        }
        let stdout = String::from_utf8_lossy(&out_t.join().unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
        let (tree, links) = snapshot(&root, start);
        Side {
            code: status.and_then(|s| s.code()),
            stdout,
            stderr,
            tree,
            links,
            root,
        }
    }

    /// Runs both and asserts they agree; returns fcopy's side for further checks.
    #[track_caller]
    pub fn check(&self) -> Side {
        let (mut gnu, mut ours) = self.run();
        if self.unordered {
            for side in [&mut gnu, &mut ours] {
                for text in [&mut side.stdout, &mut side.stderr] {
                    let mut lines: Vec<&str> = text.lines().collect();
                    lines.sort_unstable();
                    *text = lines.join("\n");
                }
            }
        }
        if self.outputs_only {
            for side in [&mut gnu, &mut ours] {
                side.tree.clear();
                side.links.clear();
            }
        }
        assert_same(&self.args, &gnu, &ours);
        ours
    }
}

/// Asserts two sides agree, with a readable report when they do not.
#[track_caller]
pub fn assert_same(args: &[OsString], gnu: &Side, ours: &Side) {
    let mut problems = String::new();
    if gnu.code != ours.code {
        let _ = writeln!(
            problems,
            "exit status: GNU {:?}, fcopy {:?}",
            gnu.code, ours.code
        );
    }
    if gnu.stdout != ours.stdout {
        let _ = writeln!(
            problems,
            "stdout differs:\n--- GNU\n{}--- fcopy\n{}",
            gnu.stdout, ours.stdout
        );
    }
    if gnu.stderr != ours.stderr {
        let _ = writeln!(
            problems,
            "stderr differs:\n--- GNU\n{}--- fcopy\n{}",
            gnu.stderr, ours.stderr
        );
    }
    let paths: BTreeSet<&Vec<u8>> = gnu.tree.keys().chain(ours.tree.keys()).collect();
    for p in paths {
        let shown = String::from_utf8_lossy(p);
        match (gnu.tree.get(p), ours.tree.get(p)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                let _ = writeln!(
                    problems,
                    "{shown}: differs\n  GNU   {}\n  fcopy {}",
                    show(a),
                    show(b)
                );
            }
            (Some(a), None) => {
                let _ = writeln!(problems, "{shown}: only in GNU's tree ({})", show(a));
            }
            (None, Some(b)) => {
                let _ = writeln!(problems, "{shown}: only in fcopy's tree ({})", show(b));
            }
            (None, None) => unreachable!(),
        }
    }
    if gnu.links != ours.links {
        let _ = writeln!(
            problems,
            "hard-link groups differ:\n  GNU   {}\n  fcopy {}",
            show_links(&gnu.links),
            show_links(&ours.links)
        );
    }
    if !problems.is_empty() {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        panic!(
            "cp {} — GNU cp and fcopy differ:\n{problems}\nGNU tree:\n{}\nfcopy tree:\n{}",
            args.join(" "),
            listing(gnu),
            listing(ours)
        );
    }
}

fn show(n: &Node) -> String {
    let mut s = format!("{}{:04o} uid={} gid={}", n.kind, n.mode, n.uid, n.gid);
    if let Some(size) = n.size {
        let _ = write!(s, " size={size}");
    }
    if let Some(c) = &n.content {
        let text = String::from_utf8_lossy(&c[..c.len().min(40)]).into_owned();
        let _ = write!(s, " data={text:?}");
    }
    if let Some(t) = &n.target {
        let _ = write!(s, " -> {}", String::from_utf8_lossy(t));
    }
    if n.rdev != 0 {
        let _ = write!(s, " rdev={:#x}", n.rdev);
    }
    let time = |t: &Time| {
        if t.fresh {
            "fresh".to_owned()
        } else {
            format!("{}.{:09}", t.sec, t.nsec)
        }
    };
    let _ = write!(s, " mtime={} atime={}", time(&n.mtime), time(&n.atime));
    for (k, v) in &n.xattrs {
        let _ = write!(
            s,
            " {}={}",
            String::from_utf8_lossy(k),
            String::from_utf8_lossy(v)
        );
    }
    s
}

fn show_links(links: &BTreeSet<Vec<Vec<u8>>>) -> String {
    let groups: Vec<String> = links
        .iter()
        .map(|g| {
            let names: Vec<String> = g
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            format!("{{{}}}", names.join(", "))
        })
        .collect();
    groups.join(" ")
}

fn listing(side: &Side) -> String {
    let mut out = String::new();
    for (p, n) in &side.tree {
        let _ = writeln!(out, "  {:<40} {}", String::from_utf8_lossy(p), show(n));
    }
    out
}

/// Every path under `root` (not following symlinks), with hard-link groups of non-directories.
pub fn snapshot(root: &Path, start: i64) -> Snapshot {
    let mut tree = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<Vec<u8>>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(md) = path.symlink_metadata() else {
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec();
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                'd'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_file() {
                '-'
            } else {
                use std::os::unix::fs::FileTypeExt;
                if ft.is_fifo() {
                    'p'
                } else if ft.is_char_device() {
                    'c'
                } else if ft.is_block_device() {
                    'b'
                } else {
                    's'
                }
            };
            let fresh = |sec: i64| sec >= start && sec < start + 86_400;
            let mtime = Time {
                sec: md.mtime(),
                nsec: md.mtime_nsec(),
                fresh: fresh(md.mtime()),
            };
            let atime = Time {
                sec: md.atime(),
                nsec: md.atime_nsec(),
                fresh: fresh(md.atime()),
            };
            let node = Node {
                kind,
                mode: md.mode() & 0o7777,
                size: (kind == '-').then_some(md.len()),
                content: (kind == '-').then(|| read_content(&path)),
                target: (kind == 'l').then(|| {
                    fs::read_link(&path)
                        .unwrap()
                        .as_os_str()
                        .as_bytes()
                        .to_vec()
                }),
                uid: md.uid(),
                gid: md.gid(),
                rdev: if matches!(kind, 'c' | 'b') {
                    md.rdev()
                } else {
                    0
                },
                mtime,
                atime,
                xattrs: user_xattrs(&path),
            };
            if kind != 'd' {
                inodes.entry(md.ino()).or_default().push(rel.clone());
            } else {
                stack.push(path.clone());
            }
            tree.insert(rel, node);
        }
    }
    let links = inodes
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    (tree, links)
}

fn read_content(path: &Path) -> Vec<u8> {
    // Files fcopy and cp write here are small; large ones are compared by a digest.
    let data = fs::read(path).unwrap_or_default();
    if data.len() <= 1 << 16 {
        return data;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("<{} bytes, fnv {h:016x}>", data.len()).into_bytes()
}

/// The `user.*` extended attributes and POSIX ACLs (`system.posix_acl_*`) of a path (not
/// following symlinks), sorted.
pub fn user_xattrs(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut names = vec![0u8; 4096];
    let Ok(n) = rustix::fs::llistxattr(path, &mut names[..]) else {
        return Vec::new();
    };
    names.truncate(n);
    let mut out = Vec::new();
    for name in names
        .split(|&b| b == 0)
        .filter(|n| n.starts_with(b"user.") || n.starts_with(b"system.posix_acl_"))
    {
        let mut value = vec![0u8; 4096];
        if let Ok(len) = rustix::fs::lgetxattr(path, OsStr::from_bytes(name), &mut value[..]) {
            value.truncate(len);
            out.push((name.to_vec(), value));
        }
    }
    out.sort();
    out
}

/// Gives every path under `root` a distinct, deterministic mtime (2001 plus the path's rank,
/// with nanoseconds) and an atime far in the future (so reading never updates it).
pub fn stamp(root: &Path, start: i64) {
    let (tree, _) = snapshot(root, start);
    // Deepest first, so setting a child's time never disturbs a parent's (it would not anyway).
    let mut paths: Vec<&Vec<u8>> = tree.keys().collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in paths {
        let rank = tree.keys().position(|k| k == p).unwrap() as i64;
        let path = root.join(OsStr::from_bytes(p));
        let times = Timestamps {
            last_access: Timespec {
                tv_sec: start + 30 * 86_400 + rank,
                tv_nsec: 123_456_789,
            },
            last_modification: Timespec {
                tv_sec: MTIME_BASE + rank * 1000,
                tv_nsec: (rank * 7_654_321 + 1) % 1_000_000_000,
            },
        };
        rustix::fs::utimensat(CWD, &path, &times, AtFlags::SYMLINK_NOFOLLOW)
            .unwrap_or_else(|e| panic!("utimensat {}: {e}", path.display()));
    }
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: start + 40 * 86_400,
            tv_nsec: 0,
        },
        last_modification: Timespec {
            tv_sec: MTIME_BASE - 1000,
            tv_nsec: 0,
        },
    };
    let _ = rustix::fs::utimensat(CWD, root, &times, AtFlags::empty());
}

/// Sets a path's mtime (seconds since the epoch), not following symlinks.
pub fn set_mtime(path: &Path, sec: i64) {
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: sec,
            tv_nsec: 0,
        },
        last_modification: Timespec {
            tv_sec: sec,
            tv_nsec: 0,
        },
    };
    rustix::fs::utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

fn feed_fifo(path: &Path, data: &[u8]) {
    use rustix::fs::{Mode, OFlags};
    let deadline = Instant::now() + Duration::from_secs(5);
    // Wait for a reader (ENXIO until one opens the FIFO); give up if none comes.
    let fd = loop {
        match rustix::fs::open(
            path,
            OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => break fd,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return,
        }
    };
    let mut f = fs::File::from(fd);
    let _ = f.write_all(data);
}

fn make_removable(dir: &Path) {
    if let Ok(md) = dir.symlink_metadata() {
        if md.is_dir() {
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
            if let Ok(entries) = fs::read_dir(dir) {
                for e in entries.flatten() {
                    make_removable(&e.path());
                }
            }
        }
    }
}

// ---- fixture helpers (paths relative to the scratch directory) ----

pub fn file(root: &Path, rel: &str, data: &str) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(p, data).unwrap();
}

pub fn dir(root: &Path, rel: &str) {
    fs::create_dir_all(root.join(rel)).unwrap();
}

pub fn symlink(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    std::os::unix::fs::symlink(target, p).unwrap();
}

pub fn hardlink(root: &Path, existing: &str, new: &str) {
    fs::hard_link(root.join(existing), root.join(new)).unwrap();
}

pub fn chmod(root: &Path, rel: &str, mode: u32) {
    fs::set_permissions(root.join(rel), fs::Permissions::from_mode(mode)).unwrap();
}

pub fn chown(root: &Path, rel: &str, uid: u32, gid: u32) {
    rustix::fs::chownat(
        CWD,
        root.join(rel),
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

pub fn fifo(root: &Path, rel: &str) {
    rustix::fs::mknodat(
        CWD,
        root.join(rel),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o640),
        0,
    )
    .unwrap();
}

pub fn xattr(root: &Path, rel: &str, name: &str, value: &str) -> bool {
    rustix::fs::lsetxattr(
        root.join(rel),
        name,
        value.as_bytes(),
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok()
}

/// A scratch directory for fcopy-only assertions.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("gnu-compat-")
        .tempdir_in(test_base())
        .expect("tempdir")
}

/// Runs fcopy (as `cp`) in `dir` with `args` and optional stdin; returns (code, stdout, stderr).
pub fn fcopy_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> (Option<i32>, String, String) {
    let bin = dir.join(".bin");
    if !bin.exists() {
        fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(FCOPY, bin.join("cp")).unwrap();
    }
    run_in(&bin.join("cp"), dir, args, stdin)
}

pub fn run_in(
    program: &Path,
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> (Option<i32>, String, String) {
    let mut child = Command::new(program)
        .arg0("cp")
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .env_remove("VERSION_CONTROL")
        .env_remove("SIMPLE_BACKUP_SUFFIX")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        let _ = child.stdin.take().unwrap().write_all(data);
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
