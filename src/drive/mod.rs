//! Drives every operand — a file, a directory tree, a stream, a `--batch` job — through the
//! planner to the executor: the `Copier` walks, gathers the facts cp's rules need (stats, what
//! this run created), asks [`crate::plan`] to decide, has [`crate::exec`] perform the effects,
//! and dispatches the copy jobs (inline or on the pool: `handoff`). Operands are in `operands`
//! (`--parents` in `parents`), the walk in `walk` (directories in `dirs`), regular files (updates,
//! backups, hard-link preservation) in `files`, symlinks, special files and `-l`/`-s` links
//! in `nodes`. The effects themselves are the executor's (`exec::dirs`, `exec::nodes`); the
//! errors are typed in [`errors`].

mod dest_key;
mod dirs;
pub mod errors;
mod existing;
mod fds;
mod files;
mod frame;
mod handoff;
mod inodes;
mod listing;
mod lookahead;
mod nodes;
mod operands;
mod parents;
mod walk;

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use rustix::fs::{statat, AtFlags};

use self::errors::{EntryError, WalkError};
use self::inodes::{FirstCopy, InodeSet};
use self::operands::{same_name, OperandKey};
use crate::exec::{self, Engine};
use crate::facts::FileFacts;
use crate::meta;
use crate::options::Config;
use crate::plan::mode::ModeSettings;
use crate::plan::{self, Endpoint, RangeArgs};
use crate::pool::{self, Pool};
use crate::report::Reporter;
use dest_key::dest_key;
use frame::Frame;
use walk::WalkDir;

/// One run's copier: options, the engine, the reporter and what this run has created.
pub struct Copier<'a, 'p> {
    cfg: &'a Config,
    engine: &'a Engine<'p>,
    reporter: &'a mut Reporter,
    umask: u32,
    /// Files this run created, for "will not overwrite just-created".
    created_files: InodeSet,
    /// Directories this run created, with their names (GNU's remember_copied).
    created_dirs: HashMap<(u64, u64), PathBuf>,
    /// Every directory this run created, by identity only (small): the walk never enters one.
    made_dirs: InodeSet,
    /// Symlinks this run created: never written through.
    created_symlinks: InodeSet,
    /// Source (dev, ino) → its first copy, for preserving hard links.
    links: HashMap<(u64, u64), FirstCopy>,
    /// The top destination directory of the tree being walked and its shown name (hard links
    /// are found again from it).
    walk_root: Option<(Arc<OwnedFd>, Arc<PathBuf>)>,
    /// Directory levels whose descriptors the walk keeps open (from `ulimit -n`).
    dir_levels: usize,
    /// Command-line sources seen, for "specified more than once".
    /// (dev, ino, base name, parent directory's (dev, ino)): GNU's `seen_file` identity.
    operands: HashSet<OperandKey>,
    /// Worker threads for `-j N` (N > 1); `None` runs jobs inline.
    pool: Option<Pool>,
    /// Jobs gathered for the next hand-off to the workers.
    batch: pool::Work,
    /// Bytes the jobs in [`Copier::batch`] copy (their sizes as planned).
    batch_bytes: u64,
    /// The backup just made of DEST by a rule that copies again after it
    /// ([`crate::plan::replace::Action::BackUpThenRetry`]): put back if that copy fails.
    retry_backup: Option<std::ffi::OsString>,
    /// Destinations of jobs still running ([`dest_key`] of their shown paths) and how many jobs
    /// write each: no copy or SipHash of each path (1% of a tree copy's CPU, issue 16); paths
    /// of one hash only make a job wait for an unrelated one.
    in_flight: FxHashMap<u64, u32>,
    /// Directories whose final mode and times wait for their files' jobs.
    pending_dirs: FxHashMap<u64, PendingDir>,
    /// `--parents` directories that jobs write into: (dev, ino) → their pending directory.
    parent_waits: HashMap<(u64, u64), u64>,
    /// The directory the walk is in (its frame's token).
    current_dir: Option<u64>,
    next_token: u64,
    /// A `--batch` line's own byte range.
    range_override: Option<RangeArgs>,
    /// An interrupted job was reported (the others are not).
    interrupt_reported: bool,
    /// Jobs stopped before they started after the first stop message ([`Copier::finish`]
    /// notes how many, for `-v`).
    listed_not_copied: u64,
    /// The directory the walk is copying entries of, if any.
    walk_dir: Option<WalkDir>,
    /// Record every file created, for "will not overwrite just-created" checks of later
    /// operands (off when there is only one operand).
    pub track_created: bool,
    /// The operand being walked is copied into a directory inside itself: every directory
    /// made is remembered, so that the walk never enters one (GNU's "into itself").
    into_itself: bool,
    /// The operand being copied goes into a target directory (`SOURCE... DIRECTORY`, `-t`),
    /// which GNU cp opens (following a symlink) and names the copies relative to.
    into_directory: bool,
    /// The command line's DEST was looked at and was not a directory ([`Copier::dest_seen_not_directory`]).
    dest_not_directory: bool,
    /// Look-ahead helpers of the operand being walked (a re-copy with `-j`), if any.
    lookahead: Option<Arc<lookahead::Lookahead>>,
    /// Destination names may be looked at ahead (see [`walk`]'s `may_look_ahead_at_dest`).
    dst_looks: bool,
    /// The current entry's destination lstat, looked at by a helper: taken by the entry's
    /// first look at its destination.
    prelooked: Option<Option<rustix::fs::Stat>>,
}

/// A directory whose children may still be copying.
#[derive(Default)]
struct PendingDir {
    /// What finishes it once its jobs are done: set when the walk (or operand) is past it.
    then: Option<Leave>,
    outstanding: usize,
    /// A `--parents` directory's (dev, ino) (see [`Copier::parent_waits`]).
    parent: Option<(u64, u64)>,
}

/// How a pending directory is finished.
enum Leave {
    /// A directory of the walk: its final mode and times ([`Copier::leave_dir`]).
    Walked(Frame),
    /// A `--parents` directory: its attributes again (GNU's re_protect).
    Parent(parents::Reprotect),
}

impl<'a, 'p> Copier<'a, 'p> {
    /// A copier for one run: `umask` decides new nodes' modes, `pool` runs jobs (`-j`).
    pub fn new(
        cfg: &'a Config,
        engine: &'a Engine<'p>,
        reporter: &'a mut Reporter,
        umask: u32,
        pool: Option<Pool>,
    ) -> Self {
        Copier {
            cfg,
            engine,
            reporter,
            umask,
            created_files: InodeSet::default(),
            created_dirs: HashMap::new(),
            made_dirs: InodeSet::default(),
            created_symlinks: InodeSet::default(),
            links: HashMap::new(),
            walk_root: None,
            dir_levels: fds::dir_levels_for_fd_limit(pool::open_file_limit()),
            operands: HashSet::new(),
            pool,
            batch: Vec::new(),
            batch_bytes: 0,
            retry_backup: None,
            in_flight: FxHashMap::default(),
            pending_dirs: FxHashMap::default(),
            parent_waits: HashMap::new(),
            current_dir: None,
            next_token: 0,
            range_override: None,
            interrupt_reported: false,
            listed_not_copied: 0,
            walk_dir: None,
            track_created: true,
            into_itself: false,
            into_directory: false,
            dest_not_directory: false,
            lookahead: None,
            dst_looks: false,
            prelooked: None,
        }
    }

    /// The reporter, for messages about the job list itself.
    pub fn reporter(&mut self) -> &mut Reporter {
        self.reporter
    }

    /// Whether `--mkpath` is to create batch jobs' destination directories (not in a dry run).
    pub fn mkpath(&self) -> bool {
        self.cfg.restart.mkpath && !self.cfg.dry_run
    }

    /// Whether --offset-in/--offset-out/--len were given on the command line.
    pub fn has_command_line_range(&self) -> bool {
        self.cfg.copy.range.is_some()
    }

    /// Sets the byte range for the next operands (a `--batch` line's own range).
    pub fn set_range(&mut self, range: Option<RangeArgs>) {
        self.range_override = range;
    }

    /// Waits for every job handed out so far (a `--batch` job that depends on an earlier one).
    pub fn wait_all(&mut self) {
        self.flush();
        self.drain(true);
    }

    /// Waits for every running job and applies the directories' final metadata.
    pub fn finish(&mut self) {
        self.flush();
        self.drain(true);
        if let Some(pool) = &mut self.pool {
            pool.close();
        }
        self.reporter.listed_not_copied(self.listed_not_copied);
        self.parent_waits.clear();
        let mut rest: Vec<_> = self
            .pending_dirs
            .drain()
            .filter_map(|(token, p)| Some((token, p.then?)))
            .collect();
        // Deepest first, so parents' times are set after their children's.
        rest.sort_by_key(|(token, _)| std::cmp::Reverse(*token));
        for (_, then) in rest {
            self.leave(then);
        }
    }

    /// Reports `err` for the entry `src` → `dst` (an error line and record).
    fn fail(&mut self, src: &Path, dst: &Path, err: impl Into<EntryError>) {
        // The record's `type` is the entry's own (issue 13), not always "file".
        let follow = self.cfg.deref == crate::options::Deref::Always;
        let specials = self.cfg.recursive && !self.cfg.copy_contents;
        let kind = crate::exec::probe::entry_type(src, follow, specials);
        self.reporter
            .failed_entry(kind, src, dst, None, &err.into(), None);
    }

    /// GNU's same-file rule: "'a' and 'b' are the same file".
    fn fail_same_file(&mut self, src: &Path, dst: &Path) {
        let err = WalkError::SameFile {
            src: src.to_path_buf(),
            dst: dst.to_path_buf(),
        };
        self.fail(src, dst, err);
    }

    /// What decides a new node's mode in this run (see [`plan::mode::new_node_mode`]).
    fn mode_settings(&self) -> ModeSettings {
        ModeSettings::new(
            &self.cfg.copy.preserve,
            self.cfg.no_preserve_mode,
            self.umask,
        )
    }

    fn apply_meta(
        &mut self,
        dst: BorrowedFd<'_>,
        src: Option<BorrowedFd<'_>>,
        facts: &FileFacts,
        new_mode: Option<u32>,
        shown: &Path,
    ) {
        if self.cfg.dry_run {
            return;
        }
        let problems = meta::apply(dst, src, facts, &self.cfg.copy.preserve, new_mode, &|| {
            shown.to_path_buf()
        });
        self.report_problems(problems);
    }

    /// Reports what preserving metadata ran into: errors, or warnings when not fatal.
    fn report_problems(&mut self, problems: Vec<meta::MetaProblem>) {
        for problem in problems {
            if problem.fatal {
                self.reporter.error(&problem.error);
            } else {
                self.reporter.note(&problem.error);
            }
        }
    }

    /// Remembers `dst` as the first copy of a hard-linked source.
    fn first_copy(&self, dst: &Endpoint) -> FirstCopy {
        FirstCopy::new(dst, self.walk_root.as_ref())
    }

    /// `cp -fbi f f`: GNU copies f onto its backup name with `-i` still in force, so a backup
    /// name already taken asks "overwrite 'f~'?". False when the answer is no (reported as
    /// declined); true when nothing is there, or the answer is yes.
    fn backup_name_may_be_overwritten(&mut self, src: &Path, dst: &Endpoint) -> bool {
        let Some(b) = self.cfg.backup.clone() else {
            return true;
        };
        if !self.cfg.interactive || self.cfg.dry_run {
            return true;
        }
        let (dir, name) = dst.dir_and_name().expect("paths");
        let Ok((dir_fd, base)) = exec::replace::split_at_dir(dir, name) else {
            return true;
        };
        let taken = crate::backup::backup_name_in(dir_fd.as_fd(), &base, b.control, &b.suffix);
        let Ok(Some(backup)) = taken else {
            return true;
        };
        if statat(&dir_fd, &backup, AtFlags::SYMLINK_NOFOLLOW).is_err() {
            return true;
        }
        let shown = dst.display_path().with_file_name(&backup);
        let question = plan::replace::OverwriteQuestion {
            dest: shown.clone(),
            unwritable_mode: files::allowed::unwritable_mode_at(dir_fd.as_fd(), &*backup),
            replacing: self.cfg.copy.force || self.cfg.remove_destination,
        };
        if self.reporter.ask(&question.to_string()) {
            return true;
        }
        self.reporter.declined(src, &shown);
        false
    }

    /// Removes DEST (not a directory) before something replaces it.
    fn remove_dest(dst: &Endpoint) -> Result<(), rustix::io::Errno> {
        let (dir, name) = dst.dir_and_name().expect("paths");
        exec::replace::remove(dir, name)
    }

    /// What is at the destination name, without following a final symlink.
    fn lstat_dest(dst: &Endpoint) -> Option<rustix::fs::Stat> {
        let (dir, name) = dst.dir_and_name()?;
        statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()
    }

    /// Whether what this operand writes is remembered for GNU's "will not overwrite
    /// just-created" (several operands, outside a tree's walk: GNU's dest_info).
    fn tracks_created(&self) -> bool {
        self.track_created && self.walk_dir.is_none()
    }

    /// Records the symlink, link or special file `id` (dev, ino) an operand made, for the
    /// just-created check of later operands (red team, round 10: `cp -l -b x/f y/f d` let the
    /// second replace the first's link, and the backup of the user's `d/f` with it).
    fn record_created(&mut self, id: (u64, u64)) {
        if self.tracks_created() {
            self.created_files.insert(id);
        }
    }

    /// [`Copier::record_created`] for what is at `dst` now.
    fn record_created_at(&mut self, dst: &Endpoint) {
        if self.tracks_created() {
            if let Some(st) = Self::lstat_dest(dst) {
                self.created_files.insert((st.st_dev, st.st_ino));
            }
        }
    }
}
