//! The vocabulary of cp's rules for an existing destination: the settings and facts they
//! decide on, the steps and actions they answer with, and the errors they raise.

use std::path::PathBuf;

use rustix::io::Errno;

use crate::plan::same::SameFile;
use crate::plan::Endpoint;

/// `--update`, `-n` (`--update=none`), as the rules need it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// Replace every existing destination (no `-u`).
    All,
    /// `-n`, `--update=none`: skip silently.
    None,
    /// `--update=none-fail`: fail.
    NoneFail,
    /// `-u`, `--update=older`: replace only a destination older than its source.
    Older,
    /// `--update=changed`: replace unless size and mtime match (fcopy's own).
    Changed,
}

/// The run's settings the rules depend on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub update: Update,
    /// `-i`, and not a dry run (a dry run asks nothing).
    pub interactive: bool,
    /// `-f`
    pub force: bool,
    /// `--remove-destination`
    pub remove_destination: bool,
    /// `--backup` with a control other than `none`.
    pub backup: bool,
    /// `--backup=numbered`: every earlier version is kept, so files and symlinks this run
    /// created may be replaced (other backups would lose the first copy).
    pub numbered_backup: bool,
    /// `--dry-run`: nothing is removed or renamed.
    pub dry_run: bool,
    /// A byte range is copied (`--offset-*`, `--len`, a batch line's range): a range within
    /// one file is fcopy's own, not GNU's same-file case.
    pub ranged: bool,
    /// `POSIXLY_CORRECT` is set in the environment (GNU writes through a dangling symlink).
    pub posixly_correct: bool,
    /// Hard links are kept (`-a`, `-d`, `--preserve=links`) and data is copied (not
    /// `--attributes-only`): a DEST file with other names is replaced, not rewritten in place
    /// (GNU copy.c: `x->data_copy_required && x->preserve_links && 1 < dst_sb.st_nlink`).
    pub preserve_links: bool,
    /// `--resume`: a DEST holding the start of SOURCE (an interrupted copy, [`Facts::resumable`])
    /// is not up to date for `-u`, however new it is.
    pub resume: bool,
}

/// What the caller knows about the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source<'a> {
    /// SOURCE, for the name shown (borrowed, and built only if a message needs it: path
    /// copies were 7% of a re-copy's user-space instructions, walk8, round 8; issue 16).
    pub shown: &'a Endpoint,
    /// (dev, ino) as the copy sees it.
    pub id: (u64, u64),
    pub regular: bool,
    pub symlink: bool,
    /// Hard links to the source's file (`st_nlink`, of the file as the copy sees it).
    pub nlink: u64,
    /// (seconds, nanoseconds)
    pub mtime: (i64, i64),
    /// Size in bytes (`st_size`, a hint: DESIGN rule 9).
    pub size: u64,
    /// Opened without following a final symlink (the source was not reached through one).
    pub nofollow: bool,
}

/// What the caller found at DEST's name: one lstat, and a stat following a symlink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    /// (dev, ino) as the copy sees DEST (followed, unless GNU's `use_lstat`).
    pub id: (u64, u64),
    /// DEST as the copy sees it is a directory.
    pub directory: bool,
    /// DEST as the copy sees it is still a symlink: dangling, looping, or not followed.
    pub symlink: bool,
    /// DEST's name (lstat) is a symlink.
    pub name_is_symlink: bool,
    /// DEST as the copy sees it is a FIFO, socket or device node.
    pub special: bool,
    /// Following DEST fails with `ELOOP`.
    pub looping: bool,
    /// (seconds, nanoseconds) as the copy sees DEST.
    pub mtime: (i64, i64),
    /// The symlink at DEST's name was created by this run.
    pub created_symlink: bool,
    /// The file or directory DEST reaches was created by this run.
    pub created: bool,
    /// Link count of DEST as the copy sees it.
    pub nlink: u64,
    /// DEST as the copy sees it is a regular file of this many bytes; `None` for other kinds.
    pub regular_size: Option<u64>,
}

/// The facts the rules decide on. `Option`s are gathered on demand: the rules return
/// [`Step::Gather`] (or [`Step::Ask`]) and are consulted again once the caller filled them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts<'a> {
    pub source: Source<'a>,
    /// DEST, for the name shown (see [`Source::shown`]).
    pub dest: &'a Endpoint,
    /// DEST's name ends in '/'.
    pub dest_ends_in_slash: bool,
    /// DEST ends in '/' and is missing: what a look at the directory it would go in says
    /// (`Ok`: a directory; `ENOENT`: missing; `ENOTDIR`: a file on the way).
    pub slash_parent: Option<Result<(), Errno>>,
    /// `None`: nothing at DEST's name.
    pub existing: Option<Existing>,
    /// The source belongs to a hard-link group whose copies are linked (`-a`, `-d`,
    /// `--preserve=links`, see the caller).
    pub remember: bool,
    /// A first copy of the source's hard-link group is known.
    pub first_copy_known: bool,
    /// GNU's `same_name`: source and DEST are one directory entry.
    pub same_name: Option<bool>,
    /// GNU's `same_file_ok` (see `super::same`).
    pub same_file: Option<SameFile>,
    /// `--update=changed`: DEST holds a finished copy.
    pub unchanged: Option<bool>,
    /// `--resume`: DEST, shorter than SOURCE, holds SOURCE's first bytes (its tail matches:
    /// `restart::resume`), so it is an interrupted copy that the copy continues.
    pub resumable: Option<bool>,
    /// The simple backup name of DEST is the source itself (GNU's `source_is_dst_backup`).
    pub backup_is_source: Option<bool>,
    /// `-i`: the user's answer (true: overwrite).
    pub answer: Option<bool>,
    /// The symlink loop at DEST was removed ([`Step::RemoveLoop`]).
    pub loop_removed: bool,
}

/// A fact a rule needs that the caller has not gathered yet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// [`Facts::same_file`] (and [`Facts::same_name`], which it needs too).
    SameFile,
    SameName,
    Unchanged,
    Resumable,
    SlashParent,
    BackupIsSource,
}

/// One answer of the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Gather this fact and decide again.
    Gather(Fact),
    /// `-i`: ask "overwrite 'DEST'?" and decide again with the answer.
    Ask,
    /// `cp -f` onto a symlink loop: remove it (a failure is ignored), set
    /// [`Facts::loop_removed`], decide again.
    RemoveLoop,
    /// Remove DEST (`report`: a failure is reported and ends the copy, else it is ignored),
    /// then decide again with nothing at DEST (`existing: None`).
    RemoveFirst { report: bool },
    /// Rename DEST to its backup name (put back if the copy fails), then decide again with
    /// nothing at DEST.
    BackUpFirst,
    /// The decision.
    Act(Action),
}

/// What to do with the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Go on: plan the copy (DEST is created, or written in place).
    Proceed,
    /// Leave DEST alone, reported as skipped (`--update`, `-n`).
    Skip,
    /// `-i` answered no: DEST is left alone and the exit status is 1 (GNU 9.2+).
    Decline,
    /// Nothing to do, silently (`same_file_ok`'s "done").
    Done,
    /// Refuse with this error.
    Fail(ReplaceError),
    /// DEST is another name of the source: rename it to its backup name, then start over.
    BackUpThenRetry,
    /// `cp -fb f f`: copy the file to its backup name, leaving it in place.
    CopyToBackup,
    /// `cp -fb f f` in a dry run: report the planned copy.
    PlanOnly,
    /// Make DEST a hard link to the first copy of the source's group: the link is made at a
    /// temporary name and renamed over DEST, so DEST is kept when it cannot be (GNU's
    /// force_linkat).
    LinkToFirst,
    /// `-u` would skip DEST (not older than the source), but the group's first copy is known:
    /// DEST is made a hard link to it as by [`Action::LinkToFirst`], and `-v` says only
    /// `removed 'DEST'` (GNU's `-u` branch links without its `'SRC' -> 'DEST'` line).
    LinkSkippedToFirst,
    /// `-u`: DEST, not older than the source, is remembered as its group's first copy; skip.
    RememberAsFirst,
}

/// Why an existing destination is not replaced. Worded in `report/messages/plan.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaceError {
    /// "cannot create regular file 'd/': Not a directory" (and any other errno).
    CannotCreate { dest: PathBuf, errno: Errno },
    /// "cannot stat 'd': ..." (a symlink loop, or DEST cannot be looked at).
    CannotStat { dest: PathBuf, errno: Errno },
    /// "will not copy 's' through just-created symlink 'd'"
    ThroughJustCreatedSymlink { source: PathBuf, dest: PathBuf },
    /// "'s' and 'd' are the same file"
    SameFile { source: PathBuf, dest: PathBuf },
    /// "not writing through dangling symlink 'd'"
    DanglingSymlink { dest: PathBuf },
    /// "will not overwrite just-created 'd' with 's'"
    JustCreated { source: PathBuf, dest: PathBuf },
    /// `--update=none-fail`: "not replacing 'd'"
    NotReplacing { dest: PathBuf },
    /// "backing up 'd' might destroy source;  's' not copied"
    BackupDestroysSource { source: PathBuf, dest: PathBuf },
    /// "cannot overwrite directory 'd' with non-directory"
    OverwriteDirWithNonDir { dest: PathBuf },
    /// "cannot remove 'd': ..."
    CannotRemove { dest: PathBuf, errno: Errno },
    /// "cannot backup 'd': ..."
    CannotBackup { dest: PathBuf, errno: Errno },
}

/// `-i`'s question about DEST (worded in `report/messages/plan.rs`): "overwrite 'd'?", or,
/// when the user cannot write DEST, GNU copy.c `overwrite_ok`'s "unwritable 'd' (mode 0444,
/// r--r--r--); try anyway?" and, with `-f` or `--remove-destination` (which remove DEST
/// rather than write into it), "replace 'd', overriding mode 0444 (r--r--r--)?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverwriteQuestion {
    /// DEST as shown.
    pub dest: PathBuf,
    /// DEST's mode (`st_mode`) when the user cannot write it (GNU `writable_destination`:
    /// not a symlink, not root, `faccessat(W_OK, AT_EACCESS)` fails); `None` otherwise.
    pub unwritable_mode: Option<u32>,
    /// `-f` or `--remove-destination`: DEST is removed, not written into.
    pub replacing: bool,
}

impl OverwriteQuestion {
    /// "overwrite 'dest'?": for a DEST the user may write.
    pub fn overwrite(dest: PathBuf) -> OverwriteQuestion {
        OverwriteQuestion {
            dest,
            unwritable_mode: None,
            replacing: false,
        }
    }
}
