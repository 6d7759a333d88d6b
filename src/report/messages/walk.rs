//! Wording of the walk's errors: directories, symbolic links, special files, links, backups and removals.
//! GNU cp's texts (copy.c, cp.c) for [`crate::tree::errors`]' types.

use std::fmt;

use crate::report::{errno_text_of, quote, quote_if_needed};
use crate::tree::errors::{NodeKind, WalkError, WalkWarning};

impl NodeKind {
    /// The node as GNU's messages name it.
    fn noun(self) -> &'static str {
        match self {
            NodeKind::SymbolicLink => "symbolic link",
            NodeKind::Fifo => "fifo",
            NodeKind::SpecialFile => "special file",
            NodeKind::HardLink => "hard link",
        }
    }
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WalkError as E;
        match self {
            E::SameFile { src, dst } => {
                write!(f, "{} and {} are the same file", quote(src), quote(dst))
            }
            E::Stat { path, errno } => {
                write!(f, "cannot stat {}: {}", quote(path), errno_text_of(*errno))
            }
            E::Access { path, errno } => {
                write!(
                    f,
                    "cannot access {}: {}",
                    quote(path),
                    errno_text_of(*errno)
                )
            }
            E::Replaced { path } => write!(f, "{} was replaced while being copied", quote(path)),
            E::SourceReplaced { path } => write!(
                f,
                "skipping file {}, as it was replaced while being copied",
                quote(path)
            ),
            E::OmittingDirectory { path } => {
                write!(f, "-r not specified; omitting directory {}", quote(path))
            }
            E::DirectoryToStdout { path } => write!(
                f,
                "cannot copy directory {} to standard output",
                quote(path)
            ),
            E::MakeDirectory { path, errno } => write!(
                f,
                "cannot make directory {}: {}",
                quote(path),
                errno_text_of(*errno)
            ),
            E::CreateDirectory { path, errno } => write!(
                f,
                "cannot create directory {}: {}",
                quote(path),
                errno_text_of(*errno)
            ),
            E::HardLinkToDirectory { dst, earlier } => write!(
                f,
                "will not create hard link {} to directory {}",
                quote(dst),
                quote(earlier)
            ),
            E::IntoItself { src, dst } => write!(
                f,
                "cannot copy a directory, {}, into itself, {}",
                quote(src),
                quote(dst)
            ),
            E::CyclicSymlink { path } => {
                write!(f, "cannot copy cyclic symbolic link {}", quote(path))
            }
            E::NonDirectoryInTheWay { dst, src } => write!(
                f,
                "cannot overwrite non-directory {} with directory {}",
                quote(dst),
                quote(src)
            ),
            E::DirectoryInTheWay { dst } => write!(
                f,
                "cannot overwrite directory {} with non-directory",
                quote(dst)
            ),
            E::Reopen { path, errno: None } => write!(f, "cannot reopen {}", quote(path)),
            E::Reopen {
                path,
                errno: Some(e),
            } => write!(f, "cannot reopen {}: {}", quote(path), errno_text_of(*e)),
            E::Moved { path } => {
                write!(f, "directory {} was moved while being copied", quote(path))
            }
            E::ReadLink { path, errno } => write!(
                f,
                "cannot read symbolic link {}: {}",
                quote(path),
                errno_text_of(*errno)
            ),
            E::CreateNode { kind, path, errno } => write!(
                f,
                "cannot create {} {}: {}",
                kind.noun(),
                quote(path),
                errno_text_of(*errno)
            ),
            E::Remove { path, errno } => {
                write!(
                    f,
                    "cannot remove {}: {}",
                    quote(path),
                    errno_text_of(*errno)
                )
            }
            E::RelativeSymlink { dst } => write!(
                f,
                "{}: can make relative symbolic links only in current directory",
                quote_if_needed(dst)
            ),
            E::Link {
                kind,
                dst,
                target,
                errno,
            } => write!(
                f,
                "cannot create {} {} to {}: {}",
                kind.noun(),
                quote(dst),
                quote(target),
                errno_text_of(*errno)
            ),
        }
    }
}

impl fmt::Display for WalkWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkWarning::SpecifiedTwice { path, directory } => {
                let what = if *directory { "directory" } else { "file" };
                write!(
                    f,
                    "warning: source {what} {} specified more than once",
                    quote(path)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests;
