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
            problem: LineProblem::NoDest,
        }),
        Some(_) => Err(BatchError {
            line: number,
            problem: LineProblem::EmptyField,
        }),
    }
}

/// What identifies a file a batch job touches: `(dev, ino)` of the file itself when it exists,
/// and `(dev, ino)` of its directory plus its name (which also names a file not created yet).
/// Spellings (`out`, `./out`, a symlinked directory) do not matter, only identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum FileKey {
    Inode(u64, u64),
    Entry(u64, u64, OsString),
}

/// The files a path names, as [`FileKey`]s (empty for standard I/O or a path that cannot be
/// examined, whose job then fails on its own), and whether they are all the files the path can
/// come to name while earlier jobs run: not when the path is a symbolic link that leads nowhere
/// yet (an earlier job may create its target: red-team finding, round 4, `ln -s Cnew M` with
/// the lines `X -> Cnew` and `M -> Out`), nor when its directory cannot be examined. `dirs`
/// caches the identity of directories already seen (job lists name a few directories many
/// times).
fn file_keys(
    path: &std::path::Path,
    dirs: &mut std::collections::HashMap<std::path::PathBuf, (u64, u64)>,
) -> (Vec<FileKey>, bool) {
    use rustix::fs::{lstat, stat};
    let mut keys = Vec::with_capacity(2);
    if path.as_os_str() == "-" {
        return (keys, true);
    }
    let mut complete = match stat(path) {
        Ok(st) => {
            keys.push(FileKey::Inode(st.st_dev, st.st_ino));
            true
        }
        // Absent: its name in its directory (below) is all it can come to be. Present but not
        // followable: a dangling symbolic link (or a loop), whose target no key names.
        Err(_) => lstat(path).is_err(),
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return (keys, complete);
    };
    let dir = match dirs.get(parent) {
        Some(&id) => Some(id),
        None => stat(parent).ok().map(|st| {
            if dirs.len() >= 4096 {
                dirs.clear();
            }
            dirs.insert(parent.to_owned(), (st.st_dev, st.st_ino));
            (st.st_dev, st.st_ino)
        }),
    };
    match dir {
        Some((dev, ino)) => keys.push(FileKey::Entry(dev, ino, name.to_owned())),
        None => complete = false,
    }
    (keys, complete)
}

/// Keeps parallel batch jobs (`-j`) in the order the list gives wherever the order matters,
/// so the result equals `-j 1` (issue 13): a job that writes a file an earlier job reads or
/// writes, or reads a file an earlier job writes, waits until the jobs before it are done.
/// Files are compared by identity ([`FileKey`]), not by spelling. The caller waits for every
/// job handed out when [`JobOrder::must_wait`] says so, then calls [`JobOrder::waited`].
#[derive(Default)]
pub struct JobOrder {
    reads: std::collections::HashSet<FileKey>,
    writes: std::collections::HashSet<FileKey>,
    dirs: std::collections::HashMap<std::path::PathBuf, (u64, u64)>,
    /// The last job handed out was a barrier (a tree, or files not known before it runs): the
    /// next job waits for it.
    after_barrier: bool,
}

impl JobOrder {
    /// Records a job that reads `source` and writes `dest`; returns whether it must wait for
    /// the jobs handed out since the last wait. Costs a few `stat` calls per job.
    ///
    /// With `recursive` (`-r`), a job whose SOURCE or DEST is a directory (symbolic links
    /// followed, to be safe) reads or writes files the keys do not cover, so it is a barrier:
    /// it waits for every earlier job, and the next job waits for it (red-team finding:
    /// `photos -> bk/photos` then `bk/photos/p1 -> out2` copied a prefix of p1). So is a job
    /// whose keys are incomplete ([`file_keys`]: a dangling symbolic link, a directory that
    /// cannot be examined): what it reads or writes is known only when it runs.
    pub fn must_wait(
        &mut self,
        source: &std::path::Path,
        dest: &std::path::Path,
        recursive: bool,
    ) -> (bool, JobFiles) {
        let (reads, source_known) = file_keys(source, &mut self.dirs);
        let (writes, dest_known) = file_keys(dest, &mut self.dirs);
        let is_dir = |p: &std::path::Path| std::fs::metadata(p).is_ok_and(|m| m.is_dir());
        let barrier = recursive && (is_dir(source) || is_dir(dest)) || !source_known || !dest_known;
        let clash = barrier
            || self.after_barrier
            || writes
                .iter()
                .any(|k| self.writes.contains(k) || self.reads.contains(k))
            || reads.iter().any(|k| self.writes.contains(k));
        (
            clash,
            JobFiles {
                reads,
                writes,
                barrier,
            },
        )
    }

    /// Notes that every earlier job is done (when `waited`), then adds this job's files.
    pub fn add(&mut self, files: JobFiles, waited: bool) {
        if waited {
            self.reads.clear();
            self.writes.clear();
        }
        self.reads.extend(files.reads);
        self.writes.extend(files.writes);
        self.after_barrier = files.barrier;
    }
}

/// The files one job reads and writes, from [`JobOrder::must_wait`].
pub struct JobFiles {
    reads: Vec<FileKey>,
    writes: Vec<FileKey>,
    /// The job copies a directory tree, or its files are not all known before it runs: it
    /// waits for every earlier job, and the next job waits for it.
    barrier: bool,
}

#[cfg(test)]
mod tests;
