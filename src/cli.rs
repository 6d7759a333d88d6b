//! The command line: clap definition of every flag, close to what the user typed (no decisions here).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::units::{parse_bytes, ByteArg};

const ABOUT: &str = "Copy files and byte ranges with copy_file_range(2): cp-compatible, sparse-aware, reflink-aware";

const LONG_ABOUT: &str = "\
Copy SOURCE to DEST, or several SOURCEs into DIRECTORY, as cp(1) does — using the kernel's
copy_file_range(2) (and FICLONE reflinks where the filesystem shares extents), keeping holes in
sparse files, and falling back to read/write wherever the kernel cannot offload the copy.

With --offset-in/--offset-out/--len, copy one byte range from SOURCE into DEST without truncating
DEST (like dd conv=notrunc, but in the kernel).

'-' as SOURCE is standard input; '-' as DEST is standard output (a file named '-' is './-').";

const EXAMPLES: &str = "\
Examples:
  fcopy big.img /backup/                      copy into a directory
  fcopy -v a.txt b.txt c.txt -t /tmp/out      several files into a directory, verbosely
  fcopy --offset-in 100 --offset-out 200 --len 100 source.txt destination.txt
                                              copy 100 bytes from offset 100 to offset 200
  cat part1 part2 | fcopy --offset-out 4096 - disk.img
                                              write a stream into a file at 4 KiB
  fcopy --sparse=always vm.raw vm-copy.raw    turn runs of zeros into holes
  fcopy --json --dry-run a b                  show the plan as JSON, copy nothing

Exit status: 0 if everything was copied, 1 if anything failed (usage errors too).";

/// Parsed command-line arguments, one field per flag.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "fcopy",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    infer_long_args = true,
    max_term_width = 100
)]
pub struct Args {
    /// SOURCE... DEST, or SOURCE... DIRECTORY
    #[arg(value_name = "PATH", value_parser = clap::value_parser!(OsString))]
    pub operands: Vec<OsString>,

    /// Copy all SOURCE arguments into DIRECTORY
    #[arg(
        short = 't',
        long = "target-directory",
        value_name = "DIRECTORY",
        value_parser = clap::value_parser!(PathBuf),
        help_heading = "Destination"
    )]
    pub target_directory: Option<PathBuf>,

    /// Treat DEST as a normal file, never as a directory to copy into
    #[arg(
        short = 'T',
        long = "no-target-directory",
        help_heading = "Destination"
    )]
    pub no_target_directory: bool,

    /// Start reading SOURCE at this byte offset (default 0) [BYTES: 4096, 64K, 1GiB, 10MB]
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, help_heading = "Byte ranges")]
    pub offset_in: Option<ByteArg>,

    /// Start writing DEST at this byte offset (default 0); DEST keeps all its other bytes
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, help_heading = "Byte ranges")]
    pub offset_out: Option<ByteArg>,

    /// Copy this many bytes (default: to the end of SOURCE)
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, help_heading = "Byte ranges")]
    pub len: Option<ByteArg>,

    /// Control creation of sparse files (holes)
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = SparseWhen::Auto,
        help_heading = "Copying data"
    )]
    pub sparse: SparseWhen,

    /// Control clone/CoW copies (reflinks); --reflink alone means always
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always",
        default_value_t = ReflinkWhen::Auto,
        help_heading = "Copying data"
    )]
    pub reflink: ReflinkWhen,

    /// How to move the bytes
    #[arg(
        long,
        value_enum,
        value_name = "METHOD",
        default_value_t = MethodChoice::Auto,
        help_heading = "Copying data"
    )]
    pub method: MethodChoice,

    /// Do not overwrite an existing file
    #[arg(
        short = 'n',
        long = "no-clobber",
        overrides_with = "force",
        help_heading = "Safety"
    )]
    pub no_clobber: bool,

    /// If an existing destination file cannot be opened, remove it and try again
    #[arg(
        short = 'f',
        long,
        overrides_with = "no_clobber",
        help_heading = "Safety"
    )]
    pub force: bool,

    /// Explain what is being done: 'a' -> 'b'
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Explain how each file is copied (implies --verbose): copy offload, reflink, sparse detection
    #[arg(long, help_heading = "Output")]
    pub debug: bool,

    /// Print one JSON object per file and a summary on stdout (JSON Lines)
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Show what would be copied and by which strategy; write nothing
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
}

/// `--sparse=WHEN`
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SparseWhen {
    /// Keep holes the source has (detected with SEEK_DATA/SEEK_HOLE)
    Auto,
    /// Also turn runs of zero bytes into holes
    Always,
    /// Write every byte: a fully allocated destination (no reflink, no copy_file_range)
    Never,
}

/// `--reflink[=WHEN]`
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReflinkWhen {
    /// Clone where the filesystem can (btrfs, xfs), else copy
    Auto,
    /// Clone with FICLONE or fail
    Always,
    /// Never share extents: on filesystems that can clone, copy_file_range is avoided too (it may clone)
    Never,
}

/// `--method=METHOD`
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodChoice {
    /// Reflink (per --reflink), then copy_file_range, then read/write
    Auto,
    /// copy_file_range only: fail with the reason instead of falling back
    CopyFileRange,
    /// read/write only: never the kernel copy
    ReadWrite,
}

impl Args {
    /// Whether any of `--offset-in/--offset-out/--len` was given.
    pub fn is_ranged(&self) -> bool {
        self.offset_in.is_some() || self.offset_out.is_some() || self.len.is_some()
    }
}
