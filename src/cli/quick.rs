//! Where each flag stood on the command line (GNU cp's order-dependent flags need it), and the
//! quick parse of the common command lines (operands and cp's one-letter flags) without clap.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use clap::ArgMatches;

use super::Args;

/// The positions of the flags on the command line, for the flags whose order matters (the
/// last of `-L`/`-P`/`-H`/`-a`/`-d` wins; `--preserve`, `--no-preserve`, `-p`, `-a` apply in
/// order: GNU cp.c's option loop). Only the order of positions means anything.
#[derive(Debug, Default)]
pub struct FlagPositions {
    /// clap's matches (clap's argument indices), when clap parsed the command line.
    matches: Option<ArgMatches>,
    /// The flags [`quick_parse`] read, by clap id, in command-line order.
    quick: Vec<&'static str>,
}

impl FlagPositions {
    /// The positions clap recorded while parsing.
    pub fn from_matches(matches: ArgMatches) -> FlagPositions {
        FlagPositions {
            matches: Some(matches),
            quick: Vec::new(),
        }
    }

    /// The position of the last occurrence of the flag whose clap id is `id` (the field's
    /// name); `None` when it was not given.
    pub fn last(&self, id: &str) -> Option<usize> {
        let Some(m) = self.matches.as_ref() else {
            // 1-based, as clap's indices (argv[0] is 0).
            return self.quick.iter().rposition(|&q| q == id).map(|i| i + 1);
        };
        // clap also records a position for a flag's default value.
        if m.value_source(id) != Some(clap::parser::ValueSource::CommandLine) {
            return None;
        }
        m.indices_of(id)?.max()
    }

    /// Each value of the repeatable option `id` (`--preserve=LIST`) with its position, in
    /// command-line order; empty when it was not given (always, after [`quick_parse`]).
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

/// Sets the flag `-c` in `args` and gives its clap id; `None` for a letter the quick parse does
/// not take (it takes GNU cp 9.1's one-letter flags that have no value).
fn set_short(args: &mut Args, c: u8) -> Option<&'static str> {
    let (field, id) = match c {
        // `-u` is `--update=older` (its long form takes a value, the letter never does).
        b'u' => {
            args.update = Some(crate::options::values::UpdateWhen::Older);
            return Some("update");
        }
        b'a' => (&mut args.archive, "archive"),
        b'b' => (&mut args.backup_default, "backup_default"),
        b'd' => (&mut args.no_deref_preserve_links, "no_deref_preserve_links"),
        b'f' => (&mut args.force, "force"),
        b'H' => (
            &mut args.dereference_command_line,
            "dereference_command_line",
        ),
        b'L' => (&mut args.dereference, "dereference"),
        b'l' => (&mut args.link, "link"),
        b'P' => (&mut args.no_dereference, "no_dereference"),
        b'p' => (&mut args.preserve_default, "preserve_default"),
        b'r' | b'R' => (&mut args.recursive, "recursive"),
        b's' => (&mut args.symbolic_link, "symbolic_link"),
        b'T' => (&mut args.no_target_directory, "no_target_directory"),
        b'v' => (&mut args.verbose, "verbose"),
        b'x' => (&mut args.one_file_system, "one_file_system"),
        b'Z' => (&mut args.selinux, "selinux"),
        // `-n` and `-i` override each other: the last one counts (clap's overrides_with).
        b'n' => {
            args.interactive = false;
            (&mut args.no_clobber, "no_clobber")
        }
        b'i' => {
            args.no_clobber = false;
            (&mut args.interactive, "interactive")
        }
        _ => return None,
    };
    *field = true;
    Some(id)
}

/// Sets the long option `--NAME[=VALUE]` (`long` is what follows `--`) in `args` and gives
/// its clap id; `None` for one the quick parse does not take. It takes the exact spellings of
/// `--reflink[=WHEN]` and `--sparse=WHEN`, the options of the clone and sparse rows (issue 16:
/// `fcopy --reflink=always a b` spent a fifth of its run building clap's command); a prefix or
/// a value in the next argument goes to clap, which expands it as GNU does.
fn set_long(args: &mut Args, long: &[u8]) -> Option<&'static str> {
    use crate::options::values::{ReflinkWhen, SparseWhen};
    if long == b"reflink" {
        args.reflink = ReflinkWhen::Always;
        return Some("reflink");
    }
    if let Some(word) = long.strip_prefix(b"reflink=") {
        args.reflink = match word {
            b"auto" => ReflinkWhen::Auto,
            b"always" => ReflinkWhen::Always,
            b"never" => ReflinkWhen::Never,
            _ => return None,
        };
        return Some("reflink");
    }
    let word = long.strip_prefix(b"sparse=")?;
    args.sparse = match word {
        b"auto" => SparseWhen::Auto,
        b"always" => SparseWhen::Always,
        b"never" => SparseWhen::Never,
        _ => return None,
    };
    Some("sparse")
}

/// The arguments of a common command line without building clap's command: operands,
/// `--reflink[=WHEN]` and `--sparse=WHEN` (`set_long`), and bundles of the one-letter flags
/// `set_short` takes (`fcopy a b`, `fcopy -p f dir`,
/// `fcopy -av src dst`, `fcopy -ru src dst`), anywhere on the line as GNU's getopt permutes
/// them; every other flag at its default. Building clap's command (about 80 arguments) and matching against it
/// was the largest part of fcopy's own start-up time (issue 16, goal 3: `find -exec fcopy {}
/// DIR \;` starts fcopy once per file). `None` for any other command line (another long
/// option, `--`, `-` for standard input, a letter with a value such as `-t` or `-S`, an
/// unknown letter), which clap parses;
/// the unit tests hold both parses to the same [`Args`] and the same resolved settings.
pub fn quick_parse(argv: &[OsString]) -> Option<(Args, FlagPositions)> {
    let mut args = Args::default();
    let mut positions = FlagPositions::default();
    for arg in argv.get(1..)? {
        match arg.as_bytes() {
            [b'-', b'-'] | [b'-'] => return None,
            // With POSIXLY_CORRECT, options end at the first operand (GNU getopt): clap's
            // path knows that ([`super::resolve_long_options`]).
            [b'-', ..] if !args.operands.is_empty() && crate::options::posixly_correct() => {
                return None
            }
            [b'-', b'-', long @ ..] => positions.quick.push(set_long(&mut args, long)?),
            [b'-', letters @ ..] => {
                for &c in letters {
                    positions.quick.push(set_short(&mut args, c)?);
                }
            }
            _ => args.operands.push(arg.clone()),
        }
    }
    Some((args, positions))
}

#[cfg(test)]
mod tests;
