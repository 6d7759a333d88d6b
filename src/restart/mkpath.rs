//! `--mkpath` (rsync's name): create the missing directories a destination needs — the
//! `-t DIRECTORY` itself, and for each `--batch` job the directory its DEST goes in (DEST
//! itself when it ends in `/`). Directories are made as `mkdir -p` makes them (mode 0777 less
//! the umask). `--dry-run` creates nothing.

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
}

/// Creates `dir` and its missing parents.
pub fn make_dir(dir: &Path) -> Result<(), MkpathError> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(dir)
        .map_err(|error| MkpathError {
            dir: dir.to_path_buf(),
            error,
        })
}

/// Creates the directory a batch job's DEST goes in: DEST itself if it ends in `/`, else its
/// parent. Standard output (`-`) needs none.
pub fn make_dest_dir(dest: &OsStr) -> Result<(), MkpathError> {
    if dest == "-" {
        return Ok(());
    }
    let path = Path::new(dest);
    if dest.as_bytes().ends_with(b"/") {
        return make_dir(path);
    }
    match path.parent() {
        Some(parent) => make_dir(parent),
        None => Ok(()),
    }
}
