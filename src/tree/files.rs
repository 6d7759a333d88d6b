//! Regular files: the checks before replacing a destination (updates, -i, backups), copying
//! with the engine, `--attributes-only`, and linking later names of a hard-linked source.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{openat, statat, unlinkat, AtFlags, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;

use super::nodes::LinkKind;
use super::{same_name, Copier};
use crate::backup;
use crate::cli::UpdateWhen;
use crate::exec::probe;
use crate::facts::{DestFacts, FileFacts, FileKind};
use crate::options::{Config, Deref};
use crate::plan::same::{self as same_file, Ident, SameFile};
use crate::plan::{self, Endpoint, Planned, Target};
use crate::pool;
use crate::report::{errno_text_of, quote};

impl Config {
    /// Whether hard links between copied files are kept as hard links.
    pub fn preserve_links(&self) -> bool {
        self.copy.preserve.attrs.links
    }
}

impl<'a, 'p> Copier<'a, 'p> {
    /// The checks every replacing copy makes: -n/--update, -i, backups and
    /// --remove-destination. Returns false when the destination is to be left alone.
    pub(super) fn may_replace(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &rustix::fs::Stat,
    ) -> bool {
        let dst_shown = dst.display_path().to_path_buf();
        let src_shown = src.display_path().to_path_buf();
        match self.cfg.update {
            UpdateWhen::All => {}
            UpdateWhen::None => {
                self.reporter.skipped(&src_shown, &dst_shown);
                return false;
            }
            UpdateWhen::NoneFail => {
                let msg = format!("not replacing {}", quote(&dst_shown));
                self.fail(&src_shown, &dst_shown, &msg);
                return false;
            }
            UpdateWhen::Older => {
                let dst_m = (existing.st_mtime, existing.st_mtime_nsec as i64);
                if dst_m >= facts.mtime {
                    self.reporter.skipped(&src_shown, &dst_shown);
                    return false;
                }
            }
            UpdateWhen::Changed => {
                if crate::restart::update_changed::unchanged(facts, src, existing, dst) {
                    self.reporter.skipped(&src_shown, &dst_shown);
                    return false;
                }
            }
        }
        if self.cfg.interactive && !self.cfg.dry_run && !self.ask_overwrite(&dst_shown) {
            // GNU 9.2+: a declined overwrite makes the exit status 1 (tests/cp/cp-i.sh).
            self.reporter.declined(&src_shown, &dst_shown);
            return false;
        }
        if self.backup_is_source(src, facts, dst) {
            let msg = format!(
                "backing up {} might destroy source;  {} not copied",
                quote(&dst_shown),
                quote(&src_shown)
            );
            self.fail(&src_shown, &dst_shown, &msg);
            return false;
        }
        true
    }

    /// GNU's `source_is_dst_backup`: the simple backup of `dst` would be the source itself
    /// (`cp -b a~ a`), so renaming `dst` there would destroy the source.
    fn backup_is_source(&self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) -> bool {
        let Some(b) = &self.cfg.backup else {
            return false;
        };
        if b.control == backup::BackupControl::Numbered {
            return false;
        }
        let src_base = plan::base_name(src.display_path()).as_bytes();
        let Some((dir, name)) = dst.dir_and_name() else {
            return false;
        };
        let dst_base = plan::base_name(name).as_bytes();
        let mut backup_name = dst_base.to_vec();
        backup_name.extend_from_slice(b.suffix.as_bytes());
        if src_base != backup_name.as_slice() {
            return false;
        }
        let parent = probe::parent_dir(name);
        let backup_path = parent.join(OsStr::from_bytes(&backup_name));
        statat(dir, &backup_path, AtFlags::empty())
            .is_ok_and(|st| (st.st_dev, st.st_ino) == (facts.dev, facts.ino))
    }

    fn ask_overwrite(&mut self, dst: &Path) -> bool {
        self.reporter.ask(&format!("overwrite {}?", quote(dst)))
    }

    /// Renames an existing destination to its backup name. Returns the backup's name.
    pub(super) fn backup(&mut self, dst: &Endpoint) -> Result<Option<OsString>, String> {
        let Some(b) = &self.cfg.backup else {
            return Ok(None);
        };
        let (dir, name) = dst.dir_and_name().expect("paths");
        let (dir_fd, base) = split_at_dir(dir, name).map_err(|e| {
            format!(
                "cannot backup {}: {}",
                quote(dst.display_path()),
                errno_text_of(e)
            )
        })?;
        let made =
            backup::make_backup(dir_fd.as_fd(), &base, b.control, &b.suffix).map_err(|e| {
                format!(
                    "cannot backup {}: {}",
                    quote(dst.display_path()),
                    errno_text_of(e)
                )
            })?;
        if let Some(name) = &made {
            let shown = dst.display_path();
            let backup = match shown.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.join(name),
                _ => PathBuf::from(name),
            };
            self.reporter.backup_made(&backup);
        }
        Ok(made)
    }

    /// With `POSIXLY_CORRECT` set (and none of -f, --remove-destination, --backup, which
    /// replace the link), the dangling symlink `dst`'s target, to be created: beside the link
    /// when relative, shown under the link's name as GNU cp does.
    fn dangling_symlink_target(&self, dst: &Endpoint) -> Option<Endpoint> {
        if std::env::var_os("POSIXLY_CORRECT").is_none()
            || self.cfg.copy.force
            || self.cfg.remove_destination
            || self.cfg.backup.is_some()
        {
            return None;
        }
        let (dir, name) = dst.dir_and_name()?;
        let target = rustix::fs::readlinkat(dir, name, Vec::new()).ok()?;
        let target = OsStr::from_bytes(target.as_bytes()).to_owned();
        let shown = dst.display_path().to_path_buf();
        let dir = match dst {
            Endpoint::At { dir, .. } => dir.clone(),
            _ => Arc::new(super::walk::open_dir(CWD, probe::parent_dir(&shown), false).ok()?),
        };
        Some(Endpoint::At {
            dir,
            name: target,
            shown,
        })
    }

    /// `cp --force --backup f f` (GNU's special case, also with `-l`): the destination
    /// becomes `f`'s backup name, cleared; `None` when the backup control makes none.
    pub(super) fn backup_endpoint(&mut self, dst: &Endpoint) -> Result<Option<Endpoint>, String> {
        let dst_shown = dst.display_path().to_path_buf();
        let b = self.cfg.backup.clone().expect("backups");
        let (dir, n) = dst.dir_and_name().expect("paths");
        let named = split_at_dir(dir, n).and_then(|(dir_fd, base)| {
            backup::backup_name_in(dir_fd.as_fd(), &base, b.control, &b.suffix)
                .map(|name| name.map(|name| (dir_fd, name)))
        });
        match named {
            Ok(Some((dir_fd, name))) => {
                let _ = unlinkat(&dir_fd, &name, AtFlags::empty());
                let parent = probe::parent_dir(&dst_shown).to_path_buf();
                Ok(Some(Endpoint::At {
                    dir: Arc::new(dir_fd),
                    name: name.clone(),
                    shown: if parent == Path::new(".") && !dst_shown.starts_with(".") {
                        PathBuf::from(&name)
                    } else {
                        parent.join(&name)
                    },
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(format!(
                "cannot backup {}: {}",
                quote(&dst_shown),
                errno_text_of(e)
            )),
        }
    }

    /// The options GNU's same_file_ok depends on.
    pub(super) fn same_opts(&self) -> same_file::SameOpts {
        same_file::SameOpts {
            no_dereference: self.cfg.deref == Deref::Never,
            hard_link: self.cfg.link == crate::options::LinkMode::Hard,
            symbolic_link: self.cfg.link == crate::options::LinkMode::Symbolic,
            backup: self.cfg.backup.is_some(),
            unlink_first: self.cfg.remove_destination,
        }
    }

    /// GNU's same_file_ok for copying `src` (as the copy sees it: `facts`) onto the existing
    /// `dst`, whose stat as the copy sees it is `existing`.
    pub(super) fn gnu_same_file(
        &self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &rustix::fs::Stat,
    ) -> SameFile {
        let (Some((sdir, sname)), Some((ddir, dname))) = (src.dir_and_name(), dst.dir_and_name())
        else {
            return SameFile::Proceed;
        };
        let look = |dir, name: &Path, flags| statat(dir, name, flags).ok().map(|st| Ident::of(&st));
        let sname = Path::new(sname);
        let dname = Path::new(dname);
        let f = same_file::SameFacts {
            src: Ident {
                dev: facts.dev,
                ino: facts.ino,
                symlink: facts.kind == FileKind::Symlink,
                nlink: facts.nlink,
            },
            dst: Ident::of(existing),
            src_link: look(sdir, sname, AtFlags::SYMLINK_NOFOLLOW),
            dst_link: look(ddir, dname, AtFlags::SYMLINK_NOFOLLOW),
            src_followed: look(sdir, sname, AtFlags::empty()),
            dst_followed: look(ddir, dname, AtFlags::empty()),
            same_name: same_name(src.display_path(), dst.display_path()),
        };
        same_file::same_file_ok(&f, &self.same_opts())
    }

    /// Copies a regular file (or a special file's contents) with the engine.
    pub(super) fn copy_file(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let src = src.clone();
        self.wait_for(&dst_shown);
        // Numbered backups keep every earlier version, so GNU cp lets them replace files and
        // symlinks this run created (other backups would lose the first copy).
        let backups = self
            .cfg
            .backup
            .as_ref()
            .is_some_and(|b| b.control == backup::BackupControl::Numbered);
        // Hard links inside the tree (-d, -a, --preserve=links); with -L (and -H for operands)
        // every file is remembered, since two links can lead to one file (GNU cp does so).
        // With -l every file is linked to its source, so a second name of it comes out linked
        // to the first copy anyway: nothing to remember (cp -al on 20,000 linked files stays
        // within GNU's tests/cp/link-heap.sh memory limit).
        let remember = self.cfg.preserve_links()
            && self.cfg.link != crate::options::LinkMode::Hard
            && facts.kind != FileKind::Directory
            && (facts.nlink > 1
                || self.cfg.deref == Deref::Always
                || (self.cfg.deref == Deref::CommandLine && matches!(src, Endpoint::Path(_))));
        // In a directory this run created, nothing is there yet: no need to look.
        let fresh = self.walk_dir.filter(|w| w.fresh);
        // The backup name the old destination was renamed to, put back if the copy fails.
        let mut backed_up = None;
        let lstat = if fresh.is_some() {
            None
        } else {
            Self::lstat_dest(dst)
        };
        if lstat.is_none() && dst_shown.as_os_str().as_bytes().ends_with(b"/") {
            // GNU cp: creating `name/` reports ENOTDIR (the kernel says EISDIR).
            let msg = format!(
                "cannot create regular file {}: Not a directory",
                quote(&dst_shown)
            );
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        if let Some(lst) = lstat {
            let lid = (lst.st_dev, lst.st_ino);
            // With backups the symlink is renamed away, not written through.
            if !backups && self.created_symlinks.contains(lid) {
                let msg = format!(
                    "will not copy {} through just-created symlink {}",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            // GNU's use_lstat: with -b or --remove-destination a symlink at DEST is the file
            // to back up or remove, not the file it points to.
            let lstat_only =
                same_file::dst_uses_lstat(facts.kind == FileKind::Regular, &self.same_opts());
            let dst_is_link = FileType::from_raw_mode(lst.st_mode) == FileType::Symlink;
            // Only a symlink needs a second look (one stat per entry in a re-copy, issue 16).
            let existing = match dst
                .dir_and_name()
                .filter(|_| !lstat_only && dst_is_link)
                .map(|(d, n)| statat(d, n, AtFlags::empty()))
            {
                Some(Ok(st)) => st,
                _ => lst,
            };
            let id = (existing.st_dev, existing.st_ino);
            let same = id == (facts.dev, facts.ino);
            // `cp --force --backup f f` is GNU's special case (below), before same_file_ok.
            let backup_copy = same
                && self.cfg.backup.is_some()
                && self.cfg.copy.force
                && facts.kind == FileKind::Regular
                && same_name(&src_shown, &dst_shown);
            // A byte range within one file is fcopy's own (the planner checks overlaps).
            let ranged = self.cfg.copy.range.is_some() || self.range_override.is_some();
            // Two different files, neither a symlink (the source was not reached through
            // one): GNU's same_file_ok says yes without looking further, so skip its four
            // stats and the name comparison (a re-copy of a tree is all this case).
            let distinct_plain =
                !same && nofollow && facts.kind != FileKind::Symlink && !dst_is_link;
            if !backup_copy && !ranged && !distinct_plain {
                match self.gnu_same_file(&src, facts, dst, &existing) {
                    SameFile::Error => return self.fail_same_file(&src_shown, &dst_shown),
                    SameFile::Done => return,
                    SameFile::Proceed => {}
                }
            }
            let broken = FileType::from_raw_mode(existing.st_mode) == FileType::Symlink;
            let looping = broken
                && dst.dir_and_name().is_some_and(|(d, n)| {
                    matches!(statat(d, n, AtFlags::empty()), Err(Errno::LOOP))
                });
            if looping && self.cfg.copy.force && !self.cfg.remove_destination && !self.cfg.dry_run {
                // cp -f replaces a symlink loop.
                let _ = self.remove(dst);
            } else if looping && !self.cfg.remove_destination {
                // (--remove-destination removes it below, as GNU dir-rm-dest.sh expects.)
                let msg = format!(
                    "cannot stat {}: {}",
                    quote(&dst_shown),
                    errno_text_of(Errno::LOOP)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            } else if broken
                && self.cfg.copy.force
                && !self.cfg.remove_destination
                && self.cfg.backup.is_none()
                && std::env::var_os("POSIXLY_CORRECT").is_none()
            {
                // -f does not make GNU cp write through (or replace) a dangling symlink.
                let msg = format!("not writing through dangling symlink {}", quote(&dst_shown));
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if !same
                && !backups
                && (self.created_files.contains(id) || self.created_dirs.contains_key(&id))
            {
                let msg = format!(
                    "will not overwrite just-created {} with {}",
                    quote(&dst_shown),
                    quote(&src_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if !same && FileType::from_raw_mode(existing.st_mode) != FileType::Directory {
                let key = (facts.dev, facts.ino);
                let not_older = (existing.st_mtime, existing.st_mtime_nsec as i64) >= facts.mtime;
                if remember && self.cfg.update == UpdateWhen::Older && not_older {
                    // GNU cp -u: a file skipped as not older is still remembered, and a later
                    // link to it replaces its destination, newer or not (tests/cp/
                    // preserve-link.sh: `cp -au` keeps hard-link groups in an existing tree).
                    match self.links.get(&key).cloned() {
                        Some(first) => {
                            if !self.cfg.dry_run {
                                let _ = self.remove(dst);
                            }
                            self.wait_for(&first.shown);
                            return self.link_to_first(&src_shown, &first, dst);
                        }
                        None => {
                            // The existing file is the first copy, as it is.
                            let mut first = self.first_copy(dst);
                            first.id = Some((existing.st_dev, existing.st_ino));
                            self.links.insert(key, first);
                        }
                    }
                }
                if !self.may_replace(&src, facts, dst, &existing) {
                    return;
                }
                if remember && self.links.contains_key(&(facts.dev, facts.ino)) {
                    // Handled below by linking; the old file goes away.
                    let _ = self.remove(dst);
                } else if self.cfg.backup.is_some() && !self.cfg.dry_run {
                    match self.backup(dst) {
                        Ok(name) => backed_up = name,
                        Err(msg) => return self.fail(&src_shown, &dst_shown, &msg),
                    }
                } else if self.cfg.remove_destination && !self.cfg.dry_run {
                    if let Err(e) = self.remove(dst) {
                        let msg =
                            format!("cannot remove {}: {}", quote(&dst_shown), errno_text_of(e));
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                }
            } else if same && self.cfg.backup.is_some() && facts.kind == FileKind::Regular {
                // `cp --force --backup f f`: GNU cp leaves f alone and copies it to its backup.
                if self.cfg.dry_run {
                    return self.reporter.planned_node("file", &src_shown, &dst_shown);
                }
                if !same_name(&src_shown, &dst_shown) {
                    // Two names of one file (`cp -fb f hardlink`): back the destination up by
                    // renaming it, then copy the source (still there under its name).
                    if let Err(msg) = self.backup(dst) {
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                    return self.copy_file(&src, facts, dst, nofollow);
                }
                match self.backup_endpoint(dst) {
                    Ok(Some(backup_dst)) => {
                        return self.copy_file(&src, facts, &backup_dst, nofollow)
                    }
                    Ok(None) => {}
                    Err(msg) => return self.fail(&src_shown, &dst_shown, &msg),
                }
            } else if same
                && self.cfg.remove_destination
                && facts.kind == FileKind::Regular
                && !same_name(&src_shown, &dst_shown)
            {
                // Another name of the source (a hard link): GNU removes it and copies anew.
                if !self.cfg.dry_run {
                    if let Err(e) = self.remove(dst) {
                        let msg =
                            format!("cannot remove {}: {}", quote(&dst_shown), errno_text_of(e));
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                }
            } else if !same {
                // A directory in the way: -i asks, -n and -u skip, before the type conflict.
                if !self.may_replace(&src, facts, dst, &existing) {
                    return;
                }
                let msg = format!(
                    "cannot overwrite directory {} with non-directory",
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        }
        if remember {
            if let Some(first) = self.links.get(&(facts.dev, facts.ino)).cloned() {
                self.wait_for(&first.shown);
                return self.link_to_first(&src_shown, &first, dst);
            }
        }
        let probed = match fresh {
            Some(w) => Ok(DestFacts::Missing {
                dir_fs: w.dst_fs,
                dir_dev: w.dst_dev,
            }),
            None => probe::dest_facts(dst),
        };
        let dest = match probed {
            Ok(d) => d,
            Err(e) => {
                let msg = format!("cannot stat {}: {}", quote(&dst_shown), errno_text_of(e));
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        };
        // POSIXLY_CORRECT: GNU cp writes through a dangling destination symlink, creating
        // its target; without it, it refuses (GNU tests/cp/thru-dangling.sh).
        let through = match dest {
            DestFacts::DanglingSymlink => self.dangling_symlink_target(dst),
            _ => None,
        };
        let (dst, dest) = match &through {
            Some(target) => match probe::dest_facts(target) {
                Ok(facts) => (target, facts),
                Err(_) => (dst, dest),
            },
            None => (dst, dest),
        };
        let target = Target {
            source: src.clone(),
            dest: dst.clone(),
        };
        let mut opts = self.cfg.copy.clone();
        if self.range_override.is_some() {
            opts.range = self.range_override.clone();
        }
        let resumed_from = match dest {
            DestFacts::Existing(_) if self.cfg.restart.resume && opts.range.is_none() => {
                crate::restart::resume::resume_offset(&src, facts, dst, nofollow)
            }
            _ => None,
        };
        if let Some(at) = resumed_from {
            opts.range = Some(crate::restart::resume::range_from(at));
        }
        opts.force = opts.force || self.cfg.remove_destination;
        let mut facts = *facts;
        if facts.fs == crate::facts::FsKind::Other(0) {
            if let Ok(f) = probe::source_facts(&src) {
                facts.fs = f.fs;
            }
        }
        let mut job = match plan::plan_job(&opts, &target, &facts, &dest, self.umask) {
            Ok(Planned::Copy(job)) => job,
            Ok(Planned::SkipExisting) => return self.reporter.skipped(&src_shown, &dst_shown),
            Err(e) => return self.fail(&src_shown, &dst_shown, &e.to_string()),
        };
        job.nofollow = nofollow;
        job.restart = crate::restart::JobRestart::new(&self.cfg.restart, resumed_from);
        if self.cfg.no_preserve_mode {
            job.create_mode = 0o666 & !self.umask;
            job.explicit_mode = true;
        }
        if self.cfg.dry_run {
            // The run would fail to create a file in a missing or non-directory parent: so
            // does the plan, with the same message (--parents plans its directories).
            if let (Endpoint::Path(path), DestFacts::Missing { .. }) = (dst, &dest) {
                let parent = probe::parent_dir(path);
                let usable = match statat(CWD, parent, AtFlags::empty()) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Ok(()),
                    Ok(_) => Err(Errno::NOTDIR),
                    Err(e) => Err(e),
                };
                if let (Err(e), false) = (usable, self.cfg.parents) {
                    let msg = format!(
                        "cannot create regular file {}: {}",
                        quote(&dst_shown),
                        errno_text_of(e)
                    );
                    return self.fail(&src_shown, &dst_shown, &msg);
                }
            }
            if remember {
                // Later links to this file are planned as hard links, as they will be made.
                self.links
                    .insert((facts.dev, facts.ino), self.first_copy(dst));
            }
            return self.reporter.planned(&job);
        }
        if self.cfg.attributes_only {
            if remember {
                self.links
                    .insert((facts.dev, facts.ino), self.first_copy(dst));
            }
            return self.attributes_only(&job, &facts);
        }
        let link_key = remember.then_some((facts.dev, facts.ino));
        if let Some(key) = link_key {
            let first = self.first_copy(dst);
            self.links.insert(key, first);
        }
        let context = pool::Context {
            dir_token: self.current_dir,
            link_key,
            creates: self.track_created && !matches!(dest, DestFacts::Existing(_)),
            backup: backed_up,
        };
        self.dispatch(job, context);
    }

    /// GNU cp: when the copy after a backup rename fails, the backup goes back to DEST's name,
    /// so the name does not vanish (issue 13). Only if nothing took the name meanwhile (a failed
    /// new DEST is removed first; one whose data is complete stays, and the backup with it).
    pub(super) fn restore_backup(&self, dst: &Endpoint, backup: &OsStr) {
        let (dir, name) = dst.dir_and_name().expect("paths");
        if let Ok((dir_fd, base)) = split_at_dir(dir, name) {
            let _ = rustix::fs::renameat_with(
                &dir_fd,
                backup,
                &dir_fd,
                &base,
                rustix::fs::RenameFlags::NOREPLACE,
            );
        }
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let (dir, name) = job.dest.dir_and_name().expect("paths");
        let shown = job.dest.display_path().to_path_buf();
        // Rule 10: a new DEST is created with O_EXCL (never through a symlink planted after the
        // check); an existing one is opened without O_CREAT, following only a symlink that was
        // there when it was checked (as cp writes through an existing symlink).
        let flags = if job.dest_exists {
            let link = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
            OFlags::WRONLY
                | OFlags::CLOEXEC
                | OFlags::NOCTTY
                | if link {
                    OFlags::empty()
                } else {
                    OFlags::NOFOLLOW
                }
        } else {
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC
        };
        let fd = match openat(dir, name, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            Err(e) => {
                let msg = format!(
                    "cannot create regular file {}: {}",
                    quote(&shown),
                    errno_text_of(e)
                );
                return self.fail(job.source.display_path(), &shown, &msg);
            }
        };
        let new_mode = (!job.dest_exists).then_some(job.create_mode);
        // The source's fd, for xattrs.
        let src_fd = job.source.dir_and_name().and_then(|(d, n)| {
            let nofollow = if job.nofollow {
                OFlags::NOFOLLOW
            } else {
                OFlags::empty()
            };
            openat(
                d,
                n,
                OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | nofollow,
                Mode::empty(),
            )
            .ok()
        });
        self.apply_meta(
            fd.as_fd(),
            src_fd.as_ref().map(|f| f.as_fd()),
            facts,
            new_mode,
            &shown,
        );
        self.reporter
            .node_done("file", job.source.display_path(), &shown);
    }

    pub(super) fn remove(&self, dst: &Endpoint) -> Result<(), Errno> {
        let (dir, name) = dst.dir_and_name().expect("paths");
        unlinkat(dir, name, AtFlags::empty())
    }

    /// Links `dst` to the first copy of a hard-linked source.
    fn link_to_first(
        &mut self,
        src_shown: &Path,
        first: &super::inodes::FirstCopy,
        dst: &Endpoint,
    ) {
        self.make_link(LinkKind::Hard, src_shown, &first.shown, dst, || {
            let (dir, name) = dst.dir_and_name().expect("paths");
            first.link_to(dir, name)
        });
    }
}

/// Splits (dir, path) into an open directory fd and the last name, for renames and backups.
fn split_at_dir(dir: BorrowedFd<'_>, path: &Path) -> Result<(OwnedFd, OsString), Errno> {
    let parent = probe::parent_dir(path);
    let name = plan::base_name(path).to_owned();
    // Not O_PATH: numbered backups read the directory.
    let fd = openat(
        dir,
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok((fd, name))
}
