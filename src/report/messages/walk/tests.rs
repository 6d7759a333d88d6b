//! The walk's errors read as GNU cp's messages.

use std::path::PathBuf;

use rustix::io::Errno;

use crate::drive::errors::{NodeKind, WalkError, WalkWarning};

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

#[test]
fn errors_read_as_gnu_cp_words_them() {
    let cases = [
        (
            WalkError::SameFile {
                src: p("a"),
                dst: p("b"),
            },
            "'a' and 'b' are the same file",
        ),
        (
            WalkError::CreateNode {
                kind: NodeKind::Fifo,
                path: p("d/f"),
                errno: Errno::ACCESS,
            },
            "cannot create fifo 'd/f': Permission denied",
        ),
        (
            WalkError::Link {
                kind: NodeKind::HardLink,
                dst: p("d/x"),
                target: p("x"),
                errno: Errno::XDEV,
            },
            "cannot create hard link 'd/x' to 'x': Invalid cross-device link",
        ),
        (
            WalkError::RelativeSymlink { dst: p("d/x") },
            "d/x: can make relative symbolic links only in current directory",
        ),
        (
            WalkError::Reopen {
                path: p("t"),
                errno: None,
            },
            "cannot reopen 't'",
        ),
        (
            WalkError::IntoItself {
                src: p("a"),
                dst: p("a/b"),
            },
            "cannot copy a directory, 'a', into itself, 'a/b'",
        ),
        (
            WalkError::Stat {
                path: p("x"),
                errno: Errno::NOENT,
            },
            "cannot stat 'x': No such file or directory",
        ),
        (
            WalkError::MakeDirectory {
                path: p("e/a"),
                errno: Errno::NOTDIR,
            },
            "cannot make directory 'e/a': Not a directory",
        ),
        (
            WalkError::Reopen {
                path: p("t"),
                errno: Some(Errno::MFILE),
            },
            "cannot reopen 't': Too many open files",
        ),
    ];
    for (err, text) in cases {
        assert_eq!(err.to_string(), text);
    }
}

#[test]
fn a_twice_named_source_is_a_warning_naming_its_kind() {
    let w = WalkWarning::SpecifiedTwice {
        path: p("d"),
        directory: true,
    };
    assert_eq!(
        w.to_string(),
        "warning: source directory 'd' specified more than once"
    );
}
