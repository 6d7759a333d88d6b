//! Where an `--atomic` job puts its file ([`Place`]): DEST's directory and name, and the file
//! there now, checked to be the one cp's rules looked at (DESIGN rule 10).

use std::ffi::OsString;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use rustix::fs::{fstat, openat, statat, Access, AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::exec::ExecError;
use crate::plan::{DestName, Job};

/// Where an atomic job puts its file: DEST's directory, its last name, and what is there now.
pub struct Place {
    /// DEST's directory (read-only, or `O_PATH` when it cannot be read).
    pub(super) dir: OwnedFd,
    /// DEST's last component in `dir`.
    pub(super) name: OsString,
    /// DEST's directory as shown in messages.
    pub(super) dir_shown: PathBuf,
    /// The regular file DEST names now, if any.
    pub(super) old: Option<Stat>,
    /// `-f` over a DEST we may not write: as in place (where it would be removed and created
    /// anew), the new file gets a new file's mode and owner.
    pub(super) recreate: bool,
}

impl Place {
    /// Finds DEST's directory and current file. `None` means "copy in place instead": standard
    /// output, or a DEST that is not a regular file (a device, a FIFO — replacing `/dev/null`
    /// by a regular file is never what anyone wants), or a dangling symlink.
    ///
    /// Whether DEST is replaced through a symlink is the rules' look's to say
    /// ([`DestName`]), never this one's: the file found must be the one they looked at
    /// ([`Job::dest_id`]), else DEST was replaced meanwhile (DESIGN rule 10). A new DEST whose
    /// name is taken meanwhile is "File exists", as for GNU cp's `O_EXCL`.
    pub fn resolve(job: &Job) -> Result<Option<Place>, ExecError> {
        let Some((dir, path)) = job.dest.dir_and_name() else {
            return Ok(None);
        };
        let shown = job.dest.display_path();
        let Some(place) = Self::at(dir, path, shown)? else {
            return Ok(None);
        };
        let replaced = || ExecError::DestReplaced {
            path: shown.to_owned(),
        };
        if let Some(old) = &place.old {
            let link = FileType::from_raw_mode(old.st_mode) == FileType::Symlink;
            if !job.dest_exists && job.dest_name == DestName::Cleared && job.dest_id.is_some() {
                return Self::cleared_in_place(place, job, shown);
            }
            if !job.dest_exists {
                return Err(ExecError::CreateDest {
                    path: shown.to_owned(),
                    errno: Errno::EXIST,
                });
            }
            if job.dest_name == DestName::Symlink && link {
                // DEST is a link to a file: as in a plain overwrite, the file it names gets the
                // new contents (and the link stays), so the rename happens where the file is.
                return Self::through_symlink(&place, shown, job.dest_id);
            }
            if link || job.dest_name == DestName::Symlink || job.dest_id != Some(id_of(old)) {
                return Err(replaced());
            }
        } else if job.dest_exists {
            return Err(replaced());
        }
        let mut place = place;
        place.check_writable(job, shown)?;
        Ok(Some(place))
    }

    /// cp's rules cleared DEST (`-b`: backed up by a hard link; `--remove-destination`) but,
    /// with `--atomic`, left the file in place for the final rename to replace, so that DEST
    /// is never missing (red team, round 8: a kill mid-copy left only `x~`). It must be the
    /// file they left ([`Job::dest_id`], a symlink itself, never followed); the new file is a
    /// new file as after GNU's rename or unlink (the source's mode, this user's ownership),
    /// and DEST need not be writable.
    fn cleared_in_place(place: Place, job: &Job, shown: &Path) -> Result<Option<Place>, ExecError> {
        match &place.old {
            Some(old) if job.dest_id == Some(id_of(old)) => Ok(Some(Place {
                recreate: true,
                ..place
            })),
            _ => Err(ExecError::DestReplaced {
                path: shown.to_owned(),
            }),
        }
    }

    /// Opens the directory of `path` (relative to `dir`) and looks at its last component.
    fn at(dir: BorrowedFd<'_>, path: &Path, shown: &Path) -> Result<Option<Place>, ExecError> {
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
        let cannot = |errno: Errno| ExecError::CreateDest {
            path: shown.to_owned(),
            errno,
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

    /// DEST is a symlink: the place is the file it resolves to (via `/proc/self/fd`), which
    /// must be `expected`, the target the rules looked at.
    fn through_symlink(
        link: &Place,
        shown: &Path,
        expected: Option<(u64, u64)>,
    ) -> Result<Option<Place>, ExecError> {
        let target = match openat(
            &link.dir,
            &link.name,
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            // Dangling (the planner allowed it only with -f): replaced in place, as without --atomic.
            Err(Errno::NOENT) => return Ok(None),
            Err(errno) => {
                return Err(ExecError::OpenDest {
                    path: shown.to_owned(),
                    errno,
                })
            }
        };
        let st = fstat(&target).map_err(|e| resolve_error(shown, e))?;
        if expected != Some(id_of(&st)) {
            return Err(ExecError::DestReplaced {
                path: shown.to_owned(),
            });
        }
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Ok(None);
        }
        let proc = crate::procfd::path(&target);
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
    fn check_writable(&mut self, job: &Job, shown: &Path) -> Result<(), ExecError> {
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
            Err(errno) => Err(ExecError::CreateDest {
                path: shown.to_owned(),
                errno,
            }),
        }
    }
}

/// A stat's (device, inode).
fn id_of(st: &Stat) -> (u64, u64) {
    (st.st_dev, st.st_ino)
}

fn resolve_error(shown: &Path, errno: Errno) -> ExecError {
    ExecError::ResolveLink {
        path: shown.to_owned(),
        errno,
    }
}
