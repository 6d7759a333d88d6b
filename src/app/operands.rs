//! The command line's operands (with `--files-from`'s names added): paired up by cp's grammar
//! ([`crate::options::operands`]) with each path looked at once, then copied one operand after
//! the other.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::Prepared;
use crate::cli::Args;
use crate::exec::probe;
use crate::options::{self, UsageError};
use crate::plan::{Endpoint, Target};
use crate::{drive, signals};

/// cp's operand grammar over the real filesystem: the targets, and whether the sources go into
/// a directory. Each path is looked at once (the grammar asks about DEST twice).
///
/// `planned_dir`: a `-t DIRECTORY` that `--dry-run --mkpath` plans to make, taken as a directory.
pub fn resolve(args: &Args, planned_dir: Option<&Path>) -> Result<(Vec<Target>, bool), UsageError> {
    let seen = RefCell::new(HashMap::new());
    let is_dir = |path: &Path| -> io::Result<bool> {
        if planned_dir.is_some_and(|dir| dir_once_made(path, &|p| p == dir)) {
            return Ok(true);
        }
        let answer = *seen
            .borrow_mut()
            .entry(path.to_path_buf())
            .or_insert_with(|| probe::is_dir(path).map_err(|e| e.raw_os_error()));
        answer.map_err(|e| match e {
            Some(n) => io::Error::from_raw_os_error(n),
            None => io::Error::other("not a directory"),
        })
    };
    options::operands::resolve_targets(args, &is_dir)
}

/// `--dry-run --mkpath`: whether `path` names a directory once the directories the plan makes
/// (`made`) exist: one of them, or one followed by `..` (the parent of a directory is one).
/// The run makes `new/sub` for `--mkpath s new/sub/..` (DEST's parent: `..` is a name there),
/// then finds DEST a directory and copies into it as `new/sub/../s`; the dry run planned the
/// file `new/sub/..` (helper dry10's finding, round 10). `new/sub/.` is `new/sub` as a path.
pub(super) fn dir_once_made(path: &Path, made: &dyn Fn(&Path) -> bool) -> bool {
    if made(path) {
        return true;
    }
    match (path.components().next_back(), path.parent()) {
        (Some(std::path::Component::ParentDir), Some(below)) => dir_once_made(below, made),
        _ => false,
    }
}

/// Copies each operand in order until a signal stops the run. `parallel`: jobs run on workers.
pub fn run_operands(copier: &mut drive::Copier<'_, '_>, prepared: &Prepared, parallel: bool) {
    let targets = &prepared.targets;
    // An operand may read what an earlier one writes into DIRECTORY: then each operand's jobs
    // finish before the next operand starts (as with -j 1).
    let one_at_a_time = parallel
        && prepared.into_directory
        && targets.len() > 1
        && prepared
            .directory
            .as_deref()
            .is_some_and(|dir| operands_overlap_directory(dir, targets));
    // GNU's new_dst of --parents, carried from one operand to the next.
    let mut assumed_new = false;
    copier.dest_seen_not_directory(prepared.dest_not_a_directory);
    for target in targets {
        if signals::pending().is_some() {
            break;
        }
        copier.copy_operand_after(target, prepared.into_directory, &mut assumed_new);
        if one_at_a_time {
            copier.wait_all();
        }
    }
}

/// Whether a SOURCE operand lies inside the destination DIRECTORY (or DIRECTORY inside it), so
/// that a later operand could read a file an earlier operand writes (`cp -r x dir/x/z dir`).
/// Paths are compared canonically: each source's parent is resolved and its last component
/// kept as given (not followed), so a symbolic link operand counts where it is, not where it
/// points. A path that cannot be resolved counts as overlapping (waiting is always safe).
fn operands_overlap_directory(dir: &Path, targets: &[Target]) -> bool {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return true;
    };
    targets.iter().any(|target| match &target.source {
        Endpoint::Path(source) => {
            where_is(source).is_none_or(|src| src.starts_with(&dir) || dir.starts_with(&src))
        }
        _ => false,
    })
}

/// `path` with its parent resolved and its last component as given; `None` if the parent
/// cannot be resolved.
fn where_is(path: &Path) -> Option<PathBuf> {
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            Some(std::fs::canonicalize(parent).ok()?.join(name))
        }
        _ => std::fs::canonicalize(path).ok(),
    }
}

/// What `--files-from` made of the command line.
pub enum Listed {
    /// No `--files-from`.
    NotGiven,
    /// The list named no file and the command line no SOURCE either: nothing to copy (as in
    /// rsync).
    Nothing,
    /// The command line with the listed names added as SOURCE operands, into a `-t` directory.
    Sources(Box<Args>),
}

/// Reads `--files-from`'s list, when the flag is given, and adds its names to the command
/// line's SOURCE operands (see [`crate::restart::files_from`]).
pub fn with_files_from(args: &Args, config: &options::Config) -> Result<Listed, UsageError> {
    let Some(file) = &config.restart.files_from else {
        return Ok(Listed::NotGiven);
    };
    let names =
        crate::restart::files_from::read_names(file, config.null).map_err(UsageError::FilesFrom)?;
    let given = args.target_directory.as_deref();
    let cli_sources =
        args.operands.len() - usize::from(given.is_none() && !args.operands.is_empty());
    if names.is_empty() && cli_sources == 0 {
        return Ok(Listed::Nothing);
    }
    let (sources, directory) =
        crate::restart::files_from::with_listed_sources(&args.operands, names, given)
            .map_err(UsageError::FilesFrom)?;
    let mut listed = args.clone();
    listed.operands = sources;
    listed.target_directory = Some(directory);
    Ok(Listed::Sources(Box::new(listed)))
}
