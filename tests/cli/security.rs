//! Security (issue 12, DESIGN rule 10): root copying into a directory another user can write
//! gives that user nothing. First the deterministic reproductions of each break (an strace delay
//! widens the window, an attacker running as `nobody` acts in it), then resource limits, then a
//! race harness: an unprivileged attacker loop swapping names as fast as it can against many
//! runs of each scenario, counting every effect outside the destination.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::testenv::{
    is_root, require_root, require_strace, require_tool, skip, unprivileged, TestEnv, FCOPY,
};

/// The uid and gid the attacker runs as (`nobody`/`nogroup`).
const NOBODY: u32 = 65534;

/// Runs `sh -c script` as `nobody` in `dir`; returns whether it succeeded.
fn as_nobody(dir: &Path, script: &str) -> bool {
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "sh",
            "-c",
        ])
        .arg(script)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A test directory that `nobody` can reach, with a `shared` directory `nobody` owns; `None`
/// after a SKIP when not root (or no setpriv/strace).
fn attack_env(strace: bool) -> Option<TestEnv> {
    if !require_root("attacking as nobody") || (strace && !require_strace()) {
        return None;
    }
    let env = TestEnv::new();
    unprivileged(&env)?;
    fs::set_permissions(env.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(env.join("shared")).unwrap();
    chown(&env.join("shared"), NOBODY);
    Some(env)
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

/// Runs fcopy under strace with `inject` (a `SYSCALL:delay_enter=...` spec) in the background,
/// runs `attack` as nobody one second later, and returns fcopy's output.
fn delayed_race(env: &TestEnv, inject: &str, args: &[&str], attack: &str) -> Output {
    let syscall = inject.split(':').next().unwrap();
    // `when=N` counts fcopy's own calls: the ones the process makes before main (the dynamic
    // loader opening libraries, the runtime reading /proc/self/maps) are added here.
    let inject = match inject.split_once(":when=") {
        Some((head, n)) => format!(
            "{head}:when={}",
            n.parse::<usize>().unwrap() + startup_calls(syscall)
        ),
        None => inject.to_owned(),
    };
    // Under `timeout -s KILL`: a run that hangs (e.g. opening a FIFO swapped in) fails the test.
    let child = Command::new("timeout")
        .args(["-s", "KILL", "60", "strace", "-f", "-o", "/dev/null", "-e"])
        .arg(format!("trace={syscall}"))
        .arg("-e")
        .arg(format!("inject={inject}"))
        .arg(FCOPY)
        .args(args)
        .current_dir(env.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    as_nobody(env.path(), attack);
    child.wait_with_output().unwrap()
}

/// How many `syscall` calls fcopy makes before its own work (`fcopy --version` makes only
/// those): the dynamic loader's and the Rust runtime's.
fn startup_calls(syscall: &str) -> usize {
    let out = Command::new("strace")
        .args(["-f", "-e"])
        .arg(format!("trace={syscall}"))
        .arg(FCOPY)
        .arg("--version")
        .output()
        .unwrap();
    let needle = format!("{syscall}(");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

fn mode_owner(path: &Path) -> (u32, u32) {
    let m = fs::symlink_metadata(path).unwrap();
    (m.mode() & 0o7777, m.uid())
}

#[path = "security/breaks.rs"]
mod breaks;
#[path = "security/limits.rs"]
mod limits;
#[path = "security/planted.rs"]
mod planted;
#[path = "security/race.rs"]
mod race;
