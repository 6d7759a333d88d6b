//! Unit tests of the dry run's kernel questions, on a scratch directory (only what any caller
//! may do there: the integration tests `dry10` drop privileges and set `chattr` flags).

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{openat, Mode, OFlags, CWD};
use rustix::io::Errno;

use super::{cap_fowner_in, may_create_at, may_create_in, may_open_for_write, may_remove};

#[test]
fn cap_fowner_is_read_from_the_effective_set() {
    let status = "Name:\tfcopy\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
    assert_eq!(cap_fowner_in(status), Some(true));
    assert_eq!(cap_fowner_in("CapEff:\t0000000000000000\n"), Some(false));
    // CAP_FOWNER is bit 3; bit 2 (CAP_DAC_READ_SEARCH) alone is not it.
    assert_eq!(cap_fowner_in("CapEff:\t0000000000000004\n"), Some(false));
    assert_eq!(cap_fowner_in("CapEff:\t0000000000000008\n"), Some(true));
    assert_eq!(cap_fowner_in("Name:\tx\n"), None);
}

#[test]
fn a_writable_directory_takes_new_names_and_removals() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("f"), b"f").unwrap();
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir = openat(CWD, scratch.path(), flags, Mode::empty()).unwrap();
    assert_eq!(may_create_in(dir.as_fd()), Ok(()));
    assert_eq!(may_create_at(CWD, scratch.path()), Ok(()));
    assert_eq!(may_open_for_write(dir.as_fd(), Path::new("f")), Ok(()));
    // A name that is not there passes (a backup name not yet taken).
    let names: [&OsStr; 2] = ["f".as_ref(), "f~".as_ref()];
    assert_eq!(may_remove(dir.as_fd(), &names), Ok(()));
}

#[test]
fn a_missing_directory_is_the_run_s_error() {
    let scratch = tempfile::tempdir().unwrap();
    let missing = scratch.path().join("missing");
    assert_eq!(may_create_at(CWD, &missing), Err(Errno::NOENT));
    std::fs::write(&missing, b"f").unwrap();
    assert_eq!(may_create_at(CWD, &missing), Err(Errno::NOTDIR));
}
