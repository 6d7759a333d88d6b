//! Unit tests of `-u`'s remembered skips (GNU 9.1 copy.c's `remember_copied` in its `-u`
//! branch): with hard links kept (`cp -a -u`) and without (`cp -r -u`, `cp -r -u -L`), for a
//! regular file and for a symbolic link or special file made at DEST.

use super::super::tests::{onto_other, settings};
use super::super::{may_replace, may_replace_node, Action, Facts, Settings, Step, Update};
use super::update_remembers_link_group;

/// `-u` (`--update=older`).
fn update_older() -> Settings {
    Settings {
        update: Update::Older,
        ..settings()
    }
}

/// A regular source (1, 10) of one name, reached as itself, onto another file (1, 20) at
/// `d` as new as it; links not kept (`remember` false).
fn onto_newer() -> Facts<'static> {
    let mut f = onto_other();
    f.existing.as_mut().unwrap().mtime = f.source.mtime;
    f.same_name = Some(false);
    f
}

#[test]
fn a_skip_is_remembered_only_when_links_are_kept() {
    let s = update_older();
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
    let linked = Some(Step::Act(Action::LinkSkippedToFirst));
    assert_eq!(update_remembers_link_group(&f, &s), linked);
    // An older DEST is not skipped: the rules after this one decide.
    f.existing.as_mut().unwrap().mtime = (99, 0);
    assert_eq!(update_remembers_link_group(&f, &s), None);
}

/// A symbolic link `l1` (1, 10) with another name, links kept (`cp -a -u`, `cp -d -u`), made
/// over `d`, a regular file as new as it.
fn node_onto_newer() -> Facts<'static> {
    let mut f = onto_newer();
    f.source.regular = false;
    f.source.symlink = true;
    f.source.nlink = 2;
    f.remember = true;
    f
}

#[test]
fn a_nodes_skip_is_remembered_and_a_later_name_linked() {
    let s = update_older();
    let mut f = node_onto_newer();
    let remembered = Step::Act(Action::RememberAsFirst);
    assert_eq!(may_replace_node(&f, &s), remembered);
    f.first_copy_known = true;
    assert_eq!(
        may_replace_node(&f, &s),
        Step::Act(Action::LinkSkippedToFirst)
    );
    // GNU's `-u` branch comes before its directory check: a newer directory in the way is
    // remembered too (the file's rule leaves it to directory-in-the-way).
    let mut dir = node_onto_newer();
    dir.existing.as_mut().unwrap().directory = true;
    assert_eq!(update_remembers_link_group(&dir, &s), None);
    assert_eq!(may_replace_node(&dir, &s), remembered);
}

#[test]
fn a_node_without_a_remembered_skip_gets_may_replace() {
    let s = update_older();
    // Links not kept (`cp -r -u`), also for `-l`/`-s` links: `-u` skips the newer DEST alone.
    let mut f = node_onto_newer();
    f.remember = false;
    assert_eq!(may_replace_node(&f, &s), Step::Act(Action::Skip));
    // An older DEST is replaced; without `-u` nothing is remembered.
    let mut older = node_onto_newer();
    older.existing.as_mut().unwrap().mtime = (1, 0);
    assert_eq!(may_replace_node(&older, &s), Step::Act(Action::Proceed));
    let all = settings();
    assert_eq!(
        may_replace_node(&node_onto_newer(), &all),
        may_replace(&f, &all)
    );
    // `-n`: skipped, not remembered (the rule is `-u`'s).
    let none = Settings {
        update: Update::None,
        ..settings()
    };
    assert_eq!(
        may_replace_node(&node_onto_newer(), &none),
        Step::Act(Action::Skip)
    );
}
