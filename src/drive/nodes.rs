//! The other node kinds: symbolic links, FIFOs, sockets and device nodes, and the `-l`/`-s`
//! links made instead of copies.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{FileType, Stat};
use rustix::io::Errno;

use super::errors::{NodeKind, WalkError};
use super::files::allowed;
use super::Copier;
use crate::exec::dirs::MakeError;
use crate::exec::nodes;
use crate::facts::{FileFacts, FileKind};
use crate::meta;
use crate::options::values::UpdateWhen;
use crate::options::{Deref, LinkMode};
use crate::plan::mode::{new_node_mode, NewNode};
use crate::plan::range;
use crate::plan::replace::ReplaceError;
use crate::plan::same::SameFile;
use crate::plan::Endpoint;

impl<'a, 'p> Copier<'a, 'p> {
    /// Copies anything that is not a directory to be descended into.
    pub(super) fn copy_leaf(
        &mut self,
        src: Cow<'_, Endpoint>,
        facts: &FileFacts,
        dst: Cow<'_, Endpoint>,
        nofollow: bool,
    ) {
        // A DEST that a worker still writes (an earlier operand's file under `-j`) is waited
        // for before anything else is made at its name; a regular file waits in `copy_file`,
        // which also drops the look-ahead's stale look (red team, round 14: a later operand's
        // symlink, FIFO or directory raced the worker creating the file: "cannot create
        // regular file ... File exists", or the wrong node left, where `-j1` and GNU copy).
        let plain_copy = self.cfg.link == LinkMode::Copy && facts.kind == FileKind::Regular;
        let fresh = self.walk_dir.is_some_and(|w| w.fresh);
        if !plain_copy && !fresh && self.writing_endpoint(&dst) {
            self.wait_for(dst.display_path());
            self.prelooked = None;
        }
        match self.cfg.link {
            LinkMode::Hard => return self.make_hard_link(&src, facts, &dst, nofollow),
            LinkMode::Symbolic => return self.make_symlink_to_source(&src, facts, &dst),
            LinkMode::Copy => {}
        }
        let ranged = self.cfg.copy.range.is_some() || self.range_override.is_some();
        if ranged {
            if let Err(e) = range::range_of_symlink(ranged, facts, src.display_path()) {
                return self.fail(src.display_path(), dst.display_path(), e);
            }
        }
        match facts.kind {
            FileKind::Symlink => self.copy_symlink(&src, facts, &dst),
            FileKind::Regular => self.copy_file(src, facts, dst, nofollow),
            FileKind::Directory => self.copy_tree(&src, facts, &dst, nofollow),
            _ if self.cfg.copy_contents || !self.cfg.recursive => {
                self.copy_file(src, facts, dst, nofollow)
            }
            _ => self.make_special(&src, facts, &dst),
        }
    }

    /// Recreates a symbolic link (not followed).
    fn copy_symlink(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let target = match nodes::read_link(sdir, sname) {
            Ok(t) => t,
            Err(errno) => {
                let err = WalkError::ReadLink {
                    path: src_shown.clone(),
                    errno,
                };
                return self.fail(&src_shown, &dst_shown, err);
            }
        };
        let mut backed_up = None;
        if let Some(existing) = Self::lstat_dest(dst) {
            match self.clear_for_symlink(src, facts, dst, &existing) {
                Some(backup) => backed_up = backup,
                None => return,
            }
        }
        if self.linked_to_first(&src_shown, facts, dst, backed_up.as_deref()) {
            return;
        }
        if self.cfg.dry_run {
            if let Err(errno) = self.may_create(dst) {
                let (kind, path) = (NodeKind::SymbolicLink, dst_shown.clone());
                let err = WalkError::CreateNode { kind, path, errno };
                return self.fail(&src_shown, &dst_shown, err);
            }
            self.remember_first_node(facts, dst, None);
            return self
                .reporter
                .planned_node("symlink", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let link = match nodes::make_symlink(&target, ddir, dname) {
            Ok(link) => link,
            Err(step) => {
                let backup = backup_to_restore(&backed_up, step);
                let err = WalkError::made(&dst_shown, step, |path, errno| WalkError::CreateNode {
                    kind: NodeKind::SymbolicLink,
                    path,
                    errno,
                });
                return self.fail_restoring(&src_shown, dst, err, backup);
            }
        };
        self.created_symlinks.insert(link.id);
        self.record_created(link.id);
        self.remember_first_node(facts, dst, Some(link.id));
        // A symlink has no mode of its own to set.
        let mut preserve = self.cfg.copy.preserve;
        preserve.attrs.mode = false;
        let problems = meta::apply_to_node(link.fd.as_fd(), facts, &preserve, None, &|| {
            dst_shown.to_path_buf()
        });
        self.report_problems(problems);
        self.reporter.node_done("symlink", &src_shown, &dst_shown);
    }

    /// Before a symbolic link is recreated over an existing destination: GNU's same-file rule,
    /// a directory in the way, `may_replace`, then a backup or the removal (none under
    /// `--dry-run`, whose plan the caller shows). `None` when the link is not to be made
    /// (reported); else the backup name, if one was made.
    fn clear_for_symlink(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> Option<Option<OsString>> {
        let src_shown = src.display_path();
        let dst_shown = dst.display_path();
        // GNU's same_file_ok (two hard links of one symlink: nothing to do; with backups a
        // symlink may replace the file it points to); not with -n (GNU 9.1), which skips.
        let no_clobber = self.cfg.update == UpdateWhen::None;
        match self.same_file_facts(src, facts, dst, existing).0 {
            _ if no_clobber => {}
            SameFile::Error => {
                self.fail_same_file(src_shown, dst_shown);
                return None;
            }
            SameFile::Done => {
                self.same_file_done("symlink", src, facts, dst, existing);
                return None;
            }
            SameFile::Proceed => {}
        }
        // GNU's order: `-u` (with its remembered skips), then `overwrite_ok` (`-n`, `-i`),
        // then a directory in the way (measured: `cp -d -u link dir-holding-a-newer-dir`
        // skips, exit 0; fcopy said "cannot overwrite directory").
        if !self.may_replace("symlink", src, facts, dst, existing) {
            return None;
        }
        let refusal = if FileType::from_raw_mode(existing.st_mode) == FileType::Directory {
            Some(WalkError::DirectoryInTheWay {
                dst: dst_shown.to_path_buf(),
            })
        } else if self.cfg.attributes_only
            && !self.cfg.remove_destination
            && self.cfg.backup.is_none()
        {
            // --attributes-only never removes an existing file: the link cannot be made (GNU
            // 9.1 tests/cp/attr-existing.sh); --remove-destination still replaces it.
            Some(WalkError::CreateNode {
                kind: NodeKind::SymbolicLink,
                path: dst_shown.to_path_buf(),
                errno: Errno::EXIST,
            })
        } else {
            None
        };
        if let Some(err) = refusal {
            self.fail(src_shown, dst_shown, err);
            return None;
        }
        if self.cfg.dry_run {
            // Planned by the caller, once the run's backup or removal would be allowed.
            return self.plan_room(src, dst, Removal::Reported).then_some(None);
        }
        self.make_room(src, dst, Removal::Reported)
    }

    /// Recreates a FIFO, socket or device node (`-r` without `--copy-contents`).
    fn make_special(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let mut backed_up = None;
        if let Some(existing) = Self::lstat_dest(dst) {
            match self.clear_for_special(src, facts, dst, &existing) {
                Some(backup) => backed_up = backup,
                None => return,
            }
        }
        if self.linked_to_first(&src_shown, facts, dst, backed_up.as_deref()) {
            return;
        }
        if self.cfg.dry_run {
            if let Err(errno) = self.may_create(dst) {
                let (kind, path) = (special_kind(facts), dst_shown.clone());
                let err = WalkError::CreateNode { kind, path, errno };
                return self.fail(&src_shown, &dst_shown, err);
            }
            self.remember_first_node(facts, dst, None);
            return self
                .reporter
                .planned_node("special", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let ftype = FileType::from_raw_mode(facts.mode);
        // As GNU cp: created with its final mode (the kernel applies the umask, or a default
        // ACL instead) unless the mode is set afterwards; with ownership preserved, group and
        // other bits are withheld until the owner is right (GNU's omitted_permissions).
        let preserve = self.cfg.copy.preserve.attrs;
        let mode = new_node_mode(NewNode::Special, facts.mode, &self.mode_settings());
        let set_mode = preserve.mode || mode.fixed.is_some() || mode.omitted != 0;
        // Rule 10: everything else goes through a descriptor of the node just made, never
        // through its name (which the directory's owner may have swapped for a symlink).
        let open = set_mode || preserve.ownership || preserve.timestamps;
        let made = nodes::make_special(ddir, dname, ftype, mode.create, facts.rdev, open);
        let node =
            match made {
                Ok(node) => node,
                Err(step) => {
                    let backup = backup_to_restore(&backed_up, step);
                    let kind = special_kind(facts);
                    let err = WalkError::made(&dst_shown, step, |path, errno| {
                        WalkError::CreateNode { kind, path, errno }
                    });
                    return self.fail_restoring(&src_shown, dst, err, backup);
                }
            };
        self.remember_first_node(facts, dst, node.as_ref().map(|n| n.id));
        if let Some(node) = node {
            let new_mode = mode.fixed.or_else(|| mode.restore(node.mode));
            let problems = meta::apply_to_node(
                node.fd.as_fd(),
                facts,
                &self.cfg.copy.preserve,
                new_mode,
                &|| dst_shown.to_path_buf(),
            );
            self.report_problems(problems);
        }
        self.record_created_at(dst);
        self.reporter.node_done("special", &src_shown, &dst_shown);
    }

    /// Before a special file is made over an existing destination: the same-file rule,
    /// `may_replace`, then GNU's
    /// backup, or the removal where its copy_internal unlinks first (-P, or
    /// --remove-destination, or preserving links onto a multiply linked file); with -L the
    /// node cannot be made over it ("File exists"). `None`: not to be made; else the backup
    /// name, if one was made.
    fn clear_for_special(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> Option<Option<OsString>> {
        // GNU's same_file_ok, as for any non-directory (`cp -r p p`, a hard link or a symlink
        // to the FIFO: "are the same file"); not with -n (GNU 9.1), which skips below.
        let no_clobber = self.cfg.update == UpdateWhen::None;
        match self.same_file_facts(src, facts, dst, existing).0 {
            _ if no_clobber => {}
            SameFile::Error => {
                self.fail_same_file(src.display_path(), dst.display_path());
                return None;
            }
            SameFile::Done => {
                self.same_file_done("special", src, facts, dst, existing);
                return None;
            }
            SameFile::Proceed => {}
        }
        if !self.may_replace("special", src, facts, dst, existing)
            || self.directory_in_the_way(src, dst, existing)
        {
            return None;
        }
        let unlink_first = self.cfg.remove_destination
            || self.cfg.deref == Deref::Never
            || (self.cfg.preserve_links() && existing.st_nlink > 1);
        let removal = if unlink_first {
            Removal::Reported
        } else {
            Removal::No
        };
        if self.cfg.dry_run {
            return self.plan_room(src, dst, removal).then_some(None);
        }
        self.make_room(src, dst, removal)
    }

    /// A directory at DEST, where a link or special file is to be made: GNU's "cannot overwrite
    /// directory with non-directory" (after its `overwrite_ok`), never a backup or removal of
    /// the directory. True when reported.
    pub(super) fn directory_in_the_way(
        &mut self,
        src: &Endpoint,
        dst: &Endpoint,
        existing: &Stat,
    ) -> bool {
        if FileType::from_raw_mode(existing.st_mode) != FileType::Directory {
            return false;
        }
        let err = WalkError::DirectoryInTheWay {
            dst: dst.display_path().to_path_buf(),
        };
        self.fail(src.display_path(), dst.display_path(), err);
        true
    }

    /// Reports `err` for a node or link that could not be made at `dst`, and puts DEST's
    /// backup back first (GNU's `un_backup`, whose failure is "cannot un-backup", said after
    /// `err`).
    pub(super) fn fail_restoring(
        &mut self,
        src_shown: &Path,
        dst: &Endpoint,
        err: WalkError,
        backup: Option<&OsStr>,
    ) {
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let restored = backup.map(|b| nodes::un_backup(ddir, dname, b));
        self.fail(src_shown, dst.display_path(), err);
        if let Some(Err(errno)) = restored {
            let path = dst.display_path().to_path_buf();
            self.reporter.error(&WalkError::UnBackup { path, errno });
        }
    }

    /// `--dry-run`'s [`Self::make_room`]: whether the run could back the existing DEST up or
    /// remove it as `removal` says, asked of the kernel without changing anything
    /// ([`allowed::may_remove_at`], and the backup's rename as a regular file's dry run asks
    /// it); a refusal is reported with the run's words ("cannot backup", "cannot remove").
    /// False once reported. (Follow-up of the round-9 red team: the dry run of `-b -s`,
    /// `--remove-destination -P` of a symlink, `-r --remove-destination` of a FIFO planned
    /// what the run refused in a sticky directory.)
    fn plan_room(&mut self, src: &Endpoint, dst: &Endpoint, removal: Removal) -> bool {
        let Some((dir, name)) = dst.dir_and_name() else {
            return true;
        };
        let dest = dst.display_path().to_path_buf();
        let refused = if self.cfg.backup.is_some() {
            self.may_back_up(dir, name, &dest).and_then(Result::err)
        } else if removal == Removal::No {
            None
        } else {
            match allowed::may_remove_at(dir, name) {
                Ok(()) | Err(Errno::NOENT) => None,
                Err(errno) => Some(ReplaceError::CannotRemove { dest, errno }),
            }
        };
        let Some(err) = refused else {
            return true;
        };
        self.fail(src.display_path(), dst.display_path(), err);
        false
    }

    /// Makes room for a node or link at the existing DEST: renames it to its backup name when
    /// backups are made (and returns that name), else removes it as `removal` says (with `-v`,
    /// GNU's "removed 'DEST'", measured: `cp -a -v` of a symlink or FIFO onto a file, `cp -a -v
    /// -l` onto a file with other names). `None` once a failure is reported.
    fn make_room(
        &mut self,
        src: &Endpoint,
        dst: &Endpoint,
        removal: Removal,
    ) -> Option<Option<OsString>> {
        let cleared = if self.cfg.backup.is_some() {
            self.back_up(dst)
        } else if removal == Removal::No {
            Ok(None)
        } else {
            match Self::remove_dest(dst) {
                // GNU's copy_internal: "removed 'DEST'" with -v once unlinked.
                Ok(()) => {
                    self.reporter.removed(dst.display_path());
                    Ok(None)
                }
                // Gone meanwhile: nothing to remove (GNU ignores ENOENT too).
                Err(Errno::NOENT) => Ok(None),
                Err(errno) => Err(ReplaceError::CannotRemove {
                    dest: dst.display_path().to_path_buf(),
                    errno,
                }),
            }
        };
        match cleared {
            Ok(backup) => Some(backup),
            Err(e) => {
                self.fail(src.display_path(), dst.display_path(), e);
                None
            }
        }
    }
}

/// How a special file's failed creation names it: "fifo", else "special file" (GNU's words).
fn special_kind(facts: &FileFacts) -> NodeKind {
    if facts.kind == FileKind::Fifo {
        NodeKind::Fifo
    } else {
        NodeKind::SpecialFile
    }
}

/// The backup to put back when making a node failed: only when the node could not be created
/// (a node made but not reopened as itself is not replaced by the backup).
fn backup_to_restore(backed_up: &Option<OsString>, step: MakeError) -> Option<&OsStr> {
    match step {
        MakeError::Create(_) => backed_up.as_deref(),
        _ => None,
    }
}

/// Whether [`Copier::make_room`] removes DEST when it makes no backup.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Removal {
    /// DEST stays (the creation then fails with "File exists", as GNU's).
    No,
    /// Removed; a failure is reported ("cannot remove"), as GNU 9.1's copy_internal does
    /// wherever it unlinks first (measured as nobody in a sticky directory over root's file:
    /// `cp -r --remove-destination fifo st/f`, `cp -l --remove-destination`, `cp -s -P` of a
    /// symlink; fcopy said "cannot create fifo 'st/f': File exists" before).
    Reported,
}

mod links;
pub(super) use links::LinkKind;

#[cfg(test)]
mod tests;
