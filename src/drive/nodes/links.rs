//! The `-l` hard links and `-s` symbolic links made instead of copies, and the links to a
//! hard-linked source's first copy: clearing an existing DEST for them and making them as
//! GNU's `force_linkat` does (with `-f` or `-i` the old DEST is replaced by a rename only once
//! the new link exists, so a link that cannot be made leaves it), putting a backup back when
//! the link fails (GNU's `un_backup`); and acting on cp's rules for a node or link made over
//! an existing DEST ([`crate::plan::replace::may_replace_node`]: `-u`'s remembered skips of a
//! symlink or special file with other names link a later name to the group's first copy).

use std::ffi::{OsStr, OsString};
use std::os::fd::BorrowedFd;
use std::path::Path;

use rustix::fs::{statat, AtFlags, Stat};
use rustix::io::Errno;

use super::Removal;
use crate::drive::errors::{NodeKind, WalkError};
use crate::drive::files::allowed;
use crate::drive::Copier;
use crate::exec::{nodes, probe};
use crate::facts::{FileFacts, FileKind};
use crate::options::Deref;
use crate::plan::replace::{self, Action};
use crate::plan::same::SameFile;
use crate::plan::Endpoint;

/// How DEST was cleared for a link: what to redo or undo when making the link fails.
#[derive(Default)]
pub(super) struct Room {
    /// DEST's backup name: put back when the link cannot be made (GNU's `un_backup`).
    pub(super) backup: Option<OsString>,
    /// DEST is still there and may be replaced once the link is made (GNU's `force_linkat`
    /// `replace`: `-f`, or `-i` answered yes).
    pub(super) replace: bool,
}

impl<'a, 'p> Copier<'a, 'p> {
    /// `-l`: a hard link instead of a copy.
    pub(super) fn make_hard_link(
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
        let mut room = Room::default();
        if let Some(existing) = Self::lstat_dest(dst) {
            // `cp -lbf f f`: GNU links the backup name to f.
            let self_backup = (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino)
                && self.cfg.backup.is_some()
                && self.cfg.copy.force
                && facts.kind == FileKind::Regular
                && crate::drive::same_name(src.display_path(), dst.display_path());
            if self_backup && !self.cfg.dry_run {
                return match self.backup_endpoint(dst) {
                    Ok(Some(backup_dst)) => self.make_hard_link(src, facts, &backup_dst, nofollow),
                    Ok(None) => {}
                    Err(e) => self.fail(src.display_path(), dst.display_path(), e),
                };
            }
            match self.same_file_facts(src, facts, dst, &existing).0 {
                SameFile::Error => return self.fail_same_file(&src_shown, &dst_shown),
                SameFile::Done => {
                    return self.same_file_done("hardlink", src, facts, dst, &existing)
                }
                SameFile::Proceed => {}
            }
            if (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino) {
                return self.reporter.node_done("hardlink", &src_shown, &dst_shown);
            }
            match self.clear_for_link(LinkKind::Hard, src, facts, dst, &existing) {
                Some(cleared) => room = cleared,
                None => return,
            }
        }
        // A hard link cannot cross filesystems: the run's linkat says EXDEV (red team, round
        // 10: `--dry-run -l src /dev/shm/x` planned it).
        if self.cfg.dry_run && allowed::dest_dir_dev(dst).is_some_and(|dev| dev != facts.dev) {
            let made = Err(Errno::XDEV);
            return self.report_link(LinkKind::Hard, &src_shown, &src_shown, dst, made, None);
        }
        // -L, and -H for an operand: link to what the symlink points to (GNU link-deref.sh).
        let follow = self.cfg.deref == Deref::Always || !nofollow;
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let link =
            |ddir: BorrowedFd<'_>, dname: &Path| nodes::hard_link(sdir, sname, ddir, dname, follow);
        self.make_link_over(LinkKind::Hard, &src_shown, dst, room, link);
    }

    /// GNU's `return_now` after `same_file_ok` found nothing to do: `-u` and `-i` still come
    /// first ([`replace::same_file_done`]); a declined `-i` is counted, as any other, and a
    /// `-u` skip is reported as every other `-u` skip (`--debug`: `skipped 'DEST'`, as GNU's
    /// `-u` branch, which comes before `return_now`, says it since 9.2; cp 9.1 has no
    /// `--debug`, and neither prints anything else: measured, `cp -v -d -u l l2` with l2 a
    /// hard link of the symlink l).
    ///
    /// `node` names what would have been made (`symlink`, `special`, `hardlink`), for the
    /// `--json` record of a skip.
    pub(super) fn same_file_done(
        &mut self,
        node: &str,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) {
        let rules = replace::same_file_done;
        let action = self.rules_over_existing(rules, (src, facts), dst, existing, false);
        let (src_shown, dst_shown) = (src.display_path(), dst.display_path());
        match action {
            Action::Decline => self.reporter.declined(src_shown, dst_shown),
            Action::Skip => self.reporter.skipped_node(node, src_shown, dst_shown),
            _ => {}
        }
    }

    /// The checks every node or link made over DEST makes ([`replace::may_replace_node`]):
    /// `-u`'s remembered skips of a symlink or special file with other names, links kept
    /// (DEST remembered as the group's first copy, or a later name linked to it), then
    /// -n/--update, -i, backups that would be the source. Returns false when the destination
    /// is to be left alone (reported, or linked). `node` names what would be made (`symlink`,
    /// `special`, `hardlink`): a skip's `--json` record says it (it said `file`: new-user
    /// trial, round 11).
    pub(super) fn may_replace(
        &mut self,
        node: &str,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> bool {
        let remember = self.remembers_node_links(facts);
        let rules = replace::may_replace_node;
        let action = self.rules_over_existing(rules, (src, facts), dst, existing, remember);
        let (src_shown, dst_shown) = (src.display_path(), dst.display_path());
        match action {
            Action::Proceed => return true,
            Action::RememberAsFirst => {
                // The existing DEST is the group's first copy, as it is.
                let id = Some((existing.st_dev, existing.st_ino));
                self.remember_first_node(facts, dst, id);
                self.reporter.skipped_node(node, src_shown, dst_shown);
            }
            Action::LinkSkippedToFirst => {
                let src_shown = src_shown.to_path_buf();
                self.linked_to_first(&src_shown, facts, dst, None);
            }
            Action::Skip => self.reporter.skipped_node(node, src_shown, dst_shown),
            Action::Decline => self.reporter.declined(src_shown, dst_shown),
            Action::Fail(e) => self.fail(src_shown, dst_shown, e),
            _ => {}
        }
        false
    }

    /// A later name of a hard-linked symbolic link or special file (`-a`, `-d`,
    /// `--preserve=links`): a hard link to its group's first copy, made over what DEST's
    /// checks left (GNU 9.1's copy_internal links any non-directory to its `earlier_file`;
    /// measured: `cp -a` of two names of one symlink or FIFO makes one inode). False when the
    /// group has no first copy yet; else the link is made (under `--dry-run`, planned) or its
    /// failure reported (putting DEST's `backup` back, GNU's `un_backup`).
    pub(super) fn linked_to_first(
        &mut self,
        src_shown: &Path,
        facts: &FileFacts,
        dst: &Endpoint,
        backup: Option<&OsStr>,
    ) -> bool {
        if !self.remembers_node_links(facts) {
            return false;
        }
        let Some(first) = self.links.get(&(facts.dev, facts.ino)).cloned() else {
            return false;
        };
        if self.cfg.dry_run {
            let kind = LinkKind::Hard.node();
            self.reporter
                .planned_node(kind, src_shown, dst.display_path());
            return true;
        }
        let (dir, name) = dst.dir_and_name().expect("paths");
        let made = first.link_to(dir, name);
        self.report_link(LinkKind::Hard, src_shown, &first.shown, dst, made, backup);
        true
    }

    /// Remembers the symbolic link or special file just made (or planned: `--dry-run`) at
    /// `dst` (its (device, inode) `id`, when known) as the first copy of `facts`' hard-link
    /// group, for its later names.
    pub(super) fn remember_first_node(
        &mut self,
        facts: &FileFacts,
        dst: &Endpoint,
        id: Option<(u64, u64)>,
    ) {
        if self.remembers_node_links(facts) {
            let mut first = self.first_copy(dst);
            first.id = id;
            self.links.insert((facts.dev, facts.ino), first);
        }
    }

    /// Whether a symbolic link or special file (not followed) may have other names in the
    /// tree whose copies are linked: links are kept and it has more than one name.
    fn remembers_node_links(&self, facts: &FileFacts) -> bool {
        self.cfg.preserve_links()
            && facts.nlink > 1
            && self.cfg.link == crate::options::LinkMode::Copy
    }

    /// `-s`: a symbolic link to the source path as given; with `-p`/`-a` it gets SOURCE's
    /// times (`facts`, SOURCE as examined: a symbolic link's own with `-P`), as GNU cp 9.1
    /// sets them (its owner stays the caller's, as in GNU).
    pub(super) fn make_symlink_to_source(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
    ) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let mut room = Room::default();
        if let Some(existing) = Self::lstat_dest(dst) {
            if resolves_to(src, &existing) {
                return self.fail_same_file(&src_shown, &dst_shown);
            }
            // SOURCE's facts: GNU removes DEST first under -P when SOURCE is not a regular
            // file, and -u compares SOURCE's time (red-team finding, round 5: DEST's were
            // used, so `cp -sP link file` failed and `cp -ds file link` replaced the link).
            match self.clear_for_link(LinkKind::Symbolic, src, facts, dst, &existing) {
                Some(cleared) => room = cleared,
                None => return,
            }
        }
        // After DEST's checks, as GNU's copy_internal (a directory in the way is said first).
        if relative_link_refused(&src_shown, &dst_shown) {
            let err = WalkError::RelativeSymlink {
                dst: dst_shown.clone(),
            };
            return self.fail_restoring(&src_shown, dst, err, room.backup.as_deref());
        }
        let times = self
            .cfg
            .copy
            .preserve
            .attrs
            .timestamps
            .then(|| crate::meta::timestamps(facts));
        let link = |ddir: BorrowedFd<'_>, dname: &Path| {
            nodes::symlink_to(&src_shown, ddir, dname, times.as_ref())
        };
        self.make_link_over(LinkKind::Symbolic, &src_shown, dst, room, link);
    }

    /// Makes a link to `target` at `dst` with `link` (under --dry-run only plans it) and
    /// reports it, or GNU's "cannot create hard link 'dst' to 'target'".
    pub(in crate::drive) fn make_link<R: Into<nodes::Replaced>>(
        &mut self,
        kind: LinkKind,
        src_shown: &Path,
        target: &Path,
        dst: &Endpoint,
        link: impl FnOnce() -> Result<R, Errno>,
    ) {
        if self.cfg.dry_run {
            return self
                .reporter
                .planned_node(kind.node(), src_shown, dst.display_path());
        }
        let made = link().map(Into::into);
        self.report_link(kind, src_shown, target, dst, made, None);
    }

    /// `-l`, `-s`: makes the link to the source at `dst` with `link` (given DEST's directory
    /// and name), over what `room` says is left of DEST; a failure puts DEST's backup back.
    fn make_link_over(
        &mut self,
        kind: LinkKind,
        src_shown: &Path,
        dst: &Endpoint,
        room: Room,
        link: impl Fn(BorrowedFd<'_>, &Path) -> Result<(), Errno>,
    ) {
        if self.cfg.dry_run {
            // DEST's directory must take the new name (red team's kind of finding, fix10: as
            // nobody, `--dry-run -s /abs ro/x` planned a link the run refused: EACCES).
            if let Err(errno) = self.may_create(dst) {
                return self.report_link(kind, src_shown, src_shown, dst, Err(errno), None);
            }
            return self
                .reporter
                .planned_node(kind.node(), src_shown, dst.display_path());
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        // GNU's `force_linkat` for `-l` and `-s` says nothing of the name it replaced
        // (measured: `cp -v -lf f old` prints only the link's line).
        let made = nodes::link_replacing(ddir, dname, room.replace, link).map(Into::into);
        let backup = room.backup.as_deref();
        self.report_link(kind, src_shown, src_shown, dst, made, backup);
    }

    /// Reports the link made (and, with `-v`, GNU's "removed 'dst'" after it when it replaced
    /// an existing name), or GNU's "cannot create hard link 'dst' to 'target'" (putting DEST's
    /// `backup` back).
    fn report_link(
        &mut self,
        kind: LinkKind,
        src_shown: &Path,
        target: &Path,
        dst: &Endpoint,
        made: Result<nodes::Replaced, Errno>,
        backup: Option<&OsStr>,
    ) {
        let dst_shown = dst.display_path();
        let replaced = match made {
            Ok(nodes::Replaced(replaced)) => replaced,
            Err(errno) => {
                let err = WalkError::Link {
                    kind: kind.node_kind(),
                    dst: dst_shown.to_path_buf(),
                    target: target.to_path_buf(),
                    errno,
                };
                return self.fail_restoring(src_shown, dst, err, backup);
            }
        };
        self.record_created_at(dst);
        self.reporter.link_made(kind.node(), src_shown, dst_shown);
        if replaced {
            self.reporter.removed(dst_shown);
        }
    }

    /// Before `-l` or `-s` makes its link over an existing destination: the `may_replace`
    /// checks, then a backup, or the removal where GNU's copy_internal unlinks first
    /// (`--remove-destination`, a non-regular source not followed, preserving links onto a
    /// multiply linked file); with `-f` (hard links: or `-i`) DEST is replaced only once the
    /// link is made. `None` when the link is not to be made.
    fn clear_for_link(
        &mut self,
        kind: LinkKind,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> Option<Room> {
        if !self.may_replace(kind.node(), src, facts, dst, existing)
            || self.directory_in_the_way(src, dst, existing)
        {
            return None;
        }
        let remove = self.cfg.remove_destination
            || (self.cfg.deref == Deref::Never && facts.kind != FileKind::Regular)
            || (self.cfg.preserve_links() && existing.st_nlink > 1);
        // GNU 9.1: `force_linkat` replaces with -f or -i, `force_symlinkat` with -f only.
        let forced =
            self.cfg.copy.force || (self.cfg.interactive && matches!(kind, LinkKind::Hard));
        if self.cfg.dry_run {
            // --dry-run writes nothing: no backup, no removal. A DEST nothing would clear
            // makes the link fail, in the plan as in the run (new-user trial, round 8: the
            // plan said '(hardlink)' where the run says "File exists").
            if !remove && !forced && self.cfg.backup.is_none() {
                let shown = src.display_path().to_path_buf();
                self.report_link(kind, &shown, &shown, dst, Err(Errno::EXIST), None);
                return None;
            }
            let removal = if remove {
                Removal::Reported
            } else {
                Removal::No
            };
            if !self.plan_room(src, dst, removal) {
                return None;
            }
            // -f: the run's `force_linkat` renames its new link over DEST; a refused rename
            // is the link's failure (GNU: "cannot create symbolic link"), DEST kept.
            let (dir, name) = dst.dir_and_name().expect("paths");
            let renamed = match !remove && self.cfg.backup.is_none() {
                true => allowed::may_remove_at(dir, name),
                false => Ok(()),
            };
            if let Err(errno) = renamed {
                let shown = src.display_path().to_path_buf();
                self.report_link(kind, &shown, &shown, dst, Err(errno), None);
                return None;
            }
            return Some(Room::default());
        }
        let removal = if remove {
            Removal::Reported
        } else {
            Removal::No
        };
        let backup = self.make_room(src, dst, removal)?;
        Some(Room {
            replace: backup.is_none() && forced,
            backup,
        })
    }
}

/// The links [`Copier::make_link`] makes.
#[derive(Copy, Clone)]
pub(in crate::drive) enum LinkKind {
    Hard,
    Symbolic,
}

impl LinkKind {
    /// The node's name in `-v` and `--json` lines.
    fn node(self) -> &'static str {
        match self {
            LinkKind::Hard => "hardlink",
            LinkKind::Symbolic => "symlink",
        }
    }

    /// The node's kind in error messages.
    fn node_kind(self) -> NodeKind {
        match self {
            LinkKind::Hard => NodeKind::HardLink,
            LinkKind::Symbolic => NodeKind::SymbolicLink,
        }
    }
}

/// GNU cp's `-s` rule: a relative source makes a symbolic link only in the current directory
/// (elsewhere the link would point to the wrong place): "can make relative symbolic links only
/// in current directory".
pub(super) fn relative_link_refused(src: &Path, dst: &Path) -> bool {
    !src.is_absolute() && dst.components().count() > 1 && probe::parent_dir(dst) != Path::new(".")
}

/// Whether the source, followed through symlinks, is the file `existing` (GNU's same-file
/// rule for link destinations).
fn resolves_to(src: &Endpoint, existing: &Stat) -> bool {
    let (sdir, sname) = src.dir_and_name().expect("paths");
    statat(sdir, sname, AtFlags::empty())
        .is_ok_and(|st| (st.st_dev, st.st_ino) == (existing.st_dev, existing.st_ino))
}
