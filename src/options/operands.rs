//! cp's operand grammar: `SOURCE DEST`, `SOURCE... DIRECTORY`, `-t DIRECTORY SOURCE...` and
//! `-T SOURCE DEST` (GNU cp's `do_copy`), and the `--batch` pairing, turned into targets.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

use super::UsageError;
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
    let into_dir = args.target_directory.is_some()
        || (!args.no_target_directory
            && args.operands.len() >= 2
            && is_dir(Path::new(&args.operands[args.operands.len() - 1])).unwrap_or(false));
    Ok((targets, into_dir))
}

fn resolve_target_list(
    args: &Args,
    is_dir: &dyn Fn(&Path) -> io::Result<bool>,
) -> Result<Vec<Target>, UsageError> {
    let ops = &args.operands;
    if args.target_directory.is_some() && args.no_target_directory {
        return Err(UsageError::new(
            "cannot combine --target-directory (-t) and --no-target-directory (-T)",
            false,
        ));
    }
    if let Some(dir) = &args.target_directory {
        if ops.is_empty() {
            return Err(UsageError::new("missing file operand", true));
        }
        match is_dir(dir) {
            Ok(true) => {}
            Ok(false) => {
                return Err(UsageError::new(
                    format!(
                        "target directory {}: Not a directory",
                        crate::report::quote(dir)
                    ),
                    false,
                ))
            }
            Err(e) => {
                return Err(UsageError::new(
                    format!(
                        "target directory {}: {}",
                        crate::report::quote(dir),
                        crate::report::errno_text(&e)
                    ),
                    false,
                ))
            }
        }
        return into_directory(ops, dir, args);
    }
    match ops.len() {
        0 => return Err(UsageError::new("missing file operand", true)),
        1 => {
            return Err(UsageError::new(
                format!(
                    "missing destination file operand after {}",
                    crate::report::quote(Path::new(&ops[0]))
                ),
                true,
            ))
        }
        _ => {}
    }
    let last = &ops[ops.len() - 1];
    let sources = &ops[..ops.len() - 1];
    if args.no_target_directory {
        if ops.len() > 2 {
            return Err(UsageError::new(
                format!("extra operand {}", crate::report::quote(Path::new(&ops[2]))),
                true,
            ));
        }
        return Ok(vec![Target {
            source: Endpoint::from_operand(&ops[0]),
            dest: Endpoint::from_operand(last),
        }]);
    }
    if ops.len() == 2 && last == "-" {
        return Ok(vec![Target {
            source: Endpoint::from_operand(&ops[0]),
            dest: Endpoint::Stdio,
        }]);
    }
    let last_path = Path::new(last);
    if args.parents && !matches!(is_dir(last_path), Ok(true)) {
        return Err(UsageError::new(
            "with --parents, the destination must be a directory",
            true,
        ));
    }
    match is_dir(last_path) {
        Ok(true) => into_directory(sources, last_path, args),
        Ok(false) if ops.len() == 2 => Ok(vec![Target {
            source: Endpoint::from_operand(&ops[0]),
            dest: Endpoint::Path(last_path.to_path_buf()),
        }]),
        // Missing, or a symlink loop (the probe treats it as a dangling symlink).
        Err(e)
            if ops.len() == 2
                && (e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(40)) =>
        {
            Ok(vec![Target {
                source: Endpoint::from_operand(&ops[0]),
                dest: Endpoint::Path(last_path.to_path_buf()),
            }])
        }
        // GNU: DEST that cannot be looked at (EACCES) is a file to copy onto, whose stat
        // then fails (tests/cp/fail-perm.sh: `cannot stat 'symlink': Permission denied`).
        Err(e) if ops.len() == 2 && matches!(e.raw_os_error(), Some(13)) => Err(UsageError::new(
            format!(
                "cannot stat {}: {}",
                crate::report::quote(last_path),
                crate::report::errno_text(&e)
            ),
            false,
        )),
        Err(e) if ops.len() == 2 && e.raw_os_error() == Some(20) => Err(UsageError::new(
            format!(
                "cannot stat {}: Not a directory",
                crate::report::quote(last_path)
            ),
            false,
        )),
        Ok(false) => Err(UsageError::new(
            format!(
                "target {}: Not a directory",
                crate::report::quote(last_path)
            ),
            false,
        )),
        Err(e) => Err(UsageError::new(
            format!(
                "target {}: {}",
                crate::report::quote(last_path),
                crate::report::errno_text(&e)
            ),
            false,
        )),
    }
}

fn into_directory(
    sources: &[OsString],
    dir: &Path,
    args: &Args,
) -> Result<Vec<Target>, UsageError> {
    if args.is_ranged() && sources.len() > 1 {
        return Err(UsageError::new(
            "--offset-in, --offset-out and --len copy one SOURCE; several were given",
            true,
        ));
    }
    sources
        .iter()
        .map(|src| {
            if src == "-" {
                return Err(UsageError::new(
                    format!(
                        "cannot copy standard input into directory {}: give the destination a file name",
                        crate::report::quote(dir)
                    ),
                    false,
                ));
            }
            let dest = if args.parents {
                // --parents: the whole source name, made relative, under DIRECTORY.
                let rel: PathBuf = Path::new(src)
                    .components()
                    .filter(|c| !matches!(c, std::path::Component::RootDir))
                    .collect();
                dir.join(rel)
            } else {
                // `cp -rx / /mnt`: the last component of '/' is empty, which is '.': the
                // root's contents go into DIRECTORY itself (GNU 9.2; 9.1 and fcopy before
                // said "'/' and '/' are the same file", joining '/').
                let base = base_name(Path::new(src));
                if base.as_encoded_bytes().starts_with(b"/") {
                    dir.join(".")
                } else {
                    dir.join(base)
                }
            };
            Ok(Target {
                source: Endpoint::Path(PathBuf::from(src)),
                dest: Endpoint::Path(dest),
            })
        })
        .collect()
}

/// A `--batch` pair: DEST that is an existing directory receives SOURCE inside it, as in cp.
pub fn batch_target(
    source: &OsStr,
    dest: &OsStr,
    is_dir: &dyn Fn(&Path) -> io::Result<bool>,
) -> Target {
    let dest_path = Path::new(dest);
    let dest = if dest != "-" && matches!(is_dir(dest_path), Ok(true)) && source != "-" {
        Endpoint::Path(dest_path.join(base_name(Path::new(source))))
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
