//! Unit tests of the byte-range rules that need no planned job: a range of a symbolic link
//! SOURCE not followed.

use std::path::Path;

use super::range_of_symlink;
use crate::facts::{FileFacts, FileKind, FsKind};
use crate::plan::tests::file;
use crate::plan::PlanError;

/// SOURCE as the drive layer examined it: `kind`, one name, 10 bytes on ext4.
fn source(kind: FileKind) -> FileFacts {
    FileFacts {
        kind,
        ..file(10, 8, FsKind::Ext4)
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
