//! Unit tests of the BYTES syntax: suffixes, refusals, overflow.

use super::*;
use proptest::prelude::*;

fn v(s: &str) -> u64 {
    parse_bytes(s).unwrap().value
}

#[test]
fn plain_and_suffixed() {
    assert_eq!(v("0"), 0);
    assert_eq!(v("4096"), 4096);
    assert_eq!(v("64K"), 65536);
    assert_eq!(v("64k"), 65536);
    assert_eq!(v("1KiB"), 1024);
    assert_eq!(v("3M"), 3 << 20);
    assert_eq!(v("1GiB"), 1 << 30);
    assert_eq!(v("2T"), 2 << 40);
    assert_eq!(v("1KB"), 1000);
    assert_eq!(v("5MB"), 5_000_000);
    assert_eq!(v("7GB"), 7_000_000_000);
    assert_eq!(v("7E"), 7 << 60);
    assert_eq!(parse_bytes("64M").unwrap().text, "64M");
}

#[test]
fn refuses_bad_input() {
    for bad in [
        "", "K", "-1", "+1", "1.5M", "1 M", "1Q", "1mb", "0x10", "1KiBs",
    ] {
        assert!(parse_bytes(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn a_fraction_is_named_as_such() {
    // New-user trial, round 6: `--len 1.5K` was "invalid suffix".
    assert_eq!(
        parse_bytes("1.5K"),
        Err(ByteCountError::Fraction("1.5K".into()))
    );
    assert_eq!(
        parse_bytes("2,5M"),
        Err(ByteCountError::Fraction("2,5M".into()))
    );
    assert_eq!(
        parse_bytes("1Q"),
        Err(ByteCountError::BadSuffix("1Q".into()))
    );
}

#[test]
fn refuses_overflow() {
    assert_eq!(v("9223372036854775807"), i64::MAX as u64);
    assert!(parse_bytes("9223372036854775808").is_err());
    assert!(parse_bytes("8E").is_err());
    assert!(parse_bytes("99999999999999999999999").is_err());
    assert!(parse_bytes("9223372036854775807K").is_err());
}

proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,24}") {
        let _ = parse_bytes(&s);
    }

    #[test]
    fn round_trips_plain_numbers(n in 0u64..=MAX_OFFSET) {
        prop_assert_eq!(v(&n.to_string()), n);
    }

    #[test]
    fn kib_is_1024(n in 0u64..(1u64 << 40)) {
        prop_assert_eq!(v(&format!("{n}K")), n * 1024);
        prop_assert_eq!(v(&format!("{n}KiB")), n * 1024);
        prop_assert_eq!(v(&format!("{n}KB")), n * 1000);
    }
}
