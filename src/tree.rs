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
    fstat, linkat, mkdirat, mknodat, openat, readlinkat, statat, symlinkat, unlinkat, AtFlags, Dir,
    FileType, Mode, OFlags, CWD,
};
use rustix::io::Errno;

use crate::backup;
use crate::cli::UpdateWhen;
use crate::exec::{self, probe, Engine};
use crate::facts::{DestFacts, FileFacts, FileKind, FsKind};
use crate::meta;
use crate::options::{Config, Deref, LinkMode};
use crate::plan::{self, Endpoint, Planned, RangeArgs, Target};
use crate::pool::{self, Pool};
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
    /// (dev, ino, base name, parent directory's (dev, ino)): GNU's `seen_file` identity.
    operands: HashSet<OperandKey>,
    /// Worker threads for `-j N` (N > 1); `None` runs jobs inline.
    pool: Option<Pool>,
    /// Destinations of jobs still running.
    in_flight: HashSet<PathBuf>,
    /// Directories whose final mode and times wait for their files' jobs.
    pending_dirs: HashMap<u64, PendingDir>,
    /// The directory the walk is in (its frame's token).
    current_dir: Option<u64>,
    next_token: u64,
    /// A `--batch` line's own byte range.
    range_override: Option<RangeArgs>,
    /// An interrupted job was reported (the others are not).
    interrupt_reported: bool,
    /// The directory the walk is copying entries of, if any.
    walk_dir: Option<WalkDir>,
    /// Record every file created, for "will not overwrite just-created" checks of later
    /// operands (off when there is only one operand).
    pub track_created: bool,
}

/// A directory whose children may still be copying.
struct PendingDir {
    frame: Option<Frame>,
    outstanding: usize,
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
    /// Identifies the directory for jobs that finish later (`-j`).
    token: u64,
    /// The filesystems of the source and destination directories.
    src_fs: FsKind,
    dst_fs: FsKind,
}

/// What the walk knows about the directory whose entries it is copying: saves a stat and a
/// statfs per file.
#[derive(Copy, Clone, Debug)]
struct WalkDir {
    /// This run created the destination directory: every entry's destination is missing.
    fresh: bool,
    src_dev: u64,
    src_fs: FsKind,
    dst_dev: u64,
    dst_fs: FsKind,
}

impl<'a, 'p> Copier<'a, 'p> {
    pub fn new(
        cfg: &'a Config,
        engine: &'a Engine<'p>,
        reporter: &'a mut Reporter,
        umask: u32,
        pool: Option<Pool>,
    ) -> Self {
        Copier {
            cfg,
            engine,
            reporter,
            umask,
            just_created: HashMap::new(),
            created_symlinks: HashSet::new(),
            links: HashMap::new(),
            operands: HashSet::new(),
            pool,
            in_flight: HashSet::new(),
            pending_dirs: HashMap::new(),
            current_dir: None,
            next_token: 0,
            range_override: None,
            interrupt_reported: false,
            walk_dir: None,
            track_created: true,
        }
    }

    /// The reporter, for messages about the job list itself.
    pub fn reporter(&mut self) -> &mut Reporter {
        self.reporter
    }

    /// Whether --offset-in/--offset-out/--len were given on the command line.
    pub fn has_command_line_range(&self) -> bool {
        self.cfg.copy.range.is_some()
    }

    /// Sets the byte range for the next operands (a `--batch` line's own range).
    pub fn set_range(&mut self, range: Option<RangeArgs>) {
        self.range_override = range;
    }

    /// Waits for every running job and applies the directories' final metadata.
    pub fn finish(&mut self) {
        self.drain(true);
        if let Some(pool) = &mut self.pool {
            pool.close();
        }
        let mut rest: Vec<_> = self
            .pending_dirs
            .drain()
            .filter_map(|(_, p)| p.frame)
            .collect();
        // Deepest first, so parents' times are set after their children's.
        rest.sort_by_key(|f| std::cmp::Reverse(f.token));
        for frame in rest {
            self.leave_dir(frame);
        }
    }

    /// Handles finished jobs: all of them and waiting when `block`, else those ready now.
    fn drain(&mut self, block: bool) {
        while let Some(done) = self.pool.as_mut().and_then(|p| p.next_done(block)) {
            self.complete(done);
        }
    }

    /// Waits until no running job writes `dest`.
    fn wait_for(&mut self, dest: &Path) {
        while self.in_flight.contains(dest) {
            match self.pool.as_mut().and_then(|p| p.next_done(true)) {
                Some(done) => self.complete(done),
                None => break,
            }
        }
    }

    /// Runs a job now, or queues it on the pool.
    fn dispatch(&mut self, job: plan::Job, context: pool::Context) {
        self.reporter.starting(&job);
        if let Some(p) = &self.reporter.progress {
            let bytes = job.range.map_or(job.len, |r| r.len).unwrap_or(0);
            p.add_total(bytes, 1);
        }
        if let Some(token) = context.dir_token {
            if let Some(p) = self.pending_dirs.get_mut(&token) {
                p.outstanding += 1;
            }
        }
        if self.pool.is_none() {
            let started = Instant::now();
            let result = exec::run_job(self.engine, &job);
            let elapsed = started.elapsed();
            return self.complete(pool::Done {
                job,
                context,
                result,
                elapsed,
            });
        };
        self.in_flight.insert(job.dest.display_path().to_path_buf());
        let mut work = (job, context);
        loop {
            let pool = self.pool.as_mut().expect("a pool");
            match pool.try_submit(work) {
                Ok(()) => break,
                Err(back) => {
                    work = *back;
                    if let Some(done) = pool.next_done(true) {
                        self.complete(done);
                    }
                }
            }
        }
        self.drain(false);
    }

    /// Reports a finished job and updates what the run has created.
    fn complete(&mut self, done: pool::Done) {
        let pool::Done {
            job,
            context,
            result,
            elapsed,
        } = done;
        let dst_shown = job.dest.display_path().to_path_buf();
        self.in_flight.remove(&dst_shown);
        match result {
            Ok(outcome) => {
                self.reporter.copied(&job, &outcome, elapsed);
                if context.creates {
                    if let Some(st) = Self::lstat_dest(&job.dest) {
                        self.just_created.insert(
                            (st.st_dev, st.st_ino),
                            job.source.display_path().to_path_buf(),
                        );
                    }
                }
            }
            Err(e) if e.interrupted && self.interrupt_reported => {}
            Err(e) => {
                self.interrupt_reported |= e.interrupted;
                if let Some(key) = context.link_key {
                    self.links.remove(&key);
                }
                self.reporter.failed(
                    job.source.display_path(),
                    &dst_shown,
                    Some(job.strategy),
                    &e.message,
                    e.note.as_deref(),
                );
            }
        }
        if let Some(token) = context.dir_token {
            let ready = match self.pending_dirs.get_mut(&token) {
                Some(p) => {
                    p.outstanding -= 1;
                    p.outstanding == 0 && p.frame.is_some()
                }
                None => false,
            };
            if ready {
                if let Some(frame) = self.pending_dirs.remove(&token).and_then(|p| p.frame) {
                    self.leave_dir(frame);
                }
            }
        }
    }

    /// A directory's walk is over: finish it now, or when its last job completes.
    fn close_dir(&mut self, frame: Frame) {
        match self.pending_dirs.get_mut(&frame.token) {
            Some(p) if p.outstanding > 0 => p.frame = Some(frame),
            _ => {
                self.pending_dirs.remove(&frame.token);
                self.leave_dir(frame);
            }
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
        // GNU cp strips only the operands it copies into a directory.
        let src_path = if self.cfg.strip_trailing_slashes && into_directory {
            strip_slashes(&src_path)
        } else {
            src_path
        };
        let follow = matches!(self.cfg.deref, Deref::Always | Deref::CommandLine);
        let flags = if follow {
            AtFlags::empty()
        } else {
            AtFlags::SYMLINK_NOFOLLOW
        };
        let facts = match statat(CWD, &src_path, flags) {
            Ok(st) => probe::facts_from_stat(&st, fs_magic_of(&src_path)),
            Err(e) => {
                let msg = format!("cannot stat {}: {}", quote(&src_path), errno_text_of(e));
                return self.fail(&src_path, &dst_path, &msg);
            }
        };
        if into_directory
            && self.cfg.backup.is_none()
            && !self.operands.insert(operand_key(&src_path, &facts))
        {
            let what = if facts.kind == FileKind::Directory {
                "directory"
            } else {
                "file"
            };
            self.reporter.note(&format!(
                "warning: source {what} {} specified more than once",
                quote(&src_path)
            ));
            return;
        }
        let mut made_parents = Vec::new();
        if self.cfg.parents {
            match self.make_parents(&src_path, &dst_path) {
                Ok(made) => made_parents = made,
                Err(msg) => return self.fail(&src_path, &dst_path, &msg),
            }
        }
        self.copy_operand_node(&src_path, &dst_path, &facts, follow);
        // Creating the operand changed its new parents' times: apply their attributes again,
        // deepest first, once its jobs are done (GNU's re_protect).
        if !made_parents.is_empty() {
            self.drain(true);
            for (dir, facts, new_mode) in made_parents.iter().rev() {
                if let Ok(fd) = open_dir(CWD, dir, true) {
                    self.apply_meta(fd.as_fd(), None, facts, *new_mode, dir);
                }
            }
        }
    }

    fn copy_operand_node(
        &mut self,
        src_path: &Path,
        dst_path: &Path,
        facts: &FileFacts,
        follow: bool,
    ) {
        let facts = *facts;
        let src = Endpoint::Path(src_path.to_path_buf());
        let dst = Endpoint::Path(dst_path.to_path_buf());
        // With -s, directories are still walked (-rs makes links to the files), as GNU cp does.
        if facts.kind == FileKind::Directory {
            if !self.cfg.recursive {
                let msg = format!("-r not specified; omitting directory {}", quote(src_path));
                return self.fail(src_path, dst_path, &msg);
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
            let msg = format!(
                "cannot copy directory {} to standard output",
                quote(&src_name)
            );
            return self.fail(&src_name, &dst_name, &msg);
        }
        self.copy_file(&target.source, &source, &target.dest, false);
    }

    /// Creates the missing directories of `--parents` (`dir/a/b` for source `a/b/f`).
    fn make_parents(
        &mut self,
        src: &Path,
        dst: &Path,
    ) -> Result<Vec<(PathBuf, FileFacts, Option<u32>)>, String> {
        let mut made = Vec::new();
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
                    let st = statat(CWD, &src_dir, AtFlags::empty()).map_err(|e| {
                        format!("cannot stat {}: {}", quote(&src_dir), errno_text_of(e))
                    })?;
                    let facts = probe::facts_from_stat(&st, 0);
                    let fd = open_dir(CWD, &dst_dir, false).map_err(|e| {
                        format!("cannot access {}: {}", quote(&dst_dir), errno_text_of(e))
                    })?;
                    let new_mode = Some(facts.mode & 0o7777 & !self.umask);
                    self.apply_meta(fd.as_fd(), None, &facts, new_mode, &dst_dir);
                    made.push((dst_dir.clone(), facts, new_mode));
                    if self.cfg.verbose {
                        // GNU prints these names with quotef: quoted only when needed.
                        let line = format!(
                            "{} -> {}",
                            quote_if_needed(&src_dir),
                            quote_if_needed(&dst_dir)
                        );
                        if self.cfg.json {
                            self.reporter.verbose_line(&src_dir, &dst_dir);
                        } else {
                            use std::io::Write as _;
                            let _ = writeln!(std::io::stdout().lock(), "{line}");
                        }
                    }
                }
                Err(Errno::EXIST) => {}
                Err(e) => {
                    return Err(format!(
                        "cannot make directory {}: {}",
                        quote(&dst_dir),
                        errno_text_of(e)
                    ))
                }
            }
        }
        Ok(made)
    }

    /// Copies a directory and everything below it.
    fn copy_tree(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, nofollow: bool) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        // An existing destination that is the source itself (`cp -r d .`): GNU's same-file rule.
        if let Some((ddir, dname)) = dst.dir_and_name() {
            if let Ok(st) = statat(ddir, dname, AtFlags::empty()) {
                if (st.st_dev, st.st_ino) == (facts.dev, facts.ino) {
                    if self.cfg.update == UpdateWhen::None {
                        return;
                    }
                    let msg = format!(
                        "{} and {} are the same file",
                        quote(&src_shown),
                        quote(&dst_shown)
                    );
                    return self.fail(&src_shown, &dst_shown, &msg);
                }
            }
        }
        let Some(root) = self.enter_dir(src, facts, dst, nofollow) else {
            return;
        };
        let root_dev = facts.dev;
        let mut stack = vec![root];
        while let Some(top) = stack.last_mut() {
            if crate::signals::pending().is_some() {
                top.entries.clear();
            }
            let Some(name) = top.entries.pop() else {
                let frame = stack.pop().expect("non-empty stack");
                if let Some(parent) = stack.last_mut() {
                    if let Err(msg) = reopen_parent(parent, &frame) {
                        let (s, d) = (frame.src_shown.clone(), frame.dst_shown.clone());
                        self.fail(&s, &d, &msg);
                        return;
                    }
                }
                self.close_dir(frame);
                continue;
            };
            self.current_dir = Some(top.token);
            let walk_dir = WalkDir {
                fresh: top.created,
                src_dev: top.facts.dev,
                src_fs: top.src_fs,
                dst_dev: top.dst_id.0,
                dst_fs: top.dst_fs,
            };
            self.walk_dir = Some(walk_dir);
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
            let flags = if follow {
                AtFlags::empty()
            } else {
                AtFlags::SYMLINK_NOFOLLOW
            };
            let facts = match statat(&*src_dir, &name, flags) {
                Ok(st) => {
                    let mut facts = probe::facts_from_stat(&st, 0);
                    if facts.dev == walk_dir.src_dev {
                        facts.fs = walk_dir.src_fs;
                    }
                    facts
                }
                Err(e) => {
                    let shown = child_src.display_path().to_path_buf();
                    let msg = format!("cannot stat {}: {}", quote(&shown), errno_text_of(e));
                    self.fail(&shown, child_dst.display_path(), &msg);
                    continue;
                }
            };
            let earlier = (facts.kind == FileKind::Directory)
                .then(|| self.just_created.get(&(facts.dev, facts.ino)).cloned())
                .flatten();
            if let Some(earlier) = earlier
                .clone()
                .filter(|e| !same_name(child_src.display_path(), e))
            {
                // GNU cp: the directory was reached by another name than the one it was created as.
                let msg = format!(
                    "will not create hard link {} to directory {}",
                    quote(child_dst.display_path()),
                    quote(&earlier)
                );
                self.fail(child_src.display_path(), child_dst.display_path(), &msg);
                continue;
            }
            if earlier.is_some() {
                // A directory this run created is being copied: the destination is inside the
                // source. As GNU cp, report it with the operands' names and stop this operand
                // (what was copied so far stays).
                let msg = format!(
                    "cannot copy a directory, {}, into itself, {}",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                self.fail(&src_shown, &dst_shown, &msg);
                while let Some(frame) = stack.pop() {
                    self.close_dir(frame);
                }
                break;
            }
            if facts.kind == FileKind::Directory {
                if self.cfg.one_file_system && facts.dev != root_dev {
                    // cp -x: the mount point is created, its contents are not copied.
                    if let Some(mut frame) = self.enter_dir(&child_src, &facts, &child_dst, !follow)
                    {
                        frame.entries.clear();
                        self.close_dir(frame);
                    }
                    continue;
                }
                self.walk_dir = None;
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
        self.current_dir = None;
        self.walk_dir = None;
    }

    /// Opens a source directory and creates (or opens) its destination; prints the -v line.
    fn enter_dir(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) -> Option<Frame> {
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
                let msg = format!(
                    "skipping file {}, as it was replaced while being copied",
                    quote(&src_shown)
                );
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        if self.cfg.dry_run {
            self.reporter
                .planned_node("directory", &src_shown, &dst_shown);
        }
        let created = match mkdirat(ddir, dname, Mode::from_raw_mode(0o700)) {
            Ok(()) => true,
            Err(Errno::EXIST) => {
                let keep_link = self.cfg.keep_directory_symlink;
                let flags = if keep_link {
                    AtFlags::empty()
                } else {
                    AtFlags::SYMLINK_NOFOLLOW
                };
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
                let msg = format!(
                    "cannot create directory {}: {}",
                    quote(&dst_shown),
                    errno_text_of(e)
                );
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
        // Read after the destination exists, as GNU cp does: a destination inside the source
        // then shows up in the walk and is reported as a copy into itself.
        let entries = match read_entries(src_fd.as_fd()) {
            Ok(entries) => entries,
            Err(e) => {
                let msg = format!("cannot access {}: {}", quote(&src_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let dst_st = fstat(&dst_fd).ok()?;
        let token = self.next_token;
        self.next_token += 1;
        self.pending_dirs.insert(
            token,
            PendingDir {
                frame: None,
                outstanding: 0,
            },
        );
        if created {
            // For directories, the destination's name (GNU's remember_copied).
            self.just_created
                .insert((dst_st.st_dev, dst_st.st_ino), dst_shown.clone());
        }
        // GNU cp -v names a directory only when it creates it.
        if !self.cfg.dry_run && (created || self.cfg.json) {
            self.reporter.node_done("directory", &src_shown, &dst_shown);
        }
        let src_fd_fs = rustix::fs::fstatfs(&src_fd).map(|f| f.f_type as u64);
        let dst_fd_fs = rustix::fs::fstatfs(&dst_fd).map(|f| f.f_type as u64);
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
            token,
            src_fs: fs_kind_of(src_fd_fs),
            dst_fs: fs_kind_of(dst_fd_fs),
        })
    }

    /// A directory's children are done: apply its final mode and times.
    fn leave_dir(&mut self, frame: Frame) {
        let (Some(src), Some(dst)) = (frame.src, frame.dst) else {
            return;
        };
        let new_mode = frame.created.then(|| {
            let inherited_setgid = fstat(&*dst).map(|st| st.st_mode & 0o2000).unwrap_or(0);
            // As GNU cp: the sticky bit is kept; `--no-preserve=mode` starts from 0777.
            let bits = if self.cfg.no_preserve_mode {
                0o777
            } else {
                frame.facts.mode & 0o777
            };
            ((bits | (frame.facts.mode & 0o1000)) & !self.umask) | inherited_setgid
        });
        self.apply_meta(
            dst.as_fd(),
            Some(src.as_fd()),
            &frame.facts,
            new_mode,
            &frame.dst_shown,
        );
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
    fn may_replace(
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
        }
        if self.cfg.interactive && !self.cfg.dry_run && !self.ask_overwrite(&dst_shown) {
            self.reporter.skipped(&src_shown, &dst_shown);
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
            format!(
                "cannot backup {}: {}",
                quote(dst.display_path()),
                errno_text_of(e)
            )
        })?;
        backup::make_backup(dir_fd.as_fd(), &base, b.control, &b.suffix).map_err(|e| {
            format!(
                "cannot backup {}: {}",
                quote(dst.display_path()),
                errno_text_of(e)
            )
        })
    }

    /// Copies a regular file (or a special file's contents) with the engine.
    fn copy_file(&mut self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint, nofollow: bool) {
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
        let remember = self.cfg.preserve_links()
            && facts.kind != FileKind::Directory
            && (facts.nlink > 1
                || self.cfg.deref == Deref::Always
                || (self.cfg.deref == Deref::CommandLine && matches!(src, Endpoint::Path(_))));
        // In a directory this run created, nothing is there yet: no need to look.
        let fresh = self.walk_dir.filter(|w| w.fresh);
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
            if !backups && self.created_symlinks.contains(&lid) {
                let msg = format!(
                    "will not copy {} through just-created symlink {}",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            let existing = match dst
                .dir_and_name()
                .map(|(d, n)| statat(d, n, AtFlags::empty()))
            {
                Some(Ok(st)) => st,
                _ => lst,
            };
            let id = (existing.st_dev, existing.st_ino);
            let same = id == (facts.dev, facts.ino);
            let broken = FileType::from_raw_mode(existing.st_mode) == FileType::Symlink;
            let looping = broken
                && dst.dir_and_name().is_some_and(|(d, n)| {
                    matches!(statat(d, n, AtFlags::empty()), Err(Errno::LOOP))
                });
            if looping && self.cfg.copy.force && !self.cfg.dry_run {
                // cp -f replaces a symlink loop.
                let _ = self.remove(dst);
            } else if looping {
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
            if !same && !backups && self.just_created.contains_key(&id) {
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
                if remember && self.links.contains_key(&(facts.dev, facts.ino)) {
                    // Handled below by linking; the old file goes away.
                    let _ = self.remove(dst);
                } else if self.cfg.backup.is_some() && !self.cfg.dry_run {
                    if let Err(msg) = self.backup(dst) {
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                } else if self.cfg.remove_destination && !self.cfg.dry_run {
                    if let Err(e) = self.remove(dst) {
                        let msg =
                            format!("cannot remove {}: {}", quote(&dst_shown), errno_text_of(e));
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
                }
            } else if same
                && self.cfg.backup.is_some()
                && self.cfg.copy.force
                && facts.kind == FileKind::Regular
            {
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
                        let backup_dst = Endpoint::At {
                            dir: Arc::new(dir_fd),
                            name: name.clone(),
                            shown: if parent == Path::new(".") && !dst_shown.starts_with(".") {
                                PathBuf::from(&name)
                            } else {
                                parent.join(&name)
                            },
                        };
                        return self.copy_file(&src, facts, &backup_dst, nofollow);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let msg =
                            format!("cannot backup {}: {}", quote(&dst_shown), errno_text_of(e));
                        return self.fail(&src_shown, &dst_shown, &msg);
                    }
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
                self.wait_for(&first);
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
        let target = Target {
            source: src.clone(),
            dest: dst.clone(),
        };
        let mut opts = self.cfg.copy.clone();
        if self.range_override.is_some() {
            opts.range = self.range_override.clone();
        }
        opts.force = opts.force || self.cfg.remove_destination;
        let mut facts = *facts;
        if facts.fs == crate::facts::FsKind::Other(0) {
            if let Ok(f) = probe::source_facts(&src) {
                facts.fs = f.fs;
            }
        }
        let mut job = match plan::plan_job(&opts, &target, &facts, &dest, self.umask) {
            Ok(Planned::Copy(job)) => *job,
            Ok(Planned::SkipExisting) => return self.reporter.skipped(&src_shown, &dst_shown),
            Err(e) => return self.fail(&src_shown, &dst_shown, &e.to_string()),
        };
        job.nofollow = nofollow;
        if self.cfg.no_preserve_mode {
            job.create_mode = 0o666 & !self.umask;
        }
        if self.cfg.dry_run {
            return self.reporter.planned(&job);
        }
        if self.cfg.attributes_only {
            if remember {
                self.links.insert((facts.dev, facts.ino), dst_shown.clone());
            }
            return self.attributes_only(&job, &facts);
        }
        let link_key = remember.then_some((facts.dev, facts.ino));
        if let Some(key) = link_key {
            self.links.insert(key, dst_shown.clone());
        }
        let context = pool::Context {
            dir_token: self.current_dir,
            link_key,
            creates: self.track_created && !matches!(dest, DestFacts::Existing(_)),
        };
        self.dispatch(job, context);
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let (dir, name) = job.dest.dir_and_name().expect("paths");
        let shown = job.dest.display_path().to_path_buf();
        let fd = match openat(
            dir,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
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

    fn remove(&self, dst: &Endpoint) -> Result<(), Errno> {
        let (dir, name) = dst.dir_and_name().expect("paths");
        unlinkat(dir, name, AtFlags::empty())
    }

    /// Links `dst` to the first copy of a hard-linked source.
    fn link_to_first(&mut self, src_shown: &Path, first: &Path, dst: &Endpoint) {
        let dst_shown = dst.display_path().to_path_buf();
        if self.cfg.dry_run {
            return self
                .reporter
                .planned_node("hardlink", src_shown, &dst_shown);
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
                let msg = format!(
                    "cannot read symbolic link {}: {}",
                    quote(&src_shown),
                    errno_text_of(e)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        };
        if let Some(existing) = Self::lstat_dest(dst) {
            if (existing.st_dev, existing.st_ino) == (facts.dev, facts.ino) {
                let msg = format!(
                    "{} and {} are the same file",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            if FileType::from_raw_mode(existing.st_mode) == FileType::Directory {
                let msg = format!(
                    "cannot overwrite directory {} with non-directory",
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
            // GNU's same_file_ok under -P: a symlink to the destination file is "the same
            // file" (copying it would replace the file it points to with a link to itself).
            if FileType::from_raw_mode(existing.st_mode) != FileType::Symlink {
                let (sdir, sname) = src.dir_and_name().expect("paths");
                if statat(sdir, sname, AtFlags::empty())
                    .is_ok_and(|st| (st.st_dev, st.st_ino) == (existing.st_dev, existing.st_ino))
                {
                    let msg = format!(
                        "{} and {} are the same file",
                        quote(&src_shown),
                        quote(&dst_shown)
                    );
                    return self.fail(&src_shown, &dst_shown, &msg);
                }
            }
            if !self.may_replace(src, facts, dst, &existing) {
                return;
            }
            if self.cfg.dry_run {
                return self
                    .reporter
                    .planned_node("symlink", &src_shown, &dst_shown);
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
        if let Ok(st) = statat(ddir, dname, AtFlags::SYMLINK_NOFOLLOW) {
            self.created_symlinks.insert((st.st_dev, st.st_ino));
        }
        for problem in meta::apply_symlink(ddir, dname, facts, &self.cfg.copy.preserve, &dst_shown)
        {
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
            return self
                .reporter
                .planned_node("special", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let ftype = FileType::from_raw_mode(facts.mode);
        if let Err(e) = mknodat(ddir, dname, ftype, Mode::from_raw_mode(0o600), facts.rdev) {
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
        let mode = if self.cfg.copy.preserve.attrs.mode {
            facts.mode & 0o7777
        } else {
            let bits = if self.cfg.no_preserve_mode {
                0o666
            } else {
                facts.mode & 0o777
            };
            bits & !self.umask
        };
        for problem in meta::apply_symlink(ddir, dname, facts, &self.cfg.copy.preserve, &dst_shown)
        {
            self.reporter.note(&problem.message);
        }
        if let Err(e) =
            rustix::fs::chmodat(ddir, dname, Mode::from_raw_mode(mode), AtFlags::empty())
        {
            let msg = format!(
                "preserving permissions for {}: {}",
                quote(&dst_shown),
                errno_text_of(e)
            );
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
            return self
                .reporter
                .planned_node("hardlink", &src_shown, &dst_shown);
        }
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        let flags = if self.cfg.deref == Deref::Always {
            AtFlags::SYMLINK_FOLLOW
        } else {
            AtFlags::empty()
        };
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
                    quote_if_needed(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
        }
        if let Some(existing) = Self::lstat_dest(dst) {
            let facts = probe::facts_from_stat(&existing, 0);
            let (sdir, sname) = src.dir_and_name().expect("paths");
            if statat(sdir, sname, AtFlags::empty())
                .is_ok_and(|st| (st.st_dev, st.st_ino) == (existing.st_dev, existing.st_ino))
            {
                let msg = format!(
                    "{} and {} are the same file",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                return self.fail(&src_shown, &dst_shown, &msg);
            }
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
            return self
                .reporter
                .planned_node("symlink", &src_shown, &dst_shown);
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        if let Err(e) = symlinkat(src_shown.as_os_str(), ddir, dname) {
            let msg = format!(
                "cannot create symbolic link {} to {}: {}",
                quote(&dst_shown),
                quote(&src_shown),
                errno_text_of(e)
            );
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
fn open_dir(
    dir: impl AsFd,
    name: impl rustix::path::Arg,
    nofollow: bool,
) -> Result<OwnedFd, Errno> {
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
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
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
        let parent = openat(
            &**fd,
            "..",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("cannot reopen {}: {}", quote(shown), errno_text_of(e)))?;
        match fstat(&parent) {
            Ok(st) if (st.st_dev, st.st_ino) == want => Ok(Arc::new(parent)),
            _ => Err(format!(
                "directory {} was moved while being copied",
                quote(shown)
            )),
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
    // Not O_PATH: numbered backups read the directory.
    let fd = openat(
        dir,
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok((fd, name))
}

/// (dev, ino, base name, parent directory's (dev, ino)).
type OperandKey = (u64, u64, Vec<u8>, (u64, u64));

/// A command-line source's identity for "specified more than once": the file and the name it
/// was given by (GNU's `same_name`: the same base name in the same directory).
fn operand_key(path: &Path, facts: &FileFacts) -> OperandKey {
    let base = plan::base_name(path).as_bytes().to_vec();
    let parent = statat(
        CWD,
        probe::parent_dir(&strip_slashes(path)),
        AtFlags::empty(),
    )
    .map_or((0, 0), |st| (st.st_dev, st.st_ino));
    (facts.dev, facts.ino, base, parent)
}

/// GNU's `quotef`: the name as is when the shell needs no quoting for it, else quoted.
fn quote_if_needed(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"%+,-./:=@_^".contains(&b));
    if plain {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        quote(path)
    }
}

/// GNU's `same_name`: the same last component, in directories that are the same (by lstat).
fn same_name(a: &Path, b: &Path) -> bool {
    if plan::base_name(a) != plan::base_name(b) {
        return false;
    }
    let dir_id = |p: &Path| {
        statat(CWD, probe::parent_dir(p), AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| (st.st_dev, st.st_ino))
    };
    dir_id(a).is_some() && dir_id(a) == dir_id(b)
}

fn fs_kind_of(magic: Result<u64, Errno>) -> FsKind {
    FsKind::from_magic(magic.unwrap_or(0))
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
    rustix::fs::statfs(path)
        .map(|s| s.f_type as u64)
        .unwrap_or(0)
}
