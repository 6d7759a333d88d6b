//! The in-place overwrite rule ([`OldDest::may_be_overwritten_in_place`]), without a disk.

use super::{OldDest, IN_PLACE_MAX};

fn old(size: u64, allocated: u64) -> OldDest {
    OldDest { size, allocated }
}

#[test]
fn a_small_fully_allocated_dest_is_overwritten_in_place() {
    assert!(old(4096, 4096).may_be_overwritten_in_place(Some(4096)));
    assert!(old(100, 4096).may_be_overwritten_in_place(Some(100)));
    // A longer SOURCE extends it after its first page.
    assert!(old(4096, 4096).may_be_overwritten_in_place(Some(1 << 30)));
}

#[test]
fn a_dest_larger_than_one_page_is_emptied_first() {
    // Killed mid-copy, it would hold new bytes and then old ones (red team, round 6).
    assert!(!old(IN_PLACE_MAX + 1, 1 << 20).may_be_overwritten_in_place(Some(1 << 20)));
    assert!(!old(64 << 20, 64 << 20).may_be_overwritten_in_place(Some(65 << 20)));
}

#[test]
fn a_shorter_or_unknown_source_empties_dest_first() {
    // The cut at the end would be a window with old bytes past the new ones.
    assert!(!old(4096, 4096).may_be_overwritten_in_place(Some(4095)));
    // /proc and streams: no size to go by.
    assert!(!old(4096, 4096).may_be_overwritten_in_place(None));
}

#[test]
fn a_dest_with_holes_or_inline_data_is_emptied_first() {
    // Writing over a hole needs a new block; emptying first would have freed the old ones.
    assert!(!old(4096, 0).may_be_overwritten_in_place(Some(4096)));
    assert!(!old(3000, 0).may_be_overwritten_in_place(Some(3000)));
}

#[test]
fn a_dest_with_blocks_past_its_end_is_emptied_first() {
    // `fallocate -n` past the end: emptying frees them for the copy, as GNU's O_TRUNC does.
    assert!(!old(4096, 4096 + (1 << 20)).may_be_overwritten_in_place(Some(4096)));
    // A hole of one page, with 1 MiB kept past the end: blocks, yet none under the data.
    assert!(!old(4096, 1 << 20).may_be_overwritten_in_place(Some(4096)));
}

#[test]
fn an_empty_dest_has_nothing_to_overwrite() {
    assert!(!old(0, 0).may_be_overwritten_in_place(Some(10)));
}
