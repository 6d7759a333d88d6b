//! Wording of the executor's errors ([`crate::exec`]): opening, copying, cloning, syncing,
//! verifying, `--atomic`. GNU cp's texts where cp has one (`cannot create regular file`,
//! `error reading`, `failed to close`, ...); fcopy's own for what cp does not do.

use std::fmt::{self, Display, Formatter};

use crate::exec::verify::{Unverifiable, VerifyError, VerifyStep};
use crate::exec::{DestNote, ExecError, JobError, KeepOwnerWarning, Partial, PrefillStep, Warning};
use crate::report::{errno_text_of, quote};

impl Display for JobError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl Display for ExecError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use ExecError as E;
        match self {
            E::InterruptedBefore { source } => {
                write!(f, "interrupted before copying {}", quote(source))
            }
            E::Interrupted {
                source,
                dest,
                partial,
            } => {
                let (source, dest) = (quote(source), quote(dest));
                write!(f, "interrupted while copying {source} to {dest}")?;
                f.write_str(match partial {
                    Partial::Untouched => "",
                    Partial::Removed => "; the partial copy was removed",
                    Partial::KeptForResume => "; the partial copy was kept for --resume",
                    Partial::RestoredFromBackup => {
                        "; the partial copy was removed and the old file put back"
                    }
                })
            }
            E::InterruptedAtomic {
                source,
                dest,
                existed,
                kept,
            } => {
                let (source, dest) = (quote(source), quote(dest));
                let fate = if *existed {
                    "left unchanged"
                } else {
                    "not created"
                };
                write!(
                    f,
                    "interrupted while copying {source} to {dest}; {dest} was {fate}"
                )?;
                // As a copy in place says "the partial copy was kept for --resume", naming
                // the file that holds it, since it is not DEST.
                match kept {
                    Some(partial) => write!(
                        f,
                        "; the partial copy was kept for --resume in {}",
                        quote(partial)
                    ),
                    None => Ok(()),
                }
            }
            E::Verify(e) => e.fmt(f),
            E::Attributes(error) => write!(f, "{error}"),
            _ => self.fmt_io(f),
        }
    }
}

impl ExecError {
    /// The errors of a syscall on a path (and of the kernel copy).
    fn fmt_io(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use ExecError as E;
        let e = errno_text_of;
        match self {
            E::OpenSource { path, errno } => {
                write!(f, "cannot open {} for reading: {}", quote(path), e(*errno))
            }
            E::Fstat { path, errno } => write!(f, "cannot fstat {}: {}", quote(path), e(*errno)),
            E::SourceReplaced { path } => write!(
                f,
                "skipping file {}, as it was replaced while being copied",
                quote(path)
            ),
            E::CreateDest { path, errno } => {
                write!(
                    f,
                    "cannot create regular file {}: {}",
                    quote(path),
                    e(*errno)
                )
            }
            E::OpenDest { path, errno } => {
                write!(f, "cannot open {} for writing: {}", quote(path), e(*errno))
            }
            E::RemoveDest { path, errno } => {
                write!(f, "cannot remove {}: {}", quote(path), e(*errno))
            }
            E::DestReplaced { path } => {
                write!(f, "{} was replaced while being copied", quote(path))
            }
            E::Clone {
                source,
                dest,
                errno,
            } => write!(
                f,
                "failed to clone {} from {}: {}",
                quote(dest),
                quote(source),
                e(*errno)
            ),
            E::CloneUnaligned {
                source,
                dest,
                block,
            } => write!(
                f,
                "failed to clone {} from {}: the range holds no {block}-byte block aligned in \
                 both files",
                quote(dest),
                quote(source)
            ),
            E::Seek { path, errno } => write!(f, "cannot lseek {}: {}", quote(path), e(*errno)),
            E::Extend { path, errno } => {
                write!(f, "failed to extend {}: {}", quote(path), e(*errno))
            }
            E::Cut { path, errno } => {
                write!(f, "failed to truncate {}: {}", quote(path), e(*errno))
            }
            E::Read { path, errno } => write!(f, "error reading {}: {}", quote(path), e(*errno)),
            E::Write { path, errno } => write!(f, "error writing {}: {}", quote(path), e(*errno)),
            E::Copy {
                source,
                dest,
                errno,
            } => write!(
                f,
                "error copying {} to {}: {}",
                quote(source),
                quote(dest),
                e(*errno)
            ),
            // GNU's per-file form with ENOMEM's text: GNU itself says `memory exhausted` and ends
            // the whole run (xalloc_die); fcopy fails only this file and goes on.
            E::NoMemory { source, dest } => write!(
                f,
                "error copying {} to {}: {}",
                quote(source),
                quote(dest),
                e(rustix::io::Errno::NOMEM)
            ),
            E::Sync { path, errno } => write!(f, "error syncing {}: {}", quote(path), e(*errno)),
            E::Close { path, errno } => {
                write!(f, "failed to close {}: {}", quote(path), e(*errno))
            }
            _ => self.fmt_other(f),
        }
    }

    /// Short sources and `--method=copy-file-range`.
    fn fmt_other(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use ExecError as E;
        const NO_FALLBACK: &str = "--method=copy-file-range does not fall back";
        match self {
            E::EndedBeforeOffset {
                path,
                skipped,
                offset_in,
                names,
            } => write!(
                f,
                "{} ended after {skipped} bytes, before {} {offset_in}",
                quote(path),
                names.offset_in()
            ),
            E::EndedEarly {
                path,
                got: Some(got),
                len: Some(len),
            } => write!(
                f,
                "{} ended early, after {got} of --len {len} bytes",
                quote(path)
            ),
            E::EndedEarly { path, .. } => write!(f, "{} ended early", quote(path)),
            E::Shrank { path } => write!(f, "{} changed size while being copied", quote(path)),
            E::KernelCopyStopped { path } => write!(
                f,
                "copy_file_range stopped copying {} before its end; {NO_FALLBACK}",
                quote(path)
            ),
            E::KernelCopyNothing { path } => write!(
                f,
                "copy_file_range copied nothing from {} (a file the kernel cannot copy, such as one in /proc); {NO_FALLBACK}",
                quote(path)
            ),
            E::KernelCopyRefused {
                source,
                dest,
                reason,
            } => {
                let why = reason
                    .errno()
                    .map_or_else(|| reason.name().to_owned(), errno_text_of);
                write!(
                    f,
                    "cannot copy {} to {} with copy_file_range: {why}; {NO_FALLBACK}",
                    quote(source),
                    quote(dest)
                )
            }
            _ => self.fmt_atomic(f),
        }
    }

    /// `--atomic`'s own errors.
    fn fmt_atomic(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use ExecError as E;
        let e = errno_text_of;
        match self {
            E::ResolveLink { path, errno } => write!(
                f,
                "cannot resolve symbolic link {} for --atomic: {}",
                quote(path),
                e(*errno)
            ),
            E::CreateTemp { dir, dest, errno } => write!(
                f,
                "cannot create a temporary file in {} to replace {} (--atomic): {}",
                quote(dir),
                quote(dest),
                e(*errno)
            ),
            E::Prefill { path, step, errno } => {
                let what = match step {
                    PrefillStep::Reading => "reading",
                    PrefillStep::Copying => "copying",
                };
                write!(
                    f,
                    "error {what} {} into a temporary file (--atomic): {}",
                    quote(path),
                    e(*errno)
                )
            }
            E::Replace { path, errno } => {
                write!(f, "cannot replace {}: {}", quote(path), e(*errno))
            }
            // Unreachable: the others are worded by `fmt`, `fmt_io` and `fmt_other`.
            other => write!(f, "{other:?}"),
        }
    }
}

impl Display for DestNote {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        const LOST: &str = "its old contents cannot be restored";
        match self {
            DestNote::Incomplete { path, len: None } => write!(
                f,
                "{} was being overwritten and is now incomplete; {LOST}",
                quote(path)
            ),
            DestNote::Incomplete {
                path,
                len: Some(len),
            } => write!(
                f,
                "{} was being overwritten and now holds the first {} of the copy; {LOST}",
                quote(path),
                if *len == 1 {
                    "byte".to_owned()
                } else {
                    format!("{len} bytes")
                }
            ),
            DestNote::Emptied { path } => write!(
                f,
                "{} was being overwritten and is now empty; {LOST}",
                quote(path)
            ),
            DestNote::PartlyWritten { path } => write!(
                f,
                "{} may be partly written in the range; its old contents there cannot be restored",
                quote(path)
            ),
            DestNote::KeptNew { path, len: 0 } => {
                write!(f, "{} is kept for --resume, empty", quote(path))
            }
            DestNote::KeptNew { path, len } => write!(
                f,
                "{} is kept for --resume with the first {len} bytes",
                quote(path)
            ),
            DestNote::KeptForResume { path, from } => write!(
                f,
                "{} was resumed from byte {from} and is kept for --resume",
                quote(path)
            ),
            DestNote::ResumedDiffers {
                path,
                from,
                cut_at: Some(at),
            } => write!(
                f,
                "{} was resumed from byte {from}; it is cut at byte {at}, where it differs, \
                 and a new --resume copies the rest",
                quote(path)
            ),
            DestNote::ResumedDiffers {
                path,
                from,
                cut_at: None,
            } => write!(
                f,
                "{} was resumed from byte {from} and is kept; only a run without --resume \
                 copies it again",
                quote(path)
            ),
            DestNote::MayBeIncomplete { path } => write!(
                f,
                "{} was being overwritten and may be incomplete; {LOST}",
                quote(path)
            ),
            DestNote::RemovedBefore { path } => write!(
                f,
                "{} was removed before the copy began; {LOST}",
                quote(path)
            ),
            DestNote::NotDurable { path } => write!(
                f,
                "{} was replaced, but the change may not survive a crash",
                quote(path)
            ),
        }
    }
}

impl Display for Warning {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Attributes(error) => write!(f, "{error}"),
            Warning::KeepOwner(warning) => write!(f, "{warning}"),
            Warning::NotVerified { dest, why } => {
                write!(f, "warning: {} was copied but not verified: ", quote(dest))?;
                match why {
                    Unverifiable::Stream(end) => {
                        write!(
                            f,
                            "{} cannot be read again (not a regular file)",
                            quote(end)
                        )
                    }
                    Unverifiable::StandardInput => {
                        write!(f, "'-' (standard input) is read once, not again")
                    }
                    Unverifiable::StandardOutput => {
                        write!(f, "'-' (standard output) is written once, not read back")
                    }
                    Unverifiable::MadeUp(source) => write!(
                        f,
                        "{} is made up as it is read, and a second read may differ",
                        quote(source)
                    ),
                    Unverifiable::Overlap(file) => {
                        write!(f, "the range overlaps its own source in {}", quote(file))
                    }
                }
            }
        }
    }
}

impl Display for KeepOwnerWarning {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot keep the owner of {} ({}:{}) in its atomic replacement: {}",
            quote(&self.path),
            self.uid,
            self.gid,
            errno_text_of(self.errno)
        )
    }
}

impl Display for VerifyError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Step { path, step, errno } => {
                let what = match step {
                    VerifyStep::Fsync => "fsync",
                    VerifyStep::Reopen => "reopening for reading",
                    VerifyStep::Fstat => "fstat",
                    VerifyStep::Read => "read",
                };
                write!(
                    f,
                    "cannot verify {}: {what}: {}",
                    quote(path),
                    errno_text_of(*errno)
                )
            }
            VerifyError::SizeMismatch {
                dest,
                dest_size,
                source,
                source_size,
            } => write!(
                f,
                "verification failed: {} has {dest_size} bytes, {} has {source_size} bytes",
                quote(dest),
                quote(source)
            ),
            VerifyError::Differs { dest, source, at } => write!(
                f,
                "verification failed: {} differs from {} at byte {at}",
                quote(dest),
                quote(source)
            ),
            VerifyError::DigestDiffers { dest, source } => write!(
                f,
                "verification failed: the BLAKE3 digests of {} and {} differ",
                quote(dest),
                quote(source)
            ),
            VerifyError::Interrupted { dest } => {
                write!(f, "interrupted while verifying {}", quote(dest))
            }
            VerifyError::NoMemory { dest } => write!(
                f,
                "cannot verify {}: {}",
                quote(dest),
                errno_text_of(rustix::io::Errno::NOMEM)
            ),
            VerifyError::ReadSource { path, errno } => write!(
                f,
                "error reading {}: {}",
                quote(path),
                errno_text_of(*errno)
            ),
        }
    }
}

#[cfg(test)]
mod tests;

/// After a stop signal: how many files `-v` had already listed (it lists a file when it is
/// handed to the `-j` workers, in walk order) that no worker started. None of them was copied;
/// the first one's own message said so ("interrupted before copying"). Red team, round 9: a
/// `-v` log listed 408 files as copied that were not on disk.
pub struct ListedNotCopied(pub u64);

impl Display for ListedNotCopied {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("interrupted: 1 more file listed above was not copied"),
            n => write!(
                f,
                "interrupted: {n} more files listed above were not copied"
            ),
        }
    }
}
