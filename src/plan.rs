//! The planner: parsed arguments plus file metadata in, jobs with a chosen strategy out. Pure.

use std::ffi::{OsStr, OsString};
use std::fmt;

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{MethodChoice, ReflinkWhen, SparseWhen};
use crate::facts::{DestFacts, FileFacts, FileKind, FsKind};
use crate::meta::Preserve;
use crate::units::{ByteArg, MAX_OFFSET};

/// One end of a copy: a path, standard input/output (`-`), or a name in an open directory.
#[derive(Clone, Debug)]
pub enum Endpoint {
    Path(PathBuf),
    Stdio,
    /// A name inside an open directory (tree copies): immune to renames of its ancestors and
    /// to paths longer than PATH_MAX. `shown` is the full path for messages.
    At {
        dir: Arc<OwnedFd>,
        name: OsString,
        shown: PathBuf,
    },
}

impl PartialEq for Endpoint {
    fn eq(&self, other: &Endpoint) -> bool {
        match (self, other) {
            (Endpoint::Stdio, Endpoint::Stdio) => true,
            (Endpoint::Path(a), Endpoint::Path(b)) => a == b,
            (Endpoint::At { shown: a, .. }, Endpoint::At { shown: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Endpoint {}

impl Endpoint {
    /// A command-line operand: `-` is standard input or output, anything else a path.
    pub fn from_operand(op: &OsStr) -> Endpoint {
        if op == "-" {
            Endpoint::Stdio
        } else {
            Endpoint::Path(PathBuf::from(op))
        }
    }

    /// The path as shown in messages (`-` for standard input/output).
    pub fn display_path(&self) -> &Path {
        match self {
            Endpoint::Path(p) => p,
            Endpoint::Stdio => Path::new("-"),
            Endpoint::At { shown, .. } => shown,
        }
    }

    /// The directory descriptor and name to open this endpoint with (`None`: standard I/O).
    pub fn dir_and_name(&self) -> Option<(BorrowedFd<'_>, &Path)> {
        match self {
            Endpoint::Path(p) => Some((rustix::fs::CWD, p)),
            Endpoint::Stdio => None,
            Endpoint::At { dir, name, .. } => Some((dir.as_fd(), Path::new(name))),
        }
    }
}

/// A source paired with the destination it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub source: Endpoint,
    pub dest: Endpoint,
}

/// The options that shape every job, resolved from [`crate::cli::Args`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyOptions {
    pub sparse: SparseWhen,
    pub reflink: ReflinkWhen,
    pub method: MethodChoice,
    pub range: Option<RangeArgs>,
    pub no_clobber: bool,
    pub force: bool,
    pub preserve: Preserve,
    /// `--atomic`: write to a temporary beside DEST, rename into place when complete.
    pub atomic: bool,
    /// `--sync`: flush each file to stable storage before reporting it done.
    pub sync: bool,
}

/// `--offset-in/--offset-out/--len` as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeArgs {
    pub offset_in: Option<ByteArg>,
    pub offset_out: Option<ByteArg>,
    pub len: Option<ByteArg>,
}

/// How a job moves its bytes; the names appear in `--json` and `--dry-run`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    Reflink,
    CopyFileRange,
    Sparse,
    Ranged,
    ReadWrite,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Reflink => "reflink",
            Strategy::CopyFileRange => "copy_file_range",
            Strategy::Sparse => "sparse",
            Strategy::Ranged => "ranged",
            Strategy::ReadWrite => "read_write",
        }
    }
}

/// Whether and how to try FICLONE.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CloneMode {
    No,
    /// Try it; on failure copy another way.
    Try,
    /// Clone or fail (`--reflink=always`).
    Must,
}

/// A resolved byte range.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub offset_in: u64,
    pub offset_out: u64,
    /// `None`: to the end of a stream whose length is unknown.
    pub len: Option<u64>,
    /// Source and destination are one file and the ranges overlap.
    pub overlap: bool,
}

/// Everything the executor needs to copy one file. The planner decides; the executor obeys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub source: Endpoint,
    pub dest: Endpoint,
    pub strategy: Strategy,
    /// Bytes to copy for whole-file strategies; `None` = read to end of file.
    pub len: Option<u64>,
    pub range: Option<ByteRange>,
    pub clone: CloneMode,
    /// copy_file_range may be used.
    pub kernel_copy: bool,
    /// copy_file_range must be used (`--method=copy-file-range`): no fallback.
    pub kernel_copy_only: bool,
    /// Turn runs of zeros into holes (`--sparse=always`).
    pub detect_zeros: bool,
    /// Identity of the source as stat'ed; the opened file must match.
    pub source_id: (u64, u64),
    pub dest_exists: bool,
    /// Identity of an existing destination as stat'ed (symlinks followed): the file opened for
    /// writing must be this one (DESIGN rule 10: no name swapped after the check).
    pub dest_id: Option<(u64, u64)>,
    /// Mode for a destination fcopy creates: given at creation, or after the data when
    /// [`Job::explicit_mode`] or preserved attributes require it.
    pub create_mode: u32,
    /// `--no-preserve=mode`: set `create_mode` explicitly after the data (as GNU's set_acl), not
    /// left to the directory's default ACL at creation.
    pub explicit_mode: bool,
    /// With `-f`: an existing destination that cannot be opened is removed and re-created.
    pub force: bool,
    /// Open the source with `O_NOFOLLOW` (tree copies that do not dereference).
    pub nofollow: bool,
    /// Attributes to carry over from the source after the data.
    pub preserve: Preserve,
    /// The source as stat'ed (mode, owner, times for `preserve`).
    pub source_facts: FileFacts,
    /// `--atomic`: DEST is replaced by a rename once the new file is complete.
    pub atomic: bool,
    /// `--sync`: fsync before the job is reported done.
    pub sync: bool,
    /// The destination takes positioned writes (a regular file or block device).
    pub dest_seekable: bool,
    /// The device the destination is (or will be created) on, if known.
    pub dest_dev: Option<u64>,
    /// Reserve the destination's blocks (`fallocate`, keeping the size) before large writes:
    /// ext4 then skips its per-page delayed allocation (about 20% faster for spans of 1 MiB
    /// and more; measured slower on tmpfs and no faster on XFS, so ext4 only).
    pub preallocate: bool,
    /// `--verify`, `--resume`: see [`crate::restart::JobRestart`].
    pub restart: crate::restart::JobRestart,
}

/// Why a job is not run, as a GNU-style message (without program name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    OmitDirectory(PathBuf),
    SameFile(PathBuf, PathBuf),
    DanglingSymlink(PathBuf),
    OverwriteDirWithNonDir {
        dest: PathBuf,
        source: PathBuf,
    },
    OffsetInPastEnd {
        arg: ByteArg,
        source: PathBuf,
        size: u64,
    },
    LenPastEnd {
        len: ByteArg,
        offset_in: u64,
        source: PathBuf,
        size: u64,
    },
    RangeTooLarge {
        flag: &'static str,
    },
    /// `--offset-out` past 0 on a destination that cannot seek (`None`: standard output).
    OffsetOutNeedsSeekable(Option<PathBuf>),
    /// `--offset-out` past 0 on standard output opened for appending (`>>`), where every
    /// write lands at the end (issue 13).
    OffsetOutOnAppend,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::report::quote;
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
            PlanError::RangeTooLarge { flag } => write!(
                f,
                "{flag} plus --len is past the largest file offset (2^63-1)"
            ),
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
            PlanError::OffsetOutOnAppend => write!(
                f,
                "--offset-out cannot be honoured: standard output is open for appending (O_APPEND)"
            ),
        }
    }
}

/// What the planner decided for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planned {
    Copy(Box<Job>),
    /// `-n` and the destination exists.
    SkipExisting,
}

/// The last component of a source path, ignoring trailing slashes (`a/b/` → `b`).
pub fn base_name(path: &Path) -> &OsStr {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let trimmed = {
        let mut end = bytes.len();
        while end > 1 && bytes[end - 1] == b'/' {
            end -= 1;
        }
        &bytes[..end]
    };
    let start = trimmed
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    let base = &trimmed[start..];
    OsStr::from_bytes(if base.is_empty() { trimmed } else { base })
}

/// Decides how to copy one target, from the source's and destination's metadata. Touches nothing.
pub fn plan_job(
    opts: &CopyOptions,
    target: &Target,
    source: &FileFacts,
    dest: &DestFacts,
    umask: u32,
) -> Result<Planned, PlanError> {
    let src_path = target.source.display_path().to_path_buf();
    let dst_path = target.dest.display_path().to_path_buf();
    if source.kind == FileKind::Directory {
        return Err(PlanError::OmitDirectory(src_path));
    }
    let dest_file = dest.file();
    match dest {
        DestFacts::DanglingSymlink => return Err(PlanError::DanglingSymlink(dst_path)),
        DestFacts::Existing(d) if d.kind == FileKind::Directory => {
            return Err(PlanError::OverwriteDirWithNonDir {
                dest: dst_path,
                source: src_path,
            })
        }
        DestFacts::Existing(_) if opts.no_clobber => return Ok(Planned::SkipExisting),
        _ => {}
    }
    let same_file = dest_file.is_some_and(|d| d.same_file(source));
    if same_file && opts.range.is_none() && source.kind == FileKind::Regular {
        return Err(PlanError::SameFile(src_path, dst_path));
    }

    let dest_regular = match dest {
        DestFacts::Missing { .. } | DestFacts::DanglingSymlink => true,
        DestFacts::Existing(d) | DestFacts::Stdout(d) => d.kind == FileKind::Regular,
    };
    let dest_is_stdout = matches!(dest, DestFacts::Stdout(_));
    let dest_seekable = dest_regular
        || dest_file.is_some_and(|d| d.kind == FileKind::BlockDevice || d.is_dev_null());
    let source_regular = source.kind == FileKind::Regular;
    let dest_fs = dest.fs();
    let same_device = dest.dev() == Some(source.dev);
    let stdin = target.source == Endpoint::Stdio;

    // copy_file_range: allowed unless the user ruled it out, or it could share extents under
    // --reflink=never, or zeros must be written (--sparse=never).
    let clone_safe =
        opts.reflink != ReflinkWhen::Never || dest_fs.is_some_and(|fs| fs.never_shares_extents());
    let kernel_copy =
        opts.method != MethodChoice::ReadWrite && opts.sparse != SparseWhen::Never && clone_safe;
    let kernel_copy_only = opts.method == MethodChoice::CopyFileRange;
    let streams = !source_regular || !dest_regular || source.fs.is_pseudo();

    let mut job = Job {
        source: target.source.clone(),
        dest: target.dest.clone(),
        strategy: Strategy::ReadWrite,
        len: if source.has_trusted_size() && source.size > 0 && !stdin {
            Some(source.size)
        } else {
            None
        },
        range: None,
        clone: CloneMode::No,
        kernel_copy,
        kernel_copy_only,
        detect_zeros: false,
        source_id: (source.dev, source.ino),
        dest_exists: matches!(dest, DestFacts::Existing(_)),
        dest_id: match dest {
            DestFacts::Existing(f) => Some((f.dev, f.ino)),
            _ => None,
        },
        create_mode: source.mode & 0o777 & !umask,
        explicit_mode: false,
        force: opts.force,
        nofollow: false,
        preserve: opts.preserve,
        source_facts: *source,
        atomic: opts.atomic,
        sync: opts.sync,
        dest_seekable,
        dest_dev: dest.dev(),
        preallocate: dest_regular && !dest_is_stdout && dest_fs == Some(FsKind::Ext4),
        restart: Default::default(),
    };

    if let Some(range) = &opts.range {
        job.strategy = Strategy::Ranged;
        job.range = Some(resolve_range(range, source, stdin, &src_path, same_file)?);
        if job.range.is_some_and(|r| r.offset_out > 0) {
            if !dest_seekable {
                return Err(PlanError::OffsetOutNeedsSeekable(
                    (!dest_is_stdout).then_some(dst_path),
                ));
            }
            if dest_file.is_some_and(|d| d.append) {
                return Err(PlanError::OffsetOutOnAppend);
            }
        }
        // Blocks inside an existing destination are allocated already: only a range that
        // writes past its end gains from preallocation.
        let dest_size = dest_file.map_or(0, |d| d.size);
        job.preallocate &= job
            .range
            .is_some_and(|r| r.offset_out + r.len.unwrap_or(0) > dest_size);
        return Ok(Planned::Copy(Box::new(job)));
    }

    let clone = match opts.reflink {
        ReflinkWhen::Always => CloneMode::Must,
        ReflinkWhen::Auto
            if opts.method == MethodChoice::Auto
                && opts.sparse == SparseWhen::Auto
                && same_device
                && !dest_is_stdout
                && !stdin
                && dest_fs.is_some_and(|fs| fs.can_clone()) =>
        {
            CloneMode::Try
        }
        _ => CloneMode::No,
    };
    job.clone = clone;
    job.strategy = if clone != CloneMode::No && source_regular && !streams {
        Strategy::Reflink
    } else if clone == CloneMode::Must {
        // FICLONE needs two regular files; the executor reports the failure.
        Strategy::Reflink
    } else if streams || stdin {
        Strategy::ReadWrite
    } else if opts.sparse == SparseWhen::Always && dest_seekable {
        job.detect_zeros = true;
        Strategy::Sparse
    } else if opts.sparse == SparseWhen::Auto && source.looks_sparse() {
        Strategy::Sparse
    } else if kernel_copy {
        Strategy::CopyFileRange
    } else {
        Strategy::ReadWrite
    };
    Ok(Planned::Copy(Box::new(job)))
}

fn resolve_range(
    range: &RangeArgs,
    source: &FileFacts,
    stream: bool,
    src_path: &Path,
    same_file: bool,
) -> Result<ByteRange, PlanError> {
    let offset_in = range.offset_in.as_ref().map_or(0, |a| a.value);
    let offset_out = range.offset_out.as_ref().map_or(0, |a| a.value);
    let len = if source.has_trusted_size() && !stream {
        let size = source.size;
        if offset_in > size {
            return Err(PlanError::OffsetInPastEnd {
                arg: range
                    .offset_in
                    .clone()
                    .expect("offset_in > size implies it was given"),
                source: src_path.to_path_buf(),
                size,
            });
        }
        match &range.len {
            Some(len) if len.value > size - offset_in => {
                return Err(PlanError::LenPastEnd {
                    len: len.clone(),
                    offset_in,
                    source: src_path.to_path_buf(),
                    size,
                })
            }
            Some(len) => Some(len.value),
            None => Some(size - offset_in),
        }
    } else {
        range.len.as_ref().map(|l| l.value)
    };
    let span = len.unwrap_or(0);
    if offset_in
        .checked_add(span)
        .is_none_or(|end| end > MAX_OFFSET)
    {
        return Err(PlanError::RangeTooLarge {
            flag: "--offset-in",
        });
    }
    if offset_out
        .checked_add(span)
        .is_none_or(|end| end > MAX_OFFSET)
    {
        return Err(PlanError::RangeTooLarge {
            flag: "--offset-out",
        });
    }
    let overlap =
        same_file && span > 0 && offset_in < offset_out + span && offset_out < offset_in + span;
    Ok(ByteRange {
        offset_in,
        offset_out,
        len,
        overlap,
    })
}

pub mod same;

#[cfg(test)]
mod tests;
