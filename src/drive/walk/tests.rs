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

/// Hard links (one inode) come in directory order, as from GNU's stable sort by inode.
#[test]
fn names_of_one_inode_pop_in_directory_order() {
    let read = vec![
        (20, OsString::from("q1")),
        (10, OsString::from("x")),
        (20, OsString::from("p1")),
        (20, OsString::from("r1")),
    ];
    let mut order = pop_order(read);
    let popped: Vec<_> = std::iter::from_fn(|| order.pop()).collect();
    let want: Vec<OsString> = ["x", "q1", "p1", "r1"].iter().map(OsString::from).collect();
    assert_eq!(popped, want);
}
