//! A whole-file job's copy method, chosen from the options and both ends' facts: a clone
//! (reflink), sparse copying, the kernel's copy (copy_file_range) or read/write.

use super::{dest_regular, CloneMode, CopyOptions, Job, Strategy};
use crate::facts::{DestFacts, FileFacts, FileKind, FsKind};
use crate::options::values::{MethodChoice, ReflinkWhen, SparseWhen};

/// Whether to clone: `--reflink=always` must; `auto` tries on one filesystem that can clone,
/// between two named files, when neither `--method` nor `--sparse` asks for something else.
pub(super) fn clone_mode(
    job: &Job,
    opts: &CopyOptions,
    source: &FileFacts,
    dest: &DestFacts,
) -> CloneMode {
    match opts.reflink {
        ReflinkWhen::Always => CloneMode::Must,
        ReflinkWhen::Auto
            if opts.method == MethodChoice::Auto
                && opts.sparse == SparseWhen::Auto
                && dest.dev() == Some(source.dev)
                && !matches!(dest, DestFacts::Stdout(_))
                && !job.source.is_stdio()
                && dest.fs().is_some_and(|fs| fs.can_clone()) =>
        {
            CloneMode::Try
        }
        _ => CloneMode::No,
    }
}

/// A whole-file job's strategy: clone, sparse, the kernel copy or read/write.
pub(super) fn choose_strategy(
    job: &mut Job,
    opts: &CopyOptions,
    source: &FileFacts,
    dest: &DestFacts,
) {
    let stdin = job.source.is_stdio();
    let source_regular = source.kind == FileKind::Regular;
    let streams = !source_regular || !dest_regular(dest) || source.fs.is_pseudo();
    let clone = clone_mode(job, opts, source, dest);
    job.clone = clone;
    job.strategy = if clone != CloneMode::No && source_regular && !streams {
        Strategy::Reflink
    } else if clone == CloneMode::Must {
        // FICLONE needs two regular files; the executor reports the failure.
        Strategy::Reflink
    } else if streams || stdin {
        // GNU cp makes holes from any input into a regular DEST under --sparse=always (copy.c:
        // "try to create holes only if the destination is a regular file"): a block device,
        // a pipe, standard input (round 11's leftovers: a zeroed device made no holes).
        job.detect_zeros = opts.sparse == SparseWhen::Always
            && job.dest_seekable
            && dest_regular(dest)
            && opts.method != MethodChoice::CopyFileRange;
        Strategy::ReadWrite
    } else if opts.sparse == SparseWhen::Always && job.dest_seekable {
        job.detect_zeros = true;
        Strategy::Sparse
    } else if opts.sparse == SparseWhen::Auto && source.looks_sparse() {
        Strategy::Sparse
    } else if job.kernel_copy {
        Strategy::CopyFileRange
    } else {
        Strategy::ReadWrite
    };
}

/// What the kernel is known to refuse, before any byte moves, for a job that may not fall back:
/// the dry run fails such a job with the run's message (README: "A job the run would refuse
/// fails in the plan too"; new-user trial, round 21: `--dry-run --reflink=always` on ext4
/// planned a clone that the run then refused). Only what both ends' filesystems decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownRefusal {
    /// `--reflink=always`: FICLONE fails with this errno: `EXDEV` between two filesystems
    /// (another kind, or another device of ext4, tmpfs or XFS:
    /// [`FsKind::one_filesystem_per_device`]), `EOPNOTSUPP` within one that cannot clone (ext4,
    /// tmpfs).
    Clone(rustix::io::Errno),
    /// `--method=copy-file-range` between two filesystems: copy_file_range(2) copies across
    /// filesystems only where both are one kind that supports it (NFS, CIFS), so it says
    /// `EXDEV` (Linux 5.19 and later).
    CopyFileRange,
}

/// [`KnownRefusal`] for `job`, whose DEST is (or would be created) on `dest_fs`, device
/// `dest_dev`; `None` when the run may succeed, or only the run can tell.
pub fn known_refusal(
    job: &Job,
    dest_fs: Option<FsKind>,
    dest_dev: Option<u64>,
) -> Option<KnownRefusal> {
    let (src_fs, src_dev) = (job.source_facts.fs, job.source_facts.dev);
    let dest_fs = dest_fs?;
    // Two filesystems: two kinds, or two devices of a kind whose devices are filesystems.
    let two_filesystems = dest_fs != src_fs
        || (src_fs.one_filesystem_per_device() && dest_dev.is_some_and(|d| d != src_dev));
    if job.strategy == Strategy::Reflink && job.clone == CloneMode::Must {
        if two_filesystems {
            return Some(KnownRefusal::Clone(rustix::io::Errno::XDEV));
        }
        if !src_fs.can_clone() {
            return Some(KnownRefusal::Clone(rustix::io::Errno::OPNOTSUPP));
        }
    }
    let pseudo = src_fs.is_pseudo() || dest_fs.is_pseudo();
    let regular = job.source_facts.kind == FileKind::Regular;
    if job.kernel_copy_only && two_filesystems && !pseudo && regular {
        return Some(KnownRefusal::CopyFileRange);
    }
    None
}
