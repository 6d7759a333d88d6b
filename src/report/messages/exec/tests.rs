//! Wording of the executor's out-of-memory errors.

use std::path::PathBuf;

use crate::exec::verify::VerifyError;
use crate::exec::ExecError;

#[test]
fn no_memory_names_both_files_in_gnu_form() {
    let e = ExecError::NoMemory {
        source: PathBuf::from("big"),
        dest: PathBuf::from("dir/big"),
    };
    assert_eq!(
        e.to_string(),
        "error copying 'big' to 'dir/big': Cannot allocate memory"
    );
    let v = VerifyError::NoMemory {
        dest: PathBuf::from("d"),
    };
    assert_eq!(v.to_string(), "cannot verify 'd': Cannot allocate memory");
}
