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
    let text = String::from_utf8_lossy(bytes);
    let printable = std::str::from_utf8(bytes).is_ok() && !text.chars().any(char::is_control);
    if printable {
        if !text.contains('\'') {
            return format!("'{text}'");
        }
        if !text.contains(['"', '$', '`', '\\']) {
            return format!("\"{text}\"");
        }
    }
    // Mixed form: printable runs in single quotes, the rest as $'...' escapes.
    let mut out = String::new();
    let mut in_plain = false;
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
                if in_plain {
                    out.push('\'');
                    in_plain = false;
                }
                out.push_str("\\'");
            } else if c.is_control() {
                if in_plain {
                    out.push('\'');
                    in_plain = false;
                }
                out.push_str("$'");
                match c {
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    _ => {
                        let mut buf = [0u8; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            out.push_str(&format!("\\{b:03o}"));
                        }
                    }
                }
                out.push('\'');
            } else {
                if !in_plain {
                    out.push('\'');
                    in_plain = true;
                }
                out.push(c);
            }
        }
        rest = &rest[valid_len..];
        if let Some((&bad, tail)) = rest.split_first() {
            if in_plain {
                out.push('\'');
                in_plain = false;
            }
            out.push_str(&format!("$'\\{bad:03o}'"));
            rest = tail;
        }
    }
    if in_plain {
        out.push('\'');
    }
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
    use super::quote_bytes;

    #[test]
    fn gnu_forms() {
        assert_eq!(quote_bytes(b"a"), "'a'");
        assert_eq!(quote_bytes(b"a b"), "'a b'");
        assert_eq!(quote_bytes(b"it's"), "\"it's\"");
        assert_eq!(quote_bytes(b"a'b\"c"), "'a'\\''b\"c'");
        assert_eq!(quote_bytes(b"a\nb"), "'a'$'\\n''b'");
        assert_eq!(quote_bytes(b"\xffx"), "''$'\\377''x'");
        assert_eq!(quote_bytes(b""), "''");
    }
}
