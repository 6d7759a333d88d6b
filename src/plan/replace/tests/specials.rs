//! Unit tests of the rule for a FIFO, socket or device node at DEST's name when the source is
//! a hard-linked regular file whose copies are linked (`link-group-over-special`), and of the
//! link to a first copy, which never removes DEST before it is made.

use super::*;

/// `facts()`, a regular file with two names whose copies are linked (`-a`), onto a FIFO (or
/// another special file) at DEST's name.
fn link_group_onto_special() -> Facts<'static> {
    let mut f = Facts {
        remember: true,
        ..onto_other()
    };
    f.source.nlink = 2;
    f.existing.as_mut().unwrap().special = true;
    f
}

#[test]
fn a_special_file_at_a_name_of_a_link_group_is_replaced_never_opened() {
    let s = settings();
    let f = link_group_onto_special();
    assert_eq!(decide(&f, &s), Step::RemoveFirst { report: true });
    let removed = Facts {
        existing: None,
        ..f.clone()
    };
    assert_eq!(decide(&removed, &s), Step::Act(Action::Proceed));
    // GNU 9.1 also replaces it with --attributes-only (no preserve_links setting then).
    let attributes_only = Settings {
        preserve_links: false,
        ..settings()
    };
    assert_eq!(
        decide(&f, &attributes_only),
        Step::RemoveFirst { report: true }
    );
    defers_to_replace_how(&f, &s);
}

#[test]
fn a_special_file_is_written_into_for_a_source_of_one_name_or_without_links_kept() {
    let s = settings();
    // One name: GNU cp opens the FIFO and writes into it (cp's documented behaviour).
    let mut one = link_group_onto_special();
    one.source.nlink = 1;
    assert_eq!(decide(&one, &s), Step::Act(Action::Proceed));
    // Links not kept (`cp -r`): the same.
    let plain = Facts {
        remember: false,
        ..link_group_onto_special()
    };
    assert_eq!(decide(&plain, &s), Step::Act(Action::Proceed));
}

#[test]
fn update_keeps_links_by_a_link_that_never_removes_dest_first() {
    // `cp -au`: DEST not older, first copy known: linked, DEST kept until the link exists.
    let mut f = Facts {
        remember: true,
        first_copy_known: true,
        ..onto_other()
    };
    f.existing.as_mut().unwrap().mtime = (200, 0);
    let s = Settings {
        update: Update::Older,
        ..settings()
    };
    assert_eq!(decide(&f, &s), Step::Act(Action::LinkSkippedToFirst));
}
