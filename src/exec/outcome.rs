//! What a job's run produced ([`Outcome`], [`Method`]) and why a kernel copy gave way
//! ([`Reason`]), with the one table of errnos that decides, per strategy, whether an error
//! means "not supported here, fall back" or "a real error, fail the file" (DESIGN rule 4).

use rustix::io::Errno;

/// Why copy_file_range (or a clone) gave way to read/write: the errno it failed with, or a 0
/// return before the first byte. Shown in `--json` (`"fallback"`) and `--debug`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Exdev,
    Eopnotsupp,
    Enosys,
    Einval,
    Eperm,
    Eacces,
    Ebadf,
    Etxtbsy,
    Eio,
    Enoent,
    Efbig,
    /// copy_file_range returned 0 before the first byte (procfs, sysfs, some FUSE/overlay).
    ZeroReturn,
}

/// What one strategy does when its syscall fails with a given errno.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OnErrno {
    /// "Not supported here": continue with the next mechanism from the offsets reached.
    FallBack,
    /// Fall back only before the first byte of the file was copied (CIFS answers `EIO` or
    /// `ENOENT` to an unsupported copy_file_range); after progress it is a real error.
    FallBackBeforeData,
    /// A real error: the file fails with the path and the errno.
    Fail,
}

/// One errno and what each strategy does with it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ErrnoRow {
    pub errno: Errno,
    /// The errno's name, as `--json` and `--debug` show it.
    pub name: &'static str,
    /// The [`Reason`] recorded when a kernel copy falls back on it (`None`: never falls back).
    pub reason: Option<Reason>,
    /// `copy_file_range(2)`.
    pub copy_file_range: OnErrno,
    /// `ioctl(FICLONE)` under `--reflink=auto` (`--reflink=always` fails on every errno).
    pub clone: OnErrno,
    /// `sendfile(2)`, tried after copy_file_range gave way between two files.
    pub sendfile: OnErrno,
}

const fn row(
    errno: Errno,
    name: &'static str,
    reason: Option<Reason>,
    copy_file_range: OnErrno,
    clone: OnErrno,
    sendfile: OnErrno,
) -> ErrnoRow {
    ErrnoRow {
        errno,
        name,
        reason,
        copy_file_range,
        clone,
        sendfile,
    }
}

use OnErrno::{Fail, FallBack, FallBackBeforeData};

/// The fallback errnos, one row each. Sources: DESIGN rule 4 and copy_file_range(2)
/// (`EXDEV` before 5.3 and again since 5.19 across filesystems, `EOPNOTSUPP`/`ENOSYS` where
/// unsupported, `EINVAL` for special files, `EPERM`/`EACCES` under seccomp, `EBADF` for an
/// `O_APPEND` destination, `ETXTBSY` for a swap file, `EFBIG` past the limit, `EIO`/`ENOENT`
/// from CIFS); the clone column is GNU cp 9.2's: only "cannot clone here" falls back, a clone
/// that failed for want of space, memory or quota, or with an I/O error, fails the file.
/// sendfile(2) gives way only when it cannot do the pair at all (before its first byte).
///
/// An errno not in the table fails copy_file_range and sendfile, and makes a clone fall back.
#[rustfmt::skip]
pub const ERRNO_TABLE: &[ErrnoRow] = &[
    //  errno            name          reason                    cfr                 clone     sendfile
    row(Errno::XDEV, "EXDEV", Some(Reason::Exdev), FallBack, FallBack, Fail),
    row(Errno::OPNOTSUPP, "EOPNOTSUPP", Some(Reason::Eopnotsupp), FallBack, FallBack, FallBackBeforeData),
    row(Errno::NOSYS, "ENOSYS", Some(Reason::Enosys), FallBack, FallBack, FallBackBeforeData),
    row(Errno::INVAL, "EINVAL", Some(Reason::Einval), FallBack, FallBack, FallBackBeforeData),
    row(Errno::PERM, "EPERM", Some(Reason::Eperm), FallBack, FallBack, Fail),
    row(Errno::ACCESS, "EACCES", Some(Reason::Eacces), FallBack, FallBack, Fail),
    row(Errno::BADF, "EBADF", Some(Reason::Ebadf), FallBack, FallBack, Fail),
    row(Errno::TXTBSY, "ETXTBSY", Some(Reason::Etxtbsy), FallBack, FallBack, Fail),
    row(Errno::FBIG, "EFBIG", Some(Reason::Efbig), FallBack, FallBack, Fail),
    row(Errno::IO, "EIO", Some(Reason::Eio), FallBackBeforeData, Fail, Fail),
    row(Errno::NOENT, "ENOENT", Some(Reason::Enoent), FallBackBeforeData, FallBack, Fail),
    row(Errno::NOSPC, "ENOSPC", None, Fail, Fail, Fail),
    row(Errno::NOMEM, "ENOMEM", None, Fail, Fail, Fail),
    row(Errno::DQUOT, "EDQUOT", None, Fail, Fail, Fail),
];

/// The strategies whose errors [`ERRNO_TABLE`] decides.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mechanism {
    CopyFileRange,
    Clone,
    Sendfile,
}

/// The table's row for `errno`, if it has one.
pub fn errno_row(errno: Errno) -> Option<&'static ErrnoRow> {
    ERRNO_TABLE.iter().find(|row| row.errno == errno)
}

/// What `mechanism` does with `errno`, given whether this file had any bytes copied already.
pub fn on_errno(mechanism: Mechanism, errno: Errno, progressed: bool) -> OnErrno {
    let action = match (errno_row(errno), mechanism) {
        (Some(row), Mechanism::CopyFileRange) => row.copy_file_range,
        (Some(row), Mechanism::Clone) => row.clone,
        (Some(row), Mechanism::Sendfile) => row.sendfile,
        (None, Mechanism::Clone) => FallBack,
        (None, _) => Fail,
    };
    match action {
        FallBackBeforeData if progressed => Fail,
        FallBackBeforeData => FallBack,
        other => other,
    }
}

impl Reason {
    /// The name shown in `--json` (`"fallback"`) and `--debug`: the errno's, or `zero-return`.
    pub fn name(self) -> &'static str {
        self.row().map_or("zero-return", |row| row.name)
    }

    /// The reason copy_file_range falls back on `errno`, or `None` for a real error.
    pub(super) fn fallback_for(errno: Errno, progressed: bool) -> Option<Reason> {
        match on_errno(Mechanism::CopyFileRange, errno, progressed) {
            OnErrno::FallBack => errno_row(errno).and_then(|row| row.reason),
            _ => None,
        }
    }

    /// The errno behind this reason (`None` for a zero return).
    pub fn errno(self) -> Option<Errno> {
        self.row().map(|row| row.errno)
    }

    fn row(self) -> Option<&'static ErrnoRow> {
        ERRNO_TABLE.iter().find(|row| row.reason == Some(self))
    }
}

/// The mechanism that moved the bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Reflink,
    CopyFileRange,
    /// sendfile(2): an in-kernel copy where copy_file_range cannot work (e.g. across filesystems).
    Sendfile,
    ReadWrite,
    /// Nothing needed moving (an empty file, an all-hole file, a zero-length range).
    None,
}

impl Method {
    /// The name shown in `--json` (`"method"`) and `--debug`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Reflink => "reflink",
            Method::CopyFileRange => "copy_file_range",
            Method::Sendfile => "sendfile",
            Method::ReadWrite => "read_write",
            Method::None => "none",
        }
    }
}

/// What happened when a job ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Bytes written to DEST by this job.
    pub bytes: u64,
    pub method: Method,
    /// Why copy_file_range gave way to read/write, and at which source offset.
    pub fallback: Option<(Reason, u64)>,
    /// Data extents copied (1 for a plain file, 0 for an all-hole file).
    pub extents: u64,
    /// FICLONE was tried and failed (`--reflink=auto`).
    pub clone_failed: bool,
    /// Holes were found with SEEK_HOLE.
    pub seek_hole: bool,
    /// Zero runs were turned into holes.
    pub zeros: bool,
    /// copy_file_range was called at all.
    pub tried_cfr: bool,
    /// Non-fatal problems (e.g. xattrs unsupported) to show as warnings.
    pub warnings: Vec<super::Warning>,
    /// `--verify`: how the data was checked.
    pub verified: Option<Verified>,
    /// Bytes of DEST's copied data that share extents with another file: a clone's, or what
    /// copy_file_range shared on btrfs or XFS (`FIEMAP_EXTENT_SHARED`). `None`: not known, or
    /// on a filesystem that never shares.
    pub shared_bytes: Option<u64>,
    /// `--verify=hash`: the BLAKE3 digest of the bytes verified, in hex.
    pub digest: Option<String>,
    /// `--resume --atomic`: the copy continued a kept partial file from this offset (bytes).
    pub resumed_from: Option<u64>,
    /// DEST could not be opened and was removed first (`-f`; GNU cp 9.1's copy_reg,
    /// `unlink_dest_after_failed_open`): `-v` says `removed 'DEST'`, as GNU does.
    pub removed_dest: bool,
}

impl Outcome {
    /// An outcome that starts with `bytes` already copied by read/write (an in-place DEST's
    /// first page, exec/overwrite.rs).
    pub(super) fn copied_before(bytes: u64) -> Self {
        let mut outcome = Outcome::new();
        if bytes > 0 {
            outcome.bytes = bytes;
            outcome.method = Method::ReadWrite;
        }
        outcome
    }

    pub(super) fn new() -> Self {
        Outcome {
            bytes: 0,
            method: Method::None,
            fallback: None,
            extents: 0,
            clone_failed: false,
            seek_hole: false,
            zeros: false,
            tried_cfr: false,
            warnings: Vec::new(),
            verified: None,
            shared_bytes: None,
            digest: None,
            resumed_from: None,
            removed_dest: false,
        }
    }
}

/// How a file was verified, for `--json` (`"verified"`) and `--debug`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Read back from the device and compared.
    Compared,
    /// A reflink: the destination shares the source's extents.
    Shared,
    /// Not verifiable here (a stream at one end).
    Skipped,
}

impl Verified {
    /// The name shown in `--json` and `--debug`.
    pub fn name(self) -> &'static str {
        match self {
            Verified::Compared => "compared",
            Verified::Shared => "reflink",
            Verified::Skipped => "not verifiable",
        }
    }
}
