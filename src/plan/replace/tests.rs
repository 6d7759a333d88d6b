//! Unit tests of cp's rules for an existing destination: at least one per rule, no disk.

use std::path::PathBuf;

use rustix::io::Errno;

use super::*;
use crate::plan::Endpoint;

pub(super) fn settings() -> Settings {
    Settings {
        update: Update::All,
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

/// An operand named `path` (leaked: the facts borrow it for the test's whole run).
fn named(path: &'static str) -> &'static Endpoint {
    Box::leak(Box::new(Endpoint::from_operand(path.as_ref())))
}

/// A regular source `s` (1, 10) of 4096 bytes onto nothing at `d`.
fn facts() -> Facts<'static> {
    Facts {
        source: Source {
            shown: named("s"),
            id: (1, 10),
            regular: true,
            symlink: false,
            nlink: 1,
            mtime: (100, 0),
            size: 4096,
            nofollow: true,
        },
        dest: named("d"),
        dest_ends_in_slash: false,
        slash_parent: None,
        existing: None,
        remember: false,
        first_copy_known: false,
        same_name: None,
        same_file: None,
        unchanged: None,
        resumable: None,
        backup_is_source: None,
        answer: None,
        loop_removed: false,
    }
}

/// Another regular file (1, 20) at `d`, older than the source, as long as it.
fn other_file() -> Existing {
    Existing {
        id: (1, 20),
        directory: false,
        symlink: false,
        name_is_symlink: false,
        special: false,
        looping: false,
        mtime: (50, 0),
        created_symlink: false,
        created: false,
        nlink: 1,
        regular_size: Some(4096),
    }
}

/// `facts()` onto another regular file.
pub(super) fn onto_other() -> Facts<'static> {
    Facts {
        existing: Some(other_file()),
        ..facts()
    }
}

/// `facts()` onto the source itself (two names of one file, or one name).
fn onto_itself() -> Facts<'static> {
    Facts {
        existing: Some(Existing {
            id: (1, 10),
            ..other_file()
        }),
        ..facts()
    }
}

/// A dangling (or looping, with `looping`) symlink at `d`.
fn onto_dangling(looping: bool) -> Facts<'static> {
    Facts {
        existing: Some(Existing {
            id: (1, 30),
            symlink: true,
            name_is_symlink: true,
            special: false,
            looping,
            ..other_file()
        }),
        same_file: Some(SameFile::Proceed),
        ..facts()
    }
}

/// A DEST the link-group rules replace (`f`, under `s`) is left to `replace-how` at a later
/// name (GNU's link to the first copy, by a rename), with a backup (renamed away first) and in
/// a dry run (nothing removed).
fn defers_to_replace_how(f: &Facts, s: &Settings) {
    let later = Facts {
        first_copy_known: true,
        ..f.clone()
    };
    assert_eq!(decide(&later, s), Step::Act(Action::LinkToFirst));
    let backup = Settings {
        backup: true,
        ..settings()
    };
    let f_backup = Facts {
        backup_is_source: Some(false),
        ..f.clone()
    };
    assert_eq!(decide(&f_backup, &backup), Step::BackUpFirst);
    let dry = Settings {
        dry_run: true,
        ..settings()
    };
    assert_eq!(decide(f, &dry), Step::Act(Action::Proceed));
}

fn fails(step: Step) -> ReplaceError {
    match step {
        Step::Act(Action::Fail(e)) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn paths() -> (PathBuf, PathBuf) {
    ("s".into(), "d".into())
}

#[test]
fn nothing_there_proceeds() {
    assert_eq!(decide(&facts(), &settings()), Step::Act(Action::Proceed));
    assert_eq!(
        decide(&onto_other(), &settings()),
        Step::Act(Action::Proceed)
    );
}

#[test]
fn the_rules_are_named_once_each() {
    let mut names: Vec<_> = RULES.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), RULES.len());
}

#[test]
fn dest_ending_in_slash_is_not_a_directory() {
    let mut f = Facts {
        dest: named("d/"),
        dest_ends_in_slash: true,
        ..facts()
    };
    assert_eq!(decide(&f, &settings()), Step::Gather(Fact::SlashParent));
    // Its directory is there: ENOTDIR (the kernel's EISDIR, as GNU says it); missing: ENOENT.
    for (parent, errno) in [(Ok(()), Errno::NOTDIR), (Err(Errno::NOENT), Errno::NOENT)] {
        f.slash_parent = Some(parent);
        assert_eq!(
            fails(decide(&f, &settings())),
            ReplaceError::CannotCreate {
                dest: "d/".into(),
                errno
            }
        );
    }
    // Something there: the other rules decide.
    let f = Facts {
        dest_ends_in_slash: true,
        ..onto_other()
    };
    assert_eq!(dest_ends_in_slash(&f, &settings()), None);
}

#[test]
fn just_created_symlink_is_not_written_through_except_with_numbered_backups() {
    let mut f = onto_other();
    f.existing.as_mut().unwrap().created_symlink = true;
    let (source, dest) = paths();
    assert_eq!(
        fails(decide(&f, &settings())),
        ReplaceError::ThroughJustCreatedSymlink { source, dest }
    );
    let numbered = Settings {
        backup: true,
        numbered_backup: true,
        ..settings()
    };
    assert_eq!(just_created_symlink(&f, &numbered), None);
}

#[test]
fn same_file_is_gathered_then_decides() {
    let f = onto_itself();
    assert_eq!(decide(&f, &settings()), Step::Gather(Fact::SameFile));
    let error = Facts {
        same_file: Some(SameFile::Error),
        ..onto_itself()
    };
    let (source, dest) = paths();
    assert_eq!(
        fails(decide(&error, &settings())),
        ReplaceError::SameFile { source, dest }
    );
    let done = Facts {
        same_file: Some(SameFile::Done),
        ..onto_itself()
    };
    assert_eq!(decide(&done, &settings()), Step::Act(Action::Done));
}

#[test]
fn same_file_is_not_asked_for_two_plain_files_or_a_range() {
    // Two different files, neither a symlink: no stats (issue 16).
    assert_eq!(same_file(&onto_other(), &settings()), None);
    // A symlink at DEST's name: GNU looks.
    let mut f = onto_other();
    f.existing.as_mut().unwrap().name_is_symlink = true;
    assert_eq!(
        same_file(&f, &settings()),
        Some(Step::Gather(Fact::SameFile))
    );
    let ranged = Settings {
        ranged: true,
        ..settings()
    };
    assert_eq!(same_file(&onto_itself(), &ranged), None);
}

/// GNU cp.c: `cp -fb f f` copies f to its backup name, but only when both operands are the
/// same text (`STREQ`); `cp -fb f ./f` goes to same_file_ok, which says "same file" (red team,
/// round 13).
#[test]
fn force_backup_onto_the_same_operand_text_skips_same_file_ok() {
    let s = Settings {
        force: true,
        backup: true,
        ..settings()
    };
    // Two names of one file: GNU's same_file_ok decides.
    assert_eq!(
        same_file(&onto_itself(), &s),
        Some(Step::Gather(Fact::SameFile))
    );
    let one_text = Facts {
        dest: named("s"),
        same_name: Some(true),
        ..onto_itself()
    };
    assert_eq!(same_file(&one_text, &s), None);
    assert_eq!(decide(&one_text, &s), Step::Act(Action::CopyToBackup));
    // The same name spelled otherwise (`./s`): same_file_ok, whose answer is an error.
    let other_text = Facts {
        dest: named("./s"),
        same_name: Some(true),
        same_file: Some(SameFile::Error),
        ..onto_itself()
    };
    assert!(matches!(
        same_file(&other_text, &s),
        Some(Step::Act(Action::Fail(ReplaceError::SameFile { .. })))
    ));
}

#[test]
fn symlink_loop_is_removed_with_force_else_refused() {
    let (_, dest) = paths();
    assert_eq!(
        fails(decide(&onto_dangling(true), &settings())),
        ReplaceError::CannotStat {
            dest,
            errno: Errno::LOOP
        }
    );
    let force = Settings {
        force: true,
        ..settings()
    };
    assert_eq!(decide(&onto_dangling(true), &force), Step::RemoveLoop);
    let removed = Facts {
        loop_removed: true,
        ..onto_dangling(true)
    };
    assert_eq!(decide(&removed, &force), Step::Act(Action::Proceed));
    // A dry run removes nothing: the loop is reported.
    let dry = Settings {
        dry_run: true,
        ..force
    };
    assert!(matches!(
        fails(decide(&onto_dangling(true), &dry)),
        ReplaceError::CannotStat { .. }
    ));
    // --remove-destination removes it later, as GNU dir-rm-dest.sh expects.
    let rm = Settings {
        remove_destination: true,
        ..settings()
    };
    assert_eq!(symlink_loop(&onto_dangling(true), &rm), None);
    assert_eq!(
        decide(&onto_dangling(true), &rm),
        Step::RemoveFirst { report: true }
    );
}

#[test]
fn forced_copy_onto_a_dangling_symlink_is_refused_unless_posixly_correct() {
    let force = Settings {
        force: true,
        ..settings()
    };
    let (_, dest) = paths();
    assert_eq!(
        fails(decide(&onto_dangling(false), &force)),
        ReplaceError::DanglingSymlink { dest }
    );
    let posix = Settings {
        posixly_correct: true,
        ..force
    };
    assert_eq!(dangling_symlink_forced(&onto_dangling(false), &posix), None);
    let backup = Settings {
        backup: true,
        ..force
    };
    assert_eq!(
        dangling_symlink_forced(&onto_dangling(false), &backup),
        None
    );
    // Without -f the planner refuses it later (or writes through it, POSIXLY_CORRECT).
    assert_eq!(
        decide(&onto_dangling(false), &settings()),
        Step::Act(Action::Proceed)
    );
}

#[test]
fn writing_through_a_dangling_symlink_needs_posixly_correct_and_no_replacing_flag() {
    assert!(!write_through_dangling(&settings()));
    let posix = Settings {
        posixly_correct: true,
        ..settings()
    };
    assert!(write_through_dangling(&posix));
    // -f does not replace the link under POSIXLY_CORRECT (GNU 9.1 writes through it).
    assert!(write_through_dangling(&Settings {
        force: true,
        ..posix
    }));
    assert!(!write_through_dangling(&Settings {
        force: true,
        ..settings()
    }));
    for s in [
        Settings {
            remove_destination: true,
            ..posix
        },
        Settings {
            backup: true,
            ..posix
        },
    ] {
        assert!(!write_through_dangling(&s));
    }
}

#[test]
fn just_created_file_is_not_overwritten_except_with_numbered_backups() {
    let mut f = onto_other();
    f.existing.as_mut().unwrap().created = true;
    let (source, dest) = paths();
    assert_eq!(
        fails(decide(&f, &settings())),
        ReplaceError::JustCreated { source, dest }
    );
    let numbered = Settings {
        backup: true,
        numbered_backup: true,
        ..settings()
    };
    assert_eq!(just_created(&f, &numbered), None);
}

/// GNU's `return_now` (`cp -l -i f f`): `-i` asks first and nothing is done whatever the
/// answer (a no is a decline); `-u` skips without asking.
#[test]
fn same_file_done_asks_first_with_interactive() {
    let mut f = onto_itself();
    assert_eq!(same_file_done(&f, &settings()), Step::Act(Action::Done));
    let ask = Settings {
        interactive: true,
        ..settings()
    };
    assert_eq!(same_file_done(&f, &ask), Step::Ask);
    f.answer = Some(true);
    assert_eq!(same_file_done(&f, &ask), Step::Act(Action::Done));
    f.answer = Some(false);
    assert_eq!(same_file_done(&f, &ask), Step::Act(Action::Decline));
    // One file: one time.
    f.existing.as_mut().unwrap().mtime = f.source.mtime;
    f.answer = None;
    let older = Settings {
        update: Update::Older,
        ..ask
    };
    assert_eq!(same_file_done(&f, &older), Step::Act(Action::Skip));
}

mod replacing;
mod specials;
mod symlinks;
