//! `--update=changed`: a regular DEST with SOURCE's size and modification time is taken to be
//! a finished copy and skipped (and a symbolic link with the same target as SOURCE's, and a
//! FIFO, socket or device node of SOURCE's kind with its mtime).
//!
//! This is sound only because no fcopy run leaves a DEST with the source's size and mtime
//! unless all its data was written: the mtime is the last thing set (after data, owner, xattrs
//! and mode, see [`crate::meta::apply`]), a new file that fails is removed, and an interrupted
//! or failed overwrite keeps the mtime of its last write, not the source's; a `--sync` or
//! close(2) that fails after the times were set makes the mtime "now" again (`exec::run_job`).
//! Times are compared
//! at the precision both filesystems keep (see [`granularity_ns`]).
//!
//! `--checksum` (rsync's name) trusts size and mtime only to rule a file out: when they match,
//! the contents are compared too ([`crate::exec::compare`]), and a DEST whose bytes differ is
//! copied.

use std::os::fd::AsFd;

use rustix::fs::{fstatfs, openat, Mode, OFlags, Stat};

use crate::exec::compare::{self, Side};
use crate::facts::{FileFacts, FileKind};
use crate::plan::Endpoint;

/// How far [`unchanged`] looks beyond size and mtime.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Check {
    /// `--checksum`: compare the contents when size and mtime match.
    pub contents: bool,
    /// Open SOURCE with `O_NOFOLLOW` (the walk copies a symbolic link there as a link).
    pub src_nofollow: bool,
    /// Open DEST with `O_NOFOLLOW` (its name was not a symbolic link when it was looked at).
    pub dst_nofollow: bool,
}

/// `MSDOS_SUPER_MAGIC` (vfat, msdos): times in 2-second steps (statfs(2)).
const MSDOS_MAGIC: u64 = 0x4d44;
/// `EXFAT_SUPER_MAGIC`: times in 10 ms steps.
const EXFAT_MAGIC: u64 = 0x2011_bab0;
/// ntfs3 and ntfs-3g (`NTFS_SB_MAGIC`): times in 100 ns steps.
const NTFS_MAGIC: u64 = 0x5346_544e;
/// FUSE (ntfs-3g, exfat-fuse and others): whatever the server keeps; whole seconds is safe.
const FUSE_MAGIC: u64 = 0x6573_5546;

/// The step, in nanoseconds, in which a filesystem with this `statfs` magic stores mtimes.
pub fn granularity_ns(magic: Option<u64>) -> i128 {
    match magic {
        Some(MSDOS_MAGIC) => 2_000_000_000,
        Some(EXFAT_MAGIC) => 10_000_000,
        Some(FUSE_MAGIC) => 1_000_000_000,
        Some(NTFS_MAGIC) => 100,
        _ => 1,
    }
}

/// Whether two mtimes (seconds, nanoseconds) are equal at step `step_ns`. A time with no
/// nanoseconds may come from a filesystem that keeps whole seconds (ext3 with 128-byte inodes,
/// NFSv2, many FUSE servers), so then whole seconds are compared.
pub fn same_mtime(a: (i64, i64), b: (i64, i64), step_ns: i128) -> bool {
    let step = if a.1 == 0 || b.1 == 0 {
        step_ns.max(1_000_000_000)
    } else {
        step_ns
    };
    let ns = |t: (i64, i64)| i128::from(t.0) * 1_000_000_000 + i128::from(t.1);
    ns(a).div_euclid(step) == ns(b).div_euclid(step)
}

/// The target of the symbolic link `end` names.
fn link_target(end: &Endpoint) -> Option<std::ffi::CString> {
    let (dir, name) = end.dir_and_name()?;
    rustix::fs::readlinkat(dir, name, Vec::new()).ok()
}

/// The `statfs` magic of the filesystem `end` is on (opened with `O_PATH`, not followed).
fn fs_magic(end: &Endpoint) -> Option<u64> {
    let (dir, name) = end.dir_and_name()?;
    let fd = openat(
        dir,
        name,
        OFlags::PATH | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .ok()?;
    fstatfs(fd.as_fd()).ok().map(|s| s.f_type as u64)
}

/// A FIFO, socket or device node (made anew, not copied, by `-r`).
fn is_special(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Fifo | FileKind::Socket | FileKind::CharDevice | FileKind::BlockDevice
    )
}

/// Whether `dest` has `source`'s mtime, at the coarser step of the two filesystems.
fn same_time(source: &FileFacts, src: &Endpoint, dest: &Stat, dst: &Endpoint) -> bool {
    let dest_mtime = (dest.st_mtime, dest.st_mtime_nsec as i64);
    dest_mtime == source.mtime || {
        let step = granularity_ns(fs_magic(src)).max(granularity_ns(fs_magic(dst)));
        same_mtime(source.mtime, dest_mtime, step)
    }
}

/// Whether the existing `dest` (stat'ed, links followed) already holds a copy of the regular
/// file `source`: same size, and same mtime at the coarser step of the two filesystems.
///
/// A symbolic link (copied as a link, `-P`/`-a`) is unchanged when DEST (`dest` from `lstat`) is
/// a symbolic link with the same target. A FIFO, socket or device node is unchanged when DEST
/// is the same kind of node (for a device, the same device number) with the same mtime: as
/// for a regular file, neither mode nor owner is compared. With [`Check::contents`] (`--checksum`) a regular
/// file must also have the same bytes.
pub fn unchanged(
    source: &FileFacts,
    src: &Endpoint,
    dest: &Stat,
    dst: &Endpoint,
    check: Check,
) -> bool {
    if source.kind == FileKind::Symlink {
        return rustix::fs::FileType::from_raw_mode(dest.st_mode) == rustix::fs::FileType::Symlink
            && link_target(src).is_some_and(|a| link_target(dst).is_some_and(|b| a == b));
    }
    let dest_type = rustix::fs::FileType::from_raw_mode(dest.st_mode);
    if is_special(source.kind) {
        // A FIFO, socket or device node has no bytes to compare: the same kind of node (the
        // same device number for a device) with SOURCE's mtime is the copy an earlier `-a`
        // run made (round 7's new user: `-a --update=changed` re-made a FIFO every run).
        let devices = matches!(source.kind, FileKind::CharDevice | FileKind::BlockDevice);
        return dest_type == rustix::fs::FileType::from_raw_mode(source.mode)
            && (!devices || dest.st_rdev == source.rdev)
            && same_time(source, src, dest, dst);
    }
    let dest_regular = dest_type == rustix::fs::FileType::RegularFile;
    if source.kind != FileKind::Regular || !dest_regular || dest.st_size as u64 != source.size {
        return false;
    }
    let same_time = same_time(source, src, dest, dst);
    if !same_time || !check.contents {
        return same_time;
    }
    // A size that is not the contents' (procfs, sysfs) cannot be compared without reading to
    // the end: such a file is copied.
    if !source.has_trusted_size() {
        return false;
    }
    let src = Side {
        end: src,
        id: (source.dev, source.ino),
        nofollow: check.src_nofollow,
    };
    let dst = Side {
        end: dst,
        id: (dest.st_dev, dest.st_ino),
        nofollow: check.dst_nofollow,
    };
    compare::same_contents(src, dst, source.size)
}

#[cfg(test)]
mod tests;
