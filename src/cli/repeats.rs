//! Options that must not be given twice. clap's `args_override_self` keeps the last value of a
//! repeated option, which for these would silently drop work (new-user trial, round 9:
//! `--batch j1 --batch j2` ran only j2), so they collect every value ([`mark_single`]) and a
//! repeat is refused before anything is copied ([`check`]).

use clap::{ArgAction, ArgMatches, Command};

use super::OptionError;

/// The options (clap ids) whose repeat is refused, as GNU cp names them in messages.
/// `-t`: GNU cp 9.1 cp.c dies with "multiple target directories specified". fcopy's own:
/// the lists of `--batch` and `--files-from` (running one of them and not the other would
/// drop jobs; refusing up front is the safe choice, and rsync, which keeps the last
/// `--files-from`, is the surprise the user met), and the byte range (`--offset-in`,
/// `--offset-out`, `--len`), whose lost value changes which bytes are copied. Options GNU cp
/// takes the last of (`-S`, `--backup`, `--sparse`, `--reflink`, `--update`) and fcopy's
/// choices of how to copy (`--method`, `-j`, `--progress`) keep the last value.
pub const SINGLE: &[(&str, &str)] = &[
    ("target_directory", "--target-directory"),
    ("batch", "--batch"),
    ("files_from", "--files-from"),
    ("offset_in", "--offset-in"),
    ("offset_out", "--offset-out"),
    ("len", "--len"),
];

/// `cmd` with each option of [`SINGLE`] collecting every value it is given, so that
/// [`check`] can count them (the settings read the first; a repeat never gets that far).
pub fn mark_single(cmd: Command) -> Command {
    SINGLE.iter().fold(cmd, |cmd, (id, _)| {
        cmd.mut_arg(*id, |a| a.action(ArgAction::Append))
    })
}

/// Refuses an option of [`SINGLE`] given more than once.
///
/// # Errors
/// [`OptionError::MultipleTargetDirectories`] for `-t` twice (GNU's message, exit 1, no
/// "Try --help" line, as GNU's `die`), else [`OptionError::Repeated`] naming the option.
pub fn check(m: &ArgMatches) -> Result<(), OptionError> {
    for (id, name) in SINGLE {
        let given = m.indices_of(id).map_or(0, |i| i.len());
        if given <= 1 {
            continue;
        }
        return Err(match *id {
            "target_directory" => OptionError::MultipleTargetDirectories,
            _ => OptionError::Repeated((*name).to_owned()),
        });
    }
    Ok(())
}

impl OptionError {
    /// Whether GNU follows the message with "Try '--help'" (not after its `die` for `-t`).
    pub fn try_help(&self) -> bool {
        !matches!(self, OptionError::MultipleTargetDirectories)
    }
}
