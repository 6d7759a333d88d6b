//! The mode of a new regular file, directory, `--parents` directory and special file (GNU cp's
//! rules), one kind after the other.

use super::{new_node_mode, ModeSettings, NewNode, NodeMode};

fn settings(preserve_mode: bool, preserve_ownership: bool, umask: u32) -> ModeSettings {
    ModeSettings {
        preserve_mode,
        preserve_ownership,
        no_preserve_mode: false,
        umask,
    }
}

fn mode(kind: NewNode, src: u32, s: &ModeSettings) -> NodeMode {
    new_node_mode(kind, src, s)
}

#[test]
fn a_directory_withholds_group_and_other_write_until_it_is_done() {
    let s = settings(false, false, 0o002);
    let m = mode(NewNode::Directory, 0o1777, &s);
    assert_eq!((m.create, m.omitted, m.fixed), (0o1755, 0o022, None));
    // The kernel gave 0o1755 (umask 002 took nothing more): group write comes back, other
    // write stays off (the umask forbids it).
    assert_eq!(m.restore(0o1755), Some(0o1775));
    // Under umask 022 nothing withheld may come back.
    let m = mode(NewNode::Directory, 0o777, &settings(false, false, 0o022));
    assert_eq!(m.restore(0o755), None);
}

#[test]
fn with_ownership_preserved_group_and_other_wait_for_the_owner() {
    let s = settings(true, true, 0o022);
    for kind in [
        NewNode::Directory,
        NewNode::ParentDirectory,
        NewNode::Special,
    ] {
        let m = mode(kind, 0o775, &s);
        assert_eq!((m.create, m.omitted), (0o700, 0o075), "{kind:?}");
        assert_eq!(m.restore(0o700), Some(0o755), "{kind:?}");
    }
}

#[test]
fn a_parents_directory_withholds_nothing_when_neither_mode_nor_owner_is_kept() {
    let m = mode(
        NewNode::ParentDirectory,
        0o1777,
        &settings(false, false, 0o022),
    );
    assert_eq!((m.create, m.omitted), (0o1777, 0));
    let m = mode(
        NewNode::ParentDirectory,
        0o777,
        &settings(true, false, 0o022),
    );
    assert_eq!((m.create, m.omitted), (0o755, 0o022));
}

#[test]
fn a_special_file_is_made_with_its_permission_bits_only() {
    let m = mode(NewNode::Special, 0o4666, &settings(false, false, 0o022));
    assert_eq!((m.create, m.omitted, m.fixed), (0o666, 0, None));
    assert_eq!(m.restore(0o644), None);
}

#[test]
fn no_preserve_mode_ends_with_the_default_mode_less_the_umask() {
    let s = ModeSettings {
        no_preserve_mode: true,
        ..settings(false, false, 0o027)
    };
    assert_eq!(mode(NewNode::Directory, 0o1700, &s).fixed, Some(0o1750));
    assert_eq!(
        mode(NewNode::ParentDirectory, 0o1700, &s).fixed,
        Some(0o750)
    );
    assert_eq!(mode(NewNode::Special, 0o600, &s).fixed, Some(0o640));
}

/// A regular file's (mode it ends with, whether it is set explicitly after the data).
fn file(src: u32, umask: u32, no_preserve_mode: bool) -> (u32, bool) {
    let s = ModeSettings {
        no_preserve_mode,
        ..settings(false, false, umask)
    };
    let m = mode(NewNode::File, src, &s);
    (m.final_mode(), m.fixed.is_some())
}

#[test]
fn a_file_drops_special_bits_and_the_umask() {
    assert_eq!(file(0o104755, 0o022, false), (0o755, false));
    assert_eq!(file(0o100640, 0o027, false), (0o640, false));
}

#[test]
fn a_file_under_no_preserve_mode_is_rw_for_all_less_the_umask_set_explicitly() {
    assert_eq!(file(0o100700, 0o022, true), (0o644, true));
    assert_eq!(file(0o100777, 0o077, true), (0o600, true));
}

#[test]
fn a_file_is_created_with_its_permission_bits_and_withholds_nothing() {
    // Its owner and ACL wait in the executor (created 0600), not in withheld bits.
    let m = mode(NewNode::File, 0o106775, &settings(true, true, 0o022));
    assert_eq!((m.create, m.omitted, m.fixed), (0o775, 0, None));
    assert_eq!(m.restore(0o755), None);
}

#[test]
fn a_file_from_standard_input_is_made_as_dd_makes_one() {
    // A pipe's 0600 (S_IFIFO) says nothing about the data: 0666 less the umask, as `dd of=`.
    let s = settings(false, false, 0o022);
    let m = mode(NewNode::StdinFile, 0o010600, &s);
    assert_eq!((m.create, m.omitted, m.fixed), (0o666, 0, None));
    assert_eq!(m.final_mode(), 0o644);
    // -p / --preserve=mode keeps the stream's own mode.
    let m = mode(NewNode::StdinFile, 0o010600, &settings(true, false, 0o022));
    assert_eq!(m.final_mode(), 0o600);
    // --no-preserve=mode: 0666 less the umask either way.
    let s = ModeSettings {
        no_preserve_mode: true,
        ..settings(false, false, 0o027)
    };
    assert_eq!(mode(NewNode::StdinFile, 0o010600, &s).final_mode(), 0o640);
}
