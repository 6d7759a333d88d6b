//! `--verify`: once the data is written and before metadata or the rename, DEST is flushed
//! (`fsync`), its cached pages are dropped (`posix_fadvise(DONTNEED)`) so that the comparison
//! reads what reached the device rather than what fcopy handed the kernel, and SOURCE and DEST
//! are compared byte for byte. A mismatch fails the file; the executor then removes a new DEST
//! (with `--atomic`, the temporary: DEST stays as it was).
//!
//! What is compared: the whole file for whole-file copies (the sizes must agree too) and for
//! `--resume`d ones (the part found on disk included); the range for ranged copies. A
//! destination that cannot be read back (standard output, a pipe) or a source that cannot be
//! read again (standard input) is not verified; a reflink shares the source's extents and is
//! equal by construction (`--debug` says so). On tmpfs there is no device: the pages are the file.
//!
//! `--verify=hash` (issue 17) also hashes both sides with BLAKE3 as they are compared, and
//! returns the digest (`"digest"` in `--json`); a reflink is then read and hashed too, so that
//! every verified file has its digest.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{fstat, openat, Advice, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;

use super::compare::read_full;
use super::outcome::{Method, Outcome, Verified};
use crate::plan::Job;

/// Bytes compared per read of each file (less under a memory limit).
const CHUNK: usize = 1 << 20;

/// Why `--verify` failed a file (worded in `report/messages/exec.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// DEST could not be flushed, reopened or read back.
    Step {
        path: PathBuf,
        step: VerifyStep,
        errno: Errno,
    },
    /// A whole-file copy whose DEST has another size than SOURCE.
    SizeMismatch {
        dest: PathBuf,
        dest_size: u64,
        source: PathBuf,
        source_size: u64,
    },
    /// The first byte (offset in DEST) where the two differ.
    Differs {
        dest: PathBuf,
        source: PathBuf,
        at: u64,
    },
    /// SIGINT or SIGTERM arrived during the comparison.
    Interrupted { dest: PathBuf },
    /// Not even the smallest pair of comparison buffers could be allocated (a memory limit).
    NoMemory { dest: PathBuf },
    /// Reading SOURCE again failed.
    ReadSource { path: PathBuf, errno: Errno },
    /// `--verify=hash`: the two digests differ (the bytes compared equal: a read changed).
    DigestDiffers { dest: PathBuf, source: PathBuf },
}

/// What [`check`] found: how DEST was verified, and with `--verify=hash` the BLAKE3 digest of
/// the bytes compared (64 lowercase hex digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub how: Verified,
    pub digest: Option<String>,
    /// Why DEST was not verified ([`Verified::Skipped`]).
    pub skipped: Option<Unverifiable>,
}

impl From<Verified> for Checked {
    fn from(how: Verified) -> Self {
        Checked {
            how,
            digest: None,
            skipped: None,
        }
    }
}

/// Why a copy could not be verified (worded in `report/messages/exec.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unverifiable {
    /// This end (SOURCE or DEST) is a stream (a pipe, a FIFO, a terminal, a device): what
    /// went through cannot be read again.
    Stream(PathBuf),
    /// SOURCE is `-`, standard input, read once whatever it is (a redirected regular file
    /// too: "not a regular file" was false there; red team, round 18).
    StandardInput,
    /// DEST is `-`, standard output, written once and not read back.
    StandardOutput,
    /// SOURCE is made up as it is read (`/proc`, `/sys`: size 0 in stat); a second read may
    /// rightly give other bytes.
    MadeUp(PathBuf),
    /// The range overlaps its own source inside this file: the copy overwrote bytes it had
    /// read (red team, round 8).
    Overlap(PathBuf),
}

/// The step of reading DEST back that failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum VerifyStep {
    Fsync,
    Reopen,
    Fstat,
    Read,
}

fn regular(fd: BorrowedFd<'_>) -> Option<rustix::fs::Stat> {
    fstat(fd)
        .ok()
        .filter(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
}

/// Why the job's copy has nothing stored to be compared with, if it has not; `regular`: whether
/// the opened SOURCE and DEST are regular files. A stream at either end; a file the kernel
/// makes up as it is read (/proc, /sys: size 0 in stat), which a second read may give
/// otherwise by right; an overlapping range inside one file, which overwrote part of its own
/// source range (red team, round 8: the README's example failed --verify at the first
/// overwritten byte, its bytes correct).
fn unverifiable(job: &Job, regular: (bool, bool)) -> Option<Unverifiable> {
    let shown = |end: &crate::plan::Endpoint| end.display_path().to_owned();
    if job.source.is_stdio() {
        Some(Unverifiable::StandardInput)
    } else if job.dest.is_stdio() {
        Some(Unverifiable::StandardOutput)
    } else if !regular.0 {
        Some(Unverifiable::Stream(shown(&job.source)))
    } else if !regular.1 {
        Some(Unverifiable::Stream(shown(&job.dest)))
    } else if !job.source_facts.has_trusted_size() {
        Some(Unverifiable::MadeUp(shown(&job.source)))
    } else if job.range.as_ref().is_some_and(|r| r.overlap) {
        Some(Unverifiable::Overlap(shown(&job.dest)))
    } else {
        None
    }
}

/// Verifies the job's data (see the module docs). `src` and `dst` are the descriptors the
/// copy used (`dst` may be write-only: it is opened again for reading through `/proc/self/fd`).
///
/// # Errors
/// [`VerifyError`]: a difference, or DEST or SOURCE could not be read back.
pub fn check(
    job: &Job,
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    outcome: &Outcome,
) -> Result<Checked, VerifyError> {
    let hash = job.restart.verify_hash;
    // Only a whole-file clone is equal by construction: a ranged or resumed job's clone covers
    // its aligned middle, not the head, the tail or the part found on disk (found on XFS: a
    // resumed copy with a corrupt prefix passed as "reflink").
    let shared = outcome.method == Method::Reflink && job.range.is_none();
    if shared && !hash {
        return Ok(Verified::Shared.into());
    }
    let (src_st, dst_regular) = (regular(src), regular(dst).is_some());
    let src_st = match (src_st, unverifiable(job, (src_st.is_some(), dst_regular))) {
        (Some(st), None) => st,
        (_, skipped) => {
            return Ok(Checked {
                skipped,
                ..Verified::Skipped.into()
            })
        }
    };
    let dst_name = job.dest.display_path();
    let src_name = job.source.display_path();
    let failed = |step: VerifyStep| {
        move |errno: Errno| VerifyError::Step {
            path: dst_name.to_owned(),
            step,
            errno,
        }
    };
    fsync_retrying(dst).map_err(failed(VerifyStep::Fsync))?;
    let reader = reopen(dst).map_err(failed(VerifyStep::Reopen))?;
    // Best effort: a filesystem without a page cache of its own (tmpfs) has nothing to drop.
    let _ = rustix::fs::fadvise(&reader, 0, None, Advice::DontNeed);
    let dst_size = fstat(&reader).map_err(failed(VerifyStep::Fstat))?.st_size as u64;
    let src_size = src_st.st_size as u64;
    let (from_in, from_out, len) = match job.range {
        Some(r) if job.restart.resumed_from.is_none() => (r.offset_in, r.offset_out, outcome.bytes),
        _ => {
            if src_size != dst_size {
                return Err(VerifyError::SizeMismatch {
                    dest: dst_name.to_owned(),
                    dest_size: dst_size,
                    source: src_name.to_owned(),
                    source_size: src_size,
                });
            }
            (0, 0, src_size)
        }
    };
    let names = (src_name, dst_name);
    let mut hashers = hash.then(|| (blake3::Hasher::new(), blake3::Hasher::new()));
    compare(
        src,
        reader.as_fd(),
        names,
        (from_in, from_out),
        len,
        &mut hashers,
    )?;
    let digest = match hashers {
        Some((a, b)) if a.finalize() != b.finalize() => {
            return Err(VerifyError::DigestDiffers {
                dest: dst_name.to_owned(),
                source: src_name.to_owned(),
            })
        }
        Some((a, _)) => Some(a.finalize().to_hex().to_string()),
        None => None,
    };
    let how = [Verified::Compared, Verified::Shared][usize::from(shared)];
    Ok(Checked {
        how,
        digest,
        skipped: None,
    })
}

/// `fsync`, again after EINTR.
fn fsync_retrying(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    loop {
        match rustix::fs::fsync(fd) {
            Err(Errno::INTR) => continue,
            other => return other,
        }
    }
}

/// Feeds `a` to the first hasher and `b` to the second (`--verify=hash`).
fn feed(hashers: &mut Option<(blake3::Hasher, blake3::Hasher)>, a: &[u8], b: &[u8]) {
    if let Some((ha, hb)) = hashers {
        ha.update(a);
        hb.update(b);
    }
}

/// Compares `len` bytes of `src` from `from.0` with `reader` from `from.1`.
fn compare(
    src: BorrowedFd<'_>,
    reader: BorrowedFd<'_>,
    (src_name, dst_name): (&Path, &Path),
    (from_in, from_out): (u64, u64),
    len: u64,
    hashers: &mut Option<(blake3::Hasher, blake3::Hasher)>,
) -> Result<(), VerifyError> {
    let mismatch = |at: u64| VerifyError::Differs {
        dest: dst_name.to_owned(),
        source: src_name.to_owned(),
        at,
    };
    let want = len.min(CHUNK as u64) as usize;
    let no_memory = || VerifyError::NoMemory {
        dest: dst_name.to_owned(),
    };
    super::rw::with_buffer_pair(want, |a, b| {
        let mut done = 0u64;
        while done < len {
            if crate::signals::pending().is_some() {
                return Err(VerifyError::Interrupted {
                    dest: dst_name.to_owned(),
                });
            }
            let want = (len - done).min(a.len() as u64) as usize;
            let got_a = read_full(src, from_in + done, &mut a[..want]).map_err(|errno| {
                VerifyError::ReadSource {
                    path: src_name.to_owned(),
                    errno,
                }
            })?;
            let got_b = read_full(reader, from_out + done, &mut b[..want]).map_err(|errno| {
                VerifyError::Step {
                    path: dst_name.to_owned(),
                    step: VerifyStep::Read,
                    errno,
                }
            })?;
            let n = got_a.min(got_b);
            if let Some(i) = (0..n).find(|&i| a[i] != b[i]) {
                return Err(mismatch(from_out + done + i as u64));
            }
            if got_a != got_b || n == 0 {
                return Err(mismatch(from_out + done + n as u64));
            }
            feed(hashers, &a[..n], &b[..n]);
            done += n as u64;
        }
        Ok(())
    })
    .map_err(|_| no_memory())?
}

/// Opens the file behind `fd` again, read-only (the same inode, also for an `O_TMPFILE` file).
fn reopen(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    let path = crate::procfd::path(fd);
    let reader = openat(
        CWD,
        path.as_str(),
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )?;
    let (a, b) = (fstat(fd)?, fstat(&reader)?);
    if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino) {
        return Err(Errno::STALE);
    }
    Ok(reader)
}
