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

/// A BYTES argument that is not one (worded in `report/messages/settings.rs`); each variant
/// carries the text as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ByteCountError {
    /// It does not start with a digit.
    NotANumber(String),
    /// The digits are followed by a fraction (`1.5K`): a byte count is a whole number.
    Fraction(String),
    /// The digits are followed by something other than a known suffix.
    BadSuffix(String),
    /// Above [`MAX_OFFSET`].
    TooLarge(String),
}

impl std::error::Error for ByteCountError {}

/// Parses BYTES: a decimal integer with an optional suffix.
///
/// `K M G T P E` and `k` are powers of 1024, as are `KiB MiB GiB TiB PiB EiB`;
/// `KB MB GB TB PB EB` are powers of 1000. No signs, no fractions, no spaces.
/// Values above 2^63-1 are refused, since no offset or length can exceed that.
pub fn parse_bytes(text: &str) -> Result<ByteArg, ByteCountError> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(ByteCountError::NotANumber(text.to_owned()));
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
        _ if suffix.starts_with(['.', ',']) => {
            return Err(ByteCountError::Fraction(text.to_owned()))
        }
        _ => return Err(ByteCountError::BadSuffix(text.to_owned())),
    };
    let too_large = || ByteCountError::TooLarge(text.to_owned());
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
mod tests;
