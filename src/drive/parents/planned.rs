//! `--parents` under `--dry-run`: DEST's leading directories planned, not made, and refused
//! where the run could not make them; DIRECTORY stood in for when `--mkpath` would make it.

use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{statat, AtFlags, CWD};
use rustix::io::Errno;

use super::super::errors::WalkError;
use super::super::files::allowed;
use super::super::Copier;
use crate::exec::dirs::open_dir;
use crate::exec::probe;

impl Copier<'_, '_> {
    /// Plans the `--parents` directory `dst_dir` (for the source directory `src_dir`), if it is
    /// missing; `in_planned`: a directory above it is planned already. Returns whether it is
    /// missing (GNU's `new_dst`). The first one missing must be one the run could make: in a
    /// directory the caller may write and search, not immutable, not on a read-only mount
    /// ([`allowed::may_create_at`]), as the kernel checks the run's `mkdirat`; the plan refuses
    /// it with the run's message (red team, round 9: as nobody, `--dry-run --parents a/b/f
    /// ro/` planned `ro/a`; the run said "cannot make directory 'ro/a': Permission denied").
    /// A directory `--mkpath` plans to make takes anything.
    pub(super) fn plan_parent(
        &mut self,
        src_dir: &Path,
        dst_dir: &Path,
        in_planned: &mut bool,
    ) -> Result<bool, WalkError> {
        super::source_dir_facts(src_dir)?;
        let missing = statat(CWD, dst_dir, AtFlags::SYMLINK_NOFOLLOW).is_err();
        if !missing {
            return Ok(false);
        }
        let parent = probe::parent_dir(dst_dir);
        if !*in_planned && !self.reporter.planned_dir(parent) {
            allowed::may_create_at(CWD, parent).map_err(|errno| WalkError::MakeDirectory {
                path: dst_dir.to_path_buf(),
                errno,
            })?;
        }
        *in_planned = true;
        self.reporter.planned_parent(src_dir, dst_dir);
        Ok(true)
    }

    /// Opens DIRECTORY. Under `--dry-run`, one `--mkpath` would make is stood in for by its
    /// nearest existing ancestor (red team, round 8: `--dry-run --parents --mkpath -r sd/q n/`
    /// said `cannot access 'n'`; the run copied).
    pub(super) fn open_top(&self, top: &Path) -> Result<OwnedFd, Errno> {
        let opened = open_dir(CWD, top, false);
        if !(self.cfg.dry_run
            && matches!(opened, Err(Errno::NOENT))
            && self.reporter.planned_dir(top))
        {
            return opened;
        }
        let mut above = top.ancestors().skip(1).chain([Path::new(".")]); // "" is not opened
        above
            .find_map(|up| open_dir(CWD, up, false).ok())
            .ok_or(Errno::NOENT)
    }
}
