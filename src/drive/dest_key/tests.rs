use std::path::Path;

use super::dest_key;

#[test]
fn paths_equal_as_paths_share_a_key() {
    let key = dest_key(Path::new("dst/d1/f"));
    for same in [
        "dst//d1/f",
        "dst/./d1/f",
        "dst/d1/f/",
        "dst/d1//f/.",
        "dst/d1/./f",
    ] {
        assert_eq!(Path::new(same), Path::new("dst/d1/f"), "{same}");
        assert_eq!(dest_key(Path::new(same)), key, "{same}");
    }
}

#[test]
fn other_paths_get_other_keys() {
    let key = dest_key(Path::new("dst/d1/f"));
    for other in [
        "/dst/d1/f",
        "dst/d1/g",
        "dst/d1f",
        "dstd1/f",
        "dst/d1/f/g",
        "dst/d1",
        "dst/d1/.f",
    ] {
        assert_ne!(dest_key(Path::new(other)), key, "{other}");
    }
}

/// An entry of a walked directory, its path not built, gets the key of the path it is shown
/// as: a job handed out under one is found again under the other.
#[test]
fn an_unbuilt_entry_path_has_the_key_of_its_built_path() {
    use std::ffi::OsString;
    use std::sync::Arc;

    use super::endpoint_key;
    use crate::plan::{Endpoint, Shown};

    let dir = Arc::new(
        rustix::fs::open(".", rustix::fs::OFlags::RDONLY, rustix::fs::Mode::empty()).unwrap(),
    );
    for (parent, name) in [
        ("dst/d1", "f"),
        ("/", "f"),
        ("", "f"),
        ("dst/./d1/", "f"),
        (".", "f"),
    ] {
        let entry = Endpoint::At {
            dir: Arc::clone(&dir),
            name: OsString::from(name),
            shown: Shown::under(Arc::from(Path::new(parent))),
        };
        let unbuilt = endpoint_key(&entry);
        let built = dest_key(entry.display_path());
        assert_eq!(unbuilt, built, "{parent:?} {name:?}");
        assert_eq!(
            endpoint_key(&entry),
            built,
            "{parent:?} {name:?}, once built"
        );
        assert_eq!(entry.display_path(), Path::new(parent).join(name));
    }
}
