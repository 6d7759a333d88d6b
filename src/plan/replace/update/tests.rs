//! Unit tests of `-u`'s remembered skips (GNU 9.1 copy.c's `remember_copied` in its `-u`
//! branch): with hard links kept (`cp -a -u`) and without (`cp -r -u`, `cp -r -u -L`).

use std::path::Path;

use super::super::{Action, Existing, Facts, Settings, Source, Step, Update};
use super::update_remembers_link_group;

fn settings() -> Settings {
    Settings {
        update: Update::Older,
        interactive: false,
        force: false,
        remove_destination: false,
        backup: false,
        numbered_backup: false,
        dry_run: false,
        ranged: false,
        posixly_correct: false,
        preserve_links: false,
        resume: false,
    }
}

/// A regular source (1, 10) of one name, reached as itself, onto another file (1, 20) at
/// `d` as new as it; links not kept (`remember` false).
fn onto_newer() -> Facts<'static> {
    Facts {
        source: Source {
            shown: Path::new("s"),
            id: (1, 10),
            regular: true,
            symlink: false,
            nlink: 1,
            mtime: (100, 0),
            size: 4096,
            nofollow: true,
        },
        dest: Path::new("d"),
        dest_ends_in_slash: false,
        slash_parent: None,
        existing: Some(Existing {
            id: (1, 20),
            directory: false,
            symlink: false,
            name_is_symlink: false,
            special: false,
            looping: false,
            mtime: (100, 0),
            created_symlink: false,
            created: false,
            nlink: 1,
            regular_size: Some(4096),
        }),
        remember: false,
        first_copy_known: false,
        same_name: Some(false),
        same_file: None,
        unchanged: None,
        resumable: None,
        backup_is_source: None,
        answer: None,
        loop_removed: false,
    }
}

#[test]
fn a_skip_is_remembered_only_when_links_are_kept() {
    let s = settings();
    // Links not kept (`cp -r -u`, `cp -r -u -L`): a newer DEST is skipped and nothing is
    // remembered, whatever names the file has, so no later name replaces a newer DEST of its
    // own with a link (GNU 9.1 does: its copy.c's "we currently replace DST_NAME
    // unconditionally, even if it was a newer separate file").
    let mut linked = onto_newer();
    linked.source.nlink = 2;
    let mut followed = onto_newer();
    followed.source.nofollow = false;
    for f in [onto_newer(), linked.clone(), followed] {
        assert_eq!(update_remembers_link_group(&f, &s), None);
    }
    // Links kept (`cp -a -u`, tests/cp/preserve-link.sh): remembered, then a later skipped
    // name is linked to the first DEST.
    let mut f = linked;
    f.remember = true;
    let remembered = Some(Step::Act(Action::RememberAsFirst));
    assert_eq!(update_remembers_link_group(&f, &s), remembered);
    f.first_copy_known = true;
    let linked = Some(Step::Act(Action::LinkToFirst));
    assert_eq!(update_remembers_link_group(&f, &s), linked);
    // An older DEST is not skipped: the rules after this one decide.
    f.existing.as_mut().unwrap().mtime = (99, 0);
    assert_eq!(update_remembers_link_group(&f, &s), None);
}
