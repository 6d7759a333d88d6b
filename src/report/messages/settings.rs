//! Wording of the settings step's usage errors: the command line (GNU getopt's words), flag
//! conflicts, backup control words and cp's operand grammar.

use std::fmt;

use crate::app::batch::BatchProblem;
use crate::app::parse::HelpWriteError;
use crate::backup::ControlError;
use crate::batch::{BatchError, LineProblem};
use crate::cli::OptionError;
use crate::options::conflicts::Conflict;
use crate::options::operands::OperandError;
use crate::options::UsageError;
use crate::report::quote::quote_if_needed;
use crate::report::{argmatch_quote, errno_text, quote};
use crate::units::ByteCountError;

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionError::Unrecognized(arg) => {
                write!(f, "unrecognized option '{}'", arg.to_string_lossy())
            }
            OptionError::Ambiguous { prefix, candidates } => {
                let list: Vec<String> = candidates.iter().map(|c| format!("'--{c}'")).collect();
                write!(
                    f,
                    "option '--{}' is ambiguous; possibilities: {}",
                    prefix.to_string_lossy(),
                    list.join(" ")
                )
            }
            OptionError::NoArgumentAllowed(name) => {
                write!(f, "option '--{name}' doesn't allow an argument")
            }
            OptionError::RequiresArgument(name) => {
                write!(f, "option '--{name}' requires an argument")
            }
            OptionError::ShortRequiresArgument(c) => {
                write!(f, "option requires an argument -- '{c}'")
            }
            OptionError::InvalidShort(c) => write!(f, "invalid option -- '{c}'"),
            OptionError::InvalidArgument {
                option,
                value,
                valid,
                ambiguous,
            } => {
                let what = if *ambiguous { "ambiguous" } else { "invalid" };
                write!(
                    f,
                    "{what} argument {} for {}\nValid arguments are:",
                    argmatch_quote(value),
                    argmatch_quote(option.as_bytes())
                )?;
                valid_words(
                    f,
                    valid.iter().map(|group| group.iter().map(String::as_str)),
                )
            }
            OptionError::MultipleTargetDirectories => {
                f.write_str("multiple target directories specified")
            }
            OptionError::Repeated(name) => {
                write!(f, "option '{name}' may be given only once")
            }
            OptionError::Other(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Option(e) => e.fmt(f),
            UsageError::Conflict(c) => c.fmt(f),
            UsageError::Attributes(e) => write!(f, "{e}"),
            UsageError::Restart(e) => write!(f, "{e}"),
            UsageError::FilesFrom(e) => write!(f, "{e}"),
            UsageError::BackupControl(e) => e.fmt(f),
            UsageError::Operand(e) => e.fmt(f),
            UsageError::ContextRequired => {
                f.write_str("cannot preserve security context without an SELinux-enabled kernel")
            }
        }
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RANGE: &str = "--offset-in, --offset-out and --len";
        f.write_str(match self {
            Conflict::ReflinkNeedsSparseAuto => "--reflink can be used only with --sparse=auto",
            Conflict::CopyFileRangeWithReflinkNever => {
                "--method=copy-file-range conflicts with --reflink=never (copy_file_range may clone)"
            }
            Conflict::CopyFileRangeWithSparseNever => {
                "--method=copy-file-range conflicts with --sparse=never (it writes every byte with write)"
            }
            Conflict::CopyFileRangeWithSparseAlways => {
                "--method=copy-file-range conflicts with --sparse=always (finding zeros needs read/write)"
            }
            Conflict::ReadWriteWithReflinkAlways => {
                "--method=read-write conflicts with --reflink=always"
            }
            Conflict::BackupWithNoClobber => {
                "--backup is mutually exclusive with -n or --update=none-fail"
            }
            Conflict::HardAndSymbolicLinks => "cannot make both hard and symbolic links",
            Conflict::RangeWithParents => {
                return write!(f, "{RANGE} cannot be used with --parents");
            }
            Conflict::RangeWithRecursive => {
                return write!(f, "{RANGE} copy one file; they cannot be used with -r");
            }
            Conflict::RangeWithLinks => {
                return write!(f, "{RANGE} copy bytes; they cannot be used with -l or -s");
            }
            Conflict::RangeWithAttributesOnly => {
                return write!(f, "{RANGE} cannot be used with --attributes-only");
            }
            Conflict::BatchWithOperands => "--batch cannot be combined with SOURCE or DEST operands",
            Conflict::BatchWithTargetDirectory => "--batch cannot be combined with --target-directory",
            Conflict::BatchWithParents => "--batch cannot be combined with --parents",
            Conflict::NullWithoutBatch => "-0/--null needs --batch or --files-from",
            Conflict::FilesFromWithBatch => "--files-from cannot be used with --batch",
            Conflict::FilesFromWithNoTargetDirectory => {
                "--files-from cannot be used with --no-target-directory (-T)"
            }
            Conflict::UpdateChangedWithRange => {
                "--update=changed cannot be used with --offset-in, --offset-out or --len"
            }
            Conflict::ChecksumWithoutUpdateChanged => "--checksum needs --update=changed",
            Conflict::ResumeWithRange => {
                "--resume cannot be used with --offset-in, --offset-out or --len"
            }
            Conflict::VerifyWithoutCopy => {
                "--verify checks copied bytes; it cannot be used with -l, -s or --attributes-only"
            }
            Conflict::ResumeWithoutCopy => {
                "--resume continues copied bytes; it cannot be used with -l, -s or --attributes-only"
            }
            Conflict::BackupWithRangeNeedsAtomic => {
                "--backup with --offset-in, --offset-out or --len needs --atomic \
                 (DEST keeps its bytes outside the range)"
            }
            Conflict::RemoveDestinationWithRangeNeedsAtomic => {
                "--remove-destination with --offset-in, --offset-out or --len needs --atomic \
                 (DEST keeps its bytes outside the range)"
            }
            Conflict::TargetDirectoryWithNoTargetDirectory => {
                "cannot combine --target-directory (-t) and --no-target-directory (-T)"
            }
        })
    }
}

impl fmt::Display for OperandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperandError::MissingOperand => f.write_str("missing file operand"),
            OperandError::MissingDestination(path) => {
                write!(f, "missing destination file operand after {}", quote(path))
            }
            OperandError::ExtraOperand(path) => write!(f, "extra operand {}", quote(path)),
            OperandError::ParentsNeedDirectory => {
                f.write_str("with --parents, the destination must be a directory")
            }
            OperandError::RangeWithSeveralSources => f.write_str(
                "--offset-in, --offset-out and --len copy one SOURCE; several were given",
            ),
            OperandError::SeveralIntoStdout => f.write_str(
                "several SOURCEs cannot be copied to standard output ('-'); a directory named - is ./-",
            ),
            OperandError::LinkToStdout { symbolic } => write!(
                f,
                "cannot make a {} link to standard output ('-'): a link needs a file name; \
                 a file named - is ./-",
                if *symbolic { "symbolic" } else { "hard" }
            ),
            OperandError::LinkOfStdin { symbolic } => write!(
                f,
                "cannot make a {} link to standard input ('-'): a link needs a file name; \
                 a file named - is ./-",
                if *symbolic { "symbolic" } else { "hard" }
            ),
            OperandError::StdinIntoDirectory(dir) => write!(
                f,
                "cannot copy standard input into directory {}: give the destination a file name",
                quote(dir)
            ),
            OperandError::TargetDirectory(dir, e) => {
                write!(f, "target directory {}: {}", quote(dir), errno_text(e))
            }
            OperandError::Target(path, e) => {
                write!(f, "target {}: {}", quote(path), errno_text(e))
            }
            OperandError::CannotStat(path, e) => {
                write!(f, "cannot stat {}: {}", quote(path), errno_text(e))
            }
        }
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} argument {} for {}\nValid arguments are:",
            if self.ambiguous {
                "ambiguous"
            } else {
                "invalid"
            },
            argmatch_quote(self.word.as_bytes()),
            argmatch_quote(self.context.as_bytes())
        )?;
        // One line per control, its words comma-separated, in GNU's order.
        let groups = crate::cli::values::backup_word_groups();
        valid_words(
            f,
            groups.iter().map(|group| group.iter().map(String::as_str)),
        )
    }
}

/// gnulib argmatch_valid's list after "Valid arguments are:": a line per group of synonyms,
/// `\n  - 'none', 'off'`.
pub(super) fn valid_words<'w>(
    f: &mut fmt::Formatter<'_>,
    groups: impl Iterator<Item = impl Iterator<Item = &'w str>>,
) -> fmt::Result {
    for group in groups {
        let quoted: Vec<String> = group.map(|w| argmatch_quote(w.as_bytes())).collect();
        write!(f, "\n  - {}", quoted.join(", "))?;
    }
    Ok(())
}

impl fmt::Display for HelpWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "write error: {}", errno_text(&self.0))
    }
}

impl fmt::Display for BatchProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchProblem::CannotRead(file, e) => {
                write!(f, "cannot read batch file {}: {}", quote(file), errno_text(e))
            }
            BatchProblem::OddFields { file, fields } => write!(
                f,
                "{}: {fields} NUL-separated fields, an odd number: a SOURCE or DEST is missing, \
                 and every pair after it would be wrong; nothing was copied",
                quote_if_needed(file)
            ),
            BatchProblem::StdinSource { file, line } => write!(
                f,
                "{}:{line}: SOURCE '-' (standard input) cannot be copied: the job list is read from standard input",
                quote_if_needed(file)
            ),
            BatchProblem::SourceIsList { file, line, source } => write!(
                f,
                "{}:{line}: SOURCE {} cannot be copied: it is the job list being read",
                quote_if_needed(file),
                quote(source)
            ),
            BatchProblem::ListChanged { file } => write!(
                f,
                "{}: the job list changed while it was read (did a job write to it?); \
                 the jobs after the part already read were not run",
                quote_if_needed(file)
            ),
            BatchProblem::RangeTwice => write!(
                f,
                "the line has its own range, but --offset-in/--offset-out/--len were given"
            ),
            BatchProblem::RangeWithOption { option } => write!(
                f,
                "the line has its own range, which cannot be used with {option}"
            ),
            BatchProblem::BadLine { file, error } => {
                write!(f, "{}:{}: {error}", quote_if_needed(file), error.line)
            }
            BatchProblem::Operands(error) => write!(f, "{error}"),
        }
    }
}

impl fmt::Display for crate::cli::values::JobsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid number of jobs '{}' (expected a whole number from 1 to {})",
            self.0,
            crate::cli::values::MAX_JOBS
        )
    }
}

impl fmt::Display for ByteCountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ByteCountError::NotANumber(text) => write!(
                f,
                "invalid byte count '{text}' (expected a number such as 4096, 64K or 1GiB)"
            ),
            ByteCountError::Fraction(text) => write!(
                f,
                "invalid byte count '{text}': a whole number of bytes is needed (e.g. 1536, not 1.5K)"
            ),
            ByteCountError::BadSuffix(text) => write!(
                f,
                "invalid suffix in byte count '{text}' (use K M G T P E, KiB MiB ..., or KB MB ...)"
            ),
            ByteCountError::TooLarge(text) => {
                write!(f, "byte count '{text}' is too large (the limit is 2^63-1)")
            }
        }
    }
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            LineProblem::FieldCount(n) => write!(
                f,
                "expected SOURCE<TAB>DEST or SOURCE<TAB>DEST<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN, found {n} field{}",
                if *n == 1 { "" } else { "s" }
            ),
            LineProblem::EmptyField => f.write_str("empty SOURCE or DEST"),
            LineProblem::NoDest => f.write_str("a SOURCE without a DEST at the end of the input"),
            // The limit named (new-user trial, round 20: "line too long" gave no size).
            LineProblem::TooLong => write!(
                f,
                "line too long (more than {} bytes)",
                crate::batch::MAX_LINE
            ),
            LineProblem::NotANumber(name) => write!(f, "{name} is not a number"),
            LineProblem::BadNumber(name, e) => write!(f, "{name}: {e}"),
            LineProblem::NoRange => f.write_str(
                "OFFSET_IN, OFFSET_OUT and LEN are all empty or '-': a ranged copy writes into \
                 DEST in place; for a whole-file copy give SOURCE<TAB>DEST only",
            ),
        }
    }
}
