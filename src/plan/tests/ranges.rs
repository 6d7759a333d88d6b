//! Unit tests of a ranged job's hole rule ([`range::range_holes`]): a range keeps SOURCE's holes where
//! a whole-file copy would (new-user report, round 9: every block of a 50 MiB hole was written).

use super::*;

#[test]
fn range_keeps_holes_as_a_whole_file_copy_would() {
    let sparse = file(1 << 30, 8, FsKind::Ext4);
    let dense = file(1 << 20, 2048, FsKind::Ext4);
    let dest = missing(FsKind::Ext4);
    let holes = |argv: &[&str], src: &FileFacts| {
        let j = job(argv, src, &dest);
        assert_eq!(j.strategy, Strategy::Ranged);
        (j.keep_holes, j.detect_zeros)
    };
    assert_eq!(
        holes(&["--sparse=always", "--len=1M"], &sparse),
        (true, true)
    );
    // Not yet under `auto` (see `range::range_holes`).
    assert_eq!(holes(&["--len=1M"], &sparse), (false, false));
    assert_eq!(holes(&["--len=1M"], &dense), (false, false));
    assert_eq!(
        holes(&["--sparse=always", "--len=1M"], &dense),
        (true, true)
    );
    assert_eq!(
        holes(&["--sparse=never", "--len=1M"], &sparse),
        (false, false)
    );
    let stdout = DestFacts::Stdout(file(0, 0, FsKind::Ext4));
    let j = job(&["--sparse=always", "--len=1M"], &sparse, &stdout);
    assert!(!j.keep_holes, "standard output is written where it is");
}
