//! A minimal JSON Lines writer for `--json` records (flat objects of strings and numbers).

use std::fmt::Write;
use std::path::Path;

/// One flat JSON object, built field by field.
pub struct JsonObject {
    text: String,
}

impl Default for JsonObject {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonObject {
    pub fn new() -> Self {
        JsonObject {
            text: String::from("{"),
        }
    }

    fn key(mut self, key: &str) -> Self {
        if self.text.len() > 1 {
            self.text.push(',');
        }
        push_string(&mut self.text, key);
        self.text.push(':');
        self
    }

    pub fn str(self, key: &str, value: &str) -> Self {
        let mut this = self.key(key);
        push_string(&mut this.text, value);
        this
    }

    /// A path: as a string, and when it is not UTF-8 (the string then has U+FFFD for each
    /// invalid sequence) also losslessly as `KEY_bytes`, the array of its bytes (0-255), so that
    /// `s/a\377` and `s/a\376` stay distinct (issue 13). Documented in the README.
    pub fn path(self, key: &str, value: &Path) -> Self {
        use std::os::unix::ffi::OsStrExt;
        let this = self.str(key, &value.to_string_lossy());
        if value.to_str().is_some() {
            return this;
        }
        let mut this = this.key(&format!("{key}_bytes"));
        this.text.push('[');
        for (i, b) in value.as_os_str().as_bytes().iter().enumerate() {
            if i > 0 {
                this.text.push(',');
            }
            let _ = write!(this.text, "{b}");
        }
        this.text.push(']');
        this
    }

    pub fn opt_str(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    pub fn num(self, key: &str, value: u64) -> Self {
        let mut this = self.key(key);
        let _ = write!(this.text, "{value}");
        this
    }

    pub fn opt_num(self, key: &str, value: Option<u64>) -> Self {
        match value {
            Some(v) => self.num(key, v),
            None => self.null(key),
        }
    }

    pub fn float(self, key: &str, value: f64) -> Self {
        let mut this = self.key(key);
        if value.is_finite() {
            let _ = write!(this.text, "{value:.3}");
        } else {
            this.text.push_str("null");
        }
        this
    }

    pub fn null(self, key: &str) -> Self {
        let mut this = self.key(key);
        this.text.push_str("null");
        this
    }

    pub fn finish(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
