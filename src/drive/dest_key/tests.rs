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
