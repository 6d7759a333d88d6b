//! `--files-from=FILE` (rsync's name): SOURCE operands read from FILE (`-`: standard input),
//! one a line, or NUL-separated with `-0`/`--null` (the form `find -print0` writes, for names
//! with newlines). The names join the command line's SOURCE operands, and the destination is
//! always a directory: `-t DIRECTORY`, or the last operand taken as one (so a single listed
//! name never becomes a copy named DEST). They are copied, and fail, as operands do:
//! `--parents` keeps their relative paths, `-r` copies listed directories.
//!
//! As in rsync, empty names are skipped, and without `-0` a line may end in CR LF. Names are
//! bytes: no comments, no quoting, no trimming of blanks, no option parsing (`-x` is a file).

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// Why the list could not be used (wording in `src/report/messages/restart.rs`).
#[derive(Debug)]
pub enum FilesFromError {
    /// The list file (or standard input) cannot be read.
    Unreadable {
        file: PathBuf,
        error: std::io::Error,
    },
    /// Neither `-t DIRECTORY` nor an operand says where the listed names go (a usage error: the
    /// last listed name would otherwise become DEST).
    NoDestination,
}

/// The names in `list`: split at NUL with `null`, else at newlines (a CR before the newline is
/// dropped); empty names skipped.
pub fn parse_names(list: &[u8], null: bool) -> Vec<OsString> {
    let sep = if null { b'\0' } else { b'\n' };
    list.split(|&b| b == sep)
        .map(|name| match name {
            [rest @ .., b'\r'] if !null => rest,
            _ => name,
        })
        .filter(|name| !name.is_empty())
        .map(|name| OsString::from_vec(name.to_vec()))
        .collect()
}

/// Reads the names in `file` (`-`: standard input); see [`parse_names`].
///
/// # Errors
/// [`FilesFromError::Unreadable`]: the file cannot be opened or read.
pub fn read_names(file: &Path, null: bool) -> Result<Vec<OsString>, FilesFromError> {
    let unreadable = |error| FilesFromError::Unreadable {
        file: file.to_path_buf(),
        error,
    };
    let list = if file == Path::new("-") {
        let mut list = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut list)
            .map_err(unreadable)?;
        list
    } else {
        std::fs::read(file).map_err(unreadable)?
    };
    Ok(parse_names(&list, null))
}

/// The SOURCE operands and the target directory of a `--files-from` run: the command line's
/// sources and then the listed `names`, into `-t DIRECTORY` when it was given
/// (`target_directory`), else into the last operand, which becomes the target directory.
///
/// # Errors
/// [`FilesFromError::NoDestination`]: no `-t` and no operand.
pub fn with_listed_sources(
    operands: &[OsString],
    names: Vec<OsString>,
    target_directory: Option<&Path>,
) -> Result<(Vec<OsString>, PathBuf), FilesFromError> {
    let (directory, sources) = match target_directory {
        Some(dir) => (dir.to_path_buf(), operands),
        None => match operands.split_last() {
            Some((dest, sources)) => (PathBuf::from(dest), sources),
            None => return Err(FilesFromError::NoDestination),
        },
    };
    Ok((sources.iter().cloned().chain(names).collect(), directory))
}

#[cfg(test)]
mod tests;
