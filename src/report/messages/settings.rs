//! Wording of the settings step's usage errors: the command line (GNU getopt's words), flag
//! conflicts, backup control words and cp's operand grammar.

use std::fmt;

use crate::cli::OptionError;
use crate::report::quote_bytes;

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionError::Unrecognized(arg) => {
                write!(f, "unrecognized option '{}'", arg.to_string_lossy())
            }
            OptionError::Ambiguous { prefix, candidates } => {
                let list: Vec<String> = candidates.iter().map(|c| format!("'--{c}'")).collect();
                write!(
                    f,
                    "option '--{}' is ambiguous; possibilities: {}",
                    prefix.to_string_lossy(),
                    list.join(" ")
                )
            }
            OptionError::NoArgumentAllowed(name) => {
                write!(f, "option '--{name}' doesn't allow an argument")
            }
            OptionError::RequiresArgument(name) => {
                write!(f, "option '--{name}' requires an argument")
            }
            OptionError::ShortRequiresArgument(c) => {
                write!(f, "option requires an argument -- '{c}'")
            }
            OptionError::InvalidShort(c) => write!(f, "invalid option -- '{c}'"),
            OptionError::InvalidArgument {
                option,
                value,
                valid,
            } => {
                write!(
                    f,
                    "invalid argument {} for '{option}'\nValid arguments are:",
                    quote_bytes(value.as_bytes())
                )?;
                valid.iter().try_for_each(|v| write!(f, "\n  - '{v}'"))
            }
            OptionError::Other(text) => f.write_str(text),
        }
    }
}
