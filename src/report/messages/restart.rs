//! Wording of the restart features' errors ([`crate::restart`]): `--exclude`/`--include`
//! patterns and `--exclude-from` files, `--mkpath`'s directories and `--files-from` lists.

use std::fmt;

use crate::report::quote;
use crate::restart::files_from::FilesFromError;
use crate::restart::filter::FilterError;
use crate::restart::mkpath::MkpathError;

use super::io_error;

/// `cannot read --exclude-from file 'FILE': ERROR`, naming the option as `cannot read batch file`
/// does (round 8's new-user trial could not tell which input it was); the pattern errors name
/// the flag and the pattern as given (fcopy's own texts: cp has no filters).
impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Unreadable { file, error } => write!(
                f,
                "cannot read --exclude-from file {}: {}",
                quote(file),
                io_error(error)
            ),
            FilterError::NotUtf8 { file, line } => {
                write!(f, "{}:{line}: pattern is not valid UTF-8", file.display())
            }
            FilterError::Empty { flag, pattern } => {
                write!(f, "invalid pattern for {flag}: '{pattern}'")
            }
            FilterError::Glob {
                flag,
                pattern,
                reason,
            } => write!(f, "invalid pattern for {flag}: '{pattern}': {reason}"),
            FilterError::Set(e) => write!(f, "invalid pattern: {e}"),
        }
    }
}

/// GNU's `mkdir -p` text (coreutils src/mkdir.c via gnulib `make_dir_parents`:
/// `cannot create directory %s`).
impl fmt::Display for MkpathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot create directory {}: {}",
            quote(&self.dir),
            io_error(&self.error)
        )
    }
}

/// `cannot read --files-from list 'FILE'` as for `--exclude-from`; fcopy's own text for a list
/// with nowhere to go.
impl fmt::Display for FilesFromError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilesFromError::Unreadable { file, error } => write!(
                f,
                "cannot read --files-from list {}: {}",
                quote(file),
                io_error(error)
            ),
            FilesFromError::NoDestination => f.write_str(
                "--files-from needs a destination: -t DIRECTORY or a last DIRECTORY operand",
            ),
        }
    }
}

#[cfg(test)]
mod tests;
