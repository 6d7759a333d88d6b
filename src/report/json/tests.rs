//! Unit tests of [`super`].

use super::JsonObject;

#[test]
fn escapes_and_types() {
    let s = JsonObject::new()
        .str("a", "x\"y\\z\n\u{1}")
        .num("n", 7)
        .null("e")
        .float("f", 1.5)
        .finish();
    assert_eq!(s, r#"{"a":"x\"y\\z\n\u0001","n":7,"e":null,"f":1.500}"#);
}

#[test]
fn non_utf8_paths_are_also_given_as_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    let s = JsonObject::new()
        .path("source", Path::new(OsStr::from_bytes(b"s/a\xff")))
        .path("dest", Path::new("d/\u{e9}"))
        .finish();
    assert_eq!(
        s,
        "{\"source\":\"s/a\u{fffd}\",\"source_bytes\":[115,47,97,255],\"dest\":\"d/\u{e9}\"}"
    );
}
