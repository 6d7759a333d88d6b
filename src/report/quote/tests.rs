//! Unit tests of [`super`].

use super::{argmatch_quote_in, quote_bytes, quote_bytes_in};

#[test]
fn gnu_forms() {
    assert_eq!(quote_bytes(b"a"), "'a'");
    assert_eq!(quote_bytes(b"a b"), "'a b'");
    assert_eq!(quote_bytes(b"it's"), "\"it's\"");
    assert_eq!(quote_bytes(b"a'b\"c"), "'a'\\''b\"c'");
    assert_eq!(quote_bytes(b"a\nb"), "'a'$'\\n''b'");
    assert_eq!(quote_bytes(b"\xffx"), "''$'\\377''x'");
    assert_eq!(quote_bytes(b""), "''");
    // As GNU cp 9.1 in the C locale: consecutive escapes share one $'...', and
    // non-ASCII characters are escaped (shown as they are in a UTF-8 locale).
    assert_eq!(quote_bytes(b"a\n\nb"), "'a'$'\\n\\n''b'");
    assert_eq!(
        quote_bytes_in("üü".as_bytes(), true),
        "''$'\\303\\274\\303\\274'"
    );
    assert_eq!(quote_bytes_in("aü".as_bytes(), true), "'a'$'\\303\\274'");
    assert_eq!(quote_bytes_in("üü".as_bytes(), false), "'üü'");
}

#[test]
fn argmatch_forms() {
    // As GNU cp 9.1's `invalid argument ... for '--sparse'` (LC_ALL=C, then a UTF-8 locale).
    for ascii_only in [true, false] {
        let q = |b: &[u8]| argmatch_quote_in(b, ascii_only);
        assert_eq!(q(b"x"), "'x'");
        assert_eq!(q(b"\xff"), r"'\377'");
        assert_eq!(q(b"a\xffx"), r"'a\377x'");
        assert_eq!(q(b"it's"), r"'it\'s'");
        assert_eq!(q(b"a\\b"), r"'a\\b'");
        assert_eq!(q(b"a\tb\x01"), r"'a\tb\001'");
        assert_eq!(q(b""), "''");
    }
    assert_eq!(argmatch_quote_in("ü".as_bytes(), true), r"'\303\274'");
    assert_eq!(argmatch_quote_in("ü".as_bytes(), false), "'ü'");
}
