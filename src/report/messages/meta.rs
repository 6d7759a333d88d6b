//! Wording of attribute preservation's problems ([`crate::meta`]): owner, mode, times, ACLs and xattrs.

use std::fmt;

use crate::meta::{BadAttrList, MetaAttribute, MetaError};
use crate::report::{argmatch_quote, quote};

use super::errno;

/// GNU cp's texts, from coreutils src/copy.c: `failed to preserve ownership for %s`
/// (`set_owner`), `setting attributes for %s` (`copy_attr`'s error handler), `preserving
/// permissions for %s` (`copy_acl`/`set_acl`, lib/copy-acl.c and lib/set-acl.c), `preserving
/// times for %s` (`copy_internal`), each followed by `: ` and the errno's text.
impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.attribute {
            MetaAttribute::Ownership => "failed to preserve ownership for",
            MetaAttribute::Xattrs => "setting attributes for",
            MetaAttribute::Permissions => "preserving permissions for",
            MetaAttribute::Times => "preserving times for",
        };
        write!(f, "{what} {}: {}", quote(&self.path), errno(self.errno))
    }
}

/// GNU's `argmatch` text for a bad `--preserve` list (gnulib lib/argmatch.c
/// `argmatch_invalid` + `argmatch_valid`, with cp's list of attributes).
impl fmt::Display for BadAttrList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} argument {} for {}\nValid arguments are:",
            if self.ambiguous {
                "ambiguous"
            } else {
                "invalid"
            },
            argmatch_quote(self.word.as_bytes()),
            argmatch_quote(self.flag.as_bytes())
        )?;
        let words = crate::cli::values::PRESERVE_WORDS;
        super::settings::valid_words(f, words.iter().map(|w| std::iter::once(*w)))
    }
}

#[cfg(test)]
mod tests;
