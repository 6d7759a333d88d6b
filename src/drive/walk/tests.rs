//! The walk's pure decisions: the order entries are copied in.

use std::ffi::OsString;

use super::super::listing::pop_order;

#[test]
fn entries_pop_in_ascending_inode_order() {
    let names = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
    let read = vec![
        (30, OsString::from("c")),
        (10, OsString::from("a")),
        (20, OsString::from("b")),
    ];
    let mut order = pop_order(read);
    assert_eq!(order, names(&["c", "b", "a"]));
    assert_eq!(order.pop(), Some(OsString::from("a")));
}
