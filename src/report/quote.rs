//! GNU-style quoting of file names in messages (coreutils `quoteaf`: shell-escape-always).

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Quotes a path the way GNU cp does in its messages: `'name'`, `"it's"`, `'a'$'\n''b'`.
///
/// Names that are not UTF-8 are shown with `$'\NNN'` escapes for the stray bytes, so the message
/// is exact and can be pasted back into a shell.
pub fn quote(path: &Path) -> String {
    quote_bytes(path.as_os_str().as_bytes())
}

pub fn quote_bytes(bytes: &[u8]) -> String {
    quote_bytes_in(bytes, c_locale())
}

/// Whether messages are for the C/POSIX locale (or any locale that is not UTF-8): GNU then
/// escapes every non-ASCII byte (`''$'\303\274'` for `ü`). Read once from `LC_ALL`,
/// `LC_CTYPE`, `LANG` (the first that is set and not empty).
fn c_locale() -> bool {
    static C: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *C.get_or_init(|| {
        let name = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .filter_map(std::env::var_os)
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        let name = name.to_string_lossy().to_ascii_lowercase();
        !(name.contains("utf-8") || name.contains("utf8"))
    })
}

/// [`quote_bytes`] with the locale decided: `ascii_only` escapes non-ASCII characters too.
fn quote_bytes_in(bytes: &[u8], ascii_only: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let shown_raw = |c: char| !c.is_control() && (c.is_ascii() || !ascii_only);
    let printable = std::str::from_utf8(bytes).is_ok() && text.chars().all(shown_raw);
    if printable {
        if !text.contains('\'') {
            return format!("'{text}'");
        }
        if !text.contains(['"', '$', '`', '\\']) {
            return format!("\"{text}\"");
        }
    }
    // Mixed form: printable runs in single quotes, the rest in $'...' escapes (consecutive
    // escapes share one, as GNU writes them: 'a'$'\n\n''b').
    #[derive(PartialEq)]
    enum Open {
        None,
        Plain,
        Escaped,
    }
    let mut out = String::new();
    let mut open = Open::None;
    let close = |out: &mut String, open: &mut Open| {
        if *open != Open::None {
            out.push('\'');
            *open = Open::None;
        }
    };
    let escape = |out: &mut String, open: &mut Open, text: &str| {
        if *open == Open::Plain {
            out.push('\'');
            *open = Open::None;
        }
        if *open == Open::None {
            out.push_str("$'");
            *open = Open::Escaped;
        }
        out.push_str(text);
    };
    let mut rest = bytes;
    while !rest.is_empty() {
        let (chunk, valid_len) = match std::str::from_utf8(rest) {
            Ok(s) => (s, rest.len()),
            Err(e) => (
                std::str::from_utf8(&rest[..e.valid_up_to()]).expect("valid prefix"),
                e.valid_up_to(),
            ),
        };
        for c in chunk.chars() {
            if c == '\'' {
                close(&mut out, &mut open);
                out.push_str("\\'");
            } else if !shown_raw(c) {
                let text = match c {
                    '\n' => "\\n".to_owned(),
                    '\t' => "\\t".to_owned(),
                    '\r' => "\\r".to_owned(),
                    _ => {
                        let mut buf = [0u8; 4];
                        c.encode_utf8(&mut buf)
                            .bytes()
                            .map(|b| format!("\\{b:03o}"))
                            .collect()
                    }
                };
                escape(&mut out, &mut open, &text);
            } else {
                if open == Open::Escaped {
                    close(&mut out, &mut open);
                }
                if open == Open::None {
                    out.push('\'');
                    open = Open::Plain;
                }
                out.push(c);
            }
        }
        rest = &rest[valid_len..];
        if let Some((&bad, tail)) = rest.split_first() {
            escape(&mut out, &mut open, &format!("\\{bad:03o}"));
            rest = tail;
        }
    }
    close(&mut out, &mut open);
    if !out.starts_with('\'') {
        // GNU starts every such name with a quote: `''$'\377''x'`.
        out.insert_str(0, "''");
    }
    out
}

/// GNU's `quotef`: the name as it is when it needs no quoting for a shell, else [`quote`].
///
/// GNU cp prints the directories `--parents` creates this way under `-v` (`a -> dst/a`).
pub fn quote_if_needed(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"%+,-./:=@_^".contains(&b));
    if plain {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        quote(path)
    }
}

#[cfg(test)]
mod tests {
    use super::{quote_bytes, quote_bytes_in};

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
}
