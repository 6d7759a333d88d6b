//! The BYTES argument syntax: `4096`, `64K`, `1GiB`, `10MB` — parsing and the value as typed.

use std::fmt;

/// A byte count given on the command line, with the text the user typed (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteArg {
    pub value: u64,
    pub text: String,
}

impl fmt::Display for ByteArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The largest offset or length fcopy accepts: the kernel's `loff_t` is signed 64-bit.
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// Parses BYTES: a decimal integer with an optional suffix.
///
/// `K M G T P E` and `k` are powers of 1024, as are `KiB MiB GiB TiB PiB EiB`;
/// `KB MB GB TB PB EB` are powers of 1000. No signs, no fractions, no spaces.
/// Values above 2^63-1 are refused, since no offset or length can exceed that.
pub fn parse_bytes(text: &str) -> Result<ByteArg, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!(
            "invalid byte count '{text}' (expected a number such as 4096, 64K or 1GiB)"
        ));
    }
    let multiplier: u64 = match suffix {
        "" => 1,
        "k" | "K" | "KiB" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        "T" | "TiB" => 1 << 40,
        "P" | "PiB" => 1 << 50,
        "E" | "EiB" => 1 << 60,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "PB" => 1_000_000_000_000_000,
        "EB" => 1_000_000_000_000_000_000,
        _ => {
            return Err(format!(
                "invalid suffix in byte count '{text}' (use K M G T P E, KiB MiB ..., or KB MB ...)"
            ))
        }
    };
    let too_large = || format!("byte count '{text}' is too large (the limit is 2^63-1)");
    let number: u64 = digits.parse().map_err(|_| too_large())?;
    let value = number.checked_mul(multiplier).ok_or_else(too_large)?;
    if value > MAX_OFFSET {
        return Err(too_large());
    }
    Ok(ByteArg {
        value,
        text: text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
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
}
