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

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{fstat, openat, Advice, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;

use crate::exec::{JobError, Method, Outcome};
use crate::plan::{Endpoint, Job};
use crate::report::{errno_text_of, quote};

/// Bytes compared per read of each file.
const CHUNK: usize = 1 << 20;

/// How a file was verified, for `--json` (`"verified"`) and `--debug`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Read back from the device and compared.
    Compared,
    /// A reflink: the destination shares the source's extents.
    Shared,
    /// Not verifiable here (a stream at one end).
    Skipped,
}

impl Verified {
    /// The name shown in `--json` and `--debug`.
    pub fn name(self) -> &'static str {
        match self {
            Verified::Compared => "compared",
            Verified::Shared => "reflink",
            Verified::Skipped => "not verifiable",
        }
    }
}

fn regular(fd: BorrowedFd<'_>) -> Option<rustix::fs::Stat> {
    fstat(fd)
        .ok()
        .filter(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
}

/// Verifies the job's data (see the module docs). `src` and `dst` are the descriptors the
/// copy used (`dst` may be write-only: it is opened again for reading through `/proc/self/fd`).
pub fn check(
    job: &Job,
    src: BorrowedFd<'_>,
    dst: BorrowedFd<'_>,
    outcome: &Outcome,
) -> Result<Verified, JobError> {
    if outcome.method == Method::Reflink {
        return Ok(Verified::Shared);
    }
    let (Some(src_st), Some(_)) = (regular(src), regular(dst)) else {
        return Ok(Verified::Skipped);
    };
    if job.source == Endpoint::Stdio || job.dest == Endpoint::Stdio {
        return Ok(Verified::Skipped);
    }
    // A file the kernel makes up as it is read (/proc, /sys: size 0 in stat) has no stored
    // contents to compare with; a second read may differ from the first by right.
    if !job.source_facts.has_trusted_size() {
        return Ok(Verified::Skipped);
    }
    let dst_name = job.dest.display_path();
    let src_name = job.source.display_path();
    let failed = |what: &str, e: Errno| {
        JobError::new(format!(
            "cannot verify {}: {what}: {}",
            quote(dst_name),
            errno_text_of(e)
        ))
    };
    loop {
        match rustix::fs::fsync(dst) {
            Ok(()) => break,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(failed("fsync", e)),
        }
    }
    let reader = reopen(dst).map_err(|e| failed("reopening for reading", e))?;
    // Best effort: a filesystem without a page cache of its own (tmpfs) has nothing to drop.
    let _ = rustix::fs::fadvise(&reader, 0, None, Advice::DontNeed);
    let dst_size = fstat(&reader).map_err(|e| failed("fstat", e))?.st_size as u64;
    let src_size = src_st.st_size as u64;
    let (from_in, from_out, len) = match job.range {
        Some(r) if job.restart.resumed_from.is_none() => (r.offset_in, r.offset_out, outcome.bytes),
        _ => {
            if src_size != dst_size {
                return Err(JobError::new(format!(
                    "verification failed: {} has {dst_size} bytes, {} has {src_size} bytes",
                    quote(dst_name),
                    quote(src_name)
                )));
            }
            (0, 0, src_size)
        }
    };
    let mut a = vec![0u8; CHUNK];
    let mut b = vec![0u8; CHUNK];
    let mut done = 0u64;
    while done < len {
        if crate::signals::pending().is_some() {
            return Err(JobError::new(format!(
                "interrupted while verifying {}",
                quote(dst_name)
            )));
        }
        let want = (len - done).min(CHUNK as u64) as usize;
        let got_a = read_full(src, from_in + done, &mut a[..want]).map_err(|e| {
            JobError::new(format!(
                "error reading {}: {}",
                quote(src_name),
                errno_text_of(e)
            ))
        })?;
        let got_b = read_full(reader.as_fd(), from_out + done, &mut b[..want])
            .map_err(|e| failed("read", e))?;
        let n = got_a.min(got_b);
        if let Some(i) = (0..n).find(|&i| a[i] != b[i]) {
            return Err(mismatch(src_name, dst_name, from_out + done + i as u64));
        }
        if got_a != got_b || n == 0 {
            return Err(mismatch(src_name, dst_name, from_out + done + n as u64));
        }
        done += n as u64;
    }
    Ok(Verified::Compared)
}

fn mismatch(src: &Path, dst: &Path, at: u64) -> JobError {
    JobError::new(format!(
        "verification failed: {} differs from {} at byte {at}",
        quote(dst),
        quote(src)
    ))
}

/// Opens the file behind `fd` again, read-only (the same inode, also for an `O_TMPFILE` file).
fn reopen(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
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

/// Reads up to `buf.len()` bytes at `at`, stopping early only at end of file.
fn read_full(fd: BorrowedFd<'_>, at: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut filled = 0;
    while filled < buf.len() {
        match rustix::io::pread(fd, &mut buf[filled..], at + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
