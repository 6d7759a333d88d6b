//! How many files are copied at once (`-j`): the default, and the caps that keep fcopy within
//! the address-space limit.

use crate::cli::Args;

/// Worker threads for `-j N`, or the default for this run, capped by
/// [`jobs_within_address_space_limit`].
pub fn resolve_jobs(args: &Args, recursive: bool) -> usize {
    match args.jobs {
        Some(n) => usize::from(n),
        // --debug reports each file's outcome right under its `'a' -> 'b'` line: one at a time.
        None if args.debug => 1,
        // -i asks before each file: a file answered "y" is copied before the next question,
        // as cp does (on a worker it could still wait when the next answer is Ctrl-C).
        None if args.interactive => 1,
        // Workers serve only trees and batches: a plain copy need not ask how many CPUs
        // there are (glibc reads the cgroup's CPU quota for that: 12 system calls).
        None if !recursive && args.batch.is_none() => 1,
        None if dest_is_remote(args) => REMOTE_JOBS,
        None => default_jobs(),
    }
    .min(jobs_within_address_space_limit())
}

/// The address space (`RLIMIT_AS`, `ulimit -v`) below which fcopy runs no worker threads:
/// each worker costs a stack and a malloc arena of reserved address space. GNU's
/// tests/cp/link-heap.sh runs `cp -al` on 40,000 entries with 4 MiB above the trivial copy's
/// need; fcopy must then copy in one thread rather than abort.
pub const MIN_ADDRESS_SPACE_FOR_WORKERS: u64 = 512 << 20;

/// The most workers the address-space limit allows: 1 (no worker threads) when `RLIMIT_AS` is
/// below [`MIN_ADDRESS_SPACE_FOR_WORKERS`], else no cap.
pub fn jobs_within_address_space_limit() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::As);
    match limit.current {
        Some(bytes) if bytes < MIN_ADDRESS_SPACE_FOR_WORKERS => 1,
        _ => usize::MAX,
    }
}

/// The default for `-j`: one more worker than CPUs (the walk runs in its own thread and workers
/// wait on the filesystem), at most 8. Measured on 2 CPUs, 10,000 × 4 KiB files: -j2 130 ms,
/// -j3 107 ms, -j4 104 ms to tmpfs; -j3 was the fastest to ext4.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() + 1).min(8))
}

/// The default for `-j` when the destination is on a network or FUSE filesystem
/// ([`crate::facts::FsKind::is_remote`]): there each file costs several round trips (open,
/// stat, copy, close, each one a request to the server or daemon) and the workers wait
/// rather than compute, so more files in flight shorten the copy far beyond the CPU count.
/// Measured on a one-brick GlusterFS 10.3 volume over FUSE (brick on ext4, 127.0.0.2) on a
/// shared 2-CPU machine, 1,000 × 4 KiB files in 10 directories copied inside the volume,
/// medians of 8 runs in two runs, ratio to GNU cp -r (1.70 s): -j3 (the local default)
/// 0.57, -j4 0.46, -j8 0.45-0.54, -j16 0.38-0.51, -j32 0.35-0.39, -j64 0.39-0.41; xcp
/// 0.91-1.02. -j32 was the fastest in both; 64 no faster (the FUSE daemon is then the
/// bottleneck) and its threads cost memory. Each worker is a thread: -j32 raised the peak RSS
/// from 4.5 to 5.3 MiB.
pub const REMOTE_JOBS: usize = 32;

/// Whether the copy's destination (`-t DIR`, else the last operand; its parent when it does
/// not exist yet) is on a network or FUSE filesystem. One `statfs`, made only when `-j` is
/// not given for a tree or batch copy. A batch's destinations are its lines': not looked at.
fn dest_is_remote(args: &Args) -> bool {
    use std::path::Path;
    if args.batch.is_some() {
        return false;
    }
    let dest = match (&args.target_directory, args.operands.last()) {
        (Some(dir), _) => dir.as_path(),
        (None, Some(last)) if args.operands.len() >= 2 => Path::new(last),
        _ => return false,
    };
    let magic = match rustix::fs::statfs(dest) {
        Ok(fs) => fs.f_type as u64,
        Err(_) => match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => rustix::fs::statfs(p),
            _ => rustix::fs::statfs("."),
        }
        .map_or(0, |fs| fs.f_type as u64),
    };
    crate::facts::FsKind::from_magic(magic).is_remote()
}
