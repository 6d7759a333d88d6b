//! The span copy: one span (a whole file, a data extent or a byte range) copied with
//! copy_file_range first where allowed, then sendfile, then read/write from wherever the one
//! before stopped (DESIGN rules 1-4); and the preallocation of the span's blocks.

use std::os::fd::BorrowedFd;

use rustix::fs::{fstat, ftruncate};
use rustix::io::Errno;

use super::cfr::{self, CfrEnd};
use super::offsets::Offsets;
use super::rw::{self, RwError};
use super::{Engine, ExecError, Method, Outcome, Reason};
use crate::plan::{Endpoint, Job, Strategy};

/// One span copy's two descriptors and what the job allows it to do.
pub(super) struct Span<'a, 'e> {
    pub engine: &'a Engine<'e>,
    pub src: BorrowedFd<'a>,
    pub dst: BorrowedFd<'a>,
    /// SOURCE and DEST, for the paths shown in errors (built only for one: issue 16).
    pub src_name: &'a Endpoint,
    pub dst_name: &'a Endpoint,
    /// (SOURCE's device, DEST's device) for the engine's EXDEV memory.
    pub devices: (u64, Option<u64>),
    /// Try copy_file_range (and then sendfile) before read/write.
    pub use_cfr: bool,
    /// `--method=copy-file-range`: no fallback, a clear error instead.
    pub kernel_copy_only: bool,
    /// `--sparse=always`: leave all-zero blocks as holes (read/write only).
    pub skip_zeros: bool,
    /// A ranged copy: the length is a promise, a source that ends first has shrunk. Elsewhere
    /// the length is the size at open, a hint (DESIGN rule 9).
    pub exact: bool,
    /// Reserve the span's blocks first (`fallocate`, see [`preallocate`]).
    pub preallocate: bool,
    /// sendfile may be tried (SOURCE's size can be trusted, unlike /proc's).
    pub sendfile: bool,
}

/// Whether a mechanism finished the span or left the rest to the next one.
enum Step {
    Finished(u64),
    Continue(u64),
}

impl<'a, 'e> Span<'a, 'e> {
    /// A span of `job` between `src` and `dst`, with copy_file_range as `use_cfr` says.
    pub fn of_job(
        engine: &'a Engine<'e>,
        job: &'a Job,
        (src, dst): (BorrowedFd<'a>, BorrowedFd<'a>),
        use_cfr: bool,
        skip_zeros: bool,
    ) -> Self {
        Span {
            engine,
            src,
            dst,
            src_name: &job.source,
            dst_name: &job.dest,
            devices: (job.source_facts.dev, job.dest_dev),
            use_cfr,
            kernel_copy_only: job.kernel_copy_only,
            skip_zeros,
            exact: job.strategy == Strategy::Ranged,
            preallocate: job.preallocate,
            sendfile: job.source_facts.has_trusted_size(),
        }
    }

    /// Copies up to `len` bytes (`None`: to end of file) from `at`. A source that ends before
    /// `len` is an error ([`ExecError::Shrank`]) for an exact span only; other spans end at end
    /// of file (the caller sees the shorter count). Returns the bytes copied.
    pub fn copy(
        &self,
        at: &mut Offsets,
        len: Option<u64>,
        outcome: &mut Outcome,
    ) -> Result<u64, ExecError> {
        let reserved = match (at.output, len) {
            (Some(out), Some(len)) if self.preallocate && !self.skip_zeros => {
                preallocate(self.dst, out, len)
            }
            _ => false,
        };
        let result = self.copy_unreserved(at, len, outcome);
        // A copy that failed, or ended early (a source that shrank while being copied), gives
        // back what it reserved past its end (new user, round 14: a 1 GiB source truncated
        // mid-copy left a 100 MiB copy holding 3 GiB, exit 0).
        let short = matches!((&result, len), (Ok(n), Some(len)) if *n < len);
        if reserved && (result.is_err() || short) {
            release_reserved_blocks(self.dst);
        }
        result
    }

    fn copy_unreserved(
        &self,
        at: &mut Offsets,
        len: Option<u64>,
        outcome: &mut Outcome,
    ) -> Result<u64, ExecError> {
        let mut copied = 0;
        if self.use_cfr {
            match self.copy_file_range(at, len, outcome)? {
                Step::Finished(n) => return Ok(n),
                Step::Continue(n) => copied = n,
            }
            // After copy_file_range gave way between two files, sendfile still copies in the
            // kernel.
            match self.send(at, len.map(|l| l - copied), outcome)? {
                Step::Finished(n) => return Ok(copied + n),
                Step::Continue(n) => copied += n,
            }
        }
        let rest = len.map(|l| l - copied);
        let ends = (self.src, self.dst);
        let run =
            rw::copy(self.engine, ends, at, rest, self.skip_zeros).map_err(|e| self.rw_error(e))?;
        if run.copied > 0 {
            outcome.method = Method::ReadWrite;
        }
        outcome.zeros |= run.made_holes;
        copied += run.copied;
        if run.short && self.exact {
            return Err(self.shrank());
        }
        Ok(copied)
    }

    /// Copies `len` bytes from `at` with read/write alone, in pieces of `piece` bytes: a rule
    /// found it faster than copy_file_range here (exec/strategy/splice.rs). A source that ends
    /// first is an error for an exact span, as in [`Span::copy`]. Returns the bytes copied.
    pub fn copy_read_write(
        &self,
        at: &mut Offsets,
        len: u64,
        piece: usize,
        outcome: &mut Outcome,
    ) -> Result<u64, ExecError> {
        let ends = (self.src, self.dst);
        let run =
            rw::copy_in_pieces(self.engine, ends, at, len, piece).map_err(|e| self.rw_error(e))?;
        if run.copied > 0 {
            outcome.method = Method::ReadWrite;
        }
        if run.short && self.exact {
            return Err(self.shrank());
        }
        Ok(run.copied)
    }

    /// The copy_file_range part: records why it gave way in `outcome.fallback`.
    fn copy_file_range(
        &self,
        at: &mut Offsets,
        len: Option<u64>,
        outcome: &mut Outcome,
    ) -> Result<Step, ExecError> {
        outcome.tried_cfr = true;
        let file_progress = outcome.bytes;
        let engine = self.engine;
        let (n, end) = if engine.known_exdev(self.devices) && !self.kernel_copy_only {
            (0, CfrEnd::Fallback(Reason::Exdev))
        } else {
            let ends = (self.src, self.dst);
            let (n, end) = cfr::copy(engine, ends, at, len, file_progress)
                .map_err(|e| self.copy_error(e.errno))?;
            if end == CfrEnd::Fallback(Reason::Exdev) {
                engine.remember_exdev(self.devices);
            }
            (n, end)
        };
        if n > 0 {
            outcome.method = Method::CopyFileRange;
        }
        let progressed = file_progress + n > 0;
        let reason = match end {
            CfrEnd::Done => return Ok(Step::Finished(n)),
            CfrEnd::ZeroReturn => {
                // A 0 after progress proves nothing (DESIGN rule 3): a read at this offset says
                // whether the source ended or the filesystem gave up on the kernel copy. Before
                // the first byte, a read that agrees there is nothing means an empty file.
                let ended = match at.input {
                    Some(pos) => rw::at_eof(self.src, pos),
                    None => progressed,
                };
                if ended {
                    if self.exact && len.is_some_and(|l| l > 0) {
                        return Err(self.shrank());
                    }
                    return Ok(Step::Finished(n));
                }
                Reason::ZeroReturn
            }
            CfrEnd::Fallback(reason) => reason,
        };
        if self.kernel_copy_only {
            return Err(self.no_fallback(reason, progressed));
        }
        let offset = match reason {
            Reason::ZeroReturn => at.input.unwrap_or(0),
            _ => at.input.unwrap_or(n),
        };
        outcome.fallback = Some((reason, offset));
        Ok(Step::Continue(n))
    }

    /// `--method=copy-file-range` and copy_file_range gave way: the error that says why.
    fn no_fallback(&self, reason: Reason, progressed: bool) -> ExecError {
        let path = self.src_name.display_path().to_owned();
        match reason {
            Reason::ZeroReturn if progressed => ExecError::KernelCopyStopped { path },
            Reason::ZeroReturn => ExecError::KernelCopyNothing { path },
            reason => ExecError::KernelCopyRefused {
                source: path,
                dest: self.dst_name.display_path().to_owned(),
                reason,
            },
        }
    }

    /// The sendfile part, between two files (an explicit input offset and a known length).
    fn send(
        &self,
        at: &mut Offsets,
        rest: Option<u64>,
        outcome: &mut Outcome,
    ) -> Result<Step, ExecError> {
        let (Some(rest), Some(pos_in)) = (rest, at.input.as_mut()) else {
            return Ok(Step::Continue(0));
        };
        if self.skip_zeros || !self.sendfile {
            return Ok(Step::Continue(0));
        }
        let fresh = outcome.method != Method::Sendfile && !self.exact;
        let (sent, end) = rw::send(
            self.engine,
            self.src,
            pos_in,
            self.dst,
            &mut at.output,
            rest,
            fresh,
        )
        .map_err(|e| self.send_error(e))?;
        if sent > 0 {
            outcome.method = Method::Sendfile;
        }
        match end {
            rw::SendEnd::Done => Ok(Step::Finished(sent)),
            rw::SendEnd::Short if self.exact => Err(self.shrank()),
            rw::SendEnd::Short => Ok(Step::Finished(sent)),
            rw::SendEnd::Unsupported => Ok(Step::Continue(sent)),
        }
    }

    /// A sendfile failure, worded as GNU cp words the read/write loop it stands in for (GNU
    /// has no sendfile): an errno only writing can give (no space, quota, file too large,
    /// read-only filesystem, broken pipe) is `error writing 'DEST'`; any other, which either
    /// side may have given, stays `error copying 'SOURCE' to 'DEST'`.
    fn send_error(&self, errno: Errno) -> ExecError {
        let write_side = [
            Errno::NOSPC,
            Errno::DQUOT,
            Errno::FBIG,
            Errno::ROFS,
            Errno::PIPE,
        ];
        if write_side.contains(&errno) {
            self.rw_error(RwError::Write(errno))
        } else {
            self.copy_error(errno)
        }
    }

    /// A copy_file_range failure: GNU cp's `error copying 'SOURCE' to 'DEST'` (copy.c,
    /// `sparse_copy`), since the kernel does not say which side failed.
    fn copy_error(&self, errno: Errno) -> ExecError {
        ExecError::Copy {
            source: self.src_name.display_path().to_owned(),
            dest: self.dst_name.display_path().to_owned(),
            errno,
        }
    }

    pub fn rw_error(&self, e: RwError) -> ExecError {
        match e {
            RwError::Read(errno) => ExecError::Read {
                path: self.src_name.display_path().to_owned(),
                errno,
            },
            RwError::Write(errno) => ExecError::Write {
                path: self.dst_name.written_name().to_owned(),
                errno,
            },
            RwError::NoMemory => ExecError::NoMemory {
                source: self.src_name.display_path().to_owned(),
                dest: self.dst_name.display_path().to_owned(),
            },
        }
    }

    fn shrank(&self) -> ExecError {
        ExecError::Shrank {
            path: self.src_name.display_path().to_owned(),
        }
    }
}

/// Spans shorter than this are written without reserving their blocks first: below it,
/// the extra `fallocate` costs more than ext4's delayed allocation (measured: 0.9x at 1 MiB,
/// 1.1x at 64 KiB).
const PREALLOCATE_MIN: u64 = 1 << 20;

/// Reserves the blocks of `at..at+len` in `dst` without changing its size, so that the writes
/// that follow fill allocated blocks. Best effort: any failure (no support, no space) is left
/// for the writes themselves to meet and report. Returns whether blocks past the end of the
/// file were reserved (they outlive a failed copy until the file is truncated).
fn preallocate(dst: BorrowedFd<'_>, at: u64, len: u64) -> bool {
    if len < PREALLOCATE_MIN {
        return false;
    }
    let Ok(before) = fstat(dst) else {
        return false;
    };
    if rustix::fs::fallocate(dst, rustix::fs::FallocateFlags::KEEP_SIZE, at, len).is_err() {
        return false;
    }
    // Blocks the file had reserved already (by whoever) are not ours to give back.
    let grew = fstat(dst).is_ok_and(|after| after.st_blocks > before.st_blocks);
    grew && at + len > before.st_size as u64
}

/// After a failed or short copy that reserved blocks past the end of the file: gives them back by
/// truncating the file to its own size (ext4 drops preallocated blocks even when the size does
/// not change). A file fcopy created is removed anyway; this is for an existing one.
fn release_reserved_blocks(dst: BorrowedFd<'_>) {
    if let Ok(st) = fstat(dst) {
        let _ = ftruncate(dst, st.st_size as u64);
    }
}
