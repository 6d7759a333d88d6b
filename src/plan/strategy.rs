//! A whole-file job's copy method, chosen from the options and both ends' facts: a clone
//! (reflink), sparse copying, the kernel's copy (copy_file_range) or read/write.

use super::{dest_regular, CloneMode, CopyOptions, Job, Strategy};
use crate::facts::{DestFacts, FileFacts, FileKind};
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
