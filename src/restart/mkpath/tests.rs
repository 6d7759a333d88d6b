//! Unit tests of the directories `--mkpath` makes for the command line.

use std::ffi::OsString;
use std::path::Path;

use super::{operand_dir, steps_as_spelled};

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

/// `mkdir -pv` names each directory it makes by the operand's own spelling up to it: `a//b`,
/// `x/./y`, not `a/b` (red team, round 20).
#[test]
fn steps_keep_the_operands_spelling() {
    let steps = |dir: &str| -> Vec<(String, String)> {
        steps_as_spelled(Path::new(dir))
            .map(|(name, spelled)| {
                let name = name.to_string_lossy().into_owned();
                (name, spelled.to_string_lossy().into_owned())
            })
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    assert_eq!(
        steps("a//b/./c//"),
        pairs(&[("a", "a"), ("b", "a//b"), ("c", "a//b/./c")])
    );
    assert_eq!(
        steps("/t//z/../w"),
        pairs(&[
            ("t", "/t"),
            ("z", "/t//z"),
            ("..", "/t//z/.."),
            ("w", "/t//z/../w")
        ])
    );
    assert_eq!(steps("./x/./y/"), pairs(&[("x", "./x"), ("y", "./x/./y")]));
    assert!(steps("/").is_empty() && steps(".//.").is_empty());
}
