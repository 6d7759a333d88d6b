//! The device → filesystem cache learns only what a file still on that device says.

use std::path::Path;

use super::{known_fs_magic, path_fs_magic};

/// A name that no longer leads to the device its `stat` gave (swapped meanwhile for a symlink
/// or a file elsewhere) is not asked for that device's filesystem: the answer would be another
/// filesystem's, remembered for every file on the device. Before: `statfs(path)`'s magic,
/// remembered.
#[test]
fn a_name_on_another_device_teaches_the_cache_nothing() {
    let root = rustix::fs::stat("/").unwrap();
    let elsewhere = root.st_dev ^ 0x5a5a_0000_0001;
    assert_eq!(path_fs_magic(Path::new("/"), elsewhere), 0);
    assert_eq!(known_fs_magic(elsewhere), None);
    // The device the name is on is asked and remembered as before.
    let magic = path_fs_magic(Path::new("/"), root.st_dev);
    assert_ne!(magic, 0);
    assert_eq!(known_fs_magic(root.st_dev), Some(magic));
}
