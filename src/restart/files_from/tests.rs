//! Unit tests of `--files-from`'s list parsing and operand splicing.

use std::os::unix::ffi::OsStrExt;

use super::*;

fn os(names: &[&[u8]]) -> Vec<OsString> {
    names
        .iter()
        .map(|n| OsString::from_vec(n.to_vec()))
        .collect()
}

#[test]
fn lines_and_nul_separated_names() {
    assert_eq!(
        parse_names(b"a b\n\n-x\r\nc\n\xff\n", false),
        os(&[b"a b", b"-x", b"c", b"\xff"])
    );
    assert_eq!(parse_names(b"no newline", false), os(&[b"no newline"]));
    assert_eq!(
        parse_names(b"new\nline\0\0cr\r\0last", true),
        os(&[b"new\nline", b"cr\r", b"last"])
    );
    assert!(parse_names(b"", false).is_empty());
    assert!(parse_names(b"\n\n", false).is_empty());
}

#[test]
fn names_follow_the_sources_and_the_last_operand_is_the_target_directory() {
    let cli = os(&[b"s", b"DIR"]);
    let names = os(&[b"a", b"b"]);
    let joined = |v: &[OsString]| {
        v.iter()
            .map(|n| String::from_utf8_lossy(n.as_bytes()).into_owned())
            .collect::<Vec<_>>()
    };
    let (sources, dir) = with_listed_sources(&cli, names.clone(), None).unwrap();
    assert_eq!(joined(&sources), ["s", "a", "b"]);
    assert_eq!(dir, Path::new("DIR"));
    let (sources, dir) = with_listed_sources(&cli, names.clone(), Some(Path::new("T"))).unwrap();
    assert_eq!(joined(&sources), ["s", "DIR", "a", "b"]);
    assert_eq!(dir, Path::new("T"));
    assert!(matches!(
        with_listed_sources(&[], names, None),
        Err(FilesFromError::NoDestination)
    ));
}
