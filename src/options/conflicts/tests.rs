//! One test per row of the conflict table: the pair is refused with its conflict, and a
//! near miss (one side changed) is accepted.

use clap::Parser;

use super::*;

fn first_conflict(argv: &[&str]) -> Option<Conflict> {
    let args = Args::try_parse_from(std::iter::once("fcopy").chain(argv.iter().copied())).unwrap();
    let backup = args
        .backup
        .as_deref()
        .is_some_and(|w| w != "none" && w != "off")
        || args.backup_default
        || args.suffix.is_some();
    check(&Given {
        args: &args,
        backup,
    })
    .err()
}

/// `conflict`: `both` is refused with it; `near_miss` passes the table.
macro_rules! row_test {
    ($name:ident, $conflict:ident, $both:expr, $near_miss:expr) => {
        #[test]
        fn $name() {
            assert_eq!(
                first_conflict(&$both),
                Some(Conflict::$conflict),
                "{:?}",
                $both
            );
            assert_eq!(first_conflict(&$near_miss), None, "{:?}", $near_miss);
        }
    };
}

row_test!(
    reflink_needs_sparse_auto,
    ReflinkNeedsSparseAuto,
    ["--reflink=always", "--sparse=never", "a", "b"],
    ["--reflink=always", "--sparse=auto", "a", "b"]
);
row_test!(
    copy_file_range_with_reflink_never,
    CopyFileRangeWithReflinkNever,
    ["--method=copy-file-range", "--reflink=never", "a", "b"],
    ["--method=copy-file-range", "a", "b"]
);
row_test!(
    copy_file_range_with_sparse_never,
    CopyFileRangeWithSparseNever,
    ["--method=copy-file-range", "--sparse=never", "a", "b"],
    ["--method=auto", "--sparse=never", "a", "b"]
);
row_test!(
    copy_file_range_with_sparse_always,
    CopyFileRangeWithSparseAlways,
    ["--method=copy-file-range", "--sparse=always", "a", "b"],
    ["--method=read-write", "--sparse=always", "a", "b"]
);
row_test!(
    read_write_with_reflink_always,
    ReadWriteWithReflinkAlways,
    ["--method=read-write", "--reflink", "a", "b"],
    ["--method=read-write", "--reflink=auto", "a", "b"]
);
row_test!(
    backup_with_no_clobber,
    BackupWithNoClobber,
    ["--backup=simple", "-n", "a", "b"],
    ["--backup=none", "-n", "a", "b"]
);
row_test!(
    backup_with_update_none_fail,
    BackupWithNoClobber,
    ["-b", "--update=none-fail", "a", "b"],
    ["-b", "--update=older", "a", "b"]
);
// GNU 9.6 (commit "cp,mv: decouple --update from -f,-i,-n options"; tests/cp/cp-i.sh:
// `returns_ 1 cp -b --update=none c d`).
row_test!(
    backup_with_update_none,
    BackupWithNoClobber,
    ["-b", "--update=none", "a", "b"],
    ["-b", "--update=all", "a", "b"]
);
row_test!(
    hard_and_symbolic_links,
    HardAndSymbolicLinks,
    ["-l", "-s", "a", "b"],
    ["-s", "a", "b"]
);
row_test!(
    range_with_parents,
    RangeWithParents,
    ["--parents", "--len", "1", "a", "d"],
    ["--parents", "a", "d"]
);
row_test!(
    range_with_recursive,
    RangeWithRecursive,
    ["-a", "--offset-in", "1", "a", "b"],
    ["--offset-in", "1", "a", "b"]
);
row_test!(
    batch_with_operands,
    BatchWithOperands,
    ["--batch", "f", "a"],
    ["--batch", "f"]
);
row_test!(
    batch_with_target_directory,
    BatchWithTargetDirectory,
    ["--batch", "f", "-t", "d"],
    ["--batch", "f", "-T"]
);
row_test!(
    batch_with_parents,
    BatchWithParents,
    ["--batch", "f", "--parents"],
    ["--batch", "f", "-r"]
);
row_test!(
    null_without_batch,
    NullWithoutBatch,
    ["-0", "a", "b"],
    ["-0", "--batch", "f"]
);
row_test!(
    null_with_files_from,
    NullWithoutBatch,
    ["-0", "a", "b"],
    ["-0", "--files-from", "f", "d"]
);
row_test!(
    files_from_with_batch,
    FilesFromWithBatch,
    ["--files-from", "f", "--batch", "g"],
    ["--files-from", "f", "d"]
);
row_test!(
    files_from_with_no_target_directory,
    FilesFromWithNoTargetDirectory,
    ["--files-from", "f", "-T", "d"],
    ["--files-from", "f", "-t", "d"]
);
row_test!(
    update_changed_with_range,
    UpdateChangedWithRange,
    ["--update=changed", "--len", "1", "a", "b"],
    ["--update=older", "--len", "1", "a", "b"]
);
row_test!(
    checksum_without_update_changed,
    ChecksumWithoutUpdateChanged,
    ["--checksum", "--update=older", "a", "b"],
    ["--checksum", "--update=changed", "a", "b"]
);
row_test!(
    range_with_links,
    RangeWithLinks,
    ["-l", "--len=1", "a", "b"],
    ["-l", "a", "b"]
);
row_test!(
    range_with_symbolic_links,
    RangeWithLinks,
    ["-s", "--offset-out=1", "a", "b"],
    ["--offset-out=1", "a", "b"]
);
row_test!(
    range_with_attributes_only,
    RangeWithAttributesOnly,
    ["--attributes-only", "--len=1", "a", "b"],
    ["--attributes-only", "a", "b"]
);
row_test!(
    resume_with_range,
    ResumeWithRange,
    ["--resume", "--len=1", "a", "b"],
    ["--resume", "a", "b"]
);
row_test!(
    verify_with_hard_links,
    VerifyWithoutCopy,
    ["--verify", "-l", "a", "b"],
    ["--verify", "a", "b"]
);
row_test!(
    verify_with_symbolic_links,
    VerifyWithoutCopy,
    ["--verify=hash", "-s", "a", "b"],
    ["-s", "a", "b"]
);
row_test!(
    verify_with_attributes_only,
    VerifyWithoutCopy,
    ["--verify", "--attributes-only", "a", "b"],
    ["--attributes-only", "a", "b"]
);
row_test!(
    resume_with_links,
    ResumeWithoutCopy,
    ["--resume", "-s", "a", "b"],
    ["--resume", "--atomic", "a", "b"]
);
row_test!(
    resume_with_attributes_only,
    ResumeWithoutCopy,
    ["--resume", "--attributes-only", "a", "b"],
    ["--resume", "-u", "a", "b"]
);
row_test!(
    backup_with_range_needs_atomic,
    BackupWithRangeNeedsAtomic,
    ["-b", "--offset-out=2", "a", "b"],
    ["-b", "--atomic", "--offset-out=2", "a", "b"]
);
row_test!(
    remove_destination_with_range_needs_atomic,
    RemoveDestinationWithRangeNeedsAtomic,
    ["--remove-destination", "--len=1", "a", "b"],
    ["--remove-destination", "--atomic", "--len=1", "a", "b"]
);
row_test!(
    target_directory_with_no_target_directory,
    TargetDirectoryWithNoTargetDirectory,
    ["-t", "d", "-T", "a"],
    ["-t", "d", "a"]
);

#[test]
fn every_row_has_its_own_conflict() {
    for (i, row) in CONFLICTS.iter().enumerate() {
        assert!(
            CONFLICTS[..i].iter().all(|r| r.conflict != row.conflict),
            "{:?} twice",
            row.conflict
        );
    }
    assert!(!Conflict::TargetDirectoryWithNoTargetDirectory.try_help());
    assert!(Conflict::HardAndSymbolicLinks.try_help());
}
