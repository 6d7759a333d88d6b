//! cp's operand grammar: `SOURCE DEST`, `SOURCE... DIRECTORY`, `-t DIRECTORY SOURCE...` and
//! `-T SOURCE DEST` (GNU cp's `do_copy`), and the `--batch` pairing, turned into targets.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::conflicts::Conflict;
use super::{LinkMode, UsageError};
use crate::cli::Args;
use crate::plan::{base_name, Endpoint, Target};

/// Pairs sources with destinations as cp does (`SRC DST`, `SRC... DIR`, `-t DIR`, `-T`).
///
/// `is_dir` answers whether a path is (or leads through a symlink to) a directory. The flag
/// returned says whether the destination is a directory the sources go into.
pub fn resolve_targets(
    args: &Args,
    is_dir: &dyn Fn(&Path) -> io::Result<bool>,
) -> Result<(Vec<Target>, bool), UsageError> {
    let targets = resolve_target_list(args, is_dir)?;
    let link = super::link_mode(args);
    for target in &targets {
        link_to_stdout(link, target)?;
    }
    let into_dir = args.target_directory.is_some()
        || (!args.no_target_directory
            && args.operands.len() >= 2
            && is_dir(Path::new(&args.operands[args.operands.len() - 1])).unwrap_or(false));
    Ok((targets, into_dir))
}

/// Operands cp's grammar cannot pair up (GNU cp's `do_copy` errors, plus fcopy's own for
/// standard input and byte ranges). Worded in `report/messages/settings.rs`.
#[derive(Debug)]
pub enum OperandError {
    /// No operand at all (or none after `-t DIR`).
    MissingOperand,
    /// One operand and no `-t`: the operand.
    MissingDestination(PathBuf),
    /// `-T` with more than two operands: the third.
    ExtraOperand(PathBuf),
    /// `--parents` with one SOURCE and a DEST that is not a directory (or with `-T`).
    ParentsNeedDirectory,
    /// A byte range with several SOURCEs.
    RangeWithSeveralSources,
    /// SOURCE `-` copied into a directory (the copy would need a name).
    StdinIntoDirectory(PathBuf),
    /// Several SOURCEs with a last operand `-`: standard output as DEST takes one SOURCE; a
    /// directory named `-` is `./-` (new user, round 10: `fcopy a b -` said `target '-': No
    /// such file or directory`, or copied into a directory `-`).
    SeveralIntoStdout,
    /// `-l` or `-s` (`symbolic`) with DEST `-`: a link needs a name, and standard output has
    /// none (round 10's closing note: `fcopy -l a -` copied `a` to standard output, the flag
    /// ignored). Also a `--batch` line's DEST.
    LinkToStdout { symbolic: bool },
    /// `-l` or `-s` (`symbolic`) with SOURCE `-`: standard input has no name to link to
    /// (`echo hi | fcopy -l - b` copied the data, the flag ignored: fix11's report, round 11).
    LinkOfStdin { symbolic: bool },
    /// `-t DIR` that is not a directory (`ENOTDIR`) or cannot be looked at.
    TargetDirectory(PathBuf, io::Error),
    /// The last of several operands is not a directory (`ENOTDIR`) or cannot be looked at.
    Target(PathBuf, io::Error),
    /// DEST of `SOURCE DEST` cannot be looked at (GNU tests/cp/fail-perm.sh).
    CannotStat(PathBuf, io::Error),
}

impl OperandError {
    /// Whether "Try 'fcopy --help'" follows, as in GNU cp (not for errors about a file).
    pub fn try_help(&self) -> bool {
        matches!(
            self,
            OperandError::MissingOperand
                | OperandError::MissingDestination(_)
                | OperandError::ExtraOperand(_)
                | OperandError::ParentsNeedDirectory
                | OperandError::RangeWithSeveralSources
                | OperandError::SeveralIntoStdout
                | OperandError::LinkToStdout { .. }
                | OperandError::LinkOfStdin { .. }
        )
    }
}

/// The error for "not a directory" answered by `is_dir` without an errno.
fn not_a_directory() -> io::Error {
    io::Error::from_raw_os_error(rustix::io::Errno::NOTDIR.raw_os_error())
}

/// Whether operand `op` means standard input or output: `-`, unless fcopy runs as `cp`
/// ([`Args::dash_is_a_name`]).
fn is_stdio(op: &OsStr, args: &Args) -> bool {
    op == "-" && !args.dash_is_a_name
}

/// Operand `op` as an endpoint (see [`is_stdio`]).
fn endpoint(op: &OsStr, args: &Args) -> Endpoint {
    if is_stdio(op, args) {
        Endpoint::Stdio
    } else {
        Endpoint::Path(PathBuf::from(op))
    }
}

fn resolve_target_list(
    args: &Args,
    is_dir: &dyn Fn(&Path) -> io::Result<bool>,
) -> Result<Vec<Target>, UsageError> {
    let ops = &args.operands;
    if args.target_directory.is_some() && args.no_target_directory {
        return Err(Conflict::TargetDirectoryWithNoTargetDirectory.into());
    }
    if let Some(dir) = &args.target_directory {
        if ops.is_empty() {
            return Err(OperandError::MissingOperand.into());
        }
        return match is_dir(dir) {
            Ok(true) => into_directory(ops, dir, args),
            Ok(false) => Err(OperandError::TargetDirectory(dir.clone(), not_a_directory()).into()),
            Err(e) => Err(OperandError::TargetDirectory(dir.clone(), e).into()),
        };
    }
    match ops.len() {
        0 => return Err(OperandError::MissingOperand.into()),
        1 => return Err(OperandError::MissingDestination(PathBuf::from(&ops[0])).into()),
        _ => {}
    }
    let last = &ops[ops.len() - 1];
    if args.no_target_directory {
        if ops.len() > 2 {
            return Err(OperandError::ExtraOperand(PathBuf::from(&ops[2])).into());
        }
        // GNU cp.c (do_copy): without a target directory, --parents is a usage error; -T never
        // has one. (Before: `--parents -T x/y/a keep` wrote x/y/keep, beside SOURCE.)
        if args.parents {
            return Err(OperandError::ParentsNeedDirectory.into());
        }
        return Ok(vec![Target {
            source: endpoint(&ops[0], args),
            dest: endpoint(last, args),
        }]);
    }
    if ops.len() == 2 && is_stdio(last, args) {
        return Ok(vec![Target {
            source: endpoint(&ops[0], args),
            dest: Endpoint::Stdio,
        }]);
    }
    if is_stdio(last, args) {
        return Err(OperandError::SeveralIntoStdout.into());
    }
    let last_path = Path::new(last);
    // GNU cp.c (do_copy): several SOURCEs into a LAST that is not a directory are `target
    // 'LAST': Not a directory` (or the look's errno), --parents or not; only a single SOURCE
    // with --parents is the usage error.
    if args.parents && ops.len() == 2 && !matches!(is_dir(last_path), Ok(true)) {
        return Err(OperandError::ParentsNeedDirectory.into());
    }
    last_operand(args, last_path, is_dir(last_path))
}

/// `SOURCE... LAST` by what LAST is: a directory receives the sources; otherwise two operands
/// are `SOURCE DEST`, and more are an error about LAST (`is_last_dir`: the probe's answer).
fn last_operand(
    args: &Args,
    last: &Path,
    is_last_dir: io::Result<bool>,
) -> Result<Vec<Target>, UsageError> {
    let ops = &args.operands;
    let pair = || {
        Ok(vec![Target {
            source: endpoint(&ops[0], args),
            dest: Endpoint::Path(last.to_path_buf()),
        }])
    };
    let error = |e: OperandError| Err(UsageError::from(e));
    match is_last_dir {
        Ok(true) => into_directory(&ops[..ops.len() - 1], last, args),
        Ok(false) if ops.len() == 2 => pair(),
        // Missing, or a symlink loop (the probe treats it as a dangling symlink).
        Err(e)
            if ops.len() == 2
                && (e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(40)) =>
        {
            pair()
        }
        // GNU: DEST that cannot be looked at (EACCES) is a file to copy onto, whose stat
        // then fails (tests/cp/fail-perm.sh: `cannot stat 'symlink': Permission denied`).
        // ENOTDIR (a file in DEST's path), ENAMETOOLONG and the rest likewise: with two
        // operands GNU never says "target" (new-user trial, round 8: a 300-byte name).
        Err(e) if ops.len() == 2 => error(OperandError::CannotStat(last.to_path_buf(), e)),
        Ok(false) => error(OperandError::Target(last.to_path_buf(), not_a_directory())),
        Err(e) => error(OperandError::Target(last.to_path_buf(), e)),
    }
}

fn into_directory(
    sources: &[OsString],
    dir: &Path,
    args: &Args,
) -> Result<Vec<Target>, UsageError> {
    if args.is_ranged() && sources.len() > 1 {
        return Err(OperandError::RangeWithSeveralSources.into());
    }
    sources
        .iter()
        .map(|src| {
            if is_stdio(src, args) {
                return Err(OperandError::StdinIntoDirectory(dir.to_path_buf()).into());
            }
            let dest = if args.parents {
                // --parents: the whole source name, made relative, under DIRECTORY.
                let rel: PathBuf = Path::new(src)
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::RootDir))
                    .collect();
                in_directory(dir, rel)
            } else {
                in_directory(dir, name_in_directory(Path::new(src)))
            };
            Ok(Target {
                source: Endpoint::Path(PathBuf::from(src)),
                dest: Endpoint::Path(dest),
            })
        })
        .collect()
}

/// `name` inside the target directory `dir`, as GNU's `file_name_concat` joins them: `dir`'s
/// trailing slashes give way to one separator (`cp -v a d//` shows `'a' -> 'd/a'`, not `d//a`:
/// red team, round 14); a `dir` of slashes alone is kept whole (`//` gives `//a`, as GNU).
pub fn in_directory(dir: &Path, name: impl AsRef<Path>) -> PathBuf {
    let bytes = dir.as_os_str().as_encoded_bytes();
    let kept = bytes.len() - bytes.iter().rev().take_while(|&&b| b == b'/').count();
    let dir = match kept {
        0 => dir,
        _ if kept == bytes.len() => dir,
        _ => Path::new(OsStr::from_bytes(&bytes[..kept])),
    };
    dir.join(name)
}

/// The name SOURCE's copy gets inside a target directory: SOURCE's last component, except
/// where that would leave the directory:
/// - `..` (`cp -r a/b/.. d`) gives `.`, the directory itself (GNU cp.c: "For 'cp -R
///   source/.. dest', don't copy into 'dest/..'"; fcopy wrote into `d/..`, the directory's
///   parent: new-user trial, round 8);
/// - `/` (`cp -rx / /mnt`), whose last component is empty, gives `.` too: the root's contents
///   go into the directory itself (GNU 9.2; 9.1 said "'/' and '/' are the same file").
pub fn name_in_directory(source: &Path) -> &OsStr {
    let base = base_name(source);
    if base == ".." || base.as_encoded_bytes().starts_with(b"/") {
        OsStr::new(".")
    } else {
        base
    }
}

/// `-l`/`-s` (`link`) cannot make a link at DEST `-`, standard output, nor to SOURCE `-`,
/// standard input: the target's refusal, for the command line's operands and a `--batch` line
/// alike.
pub fn link_to_stdout(link: LinkMode, target: &Target) -> Result<(), OperandError> {
    let symbolic = link == LinkMode::Symbolic;
    if link == LinkMode::Copy {
        Ok(())
    } else if target.dest.is_stdio() {
        Err(OperandError::LinkToStdout { symbolic })
    } else if target.source.is_stdio() {
        Err(OperandError::LinkOfStdin { symbolic })
    } else {
        Ok(())
    }
}

/// A `--batch` pair: DEST that is an existing directory receives SOURCE inside it, as in cp.
pub fn batch_target(
    source: &OsStr,
    dest: &OsStr,
    is_dir: &dyn Fn(&Path) -> io::Result<bool>,
) -> Target {
    let dest_path = Path::new(dest);
    let dest = if dest != "-" && matches!(is_dir(dest_path), Ok(true)) && source != "-" {
        Endpoint::Path(in_directory(
            dest_path,
            name_in_directory(Path::new(source)),
        ))
    } else {
        Endpoint::from_operand(dest)
    };
    Target {
        source: Endpoint::from_operand(source),
        dest,
    }
}

#[cfg(test)]
mod tests;
