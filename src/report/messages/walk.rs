//! Wording of the walk's errors: directories, symbolic links, special files and links, and
//! of any entry's failure ([`EntryError`]). GNU cp's texts (copy.c, cp.c) for
//! [`crate::drive::errors`]' types.

use std::fmt;
use std::path::Path;

use rustix::io::Errno;

use crate::drive::errors::{EntryError, NodeKind, WalkError, WalkWarning};
use crate::report::{errno_text_of, quote, quote_if_needed};

impl WalkError {
    /// For GNU's "cannot VERB 'path': errno" messages: the verb, the path and the errno.
    fn cannot(&self) -> Option<(&'static str, &Path, Errno)> {
        use WalkError as E;
        let (verb, path, errno) = match self {
            E::Stat { path, errno } => ("stat", path, errno),
            E::Access { path, errno } => ("access", path, errno),
            E::MakeDirectory { path, errno } => ("make directory", path, errno),
            E::CreateDirectory { path, errno } => ("create directory", path, errno),
            E::ReadLink { path, errno } => ("read symbolic link", path, errno),
            E::UnBackup { path, errno } => ("un-backup", path, errno),
            E::Reopen {
                path,
                errno: Some(errno),
            } => ("reopen", path, errno),
            E::CreateNode { kind, path, errno } => (kind.create_verb(), path, errno),
            _ => return None,
        };
        Some((verb, path, *errno))
    }
}

impl NodeKind {
    /// "create" and the node as GNU's messages name it.
    fn create_verb(self) -> &'static str {
        match self {
            NodeKind::SymbolicLink => "create symbolic link",
            NodeKind::Fifo => "create fifo",
            NodeKind::SpecialFile => "create special file",
            NodeKind::HardLink => "create hard link",
        }
    }
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WalkError as E;
        if let Some((verb, path, errno)) = self.cannot() {
            return write!(f, "cannot {verb} {}: {}", quote(path), errno_text_of(errno));
        }
        match self {
            E::SameFile { src, dst } => {
                write!(f, "{} and {} are the same file", quote(src), quote(dst))
            }
            E::ParentAttributes { path, errno } => write!(
                f,
                "failed to get attributes of {}: {}",
                quote(path),
                errno_text_of(*errno)
            ),
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
            E::ParentNotDirectory { path } => {
                write!(f, "{} exists but is not a directory", quote(path))
            }
            E::DirectoryInTheWay { dst } => write!(
                f,
                "cannot overwrite directory {} with non-directory",
                quote(dst)
            ),
            E::Reopen { path, .. } => write!(f, "cannot reopen {}", quote(path)),
            E::Moved { path } => {
                write!(f, "directory {} was moved while being copied", quote(path))
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
            } => link_failed(f, *kind, dst, target, *errno),
            // The "cannot VERB" errors, rendered above.
            _ => Ok(()),
        }
    }
}

/// GNU's "cannot create hard link 'dst' to 'target': errno" (and symbolic link).
fn link_failed(
    f: &mut fmt::Formatter<'_>,
    kind: NodeKind,
    dst: &Path,
    target: &Path,
    errno: Errno,
) -> fmt::Result {
    write!(
        f,
        "cannot {} {} to {}: {}",
        kind.create_verb(),
        quote(dst),
        quote(target),
        errno_text_of(errno)
    )
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::Walk(e) => e.fmt(f),
            EntryError::Replace(e) => e.fmt(f),
            EntryError::Plan(e) => e.fmt(f),
            EntryError::Exec(e) => e.fmt(f),
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
