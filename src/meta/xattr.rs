//! Copying extended attributes and POSIX ACLs between open descriptors (GNU cp's `copy_attr`
//! and `copy_acl`), for [`super::apply`]. Errors are the raw errno; [`super`] says which
//! attribute it was.

use std::os::fd::BorrowedFd;

use rustix::io::Errno;

/// The POSIX ACL xattrs: the access ACL, and for directories the default ACL.
pub(super) const ACL_ACCESS: &str = "system.posix_acl_access";
pub(super) const ACL_DEFAULT: &str = "system.posix_acl_default";

/// Makes `dst`'s POSIX ACLs those of `src`, as part of preserving the mode (GNU cp's
/// `copy_acl`, checked by GNU's tests/cp/acl.sh): an ACL the source has is copied (the kernel
/// sets the permission bits from it); one it lacks is removed from `dst` (a default ACL of
/// the destination directory may have given it one). Directories also get the default ACL.
/// A filesystem without ACLs on either side is not an error unless the source has an ACL the
/// destination cannot take.
pub(super) fn copy_acls(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, dir: bool) -> Result<(), Errno> {
    let names: &[&str] = if dir {
        &[ACL_ACCESS, ACL_DEFAULT]
    } else {
        &[ACL_ACCESS]
    };
    for name in names {
        let mut value = vec![0u8; 256];
        let got = match get(src, *name, &mut value[..]) {
            Err(Errno::RANGE) => {
                let n = get_query(src, *name)?;
                value.resize(n, 0);
                get(src, *name, &mut value[..])
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

/// Copies every extended attribute `src` has onto `dst`.
pub(super) fn copy_xattrs(src: BorrowedFd<'_>, dst: BorrowedFd<'_>) -> Result<(), Errno> {
    let size = match list_query(src) {
        Ok(0) => return Ok(()),
        Ok(n) => n,
        // The source's filesystem has no xattrs: nothing to copy.
        Err(Errno::OPNOTSUPP) => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut names = vec![0u8; size + 256];
    let len = list(src, &mut names[..])?;
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
        let n = match get_query(src, name) {
            Ok(n) => n,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        value.resize(n, 0);
        let n = match get(src, name, &mut value[..]) {
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

// Reading from SOURCE: `f*xattr` on its descriptor; an `O_PATH` descriptor (an unreadable
// directory held without opening it, drive/dirs.rs) takes no xattr calls (EBADF), so its
// `/proc/self/fd/N` name, which is the node itself, is asked instead.

fn get(
    src: BorrowedFd<'_>,
    name: impl AsRef<std::ffi::OsStr>,
    buf: &mut [u8],
) -> Result<usize, Errno> {
    let name = name.as_ref();
    match rustix::fs::fgetxattr(src, name, &mut *buf) {
        Err(Errno::BADF) => rustix::fs::getxattr(crate::procfd::path(src).as_str(), name, buf),
        other => other,
    }
}

fn get_query(src: BorrowedFd<'_>, name: impl AsRef<std::ffi::OsStr>) -> Result<usize, Errno> {
    let name = name.as_ref();
    match rustix::fs::fgetxattr_query(src, name) {
        Err(Errno::BADF) => rustix::fs::getxattr_query(crate::procfd::path(src).as_str(), name),
        other => other,
    }
}

fn list(src: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    match rustix::fs::flistxattr(src, &mut *buf) {
        Err(Errno::BADF) => rustix::fs::listxattr(crate::procfd::path(src).as_str(), buf),
        other => other,
    }
}

fn list_query(src: BorrowedFd<'_>) -> Result<usize, Errno> {
    match rustix::fs::flistxattr_query(src) {
        Err(Errno::BADF) => rustix::fs::listxattr_query(crate::procfd::path(src).as_str()),
        other => other,
    }
}
