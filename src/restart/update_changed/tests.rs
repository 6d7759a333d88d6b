//! Unit tests of `--update=changed`'s time comparison.

use super::*;

#[test]
fn precision() {
    assert!(same_mtime((100, 5), (100, 5), 1));
    assert!(!same_mtime((100, 5), (100, 6), 1));
    // A whole-second side: seconds compared.
    assert!(same_mtime((100, 0), (100, 999), 1));
    assert!(!same_mtime((100, 0), (101, 5), 1));
    // FAT's two-second steps (the kernel truncates).
    assert!(same_mtime(
        (101, 500),
        (100, 0),
        granularity_ns(Some(MSDOS_MAGIC))
    ));
    assert!(!same_mtime(
        (102, 500),
        (100, 0),
        granularity_ns(Some(MSDOS_MAGIC))
    ));
    // Before 1970.
    assert!(!same_mtime((-1, 5), (0, 5), 1_000_000_000));
}
