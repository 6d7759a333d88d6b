//! Unit tests of the rule that picks read/write over the kernel's splice.

use super::*;

#[test]
fn ext4_to_ext4_over_existing_data_from_16_mib_reads_and_writes() {
    let ext4 = Some(FsKind::Ext4);
    assert!(read_write_is_faster(FsKind::Ext4, ext4, 256 << 20, true));
    assert!(read_write_is_faster(
        FsKind::Ext4,
        ext4,
        READ_WRITE_FROM,
        true
    ));
    // Short spans keep copy_file_range (the buffer would cost more than it saves).
    assert!(!read_write_is_faster(
        FsKind::Ext4,
        ext4,
        READ_WRITE_FROM - 1,
        true
    ));
    assert!(!read_write_is_faster(FsKind::Ext4, ext4, 100, true));
    // A span that creates or extends the file is left to copy_file_range.
    assert!(!read_write_is_faster(FsKind::Ext4, ext4, 256 << 20, false));
}

#[test]
fn anywhere_else_copy_file_range_stays() {
    let big = 1 << 30;
    // Filesystems that share extents or offload the copy, and pairs not measured.
    for (source, dest) in [
        (FsKind::Xfs, Some(FsKind::Xfs)),
        (FsKind::Btrfs, Some(FsKind::Btrfs)),
        (FsKind::Ext4, Some(FsKind::Xfs)),
        (FsKind::Btrfs, Some(FsKind::Ext4)),
        (FsKind::Ext4, Some(FsKind::Tmpfs)),
        (FsKind::Tmpfs, Some(FsKind::Tmpfs)),
        (FsKind::Other(0x6969), Some(FsKind::Ext4)),
        (FsKind::Ext4, Some(FsKind::Other(0x6969))),
        // DEST's filesystem not known to this run.
        (FsKind::Ext4, None),
    ] {
        assert!(
            !read_write_is_faster(source, dest, big, true),
            "{source:?} -> {dest:?}"
        );
    }
}
