//! The command line of operands only gives the same arguments as clap's parse of it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::FromArgMatches;

use super::{operands_only, FlagPositions};
use crate::cli::{self, Args};

fn clap_parse(argv: &[OsString]) -> (Args, FlagPositions) {
    let m = cli::command("fcopy")
        .try_get_matches_from(argv.to_vec())
        .expect("clap parses it");
    let args = Args::from_arg_matches(&m).expect("clap's Args");
    (args, FlagPositions::from_matches(m))
}

fn argv(words: &[&[u8]]) -> Vec<OsString> {
    words
        .iter()
        .map(|w| OsString::from_vec(w.to_vec()))
        .collect()
}

#[test]
fn operands_only_equals_clap_for_lines_without_options() {
    let lines: [&[&[u8]]; 6] = [
        &[b"fcopy"],
        &[b"fcopy", b"a"],
        &[b"fcopy", b"a", b"b"],
        &[b"fcopy", b"a b", b"c=d", b"dir/"],
        &[b"fcopy", b"\xff\xfe", b"x-y", b"./-z"],
        &[b"cp", b"a", b"", b"b"],
    ];
    for line in lines {
        let argv = argv(line);
        let fast = operands_only(&argv).expect("a line without options");
        let (parsed, positions) = clap_parse(&argv);
        // Every field, defaults included: a new flag whose clap default differs from
        // `Default` fails here.
        assert_eq!(format!("{fast:?}"), format!("{parsed:?}"), "{line:?}");
        for id in [
            "archive",
            "dereference",
            "no_dereference",
            "preserve_default",
        ] {
            assert_eq!(positions.last(id), None, "{id} in {line:?}");
        }
        assert!(positions.values("preserve").is_empty());
        assert!(positions.values("no_preserve").is_empty());
    }
}

#[test]
fn any_argument_starting_with_a_dash_goes_to_clap() {
    for line in [
        &[b"fcopy" as &[u8], b"-r", b"a", b"b"][..],
        &[b"fcopy", b"a", b"b", b"-v"],
        &[b"fcopy", b"-", b"b"],
        &[b"fcopy", b"--", b"a", b"b"],
        &[b"fcopy", b"--help"],
    ] {
        assert!(operands_only(&argv(line)).is_none(), "{line:?}");
    }
}

#[test]
fn positions_keep_command_line_order() {
    let (_, positions) = clap_parse(&argv(&[
        b"fcopy",
        b"-L",
        b"--preserve=mode",
        b"-P",
        b"--preserve=links",
        b"a",
        b"b",
    ]));
    let l = positions.last("dereference").expect("-L given");
    let p = positions.last("no_dereference").expect("-P given");
    assert!(l < p);
    let values = positions.values("preserve");
    let words: Vec<&str> = values.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(words, ["mode", "links"]);
    assert!(values[0].1 < values[1].1);
    assert_eq!(positions.last("archive"), None);
}
