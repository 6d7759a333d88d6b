//! Preserving metadata — ownership, permission bits, timestamps, xattrs — on an open
//! destination or a symlink, in a safe order (owner, xattrs, mode, times), with GNU's messages.

use std::os::fd::BorrowedFd;
use std::path::Path;

use rustix::fs::{
    chownat, fchmod, fchown, futimens, utimensat, AtFlags, Gid, Mode, Timespec, Timestamps, Uid,
};
use rustix::io::Errno;

use crate::facts::FileFacts;
use crate::report::{errno_text_of, quote};

/// The attributes of `--preserve=ATTR_LIST`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    pub mode: bool,
    pub ownership: bool,
    pub timestamps: bool,
    pub links: bool,
    pub xattr: bool,
    pub context: bool,
}

impl Attrs {
    pub const ALL: Attrs = Attrs {
        mode: true,
        ownership: true,
        timestamps: true,
        links: true,
        xattr: true,
        context: true,
    };

    /// `-p`: mode, ownership, timestamps.
    pub const P: Attrs = Attrs {
        mode: true,
        ownership: true,
        timestamps: true,
        links: false,
        xattr: false,
        context: false,
    };

    /// Parses a comma-separated `--preserve`/`--no-preserve` list.
    pub fn parse_list(list: &str, flag: &str) -> Result<Attrs, String> {
        let mut attrs = Attrs::default();
        for word in list.split(',') {
            match word {
                "mode" => attrs.mode = true,
                "ownership" => attrs.ownership = true,
                "timestamps" => attrs.timestamps = true,
                "links" => attrs.links = true,
                "xattr" => attrs.xattr = true,
                "context" => attrs.context = true,
                "all" => attrs = Attrs::ALL,
                _ => {
                    return Err(format!(
                        "invalid argument {} for '{flag}'\nValid arguments are:\n  - 'mode'\n  - 'timestamps'\n  - 'ownership'\n  - 'links'\n  - 'context'\n  - 'xattr'\n  - 'all'",
                        crate::report::quote_bytes(word.as_bytes())
                    ))
                }
            }
        }
        Ok(attrs)
    }

    pub fn union(self, o: Attrs) -> Attrs {
        Attrs {
            mode: self.mode || o.mode,
            ownership: self.ownership || o.ownership,
            timestamps: self.timestamps || o.timestamps,
            links: self.links || o.links,
            xattr: self.xattr || o.xattr,
            context: self.context || o.context,
        }
    }

    pub fn minus(self, o: Attrs) -> Attrs {
        Attrs {
            mode: self.mode && !o.mode,
            ownership: self.ownership && !o.ownership,
            timestamps: self.timestamps && !o.timestamps,
            links: self.links && !o.links,
            xattr: self.xattr && !o.xattr,
            context: self.context && !o.context,
        }
    }
}

/// What to preserve, and which of those the user named explicitly (their failures are errors;
/// the others, as with `-a`, are silent or warnings).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Preserve {
    pub attrs: Attrs,
    pub required: Attrs,
    /// `--no-preserve=mode`: a file fcopy creates gets its mode explicitly, and loses the ACL
    /// a default ACL gave it, as GNU cp's `set_acl` does.
    pub explicit_mode: bool,
}

/// A problem while applying metadata: a message (without program name) and whether it fails the copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaProblem {
    pub message: String,
    pub fatal: bool,
}

impl MetaProblem {
    /// "`what` 'shown': error text", as GNU cp words these.
    fn new(what: &str, shown: &Path, e: Errno, fatal: bool) -> MetaProblem {
        MetaProblem {
            message: format!("{what} {}: {}", quote(shown), errno_text_of(e)),
            fatal,
        }
    }
}

fn timestamps(src: &FileFacts) -> Timestamps {
    Timestamps {
        last_access: Timespec {
            tv_sec: src.atime.0,
            tv_nsec: src.atime.1 as _,
        },
        last_modification: Timespec {
            tv_sec: src.mtime.0,
            tv_nsec: src.mtime.1 as _,
        },
    }
}

/// Applies the preserved attributes of `src` to the open destination `dst`.
///
/// `src_fd` is needed for xattrs. `new_mode` is the mode for a file fcopy created when mode is
/// not preserved (`None`: leave the mode alone). Order: owner (chown clears set-id bits and
/// `security.capability`), xattrs, mode, then times last.
pub fn apply(
    dst: BorrowedFd<'_>,
    src_fd: Option<BorrowedFd<'_>>,
    src: &FileFacts,
    preserve: &Preserve,
    new_mode: Option<u32>,
    shown: &Path,
) -> Vec<MetaProblem> {
    let mut problems = Vec::new();
    let p = preserve.attrs;
    let mut owner_ok = true;
    if p.ownership {
        if let Err(e) = fchown(
            dst,
            Some(Uid::from_raw(src.uid)),
            Some(Gid::from_raw(src.gid)),
        ) {
            owner_ok = false;
            // As cp does: keep at least the group if we may. GNU's chown_failure_ok: EPERM
            // and EINVAL are expected without privileges, even for --preserve=ownership;
            // with them, the failure is reported (an error only if the attribute was named).
            let _ = fchown(dst, None, Some(Gid::from_raw(src.gid)));
            let privileged = rustix::process::geteuid().is_root();
            if privileged || !matches!(e, Errno::PERM | Errno::INVAL) {
                problems.push(MetaProblem::new(
                    "failed to preserve ownership for",
                    shown,
                    e,
                    preserve.required.ownership,
                ));
            }
        }
    }
    if p.xattr {
        if let Some(src_fd) = src_fd {
            if let Err(e) = copy_xattrs(src_fd, dst) {
                let unsupported = matches!(e, Errno::OPNOTSUPP | Errno::NODATA);
                if preserve.required.xattr || !unsupported {
                    problems.push(MetaProblem::new(
                        "setting attributes for",
                        shown,
                        e,
                        preserve.required.xattr,
                    ));
                }
            }
        }
    }
    let mode = if p.mode {
        let mut mode = src.mode & 0o7777;
        if !owner_ok {
            // GNU: without the owner, no set-user-ID, set-group-ID or sticky bit.
            mode &= !0o7000;
        }
        Some(mode)
    } else {
        new_mode
    };
    if let Some(mode) = mode {
        if let Err(e) = fchmod(dst, Mode::from_raw_mode(mode)) {
            problems.push(MetaProblem::new(
                "preserving permissions for",
                shown,
                e,
                true,
            ));
        }
    }
    if !p.mode && preserve.explicit_mode && new_mode.is_some() {
        let dir = src.kind == crate::facts::FileKind::Directory;
        for name in [ACL_ACCESS, ACL_DEFAULT]
            .iter()
            .take(if dir { 2 } else { 1 })
        {
            match rustix::fs::fremovexattr(dst, *name) {
                Ok(()) | Err(Errno::NODATA | Errno::OPNOTSUPP) => {}
                Err(e) => problems.push(MetaProblem::new(
                    "preserving permissions for",
                    shown,
                    e,
                    true,
                )),
            }
        }
    }
    if p.mode {
        if let Some(src_fd) = src_fd {
            let dir = src.kind == crate::facts::FileKind::Directory;
            if let Err(e) = copy_acls(src_fd, dst, dir) {
                problems.push(MetaProblem::new(
                    "preserving permissions for",
                    shown,
                    e,
                    preserve.required.mode,
                ));
            }
        }
    }
    if p.timestamps {
        if let Err(e) = futimens(dst, &timestamps(src)) {
            problems.push(MetaProblem::new("preserving times for", shown, e, true));
        }
    }
    problems
}

/// The POSIX ACL xattrs: the access ACL, and for directories the default ACL.
const ACL_ACCESS: &str = "system.posix_acl_access";
const ACL_DEFAULT: &str = "system.posix_acl_default";

/// Makes `dst`'s POSIX ACLs those of `src`, as part of preserving the mode (GNU cp's
/// `copy_acl`, checked by GNU's tests/cp/acl.sh): an ACL the source has is copied (the kernel
/// sets the permission bits from it); one it lacks is removed from `dst` (a default ACL of
/// the destination directory may have given it one). Directories also get the default ACL.
/// A filesystem without ACLs on either side is not an error unless the source has an ACL the
/// destination cannot take.
fn copy_acls(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, dir: bool) -> Result<(), Errno> {
    let names: &[&str] = if dir {
        &[ACL_ACCESS, ACL_DEFAULT]
    } else {
        &[ACL_ACCESS]
    };
    for name in names {
        let mut value = vec![0u8; 256];
        let got = match rustix::fs::fgetxattr(src, *name, &mut value[..]) {
            Err(Errno::RANGE) => {
                let n = rustix::fs::fgetxattr_query(src, *name)?;
                value.resize(n, 0);
                rustix::fs::fgetxattr(src, *name, &mut value[..])
            }
            other => other,
        };
        match got {
            Ok(n) => {
                rustix::fs::fsetxattr(dst, *name, &value[..n], rustix::fs::XattrFlags::empty())?
            }
            Err(Errno::NODATA | Errno::OPNOTSUPP) => match rustix::fs::fremovexattr(dst, *name) {
                Ok(()) | Err(Errno::NODATA | Errno::OPNOTSUPP) => {}
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Applies ownership, mode and times to a node fcopy created (symlink, FIFO, socket, device) through
/// an `O_PATH` descriptor of it, so nothing is done through a name that may have been swapped
/// for a symlink (DESIGN rule 10). `new_mode` is the mode when mode is not preserved (`None`:
/// leave it). The order is [`apply`]'s: owner (chown clears set-id bits), mode, times.
///
/// `fchown`/`fchmod`/`futimens` refuse `O_PATH` descriptors, so the owner and times are set
/// with `AT_EMPTY_PATH`, and the mode through `/proc/self/fd/N`, which names the open node
/// itself (`fchmodat` has no `AT_EMPTY_PATH` before Linux 6.6's fchmodat2).
pub fn apply_to_node(
    node: BorrowedFd<'_>,
    src: &FileFacts,
    preserve: &Preserve,
    new_mode: Option<u32>,
    shown: &Path,
) -> Vec<MetaProblem> {
    let mut problems = Vec::new();
    let p = preserve.attrs;
    let mut owner_ok = true;
    if p.ownership {
        let set = |uid: Option<Uid>| {
            chownat(
                node,
                "",
                uid,
                Some(Gid::from_raw(src.gid)),
                AtFlags::EMPTY_PATH,
            )
        };
        if let Err(e) = set(Some(Uid::from_raw(src.uid))) {
            owner_ok = false;
            let _ = set(None);
            // GNU's chown_failure_ok: without privileges EPERM/EINVAL is no failure.
            let privileged = rustix::process::geteuid().is_root();
            if privileged || !matches!(e, Errno::PERM | Errno::INVAL) {
                problems.push(MetaProblem::new(
                    "failed to preserve ownership for",
                    shown,
                    e,
                    preserve.required.ownership,
                ));
            }
        }
    }
    let mode = if p.mode {
        Some(src.mode & 0o7777 & if owner_ok { 0o7777 } else { !0o7000 })
    } else {
        new_mode
    };
    if let Some(mode) = mode {
        use std::os::fd::AsRawFd;
        let proc_path = format!("/proc/self/fd/{}", node.as_raw_fd());
        let chmod = rustix::fs::chmodat(
            rustix::fs::CWD,
            proc_path.as_str(),
            Mode::from_raw_mode(mode),
            AtFlags::empty(),
        );
        if let Err(e) = chmod {
            problems.push(MetaProblem::new(
                "preserving permissions for",
                shown,
                e,
                true,
            ));
        }
    }
    if p.timestamps {
        if let Err(e) = utimensat(node, "", &timestamps(src), AtFlags::EMPTY_PATH) {
            problems.push(MetaProblem::new("preserving times for", shown, e, true));
        }
    }
    problems
}

/// Copies every extended attribute `src` has onto `dst`.
fn copy_xattrs(src: BorrowedFd<'_>, dst: BorrowedFd<'_>) -> Result<(), Errno> {
    let size = match rustix::fs::flistxattr_query(src) {
        Ok(0) => return Ok(()),
        Ok(n) => n,
        // The source's filesystem has no xattrs: nothing to copy.
        Err(Errno::OPNOTSUPP) => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut names = vec![0u8; size + 256];
    let len = rustix::fs::flistxattr(src, &mut names[..])?;
    names.truncate(len);
    let mut value = Vec::new();
    let mut first_error = None;
    // POSIX ACLs are part of the mode: copied with it (copy_acls), not as xattrs (as GNU cp).
    // XFS also shows root its ACLs as `trusted.SGI_ACL_FILE`/`trusted.SGI_ACL_DEFAULT`; libattr's
    // /etc/xattr.conf (which GNU cp follows) skips them as permissions too.
    let acl = |n: &[u8]| {
        [
            ACL_ACCESS,
            ACL_DEFAULT,
            "trusted.SGI_ACL_FILE",
            "trusted.SGI_ACL_DEFAULT",
        ]
        .iter()
        .any(|a| n == a.as_bytes())
    };
    for name in names
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty() && !acl(n))
    {
        let name = std::ffi::OsStr::from_encoded_bytes_unchecked_safe(name);
        let n = match rustix::fs::fgetxattr_query(src, name) {
            Ok(n) => n,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        value.resize(n, 0);
        let n = match rustix::fs::fgetxattr(src, name, &mut value[..]) {
            Ok(n) => n,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        if let Err(e) =
            rustix::fs::fsetxattr(dst, name, &value[..n], rustix::fs::XattrFlags::empty())
        {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Byte slices to `OsStr` without unsafe (Unix: any bytes are a valid `OsStr`).
trait FromBytesSafe {
    fn from_encoded_bytes_unchecked_safe(bytes: &[u8]) -> &std::ffi::OsStr;
}

impl FromBytesSafe for std::ffi::OsStr {
    fn from_encoded_bytes_unchecked_safe(bytes: &[u8]) -> &std::ffi::OsStr {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::Attrs;

    #[test]
    fn preserve_lists() {
        let a = Attrs::parse_list("mode,timestamps", "--preserve").unwrap();
        assert!(a.mode && a.timestamps && !a.ownership && !a.xattr);
        assert_eq!(Attrs::parse_list("all", "--preserve").unwrap(), Attrs::ALL);
        let err = Attrs::parse_list("mode,bogus", "--preserve").unwrap_err();
        assert!(
            err.starts_with("invalid argument 'bogus' for '--preserve'"),
            "{err}"
        );
        assert_eq!(
            Attrs::ALL.minus(Attrs::P),
            Attrs {
                links: true,
                xattr: true,
                context: true,
                ..Attrs::default()
            }
        );
    }
}
