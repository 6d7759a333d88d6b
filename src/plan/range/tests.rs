//! Unit tests of the byte-range rules that need no planned job: a range of a symbolic link
//! SOURCE not followed.

use std::path::Path;

use super::range_of_symlink;
use crate::facts::{FileFacts, FileKind, FsKind};
use crate::plan::PlanError;

/// SOURCE as the drive layer examined it: `kind`, one name, on ext4.
fn source(kind: FileKind) -> FileFacts {
    FileFacts {
        kind,
        size: 10,
        blocks: 8,
        dev: 1,
        ino: 10,
        mode: 0o100644,
        fs: FsKind::Ext4,
        append: false,
        uid: 0,
        gid: 0,
        nlink: 1,
        atime: (0, 0),
        mtime: (0, 0),
        rdev: 0,
    }
}

#[test]
fn a_range_of_a_symbolic_link_not_followed_is_refused() {
    let shown = Path::new("slk");
    let refused = Err(PlanError::RangeOfSymlink(shown.to_path_buf()));
    assert_eq!(
        range_of_symlink(true, &source(FileKind::Symlink), shown),
        refused
    );
    // Without a range the link is copied as a link (`-P`, `-d`).
    assert_eq!(
        range_of_symlink(false, &source(FileKind::Symlink), shown),
        Ok(())
    );
    // A regular file (also one a followed link led to), a FIFO or a device: bytes to read.
    for kind in [FileKind::Regular, FileKind::Fifo, FileKind::CharDevice] {
        assert_eq!(range_of_symlink(true, &source(kind), shown), Ok(()));
    }
}
