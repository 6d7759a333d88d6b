//! New files that a copy blocked in a system call would never get back to removing: the
//! watchdog removes them before fcopy dies by the stop signal. A system call that the flag
//! handler's `SA_RESTART` restarts never lets the job see the flag, so its own cleanup never
//! runs (new-user trial, round 7: `... | fcopy - out` stopped by Ctrl-C left `out`). Reads of
//! a stream now wait in `poll` ([`super::blocking`]) and take the job's own cleanup; this
//! remains for a write into a full pipe or FIFO.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use rustix::fs::{statat, unlinkat, AtFlags, Mode, OFlags};

/// A new file registered by [`register`]: (key, its directory, its name there, its (dev,
/// inode), SOURCE and DEST as shown).
struct Entry {
    key: u64,
    dir: OwnedFd,
    name: PathBuf,
    id: (u64, u64),
    shown: (PathBuf, PathBuf),
}

static ENTRIES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// How a removal is said: set once by the front end, which owns the wording (`report`).
type Sayer = Box<dyn Fn(&Path, &Path) + Send + Sync>;
static SAY_REMOVED: OnceLock<Sayer> = OnceLock::new();

/// Sets how the watchdog says that it removed the new DEST of SOURCE (the two as shown).
pub fn on_removed(say: impl Fn(&Path, &Path) + Send + Sync + 'static) {
    let _ = SAY_REMOVED.set(Box::new(say));
}

/// A registration; dropping it (the job finished, or removed the file itself) withdraws it.
pub struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut entries = ENTRIES.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|e| e.key != self.0);
    }
}

/// Registers the new file `name` in `dir`, which is the node `id` (dev, inode), being written
/// by a job that may block (SOURCE and DEST as shown, for the message). `None` when the
/// directory's descriptor cannot be duplicated (the file is then left, as before).
pub fn register(
    dir: BorrowedFd<'_>,
    name: &Path,
    id: (u64, u64),
    shown: (&Path, &Path),
) -> Option<Registered> {
    // A path's directory is the working directory (`AT_FDCWD`, which cannot be duplicated):
    // pinned by an `O_PATH` descriptor of ".", which fcopy never leaves.
    let dir = if dir.as_raw_fd() == rustix::fs::CWD.as_raw_fd() {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::open(".", flags, Mode::empty()).ok()?
    } else {
        rustix::io::fcntl_dupfd_cloexec(dir, 0).ok()?
    };
    let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    let entry = Entry {
        key,
        dir,
        name: name.to_owned(),
        id,
        shown: (shown.0.to_owned(), shown.1.to_owned()),
    };
    ENTRIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(entry);
    Some(Registered(key))
}

/// Removes every registered file that is still the node registered under its name (never
/// another file that took the name since), and says so.
pub(super) fn remove_all() {
    let entries = ENTRIES.lock().unwrap_or_else(|e| e.into_inner());
    for e in entries.iter() {
        let same = statat(&e.dir, &e.name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| (st.st_dev, st.st_ino) == e.id);
        if same && unlinkat(&e.dir, &e.name, AtFlags::empty()).is_ok() {
            if let Some(say) = SAY_REMOVED.get() {
                say(&e.shown.0, &e.shown.1);
            }
        }
    }
}
