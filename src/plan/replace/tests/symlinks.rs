//! Unit tests of the rule for a symlink at DEST's name when the source is a hard-linked
//! regular file whose copies are linked (`link-group-over-symlink`), and of the cases where a
//! symlink at DEST is written through as GNU cp does.

use super::*;

/// `facts()`, a regular file with two names whose copies are linked (`-a`), onto a symlink at
/// DEST's name that leads to another regular file (a symlink planted there beforehand).
fn link_group_onto_symlink() -> Facts<'static> {
    let mut f = Facts {
        remember: true,
        same_file: Some(SameFile::Proceed),
        ..onto_other()
    };
    f.source.nlink = 2;
    f.existing.as_mut().unwrap().name_is_symlink = true;
    f
}

#[test]
fn a_symlink_at_the_first_name_of_a_link_group_is_replaced_not_written_through() {
    let s = settings();
    let f = link_group_onto_symlink();
    assert_eq!(decide(&f, &s), Step::RemoveFirst { report: true });
    // Removed: the copy is created anew, as the group's first copy.
    let removed = Facts {
        existing: None,
        ..f.clone()
    };
    assert_eq!(decide(&removed, &s), Step::Act(Action::Proceed));
    defers_to_replace_how(&f, &s);
    // -n and -u still skip first (GNU's overwrite_ok).
    let none = Settings {
        update: Update::None,
        ..settings()
    };
    assert_eq!(decide(&f, &none), Step::Act(Action::Skip));
}

#[test]
fn a_symlink_over_a_source_with_one_name_or_unlinked_copies_is_written_through_as_gnu() {
    let s = settings();
    // One name (`cp -a f symlink-to-file`): GNU writes through.
    let mut one = link_group_onto_symlink();
    one.source.nlink = 1;
    assert_eq!(decide(&one, &s), Step::Act(Action::Proceed));
    // Links not preserved (`cp -r`): GNU writes through.
    let unlinked = Facts {
        remember: false,
        ..link_group_onto_symlink()
    };
    assert_eq!(decide(&unlinked, &s), Step::Act(Action::Proceed));
    // A regular file at DEST's name is written in place, as ever.
    let mut plain = link_group_onto_symlink();
    plain.existing.as_mut().unwrap().name_is_symlink = false;
    assert_eq!(decide(&plain, &s), Step::Act(Action::Proceed));
    // A dangling symlink is GNU's case: refused (or created with POSIXLY_CORRECT).
    let mut dangling = link_group_onto_symlink();
    dangling.existing.as_mut().unwrap().symlink = true;
    let posix = Settings {
        posixly_correct: true,
        ..settings()
    };
    assert_eq!(decide(&dangling, &posix), Step::Act(Action::Proceed));
    // The symlink leads to the source itself: GNU's same-file rules decide.
    let mut itself = link_group_onto_symlink();
    itself.existing.as_mut().unwrap().id = itself.source.id;
    assert_ne!(decide(&itself, &s), Step::RemoveFirst { report: true });
}
