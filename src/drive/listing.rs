//! Reading a directory's names in the order the walk copies them (ascending inode number, as
//! GNU cp): used by the walk entering a directory and by a look-ahead helper reading the next
//! one ahead of it ([`super::lookahead`]); the walk then takes the helper's listing instead of
//! reading the directory again ([`expect_listing`]).

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{fstat, RawDir};
use rustix::io::Errno;

/// A listing of the directory (dev, ino), read ahead by a helper.
type Listing = ((u64, u64), Vec<OsString>);

thread_local! {
    /// The listing the walk's next [`read_entries`] returns if it reads that directory.
    static READ_AHEAD: RefCell<Option<Listing>> = const { RefCell::new(None) };
}

/// The walk is about to enter the directory `id`, which a helper has listed (`names`): the next
/// [`read_entries`] on this thread of a descriptor of that very directory (by `fstat`) returns
/// them instead of reading it (two `getdents64` calls and, on ext4, the hashed directory's
/// sort, issue 16). [`unexpect_listing`] takes them back if they were not used.
pub(super) fn expect_listing(id: (u64, u64), names: Vec<OsString>) {
    READ_AHEAD.with(|r| *r.borrow_mut() = Some((id, names)));
}

/// The listing given to [`expect_listing`] if no [`read_entries`] took it.
pub(super) fn unexpect_listing() -> Option<Vec<OsString>> {
    READ_AHEAD
        .with(|r| r.borrow_mut().take())
        .map(|(_, names)| names)
}

/// Reads a directory's names (or takes those [`expect_listing`] was given for it), sorted by
/// inode number as GNU cp does (fast on most filesystems), from `dir` itself (open for reading; read from its start) with a 32 KiB buffer, as glibc's
/// `readdir` reads (`ENOMEM` when not even 1 KiB can be had). rustix's `Dir` reopened the directory (`openat(fd, ".")`: one descriptor
/// and, on a network or FUSE filesystem, a lookup and an open more per directory) and read it
/// in steps of about 1 KiB: on GlusterFS 72 READDIRP requests for the 10-directory tree
/// against GNU cp's 22 (measured by the gluster helper, round 5), on ext4 four `getdents64`
/// calls per 100-entry directory instead of two.
pub(super) fn read_entries(dir: BorrowedFd<'_>) -> Result<Vec<OsString>, Errno> {
    use std::mem::MaybeUninit;
    if let Some((id, names)) = READ_AHEAD.with(|r| r.borrow_mut().take()) {
        if fstat(dir).is_ok_and(|st| (st.st_dev, st.st_ino) == id) {
            return Ok(names);
        }
    }
    rustix::fs::seek(dir, rustix::fs::SeekFrom::Start(0))?;
    // On the heap, fallibly (the walk's stack stays within what the kernel maps at exec, which
    // cannot grow under `ulimit -v`); 1 KiB, as before, when 32 KiB cannot be had.
    let mut buf: Vec<MaybeUninit<u8>> = Vec::new();
    let size = match buf.try_reserve_exact(32 * 1024) {
        Ok(()) => 32 * 1024,
        Err(_) => {
            buf.try_reserve_exact(1024).map_err(|_| Errno::NOMEM)?;
            1024
        }
    };
    buf.resize(size, MaybeUninit::uninit());
    let mut raw = RawDir::new(dir, &mut buf);
    let mut entries = Vec::new();
    while let Some(entry) = raw.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        entries.push((entry.ino(), OsStr::from_bytes(name).to_owned()));
    }
    Ok(pop_order(entries))
}

/// The names to pop from the end in ascending inode order, names of one inode (hard links) in
/// directory order: sorted by descending (inode, position). GNU cp sorts by inode with glibc's
/// stable sort, so hard links are met in directory order; met the other way round, `cp -a -u`
/// linked the name whose DEST was newer to the other's copy, its data gone, where GNU kept it
/// (new user, round 10).
pub(super) fn pop_order(entries: Vec<(u64, OsString)>) -> Vec<OsString> {
    let mut numbered: Vec<_> = entries.into_iter().enumerate().collect();
    numbered.sort_unstable_by_key(|(at, (ino, _))| std::cmp::Reverse((*ino, *at)));
    numbered.into_iter().map(|(_, (_, n))| n).collect()
}
