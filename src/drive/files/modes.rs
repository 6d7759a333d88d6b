//! Regular files under `--dry-run` (the job reported, not run) and `--attributes-only` (the
//! file made or kept, its data untouched, its attributes applied).

use std::os::fd::AsFd;

use rustix::fs::{statat, AtFlags, FileType, CWD};
use rustix::io::Errno;

use crate::drive::Copier;
use crate::exec::{probe, replace as effect};
use crate::facts::{DestFacts, FileFacts};
use crate::plan::replace::ReplaceError;
use crate::plan::{self, Endpoint};

/// Whether the caller may create a file in the directory `parent`, as the kernel checks the
/// run's `openat(O_CREAT)`: write and search permission for the effective ids (`faccessat`
/// with `AT_EACCESS`), and `EROFS` on a read-only mount, which `faccessat(W_OK)` reports
/// (access(2)). A look only: a dry run changes nothing. (New-user trial, round 9: as user
/// nobody, `--dry-run f /ro-dir/x` planned the copy and exited 0; the run says "cannot create
/// regular file '/ro-dir/x': Permission denied".)
fn may_create_in(parent: &std::path::Path) -> Result<(), Errno> {
    use rustix::fs::{accessat, Access};
    accessat(
        CWD,
        parent,
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )
}

impl Copier<'_, '_> {
    /// `--dry-run`: reports the planned job. The run would fail to create a file in a missing
    /// or non-directory parent, or in one the caller may not write or that is on a read-only
    /// mount ([`may_create_in`]): so does the plan, with the same message (--parents plans its
    /// directories). Later links to this file are planned as hard links, as they will be made.
    pub(super) fn dry_run_file(
        &mut self,
        job: Box<plan::Job>,
        dest: &DestFacts,
        link_key: Option<(u64, u64)>,
    ) {
        if let (Endpoint::Path(path), DestFacts::Missing { .. }) = (&job.dest, dest) {
            let parent = probe::parent_dir(path);
            let usable = match statat(CWD, parent, AtFlags::empty()) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                    may_create_in(parent)
                }
                Ok(_) => Err(Errno::NOTDIR),
                Err(e) => Err(e),
            };
            // --parents and --mkpath plan the directories they make (report::planned_dir).
            let planned = self.cfg.parents || self.reporter.planned_dir(parent);
            if let (Err(errno), false) = (usable, planned) {
                let e = ReplaceError::CannotCreate {
                    dest: path.clone(),
                    errno,
                };
                return self.fail(job.source.display_path(), path, e);
            }
        }
        if let (DestFacts::Existing(_), Err(errno)) = (dest, self.may_write_in_place(&job)) {
            let e = ReplaceError::CannotCreate {
                dest: job.dest.display_path().to_path_buf(),
                errno,
            };
            return self.fail(job.source.display_path(), job.dest.display_path(), e);
        }
        if let Some(key) = link_key {
            let first = self.first_copy(&job.dest);
            self.links.insert(key, first);
        }
        if matches!(dest, DestFacts::Existing(_)) {
            self.note_planned_backup(&job.dest);
        }
        self.reporter.planned(&job);
    }

    /// `--dry-run` over an existing DEST the run opens for writing in place (no backup, no
    /// removal, no `--atomic`): whether it may, as the kernel checks that open (`faccessat`
    /// `W_OK` for the effective ids; `EROFS` on a read-only mount). With `-f` only `EROFS`
    /// counts: the run removes a DEST it cannot open and creates it anew. Red team, round 9:
    /// as nobody, `--dry-run s ro` (`ro` root's, mode 644) planned the copy; the run says
    /// "cannot create regular file 'ro': Permission denied", as GNU cp.
    fn may_write_in_place(&self, job: &plan::Job) -> Result<(), Errno> {
        let renamed = self.cfg.backup.is_some() || self.cfg.remove_destination || job.atomic;
        let Some((dir, name)) = job.dest.dir_and_name().filter(|_| !renamed) else {
            return Ok(());
        };
        match rustix::fs::accessat(dir, name, rustix::fs::Access::WRITE_OK, AtFlags::EACCESS) {
            Err(Errno::ACCESS) if job.force => Ok(()),
            result => result,
        }
    }

    /// `--dry-run -b` over an existing DEST: the name its backup would get now (looked up, not
    /// made), for the planned line's ` (backup: 'NAME')`, as the real run's `-v` line says it
    /// (new-user trial, round 4: the dry run did not show it).
    fn note_planned_backup(&mut self, dest: &Endpoint) {
        let Some(b) = &self.cfg.backup else {
            return;
        };
        let Some((dir, name)) = dest.dir_and_name() else {
            return;
        };
        let Ok((dir_fd, base)) = effect::split_at_dir(dir, name) else {
            return;
        };
        let named = crate::backup::backup_name_in(dir_fd.as_fd(), &base, b.control, &b.suffix);
        if let Ok(Some(backup)) = named {
            let shown = dest.display_path().with_file_name(&backup);
            self.reporter.backup_planned(&shown);
        }
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    pub(super) fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let shown = job.dest.display_path().to_path_buf();
        let fd = match effect::open_attributes_only(job) {
            Ok(fd) => fd,
            Err(e) => return self.fail(job.source.display_path(), &shown, e),
        };
        let new_mode = (!job.dest_exists).then_some(job.create_mode);
        // The source's descriptor, for xattrs.
        let src_fd = job
            .source
            .dir_and_name()
            .and_then(|(d, n)| effect::open_source_for_attributes(d, n, job.nofollow));
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
}
