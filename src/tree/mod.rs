//! Copying operands and directory trees with cp's rules: the `Copier`, its operands and the
//! jobs it runs (inline or on the pool). The walk is in [`walk`], regular files (updates,
//! backups, hard-link preservation) in [`files`], symlinks, special files and `-l`/`-s` links
//! in [`nodes`].

mod existing;
mod files;
mod inodes;
mod nodes;
mod walk;

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rustix::fs::{mkdirat, statat, AtFlags, Mode, CWD};
use rustix::io::Errno;

use self::inodes::{FirstCopy, InodeSet};
use crate::exec::{self, probe, Engine};
use crate::facts::{FileFacts, FileKind};
use crate::meta;
use crate::options::{Config, Deref};
use crate::plan::{self, Endpoint, RangeArgs, Target};
use crate::pool::{self, Pool};
use crate::report::{errno_text_of, quote, Reporter};
use walk::{open_dir, Frame, WalkDir};

/// How many jobs a worker is handed at once (`-j`): enough to cut hand-off costs, few enough
/// to keep every worker busy.
const JOBS_PER_HANDOFF: usize = 64;

/// One run's copier: options, the engine, the reporter and what this run has created.
pub struct Copier<'a, 'p> {
    cfg: &'a Config,
    engine: &'a Engine<'p>,
    reporter: &'a mut Reporter,
    umask: u32,
    /// Files this run created, for "will not overwrite just-created".
    created_files: InodeSet,
    /// Directories this run created, with their names (GNU's remember_copied).
    created_dirs: HashMap<(u64, u64), PathBuf>,
    /// Symlinks this run created: never written through.
    created_symlinks: InodeSet,
    /// Source (dev, ino) → its first copy, for preserving hard links.
    links: HashMap<(u64, u64), FirstCopy>,
    /// The top destination directory of the tree being walked and its shown name (hard links
    /// are found again from it).
    walk_root: Option<(Arc<OwnedFd>, Arc<PathBuf>)>,
    /// Directory levels whose descriptors the walk keeps open (from `ulimit -n`).
    dir_levels: usize,
    /// Command-line sources seen, for "specified more than once".
    /// (dev, ino, base name, parent directory's (dev, ino)): GNU's `seen_file` identity.
    operands: HashSet<OperandKey>,
    /// Worker threads for `-j N` (N > 1); `None` runs jobs inline.
    pool: Option<Pool>,
    /// Jobs gathered for the next hand-off to the workers.
    batch: Vec<(Box<plan::Job>, pool::Context)>,
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
            created_files: InodeSet::default(),
            created_dirs: HashMap::new(),
            created_symlinks: InodeSet::default(),
            links: HashMap::new(),
            walk_root: None,
            dir_levels: walk::dir_levels_for_fd_limit(pool::open_file_limit()),
            operands: HashSet::new(),
            pool,
            batch: Vec::new(),
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

    /// Whether `--mkpath` is to create batch jobs' destination directories (not in a dry run).
    pub fn mkpath(&self) -> bool {
        self.cfg.restart.mkpath && !self.cfg.dry_run
    }

    /// Whether --offset-in/--offset-out/--len were given on the command line.
    pub fn has_command_line_range(&self) -> bool {
        self.cfg.copy.range.is_some()
    }

    /// Sets the byte range for the next operands (a `--batch` line's own range).
    pub fn set_range(&mut self, range: Option<RangeArgs>) {
        self.range_override = range;
    }

    /// Waits for every job handed out so far (a `--batch` job that depends on an earlier one).
    pub fn wait_all(&mut self) {
        self.flush();
        self.drain(true);
    }

    /// Waits for every running job and applies the directories' final metadata.
    pub fn finish(&mut self) {
        self.flush();
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
        if self.in_flight.contains(dest) {
            self.flush();
        }
        while self.in_flight.contains(dest) {
            match self.pool.as_mut().and_then(|p| p.next_done(true)) {
                Some(done) => self.complete(done),
                None => break,
            }
        }
    }

    /// Runs a job now, or queues it on the pool.
    fn dispatch(&mut self, job: Box<plan::Job>, context: pool::Context) {
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
        self.batch.push((job, context));
        if self.batch.len() >= JOBS_PER_HANDOFF {
            self.flush();
        }
        self.drain(false);
    }

    /// Hands the jobs gathered so far to the workers, waiting while the queue is full.
    ///
    /// It waits for a worker to take a hand-off, not for each result: waking up for every
    /// finished job while the queue is full made the main thread and the workers trade futex
    /// wake-ups per file (17,600 on the 10,000-file tree).
    pub(super) fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let work = std::mem::take(&mut self.batch);
        self.drain(false);
        self.pool.as_mut().expect("a pool").submit(work);
    }

    /// Reports a finished job and updates what the run has created.
    fn complete(&mut self, done: pool::Done) {
        let pool::Done {
            job,
            context,
            result,
            elapsed,
        } = done;
        let dst_shown = job.dest.display_path();
        self.in_flight.remove(dst_shown);
        if let Some(p) = &self.reporter.progress {
            p.file_done();
        }
        match result {
            Ok(outcome) => {
                self.reporter.copied(&job, &outcome, elapsed);
                if let Some(first) = context.link_key.and_then(|k| self.links.get_mut(&k)) {
                    if first.shown == dst_shown {
                        first.id = Self::lstat_dest(&job.dest).map(|st| (st.st_dev, st.st_ino));
                    }
                }
                if context.creates {
                    if let Some(st) = Self::lstat_dest(&job.dest) {
                        self.created_files.insert((st.st_dev, st.st_ino));
                    }
                }
            }
            Err(e) if e.interrupted && self.interrupt_reported => {}
            Err(e) => {
                self.interrupt_reported |= e.interrupted;
                if let Some(key) = context.link_key {
                    self.links.remove(&key);
                }
                if let Some(backup) = &context.backup {
                    self.restore_backup(&job.dest, backup);
                }
                self.reporter.failed(
                    job.source.display_path(),
                    dst_shown,
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

    fn fail(&mut self, src: &Path, dst: &Path, message: &str) {
        // The record's `type` is the entry's own (issue 13), not always "file".
        let follow = self.cfg.deref == crate::options::Deref::Always;
        let specials = self.cfg.recursive && !self.cfg.copy_contents;
        let kind = crate::exec::probe::entry_type(src, follow, specials);
        self.reporter
            .failed_entry(kind, src, dst, None, message, None);
    }

    /// GNU's same-file rule: "'a' and 'b' are the same file".
    fn fail_same_file(&mut self, src: &Path, dst: &Path) {
        let msg = format!("{} and {} are the same file", quote(src), quote(dst));
        self.fail(src, dst, &msg);
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
        let mut dst_dir = None;
        if self.cfg.parents {
            match self.make_parents(&src_path, &dst_path) {
                Ok((made, dir)) => {
                    made_parents = made;
                    dst_dir = dir;
                }
                Err(msg) => return self.fail(&src_path, &dst_path, &msg),
            }
        }
        // With --parents, DEST is named in the last parent's descriptor: a component swapped
        // for a symlink meanwhile is never followed (rule 10).
        let dst = match dst_dir {
            Some(dir) => Endpoint::At {
                dir,
                name: plan::base_name(&dst_path).to_owned(),
                shown: dst_path.clone(),
            },
            None => Endpoint::Path(dst_path.clone()),
        };
        self.copy_operand_node(&src_path, dst, &facts, follow);
        // Creating the operand changed its new parents' times: apply their attributes again,
        // deepest first, once its jobs are done (GNU's re_protect), on the descriptors made.
        if !made_parents.is_empty() {
            self.drain(true);
            for made in made_parents.iter().rev() {
                self.apply_meta(
                    made.fd.as_fd(),
                    None,
                    &made.facts,
                    made.new_mode,
                    &made.shown,
                );
                if self.cfg.sync && !self.cfg.dry_run && made.created {
                    // A directory --parents created: it and the entry for it in its parent.
                    if let Err(msg) = exec::sync_tree_dir(made.fd.as_fd(), &made.shown, true) {
                        self.fail(&src_path, &dst_path, &msg);
                    }
                }
            }
        }
    }

    fn copy_operand_node(
        &mut self,
        src_path: &Path,
        dst: Endpoint,
        facts: &FileFacts,
        follow: bool,
    ) {
        let facts = *facts;
        let dst_path = dst.display_path().to_path_buf();
        let dst_path = dst_path.as_path();
        let src = Endpoint::Path(src_path.to_path_buf());
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

    /// Creates the missing directories of `--parents` (`dir/a/b` for source `a/b/f`), each
    /// relative to its parent's descriptor: a new one is opened with `O_NOFOLLOW` and checked
    /// to be the directory made; an existing one is followed only if it is a directory or a
    /// symlink of ours (never one the destination's other users planted). Returns the new
    /// directories and the descriptor of the last parent.
    fn make_parents(
        &mut self,
        src: &Path,
        dst: &Path,
    ) -> Result<(Vec<MadeParent>, Option<Arc<OwnedFd>>), String> {
        let mut made: Vec<MadeParent> = Vec::new();
        let rel_parent = src.parent().unwrap_or(Path::new(""));
        // Only the names that DIRECTORY/SOURCE keeps: a leading '/' or './' is not one of them
        // (`find . -print0 | xargs -0 cp --parents -t DIR` gives './a/b/f').
        let kept = |c: &Component<'_>| matches!(c, Component::Normal(_) | Component::ParentDir);
        let depth = rel_parent.components().filter(kept).count();
        let mut base: PathBuf = dst.to_path_buf();
        for _ in 0..=depth {
            base.pop();
        }
        let top = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base.as_path()
        };
        let mut dir = Arc::new(
            open_dir(CWD, top, false)
                .map_err(|e| format!("cannot access {}: {}", quote(top), errno_text_of(e)))?,
        );
        let mut src_dir = PathBuf::new();
        let p = self.cfg.copy.preserve.attrs;
        let stat_src = |src_dir: &Path| {
            statat(CWD, src_dir, AtFlags::empty())
                .map(|st| probe::facts_from_stat(&st, 0))
                .map_err(|e| format!("cannot stat {}: {}", quote(src_dir), errno_text_of(e)))
        };
        for comp in rel_parent.components() {
            src_dir.push(comp);
            if !kept(&comp) {
                continue;
            }
            // DIRECTORY/SOURCE as the user wrote it ('e/./a' for './a', as GNU shows it).
            let dst_dir = base.join(src_dir.strip_prefix("/").unwrap_or(&src_dir));
            let name = comp.as_os_str();
            if comp == Component::ParentDir {
                dir = Arc::new(open_dir(&*dir, name, false).map_err(|e| {
                    format!("cannot access {}: {}", quote(&dst_dir), errno_text_of(e))
                })?);
                continue;
            }
            if self.cfg.dry_run {
                // A dry run writes nothing: the directories are planned, not made.
                if statat(CWD, &dst_dir, AtFlags::SYMLINK_NOFOLLOW).is_err() {
                    self.reporter.planned_parent(&src_dir, &dst_dir);
                }
                continue;
            }
            let facts = stat_src(&src_dir)?;
            let (mut create_mode, mut omitted) = self.new_dir_modes(facts.mode);
            let preserve = self.cfg.copy.preserve.attrs;
            if !preserve.mode && !preserve.ownership {
                // GNU's make_dir_parents_private withholds nothing then: mkdir decides.
                (create_mode, omitted) = (facts.mode & 0o1777, 0);
            }
            match mkdirat(&*dir, name, Mode::from_raw_mode(create_mode)) {
                Ok(()) => {
                    let fd = walk::open_created_dir(&*dir, name).map_err(|e| match e {
                        Some(e) => {
                            format!("cannot access {}: {}", quote(&dst_dir), errno_text_of(e))
                        }
                        None => format!("{} was replaced while being copied", quote(&dst_dir)),
                    })?;
                    let restore = self.prepare_new_dir(fd.as_fd(), facts.mode, omitted);
                    // GNU: with --no-preserve=mode, 0777 less the umask (tests/cp/cp-parents.sh).
                    let new_mode = if self.cfg.no_preserve_mode {
                        Some(0o777 & !self.umask)
                    } else {
                        restore
                    };
                    self.apply_meta(fd.as_fd(), None, &facts, new_mode, &dst_dir);
                    self.reporter.parent_made(&src_dir, &dst_dir);
                    let fd = Arc::new(fd);
                    made.push(MadeParent {
                        fd: Arc::clone(&fd),
                        shown: dst_dir.clone(),
                        facts,
                        new_mode,
                        created: true,
                    });
                    dir = fd;
                }
                Err(Errno::EXIST) => {
                    let fd = Arc::new(open_existing_parent(&dir, name).map_err(|e| {
                        format!("cannot access {}: {}", quote(&dst_dir), errno_text_of(e))
                    })?);
                    // An existing directory gets the preserved attributes too (GNU's
                    // re_protect; tests/cp/parent-perm.sh), but is not reported as made.
                    if p.mode || p.ownership || p.timestamps {
                        made.push(MadeParent {
                            fd: Arc::clone(&fd),
                            shown: dst_dir.clone(),
                            facts,
                            new_mode: None,
                            created: false,
                        });
                    }
                    dir = fd;
                }
                Err(e) => {
                    return Err(format!(
                        "cannot make directory {}: {}",
                        quote(&dst_dir),
                        errno_text_of(e)
                    ))
                }
            }
        }
        // GNU applies attributes to existing parents only when it had to create one.
        if !made.iter().any(|m| m.created) {
            made.clear();
        }
        if self.cfg.dry_run {
            // Nothing was made: DEST is named by its path, as the plan shows it.
            return Ok((made, None));
        }
        Ok((made, Some(dir)))
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
        let problems = meta::apply(dst, src, facts, &self.cfg.copy.preserve, new_mode, shown);
        self.report_problems(problems);
    }

    /// Reports what preserving metadata ran into: errors, or warnings when not fatal.
    fn report_problems(&mut self, problems: Vec<meta::MetaProblem>) {
        for problem in problems {
            if problem.fatal {
                self.reporter.error(&problem.message);
            } else {
                self.reporter.note(&problem.message);
            }
        }
    }

    /// Remembers `dst` as the first copy of a hard-linked source.
    fn first_copy(&self, dst: &Endpoint) -> FirstCopy {
        FirstCopy::new(dst, self.walk_root.as_ref())
    }

    /// What is at the destination name, without following a final symlink.
    fn lstat_dest(dst: &Endpoint) -> Option<rustix::fs::Stat> {
        let (dir, name) = dst.dir_and_name()?;
        statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()
    }
}

/// A directory of a `--parents` destination (made now or existing): its descriptor, name and
/// the source directory's facts, for applying its attributes again once the operand is copied.
struct MadeParent {
    fd: Arc<OwnedFd>,
    shown: PathBuf,
    facts: FileFacts,
    new_mode: Option<u32>,
    /// Made by this run (false: an existing parent whose attributes are applied again).
    created: bool,
}

/// Opens an existing component of a `--parents` destination: a directory, never through a
/// symlink unless the symlink is owned by us (the user running fcopy made it, as GNU cp would
/// follow it); one planted by another user of the destination is refused (`ELOOP`).
fn open_existing_parent(dir: &OwnedFd, name: &OsStr) -> Result<OwnedFd, Errno> {
    match open_dir(dir, name, true) {
        Err(Errno::LOOP | Errno::NOTDIR) => {
            let st = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
            let link =
                rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink;
            if link && st.st_uid == rustix::process::geteuid().as_raw() {
                open_dir(dir, name, false)
            } else if link {
                Err(Errno::LOOP)
            } else {
                Err(Errno::NOTDIR)
            }
        }
        other => other,
    }
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
