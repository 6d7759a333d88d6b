//! The per-thread buffer the read/write loop and the comparisons (`--verify`, `--checksum`)
//! use: allocated fallibly, smaller under a memory limit (issue 14, GNU tests/cp/link-heap.sh),
//! and page-aligned when large.

use std::cell::RefCell;

/// Size of the copy buffer (less under a memory limit, see [`with_buffer`]).
pub const BUFFER_SIZE: usize = 256 * 1024;

/// The smallest buffer fcopy copies or compares with when a larger one cannot be allocated:
/// one page. Below it, the file fails with `Cannot allocate memory` instead.
pub const MIN_BUFFER_SIZE: usize = 4096;

thread_local! {
    /// This thread's buffer, reused from file to file; it only grows (when it can).
    static BUFFER: RefCell<Aligned> = const { RefCell::new(Aligned::EMPTY) };
}

/// Buffers of at least this many bytes start on a page boundary ([`PAGE`]). A large block
/// from malloc is its own mapping, whose first bytes hold malloc's header: the buffer would
/// start 16 bytes past a page boundary, and the kernel's copies to and from it were 10-15%
/// slower (`perf stat`, 256 MiB read and written in 256 KiB and 1 MiB pieces, ext4, Linux
/// 6.18, x86-64 with FSRM: 28.3 ms against 30.8 ms of CPU time, 27.7 ms against 32.1 ms;
/// bench/range-floor.c `rw` against `rwu`). Smaller buffers copy too little for it to matter.
const ALIGN_FROM: usize = 64 * 1024;

/// The alignment of large buffers: 4 KiB, a page on x86-64 and a multiple of every cache line.
const PAGE: usize = 4096;

/// A zeroed buffer whose usable part starts at a page boundary when it is large.
pub(super) struct Aligned {
    vec: Vec<u8>,
    /// Where the usable part starts in `vec`.
    start: usize,
}

impl Aligned {
    const EMPTY: Aligned = Aligned {
        vec: Vec::new(),
        start: 0,
    };

    /// A buffer of `want` usable bytes, or fewer as [`allocate`] gives; `None` when fewer than
    /// `at_least` can be had. From [`ALIGN_FROM`] bytes, one page more is allocated and the
    /// usable part starts at the first page boundary in it.
    pub(super) fn allocate(want: usize, at_least: usize) -> Option<Aligned> {
        let pad = if want >= ALIGN_FROM { PAGE } else { 0 };
        let mut vec = allocate(want.saturating_add(pad), at_least.saturating_add(pad))?;
        let start = match pad {
            0 => 0,
            _ => (PAGE - vec.as_ptr() as usize % PAGE) % PAGE,
        };
        // Not more than asked (the rest of the page stays allocated, unused).
        vec.truncate(start.saturating_add(want));
        Some(Aligned { vec, start })
    }

    /// The usable length in bytes.
    pub(super) fn len(&self) -> usize {
        self.vec.len() - self.start
    }

    /// The usable part.
    pub(super) fn bytes(&mut self) -> &mut [u8] {
        &mut self.vec[self.start..]
    }
}

/// Not even a [`MIN_BUFFER_SIZE`] buffer could be allocated: the caller fails its file.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NoMemory;

/// Runs `f` with this thread's buffer, at most `want` bytes of it (at least one byte).
///
/// The buffer grows to `want` when it can: an allocation refused (`ulimit -v`, an exhausted
/// address space) is retried at half the size down to [`MIN_BUFFER_SIZE`], and `f` then works
/// with a smaller buffer; callers loop, so a smaller buffer is only slower. A nested call (never
/// made today) gets a buffer of its own.
///
/// # Errors
/// [`NoMemory`] when not even [`MIN_BUFFER_SIZE`] bytes (or `want`, if less) can be had.
pub fn with_buffer<T>(want: usize, f: impl FnOnce(&mut [u8]) -> T) -> Result<T, NoMemory> {
    let want = want.max(1);
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < want {
                // Only a bigger one replaces it; the old one is kept if none can be had.
                if let Some(bigger) = Aligned::allocate(want, buf.len() + 1) {
                    *buf = bigger;
                }
            }
            if buf.len() < want.min(MIN_BUFFER_SIZE) {
                return Err(NoMemory);
            }
            let len = buf.len().min(want);
            Ok(f(&mut buf.bytes()[..len]))
        }
        Err(_) => {
            let mut own = Aligned::allocate(want, 1).ok_or(NoMemory)?;
            Ok(f(own.bytes()))
        }
    })
}

/// Two buffers of at most `want` bytes each, for comparing two files (`--verify`,
/// `--checksum`): halves of this thread's buffer (see [`with_buffer`]).
///
/// # Errors
/// [`NoMemory`] as [`with_buffer`].
pub fn with_buffer_pair<T>(
    want: usize,
    f: impl FnOnce(&mut [u8], &mut [u8]) -> T,
) -> Result<T, NoMemory> {
    with_buffer(want.saturating_mul(2), |buf| {
        let half = buf.len() / 2;
        let (a, b) = buf.split_at_mut(half);
        f(a, &mut b[..half])
    })
}

/// A zeroed buffer of `want` bytes, or of half as much (and so on) when the allocator refuses,
/// down to [`MIN_BUFFER_SIZE`] (or `want`, if less), never below `at_least`; `None` when none
/// can be had. Fallible (`try_reserve_exact`): a refused allocation is not an abort.
pub fn allocate(want: usize, at_least: usize) -> Option<Vec<u8>> {
    halving(want, at_least, |size| {
        let mut buf = Vec::new();
        buf.try_reserve_exact(size).ok()?;
        buf.resize(size, 0);
        Some(buf)
    })
}

/// The first `Some` of `get(want)`, `get(want / 2)`, ... down to the floor (see [`allocate`]).
fn halving<B>(want: usize, at_least: usize, mut get: impl FnMut(usize) -> Option<B>) -> Option<B> {
    let floor = MIN_BUFFER_SIZE.min(want).max(at_least).max(1);
    let mut size = want;
    while size >= floor {
        if let Some(buf) = get(size) {
            return Some(buf);
        }
        if size == floor {
            break;
        }
        size = (size / 2).max(floor);
    }
    None
}

#[cfg(test)]
mod tests;
