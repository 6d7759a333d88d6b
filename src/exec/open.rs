//! Opening a job's two ends: SOURCE read-only and checked to be the file planned, DEST created
//! (`O_EXCL`, mode per [`created_with_final_mode`]) or opened and truncated (or overwritten in
//! place, [`Overwrite`]) only once known to be the file checked (DESIGN rule 10).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{
    fcntl_getfl, fcntl_setfl, fstat, ftruncate, openat, unlinkat, AtFlags, FileType, Mode, OFlags,
};
use rustix::io::Errno;

use super::overwrite::{OldDest, Overwrite};
use super::ExecError;
use crate::facts::{FileKind, FsKind};
use crate::plan::{CloneMode, DestName, Endpoint, Job, Strategy};

/// An open end of a copy: a descriptor we own, or standard input/output.
pub(super) enum Fd {
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
pub(super) struct CreatedDest<'a> {
    pub at: Option<(BorrowedFd<'a>, &'a Path)>,
}

impl Drop for CreatedDest<'_> {
    fn drop(&mut self) {
        if let Some((dir, name)) = self.at {
            let _ = unlinkat(dir, name, AtFlags::empty());
        }
    }
}

/// Whether an open descriptor is a regular file (a device or pipe has no "old contents").
pub(super) fn is_regular(fd: &Fd) -> bool {
    fstat(fd).is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
}

/// Whether `fd` is on procfs, sysfs or their kin ([`FsKind::Pseudo`]), whose "regular" files
/// are the kernel's handlers: a size that lies, an `O_TRUNC` that empties nothing. Asks one
/// `fstatfs`; an error answers no.
pub(super) fn on_pseudo_fs(fd: &Fd) -> bool {
    rustix::fs::fstatfs(fd).is_ok_and(|fs| FsKind::from_magic(fs.f_type as u64) == FsKind::Pseudo)
}

/// Opens SOURCE read-only (standard input for `-`) and checks that it is the file planned.
pub(super) fn open_source(job: &Job) -> Result<Fd, ExecError> {
    let Some((dir, name)) = job.source.dir_and_name() else {
        return Ok(Fd::Stdio(rustix::stdio::stdin()));
    };
    let path = || job.source.display_path();
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    if job.nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    let replaced = || ExecError::SourceReplaced {
        path: path().to_owned(),
    };
    let fd = openat(dir, name, flags, Mode::empty()).map_err(|errno| {
        if errno == Errno::LOOP && job.nofollow {
            return replaced();
        }
        ExecError::OpenSource {
            path: path().to_owned(),
            errno,
        }
    })?;
    let st = fstat(&fd).map_err(|errno| ExecError::Fstat {
        path: path().to_owned(),
        errno,
    })?;
    if (st.st_dev, st.st_ino) != job.source_id {
        return Err(replaced());
    }
    Ok(Fd::Owned(fd))
}

/// Whether a new destination is created with its final mode, as GNU cp does when it preserves
/// nothing that sets the mode: no `fchmod` afterwards. Otherwise it starts as 0600 (nobody else
/// can read it before its owner is set) and gets its mode from [`crate::meta::apply`]: with
/// `--preserve=mode` or `ownership`, with `--preserve=xattr` (a copied ACL changes the mode, which
/// GNU cp does not let stand), and with `--no-preserve=mode` (set whatever the default ACL says).
pub(super) fn created_with_final_mode(job: &Job) -> bool {
    let attrs = job.preserve.attrs;
    !attrs.mode && !attrs.ownership && !attrs.xattr && !job.explicit_mode
}

/// The mode `open(O_CREAT)` is given. For the final mode it is the planned bits (the source's
/// permission bits; 0666 from standard input) before the umask (`create_mode` has it applied already): the kernel applies the umask, or a
/// default ACL instead, exactly as for GNU cp.
fn creation_mode(job: &Job) -> u32 {
    if created_with_final_mode(job) {
        job.create_bits
    } else {
        0o600
    }
}

/// Opens DEST (standard output for `-`); returns whether this job created it. A new DEST is
/// created with `O_EXCL|O_NOFOLLOW`; an existing one is opened without `O_TRUNC`, following
/// the name only when the rules saw a symlink there ([`DestName`]), checked to be the file the
/// rules looked at, and only then truncated (not for a ranged copy). With `-f`, a DEST that
/// cannot be opened (or a dangling symlink) is removed and created anew; never one the rules
/// renamed or removed already (whatever took its name since is a failure). An existing
/// regular DEST may be left to be overwritten in place instead ([`Overwrite`]).
pub(super) fn open_dest(job: &Job) -> Result<(Fd, bool, Overwrite), ExecError> {
    let Some((dir, name)) = job.dest.dir_and_name() else {
        return Ok((Fd::Stdio(rustix::stdio::stdout()), false, Overwrite::Done));
    };
    let path = || job.dest.display_path();
    let create = || {
        openat(
            dir,
            name,
            DEST_FLAGS | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW,
            Mode::from_raw_mode(creation_mode(job)),
        )
        .map(|fd| (Fd::Owned(fd), true, Overwrite::Done))
    };
    let cannot_create = |errno: Errno| ExecError::CreateDest {
        path: path().to_owned(),
        errno,
    };
    if !job.dest_exists {
        return match create() {
            Ok(opened) => Ok(opened),
            // A dangling symlink with -f: replace the link itself.
            Err(Errno::EXIST) if job.force && job.dest_name != DestName::Cleared => {
                unlinkat(dir, name, AtFlags::empty()).map_err(cannot_create)?;
                create().map_err(cannot_create)
            }
            Err(e) => Err(cannot_create(e)),
        };
    }
    // The source is open and checked: only now may an existing destination be truncated, and
    // only once it is known to be the file checked (rule 10: a name swapped for a symlink
    // meanwhile is refused, never written through), so no O_TRUNC at the open.
    let follow = match job.dest_name {
        DestName::Symlink => OFlags::empty(),
        DestName::Plain | DestName::Cleared => OFlags::NOFOLLOW,
    };
    // A DEST the rules saw as seekable (a regular file or block device) is opened without
    // blocking: a FIFO swapped in since would otherwise hold the open until a reader comes (and
    // a signal's handler restarts it); the identity check then refuses whatever it is.
    let nonblock = if job.dest_seekable {
        OFlags::NONBLOCK
    } else {
        OFlags::empty()
    };
    match openat(dir, name, DEST_FLAGS | follow | nonblock, Mode::empty()) {
        Ok(fd) => {
            let (regular, overwrite) = truncate_checked(job, &fd)?;
            // O_NONBLOCK means nothing to a regular file's I/O: cleared (two fcntl calls) only
            // for a block device, not on every re-copied file.
            if !nonblock.is_empty() && !regular {
                let flags = fcntl_getfl(&fd).map_err(|e| cannot_open(job, e))?;
                fcntl_setfl(&fd, flags - OFlags::NONBLOCK).map_err(|e| cannot_open(job, e))?;
            }
            Ok((Fd::Owned(fd), false, overwrite))
        }
        // The rules saw no symlink there: one was swapped in since. A FIFO without a reader
        // (ENXIO) where they saw a seekable file was swapped in too.
        Err(Errno::LOOP) if !follow.is_empty() => Err(ExecError::DestReplaced {
            path: path().to_owned(),
        }),
        Err(Errno::NXIO) if !nonblock.is_empty() => Err(ExecError::DestReplaced {
            path: path().to_owned(),
        }),
        // GNU cp 9.1's copy_reg: a failed unlink is said as such, with its own errno
        // (measured as nobody over root's file in a sticky directory: "cannot remove 'st/f':
        // Operation not permitted"; fcopy said the open's "Permission denied" before).
        Err(_) if job.force && job.strategy != Strategy::Ranged => {
            unlinkat(dir, name, AtFlags::empty()).map_err(|errno| ExecError::RemoveDest {
                path: path().to_owned(),
                errno,
            })?;
            super::note_dest_removed();
            create().map_err(cannot_create)
        }
        Err(e) => Err(cannot_open(job, e)),
    }
}

/// The flags every DEST is opened with.
const DEST_FLAGS: OFlags = OFlags::WRONLY.union(OFlags::CLOEXEC).union(OFlags::NOCTTY);

/// Checks that the open existing DEST is the file the planner saw, and truncates a regular one
/// for a whole-file copy, or leaves it to be overwritten in place by one that writes every
/// byte ([`Overwrite::InPlace`]). Returns whether it is a regular file, and how its old
/// contents give way.
fn truncate_checked(job: &Job, fd: &OwnedFd) -> Result<(bool, Overwrite), ExecError> {
    let st = fstat(fd).map_err(|e| cannot_open(job, e))?;
    if job.dest_id != Some((st.st_dev, st.st_ino)) {
        return Err(ExecError::DestReplaced {
            path: job.dest.display_path().to_owned(),
        });
    }
    let regular = FileType::from_raw_mode(st.st_mode) == FileType::RegularFile;
    let dest_fs = crate::exec::probe::known_fs(st.st_dev);
    // `--reflink=always` of a whole file where no clone can be made (either end on ext4 or
    // tmpfs, or the two on different kinds of filesystem): the clone fails before it changes
    // anything, so DEST is not emptied first and is left as it was (GNU cp empties it first
    // and loses it). Not decided by device numbers: btrfs subvolumes have their own and clone
    // between each other. Where a clone may be made, DEST is emptied first as GNU does: FICLONE
    // of a large file can be stopped part-way by SIGKILL, which left SOURCE's first extents
    // followed by DEST's old bytes at full size, and `--resume` took that for complete (red
    // team, round 6).
    let src_fs = job.source_facts.fs;
    let clone_impossible =
        !src_fs.can_clone() || dest_fs.is_some_and(|fs| !fs.can_clone() || fs != src_fs);
    let clone_only =
        job.strategy == Strategy::Reflink && job.clone == CloneMode::Must && clone_impossible;
    // A whole-file copy_file_range or read/write copy writes every byte from offset 0: the
    // old bytes are overwritten (a sparse copy skips holes, a clone may fall back to one).
    // SOURCE's first page is read before it is written over DEST's old one, so SOURCE must
    // take `pread`; and `--method=copy-file-range` copies with nothing else.
    let every_byte = matches!(job.strategy, Strategy::CopyFileRange | Strategy::ReadWrite)
        && matches!(
            job.source_facts.kind,
            FileKind::Regular | FileKind::BlockDevice
        )
        && !job.kernel_copy_only;
    // Only where the filesystem rewrites blocks in place (and this run has learned which it
    // is): on a copy-on-write one the old and new bytes would both need room.
    let in_place_fs = dest_fs.is_some_and(crate::facts::FsKind::overwrites_in_place);
    let old = OldDest {
        size: st.st_size as u64,
        allocated: (st.st_blocks as u64).saturating_mul(512),
    };
    let may = regular && every_byte && in_place_fs && !job.restart.keep_partial;
    if may && old.may_be_overwritten_in_place(job.len) {
        return Ok((
            regular,
            Overwrite::InPlace {
                old_size: st.st_size as u64,
            },
        ));
    }
    if regular && job.strategy != Strategy::Ranged && !clone_only {
        ftruncate(fd, 0).map_err(|e| cannot_open(job, e))?;
    }
    Ok((regular, Overwrite::Done))
}

/// GNU cp words a failed open of an existing file as it does a failed create (tests/cp/
/// fail-perm.sh); a ranged copy, fcopy's own, says what it tried.
fn cannot_open(job: &Job, errno: Errno) -> ExecError {
    let path = job.dest.display_path().to_owned();
    if job.strategy == Strategy::Ranged {
        ExecError::OpenDest { path, errno }
    } else {
        ExecError::CreateDest { path, errno }
    }
}

/// The starting position on one end: an explicit offset for files and block devices we opened,
/// the descriptor's own offset for standard input/output and streams (FIFOs, terminals).
pub(super) fn start_pos(end: &Endpoint, seekable: bool, offset: u64) -> Option<u64> {
    match end {
        Endpoint::Path(_) | Endpoint::At { .. } if seekable => Some(offset),
        _ => None,
    }
}
