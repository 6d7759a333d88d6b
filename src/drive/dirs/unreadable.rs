//! A source directory that cannot be opened for reading (mode 000, no read or no search
//! permission): its copy is made all the same, empty, as GNU cp makes it.

use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::fstat;

use super::super::errors::WalkError;
use super::super::frame::Frame;
use super::super::Copier;
use super::Visit;
use crate::facts::FileFacts;
use crate::plan::Endpoint;

/// A source directory that cannot be opened for reading, as [`Copier::unreadable_dir`] takes
/// it.
pub(super) struct Unreadable {
    /// What to say (`None`: a `-x` mount point, which GNU never opens).
    pub(super) err: Option<WalkError>,
    pub(super) visit: Visit,
    /// The directory held by an `O_PATH` descriptor, checked to be the one looked at: its ACLs
    /// (which need no read permission) are copied from it, as GNU copies them by name (red
    /// team, round 7: `-a` of a 0300 directory with an ACL gave a copy without it, so its
    /// group got the ACL mask's rwx).
    pub(super) held: Option<OwnedFd>,
}

/// `src` held by an `O_PATH` descriptor (no permission needed on it), if it is still the
/// directory `facts` describe.
pub(super) fn hold_source_dir(
    src: &Endpoint,
    facts: &FileFacts,
    nofollow: bool,
) -> Option<OwnedFd> {
    use rustix::fs::{openat, Mode, OFlags};
    let (sdir, sname) = src.dir_and_name()?;
    let mut flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    let held = openat(sdir, sname, flags, Mode::empty()).ok()?;
    let st = fstat(&held).ok()?;
    ((st.st_dev, st.st_ino) == (facts.dev, facts.ino)).then_some(held)
}

impl Copier<'_, '_> {
    /// A source directory that cannot be opened (`err`: mode 000, or no read or no search
    /// permission): as GNU cp, which makes a directory's copy before it reads the directory
    /// (copy.c: `mkdir`, then `copy_dir` fails with "cannot access", then the metadata), its
    /// copy is made (and named by -v) all the same and left empty, with the mode (and, with
    /// -p, times and owner) it would have been given. `err` is said unless it is `None` (a
    /// `-x` mount point, which GNU never opens).
    pub(super) fn unreadable_dir(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        ancestors: &mut [Frame],
        why: Unreadable,
    ) {
        let Unreadable { err, visit, held } = why;
        let (src_shown, dst_shown) = (src.display_path(), dst.display_path());
        let Some(dest) = self.open_dest_dir(src, facts, dst, ancestors, visit) else {
            return;
        };
        // -v names it as GNU does, before the error; `--json` gives one record, the error
        // (red team, round 7: an "ok" record, then an "error" one, for one directory).
        let said_made = if self.cfg.json {
            err.is_none()
        } else {
            dest.created
        };
        if self.cfg.dry_run {
            self.reporter
                .planned_node("directory", src_shown, dst_shown);
        } else if said_made {
            self.reporter.node_done("directory", src_shown, dst_shown);
        }
        if let Ok(st) = fstat(&dest.fd) {
            self.remember_made(&dest, &st, dst_shown);
        }
        if let Some(err) = err {
            self.fail(src_shown, dst_shown, err);
        }
        if !dest.planned_only {
            let (created, restore) = (dest.created, dest.restore_mode);
            let src = held.as_ref().map(AsFd::as_fd);
            self.finish_dir(dest.fd.as_fd(), src, facts, created, restore, dst_shown);
        }
    }
}
