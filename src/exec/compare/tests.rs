//! Unit tests of `--checksum`'s byte comparison.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use std::ops::Range;

use super::shared::{same_blocks, to_read, Mapped};
use super::*;

fn id(path: &Path) -> (u64, u64) {
    let m = std::fs::symlink_metadata(path).unwrap();
    (m.dev(), m.ino())
}

fn side(end: &Endpoint, nofollow: bool) -> Side<'_> {
    let Endpoint::Path(p) = end else {
        unreachable!()
    };
    Side {
        end,
        id: id(p),
        nofollow,
    }
}

#[test]
fn equal_and_different_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..(3 * CHUNK + 17)).map(|i| (i * 7 % 251) as u8).collect();
    let mut other = big.clone();
    *other.last_mut().unwrap() ^= 1;
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    std::fs::write(&a, &big).unwrap();
    std::fs::write(&b, &big).unwrap();
    std::fs::write(&c, &other).unwrap();
    let (a, b, c) = (Endpoint::Path(a), Endpoint::Path(b), Endpoint::Path(c));
    let len = big.len() as u64;
    assert!(same_contents(side(&a, true), side(&b, true), len));
    assert!(!same_contents(side(&a, true), side(&c, true), len));
    // A length that is not the files' own: not the files the rules looked at.
    assert!(!same_contents(side(&a, true), side(&b, true), len - 1));
}

#[test]
fn empty_files_are_equal() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&a, b"").unwrap();
    std::fs::write(&b, b"").unwrap();
    let (a, b) = (Endpoint::Path(a), Endpoint::Path(b));
    assert!(same_contents(side(&a, true), side(&b, true), 0));
}

#[test]
fn a_swapped_in_file_or_symlink_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&a, b"same").unwrap();
    std::fs::write(&b, b"same").unwrap();
    let (ea, eb) = (Endpoint::Path(a.clone()), Endpoint::Path(b.clone()));
    let looked_at = side(&eb, true);
    // DEST is replaced by a symbolic link to an identical file after the rules looked at it.
    std::fs::remove_file(&b).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    assert!(!same_contents(side(&ea, true), looked_at, 4));
    // Followed, the link leads to another inode than the one looked at.
    let followed = Side {
        nofollow: false,
        ..looked_at
    };
    assert!(!same_contents(side(&ea, true), followed, 4));
}

fn m(logical: u64, physical: u64, length: u64) -> Mapped {
    Mapped {
        logical,
        physical,
        length,
    }
}

#[test]
fn same_blocks_are_where_both_map_an_offset_to_one_address() {
    // A whole-file reflink: one extent each, same place.
    assert_eq!(
        same_blocks(&[m(0, 1000, 50)], &[m(0, 1000, 50)]),
        vec![0..50]
    );
    // Split differently but contiguous on disk: merged.
    assert_eq!(
        same_blocks(&[m(0, 1000, 20), m(20, 1020, 30)], &[m(0, 1000, 50)]),
        vec![0..50]
    );
    // Same extent, cloned at another offset: the bytes at each offset differ in origin.
    assert!(same_blocks(&[m(0, 1000, 50)], &[m(10, 1000, 50)]).is_empty());
    // The middle rewritten in DEST (a new extent elsewhere): only the ends are shared.
    assert_eq!(
        same_blocks(
            &[m(0, 1000, 50)],
            &[m(0, 1000, 10), m(10, 9000, 20), m(30, 1030, 20)]
        ),
        vec![0..10, 30..50]
    );
    assert!(same_blocks(&[], &[m(0, 1000, 50)]).is_empty());
}

#[test]
fn what_is_left_to_read() {
    assert_eq!(to_read(&[], 10), vec![0..10]);
    let whole: Range<u64> = 0..10;
    assert_eq!(
        to_read(std::slice::from_ref(&whole), 10),
        Vec::<Range<u64>>::new()
    );
    assert_eq!(to_read(&[2..4, 6..20], 10), vec![0..2, 4..6]);
}
