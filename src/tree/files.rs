//! Regular files: gathers the facts cp's rules for an existing destination need
//! ([`crate::plan::replace`]), performs the action they decide through
//! [`crate::exec::replace`], then plans the copy ([`crate::plan::plan_job`]) and dispatches it;
//! `--attributes-only`; linking later names of a hard-linked source to the first copy.

use std::ffi::{OsStr, OsString};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustix::fs::{statat, AtFlags, FileType, Stat, CWD};
use rustix::io::Errno;

use super::nodes::LinkKind;
use super::walk::WalkDir;
use super::{same_name, Copier};
use crate::backup;
use crate::cli::UpdateWhen;
use crate::exec::{probe, replace as effect};
use crate::facts::{DestFacts, FileFacts, FileKind};
use crate::options::{Config, Deref, LinkMode};
use crate::plan::replace::{self, Action, Existing, Fact, ReplaceError, Step};
use crate::plan::same::{self as same_file, Ident, SameFile};
use crate::plan::{self, Endpoint, FileInputs, Planned, Target};
use crate::pool;

impl Config {
    /// Whether hard links between copied files are kept as hard links.
    pub fn preserve_links(&self) -> bool {
        self.copy.preserve.attrs.links
    }
}

/// Whether `POSIXLY_CORRECT` is set (read once per run).
fn posixly_correct() -> bool {
    static SET: OnceLock<bool> = OnceLock::new();
    *SET.get_or_init(|| std::env::var_os("POSIXLY_CORRECT").is_some())
}

/// What a copy onto an existing destination is about, for gathering the rules' facts.
struct Subject<'e> {
    src: &'e Endpoint,
    facts: &'e FileFacts,
    dst: &'e Endpoint,
    /// DEST as the copy sees it (see [`Existing::id`]).
    seen: Option<Stat>,
}

/// Where the rules left a copy that goes on: the backup DEST was renamed to, if any.
struct Cleared {
    backed_up: Option<OsString>,
}

impl<'a, 'p> Copier<'a, 'p> {
    /// The run's settings as cp's rules for an existing destination need them.
    fn replace_settings(&self) -> replace::Settings {
        let cfg = self.cfg;
        replace::Settings {
            update: match cfg.update {
                UpdateWhen::All => replace::Update::All,
                UpdateWhen::None => replace::Update::None,
                UpdateWhen::NoneFail => replace::Update::NoneFail,
                UpdateWhen::Older => replace::Update::Older,
                UpdateWhen::Changed => replace::Update::Changed,
            },
            interactive: cfg.interactive && !cfg.dry_run,
            force: cfg.copy.force,
            remove_destination: cfg.remove_destination,
            backup: cfg.backup.is_some(),
            numbered_backup: cfg
                .backup
                .as_ref()
                .is_some_and(|b| b.control == backup::BackupControl::Numbered),
            dry_run: cfg.dry_run,
            ranged: cfg.copy.range.is_some() || self.range_override.is_some(),
            posixly_correct: posixly_correct(),
        }
    }

    /// The facts of the rules before any is gathered on demand.
    fn replace_facts(
        &self,
        s: &Subject<'_>,
        nofollow: bool,
        existing: Option<Existing>,
        remember: bool,
    ) -> replace::Facts {
        let dest = s.dst.display_path().to_path_buf();
        replace::Facts {
            source: replace::Source {
                shown: s.src.display_path().to_path_buf(),
                id: (s.facts.dev, s.facts.ino),
                regular: s.facts.kind == FileKind::Regular,
                symlink: s.facts.kind == FileKind::Symlink,
                mtime: s.facts.mtime,
                nofollow,
            },
            dest_ends_in_slash: dest.as_os_str().as_bytes().ends_with(b"/"),
            dest,
            existing,
            remember,
            first_copy_known: remember && self.links.contains_key(&(s.facts.dev, s.facts.ino)),
            same_name: None,
            same_file: None,
            unchanged: None,
            backup_is_source: None,
            answer: None,
            loop_removed: false,
        }
    }

    /// DEST as the rules see it: `lstat` is its name's, `seen` what the copy sees (followed
    /// unless GNU's `use_lstat`), `looping` whether following it fails with `ELOOP`.
    fn existing(&self, lstat: &Stat, seen: &Stat, looping: bool) -> Existing {
        let kind = |st: &Stat| FileType::from_raw_mode(st.st_mode);
        let id = (seen.st_dev, seen.st_ino);
        Existing {
            id,
            directory: kind(seen) == FileType::Directory,
            symlink: kind(seen) == FileType::Symlink,
            name_is_symlink: kind(lstat) == FileType::Symlink,
            looping,
            mtime: (seen.st_mtime, seen.st_mtime_nsec as i64),
            created_symlink: self.created_symlinks.contains((lstat.st_dev, lstat.st_ino)),
            created: self.created_files.contains(id) || self.created_dirs.contains_key(&id),
        }
    }

    /// Consults `rules` until they decide, gathering the facts they ask for, asking `-i`'s
    /// question, and performing the removals and backups they order before deciding again.
    fn run_rules(
        &mut self,
        rules: fn(&replace::Facts, &replace::Settings) -> Step,
        f: &mut replace::Facts,
        s: &Subject<'_>,
        cleared: &mut Cleared,
    ) -> Action {
        let settings = self.replace_settings();
        loop {
            match rules(f, &settings) {
                Step::Act(action) => return action,
                Step::Gather(fact) => self.gather(fact, f, s),
                Step::Ask => {
                    let question = replace::OverwriteQuestion(f.dest.clone());
                    f.answer = Some(self.reporter.ask(&question.to_string()));
                }
                Step::RemoveLoop => {
                    let _ = self.remove(s.dst);
                    f.loop_removed = true;
                }
                Step::RemoveFirst { report } => {
                    if let (Err(errno), true) = (self.remove(s.dst), report) {
                        let dest = f.dest.clone();
                        return Action::Fail(ReplaceError::CannotRemove { dest, errno });
                    }
                    f.existing = None;
                }
                Step::BackUpFirst => {
                    match self.back_up(s.dst) {
                        Ok(name) => cleared.backed_up = name,
                        Err(e) => return Action::Fail(e),
                    }
                    f.existing = None;
                }
            }
        }
    }

    /// Finds out one fact the rules asked for.
    fn gather(&mut self, fact: Fact, f: &mut replace::Facts, s: &Subject<'_>) {
        let seen = s.seen.as_ref().expect("facts about an existing DEST");
        match fact {
            Fact::SameFile => {
                let (answer, same) = self.same_file_facts(s.src, s.facts, s.dst, seen);
                f.same_file = Some(answer);
                f.same_name = Some(same);
            }
            Fact::SameName => {
                f.same_name = Some(same_name(s.src.display_path(), s.dst.display_path()));
            }
            Fact::Unchanged => {
                let unchanged =
                    crate::restart::update_changed::unchanged(s.facts, s.src, seen, s.dst);
                f.unchanged = Some(unchanged);
            }
            Fact::BackupIsSource => {
                f.backup_is_source = Some(self.backup_is_source(s.src, s.facts, s.dst));
            }
        }
    }

    /// The checks every replacing copy makes: -n/--update, -i, backups that would be the
    /// source ([`replace::may_replace`]). Returns false when the destination is to be left
    /// alone (reported).
    pub(super) fn may_replace(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> bool {
        let s = Subject {
            src,
            facts,
            dst,
            seen: Some(*existing),
        };
        let e = self.existing(existing, existing, false);
        let mut f = self.replace_facts(&s, false, Some(e), false);
        let mut cleared = Cleared { backed_up: None };
        let action = self.run_rules(replace::may_replace, &mut f, &s, &mut cleared);
        let (src_shown, dst_shown) = (src.display_path(), dst.display_path());
        match action {
            Action::Proceed => return true,
            Action::Skip => self.reporter.skipped(src_shown, dst_shown),
            Action::Decline => self.reporter.declined(src_shown, dst_shown),
            Action::Fail(e) => self.fail(src_shown, dst_shown, &e.to_string()),
            _ => {}
        }
        false
    }

    /// GNU's `source_is_dst_backup`: the simple backup of `dst` would be the source itself
    /// (`cp -b a~ a`): same name (see [`replace::backup_named_like_source`]) and same file.
    fn backup_is_source(&self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) -> bool {
        let Some(b) = &self.cfg.backup else {
            return false;
        };
        let src_base = plan::base_name(src.display_path()).as_bytes();
        let Some((dir, name)) = dst.dir_and_name() else {
            return false;
        };
        let dst_base = plan::base_name(name).as_bytes();
        let suffix = b.suffix.as_bytes();
        if !replace::backup_named_like_source(src_base, dst_base, suffix) {
            return false;
        }
        let backup_path = probe::parent_dir(name).join(OsStr::from_bytes(src_base));
        statat(dir, &backup_path, AtFlags::empty())
            .is_ok_and(|st| (st.st_dev, st.st_ino) == (facts.dev, facts.ino))
    }

    /// Renames an existing destination to its backup name and reports it (`-v`); returns the
    /// backup's name.
    fn back_up(&mut self, dst: &Endpoint) -> Result<Option<OsString>, ReplaceError> {
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

    /// [`Self::back_up`] with the error as its message (for the other node kinds).
    pub(super) fn backup(&mut self, dst: &Endpoint) -> Result<Option<OsString>, String> {
        self.back_up(dst).map_err(|e| e.to_string())
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
        let cleared = effect::clear_backup_name(dir, n, b.control, &b.suffix).map_err(|errno| {
            ReplaceError::CannotBackup {
                dest: dst_shown.clone(),
                errno,
            }
            .to_string()
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

    /// The options GNU's same_file_ok depends on.
    pub(super) fn same_opts(&self) -> same_file::SameOpts {
        same_file::SameOpts {
            no_dereference: self.cfg.deref == Deref::Never,
            hard_link: self.cfg.link == LinkMode::Hard,
            symbolic_link: self.cfg.link == LinkMode::Symbolic,
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
        existing: &Stat,
    ) -> SameFile {
        self.same_file_facts(src, facts, dst, existing).0
    }

    /// [`Self::gnu_same_file`] and GNU's `same_name`, which it finds out on the way.
    fn same_file_facts(
        &self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> (SameFile, bool) {
        let (Some((sdir, sname)), Some((ddir, dname))) = (src.dir_and_name(), dst.dir_and_name())
        else {
            return (SameFile::Proceed, false);
        };
        let look = |dir, name: &Path, flags| statat(dir, name, flags).ok().map(|st| Ident::of(&st));
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
        (same_file::same_file_ok(&f, &self.same_opts()), f.same_name)
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

    /// DEST's lstat, and what the copy sees there: followed when it is a symlink and GNU's
    /// `use_lstat` does not apply. One stat per existing entry that is not a symlink (a
    /// re-copy of a tree, issue 16); a symlink gets one more, which also tells a loop.
    fn look_at_dest(&self, facts: &FileFacts, dst: &Endpoint) -> Option<(Stat, Stat, bool)> {
        let lst = Self::lstat_dest(dst)?;
        if FileType::from_raw_mode(lst.st_mode) != FileType::Symlink {
            return Some((lst, lst, false));
        }
        let lstat_only =
            same_file::dst_uses_lstat(facts.kind == FileKind::Regular, &self.same_opts());
        let followed = dst
            .dir_and_name()
            .map(|(d, n)| statat(d, n, AtFlags::empty()));
        let looping = matches!(followed, Some(Err(Errno::LOOP)));
        match followed {
            Some(Ok(st)) if !lstat_only => Some((lst, st, looping)),
            _ => Some((lst, lst, looping)),
        }
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
        self.wait_for(dst.display_path());
        let remember = self.remembers_links(src, facts);
        // In a directory this run created, nothing is there yet: no need to look.
        let fresh = self.walk_dir.filter(|w| w.fresh);
        let looked = match fresh {
            Some(_) => None,
            None => self.look_at_dest(facts, dst),
        };
        let s = Subject {
            src,
            facts,
            dst,
            seen: looked.map(|(_, seen, _)| seen),
        };
        let existing = looked.map(|(lst, seen, looping)| self.existing(&lst, &seen, looping));
        let mut f = self.replace_facts(&s, nofollow, existing, remember);
        let mut cleared = Cleared { backed_up: None };
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
            Action::Fail(e) => self.fail(src_shown, dst_shown, &e.to_string()),
            Action::PlanOnly => self.reporter.planned_node("file", src_shown, dst_shown),
            Action::CopyToBackup => match self.backup_endpoint(s.dst) {
                Ok(Some(backup_dst)) => self.copy_file(s.src, s.facts, &backup_dst, nofollow),
                Ok(None) => return true,
                Err(msg) => self.fail(src_shown, dst_shown, &msg),
            },
            Action::BackUpThenRetry => match self.back_up(s.dst) {
                Ok(_) => self.copy_file(s.src, s.facts, s.dst, nofollow),
                Err(e) => self.fail(src_shown, dst_shown, &e.to_string()),
            },
            Action::LinkToFirst { remove_first } => {
                if remove_first {
                    let _ = self.remove(s.dst);
                }
                let first = self.links.get(&key).cloned().expect("a first copy");
                self.wait_for(&first.shown);
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
        let probed = match fresh {
            Some(w) => Ok(DestFacts::Missing {
                dir_fs: w.dst_fs,
                dir_dev: w.dst_dev,
            }),
            None => probe::dest_facts(s.dst),
        };
        let dest = match probed {
            Ok(d) => d,
            Err(errno) => {
                let e = ReplaceError::CannotStat {
                    dest: dst_shown.to_path_buf(),
                    errno,
                };
                return self.fail(src_shown, dst_shown, &e.to_string());
            }
        };
        // POSIXLY_CORRECT: GNU cp writes through a dangling destination symlink, creating
        // its target; without it, the planner refuses (GNU tests/cp/thru-dangling.sh).
        let through = match dest {
            DestFacts::DanglingSymlink => self.dangling_symlink_target(s.dst),
            _ => None,
        };
        let (dst, dest) = match &through {
            Some(target) => match probe::dest_facts(target) {
                Ok(facts) => (target, facts),
                Err(_) => (s.dst, dest),
            },
            None => (s.dst, dest),
        };
        let mut facts = *s.facts;
        if facts.fs == crate::facts::FsKind::Other(0) {
            if let Ok(f) = probe::source_facts(s.src) {
                facts.fs = f.fs;
            }
        }
        let inputs = self.file_inputs(s.src, &facts, dst, &dest, nofollow);
        let target = Target {
            source: s.src.clone(),
            dest: dst.clone(),
        };
        let job = match plan::plan_job(&self.cfg.copy, &target, &facts, &dest, &inputs) {
            Ok(Planned::Copy(job)) => job,
            Err(e) => return self.fail(src_shown, dst_shown, &e.to_string()),
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
            restart: crate::restart::JobRestart::new(&self.cfg.restart, resumed_from),
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
            if let (Err(errno), false) = (usable, self.cfg.parents) {
                let e = ReplaceError::CannotCreate {
                    dest: path.clone(),
                    errno,
                };
                return self.fail(job.source.display_path(), path, &e.to_string());
            }
        }
        if let Some(key) = link_key {
            let first = self.first_copy(&job.dest);
            self.links.insert(key, first);
        }
        self.reporter.planned(&job);
    }

    /// GNU cp: when the copy after a backup rename fails, the backup goes back to DEST's name,
    /// so the name does not vanish (issue 13). Only if nothing took the name meanwhile (a failed
    /// new DEST is removed first; one whose data is complete stays, and the backup with it).
    pub(super) fn restore_backup(&self, dst: &Endpoint, backup: &OsStr) {
        let (dir, name) = dst.dir_and_name().expect("paths");
        effect::restore_backup(dir, name, backup);
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let (dir, name) = job.dest.dir_and_name().expect("paths");
        let shown = job.dest.display_path().to_path_buf();
        let fd = match effect::open_attributes_only(dir, name, job.dest_exists) {
            Ok(fd) => fd,
            Err(errno) => {
                let e = ReplaceError::CannotCreate {
                    dest: shown.clone(),
                    errno,
                };
                return self.fail(job.source.display_path(), &shown, &e.to_string());
            }
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

    /// Removes DEST (not a directory).
    pub(super) fn remove(&self, dst: &Endpoint) -> Result<(), Errno> {
        let (dir, name) = dst.dir_and_name().expect("paths");
        effect::remove(dir, name)
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
