//! Differential tests against GNU cp 9.1 (`/usr/bin/cp`): every option and rule of issue 3,
//! and the scenarios of GNU's own test suite (same-file, into-self, thru-dangling, abuse, ...).
//!
//! Each test builds a fixture twice, runs GNU cp in one copy and fcopy (as `cp`) in the other
//! with the same arguments, and compares exit status, output and the resulting trees (see
//! `gnu_compat/harness.rs`). Options GNU cp 9.1 lacks (`--update=WHEN`,
//! `--keep-directory-symlink`) and fcopy's deliberate differences are asserted directly.

#[path = "gnu_compat/harness.rs"]
pub(crate) mod harness;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub(crate) use harness::{
    chmod, chown, dir, fcopy_in, fifo, file, hardlink, have_gnu, scratch, set_mtime, symlink,
    xattr, Diff,
};

use crate::testenv::{is_root, skip};

#[path = "gnu_compat/acl_and_modes.rs"]
mod acl_and_modes;
#[path = "gnu_compat/existing.rs"]
mod existing;
#[path = "gnu_compat/link_groups.rs"]
mod link_groups;
#[path = "gnu_compat/options.rs"]
mod options;
#[path = "gnu_compat/preserve_and_names.rs"]
mod preserve_and_names;
#[path = "gnu_compat/privileges.rs"]
mod privileges;
#[path = "gnu_compat/replacing.rs"]
mod replacing;
#[path = "gnu_compat/scenarios.rs"]
mod scenarios;

/// A tree with most kinds of entries: files with various modes, a subdirectory, symlinks
/// (relative, dangling, to a directory), hard links, an empty and a read-only directory, a
/// set-uid file, files owned by someone else (as root) and `user.*` xattrs; plus, outside
/// `src`, a file, a symlink to `src` and a symlink to a file.
fn tree(root: &Path) {
    file(root, "src/a", "alpha\n");
    file(root, "src/b", "beta\n");
    chmod(root, "src/b", 0o640);
    file(root, "src/exec", "#!/bin/sh\n");
    chmod(root, "src/exec", 0o755);
    file(root, "src/setuid", "s\n");
    chmod(root, "src/setuid", 0o4755);
    file(root, "src/sub/c", "gamma\n");
    file(root, "src/sub/deep/d", "delta\n");
    symlink(root, "src/link", "a");
    symlink(root, "src/dangling", "nowhere");
    symlink(root, "src/dirlink", "sub");
    file(root, "src/hl1", "linked\n");
    hardlink(root, "src/hl1", "src/sub/hl2");
    dir(root, "src/empty");
    file(root, "src/ro/inside", "ro\n");
    chmod(root, "src/ro", 0o555);
    chmod(root, "src/sub/deep", 0o700);
    file(root, "src/owned", "theirs\n");
    if is_root() {
        chown(root, "src/owned", 1234, 2345);
        chown(root, "src/sub/deep", 1234, 2345);
    }
    xattr(root, "src/a", "user.colour", "blue");
    xattr(root, "src/sub", "user.kind", "dir");
    file(root, "ext/file", "external\n");
    symlink(root, "linktosrc", "src");
    symlink(root, "flink", "src/a");
}

fn check(args: &[&str]) {
    if have_gnu() {
        Diff::new(tree).args(args).check();
    }
}

/// Runs `program args` in `dir` under strace with `inject` (e.g. `linkat:error=EPERM`):
/// (exit code, standard error without the program's name, sorted names in `dir`, `g`'s text).
fn run_injected(
    program: &Path,
    dir: &Path,
    inject: &str,
    args: &[&str],
) -> (Option<i32>, String, Vec<String>, String) {
    let syscall = inject.split(':').next().unwrap();
    let out = std::process::Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={syscall}"))
        .arg("-e")
        .arg(format!("inject={inject}"))
        .arg(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr
        .split_once(": ")
        .map_or("", |(_, rest)| rest)
        .to_owned();
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let g = fs::read_to_string(dir.join("g")).unwrap_or_default();
    (out.status.code(), stderr, names, g)
}
