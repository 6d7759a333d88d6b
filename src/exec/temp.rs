//! `--atomic`'s temporary file beside DEST: anonymous (`O_TMPFILE`) where the filesystem
//! allows, else `.NAME.fcopy-XXXXXX` (`O_CREAT|O_EXCL`, 0600, `flock`ed while in use); and the
//! removal of temporaries that a killed run left behind ([`remove_stale_temps`]).

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::fs::{
    flock, fstat, linkat, openat, renameat, renameat_with, statat, unlinkat, AtFlags, FileType,
    FlockOperation, Mode, OFlags, RenameFlags, CWD,
};
use rustix::io::Errno;

use super::open::Fd;

/// The marker in temporary names: `.NAME.fcopy-XXXXXX`.
pub const TEMP_MARK: &str = ".fcopy-";

/// The temporary file: anonymous (`O_TMPFILE`) or named; a named one is removed on drop unless
/// it was renamed into place.
pub(super) struct Temp<'d> {
    pub fd: Fd,
    pub dir: BorrowedFd<'d>,
    /// The temporary's name in `dir` (`None`: anonymous, or renamed into place).
    pub name: Option<OsString>,
    /// `--resume --atomic`'s `.NAME.fcopy-partial`: kept on failure for the next run.
    pub keep: bool,
    /// A kept partial file's mark ([`super::partial::PARTIAL_XATTR`]), removed once complete.
    pub mark: Option<Vec<u8>>,
    /// A kept partial file this run goes on with: its size when found, in bytes (0: a new
    /// temporary, or a partial file started again).
    pub continued_from: u64,
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if !self.keep {
            self.discard();
        }
    }
}

impl Temp<'_> {
    /// Removes the temporary's name now (a kept partial file whose data failed `--verify`).
    pub(super) fn discard(&self) {
        if let Some(name) = &self.name {
            let _ = unlinkat(self.dir, name.as_os_str(), AtFlags::empty());
        }
    }
}

/// Whether `/proc/self/fd` is there to link an `O_TMPFILE` file into place.
pub(super) fn proc_fd_available() -> bool {
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
pub(super) fn create_temp<'d>(dir: BorrowedFd<'d>, name: &OsStr) -> Result<Temp<'d>, Errno> {
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
                    keep: false,
                    mark: None,
                    continued_from: 0,
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
        keep: false,
        mark: None,
        continued_from: 0,
    })
}

impl Temp<'_> {
    /// Gives the complete temporary DEST's name `name` in `dir`: over the old file (`rename`,
    /// with `replace`), or as a new name that must not exist (`linkat` for an anonymous
    /// temporary, `RENAME_NOREPLACE` for a named one). An anonymous temporary that replaces is
    /// named first; from then on, drop removes that name on failure.
    ///
    /// # Errors
    /// The errno of `linkat` or `renameat`.
    pub(super) fn put_in_place(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        replace: bool,
    ) -> Result<(), Errno> {
        if self.name.is_none() {
            let proc = format!(
                "/proc/self/fd/{}",
                rustix::fd::AsRawFd::as_raw_fd(&self.fd.as_fd())
            );
            if !replace {
                return linkat(CWD, proc.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW);
            }
            self.name = Some(link_named(&proc, dir, name)?);
        }
        let temp_name = self.name.clone().expect("named by now");
        if replace {
            renameat(dir, temp_name.as_os_str(), dir, name)?;
        } else {
            match renameat_with(
                dir,
                temp_name.as_os_str(),
                dir,
                name,
                RenameFlags::NOREPLACE,
            ) {
                // No RENAME_NOREPLACE on this filesystem: a hard link cannot replace either
                // (drop then removes the temporary name).
                Err(Errno::INVAL | Errno::NOSYS) => {
                    return linkat(dir, temp_name.as_os_str(), dir, name, AtFlags::empty());
                }
                other => other?,
            }
        }
        // Renamed: the temporary name is gone.
        self.name = None;
        Ok(())
    }
}

/// Links the anonymous temporary `proc` (`/proc/self/fd/N`) into `dir` under a fresh
/// temporary name for `name`; returns that name.
fn link_named(proc: &str, dir: BorrowedFd<'_>, name: &OsStr) -> Result<OsString, Errno> {
    let mut tries = 0;
    loop {
        let temp_name = temp_name(name);
        match linkat(
            CWD,
            proc,
            dir,
            temp_name.as_os_str(),
            AtFlags::SYMLINK_FOLLOW,
        ) {
            Ok(()) => return Ok(temp_name),
            Err(Errno::EXIST) if tries < 16 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}
