//! The walk's pure decisions: the descriptor budget and the order entries are copied in.

use std::ffi::OsString;

use super::super::frame::pop_order;
use super::{dir_levels_for_fd_limit, OPEN_DIR_BUDGET};

#[test]
fn the_walk_keeps_at_least_one_level_and_at_most_the_budget() {
    assert_eq!(dir_levels_for_fd_limit(0), 1);
    assert_eq!(dir_levels_for_fd_limit(12), 1);
    assert_eq!(dir_levels_for_fd_limit(1 << 20), OPEN_DIR_BUDGET);
    let mid = dir_levels_for_fd_limit(256);
    assert!(mid > 1 && mid < OPEN_DIR_BUDGET, "{mid}");
}

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
