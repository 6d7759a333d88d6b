//! The race harness: an unprivileged attacker loop swapping names as fast as it can against many runs of each scenario, counting every effect outside the destination (and root's files left in a directory the attacker planted); and two attribute checks of --parents -p and -H links.

use super::*;

// The race harness: an unprivileged attacker swapping names as fast as it can

/// Runs of fcopy per scenario (issue 12 asks for at least 200).
const RACE_RUNS: usize = 200;

/// What is outside the destination, to compare before and after each run: every name under
/// `victim/` with its type, mode, owner, group, link count and mtime.
type Snapshot = Vec<(PathBuf, u32, u32, u32, u64, i64, i64)>;

fn snapshot(dir: &Path) -> Snapshot {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let m = fs::symlink_metadata(&d).unwrap();
        out.push((
            d.strip_prefix(dir).unwrap().to_path_buf(),
            m.mode(),
            m.uid(),
            m.gid(),
            m.nlink(),
            m.mtime(),
            m.mtime_nsec(),
        ));
        if m.is_dir() {
            for e in fs::read_dir(&d).unwrap().flatten() {
                todo.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Effects outside the destination, by kind, summed over a scenario's runs.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Escapes {
    created: usize,
    chmodded: usize,
    chowned: usize,
    linked: usize,
    touched: usize,
    /// Files this run copied (owned by root) found in a directory the attacker owns
    /// ([`Attack::PlantDir`]): root's data handed to another user.
    leaked: usize,
}

impl Escapes {
    fn total(&self) -> usize {
        self.created + self.chmodded + self.chowned + self.linked + self.touched + self.leaked
    }

    /// Adds what differs between two snapshots of the victim directory.
    fn add(&mut self, before: &Snapshot, after: &Snapshot) {
        for b in before {
            match after.iter().find(|a| a.0 == b.0) {
                Some(a) => {
                    self.chmodded += usize::from(a.1 != b.1);
                    self.chowned += usize::from(a.2 != b.2 || a.3 != b.3);
                    self.linked += usize::from(a.4 != b.4 && a.1 & 0o170000 != 0o040000);
                    self.touched += usize::from((a.5, a.6) != (b.5, b.6) && a.1 == b.1);
                }
                None => self.touched += 1,
            }
        }
        self.created += after
            .iter()
            .filter(|a| !before.iter().any(|b| b.0 == a.0))
            .count();
    }
}

/// Resets `victim/` (root's, outside every destination): `file`, `a/f`, `b/`.
fn make_victim(root: &Path) {
    let v = root.join("victim");
    if v.exists() {
        fs::remove_dir_all(&v).unwrap();
    }
    for d in ["", "a", "b"] {
        fs::create_dir_all(v.join(d)).unwrap();
        fs::set_permissions(v.join(d), fs::Permissions::from_mode(0o700)).unwrap();
    }
    for f in ["file", "a/f"] {
        fs::write(v.join(f), "secret\n").unwrap();
        fs::set_permissions(v.join(f), fs::Permissions::from_mode(0o600)).unwrap();
    }
    // Times well in the past, so any change shows.
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for p in ["file", "a/f", "a", "b", ""] {
        let f = fs::File::open(v.join(p)).unwrap();
        f.set_times(fs::FileTimes::new().set_modified(old)).unwrap();
    }
}

/// An existing DEST for a race scenario: nobody's, dated before the source `f`.
fn make_existing(path: &Path) {
    fs::write(path, "old\n").unwrap();
    chown(path, NOBODY);
    let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(800_000_000);
    let f = fs::File::open(path).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(t)).unwrap();
}

/// The decoy of [`Attack::Alternate`]: `shared/p`, nobody's, the first 2 MB of the source
/// `big`, written after `big` last changed: what `--resume` continues (the 1 MiB checks it
/// takes make the windows wide).
fn make_decoy(shared: &Path, source: &[u8]) {
    let path = shared.join("p");
    fs::write(&path, &source[..2_000_000]).unwrap();
    chown(&path, NOBODY);
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    let f = fs::File::open(&path).unwrap();
    f.set_times(fs::FileTimes::new().set_modified(later))
        .unwrap();
}

/// Empties `shared/` (as root; symlinks are removed, never followed).
fn clear_shared(shared: &Path) {
    for e in fs::read_dir(shared).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            fs::remove_dir_all(&p).unwrap();
        } else {
            fs::remove_file(&p).unwrap();
        }
    }
}

/// How the attacker treats the run's name in `shared/`.
#[derive(Copy, Clone)]
enum Attack {
    /// Whenever the name is something fcopy made (not a symlink), rename it away and put a
    /// symlink to `target` in its place.
    SwapCreated(&'static str),
    /// Keep renaming a fresh symlink to `target` over the name (also before fcopy looks).
    RenameOver(&'static str),
    /// Keep making a 0777 directory of the attacker's at the name and renaming it aside, so
    /// that one appears between fcopy's look (DEST missing) and its `mkdir` (red team, round
    /// 7: fcopy copied the tree into it).
    PlantDir,
    /// Keep renaming a fresh symlink over the name, to `target` and to the decoy `shared/p`
    /// (a prefix of SOURCE, see [`make_decoy`]) in turn: a `--resume` check that opens the
    /// name again sees the decoy while the rules and the executor see the victim (red team,
    /// round 12: `-u --resume` overwrote a victim newer than SOURCE, exit 0).
    Alternate(&'static str),
}

impl Attack {
    /// Where the attacker's symlinks lead.
    fn link_target(self) -> &'static str {
        match self {
            Attack::SwapCreated(t) | Attack::RenameOver(t) | Attack::Alternate(t) => t,
            Attack::PlantDir => "",
        }
    }
}

/// A scenario: fcopy's arguments for run `i` (names relative to the test directory), the name
/// under `shared/` attacked, whether `shared/NAME`'s parent is a directory nobody owns made
/// for the run, and the attack.
struct Scenario {
    name: &'static str,
    args: fn(usize) -> Vec<String>,
    /// The attacked name relative to `shared/` for run i.
    target: fn(usize) -> String,
    /// A nobody-owned directory to make under `shared/` before run i.
    run_dir: Option<fn(usize) -> String>,
    /// An existing DEST to make under `shared/` before run i: nobody's regular file, older
    /// than the source `f` (so `-u` replaces it), which is older than the victim's files (so
    /// `-u` never writes through a symlink the rules find there: cp would, legitimately).
    existing: Option<fn(usize) -> String>,
    /// Names under `shared/` where nobody plants a symlink to the attack's target before run i
    /// (red-team round 3: a symlink planted before the run, not swapped in during it).
    planted: Option<fn(usize) -> Vec<String>>,
    attack: Attack,
}

/// The attacker's loop, on its own thread running as nobody (thread credentials: the rest of
/// the test process stays root): act on the current run's name until told to stop.
fn attacker(
    shared: PathBuf,
    scenarios_target: std::sync::Arc<std::sync::Mutex<Option<(PathBuf, Attack, Instant)>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicBool>,
    swaps: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> std::thread::JoinHandle<()> {
    use rustix::fs::{renameat, statat, symlinkat, AtFlags, FileType, CWD};
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        let nobody_g = rustix::process::Gid::from_raw(NOBODY);
        let nobody_u = rustix::process::Uid::from_raw(NOBODY);
        rustix::thread::set_thread_groups(&[]).unwrap();
        rustix::thread::set_thread_res_gid(nobody_g, nobody_g, nobody_g).unwrap();
        rustix::thread::set_thread_res_uid(nobody_u, nobody_u, nobody_u).unwrap();
        assert!(!rustix::process::geteuid().is_root());
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            if waiting.load(Ordering::Relaxed) {
                // The test thread wants the lock (std's mutex is not fair): step aside.
                std::thread::yield_now();
                continue;
            }
            // The lock is held for the whole step: once the test has taken the target away,
            // the attacker has stopped touching the run's names.
            let guard = scenarios_target.lock().unwrap();
            let Some((name, attack, from)) = guard.clone() else {
                continue;
            };
            if Instant::now() < from {
                // Each run is attacked from another moment on, to hit every window.
                continue;
            }
            n += 1;
            let path = shared.join(&name);
            let tmp = path.with_file_name(format!(".x{n}"));
            match attack {
                Attack::SwapCreated(target) => {
                    let Ok(st) = statat(CWD, &path, AtFlags::SYMLINK_NOFOLLOW) else {
                        continue;
                    };
                    if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
                        continue;
                    }
                    let gone = path.with_file_name(format!(".gone{n}"));
                    if renameat(CWD, &path, CWD, &gone).is_ok()
                        && symlinkat(target, CWD, &path).is_ok()
                    {
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Attack::RenameOver(target) => {
                    if symlinkat(target, CWD, &tmp).is_ok()
                        && renameat(CWD, &tmp, CWD, &path).is_ok()
                    {
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Attack::Alternate(target) => {
                    let to = if n.is_multiple_of(2) { target } else { "p" };
                    if symlinkat(to, CWD, &tmp).is_ok() && renameat(CWD, &tmp, CWD, &path).is_ok() {
                        swaps.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Attack::PlantDir => {
                    let mode = rustix::fs::Mode::from_raw_mode(0o777);
                    if rustix::fs::mkdirat(CWD, &path, mode).is_ok() {
                        let _ = rustix::fs::chmod(&path, mode);
                        swaps.fetch_add(1, Ordering::Relaxed);
                        let _ = renameat(CWD, &path, CWD, path.with_file_name(format!(".d{n}")));
                    }
                }
            }
        }
    })
}

fn race_scenarios() -> Vec<Scenario> {
    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }
    vec![
        Scenario {
            name: "-r",
            args: |i| v(&["-r", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "-a",
            args: |i| v(&["-a", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "-j4",
            args: |i| v(&["-a", "-j4", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "--parents",
            args: |i| v(&["--parents", "-p", "a/b/f", &format!("shared/p{i}")]),
            target: |i| format!("p{i}/a"),
            run_dir: Some(|i| format!("p{i}")),
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../../victim"),
        },
        Scenario {
            name: "--attributes-only",
            args: |i| v(&["--attributes-only", "-p", "f", &format!("shared/o{i}")]),
            target: |i| format!("o{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::RenameOver("../victim/created"),
        },
        Scenario {
            name: "-l",
            args: |i| v(&["-rl", "src", &format!("shared/l{i}")]),
            target: |i| format!("l{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../victim"),
        },
        Scenario {
            name: "special files (-a)",
            args: |i| v(&["-a", "special/.", &format!("shared/s{i}")]),
            target: |i| format!("s{i}/p"),
            run_dir: Some(|i| format!("s{i}")),
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../../victim/file"),
        },
        Scenario {
            name: "special files (-r)",
            args: |i| v(&["-r", "special/.", &format!("shared/s{i}")]),
            target: |i| format!("s{i}/p"),
            run_dir: Some(|i| format!("s{i}")),
            existing: None,
            planted: None,
            attack: Attack::SwapCreated("../../victim/file"),
        },
        Scenario {
            name: "--atomic",
            args: |i| v(&["--atomic", "-p", "f", &format!("shared/m{i}")]),
            target: |i| format!("m{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::RenameOver("../victim/created"),
        },
        // An existing DEST (red-team round 3): the attacker keeps renaming a symlink to root's
        // file over it. With -b or --remove-destination a symlink the rules see is renamed or
        // removed, never followed; with -u one they see leads to a newer file and is skipped.
        // Any effect on the victim is a name re-resolved after the rules' look.
        Scenario {
            name: "overwrite (-u)",
            args: |i| v(&["-u", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "-b over existing",
            args: |i| v(&["-b", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "--remove-dest",
            args: |i| v(&["--remove-destination", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "--atomic existing",
            args: |i| v(&["-u", "--atomic", "f", &format!("shared/e{i}")]),
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        Scenario {
            name: "--attr-only existing",
            args: |i| {
                v(&[
                    "-u",
                    "--attributes-only",
                    "-p",
                    "f",
                    &format!("shared/e{i}"),
                ])
            },
            target: |i| format!("e{i}"),
            run_dir: None,
            existing: Some(|i| format!("e{i}")),
            planted: None,
            attack: Attack::RenameOver("../victim/file"),
        },
        // A multiply-linked source over a planted symlink (red-team round 3): symlinks to root's
        // file wait at both names of one file before the run, and the attacker keeps renaming
        // new ones over the first. GNU cp 9.1 writes through the one at the name it copies
        // first; fcopy replaces both.
        Scenario {
            name: "-a links, planted",
            args: |i| v(&["-a", "links/.", &format!("shared/h{i}")]),
            target: |i| format!("h{i}/x"),
            run_dir: Some(|i| format!("h{i}")),
            existing: None,
            planted: Some(|i| vec![format!("h{i}/x"), format!("h{i}/y")]),
            attack: Attack::RenameOver("../../victim/file"),
        },
        Scenario {
            name: "-a -j4 links, planted",
            args: |i| v(&["-a", "-j4", "links/.", &format!("shared/h{i}")]),
            target: |i| format!("h{i}/y"),
            run_dir: Some(|i| format!("h{i}")),
            existing: None,
            planted: Some(|i| vec![format!("h{i}/x"), format!("h{i}/y")]),
            attack: Attack::RenameOver("../../victim/file"),
        },
        // `-u --resume` over a symlink to the victim (newer than the source: -u skips it) that
        // the attacker keeps turning into a symlink to a decoy prefix of the source and back.
        Scenario {
            name: "-u --resume, decoy",
            args: |i| v(&["-u", "--resume", "--verify", "big", &format!("shared/r{i}")]),
            target: |i| format!("r{i}"),
            run_dir: None,
            existing: None,
            planted: Some(|i| vec![format!("r{i}")]),
            attack: Attack::Alternate("../victim/file"),
        },
        Scenario {
            name: "-r, dir planted",
            args: |i| v(&["-r", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::PlantDir,
        },
        Scenario {
            name: "-r -j4, dir planted",
            args: |i| v(&["-r", "-j4", "src", &format!("shared/t{i}")]),
            target: |i| format!("t{i}"),
            run_dir: None,
            existing: None,
            planted: None,
            attack: Attack::PlantDir,
        },
    ]
}

/// Root-owned files (copied by the run) in directories under `shared` that the attacker owns.
fn leaked_files(shared: &Path) -> usize {
    let mut leaked = 0;
    let mut todo = vec![shared.to_path_buf()];
    while let Some(d) = todo.pop() {
        let owner = fs::symlink_metadata(&d).map_or(0, |m| m.uid());
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                todo.push(e.path());
            } else if m.is_file() && m.uid() == 0 && owner == NOBODY && d != shared {
                leaked += 1;
            }
        }
    }
    leaked
}

/// Issue 12's proof: every scenario, `RACE_RUNS` runs each against the attacker, and not one
/// file created, chmodded, chowned or linked outside the destination. `FCOPY_RACE_BIN` runs
/// the harness against another build (to measure the code before the fixes).
#[test]
fn race_harness_an_unprivileged_attacker_gains_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    if !is_root() {
        skip("the race harness needs root (it attacks as nobody)");
        return;
    }
    let bin = std::env::var_os("FCOPY_RACE_BIN")
        .filter(|b| !b.is_empty())
        .map_or_else(|| PathBuf::from(FCOPY), PathBuf::from);
    let env = TestEnv::new();
    fs::set_permissions(env.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let root = env.path().to_path_buf();
    // Fixtures: a small tree with a hard link, a FIFO, a file with --parents components, a
    // directory of two names of one file.
    env.write("src/f", "f\n");
    env.write("src/a/f", "af\n");
    fs::create_dir(env.join("src/b")).unwrap();
    fs::hard_link(env.join("src/a/f"), env.join("src/b/g")).unwrap();
    env.write("a/b/f", "abf\n");
    env.write("f", "top\n");
    // The source of the `--resume` scenario: older than the victim's files, as `f`.
    let big = crate::testenv::pattern(3_000_000, 12);
    env.write("big", &big);
    env.write("links/x", "linked\n");
    fs::hard_link(env.join("links/x"), env.join("links/y")).unwrap();
    fs::create_dir(env.join("special")).unwrap();
    let fifo = Command::new("mkfifo")
        .args(["-m", "666", "special/p"])
        .current_dir(&root)
        .status()
        .unwrap();
    assert!(fifo.success());
    for p in [
        "src",
        "src/f",
        "src/a",
        "src/a/f",
        "src/b",
        "a",
        "a/b",
        "a/b/f",
        "f",
        "big",
        "links",
        "links/x",
        "special/p",
    ] {
        chown(&env.join(p), NOBODY);
    }
    // `f` is older than the victim's files and newer than an existing DEST (see `existing`).
    let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(900_000_000);
    for f in ["f", "big"] {
        fs::File::open(env.join(f))
            .unwrap()
            .set_times(fs::FileTimes::new().set_modified(t))
            .unwrap();
    }
    let shared = env.join("shared");
    fs::create_dir(&shared).unwrap();
    chown(&shared, NOBODY);
    make_victim(&root);
    let baseline = snapshot(&root.join("victim"));

    let current: Arc<Mutex<Option<(PathBuf, Attack, Instant)>>> = Arc::new(Mutex::new(None));
    let stop = Arc::new(AtomicBool::new(false));
    let waiting = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let thread = attacker(
        shared.clone(),
        Arc::clone(&current),
        Arc::clone(&stop),
        Arc::clone(&waiting),
        Arc::clone(&swaps),
    );
    let set_target = |target: Option<(PathBuf, Attack, Instant)>| {
        waiting.store(true, Ordering::Relaxed);
        *current.lock().unwrap() = target;
        waiting.store(false, Ordering::Relaxed);
    };
    let started = Instant::now();
    let mut results = Vec::new();
    for sc in race_scenarios() {
        let mut escapes = Escapes::default();
        let mut failed_runs = 0;
        let t0 = Instant::now();
        let swaps0 = swaps.load(Ordering::Relaxed);
        for i in 0..RACE_RUNS {
            if let Some(dir) = sc.run_dir {
                let d = shared.join(dir(i));
                fs::create_dir(&d).unwrap();
                chown(&d, NOBODY);
            }
            if let Some(name) = sc.existing {
                make_existing(&shared.join(name(i)));
            }
            if matches!(sc.attack, Attack::Alternate(_)) {
                make_decoy(&shared, &big);
            }
            for name in sc.planted.map_or_else(Vec::new, |names| names(i)) {
                let link = shared.join(name);
                std::os::unix::fs::symlink(sc.attack.link_target(), &link).unwrap();
                chown(&link, NOBODY);
            }
            let from = Instant::now() + Duration::from_micros((i % 8) as u64 * 150);
            set_target(Some((PathBuf::from((sc.target)(i)), sc.attack, from)));
            let out = Command::new(&bin)
                .args((sc.args)(i))
                .current_dir(&root)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            set_target(None);
            failed_runs += usize::from(!out.success());
            if matches!(sc.attack, Attack::PlantDir) {
                escapes.leaked += leaked_files(&shared);
            }
            let after = snapshot(&root.join("victim"));
            if after != baseline {
                escapes.add(&baseline, &after);
                make_victim(&root);
            }
            clear_shared(&shared);
        }
        eprintln!(
            "race {:<20} {RACE_RUNS} runs, {:>5} swaps ({failed_runs} refused or failed, {:.1} s): created {}, chmodded {}, chowned {}, linked {}, other changes {}, leaked {}",
            sc.name,
            swaps.load(Ordering::Relaxed) - swaps0,
            t0.elapsed().as_secs_f64(),
            escapes.created,
            escapes.chmodded,
            escapes.chowned,
            escapes.linked,
            escapes.touched,
            escapes.leaked
        );
        results.push((sc.name, escapes));
    }
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    eprintln!(
        "race harness: {} scenarios, {} attacker swaps, {:.1} s",
        results.len(),
        swaps.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    let broken: Vec<_> = results.iter().filter(|(_, e)| e.total() > 0).collect();
    assert!(
        broken.is_empty(),
        "effects outside the destination: {broken:?}"
    );
}

/// `--parents -p` gives existing parent directories the source's attributes again, as GNU cp's
/// re_protect does (GNU test parent-perm.sh), through the descriptors it opened them by.
#[test]
fn parents_with_p_restores_existing_parents_attributes_as_gnu_cp() {
    let env = TestEnv::new();
    for d in ["a/b/c", "a/b/d", "gnu", "ours"] {
        fs::create_dir_all(env.join(d)).unwrap();
    }
    env.write("a/b/c/foo", "");
    env.write("a/b/d/foo", "");
    let modes = |root: &str| -> Vec<u32> {
        ["a", "a/b", "a/b/d"]
            .iter()
            .map(|d| mode_owner(&env.join(root).join(d)).0)
            .collect()
    };
    for (dir, program) in [("gnu", "cp"), ("ours", FCOPY)] {
        for (src, restrict) in [("a/b/c/foo", true), ("a/b/d/foo", false)] {
            let st = Command::new(program)
                .args(["-p", "--parents", src, dir])
                .current_dir(env.path())
                .status()
                .unwrap();
            assert!(st.success(), "{program} -p --parents {src} {dir}");
            if restrict {
                for d in ["a", "a/b"] {
                    let p = env.join(dir).join(d);
                    fs::set_permissions(&p, fs::Permissions::from_mode(0o705)).unwrap();
                }
            }
        }
    }
    assert_eq!(modes("ours"), modes("gnu"));
    assert_eq!(modes("ours"), modes("."));
}

/// `-l -R -H`: a command-line symlink is followed, the link is made to its target (GNU test
/// link-deref.sh); with -P the symlink itself is linked.
#[test]
fn link_with_h_links_to_the_target_of_a_command_line_symlink() {
    let env = TestEnv::new();
    env.write("file", "");
    std::os::unix::fs::symlink("file", env.join("filelink")).unwrap();
    env.run(&["--link", "-H", "-R", "filelink", "dst"])
        .success();
    env.run(&["--link", "-P", "filelink", "dst2"]).success();
    let ino = |p: &str| fs::symlink_metadata(env.join(p)).unwrap().ino();
    assert_eq!(ino("dst"), ino("file"));
    assert_eq!(ino("dst2"), ino("filelink"));
}
