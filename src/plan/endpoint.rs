//! Where a copy reads and writes: a path, standard input/output, or a name in an open
//! directory; and a source paired with its destination.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One end of a copy: a path, standard input/output (`-`), or a name in an open directory.
#[derive(Clone, Debug)]
pub enum Endpoint {
    Path(PathBuf),
    Stdio,
    /// A name inside an open directory (tree copies): immune to renames of its ancestors and
    /// to paths longer than PATH_MAX. `shown` is the full path for messages.
    At {
        dir: Arc<OwnedFd>,
        name: OsString,
        shown: PathBuf,
    },
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Endpoint) -> bool {
        match (self, other) {
            (Endpoint::Stdio, Endpoint::Stdio) => true,
            (Endpoint::Path(a), Endpoint::Path(b)) => a == b,
            (Endpoint::At { shown: a, .. }, Endpoint::At { shown: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Endpoint {}

impl Endpoint {
    /// A command-line operand: `-` is standard input or output, anything else a path.
    pub fn from_operand(op: &OsStr) -> Endpoint {
        if op == "-" {
            Endpoint::Stdio
        } else {
            Endpoint::Path(PathBuf::from(op))
        }
    }

    /// The path as shown in messages (`-` for standard input/output).
    pub fn display_path(&self) -> &Path {
        match self {
            Endpoint::Path(p) => p,
            Endpoint::Stdio => Path::new("-"),
            Endpoint::At { shown, .. } => shown,
        }
    }

    /// The directory descriptor and name to open this endpoint with (`None`: standard I/O).
    pub fn dir_and_name(&self) -> Option<(BorrowedFd<'_>, &Path)> {
        match self {
            Endpoint::Path(p) => Some((rustix::fs::CWD, p)),
            Endpoint::Stdio => None,
            Endpoint::At { dir, name, .. } => Some((dir.as_fd(), Path::new(name))),
        }
    }
}

/// A source paired with the destination it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub source: Endpoint,
    pub dest: Endpoint,
}
