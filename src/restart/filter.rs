//! `--exclude=GLOB`, `--include=GLOB` and `--exclude-from=FILE` for tree copies.
//!
//! Each tree entry's path relative to its operand (`sub/file.o` for `SRC/sub/file.o`) is
//! matched. As in rsync and `.gitignore`: a pattern with no `/` (a trailing one aside) matches
//! the entry's name at any depth; a pattern with a `/` matches the whole relative path (a leading
//! `/` anchors it, and is dropped); a trailing `/` matches directories only; `*` and `?` do not
//! match `/`, `**` does. An entry is skipped when an `--exclude` matches and no `--include` does;
//! a skipped directory is not descended, so nothing below it is copied.
//!
//! The matching is globset's (the ripgrep project's glob engine: the `*`/`**`/`?`/`[...]`/`{a,b}`
//! syntax, compiled into one automaton per set, so a thousand patterns cost about one).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::cli::RestartArgs;

/// Why the patterns of a run cannot be used (a usage error; wording in
/// `src/report/messages/restart.rs`).
#[derive(Debug)]
pub enum FilterError {
    /// An `--exclude-from` file cannot be read.
    Unreadable {
        file: PathBuf,
        error: std::io::Error,
    },
    /// Line `line` (from 1) of an `--exclude-from` file is not UTF-8.
    NotUtf8 { file: PathBuf, line: usize },
    /// A pattern that is empty once its trailing `/` is dropped (`/`, `//`).
    Empty { flag: &'static str, pattern: String },
    /// globset refuses the pattern (`a[`: unclosed class, ...).
    Glob {
        flag: &'static str,
        pattern: String,
        reason: globset::ErrorKind,
    },
    /// globset refuses the set as a whole.
    Set(globset::Error),
}

/// One side (exclude or include) of the rules: patterns on names and on relative paths.
#[derive(Debug)]
struct Rules {
    names: GlobSet,
    names_dir_only: Vec<bool>,
    paths: GlobSet,
    paths_dir_only: Vec<bool>,
}

impl Rules {
    fn build(patterns: &[String], flag: &'static str) -> Result<Rules, FilterError> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        let (mut names_dir_only, mut paths_dir_only) = (Vec::new(), Vec::new());
        for pattern in patterns {
            let dir_only = pattern.len() > 1 && pattern.ends_with('/');
            let body = pattern.trim_end_matches('/');
            if body.is_empty() {
                return Err(FilterError::Empty {
                    flag,
                    pattern: pattern.clone(),
                });
            }
            let glob = |text: &str| -> Result<Glob, FilterError> {
                GlobBuilder::new(text)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| FilterError::Glob {
                        flag,
                        pattern: pattern.clone(),
                        reason: e.kind().clone(),
                    })
            };
            if body.contains('/') {
                paths.add(glob(body.trim_start_matches('/'))?);
                paths_dir_only.push(dir_only);
            } else {
                names.add(glob(body)?);
                names_dir_only.push(dir_only);
            }
        }
        let build = |b: GlobSetBuilder| b.build().map_err(FilterError::Set);
        Ok(Rules {
            names: build(names)?,
            names_dir_only,
            paths: build(paths)?,
            paths_dir_only,
        })
    }

    fn matches(&self, rel: &Path, name: &OsStr, is_dir: bool) -> bool {
        let hit = |set: &GlobSet, dir_only: &[bool], what: &Path| {
            !set.is_empty()
                && set
                    .matches(what)
                    .into_iter()
                    .any(|i| is_dir || !dir_only[i])
        };
        hit(&self.names, &self.names_dir_only, Path::new(name))
            || hit(&self.paths, &self.paths_dir_only, rel)
    }
}

/// The compiled filter of a run.
#[derive(Debug)]
pub struct Filter {
    exclude: Rules,
    include: Rules,
}

impl Filter {
    /// Builds the filter from the flags, reading `--exclude-from` files. `Ok(None)`: no
    /// patterns at all. `Err`: a bad pattern or an unreadable file.
    pub fn from_args(args: &RestartArgs) -> Result<Option<Filter>, FilterError> {
        let mut excludes = args.exclude.clone();
        for file in &args.exclude_from {
            let text = std::fs::read(file).map_err(|error| FilterError::Unreadable {
                file: file.clone(),
                error,
            })?;
            for (n, line) in text.split(|&b| b == b'\n').enumerate() {
                // Patterns are text, as on the command line: a line that is not UTF-8 would
                // silently match nothing, so it is refused (globset matches UTF-8 patterns).
                let line = std::str::from_utf8(line).map_err(|_| FilterError::NotUtf8 {
                    file: file.clone(),
                    line: n + 1,
                })?;
                let line = line.trim_end_matches('\r');
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                excludes.push(line.to_owned());
            }
        }
        if excludes.is_empty() && args.include.is_empty() {
            return Ok(None);
        }
        Ok(Some(Filter {
            exclude: Rules::build(&excludes, "--exclude")?,
            include: Rules::build(&args.include, "--include")?,
        }))
    }

    /// Whether the entry at `rel` (relative to its operand; its last component is its name) is
    /// left out of the copy.
    pub fn excludes(&self, rel: &Path, is_dir: bool) -> bool {
        let name = rel.file_name().unwrap_or(rel.as_os_str());
        self.exclude.matches(rel, name, is_dir) && !self.include.matches(rel, name, is_dir)
    }
}

#[cfg(test)]
mod tests;
