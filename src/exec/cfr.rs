//! The copy_file_range loop: explicit offsets, bounded calls, EINTR, zero returns and the fallback errnos.

use std::os::fd::BorrowedFd;

use rustix::io::Errno;

use super::offsets::Offsets;
use super::{Engine, Reason};

/// How a copy_file_range run ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CfrEnd {
    /// The requested length was copied.
    Done,
    /// A return of 0: end of file (or, before the first byte, a file the kernel cannot copy).
    ZeroReturn,
    /// An error that means "not here": continue with read/write from the current offsets.
    Fallback(Reason),
}

/// A copy_file_range error that is not a reason to fall back.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CfrError {
    pub errno: Errno,
    pub copied: u64,
}

/// Copies up to `len` bytes (`None`: to end of file) from `src` at `at.input` to `dst` at
/// `at.output`.
///
/// `None` positions use and advance the descriptors' own offsets (standard input and output).
/// `file_progress` is how many bytes of this file were copied before this call; it decides whether
/// a 0 return or EIO/ENOENT is "not supported here" or a real end/error. Offsets are advanced by
/// what was copied, so a caller can continue with read/write from where this stopped.
pub fn copy(
    engine: &Engine,
    (src, dst): (BorrowedFd<'_>, BorrowedFd<'_>),
    at: &mut Offsets,
    len: Option<u64>,
    file_progress: u64,
) -> Result<(u64, CfrEnd), CfrError> {
    if engine.kernel_lacks_cfr() {
        return Ok((0, CfrEnd::Fallback(Reason::Enosys)));
    }
    let mut copied: u64 = 0;
    loop {
        let remaining = match len {
            Some(len) if copied >= len => return Ok((copied, CfrEnd::Done)),
            Some(len) => len - copied,
            None => u64::MAX,
        };
        if crate::signals::pending().is_some() {
            return Err(CfrError {
                errno: Errno::CANCELED,
                copied,
            });
        }
        let ask = remaining.min(engine.chunk) as usize;
        let result =
            rustix::fs::copy_file_range(src, at.input.as_mut(), dst, at.output.as_mut(), ask);
        match result {
            Ok(0) => return Ok((copied, CfrEnd::ZeroReturn)),
            Ok(n) => {
                copied += n as u64;
                engine.advance(super::Method::CopyFileRange, n as u64);
            }
            Err(Errno::INTR) => continue,
            Err(errno) => {
                let progressed = file_progress + copied > 0;
                if let Some(reason) = Reason::fallback_for(errno, progressed) {
                    if reason == Reason::Enosys {
                        engine.remember_kernel_lacks_cfr();
                    }
                    return Ok((copied, CfrEnd::Fallback(reason)));
                }
                return Err(CfrError { errno, copied });
            }
        }
    }
}
