//! Unit tests of `--checksum`'s byte comparison.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

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
