//! `--mkpath` (rsync's name): create the missing directories a destination needs — the
//! `-t DIRECTORY` itself, and for each `--batch` job the directory its DEST goes in (DEST
//! itself when it ends in `/`). Directories are made as `mkdir -p` makes them (mode 0777 less
//! the umask). `--dry-run` creates nothing.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::report::{errno_text, quote};

/// Creates `dir` and its missing parents. `Err`: a GNU-style message.
pub fn make_dir(dir: &Path) -> Result<(), String> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(dir)
        .map_err(|e| format!("cannot create directory {}: {}", quote(dir), errno_text(&e)))
}

/// Creates the directory a batch job's DEST goes in: DEST itself if it ends in `/`, else its
/// parent. Standard output (`-`) needs none.
pub fn make_dest_dir(dest: &OsStr) -> Result<(), String> {
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
