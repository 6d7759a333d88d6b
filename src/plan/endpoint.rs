//! Where a copy reads and writes: a path, standard input/output, or a name in an open
//! directory; and a source paired with its destination.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
        shown: Shown,
    },
}

/// The path an [`Endpoint::At`] is shown as: given whole, or its directory's shown path joined
/// with the name the first time it is asked for. A tree walk gives each entry its directory's
/// path (shared, not copied): an entry that is skipped, or copied without a message, never
/// has its path built (two allocations and copies per file, 9% of a re-copy's user-space
/// instructions; issue 16).
#[derive(Clone, Debug)]
pub struct Shown {
    under: Option<Arc<Path>>,
    whole: OnceLock<PathBuf>,
}

impl Shown {
    /// The entry `name` of the directory shown as `dir`: `dir.join(name)`, joined when first
    /// asked for.
    pub fn under(dir: Arc<Path>) -> Shown {
        Shown {
            under: Some(dir),
            whole: OnceLock::new(),
        }
    }

    /// The directory's shown path and the entry's name, if the path is not built yet (see
    /// [`Shown::under`]); `None` once it is, or when it was given whole.
    pub fn parts<'a>(&'a self, name: &'a OsStr) -> Option<(&'a Path, &'a OsStr)> {
        match (&self.under, self.whole.get()) {
            (Some(dir), None) => Some((dir, name)),
            _ => None,
        }
    }

    fn path(&self, name: &OsStr) -> &Path {
        self.whole.get_or_init(|| {
            let dir = self.under.as_deref().unwrap_or(Path::new(""));
            joined(dir, name)
        })
    }
}

impl From<PathBuf> for Shown {
    fn from(path: PathBuf) -> Shown {
        Shown {
            under: None,
            whole: OnceLock::from(path),
        }
    }
}

/// `dir.join(name)` in one allocation (`Path::join` copies the directory's path, then grows it
/// for the name: a second allocation), with one `/` between them as GNU cp shows it: its
/// `file_name_concat` leaves out the directory's trailing slashes, so `cp -rv src// d//` shows
/// `'src/f' -> 'd/f'` (new-user trial, round 17: fcopy showed `'src//f' -> 'd//f'`). A
/// directory of slashes alone (`/`) stays as it is.
fn joined(dir: &Path, name: &OsStr) -> PathBuf {
    let bytes = dir.as_os_str().as_bytes();
    let kept = bytes.len() - bytes.iter().rev().take_while(|&&b| b == b'/').count();
    let dir = match kept {
        0 => dir,
        _ => Path::new(OsStr::from_bytes(&bytes[..kept])),
    };
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Endpoint) -> bool {
        match (self, other) {
            (Endpoint::Stdio, Endpoint::Stdio) => true,
            (Endpoint::Path(a), Endpoint::Path(b)) => a == b,
            (Endpoint::At { .. }, Endpoint::At { .. }) => {
                self.display_path() == other.display_path()
            }
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

    /// Whether this is standard input or output (`-`); without comparing whole endpoints
    /// (an `==` made and dropped an `Endpoint::Stdio` each time: 3% of a tree copy's
    /// user-space instructions, issue 16).
    pub fn is_stdio(&self) -> bool {
        matches!(self, Endpoint::Stdio)
    }

    /// The path as shown in messages (`-` for standard input/output).
    pub fn display_path(&self) -> &Path {
        match self {
            Endpoint::Path(p) => p,
            Endpoint::Stdio => Path::new("-"),
            Endpoint::At { shown, name, .. } => shown.path(name),
        }
    }

    /// The name a write error gives this DEST: its path, or `standard output` for `-`, as dd
    /// names its default output (`dd: error writing 'standard output': No space left on
    /// device`; new-user trial, round 19: fcopy said `error writing '-'`).
    pub fn written_name(&self) -> &Path {
        match self {
            Endpoint::Stdio => Path::new("standard output"),
            _ => self.display_path(),
        }
    }

    /// Whether the path shown ends in `/` (`cp a nodir/x/`); an entry of a walked directory
    /// never does, and is answered without building its path.
    pub fn ends_in_slash(&self) -> bool {
        use std::os::unix::ffi::OsStrExt;
        match self {
            Endpoint::At { shown, name, .. } if shown.parts(name).is_some() => false,
            _ => self.display_path().as_os_str().as_bytes().ends_with(b"/"),
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
