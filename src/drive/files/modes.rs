//! Regular files under `--dry-run` (the job reported, not run) and `--attributes-only` (the
//! file made or kept, its data untouched, its attributes applied).

use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{accessat, statat, Access, AtFlags, FileType, CWD};
use rustix::io::Errno;

use super::allowed;
use crate::drive::errors::EntryError;
use crate::drive::Copier;
use crate::exec::{probe, replace as effect, ExecError};
use crate::facts::{DestFacts, FileFacts, FileKind};
use crate::plan::replace::ReplaceError;
use crate::plan::{self, Endpoint};

/// Whether DEST's last name is `.` (`new/.`): the kernel resolves it in the directory it
/// names, so the run's `openat(O_CREAT)` of a missing one meets that directory's absence
/// (`ENOENT`, `ENOTDIR`), whatever `--mkpath` made above it; std's `Path::parent` skips a
/// trailing `.` and gave the directory above (red team, round 9: `--dry-run --mkpath s new/.`
/// planned the copy). A trailing `..` is a name in the directory above, as `Path::parent` has
/// it.
fn ends_in_dot(path: &Path) -> bool {
    let bytes = path.as_os_str().as_bytes();
    bytes == b"." || bytes.ends_with(b"/.")
}

impl Copier<'_, '_> {
    /// `--dry-run`: reports the planned job. The run would fail to open an unreadable SOURCE
    /// ([`allowed::may_open_for_read`]), to create a file in a missing
    /// or non-directory parent, or in one the caller may not write, that is immutable or on a
    /// read-only mount ([`allowed::may_create_at`]), or under a name ending in `.`
    /// ([`ends_in_dot`]): so does the plan, with the same message (--parents plans its
    /// directories). Later links to this file are planned as hard links, as they will be made.
    pub(super) fn dry_run_file(
        &mut self,
        job: Box<plan::Job>,
        dest: &DestFacts,
        link_key: Option<(u64, u64)>,
    ) {
        // `--attributes-only` to standard output: the run's open_attributes_only refuses it.
        if self.cfg.attributes_only && job.dest.is_stdio() {
            let path = job.dest.display_path().to_path_buf();
            let e = ExecError::CreateDest {
                path,
                errno: Errno::NOTSUP,
            };
            return self.fail(job.source.display_path(), job.dest.display_path(), e);
        }
        // The run opens SOURCE first (standard input is not asked).
        if let Some((dir, name)) = job.source.dir_and_name() {
            if let Err(errno) = allowed::may_open_for_read(dir, name) {
                let path = job.source.display_path().to_path_buf();
                let e = ExecError::OpenSource { path, errno };
                return self.fail(job.source.display_path(), job.dest.display_path(), e);
            }
        }
        let created = match dest {
            DestFacts::Missing { .. } => self.may_create(&job.dest),
            _ => Ok(()),
        };
        if let Err(errno) = created {
            let e = ReplaceError::CannotCreate {
                dest: job.dest.display_path().to_path_buf(),
                errno,
            };
            return self.fail(job.source.display_path(), job.dest.display_path(), e);
        }
        let backup = match dest {
            DestFacts::Existing(old) => self.may_replace_existing(&job, old),
            _ => Ok(None),
        };
        let backup = match backup {
            Ok(backup) => backup,
            Err(e) => return self.fail(job.source.display_path(), job.dest.display_path(), e),
        };
        // Then the kernel's answer where both filesystems decide it (a clone `--reflink=always`
        // needs, `--method=copy-file-range` across filesystems): for data written into a
        // regular file at DEST's name. Not through a symlink (`--remove-destination` and `-b`
        // make the file beside it, on the link's filesystem), nor for `--attributes-only`
        // (no data), nor into a device (red team, round 21: each was refused, and the runs
        // copied, or failed otherwise).
        let regular_dest = match dest {
            DestFacts::Missing { .. } => true,
            DestFacts::Existing(old) => old.kind == FileKind::Regular,
            _ => false,
        };
        let foreseen =
            regular_dest && !self.cfg.attributes_only && job.dest_name != plan::DestName::Symlink;
        let refusal = foreseen
            .then(|| plan::known_refusal(&job, dest.fs(), dest.dev()))
            .flatten();
        if let Some(refusal) = refusal {
            let (source, dest) = (job.source.display_path(), job.dest.display_path());
            let e = match refusal {
                plan::KnownRefusal::Clone(errno) => ExecError::Clone {
                    source: source.to_path_buf(),
                    dest: dest.to_path_buf(),
                    errno,
                },
                plan::KnownRefusal::CopyFileRange => ExecError::KernelCopyRefused {
                    source: source.to_path_buf(),
                    dest: dest.to_path_buf(),
                    reason: crate::exec::Reason::Exdev,
                },
            };
            return self.fail(source, dest, e);
        }
        if let Some(key) = link_key {
            let first = self.first_copy(&job.dest);
            self.links.insert(key, first);
        }
        if let Some(backup) = backup {
            // Named on the planned line, as the run's `-v` line names it (new-user trial,
            // round 4: the dry run did not show it).
            let shown = job.dest.display_path().with_file_name(&backup);
            self.reporter.backup_planned(&shown);
        }
        self.reporter.planned(&job);
    }

    /// `--dry-run` for a missing DEST: whether the run's `openat(O_CREAT)` could create it,
    /// as the kernel decides: its directory must be there, a directory, and one the caller may
    /// make names in ([`allowed::may_create_at`]); a name ending in `.` is looked up whole
    /// ([`ends_in_dot`]). A directory `--parents` or `--mkpath` plans to make
    /// ([`crate::report::Reporter::planned_dir`]), or one the walk plans (a fresh directory of
    /// the walk, stood in for by its parent), takes anything. Entries of an existing directory
    /// are asked too (red team, round 9: `--dry-run -r tree d/` planned `d/tree/f` in an
    /// immutable `d/tree`; the run said "cannot create regular file": EPERM).
    pub(in crate::drive) fn may_create(&self, dest: &Endpoint) -> Result<(), Errno> {
        let path = match dest {
            Endpoint::Path(path) => path,
            // The walk's own directory: asked on its descriptor.
            Endpoint::At { dir, name, .. } if !self.walk_dir.is_some_and(|w| w.fresh) => {
                return match probe::parent_dir(Path::new(name)) {
                    up if up == Path::new(".") => allowed::may_create_in(dir.as_fd()),
                    up => allowed::may_create_at(dir.as_fd(), up),
                };
            }
            _ => return Ok(()),
        };
        if ends_in_dot(path) {
            return statat(CWD, path, AtFlags::empty()).map(drop);
        }
        let parent = self.climbed_out(probe::parent_dir(path));
        if self.reporter.planned_dir(&parent) {
            return Ok(());
        }
        let parent = parent.as_path();
        match statat(CWD, parent, AtFlags::empty()) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                allowed::may_create_at(CWD, parent)
            }
            Ok(_) => Err(Errno::NOTDIR),
            // --parents plans its directories (a stand-in's names are not looked up).
            Err(Errno::NOENT) if self.cfg.parents => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `--dry-run --mkpath`: the directory `dir` names once the plan's directories are made,
    /// when it climbs out of one it makes with `..` (`new/sub/..` is `new`, which it makes too;
    /// the run copies `--mkpath s new/sub/..` into it as `new/sub/../s`): each `..` below a
    /// planned directory not there yet is taken away with the name before it, as the kernel
    /// will resolve it (a directory `--mkpath` makes is no symlink). Anything else as given.
    fn climbed_out(&self, dir: &Path) -> std::path::PathBuf {
        use std::path::Component;
        let mut dir = dir.to_path_buf();
        while dir.components().next_back() == Some(Component::ParentDir) {
            let below = dir.parent().unwrap_or(Path::new(""));
            let missing = statat(CWD, below, AtFlags::SYMLINK_NOFOLLOW).is_err();
            if !self.reporter.planned_dir(below) || !missing {
                break;
            }
            dir = match below.parent() {
                Some(up) if !up.as_os_str().is_empty() => up.to_path_buf(),
                _ => Path::new(".").to_path_buf(),
            };
        }
        dir
    }

    /// `--dry-run` over an existing DEST: whether the run could back it up, remove it or
    /// open it, as the kernel would decide each of the run's calls ([`allowed`]), in the run's
    /// order and with its message. `-b` renames DEST to its backup name ("cannot backup"):
    /// DEST, and a backup it would replace, must be removable; `--remove-destination` (or `-a`
    /// over a DEST with other names) removes it ("cannot remove"); otherwise DEST is opened for
    /// writing ([`allowed::may_open_for_write`]: also `chattr +a`), and with `-f` one that
    /// cannot be opened is removed and made anew, so the failed open counts only when the
    /// removal would fail too (the run then says "cannot remove", the removal's errno, as GNU
    /// cp 9.1). `--atomic` checks DEST as an open would (real ids, as its run does) and renames
    /// its copy over DEST ("cannot replace").
    ///
    /// Red team, round 9: as nobody, in a sticky directory (1777) over root's file, over an
    /// immutable file (`chattr +i`) or on a read-only bind mount, `-b`, `--remove-destination`
    /// and `-f` planned the copy; the run refused it with `EPERM`/`EROFS`. Round 9 before: as
    /// nobody, `--dry-run s ro` (`ro` root's, mode 644) planned it; the run said "cannot create
    /// regular file 'ro': Permission denied", as GNU cp.
    ///
    /// Returns the name DEST's backup would get (`-b`), for the planned line.
    fn may_replace_existing(
        &self,
        job: &plan::Job,
        old: &FileFacts,
    ) -> Result<Option<OsString>, EntryError> {
        let Some((dir, name)) = job.dest.dir_and_name() else {
            return Ok(None);
        };
        let dest = job.dest.display_path().to_path_buf();
        if let Some(backed_up) = self.may_back_up(dir, name, &dest) {
            return Ok(Some(backed_up?));
        }
        let links = self.cfg.preserve_links() && !self.cfg.attributes_only && old.nlink > 1;
        let removed = self.cfg.remove_destination || links;
        // --atomic replaces a regular file only; anything else is written in place.
        let atomic = job.atomic && old.kind == FileKind::Regular;
        if removed && !atomic {
            let cannot = |errno| ReplaceError::CannotRemove { dest, errno };
            allowed::may_remove_at(dir, name).map_err(cannot)?;
            return Ok(None);
        }
        // --atomic only checks, with the real ids (exec::atomic's `check_writable`).
        let opened = match (removed, atomic) {
            (true, true) => Ok(()),
            (false, true) => accessat(dir, name, Access::WRITE_OK, AtFlags::empty()),
            (_, false) => allowed::may_open_for_write(dir, name),
        };
        let cannot_open = |errno| ReplaceError::CannotCreate {
            dest: dest.clone(),
            errno,
        };
        match opened {
            // --atomic -f makes its copy anew whatever DEST's permissions.
            Err(_) if job.force && atomic => {}
            // The run's failed removal is said with its own errno ("cannot remove").
            Err(_) if job.force && job.strategy != plan::Strategy::Ranged => {
                let cannot = |errno| ExecError::RemoveDest {
                    path: dest.clone(),
                    errno,
                };
                allowed::may_remove_at(dir, name).map_err(cannot)?
            }
            opened => opened.map_err(cannot_open)?,
        }
        // (Through a symlink, the rename is made beside the file it names.)
        if atomic && job.dest_name != plan::DestName::Symlink {
            // The run first makes its temporary file in DEST's directory, and says so when it
            // cannot (new-user trial, round 21: the plan said `cannot replace 'f'`).
            let in_dir = |p: &Path| {
                p.parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            };
            if let Err(errno) = allowed::may_create_at(dir, &in_dir(name)) {
                let shown_dir = in_dir(&dest);
                return Err(ExecError::CreateTemp {
                    dir: shown_dir,
                    dest,
                    errno,
                }
                .into());
            }
            let cannot = |errno| ExecError::Replace { path: dest, errno };
            allowed::may_remove_at(dir, name).map_err(cannot)?;
        }
        Ok(None)
    }

    /// With `-b`: the name DEST (`name` in `dir`, shown as `dest`) would be backed up to (looked
    /// up now, not made), if the run could rename it there, replacing a file of that name
    /// (`None`: no backup is made, DEST is written in place). The run opens DEST's directory
    /// to name the backup: its failure is the run's.
    pub(in crate::drive) fn may_back_up(
        &self,
        dir: BorrowedFd<'_>,
        name: &Path,
        dest: &Path,
    ) -> Option<Result<OsString, ReplaceError>> {
        self.cfg.backup.as_ref()?;
        let cannot = |errno| ReplaceError::CannotBackup {
            dest: dest.to_path_buf(),
            errno,
        };
        let (dir_fd, base) = match effect::split_at_dir(dir, name) {
            Ok(split) => split,
            Err(errno) => return Some(Err(cannot(errno))),
        };
        let b = self.cfg.backup.as_ref()?;
        // The name, as the run's `make_backup` looks it up (a numbered one lists the directory).
        let named = crate::backup::backup_name_in(dir_fd.as_fd(), &base, b.control, &b.suffix);
        let backup = match named {
            Ok(backup) => backup?,
            Err(errno) => return Some(Err(cannot(errno))),
        };
        // rename(2) of a file onto a directory says EISDIR (red team, round 10: the dry run
        // planned `-b src B/t` with a directory `B/t~`).
        let onto = statat(
            dir_fd.as_fd(),
            Path::new(&backup),
            AtFlags::SYMLINK_NOFOLLOW,
        );
        if onto.is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory) {
            return Some(Err(cannot(Errno::ISDIR)));
        }
        let renamed = allowed::may_remove(dir_fd.as_fd(), &[&base, &backup]);
        Some(renamed.map(|()| backup).map_err(cannot))
    }

    /// `--attributes-only`: create the file if missing, never touch its data, apply attributes.
    pub(super) fn attributes_only(&mut self, job: &plan::Job, facts: &FileFacts) {
        let shown = job.dest.display_path().to_path_buf();
        // The source's descriptor, for xattrs: opened first, as the run of a copy opens it.
        let opened = job
            .source
            .dir_and_name()
            .map(|(d, n)| effect::open_source_for_attributes(d, n, job.nofollow));
        let src_fd = match opened {
            Some(Err(errno)) => {
                let path = job.source.display_path().to_path_buf();
                let e = ExecError::OpenSource { path, errno };
                return self.fail(job.source.display_path(), &shown, e);
            }
            Some(Ok(fd)) => Some(fd),
            None => None,
        };
        let fd = match effect::open_attributes_only(job) {
            Ok(fd) => fd,
            Err(e) => return self.fail(job.source.display_path(), &shown, e),
        };
        let new_mode = (!job.dest_exists).then_some(job.create_mode);
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
