//! The other node kinds: symbolic links, FIFOs, sockets and device nodes, and the `-l`/`-s`
//! links made instead of copies.

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{statat, AtFlags, FileType, Stat};
use rustix::io::Errno;

use super::errors::{NodeKind, WalkError};
use super::Copier;
use crate::exec::dirs::MakeError;
use crate::exec::{nodes, probe, replace};
use crate::facts::{FileFacts, FileKind};
use crate::meta;
use crate::options::{Deref, LinkMode};
use crate::plan::mode::{new_node_mode, NewNode};
use crate::plan::replace::ReplaceError;
use crate::plan::same::SameFile;
use crate::plan::Endpoint;

impl<'a, 'p> Copier<'a, 'p> {
    /// Copies anything that is not a directory to be descended into.
    pub(super) fn copy_leaf(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) {
        match self.cfg.link {
            LinkMode::Hard => return self.make_hard_link(src, facts, dst, nofollow),
            LinkMode::Symbolic => return self.make_symlink_to_source(src, dst),
            LinkMode::Copy => {}
        }
        match facts.kind {
            FileKind::Symlink => self.copy_symlink(src, facts, dst),
            FileKind::Regular => self.copy_file(src, facts, dst, nofollow),
            FileKind::Directory => self.copy_tree(src, facts, dst, nofollow),
            _ if self.cfg.copy_contents || !self.cfg.recursive => {
                self.copy_file(src, facts, dst, nofollow)
            }
            _ => self.make_special(src, facts, dst),
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
        if let Some(existing) = Self::lstat_dest(dst) {
            if !self.clear_for_symlink(src, facts, dst, &existing) {
                return;
            }
        } else if self.cfg.dry_run {
            return self
                .reporter
                .planned_node("symlink", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let link = match nodes::make_symlink(&target, ddir, dname) {
            Ok(link) => link,
            Err(step) => {
                let err = WalkError::made(&dst_shown, step, |path, errno| WalkError::CreateNode {
                    kind: NodeKind::SymbolicLink,
                    path,
                    errno,
                });
                return self.fail(&src_shown, &dst_shown, err);
            }
        };
        self.created_symlinks.insert(link.id);
        // A symlink has no mode of its own to set.
        let mut preserve = self.cfg.copy.preserve;
        preserve.attrs.mode = false;
        let problems = meta::apply_to_node(link.fd.as_fd(), facts, &preserve, None, &dst_shown);
        self.report_problems(problems);
        self.reporter.node_done("symlink", &src_shown, &dst_shown);
    }

    /// Before a symbolic link is recreated over an existing destination: GNU's same-file rule,
    /// a directory in the way, `may_replace`, then a backup or the removal. False when the link
    /// is not to be made (reported, or planned only under `--dry-run`).
    fn clear_for_symlink(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> bool {
        let src_shown = src.display_path();
        let dst_shown = dst.display_path();
        // GNU's same_file_ok (two hard links of one symlink: nothing to do; with backups a
        // symlink may replace the file it points to).
        match self.same_file_facts(src, facts, dst, existing).0 {
            SameFile::Error => {
                self.fail_same_file(src_shown, dst_shown);
                return false;
            }
            SameFile::Done => return false,
            SameFile::Proceed => {}
        }
        let refusal = if FileType::from_raw_mode(existing.st_mode) == FileType::Directory {
            Some(WalkError::DirectoryInTheWay {
                dst: dst_shown.to_path_buf(),
            })
        } else if !self.may_replace(src, facts, dst, existing) {
            return false;
        } else if self.cfg.dry_run {
            self.reporter.planned_node("symlink", src_shown, dst_shown);
            return false;
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
            return false;
        }
        self.make_room(src, dst, Removal::Reported).is_some()
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
        if self.cfg.dry_run {
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
                    if let (Some(backup), MakeError::Create(_)) = (&backed_up, step) {
                        replace::restore_backup(ddir, dname, backup);
                    }
                    let kind = if facts.kind == FileKind::Fifo {
                        NodeKind::Fifo
                    } else {
                        NodeKind::SpecialFile
                    };
                    let err = WalkError::made(&dst_shown, step, |path, errno| {
                        WalkError::CreateNode { kind, path, errno }
                    });
                    return self.fail(&src_shown, &dst_shown, err);
                }
            };
        if let Some(node) = node {
            let new_mode = mode.fixed.or_else(|| mode.restore(node.mode));
            let problems = meta::apply_to_node(
                node.fd.as_fd(),
                facts,
                &self.cfg.copy.preserve,
                new_mode,
                &dst_shown,
            );
            self.report_problems(problems);
        }
        self.reporter.node_done("special", &src_shown, &dst_shown);
    }

    /// Before a special file is made over an existing destination: `may_replace`, then GNU's
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
        if !self.may_replace(src, facts, dst, existing) {
            return None;
        }
        let unlink_first = self.cfg.remove_destination
            || self.cfg.deref == Deref::Never
            || (self.cfg.preserve_links() && existing.st_nlink > 1);
        if self.cfg.dry_run {
            return Some(None);
        }
        let removal = if unlink_first {
            Removal::Quiet
        } else {
            Removal::No
        };
        self.make_room(src, dst, removal)
    }

    /// `-l`: a hard link instead of a copy.
    fn make_hard_link(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        if facts.kind == FileKind::Directory {
            return self.copy_tree(src, facts, dst, true);
        }
        if let Some(existing) = Self::lstat_dest(dst) {
            // `cp -lbf f f`: GNU links the backup name to f.
            let self_backup = (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino)
                && self.cfg.backup.is_some()
                && self.cfg.copy.force
                && facts.kind == FileKind::Regular
                && super::same_name(src.display_path(), dst.display_path());
            if self_backup && !self.cfg.dry_run {
                return match self.backup_endpoint(dst) {
                    Ok(Some(backup_dst)) => self.make_hard_link(src, facts, &backup_dst, nofollow),
                    Ok(None) => {}
                    Err(e) => self.fail(src.display_path(), dst.display_path(), e),
                };
            }
            match self.same_file_facts(src, facts, dst, &existing).0 {
                SameFile::Error => return self.fail_same_file(&src_shown, &dst_shown),
                SameFile::Done => return,
                SameFile::Proceed => {}
            }
            if (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino) {
                return self.reporter.node_done("hardlink", &src_shown, &dst_shown);
            }
            if !self.clear_for_link(src, facts, dst, &existing) {
                return;
            }
        }
        // -L, and -H for an operand: link to what the symlink points to (GNU link-deref.sh).
        let follow = self.cfg.deref == Deref::Always || !nofollow;
        self.make_link(LinkKind::Hard, &src_shown, &src_shown, dst, || {
            let (sdir, sname) = src.dir_and_name().expect("paths");
            let (ddir, dname) = dst.dir_and_name().expect("paths");
            nodes::hard_link(sdir, sname, ddir, dname, follow)
        });
    }

    /// `-s`: a symbolic link to the source path as given.
    fn make_symlink_to_source(&mut self, src: &Endpoint, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        if relative_link_refused(&src_shown, &dst_shown) {
            let err = WalkError::RelativeSymlink {
                dst: dst_shown.clone(),
            };
            return self.fail(&src_shown, &dst_shown, err);
        }
        if let Some(existing) = Self::lstat_dest(dst) {
            if resolves_to(src, &existing) {
                return self.fail_same_file(&src_shown, &dst_shown);
            }
            let facts = probe::facts_from_stat(&existing, 0);
            if !self.clear_for_link(src, &facts, dst, &existing) {
                return;
            }
        }
        self.make_link(LinkKind::Symbolic, &src_shown, &src_shown, dst, || {
            let (ddir, dname) = dst.dir_and_name().expect("paths");
            nodes::symlink_to(&src_shown, ddir, dname)
        });
    }

    /// Makes a link to `target` at `dst` with `link` (under --dry-run only plans it) and
    /// reports it, or GNU's "cannot create hard link 'dst' to 'target'".
    pub(super) fn make_link(
        &mut self,
        kind: LinkKind,
        src_shown: &Path,
        target: &Path,
        dst: &Endpoint,
        link: impl FnOnce() -> Result<(), Errno>,
    ) {
        let (node, link_kind) = match kind {
            LinkKind::Hard => ("hardlink", NodeKind::HardLink),
            LinkKind::Symbolic => ("symlink", NodeKind::SymbolicLink),
        };
        let dst_shown = dst.display_path();
        if self.cfg.dry_run {
            return self.reporter.planned_node(node, src_shown, dst_shown);
        }
        if let Err(errno) = link() {
            let err = WalkError::Link {
                kind: link_kind,
                dst: dst_shown.to_path_buf(),
                target: target.to_path_buf(),
                errno,
            };
            return self.fail(src_shown, dst_shown, err);
        }
        self.reporter.node_done(node, src_shown, dst_shown);
    }

    /// Before `-l` or `-s` makes its link over an existing destination: the `may_replace`
    /// checks, then a backup, or with `-f`/`--remove-destination` the removal (whose failure
    /// the link's own error then reports). False when the link is not to be made.
    fn clear_for_link(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> bool {
        if !self.may_replace(src, facts, dst, existing) {
            return false;
        }
        if self.cfg.dry_run {
            // --dry-run writes nothing: no backup, no removal.
            return true;
        }
        let remove = self.cfg.copy.force
            || self.cfg.remove_destination
            // GNU removes DEST first also when not following a non-regular source, and when
            // preserving links onto a file with several (copy.c, copy_internal).
            || (self.cfg.deref == Deref::Never && facts.kind != FileKind::Regular)
            || (self.cfg.preserve_links() && existing.st_nlink > 1);
        let removal = if remove { Removal::Quiet } else { Removal::No };
        self.make_room(src, dst, removal).is_some()
    }

    /// Makes room for a node or link at the existing DEST: renames it to its backup name when
    /// backups are made (and returns that name), else removes it as `removal` says. `None` once
    /// a failure is reported.
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
                Err(errno) if removal == Removal::Reported => Err(ReplaceError::CannotRemove {
                    dest: dst.display_path().to_path_buf(),
                    errno,
                }),
                _ => Ok(None),
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

/// Whether [`Copier::make_room`] removes DEST when it makes no backup.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Removal {
    /// DEST stays (the creation then fails with "File exists", as GNU's).
    No,
    /// Removed; a failure is left for the creation's own error to tell.
    Quiet,
    /// Removed; a failure is reported ("cannot remove").
    Reported,
}

/// The links [`Copier::make_link`] makes.
#[derive(Copy, Clone)]
pub(super) enum LinkKind {
    Hard,
    Symbolic,
}

/// GNU cp's `-s` rule: a relative source makes a symbolic link only in the current directory
/// (elsewhere the link would point to the wrong place): "can make relative symbolic links only
/// in current directory".
fn relative_link_refused(src: &Path, dst: &Path) -> bool {
    !src.is_absolute() && dst.components().count() > 1 && probe::parent_dir(dst) != Path::new(".")
}

/// Whether the source, followed through symlinks, is the file `existing` (GNU's same-file
/// rule for link destinations).
fn resolves_to(src: &Endpoint, existing: &Stat) -> bool {
    let (sdir, sname) = src.dir_and_name().expect("paths");
    statat(sdir, sname, AtFlags::empty())
        .is_ok_and(|st| (st.st_dev, st.st_ino) == (existing.st_dev, existing.st_ino))
}

#[cfg(test)]
mod tests;
