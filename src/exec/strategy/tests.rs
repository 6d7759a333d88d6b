//! Unit tests of the strategy choices that depend on DEST's filesystem.

use super::read_write_is_faster;
use crate::facts::FsKind;

#[test]
fn fuse_reads_and_writes_instead_of_the_kernel_copy() {
    // GlusterFS, sshfs, s3fs ...: the kernel's copy is a 64 KiB splice there.
    assert!(read_write_is_faster(Some(FsKind::from_magic(0x6573_5546))));
}

#[test]
fn local_and_network_filesystems_keep_copy_file_range() {
    // The `big` (ext4) and `tmpfs` rows, the reflink rows (btrfs, XFS), NFS and SMB (server-side
    // copy), overlayfs, and a filesystem this run does not know.
    let kinds = [
        Some(FsKind::Ext4),
        Some(FsKind::Tmpfs),
        Some(FsKind::Btrfs),
        Some(FsKind::Xfs),
        Some(FsKind::from_magic(0x6969)),
        Some(FsKind::from_magic(0xFE53_4D42)),
        Some(FsKind::from_magic(0x794c_7630)),
        None,
    ];
    for kind in kinds {
        assert!(!read_write_is_faster(kind), "{kind:?}");
    }
}
