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
            PlanError::OffsetInPastEnd {
                arg,
                source,
                size,
                names,
            } => write!(
                f,
                "{} {arg} is past the end of {} ({size} bytes)",
                names.offset_in(),
                quote(source)
            ),
            PlanError::LenPastEnd {
                len,
                offset_in,
                source,
                size,
                names,
            } => write!(
                f,
                "{} {len} from offset {offset_in} is past the end of {} ({size} bytes)",
                names.len(),
                quote(source)
            ),
            // Without --len, the length is SOURCE's (new user, round 14: the message named a
            // --len nobody gave).
            PlanError::RangeTooLarge {
                flag,
                len_given,
                names,
            } => {
                let len = if *len_given {
                    names.len()
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
        let dest = quote(&self.dest);
        match self.unwritable_mode {
            None => write!(f, "overwrite {dest}?"),
            Some(mode) => {
                let (bits, symbolic) = (mode & 0o7777, permission_letters(mode));
                if self.replacing {
                    write!(
                        f,
                        "replace {dest}, overriding mode {bits:04o} ({symbolic})?"
                    )
                } else {
                    write!(
                        f,
                        "unwritable {dest} (mode {bits:04o}, {symbolic}); try anyway?"
                    )
                }
            }
        }
    }
}

/// The nine permission letters of `mode` as `ls -l` shows them (gnulib `strmode` without the
/// file type): `rwxr-xr-x`, with `s`/`S` for set-user/group-ID and `t`/`T` for the sticky bit.
pub fn permission_letters(mode: u32) -> String {
    let letter = |bit: u32, c: char| if mode & bit != 0 { c } else { '-' };
    let special = |exec: u32, extra: u32, set: char| match (mode & exec != 0, mode & extra != 0) {
        (true, true) => set,
        (false, true) => set.to_ascii_uppercase(),
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        letter(0o400, 'r'),
        letter(0o200, 'w'),
        special(0o100, 0o4000, 's'),
        letter(0o040, 'r'),
        letter(0o020, 'w'),
        special(0o010, 0o2000, 's'),
        letter(0o004, 'r'),
        letter(0o002, 'w'),
        special(0o001, 0o1000, 't'),
    ]
    .iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_letters_are_strmodes() {
        // gnulib filemode.c: s/S, s/S, t/T where the special bit is set with/without exec.
        assert_eq!(permission_letters(0o100644), "rw-r--r--");
        assert_eq!(permission_letters(0o444), "r--r--r--");
        assert_eq!(permission_letters(0o7777), "rwsrwsrwt");
        assert_eq!(permission_letters(0o7000), "--S--S--T");
        assert_eq!(permission_letters(0), "---------");
    }

    #[test]
    fn overwrite_questions_are_gnu_overwrite_ok() {
        let mut q = OverwriteQuestion::overwrite("d".into());
        assert_eq!(q.to_string(), "overwrite 'd'?");
        q.unwritable_mode = Some(0o100444);
        assert_eq!(
            q.to_string(),
            "unwritable 'd' (mode 0444, r--r--r--); try anyway?"
        );
        q.replacing = true;
        assert_eq!(
            q.to_string(),
            "replace 'd', overriding mode 0444 (r--r--r--)?"
        );
    }
}
