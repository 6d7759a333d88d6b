//! The restart flags, flattened into [`crate::cli::Args`] under their own help heading.

use std::path::PathBuf;

use clap::Args as ClapArgs;

/// How `--verify` checks DEST.
#[derive(clap::ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum VerifyHow {
    /// Compare SOURCE and DEST byte for byte (plain `--verify`).
    Compare,
    /// Compare, and hash both with BLAKE3; the digest is printed.
    Hash,
}

/// `--resume`, `--verify`, `--exclude`, `--include`, `--exclude-from`, `--stats`, `--mkpath`.
/// (`--update=changed` is a value of GNU's `--update`, in [`crate::options::values::UpdateWhen`].)
/// Then `--checksum` and `--files-from`.
#[derive(ClapArgs, Debug, Clone, Default)]
pub struct RestartArgs {
    /// Complete a DEST that is a shorter copy of SOURCE (its last up-to-1 MiB must match) from where it ends (a complete one: nothing to copy; one older than SOURCE is copied again); keep partial files when interrupted (with --atomic, the temporary .DEST.fcopy-partial, renamed over DEST when complete)
    #[arg(long, help_heading = "Restartable copies")]
    pub resume: bool,

    /// After the data, flush DEST, drop it from the page cache and compare it with SOURCE; a mismatch fails the file; a copy that cannot be read again (a stream, a /proc file) is kept with a warning. --verify=hash also hashes both with BLAKE3 and prints the digest (--json, --debug)
    #[arg(long, value_name = "HOW", num_args = 0..=1, require_equals = true, default_missing_value = "compare", help_heading = "Restartable copies")]
    pub verify: Option<VerifyHow>,

    /// In trees, skip entries whose path relative to the operand matches GLOB ('DIR/' matches directories only; repeatable)
    #[arg(long, value_name = "GLOB", action = clap::ArgAction::Append, help_heading = "Restartable copies")]
    pub exclude: Vec<String>,

    /// In trees, copy entries matching GLOB even if an --exclude matches (repeatable)
    #[arg(long, value_name = "GLOB", action = clap::ArgAction::Append, help_heading = "Restartable copies")]
    pub include: Vec<String>,

    /// Read --exclude patterns from FILE, one per line ('#' comments and blank lines ignored)
    #[arg(long, value_name = "FILE", value_parser = clap::value_parser!(PathBuf), action = clap::ArgAction::Append, help_heading = "Restartable copies")]
    pub exclude_from: Vec<PathBuf>,

    /// Print files copied, skipped and failed, bytes copied and cloned, time and rate on standard error at the end
    #[arg(long, help_heading = "Restartable copies")]
    pub stats: bool,

    /// Create the missing directories a destination needs: -t DIR, DEST's own, each batch job's
    #[arg(long, help_heading = "Restartable copies")]
    pub mkpath: bool,

    /// With --update=changed: when size and mtime match, compare the contents too and copy the file if they differ
    #[arg(long, help_heading = "Restartable copies")]
    pub checksum: bool,

    /// Copy the SOURCE names listed in FILE ('-' = standard input; one a line, NUL-separated with -0) into -t DIRECTORY or the last operand
    #[arg(long, value_name = "FILE", value_parser = clap::value_parser!(PathBuf), help_heading = "Restartable copies")]
    pub files_from: Option<PathBuf>,
}
