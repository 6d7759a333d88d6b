//! The read/write loop: positional pread/pwrite on files, read/write on streams, and
//! sendfile; the buffer they use is in [`buffer`].

use std::os::fd::BorrowedFd;

use rustix::io::Errno;

use super::offsets::Offsets;
use super::Engine;

mod buffer;
pub use buffer::{with_buffer, with_buffer_pair, NoMemory, BUFFER_SIZE};

/// Granularity of `--sparse=always` zero detection: 512 bytes, as GNU cp 9.8 (whose NEWS: "cp
/// --sparse=always now detects holes at 512-byte granularity"), so that a filesystem with 1 KiB
/// or 2 KiB blocks gets the holes `dd conv=sparse` would make. Data runs between zero runs are
/// still written with one call each.
const ZERO_BLOCK: usize = 512;

/// Which side of a read/write copy failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RwError {
    Read(Errno),
    Write(Errno),
    /// No buffer could be allocated ([`NoMemory`]).
    NoMemory,
}

impl From<NoMemory> for RwError {
    fn from(_: NoMemory) -> Self {
        RwError::NoMemory
    }
}

/// The result of a read/write run: bytes copied, and whether the source ended early.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RwRun {
    pub copied: u64,
    /// End of file came before `len` bytes.
    pub short: bool,
    /// Some zero blocks were left as holes (`--sparse=always`).
    pub made_holes: bool,
}

/// The buffer a read/write copy of unknown length starts with (a stream, a `/proc` file):
/// 16 KiB, grown fourfold up to [`BUFFER_SIZE`] while reads fill it. A small file then touches
/// 4 pages, not 64 (zeroing a 256 KiB buffer was a quarter of a `/proc/cpuinfo` copy's page
/// faults, measured with `perf stat`).
const FIRST_BUFFER_SIZE: usize = 16 * 1024;

/// Copies `len` bytes (`None`: to end of file) with read/write.
///
/// Positions are explicit offsets (`Some`) or the descriptor's own offset (`None`, for streams),
/// advanced by what was copied. With `skip_zeros`, all-zero blocks are not written (the
/// destination must be positional and already a hole there). Short reads are not end of file;
/// only a 0 is. The buffer is as long as `len` (at most [`BUFFER_SIZE`]), or starts at
/// [`FIRST_BUFFER_SIZE`] and grows when `len` is unknown.
pub fn copy(
    engine: &Engine,
    fds: (BorrowedFd<'_>, BorrowedFd<'_>),
    at: &mut Offsets,
    len: Option<u64>,
    skip_zeros: bool,
) -> Result<RwRun, RwError> {
    let first = len.map_or(FIRST_BUFFER_SIZE, |l| l.min(BUFFER_SIZE as u64) as usize);
    copy_growing(engine, fds, at, (len, skip_zeros), first, BUFFER_SIZE)
}

/// Copies `len` bytes as [`copy`] does (without zero skipping) in pieces of `piece` bytes
/// (fewer when a buffer that large cannot be allocated, see [`with_buffer`]). The thread's
/// buffer keeps that size for the rest of the run.
pub fn copy_in_pieces(
    engine: &Engine,
    fds: (BorrowedFd<'_>, BorrowedFd<'_>),
    at: &mut Offsets,
    len: u64,
    piece: usize,
) -> Result<RwRun, RwError> {
    let size = len.min(piece as u64) as usize;
    copy_growing(engine, fds, at, (Some(len), false), size, size)
}

/// [`copy`]'s loop: starts with a `first`-byte buffer, grown fourfold up to `most` bytes
/// while reads fill it.
fn copy_growing(
    engine: &Engine,
    fds: (BorrowedFd<'_>, BorrowedFd<'_>),
    at: &mut Offsets,
    (len, skip_zeros): (Option<u64>, bool),
    first: usize,
    most: usize,
) -> Result<RwRun, RwError> {
    let mut run = RwRun {
        copied: 0,
        short: false,
        made_holes: false,
    };
    let mut size = first;
    loop {
        let grow = size < most;
        match with_buffer(size, |buf| {
            copy_with(engine, fds, at, len, skip_zeros, buf, &mut run, grow)
        })?? {
            Filled::Done => return Ok(run),
            Filled::Grow => size = (size * 4).min(most),
        }
    }
}

/// Why [`copy_with`] returned.
enum Filled {
    /// The copy is complete (or the source ended).
    Done,
    /// A read filled the whole buffer, which may grow: call again with a bigger one.
    Grow,
}

/// [`copy`]'s loop with one buffer; with `grow`, stops after a read that filled it.
#[allow(clippy::too_many_arguments)]
fn copy_with(
    engine: &Engine,
    (src, dst): (BorrowedFd<'_>, BorrowedFd<'_>),
    at: &mut Offsets,
    len: Option<u64>,
    skip_zeros: bool,
    buf: &mut [u8],
    run: &mut RwRun,
    grow: bool,
) -> Result<Filled, RwError> {
    let Offsets {
        input: pos_in,
        output: pos_out,
    } = at;
    loop {
        let want = match len {
            Some(len) if run.copied >= len => return Ok(Filled::Done),
            Some(len) => (len - run.copied).min(buf.len() as u64) as usize,
            None => buf.len(),
        };
        if crate::signals::pending().is_some() {
            return Err(RwError::Read(Errno::CANCELED));
        }
        let n = match read_some(src, pos_in, &mut buf[..want]) {
            Ok(0) => {
                run.short = len.is_some();
                return Ok(Filled::Done);
            }
            Ok(n) => n,
            Err(e) => return Err(RwError::Read(e)),
        };
        let data = &buf[..n];
        let before = *pos_out;
        let result = if skip_zeros && pos_out.is_some() {
            write_skipping_zeros(dst, pos_out, data, &mut run.made_holes)
        } else {
            write_all(dst, pos_out, data)
        };
        if let Err(e) = result {
            // What landed before the failure (a short write, then ENOSPC) is DEST's: counted
            // as any piece written (red team, round 19: `"bytes":2883584` beside a note of
            // "the first 3072000 bytes").
            if let (Some(from), Some(to)) = (before, *pos_out) {
                engine.advance(super::Method::ReadWrite, to.saturating_sub(from));
            }
            return Err(RwError::Write(e));
        }
        run.copied += n as u64;
        engine.advance(super::Method::ReadWrite, n as u64);
        if grow && n == buf.len() {
            return Ok(Filled::Grow);
        }
    }
}

/// Copies `len` bytes within or between files from the end backwards (memmove semantics when
/// the destination range starts after an overlapping source range).
pub fn copy_backward(
    engine: &Engine,
    src: BorrowedFd<'_>,
    offset_in: u64,
    dst: BorrowedFd<'_>,
    offset_out: u64,
    len: u64,
) -> Result<u64, RwError> {
    with_buffer(BUFFER_SIZE, |buf| {
        let mut done: u64 = 0;
        while done < len {
            if crate::signals::pending().is_some() {
                return Err(RwError::Read(Errno::CANCELED));
            }
            let n = (len - done).min(buf.len() as u64);
            let rel = len - done - n;
            let chunk = &mut buf[..n as usize];
            read_exact_at(src, offset_in + rel, chunk)?;
            let mut at = Some(offset_out + rel);
            write_all(dst, &mut at, chunk).map_err(RwError::Write)?;
            done += n;
            engine.advance(super::Method::ReadWrite, n);
        }
        Ok(done)
    })?
}

/// Reads and throws away `count` bytes from a stream; returns how many were there. `ENOMEM`:
/// no buffer could be allocated.
pub fn skip(src: BorrowedFd<'_>, count: u64) -> Result<u64, Errno> {
    let want = count.min(BUFFER_SIZE as u64) as usize;
    with_buffer(want, |buf| {
        let mut skipped = 0;
        let mut pos = None;
        while skipped < count {
            let want = (count - skipped).min(buf.len() as u64) as usize;
            match read_some(src, &mut pos, &mut buf[..want])? {
                0 => break,
                n => skipped += n as u64,
            }
        }
        Ok(skipped)
    })
    .map_err(|NoMemory| Errno::NOMEM)?
}

/// Whether a positional read at `offset` finds end of file (an error counts as "no": the
/// caller's read/write copy will meet and report it).
pub fn at_eof(src: BorrowedFd<'_>, offset: u64) -> bool {
    let mut byte = [0u8; 1];
    let mut pos = Some(offset);
    matches!(read_some(src, &mut pos, &mut byte), Ok(0))
}

fn read_some(fd: BorrowedFd<'_>, pos: &mut Option<u64>, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        let result = match pos {
            Some(at) => rustix::io::pread(fd, &mut *buf, *at),
            // A stream: waits for data where a stop signal is seen (signals/blocking.rs).
            None => crate::signals::blocking::wait_readable(fd)
                .and_then(|()| rustix::io::read(fd, &mut *buf)),
        };
        match result {
            Ok(n) => {
                if let Some(at) = pos {
                    *at += n as u64;
                }
                return Ok(n);
            }
            Err(Errno::INTR | Errno::AGAIN) => continue,
            Err(e) => return Err(e),
        }
    }
}

fn read_exact_at(fd: BorrowedFd<'_>, offset: u64, buf: &mut [u8]) -> Result<(), RwError> {
    let mut done = 0;
    let mut pos = Some(offset);
    while done < buf.len() {
        match read_some(fd, &mut pos, &mut buf[done..]) {
            Ok(0) => return Err(RwError::Read(Errno::NODATA)),
            Ok(n) => done += n,
            Err(e) => return Err(RwError::Read(e)),
        }
    }
    Ok(())
}

/// Writes all of `data` at `*pos` (or at the descriptor's offset), advancing `*pos`.
///
/// A file that takes no positioned writes (`pwrite` says ESPIPE: /proc/PID/comm, files of
/// some drivers) is written with `write` when the copy starts at its beginning, as GNU cp
/// writes every file (red team, round 10: `fcopy f /proc/self/comm` failed with "Illegal
/// seek"); elsewhere the error stands (a range at an offset cannot be placed there).
pub fn write_all(fd: BorrowedFd<'_>, pos: &mut Option<u64>, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        let result = match pos {
            Some(at) => rustix::io::pwrite(fd, data, *at),
            None => rustix::io::write(fd, data),
        };
        match result {
            Ok(0) => return Err(Errno::NOSPC),
            Ok(n) => {
                data = &data[n..];
                if let Some(at) = pos {
                    *at += n as u64;
                }
            }
            Err(Errno::INTR | Errno::AGAIN) => continue,
            // Nothing written yet, and a fresh descriptor's offset is 0.
            Err(Errno::SPIPE) if *pos == Some(0) => *pos = None,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes `data` at `*pos` except its all-zero [`ZERO_BLOCK`]s (aligned to the destination
/// offset, so holes fall on block boundaries), which are skipped; each run of other blocks is
/// one `write_all`. `*pos` ends past `data`.
fn write_skipping_zeros(
    fd: BorrowedFd<'_>,
    pos: &mut Option<u64>,
    data: &[u8],
    made_holes: &mut bool,
) -> Result<(), Errno> {
    let base = pos.expect("zero skipping needs a positional destination");
    let mut write_run = |from: usize, to: usize| {
        *pos = Some(base + from as u64);
        write_all(fd, pos, &data[from..to])
    };
    let mut run: Option<usize> = None;
    let mut start = 0;
    while start < data.len() {
        let at = base + start as u64;
        let to_boundary = ZERO_BLOCK - (at % ZERO_BLOCK as u64) as usize;
        let end = (start + to_boundary).min(data.len());
        if is_zero(&data[start..end]) {
            *made_holes = true;
            if let Some(from) = run.take() {
                write_run(from, start)?;
            }
        } else if run.is_none() {
            run = Some(start);
        }
        start = end;
    }
    if let Some(from) = run {
        write_run(from, data.len())?;
    }
    *pos = Some(base + data.len() as u64);
    Ok(())
}

/// Whether `block` is all zero bytes (compared 16 at a time).
pub(super) fn is_zero(block: &[u8]) -> bool {
    let words = block.chunks_exact(16);
    let tail = words.remainder();
    tail.iter().all(|&b| b == 0)
        && words
            .into_iter()
            .all(|w| u128::from_ne_bytes(w.try_into().expect("16 bytes")) == 0)
}

/// How a `sendfile` run ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SendEnd {
    /// `len` bytes were copied.
    Done,
    /// End of file before `len` bytes.
    Short,
    /// sendfile cannot do this pair (EINVAL, ENOSYS, EOPNOTSUPP before the first byte):
    /// continue with read/write from the positions reached.
    Unsupported,
}

/// Copies `len` bytes from a regular file with `sendfile(2)`: one in-kernel copy from the page
/// cache, no trip through a user buffer. Used where copy_file_range gave way (e.g. EXDEV).
///
/// `pos_in` must be an explicit offset. With an explicit `pos_out`, the destination's file offset
/// (ours: fcopy opened it) is moved there first, since sendfile writes at the file offset —
/// unless `cursor_at_start` says nothing has moved it since it was opened and `pos_out` is 0.
pub fn send(
    engine: &Engine,
    src: BorrowedFd<'_>,
    pos_in: &mut u64,
    dst: BorrowedFd<'_>,
    pos_out: &mut Option<u64>,
    len: u64,
    cursor_at_start: bool,
) -> Result<(u64, SendEnd), Errno> {
    // A descriptor fcopy just opened is at offset 0 already (the common whole-file case).
    if let Some(at) = *pos_out {
        let already_there = cursor_at_start && at == 0;
        if !already_there && rustix::fs::seek(dst, rustix::fs::SeekFrom::Start(at)).is_err() {
            return Ok((0, SendEnd::Unsupported));
        }
    }
    let mut copied = 0u64;
    while copied < len {
        if crate::signals::pending().is_some() {
            return Err(Errno::CANCELED);
        }
        let ask = (len - copied).min(engine.chunk).min(0x7fff_f000) as usize;
        match rustix::fs::sendfile(dst, src, Some(pos_in), ask) {
            Ok(0) => return Ok((copied, SendEnd::Short)),
            Ok(n) => {
                copied += n as u64;
                if let Some(at) = pos_out {
                    *at += n as u64;
                }
                engine.advance(super::Method::Sendfile, n as u64);
            }
            Err(Errno::INTR | Errno::AGAIN) => continue,
            // The sendfile column of the errno table: EINVAL, ENOSYS, EOPNOTSUPP before the
            // first byte mean "cannot do this pair".
            Err(e) => {
                return match super::on_errno(super::Mechanism::Sendfile, e, copied > 0) {
                    super::OnErrno::FallBack => Ok((0, SendEnd::Unsupported)),
                    _ => Err(e),
                }
            }
        }
    }
    Ok((copied, SendEnd::Done))
}
