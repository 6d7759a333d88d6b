//! The other node kinds: symbolic links, FIFOs, sockets and device nodes, and the `-l`/`-s`
//! links made instead of copies.

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{
    linkat, mknodat, openat, readlinkat, statat, symlinkat, AtFlags, FileType, Mode, OFlags, Stat,
};

use super::Copier;
use crate::report::quote_if_needed;
use rustix::io::Errno;

use crate::exec::probe;
use crate::facts::{FileFacts, FileKind};
use crate::meta;
use crate::options::{Deref, LinkMode};
use crate::plan::same::SameFile;
use crate::plan::Endpoint;
use crate::report::{errno_text_of, quote};

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
        let target = match readlinkat(sdir, sname, Vec::new()) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!(
                    "cannot read symbolic link {}: {}",
                    quote(&src_shown),
                    errno_text_of(e)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        };
        if let Some(existing) = Self::lstat_dest(dst) {
            // GNU's same_file_ok (two hard links of one symlink: nothing to do; with backups a
            // symlink may replace the file it points to).
            match self.gnu_same_file(src, facts, dst, &existing) {
                SameFile::Error => return self.fail_same_file(&src_shown, &dst_shown),
                SameFile::Done => return,
                SameFile::Proceed => {}
            }
            if FileType::from_raw_mode(existing.st_mode) == FileType::Directory {
                let msg = format!(
                    "cannot overwrite directory {} with non-directory",
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if !self.may_replace(src, facts, dst, &existing) {
                return;
            }
            if self.cfg.dry_run {
                return self
                    .reporter
                    .planned_node("symlink", &src_shown, &dst_shown);
            }
            // --attributes-only never removes an existing file: the link cannot be made (GNU
            // 9.1 tests/cp/attr-existing.sh); --remove-destination still replaces it.
            if self.cfg.attributes_only && !self.cfg.remove_destination && self.cfg.backup.is_none()
            {
                let msg = format!(
                    "cannot create symbolic link {}: {}",
                    quote(&dst_shown),
                    errno_text_of(Errno::EXIST)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            let removed = if self.cfg.backup.is_some() {
                self.backup(dst).map(|_| ())
            } else {
                self.remove(dst).map_err(|e| {
                    format!("cannot remove {}: {}", quote(&dst_shown), errno_text_of(e))
                })
            };
            if let Err(msg) = removed {
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        } else if self.cfg.dry_run {
            return self
                .reporter
                .planned_node("symlink", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        if let Err(e) = symlinkat(OsStr::from_bytes(target.as_bytes()), ddir, dname) {
            let msg = format!(
                "cannot create symbolic link {}: {}",
                quote(&dst_shown),
                errno_text_of(e)
            );
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        // Rule 10: owner and times go to the symlink just made, through an O_PATH descriptor
        // of it, not to whatever the directory's other users may have put at its name.
        let link = match open_created_node(ddir, dname, FileType::Symlink) {
            Ok(link) => link,
            Err(e) => {
                let msg = match e {
                    Some(e) => format!("cannot access {}: {}", quote(&dst_shown), errno_text_of(e)),
                    None => format!("{} was replaced while being copied", quote(&dst_shown)),
                };
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        };
        if let Ok(st) = rustix::fs::fstat(&link) {
            self.created_symlinks.insert((st.st_dev, st.st_ino));
        }
        // A symlink has no mode of its own to set.
        let mut preserve = self.cfg.copy.preserve;
        preserve.attrs.mode = false;
        let problems = meta::apply_to_node(link.as_fd(), facts, &preserve, None, &dst_shown);
        self.report_problems(problems);
        self.reporter.node_done("symlink", &src_shown, &dst_shown);
    }

    /// Recreates a FIFO, socket or device node (`-r` without `--copy-contents`).
    fn make_special(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let mut backed_up = None;
        if let Some(existing) = Self::lstat_dest(dst) {
            if !self.may_replace(src, facts, dst, &existing) {
                return;
            }
            // GNU backs DEST up, or removes it where its copy_internal unlinks first (-P, or
            // --remove-destination, or preserving links onto a multiply linked file); with
            // -L the node cannot be made over it ("File exists").
            let unlink_first = self.cfg.remove_destination
                || self.cfg.deref == Deref::Never
                || (self.cfg.preserve_links() && existing.st_nlink > 1);
            if self.cfg.dry_run {
            } else if self.cfg.backup.is_some() {
                match self.backup(dst) {
                    Ok(name) => backed_up = name,
                    Err(msg) => return self.fail(&src_shown, &dst_shown, &msg),
                }
            } else if unlink_first {
                let _ = self.remove(dst);
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
        let omitted = if preserve.ownership { 0o077 } else { 0 };
        let create = facts.mode & 0o777 & !omitted;
        if let Err(e) = mknodat(ddir, dname, ftype, Mode::from_raw_mode(create), facts.rdev) {
            if let Some(backup) = &backed_up {
                self.restore_backup(dst, backup);
            }
            let what = if facts.kind == FileKind::Fifo {
                "fifo"
            } else {
                "special file"
            };
            let msg = format!(
                "cannot create {what} {}: {}",
                quote(&dst_shown),
                errno_text_of(e)
            );
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        let set_mode = preserve.mode || self.cfg.no_preserve_mode || omitted != 0;
        if set_mode || preserve.ownership || preserve.timestamps {
            // Rule 10: everything else goes through a descriptor of the node just made, never
            // through its name (which the directory's owner may have swapped for a symlink).
            let node = match open_created_node(ddir, dname, ftype) {
                Ok(node) => node,
                Err(e) => {
                    let msg = match e {
                        Some(e) => {
                            format!("cannot access {}: {}", quote(&dst_shown), errno_text_of(e))
                        }
                        None => format!("{} was replaced while being copied", quote(&dst_shown)),
                    };
                    return self.fail(&src_shown, &dst_shown, &msg);
                }
            };
            let new_mode = if self.cfg.no_preserve_mode {
                Some(0o666 & !self.umask)
            } else if omitted != 0 {
                let now = rustix::fs::fstat(&node).map_or(create, |st| st.st_mode & 0o7777);
                let re_add = facts.mode & omitted & !self.umask;
                (re_add & !now != 0).then_some(now | re_add)
            } else {
                None
            };
            let problems = meta::apply_to_node(
                node.as_fd(),
                facts,
                &self.cfg.copy.preserve,
                new_mode,
                &dst_shown,
            );
            self.report_problems(problems);
        }
        self.reporter.node_done("special", &src_shown, &dst_shown);
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
                    Err(msg) => self.fail(src.display_path(), dst.display_path(), &msg),
                };
            }
            match self.gnu_same_file(src, facts, dst, &existing) {
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
        let flags = if self.cfg.deref == Deref::Always || !nofollow {
            AtFlags::SYMLINK_FOLLOW
        } else {
            AtFlags::empty()
        };
        self.make_link(LinkKind::Hard, &src_shown, &src_shown, dst, || {
            let (sdir, sname) = src.dir_and_name().expect("paths");
            let (ddir, dname) = dst.dir_and_name().expect("paths");
            linkat(sdir, sname, ddir, dname, flags)
        });
    }

    /// `-s`: a symbolic link to the source path as given.
    fn make_symlink_to_source(&mut self, src: &Endpoint, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        if !src_shown.is_absolute() && dst_shown.components().count() > 1 {
            let parent = probe::parent_dir(&dst_shown);
            if parent != Path::new(".") {
                let msg = format!(
                    "{}: can make relative symbolic links only in current directory",
                    quote_if_needed(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
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
            symlinkat(src_shown.as_os_str(), ddir, dname)
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
        let (node, what) = match kind {
            LinkKind::Hard => ("hardlink", "hard link"),
            LinkKind::Symbolic => ("symlink", "symbolic link"),
        };
        let dst_shown = dst.display_path();
        if self.cfg.dry_run {
            return self.reporter.planned_node(node, src_shown, dst_shown);
        }
        if let Err(e) = link() {
            let msg = format!(
                "cannot create {what} {} to {}: {}",
                quote(dst_shown),
                quote(target),
                errno_text_of(e)
            );
            return self.fail(src_shown, dst_shown, &msg);
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
        if self.cfg.backup.is_some() {
            if let Err(msg) = self.backup(dst) {
                self.fail(src.display_path(), dst.display_path(), &msg);
                return false;
            }
        } else if self.cfg.copy.force
            || self.cfg.remove_destination
            // GNU removes DEST first also when not following a non-regular source, and when
            // preserving links onto a file with several (copy.c, copy_internal).
            || (self.cfg.deref == Deref::Never && facts.kind != FileKind::Regular)
            || (self.cfg.preserve_links() && existing.st_nlink > 1)
        {
            let _ = self.remove(dst);
        }
        true
    }
}

/// The links [`Copier::make_link`] makes.
#[derive(Copy, Clone)]
pub(super) enum LinkKind {
    Hard,
    Symbolic,
}

/// Opens the node `mknodat` just made as an `O_PATH` descriptor, without following a symlink,
/// and checks it is that node: the type made, owned by us, one link (a name swapped meanwhile
/// by the directory's owner is `Err(None)`).
fn open_created_node(
    dir: BorrowedFd<'_>,
    name: &Path,
    ftype: FileType,
) -> Result<OwnedFd, Option<Errno>> {
    let fd = openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let st = rustix::fs::fstat(&fd)?;
    let ours = FileType::from_raw_mode(st.st_mode) == ftype
        && super::walk::made_by_us(&fd, &st)
        && st.st_nlink == 1;
    if ours {
        Ok(fd)
    } else {
        Err(None)
    }
}

/// Whether the source, followed through symlinks, is the file `existing` (GNU's same-file
/// rule for link destinations).
fn resolves_to(src: &Endpoint, existing: &Stat) -> bool {
    let (sdir, sname) = src.dir_and_name().expect("paths");
    statat(sdir, sname, AtFlags::empty())
        .is_ok_and(|st| (st.st_dev, st.st_ino) == (existing.st_dev, existing.st_ino))
}
