//! The key under which the walk remembers a destination that a running job writes (see
//! `Copier::in_flight`): one `u64` per path, no copy of it.

use std::hash::{BuildHasher, Hasher};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::plan::Endpoint;

use rustc_hash::FxBuildHasher;

#[cfg(test)]
mod tests;

/// The key of a destination among those being written: an FxHash of the path's components
/// (its bytes between separators, leaving out empty and `.` components; a leading `/` counts),
/// so that paths `Path`'s `==` calls equal (repeated separators, `a/./b`, a trailing `/`) get
/// one key; `./a` and `a` share one too, which only makes a job wait. Hashed byte slices at a
/// time: `Path`'s own `Hash` walks it byte by byte (8% of a tree copy's user-space
/// instructions, issue 16).
pub(super) fn dest_key(dest: &Path) -> u64 {
    hashed(dest.as_os_str().as_bytes(), None)
}

/// [`dest_key`] of an endpoint: of its shown path, or, for an entry of a walked directory
/// whose path is not built, of the directory's path and the name (the same key: the name is
/// one more component), without building it (issue 16).
pub(super) fn endpoint_key(dest: &Endpoint) -> u64 {
    if let Endpoint::At { shown, name, .. } = dest {
        if let Some((dir, name)) = shown.parts(name) {
            return hashed(dir.as_os_str().as_bytes(), Some(name.as_bytes()));
        }
    }
    dest_key(dest.display_path())
}

/// The key of the path `bytes`, followed by the component `last` if given.
fn hashed(bytes: &[u8], last: Option<&[u8]>) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    h.write_u8(u8::from(bytes.first() == Some(&b'/')));
    let parts = bytes.split(|&b| b == b'/').chain(last);
    for part in parts {
        if !part.is_empty() && part != b"." {
            h.write(part);
            h.write_u8(b'/');
        }
    }
    h.finish()
}
