//! The `--batch` job list: one `SOURCE<TAB>DEST[<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN]` per line,
//! or NUL-separated `SOURCE DEST` pairs with `-0`. Parsing is pure and never panics.

use std::ffi::OsString;
use std::io::{self, BufRead, Read};
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

/// A line that could not be parsed: its number and what is wrong (worded in
/// `report/messages/settings.rs`, without the line number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchError {
    pub line: usize,
    pub problem: LineProblem,
}

/// What is wrong with a line of the job list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// Neither 2 nor 5 tab-separated fields: the count found.
    FieldCount(usize),
    /// SOURCE or DEST is empty.
    EmptyField,
    /// `-0`: a SOURCE without a DEST at the end of the input.
    NoDest,
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// A range field (`OFFSET_IN`, `OFFSET_OUT`, `LEN`) that is not UTF-8.
    NotANumber(&'static str),
    /// A range field that is not a BYTES value.
    BadNumber(&'static str, crate::units::ByteCountError),
    /// A 5-field line whose three range fields are all empty or `-`: a ranged copy writes over
    /// DEST in place and keeps its tail, which a script printing three empty variables does
    /// not mean (red team, round 11); a whole-file copy is `SOURCE<TAB>DEST`.
    NoRange,
}

/// Parses the whole batch input. Empty lines are ignored; bad lines become errors, in order.
pub fn parse(input: &[u8], null: bool) -> Vec<Result<BatchJob, BatchError>> {
    BatchReader::new(input, null)
        .map(|read| read.expect("reading from memory cannot fail"))
        .collect()
}

/// One line (or `-0` pair) of the job list: a job, or what is wrong with the line.
pub type Entry = Result<BatchJob, BatchError>;

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

    /// The next field up to `end` (without it); `None` at end of input. A field longer than
    /// [`MAX_LINE`] is not kept: the rest of it is read and dropped, and it comes back as
    /// [`Field::TooLong`].
    fn field(&mut self, end: u8) -> Option<io::Result<Field>> {
        let mut field = Vec::new();
        let limit = MAX_LINE as u64 + 1;
        match (&mut self.input).take(limit).read_until(end, &mut field) {
            Ok(0) => None,
            Ok(_) if field.last() == Some(&end) => {
                field.pop();
                Some(Ok(Field::Bytes(field)))
            }
            Ok(n) if n as u64 == limit => {
                Some(skip_until(&mut self.input, end).map(|()| Field::TooLong))
            }
            Ok(_) => Some(Ok(Field::Bytes(field))),
            Err(e) => Some(Err(e)),
        }
    }
}

/// The longest line (or `-0` field) kept, in bytes: two `PATH_MAX` names and three numbers fit
/// many times over. A longer one (a binary passed by mistake) is reported as too long instead
/// of being held whole in memory (issue 13: a 100 MB line cost 490 MB).
pub const MAX_LINE: usize = 64 * 1024;

/// One field as read: its bytes, or the mark of one that was too long.
enum Field {
    Bytes(Vec<u8>),
    TooLong,
}

/// Reads and drops input up to and including `end` (or to end of input).
fn skip_until(input: &mut impl BufRead, end: u8) -> io::Result<()> {
    loop {
        let (found, used) = {
            let buf = match input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(());
            }
            match buf.iter().position(|&b| b == end) {
                Some(i) => (true, i + 1),
                None => (false, buf.len()),
            }
        };
        input.consume(used);
        if found {
            return Ok(());
        }
    }
}

fn too_long(number: usize) -> BatchError {
    BatchError {
        line: number,
        problem: LineProblem::TooLong,
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
                None if matches!(&src, Field::Bytes(b) if b.is_empty()) => return None,
                None => None,
            };
            self.number += 1;
            return Some(Ok(match (src, dst) {
                (Field::Bytes(src), None) => null_pair(self.number, &src, None),
                (Field::Bytes(src), Some(Field::Bytes(dst))) => {
                    null_pair(self.number, &src, Some(&dst))
                }
                _ => Err(too_long(self.number)),
            }));
        }
        loop {
            let mut line = match self.field(b'\n')? {
                Ok(Field::Bytes(line)) => line,
                Ok(Field::TooLong) => {
                    self.number += 1;
                    return Some(Ok(Err(too_long(self.number))));
                }
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
    let error = |problem| BatchError {
        line: number,
        problem,
    };
    if fields.len() != 2 && fields.len() != 5 {
        return Err(error(LineProblem::FieldCount(fields.len())));
    }
    if fields[0].is_empty() || fields[1].is_empty() {
        return Err(error(LineProblem::EmptyField));
    }
    let range = if fields.len() == 5 {
        let value = |text: &[u8], name: &'static str| -> Result<_, BatchError> {
            if text.is_empty() || text == b"-" {
                return Ok(None);
            }
            let text =
                std::str::from_utf8(text).map_err(|_| error(LineProblem::NotANumber(name)))?;
            parse_bytes(text)
                .map(Some)
                .map_err(|e| error(LineProblem::BadNumber(name, e)))
        };
        let range = RangeArgs {
            offset_in: value(fields[2], "OFFSET_IN")?,
            offset_out: value(fields[3], "OFFSET_OUT")?,
            len: value(fields[4], "LEN")?,
            names: crate::plan::RangeNames::BatchColumns,
        };
        if range.offset_in.is_none() && range.offset_out.is_none() && range.len.is_none() {
            return Err(error(LineProblem::NoRange));
        }
        Some(range)
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
            problem: LineProblem::NoDest,
        }),
        Some(_) => Err(BatchError {
            line: number,
            problem: LineProblem::EmptyField,
        }),
    }
}

mod order;

pub use order::{JobFiles, JobOrder};

#[cfg(test)]
mod tests;
