//! Reading ahead: the next directory of the parent is read, listed and looked at, and found by
//! its identity; never one the walk has already gone into.

use std::ffi::OsString;
use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use rustix::fs::fstat;

use super::{DirLooks, Hint, Lookahead};
use crate::drive::listing::read_entries;
use crate::exec::dirs::open_dir;

/// `top/src` and `top/dst`, each with the directories `names`, each with 20 files.
fn trees(top: &std::path::Path, names: &[&str]) {
    for side in ["src", "dst"] {
        for name in names {
            let dir = top.join(side).join(name);
            fs::create_dir_all(&dir).unwrap();
            for i in 0..20 {
                fs::write(dir.join(format!("f{i:02}")), b"x").unwrap();
            }
        }
    }
}

/// The parent's looks over all its entries, as the walk offers them, with its names.
fn parent_looks(top: &std::path::Path) -> (Arc<DirLooks>, Vec<OsString>) {
    let src = open_dir(rustix::fs::CWD, top.join("src"), true).unwrap();
    let dst = open_dir(rustix::fs::CWD, top.join("dst"), true).unwrap();
    let names = read_entries(src.as_fd()).unwrap();
    let mut offered = names.clone();
    let looks = DirLooks::new(
        0,
        Arc::new(src),
        Some(Arc::new(dst)),
        &mut offered,
        false,
        1,
    );
    (Arc::new(looks), names)
}

/// The walk's view of the directory `name` once entered.
fn entered_ids(top: &std::path::Path, name: &OsString) -> (OwnedFd, (u64, u64), (u64, u64)) {
    let src = open_dir(rustix::fs::CWD, top.join("src").join(name), true).unwrap();
    let dst = open_dir(rustix::fs::CWD, top.join("dst").join(name), true).unwrap();
    let (s, d) = (fstat(&src).unwrap(), fstat(&dst).unwrap());
    (src, (s.st_dev, s.st_ino), (d.st_dev, d.st_ino))
}

/// The hint a helper done with entry 0 of `parent` gives: read entry 1 ahead.
fn hint_for_next(parent: &Arc<DirLooks>) -> Hint {
    Hint {
        parent: Arc::downgrade(parent),
        next: 1,
        parent_token: 7,
        depth: 2,
    }
}

#[test]
fn the_next_directory_is_read_ahead_with_its_listing_and_looks() {
    let top = tempfile::tempdir().unwrap();
    trees(top.path(), &["a", "b", "c"]);
    let (parent, names) = parent_looks(top.path());
    let lookahead = Lookahead::new(true);
    // The walk goes into the directory it pops first (the last index), then says so.
    let (first, _) = parent.take(2).unwrap();
    assert_eq!(first, names[2]);
    let hint = Hint {
        parent: Arc::downgrade(&parent),
        next: 2,
        parent_token: 7,
        depth: 2,
    };
    lookahead.read_ahead(&hint);
    // The next one the walk pops is index 1.
    let (src, src_id, dst_id) = entered_ids(top.path(), &names[1]);
    assert!(
        lookahead.take((src_id.0, src_id.1 + 1)).is_none(),
        "another"
    );
    let ahead = lookahead.take(src_id).expect("read ahead");
    let st = fstat(&*ahead.looks.src).unwrap();
    assert_eq!((st.st_dev, st.st_ino), src_id);
    assert_eq!(ahead.dst_id, Some(dst_id));
    let dst = fstat(&**ahead.looks.dst.as_ref().unwrap()).unwrap();
    assert_eq!((dst.st_dev, dst.st_ino), dst_id);
    // Its listing, the offered names in the slots, is the walk's.
    let mut listed = ahead.entries.clone();
    assert!(listed.iter().all(|n| n.is_empty()), "all 20 offered");
    ahead.looks.names_back(&mut listed[ahead.looks.base..]);
    assert_eq!(listed, read_entries(src.as_fd()).unwrap());
    // Its entry in the parent was looked at on the way: the walk takes that look.
    assert!(parent.take(1).unwrap().1.is_some());
}

#[test]
fn a_directory_the_walk_went_into_is_not_read_ahead() {
    let top = tempfile::tempdir().unwrap();
    trees(top.path(), &["a", "b"]);
    let (parent, names) = parent_looks(top.path());
    let lookahead = Lookahead::new(true);
    parent.take(1).unwrap();
    parent.take(0).unwrap();
    let hint = hint_for_next(&parent);
    lookahead.read_ahead(&hint);
    let (_, src_id, _) = entered_ids(top.path(), &names[0]);
    assert!(lookahead.take(src_id).is_none());
}

#[test]
fn nothing_is_read_ahead_when_not_allowed() {
    let top = tempfile::tempdir().unwrap();
    trees(top.path(), &["a", "b"]);
    let (parent, names) = parent_looks(top.path());
    let lookahead = Lookahead::new(false);
    parent.take(1).unwrap();
    let hint = hint_for_next(&parent);
    lookahead.read_ahead(&hint);
    let (_, src_id, _) = entered_ids(top.path(), &names[0]);
    assert!(lookahead.take(src_id).is_none());
}

#[test]
fn a_listing_read_ahead_is_taken_for_that_directory_only() {
    let top = tempfile::tempdir().unwrap();
    trees(top.path(), &["a", "b"]);
    let (a, a_id, _) = entered_ids(top.path(), &OsString::from("a"));
    let (b, _, _) = entered_ids(top.path(), &OsString::from("b"));
    let given = vec![OsString::from("x")];
    crate::drive::listing::expect_listing(a_id, given.clone());
    assert_eq!(read_entries(a.as_fd()).unwrap(), given);
    assert_eq!(read_entries(a.as_fd()).unwrap().len(), 20, "once");
    crate::drive::listing::expect_listing(a_id, given);
    assert_eq!(
        read_entries(b.as_fd()).unwrap().len(),
        20,
        "another directory"
    );
    assert!(crate::drive::listing::unexpect_listing().is_none());
}
