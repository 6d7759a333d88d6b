//! GNU-style quoting in messages: file names (coreutils `quoteaf`: shell-escape-always) and
//! option values (gnulib `quote`, as argmatch uses it).

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
/// `LC_CTYPE`, `LANG` (the first that is set and not empty). The progress line asks too (its
/// `≥` is `>=` there).
pub(crate) fn c_locale() -> bool {
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
    let shown_raw = |c: char| !c.is_control() && (c.is_ascii() || !ascii_only);
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.chars().all(shown_raw) {
            if !text.contains('\'') {
                return format!("'{text}'");
            }
            if !text.contains(['"', '$', '`', '\\']) {
                return format!("\"{text}\"");
            }
        }
    }
    let mut mixed = Mixed::default();
    let mut rest = bytes;
    while !rest.is_empty() {
        let valid_len = match std::str::from_utf8(rest) {
            Ok(_) => rest.len(),
            Err(e) => e.valid_up_to(),
        };
        let chunk = std::str::from_utf8(&rest[..valid_len]).expect("valid prefix");
        for c in chunk.chars() {
            if c == '\'' {
                mixed.close();
                mixed.out.push_str("\\'");
            } else if shown_raw(c) {
                mixed.plain(c);
            } else {
                mixed.escape(&escaped_char(c));
            }
        }
        rest = &rest[valid_len..];
        if let Some((&bad, tail)) = rest.split_first() {
            mixed.escape(&format!("\\{bad:03o}"));
            rest = tail;
        }
    }
    mixed.finish()
}

/// A character shown in a `$'...'` escape: `\n`, `\t`, `\r`, else its UTF-8 bytes in octal.
fn escaped_char(c: char) -> String {
    match c {
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
    }
}

/// Which quotes are open in a name being written in the mixed form.
#[derive(PartialEq, Default)]
enum Open {
    #[default]
    None,
    Plain,
    Escaped,
}

/// GNU's mixed form: printable runs in single quotes, the rest in `$'...'` escapes (consecutive
/// escapes share one, as GNU writes them: `'a'$'\n\n''b'`).
#[derive(Default)]
struct Mixed {
    out: String,
    open: Open,
}

impl Mixed {
    fn close(&mut self) {
        if self.open != Open::None {
            self.out.push('\'');
            self.open = Open::None;
        }
    }

    fn plain(&mut self, c: char) {
        if self.open == Open::Escaped {
            self.close();
        }
        if self.open == Open::None {
            self.out.push('\'');
            self.open = Open::Plain;
        }
        self.out.push(c);
    }

    fn escape(&mut self, text: &str) {
        if self.open == Open::Plain {
            self.close();
        }
        if self.open == Open::None {
            self.out.push_str("$'");
            self.open = Open::Escaped;
        }
        self.out.push_str(text);
    }

    fn finish(mut self) -> String {
        self.close();
        if !self.out.starts_with('\'') {
            // GNU starts every such name with a quote: `''$'\377''x'`.
            self.out.insert_str(0, "''");
        }
        self.out
    }
}

/// Quotes an option value (or argmatch context) as gnulib's `quote` does, which GNU cp's
/// argmatch uses in `invalid argument '\377' for '--sparse'`: `'word'` with `\` and `'`
/// backslash-escaped, control characters as C escapes (`\t`, `\001`) and bytes that are not
/// UTF-8 in octal (`\377`); other non-ASCII characters in octal too in the C locale, shown as
/// they are in a UTF-8 one (where GNU also uses the quotes ‘’; fcopy keeps `'`).
pub fn argmatch_quote(bytes: &[u8]) -> String {
    argmatch_quote_in(bytes, c_locale())
}

/// [`argmatch_quote`] with the locale decided: `ascii_only` escapes non-ASCII characters.
fn argmatch_quote_in(bytes: &[u8], ascii_only: bool) -> String {
    let mut out = String::from("'");
    let octal = |out: &mut String, c: char| {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            out.push_str(&format!("\\{b:03o}"));
        }
    };
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' | '\'' => {
                    out.push('\\');
                    out.push(c);
                }
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x0b' => out.push_str("\\v"),
                c if c.is_control() || (ascii_only && !c.is_ascii()) => octal(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
    out.push('\'');
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
mod tests;
