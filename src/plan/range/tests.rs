//! Unit tests of the byte-range rules that need no planned job: a range of a symbolic link
//! SOURCE not followed, and a range from standard input that is DEST itself.

use std::path::Path;

use super::{endless_from_stdin, range_of_symlink};
use crate::facts::{FileFacts, FileKind, FsKind};
use crate::plan::tests::file;
use crate::plan::{PlanError, RangeArgs};
use crate::units::ByteArg;

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

/// Offsets and length in bytes (`None`: not given).
fn range(offset_in: Option<u64>, offset_out: Option<u64>, len: Option<u64>) -> RangeArgs {
    let arg = |v: Option<u64>| {
        v.map(|value| ByteArg {
            value,
            text: value.to_string(),
        })
    };
    RangeArgs {
        offset_in: arg(offset_in),
        offset_out: arg(offset_out),
        len: arg(len),
        names: Default::default(),
    }
}

/// Red team, round 11 (`fcopy --offset-out 10 - g < g` grew `g` without end): only writes
/// ahead of the reads with no `--len` never end; a pipe is no file to grow.
#[test]
fn a_range_from_standard_input_that_is_dest_never_ends_only_when_it_writes_ahead_unbounded() {
    let regular = source(FileKind::Regular);
    assert!(endless_from_stdin(&range(None, Some(10), None), &regular));
    assert!(endless_from_stdin(
        &range(Some(5), Some(10), None),
        &regular
    ));
    assert!(!endless_from_stdin(
        &range(None, Some(10), Some(20)),
        &regular
    ));
    assert!(!endless_from_stdin(&range(Some(10), None, None), &regular));
    assert!(!endless_from_stdin(
        &range(Some(10), Some(10), None),
        &regular
    ));
    assert!(!endless_from_stdin(
        &range(None, Some(10), None),
        &source(FileKind::Fifo)
    ));
}
