//! The `/proc/self/fd/N` name of an open descriptor, for the calls that take only a path but
//! must act on the node fcopy holds open (DESIGN rule 10): `linkat` without
//! `CAP_DAC_READ_SEARCH`, `chmod` of an `O_PATH` descriptor, opening a file again for reading.
//! A crate-level module because both `exec` and `meta` (which `exec` imports) use it.

use std::os::fd::{AsFd, AsRawFd};

/// `/proc/self/fd/N` for `fd`: a path that names the open node itself, not whatever its name
/// now holds.
pub fn path(fd: impl AsFd) -> String {
    format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd())
}
