//! `--mkpath` (rsync's name): create the missing directories a destination needs — the
//! `-t DIRECTORY` itself, the DEST operand that receives several SOURCEs, the directory a
//! single SOURCE's DEST goes in (DEST itself when it ends in `/`), and for each `--batch` job
//! the directory its DEST goes in. Directories are made as `mkdir -p` makes them (mode 0777 less
//! the umask). `--dry-run` creates nothing: it plans each directory that would be made (once),
//! and the plan of a file going into one is not an error.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A directory `--mkpath` needed could not be made (wording in
/// `src/report/messages/restart.rs`).
#[derive(Debug)]
pub struct MkpathError {
    /// The directory asked for (the one that failed may be one of its parents).
    pub dir: PathBuf,
    pub error: std::io::Error,
    /// The directories made before the failure, parents first (`-v` says them before the
    /// error, as `mkdir -pv` does: red team, round 20).
    pub made: Vec<PathBuf>,
}

/// Creates `dir` and its missing parents, as GNU's `mkdir -p` does: each component with
/// `mkdirat` on the descriptor of the one before, and a directory just made entered with
/// `O_NOFOLLOW`, so that a name swapped for a symlink between two steps cannot make root create
/// directories elsewhere (red team round 8b: `fcopy --mkpath f /home/u/a/b/c/` made `victim/b/c`
/// when `a` was swapped; it made each directory by its whole path). Existing components are
/// followed, as `mkdir -p` follows them. Returns the directories made, parents first, each as
/// `dir`'s leading components name it (empty: `dir` was there already), for `-v`'s one line a
/// directory, as `mkdir -pv` (new-user trial, round 20: only `dir` was said).
pub fn make_dir(dir: &Path) -> Result<Vec<PathBuf>, MkpathError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut made = Vec::new();
    match make_components(dir, &mut made) {
        Ok(()) => Ok(made),
        Err(errno) => Err(MkpathError {
            dir: dir.to_path_buf(),
            error: std::io::Error::from_raw_os_error(errno.raw_os_error()),
            made,
        }),
    }
}

/// The names `dir`'s walk steps through from [`start_dir`] (its components but `/` and `.`),
/// each with `dir` spelled up to it:
/// `a//b/./c` steps through `a`, `b`, `c`, spelled `a`, `a//b`, `a//b/./c`, as `mkdir -pv`
/// names the directories it makes (red team, round 20: fcopy said `a/b`).
fn steps_as_spelled(dir: &Path) -> impl Iterator<Item = (&OsStr, PathBuf)> {
    let bytes = dir.as_os_str().as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || loop {
        if start >= bytes.len() {
            return None;
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |i| start + i);
        let name = &bytes[start..end];
        start = end + 1;
        if !name.is_empty() && name != b"." {
            let spelled = PathBuf::from(OsStr::from_bytes(&bytes[..end]));
            return Some((OsStr::from_bytes(name), spelled));
        }
    })
}

/// The walk's flags: a directory, opened only to name what is in it.
const STEP_FLAGS: rustix::fs::OFlags = rustix::fs::OFlags::PATH
    .union(rustix::fs::OFlags::DIRECTORY)
    .union(rustix::fs::OFlags::CLOEXEC);

/// Where `dir`'s walk starts: `/` or the working directory.
fn start_dir(dir: &Path) -> Result<std::os::fd::OwnedFd, rustix::io::Errno> {
    let start = if dir.is_absolute() { "/" } else { "." };
    rustix::fs::openat(
        rustix::fs::CWD,
        start,
        STEP_FLAGS,
        rustix::fs::Mode::empty(),
    )
}

/// [`make_dir`]'s walk, component by component on descriptors (DESIGN rule 10); adds the
/// directories it makes to `made_dirs`, each named by `dir`'s components up to it (also those
/// made before an error).
fn make_components(dir: &Path, made_dirs: &mut Vec<PathBuf>) -> Result<(), rustix::io::Errno> {
    use rustix::fs::{mkdirat, openat, Mode, OFlags};
    use rustix::io::Errno;
    let mut at = start_dir(dir)?;
    let mut shown = PathBuf::new();
    for (name, spelled) in steps_as_spelled(dir) {
        shown = spelled;
        let made = match mkdirat(&at, name, Mode::from_raw_mode(0o777)) {
            Ok(()) => true,
            Err(Errno::EXIST) => false,
            Err(errno) => return Err(errno),
        };
        let follow = if made {
            OFlags::NOFOLLOW
        } else {
            OFlags::empty()
        };
        if made {
            made_dirs.push(shown.clone());
        }
        at = openat(&at, name, STEP_FLAGS | follow, Mode::empty())?;
    }
    // The last as given when only slashes follow it (`j/k/`), as `mkdir -pv` names it; not
    // past a `.` (`a/./` says `a`, red team, round 21).
    let rest = &dir.as_os_str().as_bytes()[shown.as_os_str().len()..];
    let last_step = rest.iter().all(|&b| b == b'/');
    if let Some(last) = made_dirs
        .last_mut()
        .filter(|last| last_step && last.as_os_str() == shown.as_os_str())
    {
        *last = dir.to_path_buf();
    }
    Ok(())
}

/// The directory a batch job's DEST goes in: DEST itself if it ends in `/`, else its parent;
/// `None` for standard output (`-`) or a name in the working directory.
pub fn dest_dir(dest: &OsStr) -> Option<&Path> {
    if dest == "-" {
        return None;
    }
    let path = Path::new(dest);
    if dest.as_bytes().ends_with(b"/") {
        return Some(path);
    }
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

/// The directory `--mkpath` makes for the command line's operands (`OPERANDS` as given, DEST
/// last): `-t DIRECTORY`; DEST when it receives several SOURCEs; for one SOURCE, the
/// directory DEST goes in ([`dest_dir`]: DEST itself when it ends in `/`), with `-T` too.
/// `None` when there is nothing to make. (It applied to `-t` only, and a plain
/// `fcopy --mkpath a x/new/` failed with "Not a directory": new-user trial, round 8.)
pub fn operand_dir<'a>(
    operands: &'a [std::ffi::OsString],
    target_directory: Option<&'a Path>,
) -> Option<&'a Path> {
    if target_directory.is_some() {
        return target_directory;
    }
    match operands {
        [_, dest] => dest_dir(dest),
        [_, _, .., dest] => Some(Path::new(dest)),
        _ => None,
    }
}

/// Creates the directory a batch job's DEST goes in (see [`dest_dir`]); returns the
/// directories made, parents first ([`make_dir`]).
pub fn make_dest_dir(dest: &OsStr) -> Result<Vec<PathBuf>, MkpathError> {
    match dest_dir(dest) {
        Some(dir) => make_dir(dir),
        None => Ok(Vec::new()),
    }
}

/// `--dry-run`: whether `--mkpath` would have to make `dir` (some component is missing), or the
/// error the run's [`make_dir`] would meet, so that the plan refuses what the run refuses
/// (red team, round 8: `--dry-run --mkpath s file/`, `file` a regular file or a dangling
/// symlink, planned a copy that the run refused; rsync 3.5.0's `--mkpath` refuses both too).
///
/// # Errors
/// [`MkpathError`] with the errno of the run: `ENOTDIR` (a component is not a directory),
/// `ENOENT` (a dangling symlink), `EACCES`/`EROFS` (a missing directory could not be made).
pub fn would_make(dir: &Path) -> Result<bool, MkpathError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(false);
    }
    plan_components(dir).map_err(|errno| MkpathError {
        dir: dir.to_path_buf(),
        error: std::io::Error::from_raw_os_error(errno.raw_os_error()),
        made: Vec::new(),
    })
}

/// [`make_components`] without `mkdirat`: each existing component is opened as the run opens
/// it; at a missing one, the run would make it, if it may make directories in the last
/// existing one (`faccessat`, effective ids, as the kernel checks `mkdirat`). Below a directory
/// the run would make, names are made too, and `..` climbs back out of them: the walk goes on
/// from the last existing directory (red team, round 9: `new/../file/x/` was planned at `new`,
/// and the run then met `file`, a regular file: ENOTDIR).
fn plan_components(dir: &Path) -> Result<bool, rustix::io::Errno> {
    use rustix::fs::{accessat, openat, statat, Access, AtFlags, Mode};
    use rustix::io::Errno;
    let mut at = start_dir(dir)?;
    // How deep the walk is below `at` in directories the run would make.
    let mut made_depth = 0usize;
    let mut would_make = false;
    for (name, _) in steps_as_spelled(dir) {
        if made_depth > 0 {
            made_depth = if name == ".." {
                made_depth - 1
            } else {
                made_depth + 1
            };
            continue;
        }
        match openat(&at, name, STEP_FLAGS, Mode::empty()) {
            Ok(next) => at = next,
            // Missing (not a dangling symlink, which the run's open meets as ENOENT too).
            Err(Errno::NOENT) if statat(&at, name, AtFlags::SYMLINK_NOFOLLOW).is_err() => {
                let may = Access::WRITE_OK | Access::EXEC_OK;
                accessat(&at, ".", may, AtFlags::EACCESS)?;
                made_depth = 1;
                would_make = true;
            }
            Err(errno) => return Err(errno),
        }
    }
    Ok(would_make)
}

#[cfg(test)]
mod tests;
