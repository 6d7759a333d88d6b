//! The `--batch` job list: one `SOURCE<TAB>DEST[<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN]` per line,
//! or NUL-separated `SOURCE DEST` pairs with `-0`. Parsing is pure and never panics.

use std::ffi::OsString;
use std::io::{self, BufRead};
use std::os::unix::ffi::OsStringExt;

use crate::plan::RangeArgs;
use crate::units::parse_bytes;

/// One job read from the batch input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchJob {
    /// 1-based line number (with `-0`: the pair's number).
    pub line: usize,
    pub source: OsString,
    pub dest: OsString,
    /// The line's own byte range (5-field lines).
    pub range: Option<RangeArgs>,
}

/// A line that could not be parsed: its number and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchError {
    pub line: usize,
    pub message: String,
}

/// Parses the whole batch input. Empty lines are ignored; bad lines become errors, in order.
pub fn parse(input: &[u8], null: bool) -> Vec<Result<BatchJob, BatchError>> {
    BatchReader::new(input, null)
        .map(|read| read.expect("reading from memory cannot fail"))
        .collect()
}

/// Reads jobs from a batch file one at a time, so a long job list is never held in memory.
pub struct BatchReader<R> {
    input: R,
    null: bool,
    number: usize,
}

impl<R: BufRead> BatchReader<R> {
    pub fn new(input: R, null: bool) -> Self {
        BatchReader {
            input,
            null,
            number: 0,
        }
    }

    /// The next field up to `end` (without it); `None` at end of input.
    fn field(&mut self, end: u8) -> Option<io::Result<Vec<u8>>> {
        let mut field = Vec::new();
        match self.input.read_until(end, &mut field) {
            Ok(0) => None,
            Ok(_) => {
                if field.last() == Some(&end) {
                    field.pop();
                }
                Some(Ok(field))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

impl<R: BufRead> Iterator for BatchReader<R> {
    /// A read error, or the next line's job or problem.
    type Item = io::Result<Result<BatchJob, BatchError>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.null {
            let src = match self.field(0)? {
                Ok(src) => src,
                Err(e) => return Some(Err(e)),
            };
            let dst = match self.field(0) {
                Some(Ok(dst)) => Some(dst),
                Some(Err(e)) => return Some(Err(e)),
                // A lone empty field at the very end is just a trailing NUL.
                None if src.is_empty() => return None,
                None => None,
            };
            self.number += 1;
            return Some(Ok(null_pair(self.number, &src, dst.as_deref())));
        }
        loop {
            let mut line = match self.field(b'\n')? {
                Ok(line) => line,
                Err(e) => return Some(Err(e)),
            };
            self.number += 1;
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if !line.is_empty() {
                return Some(Ok(parse_line(self.number, &line)));
            }
        }
    }
}

fn parse_line(number: usize, line: &[u8]) -> Result<BatchJob, BatchError> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
    let error = |message: String| BatchError {
        line: number,
        message,
    };
    if fields.len() != 2 && fields.len() != 5 {
        return Err(error(format!(
            "expected SOURCE<TAB>DEST or SOURCE<TAB>DEST<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN, found {} field{}",
            fields.len(),
            if fields.len() == 1 { "" } else { "s" }
        )));
    }
    if fields[0].is_empty() || fields[1].is_empty() {
        return Err(error("empty SOURCE or DEST".to_owned()));
    }
    let range = if fields.len() == 5 {
        let value = |text: &[u8], name: &str| -> Result<_, BatchError> {
            if text.is_empty() || text == b"-" {
                return Ok(None);
            }
            let text =
                std::str::from_utf8(text).map_err(|_| error(format!("{name} is not a number")))?;
            parse_bytes(text)
                .map(Some)
                .map_err(|e| error(format!("{name}: {e}")))
        };
        Some(RangeArgs {
            offset_in: value(fields[2], "OFFSET_IN")?,
            offset_out: value(fields[3], "OFFSET_OUT")?,
            len: value(fields[4], "LEN")?,
        })
    } else {
        None
    };
    Ok(BatchJob {
        line: number,
        source: OsString::from_vec(fields[0].to_vec()),
        dest: OsString::from_vec(fields[1].to_vec()),
        range,
    })
}

/// One `-0` pair: SOURCE and DEST (missing at the end of the input).
fn null_pair(number: usize, src: &[u8], dst: Option<&[u8]>) -> Result<BatchJob, BatchError> {
    match dst {
        Some(dst) if !src.is_empty() && !dst.is_empty() => Ok(BatchJob {
            line: number,
            source: OsString::from_vec(src.to_vec()),
            dest: OsString::from_vec(dst.to_vec()),
            range: None,
        }),
        None => Err(BatchError {
            line: number,
            message: "a SOURCE without a DEST at the end of the input".to_owned(),
        }),
        Some(_) => Err(BatchError {
            line: number,
            message: "empty SOURCE or DEST".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
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
        assert!(err.message.contains("found 1 field"), "{}", err.message);
    }

    #[test]
    fn bad_numbers_and_crlf() {
        let jobs = parse(b"a\tb\tx\t0\t0\r\nq\tr\r\n", false);
        assert!(jobs[0]
            .as_ref()
            .unwrap_err()
            .message
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
}
