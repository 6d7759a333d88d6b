//! When copy_file_range is only the kernel's splice and read/write copies faster: the named
//! rule a ranged copy consults before its copy_file_range.

use std::os::fd::BorrowedFd;

use rustix::fs::fstat;

use crate::facts::FsKind;
use crate::plan::{ByteRange, CloneMode, Job};

/// Spans shorter than this keep copy_file_range ([`read_write_is_faster`]): read/write first
/// allocates and zeroes its buffer (64 page faults for 256 KiB), which
/// the per-byte gain pays back only from about 8-16 MiB (range-floor, synced ext4 destination:
/// 4 MiB 1.0 ms copy_file_range against 1.1 ms read/write, 8 MiB 1.6 against 1.7, 16 MiB 2.5
/// against 2.4).
pub const READ_WRITE_FROM: u64 = 16 << 20;

/// The read/write piece of such a span: 1 MiB, as dd's `bs=1M`. Against the usual 256 KiB
/// ([`crate::exec::rw::BUFFER_SIZE`]) it makes a quarter of the calls and walks each
/// destination folio's buffer heads in fewer `write_begin`s: about 2.5% less CPU time (`perf
/// stat`, the same 256 MiB, three rounds of 10 runs: 28.8-30.0 ms against 29.4-30.7 ms);
/// larger pieces no longer fit the CPU's cache (bench/range-floor.c `rw`: 2 MiB 29.4 ms, 4 MiB
/// 32.1 ms, 16 MiB 47.4 ms). The thread's buffer then stays 1 MiB for the rest of the run.
pub const PIECE: usize = 1 << 20;

/// Whether a span of `len` bytes from a file on `source` to a file on `dest` (`None`: not
/// known) is copied faster by read/write than by copy_file_range; `over_existing`: the span
/// lies inside DEST's current size (it overwrites, as `dd conv=notrunc` does).
///
/// True from ext4 to ext4 over existing data for spans of at least [`READ_WRITE_FROM`] bytes:
/// ext4 has no extents to share and no server to offload to, so copy_file_range is `splice_copy_file_range`: the
/// kernel moves the source's pages through its own 64 KiB pipe and writes each 64 KiB with a
/// separate `write_iter`, and its one memcpy (page cache to page cache, both out of the CPU's
/// caches) costs as much as read/write's two (the second one from a buffer still in cache).
/// Measured with `perf stat` on Linux 6.18 (x86-64, 2 CPUs, shared machine), 256 MiB at offset
/// 384 MiB over an existing, synced, cached ext4 file (bench/run.sh `range`): copy_file_range
/// 34-37 ms of CPU time, pread/pwrite 27.7 ms (1 MiB pieces) and 28.3 ms (256 KiB), dd 28-30
/// ms (bench/range-floor.c). Into an empty file it measured 62 ms against 49 ms and into blocks
/// reserved with `fallocate` 45 ms against 33 ms, but spans that create or extend a file keep
/// copy_file_range here: whole-file and extending copies are the planner's (strategy and
/// preallocation) to change. Anywhere else (btrfs and XFS share extents, NFS and CIFS copy on
/// the server, tmpfs and other pairs were not measured) copy_file_range stays.
pub fn read_write_is_faster(
    source: FsKind,
    dest: Option<FsKind>,
    len: u64,
    over_existing: bool,
) -> bool {
    source == FsKind::Ext4 && dest == Some(FsKind::Ext4) && over_existing && len >= READ_WRITE_FROM
}

/// Whether the ranged copy `range` of `job` into the open `dst` reads and writes instead of
/// trying copy_file_range first ([`read_write_is_faster`]). Never under
/// `--method=copy-file-range` (which asks for the kernel copy) or when cloning is tried; DEST's
/// size comes from one `fstat`, asked only when the rest of the rule holds.
pub(in crate::exec) fn ranged_read_write_pays(
    job: &Job,
    range: &ByteRange,
    dst: BorrowedFd<'_>,
) -> bool {
    let Some(len) = range.len else {
        return false;
    };
    if job.kernel_copy_only || !job.kernel_copy || job.clone != CloneMode::No {
        return false;
    }
    let dest_fs = job.dest_dev.and_then(crate::exec::probe::known_fs);
    let source = job.source_facts.fs;
    read_write_is_faster(source, dest_fs, len, true)
        && fstat(dst).is_ok_and(|st| {
            let end = range.offset_out.saturating_add(len);
            read_write_is_faster(source, dest_fs, len, end <= st.st_size as u64)
        })
}

#[cfg(test)]
mod tests;
