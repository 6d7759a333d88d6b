//! Where each flag stood on the command line (GNU cp's order-dependent flags need it), and the
//! command line of operands only, which needs no parser at all.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use clap::ArgMatches;

use super::Args;

/// The positions of the flags on the command line, for the flags whose order matters (the
/// last of `-L`/`-P`/`-H`/`-a`/`-d` wins; `--preserve`, `--no-preserve`, `-p`, `-a` apply in
/// order: GNU cp.c's option loop). Positions are clap's argument indices; only their order is
/// used.
#[derive(Debug, Default)]
pub struct FlagPositions {
    /// clap's matches; `None` for a command line without options ([`operands_only`]).
    matches: Option<ArgMatches>,
}

impl FlagPositions {
    /// The positions clap recorded while parsing.
    pub fn from_matches(matches: ArgMatches) -> FlagPositions {
        FlagPositions {
            matches: Some(matches),
        }
    }

    /// The position of the last occurrence of the flag whose clap id is `id` (the field's
    /// name); `None` when it was not given.
    pub fn last(&self, id: &str) -> Option<usize> {
        let m = self.matches.as_ref()?;
        // clap also records a position for a flag's default value.
        if m.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            return None;
        }
        m.indices_of(id)?.max()
    }

    /// Each value of the repeatable option `id` (`--preserve=LIST`) with its position, in
    /// command-line order; empty when it was not given.
    pub fn values(&self, id: &str) -> Vec<(String, usize)> {
        let Some(m) = self.matches.as_ref() else {
            return Vec::new();
        };
        let (Some(values), Some(indices)) = (m.get_many::<String>(id), m.indices_of(id)) else {
            return Vec::new();
        };
        values.cloned().zip(indices).collect()
    }
}

/// The arguments of a command line that has no option at all (`fcopy a b`, `fcopy f1 f2 dir`:
/// no argument after the program name begins with `-`), without building clap's command:
/// every flag at its default, the arguments as operands. Building the command (about 80
/// arguments) and matching against it was the largest part of fcopy's own start-up time (issue
/// 16, goal 3: `find -exec fcopy {} DIR \;` starts fcopy once per file). `None` for any other
/// command line, which clap parses; the unit tests hold both ways to the same [`Args`].
pub fn operands_only(argv: &[OsString]) -> Option<Args> {
    let operands = argv.get(1..)?;
    if operands.iter().any(|a| a.as_bytes().first() == Some(&b'-')) {
        return None;
    }
    Some(Args {
        operands: operands.to_vec(),
        ..Args::default()
    })
}

#[cfg(test)]
mod tests;
