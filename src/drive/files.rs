//! Regular files: gathers the facts cp's rules for an existing destination need
//! ([`crate::plan::replace`]), performs the action they decide through
//! [`crate::exec::replace`], then plans the copy ([`crate::plan::plan_job`]) and dispatches it;
//! `--attributes-only`; linking later names of a hard-linked source to the first copy.

use std::ffi::{OsStr, OsString};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{statat, AtFlags, FileType, CWD};
use rustix::io::Errno;

use super::existing::{Cleared, Subject};
use super::nodes::LinkKind;
use super::walk::WalkDir;
use super::Copier;
use crate::exec::{dirs, probe, replace as effect};
use crate::facts::{DestFacts, FileFacts, FileKind};
use crate::options::{Config, Deref, LinkMode};
use crate::plan::replace::{self, Action, ReplaceError};
use crate::plan::{self, DestName, Endpoint, FileInputs, Planned, Target};
use crate::pool;

impl Config {
    /// Whether hard links between copied files are kept as hard links.
    pub fn preserve_links(&self) -> bool {
        self.copy.preserve.attrs.links
    }
}

impl<'a, 'p> Copier<'a, 'p> {
    /// Renames an existing destination to its backup name and reports it (`-v`); returns the
    /// backup's name.
    pub(super) fn back_up(&mut self, dst: &Endpoint) -> Result<Option<OsString>, ReplaceError> {
        let Some(b) = &self.cfg.backup else {
            return Ok(None);
        };
        let (dir, name) = dst.dir_and_name().expect("paths");
        let shown = dst.display_path();
        let made = effect::back_up(dir, name, b.control, &b.suffix).map_err(|errno| {
            ReplaceError::CannotBackup {
                dest: shown.to_path_buf(),
                errno,
            }
        })?;
        if let Some(name) = &made {
            let backup = match shown.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.join(name),
                _ => PathBuf::from(name),
            };
            self.reporter.backup_made(&backup);
        }
        Ok(made)
    }

    /// With `POSIXLY_CORRECT` (see [`replace::write_through_dangling`]), the dangling symlink
    /// `dst`'s target, to be created: beside the link when relative, shown under the link's
    /// name as GNU cp does.
    fn dangling_symlink_target(&self, dst: &Endpoint) -> Option<Endpoint> {
        if !replace::write_through_dangling(&self.replace_settings()) {
            return None;
        }
        let (dir, name) = dst.dir_and_name()?;
        let target = rustix::fs::readlinkat(dir, name, Vec::new()).ok()?;
        let target = OsStr::from_bytes(target.as_bytes()).to_owned();
        let shown = dst.display_path().to_path_buf();
        let dir = match dst {
            Endpoint::At { dir, .. } => dir.clone(),
            _ => Arc::new(dirs::open_dir(CWD, probe::parent_dir(&shown), false).ok()?),
        };
        Some(Endpoint::At {
            dir,
            name: target,
            shown,
        })
    }

    /// `cp --force --backup f f` (GNU's special case, also with `-l`): the destination
    /// becomes `f`'s backup name, cleared; `None` when the backup control makes none.
    pub(super) fn backup_endpoint(
        &mut self,
        dst: &Endpoint,
    ) -> Result<Option<Endpoint>, ReplaceError> {
        let dst_shown = dst.display_path().to_path_buf();
        let b = self.cfg.backup.clone().expect("backups");
        let (dir, n) = dst.dir_and_name().expect("paths");
        let cleared = effect::clear_backup_name(dir, n, b.control, &b.suffix).map_err(|errno| {
            ReplaceError::CannotBackup {
                dest: dst_shown.clone(),
                errno,
            }
        })?;
        Ok(cleared.map(|(dir_fd, name)| {
            let parent = probe::parent_dir(&dst_shown).to_path_buf();
            Endpoint::At {
                dir: Arc::new(dir_fd),
                name: name.clone(),
                shown: if parent == Path::new(".") && !dst_shown.starts_with(".") {
                    PathBuf::from(&name)
                } else {
                    parent.join(&name)
                },
            }
        }))
    }

    /// Whether `facts`' file belongs to a hard-link group whose copies are linked: inside the
    /// tree with -d, -a, --preserve=links; with -L (and -H for operands) every file, since
    /// two links can lead to one file (GNU cp does so). With -l every file is linked to its
    /// source, so a second name of it comes out linked to the first copy anyway: nothing to
    /// remember (cp -al on 20,000 linked files stays within GNU's tests/cp/link-heap.sh
    /// memory limit).
    fn remembers_links(&self, src: &Endpoint, facts: &FileFacts) -> bool {
        self.cfg.preserve_links()
            && self.cfg.link != LinkMode::Hard
            && facts.kind != FileKind::Directory
            && (facts.nlink > 1
                || self.cfg.deref == Deref::Always
                || (self.cfg.deref == Deref::CommandLine && matches!(src, Endpoint::Path(_))))
    }

    /// Copies a regular file (or a special file's contents) with the engine, after cp's rules
    /// for an existing destination ([`replace::decide`]).
    pub(super) fn copy_file(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) {
        // In a directory this run created, nothing is there yet: no need to look, and no
        // job writes this name (the walk lists each name once; the in-flight key is not
        // hashed for it: issue 16).
        let fresh = self.walk_dir.filter(|w| w.fresh);
        // A look-ahead helper's lstat of DEST, unless a job still writes there.
        let busy = fresh.is_none() && self.writing(dst.display_path());
        let pre = (self.prelooked.take()).filter(|_| !busy);
        if busy {
            self.wait_for(dst.display_path());
        }
        let remember = self.remembers_links(src, facts);
        let looked = match fresh {
            Some(_) => None,
            None => self.look_at_dest(facts, dst, pre),
        };
        let s = Subject {
            src,
            facts,
            dst,
            seen: looked.map(|l| l.seen),
            look: looked,
        };
        let existing = looked.map(|l| self.existing(&l.lstat, &l.seen, l.looping));
        let mut f = self.replace_facts(&s, nofollow, existing, remember);
        let mut cleared = Cleared {
            backed_up: None,
            gone: false,
        };
        let action = self.run_rules(replace::decide, &mut f, &s, &mut cleared);
        if self.perform(action, &s, nofollow) {
            self.plan_and_run(&s, nofollow, remember, fresh, cleared);
        }
    }

    /// Performs what the rules decided; true when the copy goes on to planning.
    fn perform(&mut self, action: Action, s: &Subject<'_>, nofollow: bool) -> bool {
        let (src_shown, dst_shown) = (s.src.display_path(), s.dst.display_path());
        let key = (s.facts.dev, s.facts.ino);
        match action {
            Action::Proceed => return true,
            Action::Skip => self.reporter.skipped(src_shown, dst_shown),
            Action::Decline => self.reporter.declined(src_shown, dst_shown),
            Action::Done => {}
            Action::Fail(e) => self.fail(src_shown, dst_shown, e),
            Action::PlanOnly => self.reporter.planned_node("file", src_shown, dst_shown),
            Action::CopyToBackup if !self.backup_name_may_be_overwritten(src_shown, s.dst) => {}
            Action::CopyToBackup => match self.backup_endpoint(s.dst) {
                Ok(Some(backup_dst)) => self.copy_file(s.src, s.facts, &backup_dst, nofollow),
                Ok(None) => return true,
                Err(e) => self.fail(src_shown, dst_shown, e),
            },
            Action::BackUpThenRetry => match self.back_up(s.dst) {
                Ok(_) => self.copy_file(s.src, s.facts, s.dst, nofollow),
                Err(e) => self.fail(src_shown, dst_shown, e),
            },
            Action::LinkToFirst => {
                // The first copy may still be running (`-j`): wait for it, then look again. A
                // first copy that failed is forgotten, and this name is copied on its own, as
                // GNU cp copies it (red team, round 4: it was linked to the failed copy, which
                // was gone: ENOENT).
                if let Some(shown) = self.links.get(&key).map(|first| first.shown.clone()) {
                    self.wait_for(&shown);
                }
                let Some(first) = self.links.get(&key).cloned() else {
                    // Decided again for this name alone: whatever is at DEST now (a planted
                    // symlink: replaced by link-group-over-symlink, never written through).
                    self.copy_file(s.src, s.facts, s.dst, nofollow);
                    return false;
                };
                self.link_to_first(src_shown, &first, s.dst);
            }
            Action::RememberAsFirst => {
                // The existing file is the first copy, as it is.
                let mut first = self.first_copy(s.dst);
                first.id = s.seen.map(|st| (st.st_dev, st.st_ino));
                self.links.insert(key, first);
                self.reporter.skipped(src_shown, dst_shown);
            }
        }
        false
    }

    /// Plans the copy onto DEST as it now is, and runs it (or only plans it: `--dry-run`;
    /// or applies attributes only: `--attributes-only`).
    fn plan_and_run(
        &mut self,
        s: &Subject<'_>,
        nofollow: bool,
        remember: bool,
        fresh: Option<WalkDir>,
        cleared: Cleared,
    ) {
        let (src_shown, dst_shown) = (s.src.display_path(), s.dst.display_path());
        let (dest, dest_name) = match Self::planned_dest(s, fresh, &cleared) {
            Ok(d) => d,
            Err(errno) => {
                let e = ReplaceError::CannotStat {
                    dest: dst_shown.to_path_buf(),
                    errno,
                };
                return self.fail(src_shown, dst_shown, e);
            }
        };
        // POSIXLY_CORRECT: GNU cp writes through a dangling destination symlink, creating
        // its target; without it, the planner refuses (GNU tests/cp/thru-dangling.sh).
        let through = match dest {
            DestFacts::DanglingSymlink => self.dangling_symlink_target(s.dst),
            _ => None,
        };
        // The target is looked at once, here: an existing one is followed and must be the
        // file this look found.
        let (dst, dest, dest_name) = match &through {
            Some(target) => match probe::dest_facts(target) {
                Ok(d @ DestFacts::Existing(_)) => (target, d, DestName::Symlink),
                Ok(d) => (target, d, DestName::Plain),
                Err(_) => (s.dst, dest, dest_name),
            },
            None => (s.dst, dest, dest_name),
        };
        let mut facts = *s.facts;
        if facts.fs == crate::facts::FsKind::Other(0) {
            if let Ok(f) = probe::source_facts(s.src) {
                facts.fs = f.fs;
            }
        }
        let mut inputs = self.file_inputs(s.src, &facts, dst, &dest, nofollow);
        inputs.dest_name = dest_name;
        let target = Target {
            source: s.src.clone(),
            dest: dst.clone(),
        };
        let job = match plan::plan_job(&self.cfg.copy, target, &facts, &dest, &inputs) {
            Ok(Planned::Copy(job)) => job,
            Err(e) => return self.fail(src_shown, dst_shown, e),
        };
        let link_key = remember.then_some((facts.dev, facts.ino));
        if self.cfg.dry_run {
            return self.dry_run_file(job, &dest, link_key);
        }
        if let Some(key) = link_key {
            let first = self.first_copy(dst);
            self.links.insert(key, first);
        }
        if self.cfg.attributes_only {
            return self.attributes_only(&job, &facts);
        }
        let context = pool::Context {
            dir_token: self.current_dir,
            link_key,
            creates: self.track_created && !matches!(dest, DestFacts::Existing(_)),
            backup: cleared.backed_up,
            ..pool::Context::default()
        };
        self.dispatch(job, context);
    }

    /// The planner's inputs for this file: the run's settings, a `--batch` line's range, and
    /// with `--resume` how much of an existing DEST is already copied.
    fn file_inputs(
        &self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        dest: &DestFacts,
        nofollow: bool,
    ) -> FileInputs {
        let ranged = self.range_override.is_some() || self.cfg.copy.range.is_some();
        let resumed_from = match dest {
            DestFacts::Existing(_) if self.cfg.restart.resume && !ranged => {
                crate::restart::resume::resume_offset(src, facts, dst, nofollow)
            }
            _ => None,
        };
        FileInputs {
            umask: self.umask,
            nofollow,
            no_preserve_mode: self.cfg.no_preserve_mode,
            remove_destination: self.cfg.remove_destination,
            range_override: self.range_override.clone(),
            restart: self.cfg.restart.job(resumed_from),
            dest_name: DestName::Plain,
        }
    }

    /// DEST's facts for the planner and what the rules saw at its name, from the rules' own
    /// look ([`Subject::look`]): DEST's name is not stat'ed again (DESIGN rule 10: the file
    /// opened must be the one the rules looked at; and one look per entry, issue 16). A DEST
    /// the rules renamed or removed is new; only its directory is looked at.
    fn planned_dest(
        s: &Subject<'_>,
        fresh: Option<WalkDir>,
        cleared: &Cleared,
    ) -> Result<(DestFacts, DestName), Errno> {
        if let Some(w) = fresh {
            let dest = DestFacts::Missing {
                dir_fs: w.dst_fs,
                dir_dev: w.dst_dev,
            };
            return Ok((dest, DestName::Plain));
        }
        if cleared.gone {
            return probe::cleared_dest_facts(s.dst).map(|d| (d, DestName::Cleared));
        }
        let Some(look) = s.look else {
            // Nothing there when the rules looked (or standard output): whatever appeared
            // since is not opened but met by O_EXCL, so the name is not looked at again (one
            // round trip less per new file, issue 16); only the directory is.
            return probe::cleared_dest_facts(s.dst).map(|d| (d, DestName::Plain));
        };
        if FileType::from_raw_mode(look.lstat.st_mode) != FileType::Symlink {
            return Ok((probe::seen_dest_facts(s.dst, &look.lstat), DestName::Plain));
        }
        match look.target {
            Some(Ok(st)) => Ok((probe::seen_dest_facts(s.dst, &st), DestName::Symlink)),
            // A symlink that leads nowhere (or round in a loop) is never written through.
            Some(Err(Errno::LOOP | Errno::NOENT)) | None => {
                Ok((DestFacts::DanglingSymlink, DestName::Plain))
            }
            Some(Err(e)) => Err(e),
        }
    }

    /// `--dry-run`: reports the planned job. The run would fail to create a file in a missing
    /// or non-directory parent: so does the plan, with the same message (--parents plans its
    /// directories). Later links to this file are planned as hard links, as they will be made.
    fn dry_run_file(
        &mut self,
        job: Box<plan::Job>,
        dest: &DestFacts,
        link_key: Option<(u64, u64)>,
    ) {
        if let (Endpoint::Path(path), DestFacts::Missing { .. }) = (&job.dest, dest) {
            let parent = probe::parent_dir(path);
            let usable = match statat(CWD, parent, AtFlags::empty()) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Ok(()),
                Ok(_) => Err(Errno::NOTDIR),
                Err(e) => Err(e),
            };
            // --parents and --mkpath plan the directories they make (report::planned_dir).
            let planned = self.cfg.parents || self.reporter.planned_dir(parent);
            if let (Err(errno), false) = (usable, planned) {
                let e = ReplaceError::CannotCreate {
                    dest: path.clone(),
                    errno,
                };
                return self.fail(job.source.display_path(), path, e);
            }
        }
        if let Some(key) = link_key {
            let first = self.first_copy(&job.dest);
            self.links.insert(key, first);
        }
        if matches!(dest, DestFacts::Existing(_)) {
            self.note_planned_backup(&job.dest);
        }
        self.reporter.planned(&job);
    }

    /// `--dry-run -b` over an existing DEST: the name its backup would get now (looked up, not
    /// made), for the planned line's ` (backup: 'NAME')`, as the real run's `-v` line says it
    /// (new-user trial, round 4: the dry run did not show it).
    fn note_planned_backup(&mut self, dest: &Endpoint) {
        let Some(b) = &self.cfg.backup else {
            return;
        };
        let Some((dir, name)) = dest.dir_and_name() else {
            return;
        };
        let Ok((dir_fd, base)) = effect::split_at_dir(dir, name) else {
            return;
        };
        let named = crate::backup::backup_name_in(dir_fd.as_fd(), &base, b.control, &b.suffix);
        if let Ok(Some(backup)) = named {
            let shown = dest.display_path().with_file_name(&backup);
            self.reporter.backup_planned(&shown);
        }
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let shown = job.dest.display_path().to_path_buf();
        let fd = match effect::open_attributes_only(job) {
            Ok(fd) => fd,
            Err(e) => return self.fail(job.source.display_path(), &shown, e),
        };
        let new_mode = (!job.dest_exists).then_some(job.create_mode);
        // The source's descriptor, for xattrs.
        let src_fd = job
            .source
            .dir_and_name()
            .and_then(|(d, n)| effect::open_source_for_attributes(d, n, job.nofollow));
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
