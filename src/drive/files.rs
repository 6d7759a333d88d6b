//! Regular files: gathers the facts cp's rules for an existing destination need
//! ([`crate::plan::replace`]), performs the action they decide through
//! [`crate::exec::replace`], then plans the copy ([`crate::plan::plan_job`]) and dispatches it;
//! `--dry-run` and `--attributes-only` in [`modes`]; linking later names of a hard-linked source to
//! the first copy.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{FileType, CWD};
use rustix::io::Errno;

use super::existing::{Cleared, Look, Subject};
use super::nodes::LinkKind;
use super::walk::WalkDir;
use super::Copier;
use crate::exec::{dirs, probe, replace as effect};
use crate::facts::{DestFacts, FileFacts};
use crate::options::values::UpdateWhen;
use crate::options::Config;
use crate::plan::replace::{self, Action, ReplaceError};
use crate::plan::{self, DestName, Endpoint, FileInputs, Planned, Target};
use crate::pool;

pub(in crate::drive) mod allowed;
mod modes;

impl Config {
    /// Whether hard links between copied files are kept as hard links.
    pub fn preserve_links(&self) -> bool {
        self.copy.preserve.attrs.links
    }
}

/// A file on its way to the planner: its two ends (owned when the caller gave them up), its
/// facts and the rules' look at DEST.
struct Entry<'e> {
    src: Cow<'e, Endpoint>,
    dst: Cow<'e, Endpoint>,
    facts: &'e FileFacts,
    look: Option<Look>,
}

impl<'a, 'p> Copier<'a, 'p> {
    /// `--atomic`: backs DEST up by a hard link, leaving it in place for the final rename
    /// (see [`crate::exec::link_backup`]), and reports it (`-v`); returns the backup's name and
    /// the file left in place. `None`: no link could be made (GNU's order then, a rename).
    pub(super) fn back_up_by_link(&mut self, dst: &Endpoint) -> Option<(OsString, (u64, u64))> {
        let b = self.cfg.backup.as_ref()?;
        let (dir, name) = dst.dir_and_name()?;
        let linked = crate::exec::link_backup(dir, name, b.control, &b.suffix).ok()??;
        let (made, id) = (linked.name, linked.kept);
        let shown = dst.display_path();
        let backup = match shown.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join(&made),
            _ => PathBuf::from(&made),
        };
        self.reporter.backup_made(&backup);
        Some((made, id))
    }

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
            shown: shown.into(),
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
                    PathBuf::from(&name).into()
                } else {
                    parent.join(&name).into()
                },
            }
        }))
    }

    /// Copies a regular file (or a special file's contents) with the engine, after cp's rules
    /// for an existing destination ([`replace::decide`]).
    ///
    /// The ends are owned when the caller gives them up (the walk does): the job then takes
    /// them without copying their paths (issue 16).
    pub(super) fn copy_file(
        &mut self,
        src: Cow<'_, Endpoint>,
        facts: &FileFacts,
        dst: Cow<'_, Endpoint>,
        nofollow: bool,
    ) {
        // In a directory this run created, nothing is there yet: no need to look, and no
        // job writes this name (the walk lists each name once; the in-flight key is not
        // hashed for it: issue 16).
        let fresh = self.walk_dir.filter(|w| w.fresh);
        // A look-ahead helper's lstat of DEST, unless a job still writes there.
        let busy = fresh.is_none() && self.writing_endpoint(&dst);
        let pre = (self.prelooked.take()).filter(|_| !busy);
        if busy {
            self.wait_for(dst.display_path());
        }
        let remember = self.remembers_links(&src, facts);
        let looked = match fresh {
            Some(_) => None,
            None => self.look_at_dest(facts, &dst, pre),
        };
        let s = Subject {
            src: &src,
            facts,
            dst: &dst,
            seen: looked.map(|l| l.seen),
        };
        let existing = looked.map(|l| self.existing(&l.lstat, &l.seen, l.looping));
        let mut f = self.replace_facts(&s, nofollow, existing, remember);
        let defer = self.cfg.copy.atomic && !self.cfg.dry_run && !self.cfg.attributes_only;
        let mut cleared = Cleared::new(defer);
        cleared.backed_up = self.retry_backup.take();
        let action = self.run_rules(replace::decide, &mut f, &s, &mut cleared);
        if let (Some(id), false) = (cleared.kept, matches!(action, Action::Proceed)) {
            // Not a copy after all: cleared now, as the rename would have (the backup is a
            // link already).
            if Self::lstat_dest(&dst).is_some_and(|st| (st.st_dev, st.st_ino) == id) {
                let _ = Self::remove_dest(&dst);
            }
        }
        if self.perform(action, &s, nofollow) {
            let entry = Entry {
                src,
                dst,
                facts,
                look: looked,
            };
            self.plan_and_run(entry, nofollow, remember, fresh, cleared);
        }
    }

    /// Performs what the rules decided; true when the copy goes on to planning.
    fn perform(&mut self, action: Action, s: &Subject<'_>, nofollow: bool) -> bool {
        match action {
            Action::Proceed => return true,
            // Without building the shown paths, unless a line names them (issue 16).
            Action::Skip => {
                self.reporter.skipped_file(s.src, s.dst);
                return false;
            }
            _ => {}
        }
        let (src_shown, dst_shown) = (s.src.display_path(), s.dst.display_path());
        let key = (s.facts.dev, s.facts.ino);
        match action {
            Action::Proceed | Action::Skip => unreachable!("handled above"),
            Action::Decline => self.reporter.declined(src_shown, dst_shown),
            Action::Done => {}
            Action::Fail(e) => self.fail(src_shown, dst_shown, e),
            Action::PlanOnly => self.reporter.planned_node("file", src_shown, dst_shown),
            Action::CopyToBackup if !self.backup_name_may_be_overwritten(src_shown, s.dst) => {}
            Action::CopyToBackup => match self.backup_endpoint(s.dst) {
                Ok(Some(backup_dst)) => {
                    let (src, dst) = (Cow::Borrowed(s.src), Cow::Owned(backup_dst));
                    self.copy_file(src, s.facts, dst, nofollow);
                }
                Ok(None) => return true,
                Err(e) => self.fail(src_shown, dst_shown, e),
            },
            Action::BackUpThenRetry => match self.back_up(s.dst) {
                Ok(made) => {
                    // A copy that then fails puts the backup back (as GNU cp: red team,
                    // round 9: `cp -b s dirlink/s` left the source only as `s~`).
                    self.retry_backup = made;
                    let (src, dst) = (Cow::Borrowed(s.src), Cow::Borrowed(s.dst));
                    self.copy_file(src, s.facts, dst, nofollow);
                    self.retry_backup = None;
                }
                Err(e) => self.fail(src_shown, dst_shown, e),
            },
            Action::LinkToFirst | Action::LinkSkippedToFirst => {
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
                    let (src, dst) = (Cow::Borrowed(s.src), Cow::Borrowed(s.dst));
                    self.copy_file(src, s.facts, dst, nofollow);
                    return false;
                };
                let said = action == Action::LinkToFirst;
                self.link_to_first(src_shown, &first, s.dst, said);
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
        e: Entry<'_>,
        nofollow: bool,
        remember: bool,
        fresh: Option<WalkDir>,
        cleared: Cleared,
    ) {
        let (dest, dest_name) = match Self::planned_dest(&e.dst, e.look, fresh, &cleared) {
            Ok(d) => d,
            Err(errno) => {
                let (src_shown, dst_shown) = (e.src.display_path(), e.dst.display_path());
                let err = ReplaceError::CannotStat {
                    dest: dst_shown.to_path_buf(),
                    errno,
                };
                return self.fail(src_shown, dst_shown, err);
            }
        };
        // POSIXLY_CORRECT: GNU cp writes through a dangling destination symlink, creating
        // its target; without it, the planner refuses (GNU tests/cp/thru-dangling.sh).
        let through = match dest {
            DestFacts::DanglingSymlink => self.dangling_symlink_target(&e.dst),
            _ => None,
        };
        // The target is looked at once, here: an existing one is followed and must be the
        // file this look found.
        let (through, dest, dest_name) = match through {
            Some(target) => match probe::dest_facts(&target) {
                Ok(d @ DestFacts::Existing(_)) => (Some(target), d, DestName::Symlink),
                Ok(d) => (Some(target), d, DestName::Plain),
                Err(_) => (None, dest, dest_name),
            },
            None => (None, dest, dest_name),
        };
        let mut facts = *e.facts;
        if facts.fs == crate::facts::FsKind::Other(0) {
            if let Ok(f) = probe::source_facts(&e.src) {
                facts.fs = f.fs;
            }
        }
        let dst = through.as_ref().unwrap_or(&e.dst);
        let mut inputs = self.file_inputs(&e.src, &facts, dst, &dest, nofollow);
        inputs.dest_name = dest_name;
        // Shown as the operand named it, also when the copy goes through a dangling symlink.
        let shown_dst = through.as_ref().map(|_| e.dst.display_path().to_path_buf());
        let target = Target {
            source: e.src.into_owned(),
            dest: through.unwrap_or_else(|| e.dst.into_owned()),
        };
        let job = match plan::plan_job(&self.cfg.copy, target, &facts, &dest, &inputs) {
            Ok(Planned::Copy(job)) => job,
            Err(r) => {
                let src_shown = r.target.source.display_path();
                let dst_shown = shown_dst.as_deref();
                let dst_shown = dst_shown.unwrap_or_else(|| r.target.dest.display_path());
                return self.fail(src_shown, dst_shown, r.error);
            }
        };
        let mut job = job;
        if cleared.kept.is_some() {
            // A cleared DEST left in place for the rename: only this file may be replaced.
            job.dest_id = cleared.kept;
        }
        self.run_planned(job, &facts, &dest, remember, cleared);
    }

    /// Runs a planned job: records it as the first copy of its hard-link group, and hands it
    /// to the engine (or to `--dry-run`'s or `--attributes-only`'s own handling).
    fn run_planned(
        &mut self,
        job: Box<plan::Job>,
        facts: &FileFacts,
        dest: &DestFacts,
        remember: bool,
        cleared: Cleared,
    ) {
        let link_key = remember.then_some((facts.dev, facts.ino));
        if self.cfg.dry_run {
            return self.dry_run_file(job, dest, link_key);
        }
        if let Some(key) = link_key {
            let first = self.first_copy(&job.dest);
            self.links.insert(key, first);
        }
        if self.cfg.attributes_only {
            return self.attributes_only(&job, facts);
        }
        let context = pool::Context {
            dir_token: self.current_dir,
            link_key,
            // Every command-line DEST written counts, new or not (GNU's dest_info records each
            // one; red team, round 10: `cp x/f y/f d` over an existing d/f refuses the second).
            creates: self.tracks_created(),
            run_here: cleared.gone && cleared.backed_up.is_none(),
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
            DestFacts::Existing(seen) if self.cfg.restart.resume && !ranged => {
                let dest_id = (seen.dev, seen.ino);
                let whole = self.cfg.update == UpdateWhen::Changed;
                crate::restart::resume::resume_offset(src, facts, dst, dest_id, nofollow, whole)
            }
            _ => None,
        };
        FileInputs {
            umask: self.umask,
            nofollow,
            no_preserve_mode: self.cfg.no_preserve_mode,
            remove_destination: self.cfg.remove_destination,
            range_override: self.range_override.clone(),
            restart: self.cfg.restart.job(resumed_from, self.cfg.update),
            dest_name: DestName::Plain,
        }
    }

    /// DEST's facts for the planner and what the rules saw at its name, from the rules' own
    /// look ([`Entry::look`]): DEST's name is not stat'ed again (DESIGN rule 10: the file
    /// opened must be the one the rules looked at; and one look per entry, issue 16). A DEST
    /// the rules renamed or removed is new; only its directory is looked at.
    fn planned_dest(
        dst: &Endpoint,
        look: Option<Look>,
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
            return probe::cleared_dest_facts(dst).map(|d| (d, DestName::Cleared));
        }
        let Some(look) = look else {
            // Nothing there when the rules looked (or standard output): whatever appeared
            // since is not opened but met by O_EXCL, so the name is not looked at again (one
            // round trip less per new file, issue 16); only the directory is.
            return probe::cleared_dest_facts(dst).map(|d| (d, DestName::Plain));
        };
        if FileType::from_raw_mode(look.lstat.st_mode) != FileType::Symlink {
            return Ok((probe::seen_dest_facts(dst, &look.lstat), DestName::Plain));
        }
        match look.target {
            Some(Ok(st)) => Ok((probe::seen_dest_facts(dst, &st), DestName::Symlink)),
            // A symlink that leads nowhere (or round in a loop) is never written through.
            Some(Err(Errno::LOOP | Errno::NOENT)) | None => {
                Ok((DestFacts::DanglingSymlink, DestName::Plain))
            }
            Some(Err(e)) => Err(e),
        }
    }

    /// Links `dst` to the first copy of a hard-linked source. Not `said`: a name `-u` skipped
    /// (GNU's `-u` branch): `-v` says only `removed 'DEST'`, without the link's own line.
    fn link_to_first(
        &mut self,
        src_shown: &Path,
        first: &super::inodes::FirstCopy,
        dst: &Endpoint,
        said: bool,
    ) {
        let (dir, name) = dst.dir_and_name().expect("paths");
        if said || self.cfg.dry_run {
            // (The dry run plans the link; it never calls `link`.)
            let link = || first.link_to(dir, name);
            return self.make_link(LinkKind::Hard, src_shown, &first.shown, dst, link);
        }
        match first.link_to(dir, name) {
            Ok(crate::exec::nodes::Replaced(replaced)) => {
                self.reporter
                    .linked_unsaid(src_shown, dst.display_path(), replaced);
            }
            Err(errno) => {
                let failed = || Err::<crate::exec::nodes::Replaced, Errno>(errno);
                self.make_link(LinkKind::Hard, src_shown, &first.shown, dst, failed);
            }
        }
    }
}
