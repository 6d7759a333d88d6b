//! The directory walk: frames of open source/destination directory fds under a bounded fd
//! budget ([`super::fds`]), each entry stat'ed, filtered, checked against the directories
//! already entered or made, then dispatched (directories are entered in [`super::dirs`]); and
//! when to run it with look-ahead helpers ([`super::lookahead`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{fstat, statat, AtFlags};
use rustix::io::Errno;

use super::dirs::Visit;
use super::errors::WalkError;
use super::frame::{reopen_parent, Frame};
use super::listing;
use super::{same_name, Copier};
use crate::exec::{dirs, probe};
use crate::facts::{FileFacts, FileKind, FsKind};
use crate::options::values::UpdateWhen;
use crate::options::Deref;
use crate::plan::Endpoint;

mod ahead;
#[cfg(test)]
mod tests;

/// What the walk knows about the directory whose entries it is copying: saves a stat and a
/// statfs per file.
#[derive(Copy, Clone, Debug)]
pub(super) struct WalkDir {
    /// This run created the destination directory: every entry's destination is missing.
    pub(super) fresh: bool,
    pub(super) src_dev: u64,
    pub(super) src_fs: FsKind,
    pub(super) dst_dev: u64,
    pub(super) dst_fs: FsKind,
}

/// One operand's walk: the directories entered and the operand's names.
pub(super) struct TreeWalk {
    pub(super) stack: Vec<Frame>,
    /// The source directories being walked, for cycles through symlinks (-L) or bind
    /// mounts: GNU's is_ancestor check.
    ancestors: HashSet<(u64, u64)>,
    root_dev: u64,
    src_shown: PathBuf,
    dst_shown: PathBuf,
    /// `-L`: entries are followed.
    pub(super) follow: bool,
}

/// What a directory reached again means for the walk.
enum Revisit {
    /// Not a directory entered or made already.
    No,
    /// Reported; the rest of the walk goes on.
    Skip,
    /// Reported; this operand stops.
    Stop,
}

impl Copier<'_, '_> {
    /// The look at a tree operand's DEST before it is made: `Some(true)` when it is missing (a
    /// directory found at the `mkdir` is then refused, [`Visit::dest_new`]); `None` when it is
    /// the source itself (`cp -r d .`: GNU's same-file rule, reported or, under `-n`, left).
    fn look_at_tree_dest(
        &mut self,
        facts: &FileFacts,
        dst: &Endpoint,
        src_shown: &Path,
        dst_shown: &Path,
    ) -> Option<bool> {
        let Some((ddir, dname)) = dst.dir_and_name() else {
            return Some(false);
        };
        let st = match statat(ddir, dname, AtFlags::empty()) {
            Ok(st) => st,
            Err(e) => return Some(e == rustix::io::Errno::NOENT),
        };
        if (st.st_dev, st.st_ino) != (facts.dev, facts.ino) {
            return Some(false);
        }
        if self.cfg.update != UpdateWhen::None {
            self.fail_same_file(src_shown, dst_shown);
            return None;
        }
        // GNU skips same_file_ok under -n: the source directory itself is left alone, but a
        // symbolic link to it is a non-directory in the way (`cp -nrT d dln`; red-team finding,
        // round 5).
        let link = statat(ddir, dname, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|l| rustix::fs::FileType::from_raw_mode(l.st_mode).is_symlink());
        if link && !self.cfg.keep_directory_symlink {
            let err = WalkError::NonDirectoryInTheWay {
                dst: dst_shown.to_path_buf(),
                src: src_shown.to_path_buf(),
            };
            self.fail(src_shown, dst_shown, err);
        }
        None
    }
}

impl<'a, 'p> Copier<'a, 'p> {
    /// Copies a directory and everything below it.
    pub(super) fn copy_tree(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let Some(dest_missing) = self.look_at_tree_dest(facts, dst, &src_shown, &dst_shown) else {
            return;
        };
        let visit = Visit {
            mount_point: false,
            dest_new: dest_missing || self.dest_not_directory,
        };
        let Some(mut root) = self.enter_dir(src, facts, dst, nofollow, &mut [], visit) else {
            return;
        };
        root.operand = true;
        // A destination inside the source (`cp -r . out`, `cp -r a/. a/out`), found by
        // identity: the directories made are remembered so the walk stops at the first one it
        // reaches, as GNU cp does, whatever names the operands used.
        let outer_into_itself = self.into_itself;
        self.into_itself = outer_into_itself
            || root
                .dst
                .as_ref()
                .is_some_and(|fd| dirs::is_within(fd.as_fd(), root.src_id));
        if self.cfg.dry_run && self.into_itself && !outer_into_itself {
            // A dry run makes no directory for the walk to reach, so the plan says now how the
            // run ends (new-user trial, round 8: it planned the whole copy and exited 0).
            let (src, dst) = (src_shown.clone(), dst_shown.clone());
            self.fail(&src_shown, &dst_shown, WalkError::IntoItself { src, dst });
            self.into_itself = outer_into_itself;
            return;
        }
        let outer_root = self.walk_root.take();
        // Held for the whole walk, so that hard links are found again from it; not when the
        // walk keeps a single level open (`ulimit -n` below about 30): then each descriptor
        // counts (a tree copies under `ulimit -n 7` with -a too, issue 14), and later names
        // are linked by path, to the file copied only (its identity is checked).
        if self.cfg.preserve_links() && self.dir_levels > 1 {
            self.walk_root = root.dst.clone().map(|fd| (fd, Arc::new(dst_shown.clone())));
        }
        if root.created && !self.cfg.dry_run {
            if let Some(st) = root.dst.as_ref().and_then(|fd| fstat(&**fd).ok()) {
                self.created_dirs
                    .entry((st.st_dev, st.st_ino))
                    .or_insert_with(|| root.dst_shown.to_path_buf());
            }
        }
        let mut walk = TreeWalk {
            ancestors: HashSet::from([root.src_id]),
            stack: vec![root],
            root_dev: facts.dev,
            src_shown,
            dst_shown,
            follow: self.cfg.deref == Deref::Always,
        };
        self.walk_with_lookahead(&mut walk);
        self.current_dir = None;
        self.walk_dir = None;
        self.walk_root = outer_root;
        self.into_itself = outer_into_itself;
    }

    /// Copies the next entry of the innermost directory, or leaves that directory when it has
    /// none left. False when the walk is over.
    pub(super) fn walk_next(&mut self, w: &mut TreeWalk) -> bool {
        let depth = w.stack.len();
        let Some(top) = w.stack.last_mut() else {
            return false;
        };
        if crate::signals::pending().is_some() {
            top.entries.clear();
        }
        if top
            .looks
            .as_ref()
            .is_some_and(|l| top.entries.len() <= l.base)
        {
            // The entries offered to the helpers are used up: the next ones.
            self.offer_looks(Some(&mut *top), w.follow, depth);
        }
        let Some(mut name) = top.entries.pop() else {
            return self.finish_frame(w);
        };
        // An entry offered to the helpers left its name with them: taken back with their look.
        let mut looked = None;
        if let Some((offered, look)) = top.looks.as_ref().and_then(|l| l.take(top.entries.len())) {
            (name, looked) = (offered, look);
        }
        self.current_dir = Some(top.token);
        let walk_dir = WalkDir {
            fresh: top.created,
            src_dev: top.facts.dev,
            src_fs: top.src_fs,
            dst_dev: top.dst_id.0,
            dst_fs: top.dst_fs,
        };
        self.walk_dir = Some(walk_dir);
        let (child_src, child_dst) = top.children(name);
        let pre = looked.map(|l| l.src);
        let Some(facts) = self.entry_facts(&child_src, &child_dst, walk_dir, w.follow, pre) else {
            return true;
        };
        if self.excluded(&w.src_shown, &child_src, &child_dst, &facts) {
            return true;
        }
        if facts.kind != FileKind::Directory {
            self.prelooked = looked.and_then(|l| l.dst);
            self.copy_leaf(
                Cow::Owned(child_src),
                &facts,
                Cow::Owned(child_dst),
                !w.follow,
            );
            self.prelooked = None;
            return true;
        }
        match self.revisited(w, &child_src, &child_dst, &facts) {
            Revisit::No => self.descend(w, &child_src, &facts, &child_dst),
            Revisit::Skip => {}
            Revisit::Stop => {
                while let Some(frame) = w.stack.pop() {
                    self.close_dir(frame);
                }
                return false;
            }
        }
        true
    }

    /// The innermost directory has no entries left: leave it, reopening its parent if the
    /// walk closed it to save descriptors. False when that fails (the walk stops).
    fn finish_frame(&mut self, w: &mut TreeWalk) -> bool {
        let frame = w.stack.pop().expect("non-empty stack");
        w.ancestors.remove(&frame.src_id);
        if let Some(lookahead) = &self.lookahead {
            // Nothing read ahead below this directory is entered now.
            lookahead.forget(Some(frame.token));
        }
        if let Some(parent) = w.stack.last_mut() {
            if let Err(err) = reopen_parent(parent, &frame) {
                self.fail(&frame.src_shown, &frame.dst_shown, err);
                w.stack.clear();
                return false;
            }
        }
        self.close_dir(frame);
        true
    }

    /// The facts of an entry (its symlink's own unless `follow`; `pre`: a look-ahead helper's
    /// stat of it), or `None` once reported.
    fn entry_facts(
        &mut self,
        src: &Endpoint,
        dst: &Endpoint,
        walk_dir: WalkDir,
        follow: bool,
        pre: Option<Result<rustix::fs::Stat, Errno>>,
    ) -> Option<FileFacts> {
        let flags = if follow {
            AtFlags::empty()
        } else {
            AtFlags::SYMLINK_NOFOLLOW
        };
        let (dir, name) = src.dir_and_name().expect("paths");
        match pre.unwrap_or_else(|| statat(dir, name, flags)) {
            Ok(st) => {
                let mut facts = probe::facts_from_stat(&st, 0);
                if facts.dev == walk_dir.src_dev {
                    facts.fs = walk_dir.src_fs;
                }
                Some(facts)
            }
            Err(errno) => {
                let path = src.display_path().to_path_buf();
                let err = WalkError::Stat {
                    path: path.clone(),
                    errno,
                };
                self.fail(&path, dst.display_path(), err);
                None
            }
        }
    }

    /// `--exclude`/`--include`: whether the entry is left out (matched against its path below
    /// the operand `top`), reported as skipped or, under `--dry-run`, as excluded.
    fn excluded(&mut self, top: &Path, src: &Endpoint, dst: &Endpoint, facts: &FileFacts) -> bool {
        let Some(filter) = &self.cfg.restart.filter else {
            return false;
        };
        let rel = src.display_path().strip_prefix(top);
        let is_dir = facts.kind == FileKind::Directory;
        if !rel.is_ok_and(|rel| filter.excludes(rel, is_dir)) {
            return false;
        }
        let (s, d) = (src.display_path(), dst.display_path());
        if self.cfg.dry_run && !self.cfg.json {
            self.reporter.planned_node("excluded", s, d);
        } else {
            let kind = if is_dir { "directory" } else { "file" };
            self.reporter.skipped_node(kind, s, d);
        }
        true
    }

    /// A directory reached again: one this run created (under another name: GNU's "will not
    /// create hard link"; under its own: the destination is inside the source), or one of its
    /// own ancestors (a cycle).
    fn revisited(
        &mut self,
        w: &TreeWalk,
        src: &Endpoint,
        dst: &Endpoint,
        facts: &FileFacts,
    ) -> Revisit {
        let (src_shown, dst_shown) = (src.display_path(), dst.display_path());
        if self.into_itself
            && self.into_directory
            && self.made_dirs.contains((facts.dev, facts.ino))
        {
            // The copy goes into a target directory inside this operand's source (found by
            // identity), and the walk reached a directory it made: GNU names that copy
            // relative to the target directory it opened, so `cp -r d dsl` with dsl -> d is
            // "cannot copy a directory, 'd', into itself, 'dsl/d'", not "will not create hard
            // link" (which `cp -r d dsl/new` does say: there the name goes through dsl).
            return self.stop_copy_into_itself(w);
        }
        if let Some(earlier) = self.created_dirs.get(&(facts.dev, facts.ino)).cloned() {
            if !same_name(src_shown, &earlier) {
                // GNU cp: the directory was reached by another name than the one it was
                // created as.
                let dst = dst_shown.to_path_buf();
                self.fail(
                    src_shown,
                    dst_shown,
                    WalkError::HardLinkToDirectory { dst, earlier },
                );
                return Revisit::Skip;
            }
            // A directory this run created is being copied: the destination is inside the
            // source.
            return self.stop_copy_into_itself(w);
        }
        if self.made_dirs.contains((facts.dev, facts.ino)) {
            // A directory made by this run that was not remembered by name (the destination
            // reached the source by a way [`dirs::is_within`] does not see, such as a bind
            // mount): never entered, the walk would not end.
            return self.stop_copy_into_itself(w);
        }
        if w.ancestors.contains(&(facts.dev, facts.ino)) {
            // As GNU cp: the directory is its own ancestor; the rest of the walk goes on.
            let path = src_shown.to_path_buf();
            self.fail(src_shown, dst_shown, WalkError::CyclicSymlink { path });
            return Revisit::Skip;
        }
        Revisit::No
    }

    /// The destination is inside the source: as GNU cp, reported with the operands' names;
    /// this operand stops (what was copied so far stays).
    fn stop_copy_into_itself(&mut self, w: &TreeWalk) -> Revisit {
        let err = WalkError::IntoItself {
            src: w.src_shown.clone(),
            dst: w.dst_shown.clone(),
        };
        self.fail(&w.src_shown, &w.dst_shown, err);
        Revisit::Stop
    }

    /// Enters the directory `src` (made at `dst`), closing older levels' descriptors when the
    /// walk holds too many; with `-x` on another filesystem only its mount point is made.
    fn descend(&mut self, w: &mut TreeWalk, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let nofollow = !w.follow;
        if self.cfg.one_file_system && facts.dev != w.root_dev {
            // cp -x: the mount point is created, its contents are not copied.
            let visit = Visit {
                mount_point: true,
                dest_new: parent_made(&w.stack),
            };
            if let Some(frame) = self.enter_dir(src, facts, dst, nofollow, &mut w.stack, visit) {
                self.close_dir(frame);
            }
            return;
        }
        self.walk_dir = None;
        let id = (facts.dev, facts.ino);
        let mut ahead = self.lookahead.as_ref().and_then(|l| l.take(id));
        if let Some(ahead) = &mut ahead {
            // Listed by a helper: enter_dir takes its listing (see listing.rs).
            listing::expect_listing(id, std::mem::take(&mut ahead.entries));
        }
        let visit = Visit {
            mount_point: false,
            dest_new: parent_made(&w.stack),
        };
        let entered = self.enter_dir(src, facts, dst, nofollow, &mut w.stack, visit);
        let listed = ahead.filter(|_| listing::unexpect_listing().is_none());
        let Some(frame) = entered else {
            return;
        };
        w.ancestors.insert(frame.src_id);
        w.stack.push(frame);
        self.enter_looks(w, listed);
        if self.close_old_levels(&mut w.stack) {
            self.relieve_fds(&mut w.stack);
        }
    }
}

/// Whether the directory being walked (the last of `stack`) was made by this run: its entries'
/// destinations are then new, as GNU carries `new_dst` down (copy.c).
fn parent_made(stack: &[Frame]) -> bool {
    stack.last().is_some_and(|p| p.created && !p.planned_only)
}
