//! Unit tests of the job list: fields, ranges, `-0` pairs, long lines, any bytes.

use super::*;
use proptest::prelude::*;

#[test]
fn lines_and_ranges() {
    let jobs = parse(b"a\tb\n\nc d\te\t1K\t-\t10\nbad line\n", false);
    assert_eq!(jobs.len(), 3);
    let first = jobs[0].as_ref().unwrap();
    assert_eq!(
        (first.line, first.source.as_os_str(), first.dest.as_os_str()),
        (1, "a".as_ref(), "b".as_ref())
    );
    assert_eq!(first.range, None);
    let second = jobs[1].as_ref().unwrap();
    assert_eq!(second.line, 3);
    assert_eq!(second.source, "c d");
    let range = second.range.as_ref().unwrap();
    assert_eq!(range.offset_in.as_ref().unwrap().value, 1024);
    assert_eq!(range.offset_out, None);
    assert_eq!(range.len.as_ref().unwrap().value, 10);
    let err = jobs[2].as_ref().unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.to_string().contains("found 1 field"), "{err}");
}

#[test]
fn bad_numbers_and_crlf() {
    let jobs = parse(b"a\tb\tx\t0\t0\r\nq\tr\r\n", false);
    assert!(jobs[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .starts_with("OFFSET_IN"));
    assert_eq!(jobs[1].as_ref().unwrap().dest, "r");
}

#[test]
fn null_separated_pairs() {
    let jobs = parse(b"a\0b\0c\nd\0e\tf\0lone\0", true);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1].as_ref().unwrap().source, "c\nd");
    assert_eq!(jobs[1].as_ref().unwrap().dest, "e\tf");
    assert_eq!(jobs[2].as_ref().unwrap_err().line, 3);
    assert!(parse(b"", true).is_empty());
}

#[test]
fn too_long_lines_are_errors_and_the_rest_continue() {
    let mut input = b"a\tb\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    input.extend_from_slice(b"\tz\nc\td\n");
    let jobs = parse(&input, false);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1].as_ref().unwrap_err(), &too_long(2));
    assert_eq!(jobs[2].as_ref().unwrap().source, "c");
    // Exactly at the limit is fine.
    let mut line = vec![b'y'; MAX_LINE - 2];
    line.extend_from_slice(b"\tz\n");
    assert!(parse(&line, false)[0].is_ok());
    let mut pairs = b"a\0b\0".to_vec();
    pairs.extend(std::iter::repeat_n(b'x', MAX_LINE + 1));
    pairs.extend_from_slice(b"\0d\0e\0f\0");
    let jobs = parse(&pairs, true);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1].as_ref().unwrap_err(), &too_long(2));
    assert_eq!(jobs[2].as_ref().unwrap().source, "e");
}

#[test]
fn non_utf8_names_round_trip() {
    let jobs = parse(b"\xff\x01\t\xfe\n", false);
    assert_eq!(
        jobs[0].as_ref().unwrap().source.as_encoded_bytes(),
        b"\xff\x01"
    );
}

proptest! {
    #[test]
    fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..512), null in any::<bool>()) {
        let _ = parse(&input, null);
    }

    #[test]
    fn every_nonempty_line_is_accounted_for(lines in proptest::collection::vec("[a-z\t]{0,12}", 0..20)) {
        let input = lines.join("\n");
        let jobs = parse(input.as_bytes(), false);
        prop_assert_eq!(jobs.len(), lines.iter().filter(|l| !l.is_empty()).count());
    }
}
