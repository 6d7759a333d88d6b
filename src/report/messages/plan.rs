//! Wording of the planner's refusals ([`crate::plan`]): same file, ranges past the end,
//! directories in the way, and cp's rules for an existing destination
//! ([`crate::plan::replace`]), as GNU cp words them (without the program name).

use std::fmt;

use crate::plan::replace::{OverwriteQuestion, ReplaceError};
use crate::plan::PlanError;
use crate::report::{errno_text_of, quote};

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::OmitDirectory(p) => {
                write!(f, "-r not specified; omitting directory {}", quote(p))
            }
            PlanError::SameFile(a, b) => {
                write!(f, "{} and {} are the same file", quote(a), quote(b))
            }
            PlanError::DanglingSymlink(p) => {
                write!(f, "not writing through dangling symlink {}", quote(p))
            }
            // GNU cp 9.1's wording names only the directory.
            PlanError::OverwriteDirWithNonDir { dest, .. } => {
                write!(
                    f,
                    "cannot overwrite directory {} with non-directory",
                    quote(dest)
                )
            }
            PlanError::OffsetInPastEnd { arg, source, size } => write!(
                f,
                "--offset-in {arg} is past the end of {} ({size} bytes)",
                quote(source)
            ),
            PlanError::LenPastEnd {
                len,
                offset_in,
                source,
                size,
            } => write!(
                f,
                "--len {len} from offset {offset_in} is past the end of {} ({size} bytes)",
                quote(source)
            ),
            // Without --len, the length is SOURCE's (new user, round 14: the message named a
            // --len nobody gave).
            PlanError::RangeTooLarge { flag, len_given } => {
                let len = if *len_given {
                    "--len"
                } else {
                    "the bytes to copy"
                };
                write!(
                    f,
                    "{flag} plus {len} is past the largest file offset (2^63-1)"
                )
            }
            PlanError::OffsetOutNeedsSeekable(None) => {
                write!(
                    f,
                    "--offset-out needs a seekable destination (standard output is not)"
                )
            }
            PlanError::OffsetOutNeedsSeekable(Some(dest)) => {
                write!(
                    f,
                    "--offset-out needs a seekable destination ({} is not)",
                    quote(dest)
                )
            }
            PlanError::RangeOfSymlink(source) => write!(
                f,
                "--offset-in, --offset-out and --len read a file's bytes; they cannot be used \
                 with -P or -d ({} is a symbolic link)",
                quote(source)
            ),
            PlanError::OffsetOutOnAppend => write!(
                f,
                "--offset-out cannot be honoured: standard output is open for appending (O_APPEND)"
            ),
            PlanError::EndlessStdinRange(dest) => write!(
                f,
                "standard input is {} itself: without --len the copy would read what it writes \
                 and never end",
                quote(dest)
            ),
        }
    }
}

impl fmt::Display for ReplaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ReplaceError::*;
        match self {
            CannotCreate { dest, errno } => write!(
                f,
                "cannot create regular file {}: {}",
                quote(dest),
                errno_text_of(*errno)
            ),
            CannotStat { dest, errno } => {
                write!(f, "cannot stat {}: {}", quote(dest), errno_text_of(*errno))
            }
            ThroughJustCreatedSymlink { source, dest } => write!(
                f,
                "will not copy {} through just-created symlink {}",
                quote(source),
                quote(dest)
            ),
            SameFile { source, dest } => {
                write!(f, "{} and {} are the same file", quote(source), quote(dest))
            }
            DanglingSymlink { dest } => {
                write!(f, "not writing through dangling symlink {}", quote(dest))
            }
            JustCreated { source, dest } => write!(
                f,
                "will not overwrite just-created {} with {}",
                quote(dest),
                quote(source)
            ),
            NotReplacing { dest } => write!(f, "not replacing {}", quote(dest)),
            BackupDestroysSource { source, dest } => write!(
                f,
                "backing up {} might destroy source;  {} not copied",
                quote(dest),
                quote(source)
            ),
            OverwriteDirWithNonDir { dest } => write!(
                f,
                "cannot overwrite directory {} with non-directory",
                quote(dest)
            ),
            CannotRemove { dest, errno } => {
                write!(
                    f,
                    "cannot remove {}: {}",
                    quote(dest),
                    errno_text_of(*errno)
                )
            }
            CannotBackup { dest, errno } => {
                write!(
                    f,
                    "cannot backup {}: {}",
                    quote(dest),
                    errno_text_of(*errno)
                )
            }
        }
    }
}

impl fmt::Display for OverwriteQuestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "overwrite {}?", quote(&self.0))
    }
}
