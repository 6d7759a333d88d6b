//! Directories of a tree copy: entering one (its source opened and checked, its destination
//! made or opened by the executor, its entries read) and leaving it (its final mode and times
//! once its entries and their jobs are done); the jobs pending in a directory, also counted
//! for `--parents` directories.

use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use rustix::fs::{fstat, statat, AtFlags};
use rustix::io::Errno;

use super::errors::WalkError;
use super::frame::{read_entries, Frame};
use super::{Copier, Leave, PendingDir};
use crate::exec::dirs::{self, open_dir, DirError};
use crate::exec::probe;
use crate::facts::{FileFacts, FsKind};
use crate::options::Deref;
use crate::plan::mode::{new_node_mode, NewNode};
use crate::plan::Endpoint;

mod unreadable;
use unreadable::{hold_source_dir, Unreadable};

/// How a source directory is visited, and what its destination was when looked at.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) struct Visit {
    /// `cp -x`: a mount point of another filesystem, made (with its attributes) and not
    /// entered, its entries never read. GNU cp never opens it, so one that fcopy cannot read
    /// is made all the same and is no error (gnu7, round 7: `cannot access` and exit 1 where
    /// GNU exits 0).
    pub(super) mount_point: bool,
    /// The destination was missing when looked at (an operand's DEST), or its parent was made
    /// by this run: a directory found there at the `mkdir` was put there since, not by this
    /// run, and is refused as GNU refuses it (`cannot create directory 'D': File exists`),
    /// never copied into (red team, round 7: another user's 0777 directory, planted between
    /// the look and the `mkdir`, received root's files in 27 runs of 40; GNU in none).
    pub(super) dest_new: bool,
}

/// The destination directory of a directory being entered.
struct DestDir {
    fd: OwnedFd,
    /// Made by this run (or, under `--dry-run`, to be made).
    created: bool,
    /// `--dry-run` with no directory there: `fd` is its parent, standing in for it.
    planned_only: bool,
    /// The mode to set once it is done ([`dirs::prepare_new_dir`]).
    restore_mode: Option<u32>,
}

impl<'a, 'p> Copier<'a, 'p> {
    /// Opens a source directory and creates (or opens) its destination; prints the -v line.
    /// A `-x` mount point ([`Visit::mount_point`]) is not listed.
    pub(super) fn enter_dir(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
        ancestors: &mut [Frame],
        visit: Visit,
    ) -> Option<Frame> {
        // A file a worker still writes at this name (an earlier operand's, `-j`) is waited
        // for first: then GNU's "cannot overwrite non-directory" (red team, round 14: the
        // directory was made and filled while the worker's create then failed).
        if self.writing_endpoint(dst) {
            self.wait_for(dst.display_path());
        }
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let src_fd = match self.open_source_dir(src, facts, nofollow, ancestors) {
            Ok(fd) => fd,
            Err(err @ WalkError::Access { .. }) => {
                let unreadable = Unreadable {
                    err: (!visit.mount_point).then_some(err),
                    visit,
                    held: hold_source_dir(src, facts, nofollow),
                };
                self.unreadable_dir(src, facts, dst, ancestors, unreadable);
                return None;
            }
            Err(err) => {
                self.fail(&src_shown, &dst_shown, err);
                return None;
            }
        };
        // Listed before the destination is opened, the listing's descriptor is closed again
        // first: one descriptor less at once (a tree copies under `ulimit -n 7`, issue 14).
        // Listed after the destination exists, as GNU cp does, when it is made in this very
        // directory (or for an operand): it then shows up in the walk and is reported as a
        // copy into itself.
        let early = ancestors
            .last()
            .is_some_and(|parent| parent.dst_id != (facts.dev, facts.ino));
        let mut listed = visit.mount_point.then(Default::default);
        if early && listed.is_none() {
            listed = Some(self.list_dir(&src_fd, &src_shown, &dst_shown, ancestors)?);
        }
        let dest = self.open_dest_dir(src, facts, dst, ancestors, visit)?;
        if self.cfg.dry_run {
            self.reporter
                .planned_node("directory", &src_shown, &dst_shown);
        }
        let entries = match listed {
            Some(entries) => entries,
            None => self.list_dir(&src_fd, &src_shown, &dst_shown, ancestors)?,
        };
        let dst_st = fstat(&dest.fd).ok()?;
        let token = self.next_token;
        self.next_token += 1;
        self.pending_dirs.insert(token, PendingDir::default());
        let created = dest.created;
        self.remember_made(&dest, &dst_st, &dst_shown);
        // GNU cp -v names a directory only when it creates it.
        if !self.cfg.dry_run && (created || self.cfg.json) {
            self.reporter.node_done("directory", &src_shown, &dst_shown);
        }
        let src_fs = fs_kind_of(&src_fd, facts.dev);
        let dst_fs = fs_kind_of(&dest.fd, dst_st.st_dev);
        Some(Frame {
            src: Some(Arc::new(src_fd)),
            dst: Some(Arc::new(dest.fd)),
            src_id: (facts.dev, facts.ino),
            dst_id: (dst_st.st_dev, dst_st.st_ino),
            src_shown: Arc::from(src_shown),
            dst_shown: Arc::from(dst_shown),
            facts: *facts,
            created,
            planned_only: dest.planned_only,
            restore_mode: dest.restore_mode,
            operand: false,
            entries,
            token,
            src_fs,
            dst_fs,
            looks: None,
        })
    }

    /// The names in the source directory `fd` ([`read_entries`]); `None` once reported.
    fn list_dir(
        &mut self,
        fd: &OwnedFd,
        src_shown: &Path,
        dst_shown: &Path,
        ancestors: &mut [Frame],
    ) -> Option<Vec<OsString>> {
        match self.retry_emfile(ancestors, || read_entries(fd.as_fd())) {
            Ok(entries) => Some(entries),
            Err(errno) => {
                let path = src_shown.to_path_buf();
                self.fail(src_shown, dst_shown, WalkError::Access { path, errno });
                None
            }
        }
    }

    /// Remembers a directory this walk made (`dst_st`: its status), so that the walk knows
    /// it again when it reaches it.
    fn remember_made(&mut self, dest: &DestDir, dst_st: &rustix::fs::Stat, dst_shown: &Path) {
        if !dest.created || dest.planned_only {
            return;
        }
        // Without -L/-H a walk reaches a directory it created only through the operands
        // (into itself, or a later operand): with one operand and -P, only the operand's own
        // directory is remembered (in copy_tree), which keeps `cp -al` of 20,000
        // directories small (GNU tests/cp/link-heap.sh).
        self.made_dirs.insert((dst_st.st_dev, dst_st.st_ino));
        if self.track_created || self.into_itself || self.cfg.deref != Deref::Never {
            // For directories, the destination's name (GNU's remember_copied).
            self.created_dirs
                .insert((dst_st.st_dev, dst_st.st_ino), dst_shown.to_path_buf());
        }
    }

    /// Opens the source directory (`O_NOFOLLOW` unless followed) and checks it is the one
    /// stat'ed. Errors: [`WalkError::Access`] (not opened), [`WalkError::SourceReplaced`].
    fn open_source_dir(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        nofollow: bool,
        ancestors: &mut [Frame],
    ) -> Result<OwnedFd, WalkError> {
        let src_shown = src.display_path();
        let (sdir, sname) = src.dir_and_name().expect("paths");
        match self.retry_emfile(ancestors, || open_dir(sdir, sname, nofollow)) {
            Ok(fd) => match fstat(&fd) {
                Ok(st) if (st.st_dev, st.st_ino) == (facts.dev, facts.ino) => Ok(fd),
                _ => Err(WalkError::SourceReplaced {
                    path: src_shown.to_path_buf(),
                }),
            },
            Err(errno) => Err(WalkError::Access {
                path: src_shown.to_path_buf(),
                errno,
            }),
        }
    }

    /// `--dry-run`: whether the run could make the directory `dname` (in `ddir`) that the plan
    /// stands in for: the first one in an existing directory needs write and search permission
    /// there (effective ids), a directory not immutable, and a mount not read-only, as the
    /// kernel checks the run's `mkdirat` ([`super::files::allowed::may_create_at`]; red team,
    /// round 9: `--dry-run -r tree ndw/t` into a directory nobody may write planned the copy;
    /// the run fails). One inside a planned directory (`in_planned`), or
    /// one `--mkpath` plans to make, always could.
    fn may_make_planned(
        &self,
        ddir: BorrowedFd<'_>,
        dname: &Path,
        dst_shown: &Path,
        in_planned: bool,
    ) -> Result<bool, DirError> {
        if in_planned || self.reporter.planned_dir(probe::parent_dir(dst_shown)) {
            return Ok(true);
        }
        super::files::allowed::may_create_at(ddir, probe::parent_dir(dname))
            .map(|()| true)
            .map_err(DirError::Create)
    }

    /// Makes the destination directory with its GNU mode (or finds one there) and opens it;
    /// under `--dry-run` a missing one is stood in for by its parent. `None` once reported.
    fn open_dest_dir(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        ancestors: &mut [Frame],
        visit: Visit,
    ) -> Option<DestDir> {
        let (src_shown, dst_shown) = (src.display_path(), dst.display_path());
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        // --dry-run creates nothing: a missing destination directory is stood in for by its
        // parent, and the walk treats it as fresh (every entry's destination missing). Inside
        // one, nothing is looked up: the stand-in's names are another directory's (new-user
        // trial, round 4: `--dry-run -r src new` with a file `q` in the working directory
        // refused `new/sub/q`, and tried mkdirat there).
        let in_planned = ancestors.last().is_some_and(|parent| parent.planned_only);
        let planned_only = self.cfg.dry_run
            && (in_planned
                || matches!(
                    statat(ddir, dname, AtFlags::SYMLINK_NOFOLLOW),
                    Err(Errno::NOENT)
                ));
        // Rule 7 of issue 12: created with the mode GNU cp gives mkdir, so the kernel's umask
        // or the parent's default ACL decides, as for GNU cp.
        let mode = new_node_mode(NewNode::Directory, facts.mode, &self.mode_settings());
        let keep_link = self.cfg.keep_directory_symlink;
        let made = match (planned_only, self.cfg.dry_run) {
            (true, _) => self.may_make_planned(ddir, dname, dst_shown, in_planned),
            (false, true) => dirs::existing_dir(ddir, dname, keep_link),
            (false, false) => dirs::make_dir(ddir, dname, mode.create, keep_link),
        };
        let path = dst_shown.to_path_buf();
        let created = match made {
            Ok(created) => created,
            Err(e) => {
                let err = match e {
                    DirError::NotDirectory => WalkError::NonDirectoryInTheWay {
                        dst: path,
                        src: src_shown.to_path_buf(),
                    },
                    DirError::Create(errno) => WalkError::CreateDirectory { path, errno },
                };
                self.fail(src_shown, dst_shown, err);
                return None;
            }
        };
        let opened = if planned_only {
            // A dry run meets a missing parent here: the run's mkdir would have failed,
            // unless the run makes it (--mkpath's -t DIR, planned before the walk): then its
            // nearest existing ancestor stands in.
            let made_by_run = self.reporter.planned_dir(probe::parent_dir(dst_shown));
            self.retry_emfile(ancestors, || stand_in_dir(ddir, dname, made_by_run))
                .map_err(|errno| WalkError::CreateDirectory { path, errno })
        } else {
            self.retry_emfile(ancestors, || {
                dirs::open_made_dir(ddir, dname, created, keep_link)
            })
            .map_err(|e| WalkError::opened(dst_shown, e))
        };
        let fd = match opened {
            Ok(fd) => fd,
            Err(err) => {
                self.fail(src_shown, dst_shown, err);
                return None;
            }
        };
        if !created && visit.dest_new && !planned_only && self.planted(&fd, src_shown, dst_shown) {
            return None;
        }
        let restore_mode = (created && !planned_only && !self.cfg.dry_run)
            .then(|| dirs::prepare_new_dir(fd.as_fd(), &mode))
            .flatten();
        Some(DestDir {
            fd,
            created,
            planned_only,
            restore_mode,
        })
    }

    /// A directory's walk is over: finish it now, or when its last job completes.
    pub(super) fn close_dir(&mut self, mut frame: Frame) {
        // Helpers stop looking here; the descriptors close with the frame.
        frame.looks = None;
        if self.pool.is_some() {
            // The directory's last files may still wait for a hand-off: send them now.
            self.flush();
        }
        match self.pending_dirs.get_mut(&frame.token) {
            Some(p) if p.outstanding > 0 => p.then = Some(Leave::Walked(frame)),
            _ => {
                self.pending_dirs.remove(&frame.token);
                self.leave_dir(frame);
            }
        }
    }

    /// A job in the pending directory `token` is done (or an operand no longer holds it):
    /// the last one finishes the directory if the walk is past it, and a `--parents`
    /// directory with nothing waiting is forgotten.
    pub(super) fn job_left(&mut self, token: u64) {
        let Some(p) = self.pending_dirs.get_mut(&token) else {
            return;
        };
        p.outstanding -= 1;
        if p.outstanding > 0 || (p.then.is_none() && p.parent.is_none()) {
            return;
        }
        let Some(done) = self.pending_dirs.remove(&token) else {
            return;
        };
        if let Some(id) = done.parent {
            self.parent_waits.remove(&id);
        }
        if let Some(then) = done.then {
            self.leave(then);
        }
    }

    /// Finishes a directory whose jobs are done.
    pub(super) fn leave(&mut self, then: Leave) {
        match then {
            Leave::Walked(frame) => self.leave_dir(frame),
            Leave::Parent(parent) => self.reprotect_waiting(parent),
        }
    }

    /// A directory's children are done: apply its final mode and times. Not after a stop
    /// (a signal, or standard output's reader gone): the directory may lack entries, so it
    /// keeps the mode it was filled with (its owner's rwx) and no times, as GNU cp leaves it
    /// when killed, and a new run (`--resume`, `-u`) can fill it. New-user trial, round 13:
    /// Ctrl-C during `-a` of a 0555 directory gave it 0555 and SOURCE's mtime with 626 of
    /// 3,001 entries, and every later run as its owner failed with EACCES.
    pub(super) fn leave_dir(&mut self, frame: Frame) {
        let (Some(src), Some(dst)) = (frame.src, frame.dst) else {
            return;
        };
        if crate::signals::pending().is_some() {
            return;
        }
        self.finish_dir(
            dst.as_fd(),
            Some(src.as_fd()),
            &frame.facts,
            frame.created,
            frame.restore_mode,
            &frame.dst_shown,
        );
        if self.cfg.sync && !self.cfg.dry_run {
            // A new subdirectory's entry is flushed with its parent, which the walk leaves too.
            let new_top = frame.created && frame.operand;
            let synced = crate::exec::sync_tree_dir(dst.as_fd(), &frame.dst_shown, new_top);
            if let Err(msg) = synced {
                self.fail(&frame.src_shown, &frame.dst_shown, msg);
            }
        }
    }
}

impl<'a, 'p> Copier<'a, 'p> {
    /// Gives the destination directory `dst` its final mode and metadata: `created` by this
    /// run (then `--no-preserve=mode`'s mode, or `restore_mode` from
    /// [`dirs::prepare_new_dir`]); `src` is `None` for a source that could not be opened.
    fn finish_dir(
        &mut self,
        dst: BorrowedFd<'_>,
        src: Option<BorrowedFd<'_>>,
        facts: &FileFacts,
        created: bool,
        restore_mode: Option<u32>,
        dst_shown: &Path,
    ) {
        let fixed = new_node_mode(NewNode::Directory, facts.mode, &self.mode_settings())
            .fixed
            .filter(|_| created);
        let new_mode = match fixed {
            // As GNU cp: `--no-preserve=mode` sets 0777 less the umask (and the sticky bit),
            // keeping a set-group-ID bit inherited from the parent.
            Some(mode) => {
                let inherited_setgid = fstat(dst).map(|st| st.st_mode & 0o2000).unwrap_or(0);
                Some(mode | inherited_setgid)
            }
            None => restore_mode,
        };
        self.apply_meta(dst, src, facts, new_mode, dst_shown);
    }
}

/// The filesystem a directory on device `dev` is on: asked once per device (unknown if
/// `fstatfs` fails).
fn fs_kind_of(fd: &OwnedFd, dev: u64) -> FsKind {
    FsKind::from_magic(crate::exec::probe::fd_fs_magic(fd, dev))
}

/// `--dry-run`: the directory standing in for the missing destination directory `dname`: its
/// parent or, when the run would make that parent (`planned_parent`: `--mkpath`), the nearest
/// ancestor that exists.
fn stand_in_dir(
    ddir: rustix::fd::BorrowedFd<'_>,
    dname: &std::path::Path,
    planned_parent: bool,
) -> Result<OwnedFd, Errno> {
    let parent = probe::parent_dir(dname);
    let mut tried = open_dir(ddir, parent, false);
    if planned_parent {
        for up in parent.ancestors().skip(1) {
            if !matches!(tried, Err(Errno::NOENT)) {
                break;
            }
            let up = if up.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                up
            };
            tried = open_dir(ddir, up, false);
        }
    }
    tried
}

impl Copier<'_, '_> {
    /// A directory found at a destination that was new ([`Visit::dest_new`]): unless this run
    /// made it (another operand's copy, merged into as GNU merges), it was put there since,
    /// and is reported as GNU reports it (`cannot create directory 'D': File exists`).
    fn planted(&mut self, fd: &OwnedFd, src_shown: &Path, dst_shown: &Path) -> bool {
        if fstat(fd).is_ok_and(|st| self.made_dirs.contains((st.st_dev, st.st_ino))) {
            return false;
        }
        let err = WalkError::CreateDirectory {
            path: dst_shown.to_path_buf(),
            errno: Errno::EXIST,
        };
        self.fail(src_shown, dst_shown, err);
        true
    }
}
