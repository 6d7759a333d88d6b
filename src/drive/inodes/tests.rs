//! The compact set of file identities.

use super::InodeSet;

#[test]
fn identities_are_told_apart_by_device_and_inode() {
    let mut set = InodeSet::default();
    assert!(!set.contains((1, 10)));
    set.insert((1, 10));
    set.insert((2, 10));
    set.insert((1, 10));
    assert!(set.contains((1, 10)));
    assert!(set.contains((2, 10)));
    assert!(!set.contains((1, 11)));
    assert!(!set.contains((3, 10)));
}
