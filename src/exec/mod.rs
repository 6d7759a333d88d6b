//! The copy engine: runs one planned job — opens safely, drives reflink / copy_file_range /
//! read-write over whole files, extents or a byte range, applies the mode — and never prints.

mod atomic;
pub use atomic::mark_run_start;
mod cfr;
pub mod dirs;
pub mod extents;
pub mod nodes;
pub mod probe;
mod rw;

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{
    fstat, ftruncate, ioctl_ficlone, openat, unlinkat, AtFlags, FileType, Mode, OFlags,
};
use rustix::io::Errno;

use crate::facts::FileKind;
use crate::plan::{CloneMode, Endpoint, Job, Strategy};
use crate::report::{errno_text_of, quote};

use self::cfr::CfrEnd;
use self::extents::DataExtents;
use self::rw::RwError;

/// Receives progress from the engine; the default does nothing.
pub trait Progress: Sync {
    fn advance(&self, _bytes: u64) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// State shared by every job of a run.
pub struct Engine<'p> {
    /// The most one copy_file_range call is asked for.
    pub chunk: u64,
    pub progress: &'p dyn Progress,
    kernel_lacks_cfr: AtomicBool,
    /// Device pairs between which copy_file_range said EXDEV: not asked again this run.
    exdev_pairs: std::sync::Mutex<Vec<(u64, u64)>>,
}

impl<'p> Engine<'p> {
    pub fn new(progress: &'p dyn Progress) -> Self {
        Engine {
            chunk: 1 << 30,
            progress,
            kernel_lacks_cfr: AtomicBool::new(false),
            exdev_pairs: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn kernel_lacks_cfr(&self) -> bool {
        self.kernel_lacks_cfr.load(Ordering::Relaxed)
    }

    fn remember_kernel_lacks_cfr(&self) {
        self.kernel_lacks_cfr.store(true, Ordering::Relaxed);
    }

    /// Whether copy_file_range already said EXDEV for this (source device, destination device).
    fn known_exdev(&self, pair: (u64, Option<u64>)) -> bool {
        let (src, Some(dst)) = pair else { return false };
        self.exdev_pairs
            .lock()
            .is_ok_and(|pairs| pairs.contains(&(src, dst)))
    }

    fn remember_exdev(&self, pair: (u64, Option<u64>)) {
        if let (src, Some(dst)) = pair {
            if let Ok(mut pairs) = self.exdev_pairs.lock() {
                if !pairs.contains(&(src, dst)) && pairs.len() < 64 {
                    pairs.push((src, dst));
                }
            }
        }
    }
}

/// Why copy_file_range (or a clone) gave way to read/write.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Exdev,
    Eopnotsupp,
    Enosys,
    Einval,
    Eperm,
    Eacces,
    Ebadf,
    Etxtbsy,
    Eio,
    Enoent,
    Efbig,
    /// copy_file_range returned 0 before the first byte (procfs, sysfs, some FUSE/overlay).
    ZeroReturn,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Exdev => "EXDEV",
            Reason::Eopnotsupp => "EOPNOTSUPP",
            Reason::Enosys => "ENOSYS",
            Reason::Einval => "EINVAL",
            Reason::Eperm => "EPERM",
            Reason::Eacces => "EACCES",
            Reason::Ebadf => "EBADF",
            Reason::Etxtbsy => "ETXTBSY",
            Reason::Eio => "EIO",
            Reason::Enoent => "ENOENT",
            Reason::Efbig => "EFBIG",
            Reason::ZeroReturn => "zero-return",
        }
    }

    /// The errnos that mean "copy_file_range cannot do this here" (the list in the README's
    /// "How the strategy is chosen").
    fn fallback_for(errno: Errno, progressed: bool) -> Option<Reason> {
        Some(match errno {
            Errno::XDEV => Reason::Exdev,
            Errno::OPNOTSUPP => Reason::Eopnotsupp,
            Errno::NOSYS => Reason::Enosys,
            Errno::INVAL => Reason::Einval,
            Errno::PERM => Reason::Eperm,
            Errno::ACCESS => Reason::Eacces,
            Errno::BADF => Reason::Ebadf,
            Errno::TXTBSY => Reason::Etxtbsy,
            Errno::FBIG => Reason::Efbig,
            Errno::IO if !progressed => Reason::Eio,
            Errno::NOENT if !progressed => Reason::Enoent,
            _ => return None,
        })
    }

    fn errno(self) -> Option<Errno> {
        Some(match self {
            Reason::Exdev => Errno::XDEV,
            Reason::Eopnotsupp => Errno::OPNOTSUPP,
            Reason::Enosys => Errno::NOSYS,
            Reason::Einval => Errno::INVAL,
            Reason::Eperm => Errno::PERM,
            Reason::Eacces => Errno::ACCESS,
            Reason::Ebadf => Errno::BADF,
            Reason::Etxtbsy => Errno::TXTBSY,
            Reason::Eio => Errno::IO,
            Reason::Enoent => Errno::NOENT,
            Reason::Efbig => Errno::FBIG,
            Reason::ZeroReturn => return None,
        })
    }
}

/// The mechanism that moved the bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Reflink,
    CopyFileRange,
    /// sendfile(2): an in-kernel copy where copy_file_range cannot work (e.g. across filesystems).
    Sendfile,
    ReadWrite,
    /// Nothing needed moving (an empty file, an all-hole file, a zero-length range).
    None,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Reflink => "reflink",
            Method::CopyFileRange => "copy_file_range",
            Method::Sendfile => "sendfile",
            Method::ReadWrite => "read_write",
            Method::None => "none",
        }
    }
}

/// What happened when a job ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub bytes: u64,
    pub method: Method,
    /// Why copy_file_range gave way to read/write, and at which source offset.
    pub fallback: Option<(Reason, u64)>,
    /// Data extents copied (1 for a plain file, 0 for an all-hole file).
    pub extents: u64,
    /// FICLONE was tried and failed (`--reflink=auto`).
    pub clone_failed: bool,
    /// Holes were found with SEEK_HOLE.
    pub seek_hole: bool,
    /// Zero runs were turned into holes.
    pub zeros: bool,
    /// copy_file_range was called at all.
    pub tried_cfr: bool,
    /// Non-fatal problems (e.g. xattrs unsupported) to show as warnings.
    pub warnings: Vec<String>,
    /// `--verify`: how the data was checked.
    pub verified: Option<crate::restart::verify::Verified>,
}

impl Outcome {
    fn new() -> Self {
        Outcome {
            bytes: 0,
            method: Method::None,
            fallback: None,
            extents: 0,
            clone_failed: false,
            seek_hole: false,
            zeros: false,
            tried_cfr: false,
            warnings: Vec::new(),
            verified: None,
        }
    }
}

/// A failed job: the GNU-style message (without program name), and a note about DEST if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    pub note: Option<String>,
    /// The copy stopped because of SIGINT/SIGTERM.
    pub interrupted: bool,
}

impl JobError {
    pub(crate) fn new(message: String) -> Self {
        JobError {
            message,
            note: None,
            interrupted: false,
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An open end of a copy: a descriptor we own, or standard input/output.
enum Fd {
    Owned(OwnedFd),
    Stdio(BorrowedFd<'static>),
}

impl AsFd for Fd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Fd::Owned(fd) => fd.as_fd(),
            Fd::Stdio(fd) => *fd,
        }
    }
}

/// Removes a destination that this job created, unless the copy finished.
struct CreatedDest<'a> {
    at: Option<(BorrowedFd<'a>, &'a Path)>,
}

impl Drop for CreatedDest<'_> {
    fn drop(&mut self) {
        if let Some((dir, name)) = self.at {
            let _ = unlinkat(dir, name, AtFlags::empty());
        }
    }
}

/// Runs one job to completion or to a reported error.
pub fn run_job(engine: &Engine<'_>, job: &Job) -> Result<Outcome, JobError> {
    let src_name = job.source.display_path();
    let dst_name = job.dest.display_path();
    if crate::signals::pending().is_some() {
        let mut err = JobError::new(format!("interrupted before copying {}", quote(src_name)));
        err.interrupted = true;
        return Err(err);
    }
    let src = open_source(job)?;
    if job.atomic {
        if let Some(place) = atomic::Place::resolve(job)? {
            return atomic::run(engine, job, &src, place);
        }
    }
    let (dst, created) = open_dest(job)?;
    let mut guard = CreatedDest {
        // --resume keeps a partial file for the next run.
        at: if created && !job.restart.keep_partial {
            job.dest.dir_and_name()
        } else {
            None
        },
    };
    // A failure after an existing destination was truncated (or, ranged, partly written).
    let overwritten_note = |err: &mut JobError| {
        if created || !job.dest_exists || !is_regular(&dst) {
            return;
        }
        err.note = if job.strategy != Strategy::Ranged {
            Some(format!(
                "{} was being overwritten and is now incomplete; its old contents cannot be restored",
                quote(dst_name)
            ))
        } else if !err.message.contains("before --offset-in") {
            // Nothing outside the range was touched; inside it, old and new bytes may mix.
            Some(format!(
                "{} may be partly written in the range; its old contents there cannot be restored",
                quote(dst_name)
            ))
        } else {
            None
        };
    };
    let mut outcome = match run_strategy(engine, job, &src, &dst) {
        Ok(outcome) => outcome,
        Err(mut err) => {
            if crate::signals::pending().is_some() {
                err.interrupted = true;
                err.message = format!(
                    "interrupted while copying {} to {}{}",
                    quote(src_name),
                    quote(dst_name),
                    match (created, job.restart.keep_partial) {
                        (true, false) => "; the partial copy was removed",
                        (_, true) => "; the partial copy was kept for --resume",
                        (false, false) => "",
                    }
                );
            }
            overwritten_note(&mut err);
            return Err(err);
        }
    };
    if job.restart.verify {
        match crate::restart::verify::check(job, src.as_fd(), dst.as_fd(), &outcome) {
            Ok(how) => outcome.verified = Some(how),
            Err(mut err) => {
                // A new DEST that does not match is removed, even under --resume.
                guard.at = created.then(|| job.dest.dir_and_name()).flatten();
                overwritten_note(&mut err);
                return Err(err);
            }
        }
    }
    if job.dest != Endpoint::Stdio {
        let new_mode = (created && !created_with_final_mode(job)).then_some(job.create_mode);
        let src_fd = match &src {
            Fd::Owned(fd) => Some(fd.as_fd()),
            Fd::Stdio(_) => None,
        };
        let problems = crate::meta::apply(
            dst.as_fd(),
            src_fd,
            &job.source_facts,
            &job.preserve,
            new_mode,
            dst_name,
        );
        for problem in problems {
            if problem.fatal {
                // As cp does: the data is complete, so the file stays.
                guard.at = None;
                return Err(JobError::new(problem.message));
            }
            outcome.warnings.push(problem.message);
        }
    }
    // The source's times are on DEST now: a failure from here on must not leave a DEST that
    // `--update=changed` would take for a finished copy, so it gets the current mtime.
    let times_set = job.dest != Endpoint::Stdio && job.preserve.attrs.timestamps;
    if job.sync {
        // Still guarded: a new file that cannot be made durable is removed.
        let synced = sync_file(&dst, dst_name).and_then(|()| match (created, &guard.at) {
            (true, Some((dir, name))) => sync_parent(*dir, name, dst_name),
            _ => Ok(()),
        });
        if let Err(mut err) = synced {
            if times_set {
                mark_unfinished(dst.as_fd());
            }
            overwritten_note(&mut err);
            return Err(err);
        }
    }
    let close_error = |e: Errno| {
        let mut err = JobError::new(format!(
            "failed to close {}: {}",
            quote(dst_name),
            errno_text_of(e)
        ));
        if !created && job.dest_exists && job.strategy != Strategy::Ranged {
            err.note = Some(format!(
                "{} was being overwritten and may be incomplete; its old contents cannot be restored",
                quote(dst_name)
            ));
        }
        err
    };
    if let Fd::Owned(fd) = dst {
        // With the source's times on DEST, the delayed write errors of NFS, CIFS and FUSE are
        // asked for while DEST is still open, so its mtime can still be changed.
        if times_set {
            if let Err(e) = flush_by_close(fd.as_fd()) {
                mark_unfinished(fd.as_fd());
                return Err(close_error(e));
            }
        }
        // Still guarded: a new file whose data the filesystem failed to write is removed.
        if let Err(e) = close_checked(fd) {
            return Err(close_error(e));
        }
    }
    guard.at = None;
    Ok(outcome)
}

/// Closes a destination descriptor and returns what `close(2)` said: on NFS, CIFS and FUSE,
/// delayed write errors arrive at close (GNU cp checks it: `failed to close 'DEST'`).
///
/// # Errors
/// The errno of `close(2)` (`EIO`, `ENOSPC`, `EDQUOT`...). The descriptor is gone either way;
/// `EINTR` is not retried (on Linux the descriptor is closed even then).
pub fn close_checked(fd: OwnedFd) -> Result<(), Errno> {
    nix::unistd::close(fd).map_err(|e| Errno::from_raw_os_error(e as i32))
}

/// Flushes what a `close(2)` would flush, while keeping `fd` open: closes a duplicate. The
/// kernel calls the filesystem's flush on every close of a descriptor of the file, so NFS,
/// CIFS and FUSE report their delayed write errors here (used before `--atomic` renames).
///
/// # Errors
/// The errno of `dup` or of `close(2)`.
pub fn flush_by_close(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    close_checked(rustix::io::fcntl_dupfd_cloexec(fd, 0)?)
}

/// Gives a destination that failed after the source's times were set on it the current
/// mtime (atime untouched), so that `--update=changed` (same size and mtime means finished,
/// see [`crate::restart::update_changed`]) never skips it. Best effort: a failure here is
/// not reported, the copy has failed already.
fn mark_unfinished(dst: BorrowedFd<'_>) {
    let times = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_OMIT,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: rustix::fs::UTIME_NOW,
        },
    };
    let _ = rustix::fs::futimens(dst, &times);
}

/// Runs the job's strategy from `src` into the open destination `dst`.
fn run_strategy(engine: &Engine<'_>, job: &Job, src: &Fd, dst: &Fd) -> Result<Outcome, JobError> {
    match job.strategy {
        Strategy::Reflink => copy_reflink(engine, job, src, dst),
        Strategy::CopyFileRange | Strategy::ReadWrite => {
            copy_whole(engine, job, src, dst, Outcome::new())
        }
        // Standard output has its own offset (and may be O_APPEND, where pwrite appends):
        // extents at explicit offsets would land in the wrong place, so copy it whole.
        Strategy::Sparse if job.dest == Endpoint::Stdio => {
            copy_whole(engine, job, src, dst, Outcome::new())
        }
        Strategy::Sparse => copy_sparse(engine, job, src, dst, Outcome::new()),
        Strategy::Ranged => copy_range(engine, job, src, dst),
    }
}

/// `--sync`: flushes a destination's data and metadata (`fsync`). Standard output is flushed
/// only when it is a file or block device (a pipe or terminal has nothing to make durable).
fn sync_file(dst: &impl AsFd, shown: &Path) -> Result<(), JobError> {
    let durable = fstat(dst).is_ok_and(|st| {
        matches!(
            FileType::from_raw_mode(st.st_mode),
            FileType::RegularFile | FileType::BlockDevice
        )
    });
    if !durable {
        return Ok(());
    }
    loop {
        match rustix::fs::fsync(dst) {
            Ok(()) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(sync_error(shown, e)),
        }
    }
}

/// `--sync` for a file fcopy created: flushes the directory that holds its new entry.
fn sync_parent(dir: BorrowedFd<'_>, name: &Path, shown: &Path) -> Result<(), JobError> {
    let parent = match name.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let shown_dir = match shown.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fd = openat(
        dir,
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| sync_error(shown_dir, e))?;
    sync_dir(&fd, shown_dir)
}

/// `--sync` for a directory of a tree copy, once its entries and metadata are final: flushes
/// it, and with `with_parent` also its parent, which holds its entry (for a new directory whose
/// parent is not otherwise flushed).
pub fn sync_tree_dir(dir: BorrowedFd<'_>, shown: &Path, with_parent: bool) -> Result<(), String> {
    sync_dir(&dir, shown).map_err(|e| e.message)?;
    if with_parent {
        let shown_parent = match shown.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let parent = openat(
            dir,
            "..",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| sync_error(shown_parent, e).message)?;
        sync_dir(&parent, shown_parent).map_err(|e| e.message)?;
    }
    Ok(())
}

/// Flushes a directory (after a new entry or a rename in it).
fn sync_dir(dir: &impl AsFd, shown: &Path) -> Result<(), JobError> {
    loop {
        match rustix::fs::fsync(dir) {
            Ok(()) => return Ok(()),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(sync_error(shown, e)),
        }
    }
}

fn sync_error(shown: &Path, e: Errno) -> JobError {
    JobError::new(format!(
        "error syncing {}: {}",
        quote(shown),
        errno_text_of(e)
    ))
}

/// Whether an open descriptor is a regular file (a device or pipe has no "old contents").
fn is_regular(fd: &Fd) -> bool {
    fstat(fd).is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
}

fn open_source(job: &Job) -> Result<Fd, JobError> {
    let Some((dir, name)) = job.source.dir_and_name() else {
        return Ok(Fd::Stdio(rustix::stdio::stdin()));
    };
    let path = job.source.display_path();
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    if job.nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = openat(dir, name, flags, Mode::empty()).map_err(|e| {
        if e == Errno::LOOP && job.nofollow {
            return replaced(path);
        }
        JobError::new(format!(
            "cannot open {} for reading: {}",
            quote(path),
            errno_text_of(e)
        ))
    })?;
    let st = fstat(&fd).map_err(|e| {
        JobError::new(format!(
            "cannot fstat {}: {}",
            quote(path),
            errno_text_of(e)
        ))
    })?;
    if (st.st_dev, st.st_ino) != job.source_id {
        return Err(replaced(path));
    }
    Ok(Fd::Owned(fd))
}

fn replaced(path: &Path) -> JobError {
    JobError::new(format!(
        "skipping file {}, as it was replaced while being copied",
        quote(path)
    ))
}

/// Opens the destination; returns whether this job created it.
/// Whether a new destination is created with its final mode, as GNU cp does when it preserves
/// nothing that sets the mode: no `fchmod` afterwards. Otherwise it starts as 0600 (nobody else
/// can read it before its owner is set) and gets its mode from [`crate::meta::apply`]: with
/// `--preserve=mode` or `ownership`, with `--preserve=xattr` (a copied ACL changes the mode, which
/// GNU cp does not let stand), and with `--no-preserve=mode` (set whatever the default ACL says).
fn created_with_final_mode(job: &Job) -> bool {
    let attrs = job.preserve.attrs;
    !attrs.mode && !attrs.ownership && !attrs.xattr && !job.explicit_mode
}

/// The mode `open(O_CREAT)` is given. For the final mode it is the source's permission bits
/// before the umask (`create_mode` has it applied already): the kernel applies the umask, or a
/// default ACL instead, exactly as for GNU cp.
fn creation_mode(job: &Job) -> u32 {
    if created_with_final_mode(job) {
        job.source_facts.mode & 0o777
    } else {
        0o600
    }
}

fn open_dest(job: &Job) -> Result<(Fd, bool), JobError> {
    let Some((dir, name)) = job.dest.dir_and_name() else {
        return Ok((Fd::Stdio(rustix::stdio::stdout()), false));
    };
    let path = job.dest.display_path();
    let base = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    let create = || {
        openat(
            dir,
            name,
            base | OFlags::CREATE | OFlags::EXCL,
            Mode::from_raw_mode(creation_mode(job)),
        )
    };
    let cannot_create = |e: Errno| {
        JobError::new(format!(
            "cannot create regular file {}: {}",
            quote(path),
            errno_text_of(e)
        ))
    };
    if !job.dest_exists {
        match create() {
            Ok(fd) => return Ok((Fd::Owned(fd), true)),
            // A dangling symlink with -f: replace the link itself.
            Err(Errno::EXIST) if job.force => {
                unlinkat(dir, name, AtFlags::empty()).map_err(cannot_create)?;
                return create()
                    .map(|fd| (Fd::Owned(fd), true))
                    .map_err(cannot_create);
            }
            Err(e) => return Err(cannot_create(e)),
        }
    }
    // The source is open and checked: only now may an existing destination be truncated, and
    // only once it is known to be the file checked (rule 10: a name swapped for a symlink
    // meanwhile is refused, never written through), so no O_TRUNC at the open.
    let flags = base;
    // GNU cp words a failed open of an existing file as it does a failed create (tests/cp/
    // fail-perm.sh); a ranged copy, fcopy's own, says what it tried.
    let cannot_open = |e: Errno| {
        let what = if job.strategy == Strategy::Ranged {
            "cannot open {} for writing"
        } else {
            "cannot create regular file {}"
        };
        JobError::new(format!(
            "{}: {}",
            what.replace("{}", &quote(path)),
            errno_text_of(e)
        ))
    };
    match openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => {
            let st = fstat(&fd).map_err(cannot_open)?;
            if job.dest_id.is_some_and(|id| id != (st.st_dev, st.st_ino)) {
                return Err(JobError::new(format!(
                    "{} was replaced while being copied",
                    quote(path)
                )));
            }
            let regular = FileType::from_raw_mode(st.st_mode) == FileType::RegularFile;
            if regular && job.strategy != Strategy::Ranged {
                ftruncate(&fd, 0).map_err(cannot_open)?;
            }
            Ok((Fd::Owned(fd), false))
        }
        Err(e) if job.force && job.strategy != Strategy::Ranged => {
            unlinkat(dir, name, AtFlags::empty()).map_err(|_| cannot_open(e))?;
            create()
                .map(|fd| (Fd::Owned(fd), true))
                .map_err(cannot_create)
        }
        Err(e) => Err(cannot_open(e)),
    }
}

/// The starting position on one end: an explicit offset for files and block devices we opened,
/// the descriptor's own offset for standard input/output and streams (FIFOs, terminals).
fn start_pos(end: &Endpoint, seekable: bool, offset: u64) -> Option<u64> {
    match end {
        Endpoint::Path(_) | Endpoint::At { .. } if seekable => Some(offset),
        _ => None,
    }
}

fn copy_reflink(engine: &Engine<'_>, job: &Job, src: &Fd, dst: &Fd) -> Result<Outcome, JobError> {
    match ioctl_ficlone(dst, src) {
        Ok(()) => {
            let size = fstat(src).map(|st| st.st_size as u64).unwrap_or(0);
            engine.progress.advance(size);
            let mut outcome = Outcome::new();
            outcome.bytes = size;
            outcome.method = Method::Reflink;
            outcome.extents = 1;
            Ok(outcome)
        }
        // GNU 9.2: only "cannot clone here" falls back; a clone that failed for want of space,
        // memory or quota, or with an I/O error, fails the file (a copy would fail alike).
        Err(e)
            if job.clone == CloneMode::Must
                || matches!(e, Errno::IO | Errno::NOSPC | Errno::NOMEM | Errno::DQUOT) =>
        {
            Err(JobError::new(format!(
                "failed to clone {} from {}: {}",
                quote(job.dest.display_path()),
                quote(job.source.display_path()),
                errno_text_of(e)
            )))
        }
        Err(_) => {
            let mut outcome = Outcome::new();
            outcome.clone_failed = true;
            let looks_sparse = fstat(src)
                .map(|st| (st.st_blocks as u64) * 512 < st.st_size as u64)
                .unwrap_or(false);
            if looks_sparse {
                copy_sparse(engine, job, src, dst, outcome)
            } else {
                copy_whole(engine, job, src, dst, outcome)
            }
        }
    }
}

/// Whole-file copy: copy_file_range where allowed, falling back to read/write from where it stopped.
fn copy_whole(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    mut outcome: Outcome,
) -> Result<Outcome, JobError> {
    let source_seekable = matches!(
        job.source_facts.kind,
        FileKind::Regular | FileKind::BlockDevice
    );
    let mut pos_in = start_pos(&job.source, source_seekable, 0);
    let mut pos_out = start_pos(&job.dest, job.dest_seekable, 0);
    // `--method=copy-file-range` means copy_file_range or a clear error, even for a source the
    // planner would read (procfs, a pipe): the kernel's answer becomes the message.
    let use_cfr = job.kernel_copy_only || (job.kernel_copy && job.strategy != Strategy::ReadWrite);
    let mut copied = copy_span(
        engine,
        job,
        src.as_fd(),
        &mut pos_in,
        dst.as_fd(),
        &mut pos_out,
        job.len,
        use_cfr,
        false,
        &mut outcome,
    )?;
    outcome.bytes += copied;
    // Without a size (streams, procfs) the span went to end of file already.
    if job.len.is_some() {
        copied += copy_past_size(
            engine,
            job,
            src,
            dst,
            &mut pos_in,
            &mut pos_out,
            use_cfr,
            &mut outcome,
        )?;
    }
    outcome.extents = u64::from(copied > 0);
    Ok(outcome)
}

/// DESIGN rule 9: the size at open was a hint. After a whole file's `job.len` bytes, one read
/// at that offset asks the kernel where the file ends; data there (a growing log, a FUSE or
/// network file whose `st_size` is too small) is copied on to end of file, as cp does.
/// Returns the bytes added.
#[allow(clippy::too_many_arguments)]
fn copy_past_size(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    pos_in: &mut Option<u64>,
    pos_out: &mut Option<u64>,
    use_cfr: bool,
    outcome: &mut Outcome,
) -> Result<u64, JobError> {
    // A stream has no offset to ask at; its copy went to end of file already.
    let Some(at) = *pos_in else {
        return Ok(0);
    };
    if rw::at_eof(src.as_fd(), at) {
        return Ok(0);
    }
    let more = copy_span(
        engine,
        job,
        src.as_fd(),
        pos_in,
        dst.as_fd(),
        pos_out,
        None,
        use_cfr,
        false,
        outcome,
    )?;
    outcome.bytes += more;
    Ok(more)
}

/// Sparse copy: only the data extents are copied; the destination ends with ftruncate.
fn copy_sparse(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    dst: &Fd,
    mut outcome: Outcome,
) -> Result<Outcome, JobError> {
    let size = job.len.unwrap_or(0);
    let mut use_cfr = job.kernel_copy && !job.detect_zeros;
    let mut extents = DataExtents::new(src.as_fd(), size);
    let mut data_total = 0;
    let mut ended_at = None;
    for extent in extents.by_ref() {
        let extent = extent.map_err(|e| {
            JobError::new(format!(
                "cannot lseek {}: {}",
                quote(job.source.display_path()),
                errno_text_of(e)
            ))
        })?;
        let mut pos_in = Some(extent.start);
        let mut pos_out = Some(extent.start);
        let len = extent.end - extent.start;
        let before = outcome.fallback;
        let copied = copy_span(
            engine,
            job,
            src.as_fd(),
            &mut pos_in,
            dst.as_fd(),
            &mut pos_out,
            Some(len),
            use_cfr,
            job.detect_zeros,
            &mut outcome,
        )?;
        if outcome.fallback != before {
            // This filesystem pair cannot do it: do the remaining extents with read/write.
            use_cfr = false;
        }
        data_total += len;
        outcome.bytes += copied;
        outcome.extents += 1;
        if copied < len {
            // The source ended inside this extent.
            ended_at = Some(extent.start + copied);
            break;
        }
    }
    outcome.seek_hole = !extents.unsupported() && data_total < size;
    // The layout was taken at open; the file ends where the kernel says now (DESIGN rule 9):
    // data past the old size is copied on; a source that shrank (SEEK_DATA said ENXIO, or an
    // extent read came up short) ends at its real size, never padded with zeros it lost.
    let end = match ended_at {
        // The source ended inside an extent: it shrank, maybe into a hole before this extent
        // (copy_file_range then answers 0 at the extent's start). DEST ends where the source
        // ends now, never past what was copied: a hole left before that end stays a hole.
        Some(end) => fstat(src).map_or(end, |st| end.min(st.st_size as u64)),
        None => {
            let (mut pos_in, mut pos_out) = (Some(size), Some(size));
            let grew = copy_past_size(
                engine,
                job,
                src,
                dst,
                &mut pos_in,
                &mut pos_out,
                use_cfr,
                &mut outcome,
            )?;
            if grew > 0 {
                size + grew
            } else {
                fstat(src).map_or(size, |st| size.min(st.st_size as u64))
            }
        }
    };
    ftruncate(dst, end).map_err(|e| {
        JobError::new(format!(
            "failed to extend {}: {}",
            quote(job.dest.display_path()),
            errno_text_of(e)
        ))
    })?;
    Ok(outcome)
}

/// Ranged copy: one byte range, the destination never truncated.
fn copy_range(engine: &Engine<'_>, job: &Job, src: &Fd, dst: &Fd) -> Result<Outcome, JobError> {
    let range = job.range.expect("a ranged job has a range");
    let mut outcome = Outcome::new();
    let src_name = job.source.display_path();
    // Standard input, FIFOs, sockets and character devices are read from where they are
    // (`--offset-in` skipped by reading); only files and block devices take an offset.
    let stream = job.source == Endpoint::Stdio
        || matches!(
            job.source_facts.kind,
            FileKind::Fifo | FileKind::Socket | FileKind::CharDevice
        );
    let mut pos_in = if stream {
        let skipped = rw::skip(src.as_fd(), range.offset_in).map_err(|e| {
            JobError::new(format!(
                "error reading {}: {}",
                quote(src_name),
                errno_text_of(e)
            ))
        })?;
        if skipped < range.offset_in {
            return Err(JobError::new(format!(
                "{} ended after {skipped} bytes, before --offset-in {}",
                quote(src_name),
                range.offset_in
            )));
        }
        None
    } else {
        Some(range.offset_in)
    };
    // A destination that cannot seek (a pipe, a FIFO, a terminal) is written where it is: the
    // planner allowed only --offset-out 0 there.
    let mut pos_out = job.dest_seekable.then_some(range.offset_out);
    if range.overlap {
        let len = range.len.unwrap_or(0);
        let copied = if range.offset_out > range.offset_in {
            rw::copy_backward(
                engine,
                src.as_fd(),
                range.offset_in,
                dst.as_fd(),
                range.offset_out,
                len,
            )
            .map_err(|e| rw_error(job, e))?
        } else {
            copy_span(
                engine,
                job,
                src.as_fd(),
                &mut pos_in,
                dst.as_fd(),
                &mut pos_out,
                Some(len),
                false,
                false,
                &mut outcome,
            )?
        };
        outcome.bytes = copied;
        outcome.method = Method::ReadWrite;
        outcome.extents = u64::from(copied > 0);
        return Ok(outcome);
    }
    let use_cfr = job.kernel_copy && !stream;
    let copied = copy_span(
        engine,
        job,
        src.as_fd(),
        &mut pos_in,
        dst.as_fd(),
        &mut pos_out,
        range.len,
        use_cfr,
        false,
        &mut outcome,
    )
    .map_err(|mut e| {
        // A stream, or a file whose size says nothing (/proc), is not "changed": it is
        // shorter than the range asked for; say by how much.
        if stream || !job.source_facts.has_trusted_size() {
            let got = match (pos_in, pos_out) {
                (Some(at), _) => Some(at - range.offset_in),
                (None, Some(at)) => Some(at - range.offset_out),
                (None, None) => None,
            };
            let short = match (got, range.len) {
                (Some(got), Some(len)) => format!("ended early, after {got} of --len {len} bytes"),
                _ => "ended early".to_owned(),
            };
            e.message = e.message.replace("changed size while being copied", &short);
        }
        e
    })?;
    outcome.bytes = copied;
    outcome.extents = u64::from(copied > 0);
    Ok(outcome)
}

/// Copies one span (a whole file, an extent or a range): copy_file_range first if allowed,
/// then read/write from wherever it stopped. A source that ends before `len` is an error for a
/// ranged job only; other spans end at end of file (the caller sees the shorter count).
#[allow(clippy::too_many_arguments)]
fn copy_span(
    engine: &Engine<'_>,
    job: &Job,
    src: BorrowedFd<'_>,
    pos_in: &mut Option<u64>,
    dst: BorrowedFd<'_>,
    pos_out: &mut Option<u64>,
    len: Option<u64>,
    use_cfr: bool,
    skip_zeros: bool,
    outcome: &mut Outcome,
) -> Result<u64, JobError> {
    let reserved = match (*pos_out, len) {
        (Some(at), Some(len)) if job.preallocate && !skip_zeros => preallocate(dst, at, len),
        _ => false,
    };
    // Only a promised length (`--len`, a range) must be met; elsewhere `len` is the size at
    // open, a hint: the span ends where the kernel says the file ends (DESIGN rule 9).
    let exact = job.strategy == Strategy::Ranged;
    // The copy proper, in a closure so that every way out of it passes the release below.
    let mut copy = || -> Result<u64, JobError> {
        let mut copied = 0;
        if use_cfr {
            outcome.tried_cfr = true;
            let file_progress = outcome.bytes;
            let pair = (job.source_facts.dev, job.dest_dev);
            let (n, end) = if engine.known_exdev(pair) && !job.kernel_copy_only {
                (0, CfrEnd::Fallback(Reason::Exdev))
            } else {
                cfr::copy(engine, src, pos_in, dst, pos_out, len, file_progress).map_err(|e| {
                    JobError::new(format!(
                        "error copying {} to {}: {}",
                        quote(job.source.display_path()),
                        quote(job.dest.display_path()),
                        errno_text_of(e.errno)
                    ))
                })?
            };
            if end == CfrEnd::Fallback(Reason::Exdev) {
                engine.remember_exdev(pair);
            }
            copied = n;
            if n > 0 {
                outcome.method = Method::CopyFileRange;
            }
            match end {
                CfrEnd::Done => return Ok(copied),
                // A 0 after progress proves nothing (DESIGN rule 3): a read at this offset
                // says whether the source ended or the filesystem gave up on the kernel copy.
                CfrEnd::ZeroReturn if file_progress + copied > 0 => {
                    let data_there = pos_in.is_some_and(|at| !rw::at_eof(src, at));
                    if !data_there {
                        if exact && len.is_some() {
                            return Err(shrank(job));
                        }
                        return Ok(copied);
                    }
                    if job.kernel_copy_only {
                        return Err(JobError::new(format!(
                            "copy_file_range stopped copying {} before its end; --method=copy-file-range does not fall back",
                            quote(job.source.display_path())
                        )));
                    }
                    outcome.fallback = Some((Reason::ZeroReturn, pos_in.unwrap_or(0)));
                }
                // A 0 before the first byte: if a read agrees there is nothing at this offset, the
                // file is simply empty (or already ended), which is no reason to fall back.
                CfrEnd::ZeroReturn if pos_in.is_some_and(|at| rw::at_eof(src, at)) => {
                    if exact && len.is_some_and(|l| l > 0) {
                        return Err(shrank(job));
                    }
                    return Ok(copied);
                }
                CfrEnd::ZeroReturn => {
                    if job.kernel_copy_only {
                        return Err(JobError::new(format!(
                            "copy_file_range copied nothing from {} (a file the kernel cannot copy, such as one in /proc); --method=copy-file-range does not fall back",
                            quote(job.source.display_path())
                        )));
                    }
                    outcome.fallback = Some((Reason::ZeroReturn, pos_in.unwrap_or(0)));
                }
                CfrEnd::Fallback(reason) => {
                    if job.kernel_copy_only {
                        let why = reason
                            .errno()
                            .map_or_else(|| reason.name().to_owned(), errno_text_of);
                        return Err(JobError::new(format!(
                            "cannot copy {} to {} with copy_file_range: {why}; --method=copy-file-range does not fall back",
                            quote(job.source.display_path()),
                            quote(job.dest.display_path()),
                        )));
                    }
                    outcome.fallback = Some((reason, pos_in.unwrap_or(copied)));
                }
            }
        }
        let rest = len.map(|l| l - copied);
        // After copy_file_range gave way between two files, sendfile still copies in the kernel.
        if let (true, Some(rest), Some(at)) = (use_cfr && !skip_zeros, rest, pos_in.as_mut()) {
            if job.source_facts.has_trusted_size() {
                let fresh = outcome.method != Method::Sendfile && job.strategy != Strategy::Ranged;
                let (sent, end) =
                    rw::send(engine, src, at, dst, pos_out, rest, fresh).map_err(|e| {
                        JobError::new(format!(
                            "error copying {} to {}: {}",
                            quote(job.source.display_path()),
                            quote(job.dest.display_path()),
                            errno_text_of(e)
                        ))
                    })?;
                copied += sent;
                if sent > 0 {
                    outcome.method = Method::Sendfile;
                }
                match end {
                    rw::SendEnd::Done => return Ok(copied),
                    rw::SendEnd::Short if exact => return Err(shrank(job)),
                    rw::SendEnd::Short => return Ok(copied),
                    rw::SendEnd::Unsupported => {}
                }
            }
        }
        let rest = len.map(|l| l - copied);
        let run = rw::copy(engine, src, pos_in, dst, pos_out, rest, skip_zeros)
            .map_err(|e| rw_error(job, e))?;
        if run.copied > 0 {
            outcome.method = Method::ReadWrite;
        }
        outcome.zeros |= run.made_holes;
        copied += run.copied;
        if run.short && exact {
            return Err(shrank(job));
        }
        Ok(copied)
    };
    let result = copy();
    if result.is_err() && reserved {
        release_reserved_blocks(dst);
    }
    result
}

/// Spans shorter than this are written without reserving their blocks first: below it,
/// the extra `fallocate` costs more than ext4's delayed allocation (measured: 0.9x at 1 MiB,
/// 1.1x at 64 KiB).
const PREALLOCATE_MIN: u64 = 1 << 20;

/// Reserves the blocks of `at..at+len` in `dst` without changing its size, so that the writes
/// that follow fill allocated blocks. Best effort: any failure (no support, no space) is left
/// for the writes themselves to meet and report. Returns whether blocks past the end of the
/// file were reserved (they outlive a failed copy until the file is truncated).
fn preallocate(dst: BorrowedFd<'_>, at: u64, len: u64) -> bool {
    if len < PREALLOCATE_MIN {
        return false;
    }
    let Ok(before) = fstat(dst) else {
        return false;
    };
    if rustix::fs::fallocate(dst, rustix::fs::FallocateFlags::KEEP_SIZE, at, len).is_err() {
        return false;
    }
    // Blocks the file had reserved already (by whoever) are not ours to give back.
    let grew = fstat(dst).is_ok_and(|after| after.st_blocks > before.st_blocks);
    grew && at + len > before.st_size as u64
}

/// After a failed copy that reserved blocks past the end of the file: gives them back by
/// truncating the file to its own size (ext4 drops preallocated blocks even when the size does
/// not change). A file fcopy created is removed anyway; this is for an existing one.
fn release_reserved_blocks(dst: BorrowedFd<'_>) {
    if let Ok(st) = fstat(dst) {
        let _ = ftruncate(dst, st.st_size as u64);
    }
}

fn shrank(job: &Job) -> JobError {
    JobError::new(format!(
        "{} changed size while being copied",
        quote(job.source.display_path())
    ))
}

fn rw_error(job: &Job, e: RwError) -> JobError {
    match e {
        RwError::Read(e) => JobError::new(format!(
            "error reading {}: {}",
            quote(job.source.display_path()),
            errno_text_of(e)
        )),
        RwError::Write(e) => JobError::new(format!(
            "error writing {}: {}",
            quote(job.dest.display_path()),
            errno_text_of(e)
        )),
    }
}
