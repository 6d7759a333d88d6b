//! Unit tests of the directories `--mkpath` makes for the command line.

use std::ffi::OsString;
use std::path::Path;

use super::operand_dir;

fn dir_for(operands: &[&str], target: Option<&str>) -> Option<String> {
    let operands: Vec<OsString> = operands.iter().map(OsString::from).collect();
    operand_dir(&operands, target.map(Path::new)).map(|p| p.display().to_string())
}

#[test]
fn the_directory_made_is_the_target_dest_or_the_directory_dest_goes_in() {
    assert_eq!(dir_for(&["a"], Some("t/d")), Some("t/d".into()));
    assert_eq!(dir_for(&["a", "x/new/"], None), Some("x/new/".into()));
    assert_eq!(dir_for(&["a", "x/new/file"], None), Some("x/new".into()));
    assert_eq!(dir_for(&["a", "b", "x/new"], None), Some("x/new".into()));
    // Nothing to make: a name in the working directory, standard output, one operand.
    assert_eq!(dir_for(&["a", "file"], None), None);
    assert_eq!(dir_for(&["a", "-"], None), None);
    assert_eq!(dir_for(&["a"], None), None);
}
