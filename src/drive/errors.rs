//! The walk's typed errors and warnings: operands, directories, symbolic links, special files
//! and links. Their GNU cp wording is in `report/messages/walk.rs`.

use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::exec::dirs::{MakeError, OpenError, ReopenError};
use crate::exec::ExecError;
use crate::plan::replace::ReplaceError;
use crate::plan::PlanError;

/// The node kinds named in "cannot create ..." errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    SymbolicLink,
    Fifo,
    SpecialFile,
    HardLink,
}

/// What went wrong for one entry of the walk (or one operand); each carries the paths and the
/// errno GNU cp's message names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkError {
    /// GNU's same-file rule: "'a' and 'b' are the same file".
    SameFile { src: PathBuf, dst: PathBuf },
    /// `stat` of a source failed.
    Stat { path: PathBuf, errno: Errno },
    /// `--parents`: a leading directory of the source cannot be looked at, or is no directory
    /// (GNU cp's `failed to get attributes of 'a'`, from make_dir_parents_private).
    ParentAttributes { path: PathBuf, errno: Errno },
    /// Opening a directory or a node failed.
    Access { path: PathBuf, errno: Errno },
    /// A node fcopy made has been swapped for another (DESIGN rule 10).
    Replaced { path: PathBuf },
    /// A source directory is another one than the one stat'ed.
    SourceReplaced { path: PathBuf },
    /// A directory without `-r`.
    OmittingDirectory { path: PathBuf },
    /// `-r` with a directory to standard output.
    DirectoryToStdout { path: PathBuf },
    /// `--parents` could not make a directory.
    MakeDirectory { path: PathBuf, errno: Errno },
    /// A tree copy could not make a directory.
    CreateDirectory { path: PathBuf, errno: Errno },
    /// A directory this run created reached again by another name.
    HardLinkToDirectory { dst: PathBuf, earlier: PathBuf },
    /// The destination is inside the source.
    IntoItself { src: PathBuf, dst: PathBuf },
    /// A directory that is its own ancestor (`-L`, bind mounts).
    CyclicSymlink { path: PathBuf },
    /// A non-directory where a directory is to be made.
    NonDirectoryInTheWay { dst: PathBuf, src: PathBuf },
    /// A directory where a non-directory is to be made.
    DirectoryInTheWay { dst: PathBuf },
    /// A `--parents` directory's name holds something that is not a directory.
    ParentNotDirectory { path: PathBuf },
    /// DEST's backup could not be put back after the node or link failed (GNU's `un_backup`).
    UnBackup { path: PathBuf, errno: Errno },
    /// A directory closed to save descriptors could not be reopened (`None`: no descriptor).
    Reopen { path: PathBuf, errno: Option<Errno> },
    /// A directory reopened through `..` is another one.
    Moved { path: PathBuf },
    /// `readlink` of a source failed.
    ReadLink { path: PathBuf, errno: Errno },
    /// Making a symlink, FIFO or special file failed.
    CreateNode {
        kind: NodeKind,
        path: PathBuf,
        errno: Errno,
    },
    /// `-s` with a relative source outside the current directory.
    RelativeSymlink { dst: PathBuf },
    /// `-l`/`-s` (or a preserved hard link) could not be made.
    Link {
        kind: NodeKind,
        dst: PathBuf,
        target: PathBuf,
        errno: Errno,
    },
}

/// The walk's warnings (the copy goes on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkWarning {
    /// A source operand named twice: GNU cp copies it once.
    SpecifiedTwice { path: PathBuf, directory: bool },
}

impl WalkError {
    /// A node made at `path` failed at `step`; `create` names the creation's error.
    pub fn made(
        path: &Path,
        step: MakeError,
        create: impl FnOnce(PathBuf, Errno) -> WalkError,
    ) -> WalkError {
        match step {
            MakeError::Create(errno) => create(path.to_path_buf(), errno),
            MakeError::Open(e) => WalkError::opened(path, e),
        }
    }

    /// Opening the node made at `path` failed.
    pub fn opened(path: &Path, e: OpenError) -> WalkError {
        let path = path.to_path_buf();
        match e {
            OpenError::Failed(errno) => WalkError::Access { path, errno },
            OpenError::Replaced => WalkError::Replaced { path },
        }
    }

    /// Reopening the directory `path` failed.
    pub fn reopened(path: &Path, e: ReopenError) -> WalkError {
        let path = path.to_path_buf();
        match e {
            ReopenError::Failed(errno) => WalkError::Reopen { path, errno },
            ReopenError::Moved => WalkError::Moved { path },
        }
    }
}

/// Why one entry (or operand) failed: the typed error of the step that refused it, worded
/// where that step's errors are (`report/messages`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryError {
    /// The walk itself: a directory, a node, a link.
    Walk(WalkError),
    /// cp's rules for an existing destination, or a backup or removal they ordered.
    Replace(ReplaceError),
    /// The planner refused the job.
    Plan(PlanError),
    /// An effect of the executor outside a job (`--sync` of a directory).
    Exec(ExecError),
}

impl From<WalkError> for EntryError {
    fn from(e: WalkError) -> Self {
        EntryError::Walk(e)
    }
}

impl From<ReplaceError> for EntryError {
    fn from(e: ReplaceError) -> Self {
        EntryError::Replace(e)
    }
}

impl From<PlanError> for EntryError {
    fn from(e: PlanError) -> Self {
        EntryError::Plan(e)
    }
}

impl From<ExecError> for EntryError {
    fn from(e: ExecError) -> Self {
        EntryError::Exec(e)
    }
}
