//! Unit tests of the rules that decide how an existing destination is replaced: `--update`,
//! `-i`, backups, `--remove-destination`, remembered hard links, a directory in the way.

use super::*;

#[test]
fn update_older_remembers_a_not_older_link_group_member() {
    let older = Settings {
        update: Update::Older,
        ..settings()
    };
    let mut f = Facts {
        remember: true,
        ..onto_other()
    };
    f.existing.as_mut().unwrap().mtime = (100, 0);
    assert_eq!(decide(&f, &older), Step::Act(Action::RememberAsFirst));
    f.first_copy_known = true;
    assert_eq!(decide(&f, &older), Step::Act(Action::LinkSkippedToFirst));
    // An older DEST is replaced as usual.
    f.existing.as_mut().unwrap().mtime = (99, 0);
    assert_eq!(update_remembers_link_group(&f, &older), None);
}

#[test]
fn update_older_with_resume_goes_on_with_a_newer_dest_that_holds_the_start_of_the_source() {
    // `-u --resume`: a newer DEST shorter than SOURCE may be the partial copy --resume kept
    // (new-user trial, round 8); it is continued when its tail matches SOURCE, skipped if not.
    let s = Settings {
        update: Update::Older,
        resume: true,
        ..settings()
    };
    let mut f = onto_other();
    f.existing.as_mut().unwrap().mtime = (200, 0);
    f.existing.as_mut().unwrap().regular_size = Some(1000);
    assert_eq!(decide(&f, &s), Step::Gather(Fact::Resumable));
    f.resumable = Some(true);
    assert_eq!(decide(&f, &s), Step::Act(Action::Proceed));
    f.resumable = Some(false);
    assert_eq!(decide(&f, &s), Step::Act(Action::Skip));
    // The same when -u remembers skipped files (hard links kept: -a): a resumable DEST is
    // continued, another is skipped and remembered.
    let mut g = Facts {
        remember: true,
        resumable: None,
        ..f.clone()
    };
    assert_eq!(decide(&g, &s), Step::Gather(Fact::Resumable));
    g.resumable = Some(true);
    assert_eq!(decide(&g, &s), Step::Act(Action::Proceed));
    g.resumable = Some(false);
    assert_eq!(decide(&g, &s), Step::Act(Action::RememberAsFirst));
    // As long as SOURCE (a finished copy), empty, not a regular file, or without --resume:
    // skipped as newer, with nothing read.
    for size in [Some(4096), Some(5000), Some(0), None] {
        let mut g = onto_other();
        g.existing.as_mut().unwrap().mtime = (200, 0);
        g.existing.as_mut().unwrap().regular_size = size;
        assert_eq!(decide(&g, &s), Step::Act(Action::Skip), "{size:?}");
    }
    f.resumable = None;
    let no_resume = Settings { resume: false, ..s };
    assert_eq!(decide(&f, &no_resume), Step::Act(Action::Skip));
    let ranged = Settings { ranged: true, ..s };
    assert_eq!(decide(&f, &ranged), Step::Act(Action::Skip));
}

#[test]
fn update_rules_skip_fail_or_compare() {
    let with = |update| Settings {
        update,
        ..settings()
    };
    let f = onto_other();
    assert_eq!(decide(&f, &with(Update::None)), Step::Act(Action::Skip));
    let (_, dest) = paths();
    assert_eq!(
        fails(decide(&f, &with(Update::NoneFail))),
        ReplaceError::NotReplacing { dest }
    );
    // Older DEST (50 < 100): replaced; a newer or equal one is skipped.
    assert_eq!(decide(&f, &with(Update::Older)), Step::Act(Action::Proceed));
    let mut newer = onto_other();
    newer.existing.as_mut().unwrap().mtime = (100, 0);
    assert_eq!(
        decide(&newer, &with(Update::Older)),
        Step::Act(Action::Skip)
    );
    assert_eq!(
        decide(&f, &with(Update::Changed)),
        Step::Gather(Fact::Unchanged)
    );
    let unchanged = Facts {
        unchanged: Some(true),
        ..onto_other()
    };
    assert_eq!(
        decide(&unchanged, &with(Update::Changed)),
        Step::Act(Action::Skip)
    );
}

#[test]
fn interactive_asks_and_a_no_declines() {
    let s = Settings {
        interactive: true,
        ..settings()
    };
    assert_eq!(decide(&onto_other(), &s), Step::Ask);
    let no = Facts {
        answer: Some(false),
        ..onto_other()
    };
    assert_eq!(decide(&no, &s), Step::Act(Action::Decline));
    let yes = Facts {
        answer: Some(true),
        ..onto_other()
    };
    assert_eq!(decide(&yes, &s), Step::Act(Action::Proceed));
    // --update decides before the question.
    let none = Settings {
        update: Update::None,
        ..s
    };
    assert_eq!(decide(&onto_other(), &none), Step::Act(Action::Skip));
}

#[test]
fn backup_that_is_the_source_is_refused() {
    let s = Settings {
        backup: true,
        ..settings()
    };
    assert_eq!(
        decide(&onto_other(), &s),
        Step::Gather(Fact::BackupIsSource)
    );
    let is = Facts {
        backup_is_source: Some(true),
        ..onto_other()
    };
    let (source, dest) = paths();
    assert_eq!(
        fails(decide(&is, &s)),
        ReplaceError::BackupDestroysSource { source, dest }
    );
    // Numbered backups never are the source.
    let numbered = Settings {
        numbered_backup: true,
        ..s
    };
    assert_eq!(backup_is_source(&onto_other(), &numbered), None);
}

#[test]
fn backup_name_is_compared_by_last_components() {
    assert!(backup_named_like_source(b"a~", b"a", b"~"));
    assert!(!backup_named_like_source(b"a", b"a", b"~"));
    assert!(!backup_named_like_source(b"b~", b"a", b"~"));
    assert!(backup_named_like_source(b"a.bak", b"a", b".bak"));
}

#[test]
fn replacement_backs_up_or_removes_first() {
    let backup = Settings {
        backup: true,
        ..settings()
    };
    let isnt = Facts {
        backup_is_source: Some(false),
        ..onto_other()
    };
    assert_eq!(decide(&isnt, &backup), Step::BackUpFirst);
    let rm = Settings {
        remove_destination: true,
        ..settings()
    };
    assert_eq!(
        decide(&onto_other(), &rm),
        Step::RemoveFirst { report: true }
    );
    // A dry run neither renames nor removes.
    let dry = Settings {
        dry_run: true,
        ..rm
    };
    assert_eq!(decide(&onto_other(), &dry), Step::Act(Action::Proceed));
}

/// GNU copy.c: with links kept, a DEST file that has other names is removed and created anew,
/// so the other names keep the old contents (`cp -a` into a tree with hard links); without
/// `-a`/`-d`/`--preserve=links` it is written in place, as are single-name files.
#[test]
fn a_linked_dest_is_removed_first_when_links_are_kept() {
    let mut linked = onto_other();
    linked.existing.as_mut().unwrap().nlink = 2;
    let keep = Settings {
        preserve_links: true,
        ..settings()
    };
    assert_eq!(decide(&linked, &keep), Step::RemoveFirst { report: true });
    assert_eq!(decide(&linked, &settings()), Step::Act(Action::Proceed));
    assert_eq!(decide(&onto_other(), &keep), Step::Act(Action::Proceed));
    let dry = Settings {
        dry_run: true,
        ..keep
    };
    assert_eq!(decide(&linked, &dry), Step::Act(Action::Proceed));
}

#[test]
fn remembered_link_replaces_the_old_file() {
    let f = Facts {
        remember: true,
        first_copy_known: true,
        ..onto_other()
    };
    assert_eq!(decide(&f, &settings()), Step::Act(Action::LinkToFirst));
    // A dry run removes nothing (it plans the link).
    let dry = Settings {
        dry_run: true,
        ..settings()
    };
    assert_eq!(decide(&f, &dry), Step::Act(Action::LinkToFirst));
}

#[test]
fn force_backup_of_the_same_file_copies_to_the_backup_name() {
    let s = Settings {
        backup: true,
        ..settings()
    };
    let f = Facts {
        same_file: Some(SameFile::Proceed),
        ..onto_itself()
    };
    assert_eq!(decide(&f, &s), Step::Gather(Fact::SameName));
    let other_name = Facts {
        same_name: Some(false),
        ..f.clone()
    };
    assert_eq!(decide(&other_name, &s), Step::Act(Action::BackUpThenRetry));
    let one_name = Facts {
        same_name: Some(true),
        ..f.clone()
    };
    assert_eq!(decide(&one_name, &s), Step::Act(Action::CopyToBackup));
    let dry = Settings { dry_run: true, ..s };
    assert_eq!(decide(&f, &dry), Step::Act(Action::PlanOnly));
    // A byte range within the file (fcopy's own; `--atomic`): backed up by the usual step,
    // whatever the names, never GNU's copy to the backup name (new user, round 15).
    let ranged = Settings { ranged: true, ..s };
    for same_name in [None, Some(true), Some(false)] {
        let g = Facts {
            same_name,
            ..f.clone()
        };
        assert_eq!(decide(&g, &ranged), Step::BackUpFirst, "{same_name:?}");
    }
}

#[test]
fn remove_destination_removes_another_name_of_the_source() {
    let s = Settings {
        remove_destination: true,
        ..settings()
    };
    let f = Facts {
        same_file: Some(SameFile::Proceed),
        ..onto_itself()
    };
    assert_eq!(decide(&f, &s), Step::Gather(Fact::SameName));
    let other_name = Facts {
        same_name: Some(false),
        ..f.clone()
    };
    assert_eq!(decide(&other_name, &s), Step::RemoveFirst { report: true });
    // The one name: the planner says "same file".
    let one_name = Facts {
        same_name: Some(true),
        ..f
    };
    assert_eq!(decide(&one_name, &s), Step::Act(Action::Proceed));
}

#[test]
fn directory_in_the_way_is_refused_after_update_and_interactive() {
    let mut f = onto_other();
    f.existing.as_mut().unwrap().directory = true;
    let (_, dest) = paths();
    assert_eq!(
        fails(decide(&f, &settings())),
        ReplaceError::OverwriteDirWithNonDir { dest }
    );
    let none = Settings {
        update: Update::None,
        ..settings()
    };
    assert_eq!(decide(&f, &none), Step::Act(Action::Skip));
    let ask = Settings {
        interactive: true,
        ..settings()
    };
    assert_eq!(decide(&f, &ask), Step::Ask);
}

#[test]
fn remembered_hard_link_links_to_the_first_copy() {
    let f = Facts {
        remember: true,
        first_copy_known: true,
        ..facts()
    };
    assert_eq!(decide(&f, &settings()), Step::Act(Action::LinkToFirst));
    let unknown = Facts {
        remember: true,
        ..facts()
    };
    assert_eq!(decide(&unknown, &settings()), Step::Act(Action::Proceed));
}

#[test]
fn may_replace_is_update_interactive_and_backup_is_source() {
    let s = Settings {
        update: Update::NoneFail,
        ..settings()
    };
    assert!(matches!(
        fails(may_replace(&onto_other(), &s)),
        ReplaceError::NotReplacing { .. }
    ));
    let ask = Settings {
        interactive: true,
        ..settings()
    };
    assert_eq!(may_replace(&onto_other(), &ask), Step::Ask);
    let backup = Settings {
        backup: true,
        ..settings()
    };
    assert_eq!(
        may_replace(&onto_other(), &backup),
        Step::Gather(Fact::BackupIsSource)
    );
    assert_eq!(
        may_replace(&onto_other(), &settings()),
        Step::Act(Action::Proceed)
    );
}

#[test]
fn a_backup_comes_before_the_link_to_the_first_copy() {
    // Red-team review: `cp -ab s d` into a tree with hard links replaced the second name's
    // old file with the link and no backup; GNU backs it up first (f~), then links.
    let backup = Settings {
        backup: true,
        ..settings()
    };
    let f = Facts {
        remember: true,
        first_copy_known: true,
        backup_is_source: Some(false),
        ..onto_other()
    };
    assert_eq!(decide(&f, &backup), Step::BackUpFirst);
    let numbered = Settings {
        numbered_backup: true,
        ..backup
    };
    assert_eq!(decide(&f, &numbered), Step::BackUpFirst);
    // Once it is backed up, nothing is there: the link is made.
    let after = Facts {
        existing: None,
        ..f
    };
    assert_eq!(decide(&after, &backup), Step::Act(Action::LinkToFirst));
}

#[test]
fn interactive_asks_before_backing_up_another_name_of_the_source() {
    // Red-team review: `echo n | cp -fbi f g` (g a hard link of f) renamed g away unasked.
    let ask = Settings {
        backup: true,
        force: true,
        interactive: true,
        ..settings()
    };
    let mut f = Facts {
        same_name: Some(false),
        same_file: Some(SameFile::Proceed),
        backup_is_source: Some(false),
        ..onto_itself()
    };
    assert_eq!(decide(&f, &ask), Step::Ask);
    f.answer = Some(false);
    assert_eq!(decide(&f, &ask), Step::Act(Action::Decline));
    f.answer = Some(true);
    assert_eq!(decide(&f, &ask), Step::Act(Action::BackUpThenRetry));
}

#[test]
fn no_clobber_skips_the_source_itself_without_same_file_ok() {
    // GNU 9.1 asks same_file_ok only without -n: `cp -n f f` exits 0, silently.
    let no_clobber = Settings {
        update: Update::None,
        ..settings()
    };
    assert_eq!(decide(&onto_itself(), &no_clobber), Step::Act(Action::Skip));
}

#[test]
fn a_backup_renames_a_symlink_loop_away() {
    // GNU 9.1: `cp -b f loop` keeps the loop as loop~ and copies; `-fb` too.
    for force in [false, true] {
        let backup = Settings {
            backup: true,
            force,
            ..settings()
        };
        let f = Facts {
            backup_is_source: Some(false),
            ..onto_dangling(true)
        };
        assert_eq!(decide(&f, &backup), Step::BackUpFirst, "force: {force}");
    }
}

#[test]
fn no_clobber_update_and_interactive_refuse_a_dangling_symlink() {
    // GNU 9.1 takes a dangling DEST as missing: -n does not skip it, -u does not compare,
    // -i does not ask; it is then "not writing through dangling symlink".
    for s in [
        Settings {
            update: Update::None,
            ..settings()
        },
        Settings {
            update: Update::Older,
            ..settings()
        },
        Settings {
            interactive: true,
            ..settings()
        },
    ] {
        let (_, dest) = paths();
        assert_eq!(
            fails(decide(&onto_dangling(false), &s)),
            ReplaceError::DanglingSymlink { dest },
            "{s:?}"
        );
        // POSIXLY_CORRECT writes through it, unasked and not skipped.
        let posix = Settings {
            posixly_correct: true,
            ..s
        };
        assert_eq!(
            decide(&onto_dangling(false), &posix),
            Step::Act(Action::Proceed),
            "{s:?}"
        );
    }
}
