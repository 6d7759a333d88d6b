//! Copying operands and directory trees: cp's rules for directories, symlinks, special files,
//! hard links, backups and updates, walking relative to directory fds with a bounded fd budget.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::BufRead;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rustix::fs::{
    fstat, linkat, mkdirat, mknodat, openat, readlinkat, statat, symlinkat, unlinkat, AtFlags,
    Dir, FileType, Mode, OFlags, CWD,
};
use rustix::io::Errno;

use crate::backup;
use crate::cli::UpdateWhen;
use crate::exec::{self, probe, Engine};
use crate::facts::{DestFacts, FileFacts, FileKind};
use crate::meta;
use crate::options::{Config, Deref, LinkMode};
use crate::plan::{self, Endpoint, Planned, Target};
use crate::report::{errno_text_of, quote, Reporter};

/// Directory levels whose fds stay open; deeper ancestors are closed and reopened via "..".
const OPEN_DIR_BUDGET: usize = 128;

/// One run's copier: options, the engine, the reporter and what this run has created.
pub struct Copier<'a, 'p> {
    cfg: &'a Config,
    engine: &'a Engine<'p>,
    reporter: &'a mut Reporter,
    umask: u32,
    /// (dev, ino) of files this run created, for "will not overwrite just-created".
    just_created: HashMap<(u64, u64), PathBuf>,
    /// (dev, ino) of symlinks this run created: never written through.
    created_symlinks: HashSet<(u64, u64)>,
    /// Source (dev, ino) → destination path, for preserving hard links.
    links: HashMap<(u64, u64), PathBuf>,
    /// Command-line sources seen, for "specified more than once".
    operands: HashSet<(u64, u64)>,
}

/// A directory being copied: its fds (possibly closed to save fds), identity and entries.
struct Frame {
    src: Option<Arc<OwnedFd>>,
    dst: Option<Arc<OwnedFd>>,
    src_id: (u64, u64),
    dst_id: (u64, u64),
    src_shown: PathBuf,
    dst_shown: PathBuf,
    facts: FileFacts,
    created: bool,
    /// Remaining entries, popped from the end.
    entries: Vec<OsString>,
}

impl<'a, 'p> Copier<'a, 'p> {
    pub fn new(cfg: &'a Config, engine: &'a Engine<'p>, reporter: &'a mut Reporter, umask: u32) -> Self {
        Copier {
            cfg,
            engine,
            reporter,
            umask,
            just_created: HashMap::new(),
            created_symlinks: HashSet::new(),
            links: HashMap::new(),
            operands: HashSet::new(),
        }
    }

    fn fail(&mut self, src: &Path, dst: &Path, message: &str) {
        self.reporter.failed(src, dst, None, message, None);
    }

    /// Copies one command-line operand to its destination.
    pub fn copy_operand(&mut self, target: &Target, into_directory: bool) {
        let (src_path, dst_path) = match (&target.source, &target.dest) {
            (Endpoint::Path(s), Endpoint::Path(d)) => (s.clone(), d.clone()),
            _ => return self.copy_stream(target),
        };
        let src_path = if self.cfg.strip_trailing_slashes {
            strip_slashes(&src_path)
        } else {
            src_path
        };
        let follow = matches!(self.cfg.deref, Deref::Always | Deref::CommandLine);
        let flags = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
        let facts = match statat(CWD, &src_path, flags) {
            Ok(st) => probe::facts_from_stat(&st, fs_magic_of(&src_path)),
            Err(e) => {
                let msg = format!("cannot stat {}: {}", quote(&src_path), errno_text_of(e));
                return self.fail(&src_path, &dst_path, &msg);
            }
        };
        if into_directory && !self.operands.insert((facts.dev, facts.ino)) && self.cfg.backup.is_none() {
            let what = if facts.kind == FileKind::Directory { "directory" } else { "file" };
            self.reporter
                .note(&format!("warning: source {what} {} specified more than once", quote(&src_path)));
            return;
        }
        if self.cfg.parents {
            if let Err(msg) = self.make_parents(&src_path, &dst_path) {
                return self.fail(&src_path, &dst_path, &msg);
            }
        }
        let src = Endpoint::Path(src_path.clone());
        let dst = Endpoint::Path(dst_path.clone());
        if facts.kind == FileKind::Directory && self.cfg.link != LinkMode::Symbolic {
            if !self.cfg.recursive {
                let msg = format!("-r not specified; omitting directory {}", quote(&src_path));
                return self.fail(&src_path, &dst_path, &msg);
            }
            self.copy_tree(&src, &facts, &dst, !follow);
        } else {
            self.copy_leaf(&src, &facts, &dst, !follow);
        }
    }

    /// Standard input or output: the plain engine path.
    fn copy_stream(&mut self, target: &Target) {
        let src_name = target.source.display_path().to_path_buf();
        let dst_name = target.dest.display_path().to_path_buf();
        let source = match probe::source_facts(&target.source) {
            Ok(f) => f,
            Err(e) => {
                let msg = format!("cannot stat {}: {}", quote(&src_name), errno_text_of(e));
                return self.fail(&src_name, &dst_name, &msg);
            }
        };
        if source.kind == FileKind::Directory && self.cfg.recursive {
            let msg = format!("cannot copy directory {} to standard output", quote(&src_name));
            return self.fail(&src_name, &dst_name, &msg);
        }
        self.copy_file(&target.source, &source, &target.dest, false);
    }

    /// Creates the missing directories of `--parents` (`dir/a/b` for source `a/b/f`).
    fn make_parents(&mut self, src: &Path, dst: &Path) -> Result<(), String> {
        let rel_parent = src.parent().unwrap_or(Path::new(""));
        let depth = rel_parent.components().count();
        let mut dst_dir: PathBuf = dst.to_path_buf();
        for _ in 0..=depth {
            dst_dir.pop();
        }
        let mut src_dir = PathBuf::new();
        for comp in rel_parent.components() {
            src_dir.push(comp);
            dst_dir.push(comp);
            match mkdirat(CWD, &dst_dir, Mode::from_raw_mode(0o700)) {
                Ok(()) => {
                    let st = statat(CWD, &src_dir, AtFlags::empty())
                        .map_err(|e| format!("cannot stat {}: {}", quote(&src_dir), errno_text_of(e)))?;
                    let facts = probe::facts_from_stat(&st, 0);
                    let fd = open_dir(CWD, &dst_dir, false).map_err(|e| {
                        format!("cannot access {}: {}", quote(&dst_dir), errno_text_of(e))
                    })?;
                    let new_mode = Some(facts.mode & 0o7777 & !self.umask);
                    self.apply_meta(fd.as_fd(), None, &facts, new_mode, &dst_dir);
                    if self.cfg.verbose {
                        self.reporter.verbose_line(&src_dir, &dst_dir);
                    }
                }
                Err(Errno::EXIST) => {}
                Err(e) => {
                    return Err(format!("cannot make directory {}: {}", quote(&dst_dir), errno_text_of(e)))
                }
            }
        }
        Ok(())
    }

    /// Copies a directory and everything below it.
    fn copy_tree(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, nofollow: bool) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        if let Some(msg) = self.into_itself(src, facts, dst) {
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        let Some(root) = self.enter_dir(src, facts, dst, nofollow) else {
            return;
        };
        let root_dev = facts.dev;
        let mut stack = vec![root];
        while let Some(top) = stack.last_mut() {
            let Some(name) = top.entries.pop() else {
                let frame = stack.pop().expect("non-empty stack");
                if let Some(parent) = stack.last_mut() {
                    if let Err(msg) = reopen_parent(parent, &frame) {
                        let (s, d) = (frame.src_shown.clone(), frame.dst_shown.clone());
                        self.fail(&s, &d, &msg);
                        return;
                    }
                }
                self.leave_dir(frame);
                continue;
            };
            let src_dir = top.src.clone().expect("open frame");
            let dst_dir = top.dst.clone().expect("open frame");
            let child_src = Endpoint::At {
                dir: src_dir.clone(),
                name: name.clone(),
                shown: top.src_shown.join(&name),
            };
            let child_dst = Endpoint::At {
                dir: dst_dir,
                name: name.clone(),
                shown: top.dst_shown.join(&name),
            };
            let follow = self.cfg.deref == Deref::Always;
            let flags = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
            let facts = match statat(&*src_dir, &name, flags) {
                Ok(st) => probe::facts_from_stat(&st, 0),
                Err(e) => {
                    let shown = child_src.display_path().to_path_buf();
                    let msg = format!("cannot stat {}: {}", quote(&shown), errno_text_of(e));
                    self.fail(&shown, child_dst.display_path(), &msg);
                    continue;
                }
            };
            if facts.kind == FileKind::Directory {
                if self.cfg.one_file_system && facts.dev != root_dev {
                    // cp -x: the mount point is created, its contents are not copied.
                    if let Some(mut frame) = self.enter_dir(&child_src, &facts, &child_dst, !follow) {
                        frame.entries.clear();
                        self.leave_dir(frame);
                    }
                    continue;
                }
                if let Some(frame) = self.enter_dir(&child_src, &facts, &child_dst, !follow) {
                    stack.push(frame);
                    let depth = stack.len();
                    if depth > OPEN_DIR_BUDGET {
                        let old = &mut stack[depth - OPEN_DIR_BUDGET - 1];
                        old.src = None;
                        old.dst = None;
                    }
                }
            } else {
                self.copy_leaf(&child_src, &facts, &child_dst, !follow);
            }
        }
    }

    /// Refuses to copy a directory into itself or below itself.
    fn into_itself(&self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) -> Option<String> {
        let dst_path = dst.display_path();
        let mut probe_path = dst_path.to_path_buf();
        // The nearest existing ancestor of the destination (or the destination itself).
        let mut fd = loop {
            match openat(CWD, &probe_path, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()) {
                Ok(fd) => break fd,
                Err(_) if probe_path.pop() => {
                    if probe_path.as_os_str().is_empty() {
                        probe_path.push(".");
                    }
                }
                Err(_) => return None,
            }
        };
        loop {
            let st = fstat(&fd).ok()?;
            if (st.st_dev, st.st_ino) == (facts.dev, facts.ino) {
                return Some(format!(
                    "cannot copy a directory, {}, into itself, {}",
                    quote(src.display_path()),
                    quote(dst_path)
                ));
            }
            let parent = openat(&fd, "..", OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).ok()?;
            let pst = fstat(&parent).ok()?;
            if (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino) {
                return None;
            }
            fd = parent;
        }
    }

    /// Opens a source directory and creates (or opens) its destination; prints the -v line.
    fn enter_dir(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, nofollow: bool) -> Option<Frame> {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let src_fd = match open_dir(sdir, sname, nofollow) {
            Ok(fd) => fd,
            Err(e) => {
                let msg = format!("cannot access {}: {}", quote(&src_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        match fstat(&src_fd) {
            Ok(st) if (st.st_dev, st.st_ino) == (facts.dev, facts.ino) => {}
            _ => {
                let msg = format!("skipping file {}, as it was replaced while being copied", quote(&src_shown));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        }
        let entries = match read_entries(src_fd.as_fd()) {
            Ok(entries) => entries,
            Err(e) => {
                let msg = format!("cannot access {}: {}", quote(&src_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        if self.cfg.dry_run {
            self.reporter.planned_node("directory", &src_shown, &dst_shown);
        }
        let created = match mkdirat(ddir, dname, Mode::from_raw_mode(0o700)) {
            Ok(()) => true,
            Err(Errno::EXIST) => {
                let keep_link = self.cfg.keep_directory_symlink;
                let flags = if keep_link { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
                match statat(ddir, dname, flags) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => false,
                    _ => {
                        let msg = format!(
                            "cannot overwrite non-directory {} with directory {}",
                            quote(&dst_shown),
                            quote(&src_shown)
                        );
                        self.fail(&src_shown, &dst_shown, &msg);
                        return None;
                    }
                }
            }
            Err(e) => {
                let msg = format!("cannot create directory {}: {}", quote(&dst_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let dst_fd = match open_dir(ddir, dname, !self.cfg.keep_directory_symlink) {
            Ok(fd) => fd,
            Err(e) => {
                let msg = format!("cannot access {}: {}", quote(&dst_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let dst_st = fstat(&dst_fd).ok()?;
        if created {
            self.just_created.insert((dst_st.st_dev, dst_st.st_ino), src_shown.clone());
        }
        if !self.cfg.dry_run {
            self.reporter.node_done("directory", &src_shown, &dst_shown);
        }
        Some(Frame {
            src: Some(Arc::new(src_fd)),
            dst: Some(Arc::new(dst_fd)),
            src_id: (facts.dev, facts.ino),
            dst_id: (dst_st.st_dev, dst_st.st_ino),
            src_shown,
            dst_shown,
            facts: *facts,
            created,
            entries,
        })
    }

    /// A directory's children are done: apply its final mode and times.
    fn leave_dir(&mut self, frame: Frame) {
        let (Some(src), Some(dst)) = (frame.src, frame.dst) else {
            return;
        };
        let new_mode = frame.created.then(|| {
            let inherited_setgid = fstat(&*dst).map(|st| st.st_mode & 0o2000).unwrap_or(0);
            (frame.facts.mode & 0o777 & !self.umask) | inherited_setgid
        });
        self.apply_meta(dst.as_fd(), Some(src.as_fd()), &frame.facts, new_mode, &frame.dst_shown);
    }

    fn apply_meta(
        &mut self,
        dst: BorrowedFd<'_>,
        src: Option<BorrowedFd<'_>>,
        facts: &FileFacts,
        new_mode: Option<u32>,
        shown: &Path,
    ) {
        if self.cfg.dry_run {
            return;
        }
        for problem in meta::apply(dst, src, facts, &self.cfg.copy.preserve, new_mode, shown) {
            if problem.fatal {
                self.reporter.error(&problem.message);
            } else {
                self.reporter.note(&problem.message);
            }
        }
    }

    /// Copies anything that is not a directory to be descended into.
    fn copy_leaf(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, nofollow: bool) {
        match self.cfg.link {
            LinkMode::Hard => return self.make_hard_link(src, facts, dst),
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

    /// What is at the destination name, without following a final symlink.
    fn lstat_dest(dst: &Endpoint) -> Option<rustix::fs::Stat> {
        let (dir, name) = dst.dir_and_name()?;
        statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()
    }

    /// The checks every replacing copy makes: -n/--update, -i, backups and
    /// --remove-destination. Returns false when the destination is to be left alone.
    fn may_replace(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, existing: &rustix::fs::Stat) -> bool {
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
                let dst_m = (existing.st_mtime as i64, existing.st_mtime_nsec as i64);
                if dst_m >= facts.mtime {
                    self.reporter.skipped(&src_shown, &dst_shown);
                    return false;
                }
            }
        }
        if self.cfg.interactive && !self.cfg.dry_run && !self.ask_overwrite(&dst_shown) {
            self.reporter.skipped(&src_shown, &dst_shown);
            return false;
        }
        true
    }

    fn ask_overwrite(&mut self, dst: &Path) -> bool {
        eprint!("{}: overwrite {}? ", self.reporter.program, quote(dst));
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        line.trim_start().starts_with(['y', 'Y'])
    }

    /// Renames an existing destination to its backup name. Returns the backup's name.
    fn backup(&mut self, dst: &Endpoint) -> Result<Option<OsString>, String> {
        let Some(b) = &self.cfg.backup else {
            return Ok(None);
        };
        let (dir, name) = dst.dir_and_name().expect("paths");
        let (dir_fd, base) = split_at_dir(dir, name).map_err(|e| {
            format!("cannot backup {}: {}", quote(dst.display_path()), errno_text_of(e))
        })?;
        backup::make_backup(dir_fd.as_fd(), &base, b.control, &b.suffix).map_err(|e| {
            format!("cannot backup {}: {}", quote(dst.display_path()), errno_text_of(e))
        })
    }

    /// Copies a regular file (or a special file's contents) with the engine.
    fn copy_file(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, nofollow: bool) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let mut src = src.clone();
        if let Some(lst) = Self::lstat_dest(dst) {
            let lid = (lst.st_dev, lst.st_ino);
            if self.created_symlinks.contains(&lid) {
                let msg = format!(
                    "will not copy {} through just-created symlink {}",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            let existing = match dst.dir_and_name().map(|(d, n)| statat(d, n, AtFlags::empty())) {
                Some(Ok(st)) => st,
                _ => lst,
            };
            let id = (existing.st_dev, existing.st_ino);
            let same = id == (facts.dev, facts.ino);
            if !same && self.just_created.contains_key(&id) {
                let msg = format!(
                    "will not overwrite just-created {} with {}",
                    quote(&dst_shown),
                    quote(&src_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if !same && FileType::from_raw_mode(existing.st_mode) != FileType::Directory {
                if !self.may_replace(&src, facts, dst, &existing) {
                    return;
                }
                if self.cfg.preserve_links() && facts.nlink > 1 && self.links.contains_key(&(facts.dev, facts.ino)) {
                    // Handled below by linking; the old file goes away.
                    let _ = self.remove(dst);
                } else if self.cfg.backup.is_some() && !self.cfg.dry_run {
                    if let Err(msg) = self.backup(dst) {
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                } else if self.cfg.remove_destination && !self.cfg.dry_run {
                    if let Err(e) = self.remove(dst) {
                        let msg = format!("cannot remove {}: {}", quote(&dst_shown), errno_text_of(e));
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                }
            } else if same && self.cfg.backup.is_some() && self.cfg.copy.force && facts.kind == FileKind::Regular {
                // `cp --force --backup f f`: back f up, then copy the backup onto f.
                if self.cfg.dry_run {
                    return self.reporter.planned_node("file", &src_shown, &dst_shown);
                }
                match self.backup(dst) {
                    Ok(Some(name)) => {
                        let (dir, n) = dst.dir_and_name().expect("paths");
                        let Ok((dir_fd, _)) = split_at_dir(dir, n) else { return };
                        let parent = probe::parent_dir(&dst_shown).to_path_buf();
                        src = Endpoint::At {
                            dir: Arc::new(dir_fd),
                            name: name.clone(),
                            shown: if parent == Path::new(".") && !dst_shown.starts_with(".") {
                                PathBuf::from(&name)
                            } else {
                                parent.join(&name)
                            },
                        };
                    }
                    Ok(None) => {}
                    Err(msg) => return self.fail(&src_shown, &dst_shown, &msg),
                }
            }
        }
        // Hard links inside the tree (-d, -a, --preserve=links).
        if self.cfg.preserve_links() && facts.nlink > 1 && facts.kind != FileKind::Directory {
            if let Some(first) = self.links.get(&(facts.dev, facts.ino)).cloned() {
                return self.link_to_first(&src_shown, &first, dst);
            }
        }
        let dest = match probe::dest_facts(dst) {
            Ok(d) => d,
            Err(e) => {
                let msg = format!("cannot stat {}: {}", quote(&dst_shown), errno_text_of(e));
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        };
        let target = Target {
            source: src.clone(),
            dest: dst.clone(),
        };
        let mut opts = self.cfg.copy.clone();
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
        if self.cfg.dry_run {
            return self.reporter.planned(&job);
        }
        if self.cfg.attributes_only {
            return self.attributes_only(&job, &facts);
        }
        let started = Instant::now();
        match exec::run_job(self.engine, &job) {
            Ok(outcome) => {
                self.reporter.copied(&job, &outcome, started.elapsed());
                if let Some(st) = Self::lstat_dest(dst) {
                    if !matches!(dest, DestFacts::Existing(_)) {
                        self.just_created.insert((st.st_dev, st.st_ino), src_shown.clone());
                    }
                }
                if self.cfg.preserve_links() && facts.nlink > 1 {
                    self.links.insert((facts.dev, facts.ino), dst_shown);
                }
            }
            Err(e) => self.reporter.failed(&src_shown, &dst_shown, Some(job.strategy), &e.message, e.note.as_deref()),
        }
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let (dir, name) = job.dest.dir_and_name().expect("paths");
        let shown = job.dest.display_path().to_path_buf();
        let fd = match openat(dir, name, OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC, Mode::from_raw_mode(0o600)) {
            Ok(fd) => fd,
            Err(e) => {
                let msg = format!("cannot create regular file {}: {}", quote(&shown), errno_text_of(e));
                return self.fail(job.source.display_path(), &shown, &msg);
            }
        };
        let new_mode = (!job.dest_exists).then_some(job.create_mode);
        self.apply_meta(fd.as_fd(), None, facts, new_mode, &shown);
        self.reporter.node_done("file", job.source.display_path(), &shown);
    }

    fn remove(&self, dst: &Endpoint) -> Result<(), Errno> {
        let (dir, name) = dst.dir_and_name().expect("paths");
        unlinkat(dir, name, AtFlags::empty())
    }

    /// Links `dst` to the first copy of a hard-linked source.
    fn link_to_first(&mut self, src_shown: &Path, first: &Path, dst: &Endpoint) {
        let dst_shown = dst.display_path().to_path_buf();
        if self.cfg.dry_run {
            return self.reporter.planned_node("hardlink", src_shown, &dst_shown);
        }
        let (dir, name) = dst.dir_and_name().expect("paths");
        if let Err(e) = linkat(CWD, first, dir, name, AtFlags::empty()) {
            let msg = format!(
                "cannot create hard link {} to {}: {}",
                quote(&dst_shown),
                quote(first),
                errno_text_of(e)
            );
            return self.fail(src_shown, &dst_shown, &msg);
        }
        self.reporter.node_done("hardlink", src_shown, &dst_shown);
    }

    /// Recreates a symbolic link (not followed).
    fn copy_symlink(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let target = match readlinkat(sdir, sname, Vec::new()) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("cannot read symbolic link {}: {}", quote(&src_shown), errno_text_of(e));
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        };
        if let Some(existing) = Self::lstat_dest(dst) {
            if (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino) {
                let msg = format!("{} and {} are the same file", quote(&src_shown), quote(&dst_shown));
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if FileType::from_raw_mode(existing.st_mode) == FileType::Directory {
                let msg = format!(
                    "cannot overwrite directory {} with non-directory {}",
                    quote(&dst_shown),
                    quote(&src_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if !self.may_replace(src, facts, dst, &existing) {
                return;
            }
            if self.cfg.dry_run {
                return self.reporter.planned_node("symlink", &src_shown, &dst_shown);
            }
            let removed = if self.cfg.backup.is_some() {
                self.backup(dst).map(|_| ())
            } else {
                self.remove(dst).map_err(|e| format!("cannot remove {}: {}", quote(&dst_shown), errno_text_of(e)))
            };
            if let Err(msg) = removed {
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        } else if self.cfg.dry_run {
            return self.reporter.planned_node("symlink", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        if let Err(e) = symlinkat(OsStr::from_bytes(target.as_bytes()), ddir, dname) {
            let msg = format!("cannot create symbolic link {}: {}", quote(&dst_shown), errno_text_of(e));
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        if let Ok(st) = statat(ddir, dname, AtFlags::SYMLINK_NOFOLLOW) {
            self.created_symlinks.insert((st.st_dev, st.st_ino));
        }
        for problem in meta::apply_symlink(ddir, dname, facts, &self.cfg.copy.preserve, &dst_shown) {
            if problem.fatal {
                self.reporter.error(&problem.message);
            } else {
                self.reporter.note(&problem.message);
            }
        }
        self.reporter.node_done("symlink", &src_shown, &dst_shown);
    }

    /// Recreates a FIFO, socket or device node (`-r` without `--copy-contents`).
    fn make_special(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        if let Some(existing) = Self::lstat_dest(dst) {
            if !self.may_replace(src, facts, dst, &existing) {
                return;
            }
            if !self.cfg.dry_run {
                let _ = self.remove(dst);
            }
        }
        if self.cfg.dry_run {
            return self.reporter.planned_node("special", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let ftype = FileType::from_raw_mode(facts.mode);
        if let Err(e) = mknodat(ddir, dname, ftype, Mode::from_raw_mode(0o600), facts.rdev) {
            let what = if facts.kind == FileKind::Fifo { "fifo" } else { "special file" };
            let msg = format!("cannot create {what} {}: {}", quote(&dst_shown), errno_text_of(e));
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        let mode = if self.cfg.copy.preserve.attrs.mode {
            facts.mode & 0o7777
        } else {
            facts.mode & 0o777 & !self.umask
        };
        for problem in meta::apply_symlink(ddir, dname, facts, &self.cfg.copy.preserve, &dst_shown) {
            self.reporter.note(&problem.message);
        }
        if let Err(e) = rustix::fs::chmodat(ddir, dname, Mode::from_raw_mode(mode), AtFlags::empty()) {
            let msg = format!("preserving permissions for {}: {}", quote(&dst_shown), errno_text_of(e));
            self.reporter.error(&msg);
        }
        self.reporter.node_done("special", &src_shown, &dst_shown);
    }

    /// `-l`: a hard link instead of a copy.
    fn make_hard_link(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        if facts.kind == FileKind::Directory {
            return self.copy_tree(src, facts, dst, true);
        }
        if let Some(existing) = Self::lstat_dest(dst) {
            if (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino) {
                return self.reporter.node_done("hardlink", &src_shown, &dst_shown);
            }
            if !self.may_replace(src, facts, dst, &existing) {
                return;
            }
            if self.cfg.backup.is_some() {
                if let Err(msg) = self.backup(dst) {
                    return self.fail(&src_shown, &dst_shown, &msg);
                }
            } else if self.cfg.copy.force || self.cfg.remove_destination {
                let _ = self.remove(dst);
            }
        }
        if self.cfg.dry_run {
            return self.reporter.planned_node("hardlink", &src_shown, &dst_shown);
        }
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let flags = if self.cfg.deref == Deref::Always { AtFlags::SYMLINK_FOLLOW } else { AtFlags::empty() };
        if let Err(e) = linkat(sdir, sname, ddir, dname, flags) {
            let msg = format!(
                "cannot create hard link {} to {}: {}",
                quote(&dst_shown),
                quote(&src_shown),
                errno_text_of(e)
            );
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        self.reporter.node_done("hardlink", &src_shown, &dst_shown);
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
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        }
        if let Some(existing) = Self::lstat_dest(dst) {
            let facts = probe::facts_from_stat(&existing, 0);
            if !self.may_replace(src, &facts, dst, &existing) {
                return;
            }
            if self.cfg.backup.is_some() {
                if let Err(msg) = self.backup(dst) {
                    return self.fail(&src_shown, &dst_shown, &msg);
                }
            } else if self.cfg.copy.force || self.cfg.remove_destination {
                let _ = self.remove(dst);
            }
        }
        if self.cfg.dry_run {
            return self.reporter.planned_node("symlink", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        if let Err(e) = symlinkat(src_shown.as_os_str(), ddir, dname) {
            let msg = format!("cannot create symbolic link {} to {}: {}", quote(&dst_shown), quote(&src_shown), errno_text_of(e));
            return self.fail(&src_shown, &dst_shown, &msg);
        }
        self.reporter.node_done("symlink", &src_shown, &dst_shown);
    }
}

impl Config {
    /// Whether hard links between copied files are kept as hard links.
    pub fn preserve_links(&self) -> bool {
        self.copy.preserve.attrs.links
    }
}

/// Opens a directory for walking (`O_NOFOLLOW` unless it is to be followed).
fn open_dir(dir: impl AsFd, name: impl rustix::path::Arg, nofollow: bool) -> Result<OwnedFd, Errno> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    openat(dir, name, flags, Mode::empty())
}

/// Reads a directory's names, sorted by inode number as GNU cp does (fast on most filesystems).
fn read_entries(dir: BorrowedFd<'_>) -> Result<Vec<OsString>, Errno> {
    let mut entries = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        entries.push((entry.ino(), OsStr::from_bytes(name).to_owned()));
    }
    // Popped from the end: reverse inode order here gives ascending order there.
    entries.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(entries.into_iter().map(|(_, n)| n).collect())
}

/// After finishing `child`, makes sure `parent` has open fds again (reopened via "..").
fn reopen_parent(parent: &mut Frame, child: &Frame) -> Result<(), String> {
    if parent.src.is_some() && parent.dst.is_some() {
        return Ok(());
    }
    let reopen = |child_fd: &Option<Arc<OwnedFd>>, want: (u64, u64), shown: &Path| {
        let fd = child_fd
            .as_ref()
            .ok_or_else(|| format!("cannot reopen {}", quote(shown)))?;
        let parent = openat(&**fd, "..", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| format!("cannot reopen {}: {}", quote(shown), errno_text_of(e)))?;
        match fstat(&parent) {
            Ok(st) if (st.st_dev, st.st_ino) == want => Ok(Arc::new(parent)),
            _ => Err(format!("directory {} was moved while being copied", quote(shown))),
        }
    };
    parent.src = Some(reopen(&child.src, parent.src_id, &parent.src_shown)?);
    parent.dst = Some(reopen(&child.dst, parent.dst_id, &parent.dst_shown)?);
    Ok(())
}

/// Splits (dir, path) into an open directory fd and the last name, for renames and backups.
fn split_at_dir(dir: BorrowedFd<'_>, path: &Path) -> Result<(OwnedFd, OsString), Errno> {
    let parent = probe::parent_dir(path);
    let name = plan::base_name(path).to_owned();
    let fd = openat(dir, parent, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
    Ok((fd, name))
}

fn strip_slashes(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let mut end = bytes.len();
    while end > 1 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    PathBuf::from(OsStr::from_bytes(&bytes[..end]))
}

fn fs_magic_of(path: &Path) -> u64 {
    rustix::fs::statfs(path).map(|s| s.f_type as u64).unwrap_or(0)
}
