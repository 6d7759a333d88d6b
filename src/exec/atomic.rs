//! `--atomic`: the new contents are written to a temporary file in DEST's directory, completed
//! (data, metadata, `--sync`), then put in place with one rename, so DEST is at every moment
//! either its old self or the complete new file.
//!
//! The temporary is anonymous where the filesystem allows (`O_TMPFILE`, linked in through
//! `/proc/self/fd` only when complete), so even SIGKILL leaves nothing behind. Elsewhere it is
//! `.NAME.fcopy-XXXXXX` (`O_CREAT|O_EXCL`, mode 0600), removed on any failure or interrupt; only
//! a kill (or power cut) can leave one, and `find DIR -name '.*.fcopy-*'` finds it. A kill
//! between naming a temporary and the rename (an anonymous one must be named first to replace
//! an existing DEST) leaves one too; the next atomic run into that directory removes such stale
//! temporaries (see [`remove_stale_temps`]).

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fs::{
    fchown, flock, fstat, ftruncate, ioctl_ficlone, linkat, openat, renameat, renameat_with,
    statat, unlinkat, Access, AtFlags, FileType, FlockOperation, Gid, Mode, OFlags, RenameFlags,
    Stat, Uid,
};
use rustix::io::Errno;

use super::extents::DataExtents;
use super::{cfr, run_strategy, rw, sync_dir, sync_file, Engine, Fd, JobError, Outcome};
use crate::plan::{Job, Strategy};
use crate::report::{errno_text_of, quote};

/// The marker in temporary names: `.NAME.fcopy-XXXXXX`.
pub const TEMP_MARK: &str = ".fcopy-";

/// Where an atomic job puts its file: DEST's directory, its last name, and what is there now.
pub struct Place {
    /// DEST's directory (read-only, or `O_PATH` when it cannot be read).
    dir: OwnedFd,
    /// DEST's last component in `dir`.
    name: OsString,
    /// DEST's directory as shown in messages.
    dir_shown: PathBuf,
    /// The regular file DEST names now, if any.
    old: Option<Stat>,
    /// `-f` over a DEST we may not write: as in place (where it would be removed and created
    /// anew), the new file gets a new file's mode and owner.
    recreate: bool,
}

impl Place {
    /// Finds DEST's directory and current file. `None` means "copy in place instead": standard
    /// output, or a DEST that is not a regular file (a device, a FIFO — replacing `/dev/null`
    /// by a regular file is never what anyone wants), or a dangling symlink.
    pub fn resolve(job: &Job) -> Result<Option<Place>, JobError> {
        let Some((dir, path)) = job.dest.dir_and_name() else {
            return Ok(None);
        };
        let shown = job.dest.display_path();
        let Some(place) = Self::at(dir, path, shown)? else {
            return Ok(None);
        };
        if let Some(old) = &place.old {
            if FileType::from_raw_mode(old.st_mode) == FileType::Symlink {
                // DEST is a link to a file: as in a plain overwrite, the file it names gets the
                // new contents (and the link stays), so the rename happens where the file is.
                return Self::through_symlink(&place, shown);
            }
        }
        let mut place = place;
        place.check_writable(job, shown)?;
        Ok(Some(place))
    }

    /// Opens the directory of `path` (relative to `dir`) and looks at its last component.
    fn at(dir: BorrowedFd<'_>, path: &Path, shown: &Path) -> Result<Option<Place>, JobError> {
        let Some(name) = path.file_name() else {
            return Ok(None);
        };
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir_shown = match shown.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let cannot = |e: Errno| {
            JobError::new(format!(
                "cannot create regular file {}: {}",
                quote(shown),
                errno_text_of(e)
            ))
        };
        let flags = OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir_fd = match openat(dir, parent, flags | OFlags::RDONLY, Mode::empty()) {
            Ok(fd) => fd,
            // A directory we may write and search but not list: renames work, fsync does not.
            Err(Errno::ACCESS) => {
                openat(dir, parent, flags | OFlags::PATH, Mode::empty()).map_err(cannot)?
            }
            Err(e) => return Err(cannot(e)),
        };
        let old = match statat(&dir_fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile | FileType::Symlink => Some(st),
                _ => return Ok(None),
            },
            Err(Errno::NOENT) => None,
            Err(e) => return Err(cannot(e)),
        };
        Ok(Some(Place {
            dir: dir_fd,
            name: name.to_owned(),
            dir_shown,
            old,
            recreate: false,
        }))
    }

    /// DEST is a symlink: the place is the file it resolves to (via `/proc/self/fd`).
    fn through_symlink(link: &Place, shown: &Path) -> Result<Option<Place>, JobError> {
        let target = match openat(
            &link.dir,
            &link.name,
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            // Dangling (the planner allowed it only with -f): replaced in place, as without --atomic.
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => {
                return Err(JobError::new(format!(
                    "cannot open {} for writing: {}",
                    quote(shown),
                    errno_text_of(e)
                )))
            }
        };
        let st = fstat(&target).map_err(|e| resolve_error(shown, e))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Ok(None);
        }
        let proc = format!("/proc/self/fd/{}", rustix::fd::AsRawFd::as_raw_fd(&target));
        let real = rustix::fs::readlinkat(rustix::fs::CWD, proc.as_str(), Vec::new())
            .map_err(|e| resolve_error(shown, e))?;
        let real = PathBuf::from(OsString::from_vec(real.into_bytes()));
        match Self::at(rustix::fs::CWD, &real, &real)? {
            Some(place)
                if place
                    .old
                    .as_ref()
                    .is_some_and(|o| (o.st_dev, o.st_ino) == (st.st_dev, st.st_ino)) =>
            {
                Ok(Some(place))
            }
            _ => Err(resolve_error(shown, Errno::NOENT)),
        }
    }

    /// A plain overwrite needs write permission on DEST (unless `-f`); so does `--atomic`,
    /// although a rename would not.
    fn check_writable(&mut self, job: &Job, shown: &Path) -> Result<(), JobError> {
        if self.old.is_none() {
            return Ok(());
        }
        match rustix::fs::accessat(&self.dir, &self.name, Access::WRITE_OK, AtFlags::empty()) {
            Ok(()) => Ok(()),
            Err(_) if job.force => {
                self.recreate = true;
                Ok(())
            }
            // GNU cp's words for a destination it cannot open (as without --atomic).
            Err(e) => Err(JobError::new(format!(
                "cannot create regular file {}: {}",
                quote(shown),
                errno_text_of(e)
            ))),
        }
    }
}

fn resolve_error(shown: &Path, e: Errno) -> JobError {
    JobError::new(format!(
        "cannot resolve symbolic link {} for --atomic: {}",
        quote(shown),
        errno_text_of(e)
    ))
}

/// The temporary file: anonymous (`O_TMPFILE`) or named; a named one is removed on drop unless
/// it was renamed into place.
struct Temp<'d> {
    fd: Fd,
    dir: BorrowedFd<'d>,
    name: Option<OsString>,
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if let Some(name) = &self.name {
            let _ = unlinkat(self.dir, name.as_os_str(), AtFlags::empty());
        }
    }
}

/// Whether `/proc/self/fd` is there to link an `O_TMPFILE` file into place.
fn proc_fd_available() -> bool {
    statat(rustix::fs::CWD, "/proc/self/fd", AtFlags::empty())
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}

/// `.NAME.fcopy-XXXXXX` with six random characters (NAME cut to keep within NAME_MAX):
/// letter, digit, letter, digit, letter, digit (`a-z`, `2-7`; e.g. `k3p7b2`), a fixed shape that
/// [`is_temp_name`] requires so that a user's `.notes.fcopy-backup` is never taken for one.
fn temp_name(name: &OsStr) -> OsString {
    let mut random = [0u8; 6];
    let filled = openat(
        rustix::fs::CWD,
        "/dev/urandom",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|fd| rustix::io::read(&fd, &mut random))
    .is_ok_and(|n| n == random.len());
    if !filled {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mix = t ^ (u64::from(rustix::process::getpid().as_raw_nonzero().get() as u32) << 20);
        random = mix.to_le_bytes()[..6].try_into().expect("6 bytes");
    }
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len().min(200) + 14);
    out.push(b'.');
    out.extend_from_slice(&bytes[..bytes.len().min(200)]);
    out.extend_from_slice(TEMP_MARK.as_bytes());
    out.extend(random.iter().enumerate().map(|(i, b)| {
        if i % 2 == 0 {
            b'a' + b % 26
        } else {
            b'2' + b % 6
        }
    }));
    OsString::from_vec(out)
}

/// Creates a named temporary beside DEST (`O_CREAT|O_EXCL`, 0600), retrying name clashes, and
/// takes an exclusive `flock` on it, held until the descriptor is closed, so that another run's
/// [`remove_stale_temps`] leaves it alone however long this run pauses.
///
/// Between the create and the lock another run could take the file for stale (it is older
/// than that run and not yet locked) and remove it; so once locked, the name is checked to
/// still be this file, else a new temporary is made.
fn create_named(dir: BorrowedFd<'_>, name: &OsStr) -> Result<(OwnedFd, OsString), Errno> {
    let mut tries = 0;
    loop {
        let temp = temp_name(name);
        match openat(
            dir,
            temp.as_os_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => {
                // Best effort: where locks fail (ENOLCK on some NFS), the cleanup cannot lock
                // either and so leaves the file.
                let _ = flock(&fd, FlockOperation::LockExclusive);
                let st = fstat(&fd)?;
                match statat(dir, temp.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(now) if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino) => {
                        return Ok((fd, temp))
                    }
                    // Removed by a cleanup that locked it first: another name.
                    Ok(_) | Err(Errno::NOENT) if tries < 16 => tries += 1,
                    Ok(_) => return Err(Errno::NOENT),
                    Err(e) => return Err(e),
                }
            }
            Err(Errno::EXIST) if tries < 16 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// When this run began ([`mark_run_start`]): only temporaries older than that are stale.
static RUN_STARTED: std::sync::OnceLock<(i64, i64)> = std::sync::OnceLock::new();

/// Notes when the run began (the first call wins): temporaries changed after it are not
/// stale. Called when fcopy starts, before any file is copied.
pub fn mark_run_start() {
    RUN_STARTED.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (now.as_secs() as i64, i64::from(now.subsec_nanos()))
    });
}

/// Directories (device, inode) already cleared of stale temporaries in this run.
static CLEARED_DIRS: std::sync::Mutex<Vec<(u64, u64)>> = std::sync::Mutex::new(Vec::new());

/// Whether `name` has the shape fcopy gives its temporaries: `.NAME.fcopy-XXXXXX`, the six
/// characters letter, digit, letter, digit, letter, digit as [`temp_name`] makes them.
fn is_temp_name(name: &[u8]) -> bool {
    let mark = TEMP_MARK.as_bytes();
    let Some(stem) = name.len().checked_sub(mark.len() + 6) else {
        return false;
    };
    name.len() > mark.len() + 7
        && name[0] == b'.'
        && &name[stem..stem + mark.len()] == mark
        && name[stem + mark.len()..].iter().enumerate().all(|(i, &c)| {
            if i % 2 == 0 {
                c.is_ascii_lowercase()
            } else {
                (b'2'..=b'7').contains(&c)
            }
        })
}

/// Removes the temporaries that an earlier fcopy left in `dir` when it was killed between
/// naming its temporary and the rename (SIGKILL, power cut): regular files named
/// `.NAME.fcopy-XXXXXX` (the shape of [`is_temp_name`]), one link, owned by this user, neither
/// written nor renamed since before this run began, and not locked: a running fcopy holds an
/// exclusive `flock` on its named temporary however long it pauses (red-team finding: a
/// paused writer's temporary was removed). Once per directory per run; best effort (a failure
/// leaves the file, as before).
fn remove_stale_temps(dir: BorrowedFd<'_>) {
    mark_run_start();
    let started = *RUN_STARTED.get().expect("set just now");
    let Ok(st) = fstat(dir) else { return };
    match CLEARED_DIRS.lock() {
        Ok(mut cleared) if !cleared.contains(&(st.st_dev, st.st_ino)) => {
            if cleared.len() < 4096 {
                cleared.push((st.st_dev, st.st_ino));
            }
        }
        _ => return,
    }
    let Ok(entries) = rustix::fs::Dir::read_from(dir) else {
        return;
    };
    let me = rustix::process::geteuid();
    for entry in entries.flatten() {
        let name = entry.file_name().to_bytes();
        if !is_temp_name(name) {
            continue;
        }
        let name = OsStr::from_bytes(name);
        let Ok(fd) = openat(
            dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        ) else {
            continue;
        };
        let Ok(st) = fstat(&fd) else { continue };
        let older = |secs: i64, nsecs: i64| (secs, nsecs) < started;
        let stale = FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
            && st.st_nlink == 1
            && st.st_uid == me.as_raw()
            && older(st.st_mtime, st.st_mtime_nsec as i64)
            && older(st.st_ctime, st.st_ctime_nsec as i64);
        // Locked: a running fcopy's. The lock is held until `fd` closes, after the unlink, so
        // a writer that creates and then locks finds its name gone (see [`create_named`]).
        if !stale || flock(&fd, FlockOperation::NonBlockingLockExclusive).is_err() {
            continue;
        }
        // The name must still be the file checked and locked. Between this check and the
        // unlink another process could rename a different file to this name; no syscall
        // unlinks "this name if it is this inode", so that tiny window stays.
        let same = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|now| (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino));
        if same {
            let _ = unlinkat(dir, name, AtFlags::empty());
        }
    }
}

/// Creates the temporary: `O_TMPFILE` if the filesystem has it, else a named file.
fn create_temp<'d>(dir: BorrowedFd<'d>, name: &OsStr) -> Result<Temp<'d>, Errno> {
    remove_stale_temps(dir);
    if proc_fd_available() {
        match openat(
            dir,
            ".",
            OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => {
                // Locked before it has a name (see `put_in_place`), so no run's cleanup ever
                // takes it for stale (best effort, as in `create_named`).
                let _ = flock(&fd, FlockOperation::LockExclusive);
                return Ok(Temp {
                    fd: Fd::Owned(fd),
                    dir,
                    name: None,
                });
            }
            // No O_TMPFILE on this filesystem (or kernel): use a name.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOENT) => {}
            Err(e) => return Err(e),
        }
    }
    let (fd, temp) = create_named(dir, name)?;
    Ok(Temp {
        fd: Fd::Owned(fd),
        dir,
        name: Some(temp),
    })
}

/// Runs a job through a temporary file and renames it over DEST.
pub fn run(engine: &Engine<'_>, job: &Job, src: &Fd, place: Place) -> Result<Outcome, JobError> {
    let src_name = job.source.display_path();
    let dst_name = job.dest.display_path();
    let dir = place.dir.as_fd();
    let old = place.old.as_ref();
    let mut temp = create_temp(dir, &place.name).map_err(|e| {
        JobError::new(if old.is_some() {
            format!(
                "cannot create a temporary file in {} to replace {} (--atomic): {}",
                quote(&place.dir_shown),
                quote(dst_name),
                errno_text_of(e)
            )
        } else {
            format!(
                "cannot create regular file {}: {}",
                quote(dst_name),
                errno_text_of(e)
            )
        })
    })?;
    let interrupted = || {
        let mut err = JobError::new(format!(
            "interrupted while copying {} to {}; {} was {}",
            quote(src_name),
            quote(dst_name),
            quote(dst_name),
            if old.is_some() {
                "left unchanged"
            } else {
                "not created"
            }
        ));
        err.interrupted = true;
        err
    };
    if job.strategy == Strategy::Ranged {
        if let Some(old) = old {
            prefill(engine, job, &place, old, temp.fd.as_fd()).map_err(|e| {
                if crate::signals::pending().is_some() {
                    interrupted()
                } else {
                    e
                }
            })?;
        }
    }
    let mut outcome = run_strategy(engine, job, src, &temp.fd).map_err(|e| {
        if crate::signals::pending().is_some() {
            interrupted()
        } else {
            e
        }
    })?;
    if job.restart.verify {
        // On a mismatch the temporary goes (on drop) and DEST stays as it was.
        outcome.verified = Some(crate::restart::verify::check(
            job,
            src.as_fd(),
            temp.fd.as_fd(),
            &outcome,
        )?);
    }

    // The metadata a plain copy would give: a new DEST gets the source's mode less the umask;
    // an existing one keeps its mode and owner (unless -p/--preserve says otherwise).
    let fd = temp.fd.as_fd();
    let new_mode = match old {
        Some(old) if !place.recreate => keep_owner(job, fd, old, dst_name, &mut outcome.warnings),
        _ => job.create_mode,
    };
    let src_fd = match src {
        Fd::Owned(fd) => Some(fd.as_fd()),
        Fd::Stdio(_) => None,
    };
    let problems = crate::meta::apply(
        fd,
        src_fd,
        &job.source_facts,
        &job.preserve,
        Some(new_mode),
        dst_name,
    );
    for problem in problems {
        if problem.fatal {
            // Unlike a copy in place, nothing is half-done: DEST stays as it was.
            return Err(JobError::new(problem.message));
        }
        outcome.warnings.push(problem.message);
    }
    if job.sync {
        sync_file(&temp.fd, dst_name)?;
    }
    if crate::signals::pending().is_some() {
        return Err(interrupted());
    }
    // Delayed write errors (NFS, CIFS, FUSE) show at close: check before DEST is replaced.
    super::flush_by_close(temp.fd.as_fd()).map_err(|e| {
        JobError::new(format!(
            "failed to close {}: {}",
            quote(dst_name),
            errno_text_of(e)
        ))
    })?;
    put_in_place(job, &place, &mut temp, dst_name)?;
    if job.sync {
        sync_dir(&place.dir, &place.dir_shown).map_err(|mut e| {
            e.note = Some(format!(
                "{} was replaced, but the change may not survive a crash",
                quote(dst_name)
            ));
            e
        })?;
    }
    Ok(outcome)
}

/// Makes the temporary carry DEST's owner (when ownership is not preserved from the source);
/// returns the mode to give it: DEST's, less the set-id bits a write by non-root would clear.
fn keep_owner(
    job: &Job,
    fd: BorrowedFd<'_>,
    old: &Stat,
    dst_name: &Path,
    warnings: &mut Vec<String>,
) -> u32 {
    let root = rustix::process::geteuid().is_root();
    let mut mode = old.st_mode & if root { 0o7777 } else { 0o1777 };
    if !job.preserve.attrs.ownership {
        let mine = fstat(fd).is_ok_and(|st| (st.st_uid, st.st_gid) == (old.st_uid, old.st_gid));
        if !mine {
            let (uid, gid) = (Uid::from_raw(old.st_uid), Gid::from_raw(old.st_gid));
            if let Err(e) = fchown(fd, Some(uid), Some(gid)) {
                mode &= !0o6000;
                warnings.push(format!(
                    "cannot keep the owner of {} ({}:{}) in its atomic replacement: {}",
                    quote(dst_name),
                    old.st_uid,
                    old.st_gid,
                    errno_text_of(e)
                ));
            }
        }
    }
    mode
}

/// Ranged `--atomic` over an existing DEST: the temporary starts as a copy of DEST (clone,
/// else its data extents with copy_file_range or read/write, holes kept).
fn prefill(
    engine: &Engine<'_>,
    job: &Job,
    place: &Place,
    old: &Stat,
    tmp: BorrowedFd<'_>,
) -> Result<(), JobError> {
    let dst_name = job.dest.display_path();
    let fail = |what: &str, e: Errno| {
        JobError::new(format!(
            "error {what} {} into a temporary file (--atomic): {}",
            quote(dst_name),
            errno_text_of(e)
        ))
    };
    let cur = openat(
        &place.dir,
        &place.name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(|e| fail("copying", e))?;
    let st = fstat(&cur).map_err(|e| fail("copying", e))?;
    if (st.st_dev, st.st_ino) != (old.st_dev, old.st_ino) {
        return Err(JobError::new(format!(
            "{} was replaced while being copied",
            quote(dst_name)
        )));
    }
    let size = st.st_size as u64;
    if size == 0 || ioctl_ficlone(tmp, &cur).is_ok() {
        return Ok(());
    }
    let mut use_cfr = job.kernel_copy;
    for extent in DataExtents::new(cur.as_fd(), size) {
        let extent = extent.map_err(|e| fail("reading", e))?;
        let len = extent.end - extent.start;
        let (mut pos_in, mut pos_out) = (Some(extent.start), Some(extent.start));
        let mut done = 0;
        if use_cfr {
            let (n, end) = cfr::copy(
                engine,
                cur.as_fd(),
                &mut pos_in,
                tmp,
                &mut pos_out,
                Some(len),
                1,
            )
            .map_err(|e| fail("copying", e.errno))?;
            done = n;
            match end {
                cfr::CfrEnd::Done => continue,
                cfr::CfrEnd::ZeroReturn => {}
                cfr::CfrEnd::Fallback(_) => use_cfr = false,
            }
        }
        let run = rw::copy(
            engine,
            cur.as_fd(),
            &mut pos_in,
            tmp,
            &mut pos_out,
            Some(len - done),
            false,
        )
        .map_err(|e| rw_fail(&fail, e))?;
        if run.short {
            return Err(JobError::new(format!(
                "{} changed size while being copied",
                quote(dst_name)
            )));
        }
    }
    ftruncate(tmp, size).map_err(|e| fail("copying", e))
}

fn rw_fail(fail: &impl Fn(&str, Errno) -> JobError, e: rw::RwError) -> JobError {
    match e {
        rw::RwError::Read(e) => fail("reading", e),
        rw::RwError::Write(e) => fail("copying", e),
    }
}

/// Gives the complete temporary DEST's name: over the old file (`rename`), or as a new name
/// that must not exist (`linkat` for an anonymous temporary, `RENAME_NOREPLACE` for a named
/// one; with `-f` an entry that appeared meanwhile is replaced).
fn put_in_place(
    job: &Job,
    place: &Place,
    temp: &mut Temp<'_>,
    dst_name: &Path,
) -> Result<(), JobError> {
    let dir = place.dir.as_fd();
    let name = place.name.as_os_str();
    let replace = place.old.is_some() || job.force;
    let error = |e: Errno| {
        JobError::new(if place.old.is_some() {
            format!("cannot replace {}: {}", quote(dst_name), errno_text_of(e))
        } else {
            format!(
                "cannot create regular file {}: {}",
                quote(dst_name),
                errno_text_of(e)
            )
        })
    };
    if temp.name.is_none() {
        let proc = format!(
            "/proc/self/fd/{}",
            rustix::fd::AsRawFd::as_raw_fd(&temp.fd.as_fd())
        );
        if !replace {
            return linkat(
                rustix::fs::CWD,
                proc.as_str(),
                dir,
                name,
                AtFlags::SYMLINK_FOLLOW,
            )
            .map_err(error);
        }
        // Give it a name first; from here the guard removes that name on failure.
        let mut tries = 0;
        loop {
            let temp_name = temp_name(name);
            match linkat(
                rustix::fs::CWD,
                proc.as_str(),
                dir,
                temp_name.as_os_str(),
                AtFlags::SYMLINK_FOLLOW,
            ) {
                Ok(()) => {
                    temp.name = Some(temp_name);
                    break;
                }
                Err(Errno::EXIST) if tries < 16 => tries += 1,
                Err(e) => return Err(error(e)),
            }
        }
    }
    let temp_name = temp.name.clone().expect("named by now");
    if replace {
        renameat(dir, temp_name.as_os_str(), dir, name).map_err(error)?;
    } else {
        match renameat_with(
            dir,
            temp_name.as_os_str(),
            dir,
            name,
            RenameFlags::NOREPLACE,
        ) {
            // No RENAME_NOREPLACE on this filesystem: a hard link cannot replace either (the
            // guard then removes the temporary name).
            Err(Errno::INVAL | Errno::NOSYS) => {
                return linkat(dir, temp_name.as_os_str(), dir, name, AtFlags::empty())
                    .map_err(error);
            }
            other => other.map_err(error)?,
        }
    }
    // Renamed: the temporary name is gone.
    temp.name = None;
    Ok(())
}
