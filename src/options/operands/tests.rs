//! Unit tests of cp's operand grammar: pairing, `-t`/`-T`, and GNU's operand errors.

use std::io;
use std::path::{Path, PathBuf};

use clap::Parser;

use super::*;

fn args(argv: &[&str]) -> Args {
    Args::try_parse_from(std::iter::once("fcopy").chain(argv.iter().copied())).unwrap()
}

fn dirs(list: &'static [&'static str]) -> impl Fn(&Path) -> io::Result<bool> {
    move |p: &Path| {
        if list.iter().any(|d| Path::new(d) == p) {
            Ok(true)
        } else if p == Path::new("exists") {
            Ok(false)
        } else {
            Err(io::Error::from_raw_os_error(2))
        }
    }
}

fn targets(argv: &[&str], dir_list: &'static [&'static str]) -> Result<Vec<Target>, UsageError> {
    resolve_targets(&args(argv), &dirs(dir_list)).map(|(t, _)| t)
}

fn t(src: &str, dst: &str) -> Target {
    let e = |s: &str| {
        if s == "-" {
            Endpoint::Stdio
        } else {
            Endpoint::Path(PathBuf::from(s))
        }
    };
    Target {
        source: e(src),
        dest: e(dst),
    }
}

#[test]
fn operands_pair_up_like_cp() {
    assert_eq!(targets(&["a", "b"], &[]).unwrap(), vec![t("a", "b")]);
    assert_eq!(targets(&["a", "d"], &["d"]).unwrap(), vec![t("a", "d/a")]);
    assert_eq!(
        targets(&["x/a/", "y/b", "d"], &["d"]).unwrap(),
        vec![t("x/a/", "d/a"), t("y/b", "d/b")]
    );
    assert_eq!(
        targets(&["-t", "d", "a", "b"], &["d"]).unwrap(),
        vec![t("a", "d/a"), t("b", "d/b")]
    );
    assert_eq!(
        targets(&["-T", "a", "d"], &["d"]).unwrap(),
        vec![t("a", "d")]
    );
    assert_eq!(targets(&["-", "out"], &[]).unwrap(), vec![t("-", "out")]);
    assert_eq!(targets(&["a", "-"], &[]).unwrap(), vec![t("a", "-")]);
}

#[test]
fn operand_errors_match_gnu() {
    let msg = |argv: &[&str], d: &'static [&'static str]| targets(argv, d).unwrap_err().to_string();
    assert_eq!(msg(&[], &[]), "missing file operand");
    assert_eq!(
        msg(&["a"], &[]),
        "missing destination file operand after 'a'"
    );
    assert_eq!(
        msg(&["a", "b", "c"], &[]),
        "target 'c': No such file or directory"
    );
    assert_eq!(
        msg(&["a", "b", "exists"], &[]),
        "target 'exists': Not a directory"
    );
    assert_eq!(msg(&["-T", "a", "b", "c"], &[]), "extra operand 'c'");
    // GNU cp.c checks -T's operand count first, then --parents (a directory is needed).
    assert_eq!(
        msg(&["--parents", "-T", "x/y/a", "keep"], &["keep"]),
        "with --parents, the destination must be a directory"
    );
    // Several SOURCEs: GNU's `target` error comes first, --parents or not (round 8).
    assert_eq!(
        msg(&["--parents", "a/b", "a/c", "g"], &[]),
        "target 'g': No such file or directory"
    );
    assert_eq!(
        msg(&["--parents", "a/b", "a/c", "exists"], &[]),
        "target 'exists': Not a directory"
    );
    assert_eq!(
        msg(&["--parents", "a/b", "g"], &[]),
        "with --parents, the destination must be a directory"
    );
    assert_eq!(
        msg(&["--parents", "-T", "a", "b", "c"], &[]),
        "extra operand 'c'"
    );
    assert_eq!(
        msg(&["-t", "nope", "a"], &[]),
        "target directory 'nope': No such file or directory"
    );
    assert_eq!(
        msg(&["-t", "exists", "a"], &[]),
        "target directory 'exists': Not a directory"
    );
    assert_eq!(
        msg(&["-t", "d", "-T", "a", "b"], &["d"]),
        "cannot combine --target-directory (-t) and --no-target-directory (-T)"
    );
    assert!(msg(&["-", "d"], &["d"]).contains("standard input"));
    assert!(msg(&["--len", "5", "a", "b", "d"], &["d"]).contains("one SOURCE"));
}

#[test]
fn root_into_a_directory_goes_into_the_directory_itself() {
    // GNU 9.2: `cp -rx / /mnt` copies into /mnt (the empty last component of '/' is '.').
    let is_dir =
        |p: &Path| -> io::Result<bool> { Ok(p == Path::new("/mnt") || p == Path::new("/")) };
    let (targets, into) = resolve_targets(&args(&["-rx", "/", "/mnt"]), &is_dir).unwrap();
    assert!(into);
    assert_eq!(targets[0].dest, Endpoint::Path(PathBuf::from("/mnt/.")));
    let (targets, _) = resolve_targets(&args(&["-r", "//", "/mnt"]), &is_dir).unwrap();
    assert_eq!(targets[0].dest, Endpoint::Path(PathBuf::from("/mnt/.")));
}

#[test]
fn a_link_to_standard_output_is_refused() {
    // Round 10's closing note: `fcopy -l a -` copied to standard output, `-l` ignored.
    for argv in [
        &["-l", "a", "-"][..],
        &["-s", "a", "-"],
        &["-T", "-l", "a", "-"],
    ] {
        let err = targets(argv, &[]).unwrap_err();
        assert!(
            matches!(err, UsageError::Operand(OperandError::LinkToStdout { .. })),
            "{argv:?}"
        );
        assert!(err.try_help(), "{argv:?}");
    }
    // A directory named `-` is `./-`. Standard input as SOURCE has no name to link to either
    // (round 11: `echo hi | fcopy -s - b` copied standard input).
    assert_eq!(
        targets(&["-l", "a", "./-"], &["./-"]).unwrap(),
        vec![t("a", "./-/a")]
    );
    assert!(matches!(
        targets(&["-s", "-", "b"], &[]).unwrap_err(),
        UsageError::Operand(OperandError::LinkOfStdin { symbolic: true })
    ));
    assert_eq!(
        targets(&["-s", "./-", "b"], &[]).unwrap(),
        vec![t("./-", "b")]
    );
    let line = batch_target("a".as_ref(), "-".as_ref(), &dirs(&[]));
    assert!(link_to_stdout(LinkMode::Copy, &line).is_ok());
    let refused = link_to_stdout(LinkMode::Symbolic, &line);
    assert!(matches!(
        refused,
        Err(OperandError::LinkToStdout { symbolic: true })
    ));
}

/// A target directory's trailing slashes give way to one separator, as GNU's
/// `file_name_concat` (red team, round 14: `fcopy -v src/a dst2//` showed `dst2//a`).
#[test]
fn in_directory_joins_as_gnu_does() {
    let joined = |dir: &str, name: &str| in_directory(Path::new(dir), name);
    assert_eq!(joined("d", "a"), Path::new("d/a"));
    assert_eq!(joined("d/", "a"), Path::new("d/a"));
    assert_eq!(joined("d//", "a"), Path::new("d/a"));
    assert_eq!(joined("x/d///", "a/b"), Path::new("x/d/a/b"));
    assert_eq!(joined("/", "a"), Path::new("/a"));
    assert_eq!(joined("//", "a"), Path::new("//a"));
    assert_eq!(joined("///", "a"), Path::new("///a"));
    assert_eq!(joined("//x//", "a"), Path::new("//x/a"));
    assert_eq!(joined(".", "a"), Path::new("./a"));
}
