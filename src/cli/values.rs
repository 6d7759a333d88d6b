//! The words of `--sparse`, `--reflink`, `--method`, `--update` and `--progress` and their help
//! lines: clap's `ValueEnum` implemented for the settings' plain enums, so each setting has one
//! enum (in `crate::options::values`) and clap stays in `cli`; and the valid words of an
//! "invalid argument" message in GNU cp's order; and `-j N`'s number of workers.

use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::options::values::{MethodChoice, ProgressWhen, ReflinkWhen, SparseWhen, UpdateWhen};

/// Implements `ValueEnum` from a list of `Variant = "word" (| "alias")*: "help line"` (the
/// list's order is the order `--help` and the "Valid arguments" list show; aliases are
/// accepted, never shown).
macro_rules! value_words {
    ($ty:ty { $($variant:ident = $word:literal $(| $alias:literal)* : $help:literal,)* }) => {
        impl ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(Self::$variant),*]
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $(Self::$variant => PossibleValue::new($word)$(.alias($alias))*.help($help),)*
                })
            }
        }
    };
}

value_words!(SparseWhen {
    Auto = "auto": "Keep holes the source has (detected with SEEK_DATA/SEEK_HOLE)",
    Always = "always": "Also turn runs of zero bytes into holes",
    Never = "never": "Write every byte: a fully allocated destination (no reflink, no copy_file_range)",
});

value_words!(ReflinkWhen {
    Auto = "auto": "Clone where the filesystem can (btrfs, xfs), else copy",
    Always = "always": "Clone with FICLONE or fail",
    Never = "never": "Never share extents: on filesystems that can clone, copy_file_range is avoided too (it may clone)",
});

value_words!(ProgressWhen {
    Auto = "auto": "Only on a terminal, and only once a copy has run for about a second",
    Always = "always": "From the start, on a terminal (never into a file or pipe; kill -USR1 prints a status line anywhere)",
    Never = "never": "Never",
});

value_words!(UpdateWhen {
    All = "all": "Replace every existing destination (the default without -u)",
    None = "none": "Never replace an existing destination",
    NoneFail = "none-fail": "Never replace, and fail if a destination exists",
    Older = "older": "Replace only destinations older than their source",
    Changed = "changed": "Replace only regular files whose size or mtime differs from their source's (skip finished copies; use with -a or -p, which keep mtimes). A DEST given SOURCE's times without its data (--attributes-only, or a byte range with -p) counts as finished unless --checksum",
});

// `--json` and `--debug` name the strategies `copy_file_range` and `read_write`: those
// spellings are taken too (new user, round 10: `--method read_write` was refused).
value_words!(MethodChoice {
    Auto = "auto": "Reflink (per --reflink), then copy_file_range, then read/write",
    CopyFileRange = "copy-file-range" | "copy_file_range": "copy_file_range only: fail with the reason instead of falling back",
    ReadWrite = "read-write" | "read_write": "read/write only: never the kernel copy",
});

/// GNU cp's `--sparse` words in its order (cp.c `sparse_type_string`), which its "Valid
/// arguments are:" list shows; `--help` lists fcopy's order (auto first).
const GNU_SPARSE_ORDER: [&str; 3] = ["never", "auto", "always"];

pub use crate::meta::PRESERVE_WORDS;

/// The valid words of `option` (as clap lists them) for an "invalid argument" message, one
/// a line, in GNU cp's order where it has one (`--sparse`: never, auto, always).
pub fn gnu_order(option: &str, words: &[String]) -> Vec<Vec<String>> {
    let mut words = words.to_vec();
    if option == "--sparse" {
        let rank = |w: &String| GNU_SPARSE_ORDER.iter().position(|g| g == w);
        words.sort_by_key(rank);
    }
    words.into_iter().map(|w| vec![w]).collect()
}

/// The `--backup` CONTROL words a line per control (`'none', 'off'`), in GNU's order.
pub fn backup_word_groups() -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut last = None;
    for (word, control) in crate::backup::WORDS {
        match groups.last_mut() {
            Some(group) if last == Some(control) => group.push(word.to_owned()),
            _ => groups.push(vec![word.to_owned()]),
        }
        last = Some(control);
    }
    groups
}

/// The most workers `-j` takes.
pub const MAX_JOBS: u16 = 256;

/// `-j N` where N is not a whole number from 1 to [`MAX_JOBS`] (wording in
/// `src/report/messages/settings.rs`; it was Rust's "invalid digit found in string":
/// new-user trial, round 8).
#[derive(Debug, Clone)]
pub struct JobsError(pub String);

impl std::error::Error for JobsError {}

/// Parses `-j N`: a whole number of workers from 1 to [`MAX_JOBS`].
///
/// # Errors
/// [`JobsError`] for anything else (`abc`, `0`, `-1`, `300`).
pub fn parse_jobs(text: &str) -> Result<u16, JobsError> {
    text.parse::<u16>()
        .ok()
        .filter(|n| (1..=MAX_JOBS).contains(n))
        .ok_or_else(|| JobsError(text.to_owned()))
}
