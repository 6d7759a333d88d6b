//! The command line: clap definition of every flag, close to what the user typed (no decisions
//! here). GNU's long-option rules are in [`long_options`], the words of each value in `values`;
//! the settings step (`crate::options`) turns [`Args`] into plain settings.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use crate::units::{parse_bytes, ByteArg};

pub mod long_options;
pub mod quick;
pub mod repeats;
pub mod values;

pub use self::long_options::{resolve_long_options, Abbreviations};
pub use self::quick::{quick_parse, FlagPositions};

use crate::options::values::{MethodChoice, ProgressWhen, ReflinkWhen, SparseWhen, UpdateWhen};

/// GNU cp's three usage forms (`cp --help`).
const USAGE: &str = "fcopy [OPTION]... [-T] SOURCE DEST
       fcopy [OPTION]... SOURCE... DIRECTORY
       fcopy [OPTION]... -t DIRECTORY SOURCE...
       fcopy [OPTION]... --batch FILE
       fcopy [OPTION]... --files-from=FILE [-t] DIRECTORY";

const ABOUT: &str = "Copy files and byte ranges with copy_file_range(2): cp-compatible, sparse-aware, reflink-aware";

// Paragraphs are single lines (each `\` joins the next): clap wraps them to the terminal.
const LONG_ABOUT: &str = "\
Copy SOURCE to DEST, or several SOURCEs into DIRECTORY, as cp(1) does — using the kernel's \
copy_file_range(2) (and FICLONE reflinks where the filesystem shares extents), keeping holes in \
sparse files, and falling back to read/write wherever the kernel cannot offload the copy.

With --offset-in/--offset-out/--len, copy one byte range from SOURCE into DEST without \
truncating DEST (like dd conv=notrunc, but in the kernel).

'-' as SOURCE is standard input; '-' as DEST is standard output (a file named '-' is './-'; \
installed as cp, '-' is a file name, as in GNU cp). A new file made from standard input gets 0666 less the umask, as with dd (-p keeps the \
stream's mode).";

// Every line is shorter than 80 columns, so clap never wraps (and misindents) an example.
const EXAMPLES: &str = "\
Examples:
  fcopy big.img /backup/
        copy into a directory
  fcopy -v a.txt b.txt c.txt -t /tmp/out
        several files into a directory, verbosely
  fcopy --offset-in 100 --offset-out 200 --len 100 source.txt destination.txt
        copy 100 bytes from offset 100 to offset 200
  cat part1 part2 | fcopy --offset-out 4096 - disk.img
        write a stream into a file at 4 KiB
  fcopy --sparse=always vm.raw vm-copy.raw
        turn runs of zeros into holes
  fcopy --json --dry-run a b
        show the plan as JSON, copy nothing
  fcopy -a --update=changed --checksum photos/ /mnt/backup/
        copy again only what is missing or differs
  find . -name '*.c' -print0 | fcopy --files-from=- -0 --parents -t /bak
        copy a list of names, keeping their directories

Exit status: 0 if everything was copied, 1 if anything failed (usage errors \
too).";

/// Parsed command-line arguments, one field per flag.
#[derive(Parser, Debug, Clone, Default)]
#[command(
    name = "fcopy",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    override_usage = USAGE,
    disable_help_flag = true,
    disable_version_flag = true,
    args_override_self = true,
    max_term_width = 100
)]
pub struct Args {
    /// SOURCE... DEST, or SOURCE... DIRECTORY
    #[arg(value_name = "PATH", value_parser = clap::value_parser!(OsString))]
    pub operands: Vec<OsString>,

    /// An operand `-` is a file of that name, not standard input or output: set when fcopy
    /// runs as `cp`, since GNU cp gives `-` no meaning (new-user trial, round 19: installed as
    /// `cp`, `cp - out` copied standard input, exit 0, and `cp f -` wrote to the terminal).
    /// Not an option.
    #[arg(skip)]
    pub dash_is_a_name: bool,

    /// Copy all SOURCE arguments into DIRECTORY
    #[arg(
        short = 't',
        long = "target-directory",
        value_name = "DIRECTORY",
        value_parser = clap::value_parser!(PathBuf),
        value_hint = clap::ValueHint::DirPath,
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

    /// Copy directories recursively
    #[arg(short = 'r', visible_short_alias = 'R', long, help_heading = "Trees")]
    pub recursive: bool,

    /// Same as -dR --preserve=all
    #[arg(short = 'a', long, help_heading = "Trees")]
    pub archive: bool,

    /// Same as --no-dereference --preserve=links
    #[arg(short = 'd', help_heading = "Trees")]
    pub no_deref_preserve_links: bool,

    /// Always follow symbolic links in SOURCE
    #[arg(short = 'L', long, help_heading = "Trees")]
    pub dereference: bool,

    /// Never follow symbolic links in SOURCE
    #[arg(short = 'P', long, help_heading = "Trees")]
    pub no_dereference: bool,

    /// Follow command-line symbolic links in SOURCE
    #[arg(short = 'H', help_heading = "Trees")]
    pub dereference_command_line: bool,

    /// Stay on this file system
    #[arg(short = 'x', long, help_heading = "Trees")]
    pub one_file_system: bool,

    /// Use full source file name under DIRECTORY (--path is GNU's deprecated alias)
    #[arg(long, alias = "path", help_heading = "Trees")]
    pub parents: bool,

    /// Copy contents of special files when recursive
    #[arg(long, help_heading = "Trees")]
    pub copy_contents: bool,

    /// Remove any trailing slashes from each SOURCE argument
    #[arg(long, help_heading = "Trees")]
    pub strip_trailing_slashes: bool,

    /// Follow existing symlinks to directories in the destination
    #[arg(long, help_heading = "Trees")]
    pub keep_directory_symlink: bool,

    /// Hard link files instead of copying
    #[arg(short = 'l', long, help_heading = "Trees")]
    pub link: bool,

    /// Make symbolic links instead of copying
    #[arg(short = 's', long, help_heading = "Trees")]
    pub symbolic_link: bool,

    /// Same as --preserve=mode,ownership,timestamps
    #[arg(short = 'p', help_heading = "Metadata")]
    pub preserve_default: bool,

    /// Preserve the attributes (default: mode,ownership,timestamps), if possible: mode, ownership, timestamps, links, xattr, context, all
    #[arg(
        long,
        value_name = "ATTR_LIST",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "mode,ownership,timestamps",
        action = clap::ArgAction::Append,
        help_heading = "Metadata"
    )]
    pub preserve: Vec<String>,

    /// Don't preserve the specified attributes
    #[arg(long, value_name = "ATTR_LIST", action = clap::ArgAction::Append, help_heading = "Metadata")]
    pub no_preserve: Vec<String>,

    /// Don't copy the file data, just the attributes
    #[arg(long, help_heading = "Metadata")]
    pub attributes_only: bool,

    /// Accepted for compatibility and ignored, as GNU cp without SELinux (no context is set)
    #[arg(short = 'Z', help_heading = "Metadata")]
    pub selinux: bool,

    /// Like -Z; with CTX, ignored with a warning, as GNU cp without SELinux
    #[arg(long, value_name = "CTX", num_args = 0..=1, require_equals = true, default_missing_value = "", help_heading = "Metadata")]
    pub context: Option<String>,

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

    /// Control clone/CoW copies (reflinks); --reflink alone means always; a byte range clones its whole blocks, and a last partial block that ends both files (FICLONERANGE)
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

    /// Do not overwrite an existing file (overrides a previous -i)
    #[arg(
        short = 'n',
        long = "no-clobber",
        overrides_with = "interactive",
        help_heading = "Safety"
    )]
    pub no_clobber: bool,

    /// Prompt before overwrite (overrides a previous -n)
    #[arg(
        short = 'i',
        long,
        overrides_with = "no_clobber",
        help_heading = "Safety"
    )]
    pub interactive: bool,

    /// If an existing destination file cannot be opened, remove it and try again
    #[arg(short = 'f', long, help_heading = "Safety")]
    pub force: bool,

    /// Remove each existing destination file before attempting to open it
    #[arg(long, help_heading = "Safety")]
    pub remove_destination: bool,

    /// Control which existing files are updated; -u means --update=older
    #[arg(
        short = 'u',
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "older",
        help_heading = "Safety"
    )]
    pub update: Option<UpdateWhen>,

    /// Make a backup of each existing destination file: none/off, numbered/t, existing/nil, simple/never
    #[arg(
        long,
        value_name = "CONTROL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "",
        help_heading = "Safety"
    )]
    pub backup: Option<String>,

    /// Like --backup but does not accept an argument
    #[arg(short = 'b', help_heading = "Safety")]
    pub backup_default: bool,

    /// Override the usual backup suffix (~)
    #[arg(short = 'S', long, value_name = "SUFFIX", value_parser = clap::value_parser!(OsString), help_heading = "Safety")]
    pub suffix: Option<OsString>,

    /// Read jobs from FILE ('-' = standard input): SOURCE<TAB>DEST[<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN] per line
    // The line above is the --help text, not markdown: rustdoc is not to read <TAB> as HTML.
    #[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
    #[arg(long, value_name = "FILE", value_parser = clap::value_parser!(PathBuf), help_heading = "Batches and parallelism")]
    pub batch: Option<PathBuf>,

    /// Input is NUL-separated: --batch fields (SOURCE, DEST, SOURCE, DEST, ...), --files-from names
    #[arg(short = '0', long = "null", help_heading = "Batches and parallelism")]
    pub null: bool,

    /// Copy up to N files at once in tree and batch copies [default: number of CPUs + 1, at most 8; 32 onto a network or FUSE filesystem]
    #[arg(short = 'j', long, value_name = "N", value_parser = values::parse_jobs, help_heading = "Batches and parallelism")]
    pub jobs: Option<u16>,

    /// Write each file to a temporary name beside DEST and rename it into place when complete
    #[arg(long, help_heading = "Safety")]
    pub atomic: bool,

    /// Flush each file (and in tree copies each directory) to stable storage before reporting it done
    #[arg(long, help_heading = "Safety")]
    pub sync: bool,

    /// Show a progress bar on standard error; --progress alone and -g mean always
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always",
        help_heading = "Output"
    )]
    pub progress: Option<ProgressWhen>,

    /// Same as --progress=always
    #[arg(short = 'g', help_heading = "Output")]
    pub progress_always: bool,

    /// Explain what is being done: 'a' -> 'b'
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Explain how each file is copied (implies --verbose): copy offload, reflink, sparse detection
    #[arg(long, help_heading = "Output")]
    pub debug: bool,

    /// Print one JSON object per file and a summary on stdout (JSON Lines); replaces the lines of -v and --debug
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    /// Show what would be copied and by which strategy; write nothing
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// --resume, --verify, --checksum, --exclude/--include, --stats, --mkpath, --files-from
    /// (see `restart`).
    #[command(flatten)]
    pub restart: crate::restart::cli::RestartArgs,

    /// Print help (cp has no -h: it is an invalid option, as in GNU cp)
    #[arg(long, action = clap::ArgAction::Help, help_heading = "Output")]
    pub help: Option<bool>,

    /// Print version
    #[arg(long, action = clap::ArgAction::Version, help_heading = "Output")]
    pub version: Option<bool>,
}

/// The clap command as invoked under `program` (the usage forms and the examples name it, as
/// GNU's do).
pub fn command(program: &str) -> clap::Command {
    use clap::CommandFactory;
    repeats::mark_single(Args::command())
        .bin_name(program.to_owned())
        .override_usage(USAGE.replace("fcopy", program))
        .after_help(EXAMPLES.replace("fcopy", program))
}

/// A command line that cannot be parsed, in GNU getopt's or cp's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionError {
    /// `--name` matches no long option (the argument as given).
    Unrecognized(OsString),
    /// `--prefix` abbreviates several long options (the candidates in GNU's order); `prefix` is
    /// the argument as given without its `--`, value included (`s=x`), as getopt names it.
    Ambiguous {
        prefix: OsString,
        candidates: Vec<String>,
    },
    /// `--name=VALUE` for an option that takes none.
    NoArgumentAllowed(String),
    /// `--name` at the end of the line, for an option that needs a value.
    RequiresArgument(String),
    /// `-X` at the end of the line, for a short option that needs a value.
    ShortRequiresArgument(char),
    /// `-X` that is no option (GNU's `invalid option -- 'h'`: cp has no `-h`).
    InvalidShort(char),
    /// A word that is not one of the option's values (`--sparse=sometimes`).
    InvalidArgument {
        /// The option as GNU names it, e.g. `--sparse` (`backup type` for `--backup`).
        option: String,
        /// The value as given (bytes: it need not be UTF-8).
        value: Vec<u8>,
        /// The words the option accepts, in GNU's order, one group of synonyms a line
        /// (`none`, `off` for `--backup`; one word each for the others).
        valid: Vec<Vec<String>>,
        /// The value is a prefix of several words (GNU argmatch: "ambiguous argument").
        ambiguous: bool,
    },
    /// `-t` given twice (GNU cp 9.1: "multiple target directories specified", exit 1).
    MultipleTargetDirectories,
    /// An option of [`repeats::SINGLE`] given twice (its long name, e.g. `--batch`).
    Repeated(String),
    /// Any other error clap found: its first line, without clap's `error: `.
    Other(String),
}

impl OptionError {
    /// A clap error in GNU cp's terms where GNU has its own message (`invalid option -- 'h'`,
    /// `invalid argument 'x' for '--sparse'` with the valid words), else clap's first line.
    pub fn from_clap(e: &clap::Error) -> OptionError {
        Self::gnu_equivalent(e).unwrap_or_else(|| {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            OptionError::Other(first.strip_prefix("error: ").unwrap_or(first).to_owned())
        })
    }

    fn gnu_equivalent(e: &clap::Error) -> Option<OptionError> {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        let text = |kind| match e.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            _ => None,
        };
        match e.kind() {
            ErrorKind::UnknownArgument => {
                let arg = text(ContextKind::InvalidArg)?;
                let short = arg.strip_prefix('-').filter(|s| !s.starts_with('-'))?;
                Some(OptionError::InvalidShort(short.chars().last()?))
            }
            ErrorKind::InvalidValue => {
                let arg = text(ContextKind::InvalidArg)?;
                let value = text(ContextKind::InvalidValue)?;
                let Some(ContextValue::Strings(valid)) = e.get(ContextKind::ValidValue) else {
                    return None;
                };
                let option = arg.split(['[', ' ', '=']).next().unwrap_or(&arg).to_owned();
                Some(OptionError::InvalidArgument {
                    valid: values::gnu_order(&option, valid),
                    option,
                    value: value.into_bytes(),
                    ambiguous: false,
                })
            }
            _ => None,
        }
    }
}

impl Args {
    /// Whether any of `--offset-in/--offset-out/--len` was given.
    pub fn is_ranged(&self) -> bool {
        self.offset_in.is_some() || self.offset_out.is_some() || self.len.is_some()
    }
}
