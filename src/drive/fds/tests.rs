//! The descriptor budget's pure rule.

use super::{dir_levels_for_fd_limit, OPEN_DIR_BUDGET};

#[test]
fn the_walk_keeps_at_least_one_level_and_at_most_the_budget() {
    assert_eq!(dir_levels_for_fd_limit(0), 1);
    assert_eq!(dir_levels_for_fd_limit(12), 1);
    assert_eq!(dir_levels_for_fd_limit(1 << 20), OPEN_DIR_BUDGET);
    let mid = dir_levels_for_fd_limit(256);
    assert!(mid > 1 && mid < OPEN_DIR_BUDGET, "{mid}");
}
