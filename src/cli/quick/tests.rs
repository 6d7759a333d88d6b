//! The quick parse gives the same arguments and the same resolved settings as clap's parse of
//! the same command line, or leaves the line to clap.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::FromArgMatches;

use super::{quick_parse, FlagPositions};
use crate::cli::{self, Args};

fn clap_parse(argv: &[OsString]) -> (Args, FlagPositions) {
    let all = cli::Abbreviations::AllOptions;
    let argv = cli::resolve_long_options(&mut cli::command("fcopy"), argv.to_vec(), all)
        .expect("GNU's long-option rules accept it");
    let m = cli::command("fcopy")
        .try_get_matches_from(argv)
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

/// Both parses of `words`: the same Args (every field, defaults included: a new flag whose
/// clap default differs from `Default` fails here) and the same settings (the order-dependent
/// flags read the positions).
fn assert_same_as_clap(words: &[&[u8]]) {
    let argv = argv(words);
    let (quick, quick_positions) = quick_parse(&argv).expect("a line the quick parse takes");
    let (parsed, positions) = clap_parse(&argv);
    assert_eq!(format!("{quick:?}"), format!("{parsed:?}"), "{words:?}");
    let settings = crate::options::resolve(&parsed, &positions);
    let quick_settings = crate::options::resolve(&quick, &quick_positions);
    assert_eq!(
        format!("{quick_settings:?}"),
        format!("{settings:?}"),
        "{words:?}"
    );
}

#[test]
fn operands_only_equals_clap() {
    let lines: [&[&[u8]]; 6] = [
        &[b"fcopy"],
        &[b"fcopy", b"a"],
        &[b"fcopy", b"a", b"b"],
        &[b"fcopy", b"a b", b"c=d", b"dir/"],
        &[b"fcopy", b"\xff\xfe", b"x-y", b"./-z"],
        &[b"cp", b"a", b"", b"b"],
    ];
    for line in lines {
        assert_same_as_clap(line);
    }
}

/// The letters the quick parse takes.
const LETTERS: &[u8] = b"abdfHLlPprRsTvxniuZ";

#[test]
fn every_letter_and_every_ordered_pair_equals_clap() {
    for &c in LETTERS {
        assert_same_as_clap(&[b"fcopy", &[b'-', c], b"a", b"b"]);
        for &d in LETTERS {
            // Separate, bundled, and on both sides of the operands (getopt permutes).
            assert_same_as_clap(&[b"fcopy", &[b'-', c], &[b'-', d], b"a", b"b"]);
            assert_same_as_clap(&[b"fcopy", &[b'-', c, d], b"a", b"b"]);
            assert_same_as_clap(&[b"fcopy", &[b'-', c], b"a", &[b'-', d], b"b"]);
        }
    }
}

/// The long options the quick parse takes, exactly so spelled.
const LONGS: &[&[u8]] = &[
    b"--reflink",
    b"--reflink=auto",
    b"--reflink=always",
    b"--reflink=never",
    b"--sparse=auto",
    b"--sparse=always",
    b"--sparse=never",
];

#[test]
fn every_long_option_with_each_letter_and_each_other_equals_clap() {
    for &long in LONGS {
        assert_same_as_clap(&[b"fcopy", long, b"a", b"b"]);
        assert_same_as_clap(&[b"fcopy", b"a", b"b", long]);
        for &c in LETTERS {
            assert_same_as_clap(&[b"fcopy", &[b'-', c], long, b"a", b"b"]);
            assert_same_as_clap(&[b"fcopy", long, b"a", &[b'-', c], b"b"]);
        }
        for &other in LONGS {
            assert_same_as_clap(&[b"fcopy", long, other, b"a", b"b"]);
        }
    }
}

#[test]
fn random_lines_equal_clap() {
    // A fixed linear congruential sequence: the same lines every run.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    for _ in 0..400 {
        let mut words: Vec<Vec<u8>> = vec![b"fcopy".to_vec()];
        for _ in 0..1 + next(5) {
            if next(3) == 0 {
                words.push(format!("op{}", next(9)).into_bytes());
            } else if next(4) == 0 {
                words.push(LONGS[next(LONGS.len())].to_vec());
            } else {
                let mut bundle = vec![b'-'];
                bundle.extend((0..1 + next(4)).map(|_| LETTERS[next(LETTERS.len())]));
                words.push(bundle);
            }
        }
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        assert_same_as_clap(&refs);
    }
}

#[test]
fn other_lines_go_to_clap() {
    for line in [
        &[b"fcopy" as &[u8], b"--recursive", b"a", b"b"][..],
        // Prefixes and values in the next argument: clap's path expands them as GNU does.
        &[b"fcopy", b"--reflink=alw", b"a", b"b"],
        &[b"fcopy", b"--ref", b"a", b"b"],
        &[b"fcopy", b"--sparse", b"always", b"a", b"b"],
        &[b"fcopy", b"--sparse=", b"a", b"b"],
        &[b"fcopy", b"--reflink=", b"a", b"b"],
        &[b"fcopy", b"a", b"b", b"--", b"-v"],
        &[b"fcopy", b"-", b"b"],
        &[b"fcopy", b"-u=older", b"a", b"b"],
        &[b"fcopy", b"-j4", b"a", b"b"],
        &[b"fcopy", b"-rt", b"dir", b"a"],
        &[b"fcopy", b"-S", b".bak", b"a", b"b"],
        &[b"fcopy", b"-h"],
        &[b"fcopy", b"-rg", b"a", b"b"],
        &[b"fcopy", b"--help"],
    ] {
        assert!(quick_parse(&argv(line)).is_none(), "{line:?}");
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
    let (_, quick) = quick_parse(&argv(&[b"fcopy", b"-LaP", b"-L", b"x"])).expect("quick");
    assert!(quick.last("archive") < quick.last("dereference"));
    assert!(quick.last("no_dereference") < quick.last("dereference"));
    assert_eq!(quick.last("preserve_default"), None);
}
