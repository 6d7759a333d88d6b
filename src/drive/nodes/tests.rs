//! The `-s` decision that needs no disk.

use std::path::Path;

use super::links::relative_link_refused;

#[test]
fn relative_symbolic_links_are_made_only_in_the_current_directory() {
    let refused = |src: &str, dst: &str| relative_link_refused(Path::new(src), Path::new(dst));
    assert!(refused("f", "d/f"));
    assert!(refused("../f", "d/e/f"));
    assert!(!refused("f", "g"));
    assert!(!refused("f", "./g"));
    assert!(!refused("/abs/f", "d/f"));
}
