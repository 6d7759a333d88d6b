//! The first step of a run: `argv` to clap's [`Args`], with GNU's long-option rules first; help
//! and version are printed here (exit 0), and parse errors are usage errors (exit 1).

use std::ffi::OsString;
use std::io::Write as _;

use clap::FromArgMatches;

use crate::cli::{self, Args, FlagPositions, OptionError};
use crate::report::{ExitCode, Reporter};

/// Parses argv with clap; help and version exit 0, usage errors exit 1 with GNU's hint line.
/// A command line of operands and cp's common one-letter flags needs no clap
/// ([`cli::quick::quick_parse`]).
pub fn parse_args(program: &str, argv: Vec<OsString>) -> Result<(Args, FlagPositions), ExitCode> {
    if let Some(quick) = cli::quick_parse(&argv) {
        return Ok(quick);
    }
    let mut command = cli::command(program);
    let argv = match cli::resolve_long_options(&mut command, argv) {
        Ok(argv) => argv,
        Err(e) => return Err(usage_error(program, &e)),
    };
    let matches = command.try_get_matches_from(argv);
    if let Ok(m) = &matches {
        cli::repeats::check(m).map_err(|e| usage_error(program, &e))?;
    }
    let parsed = matches
        .and_then(|m| Args::from_arg_matches(&m).map(|a| (a, FlagPositions::from_matches(m))));
    parsed.map_err(|e| {
        use clap::error::ErrorKind;
        match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                print_help_or_version(program, &e.render().to_string())
            }
            _ => usage_error(program, &OptionError::from_clap(&e)),
        }
    })
}

fn usage_error(program: &str, e: &OptionError) -> ExitCode {
    Reporter::new(program.to_owned()).usage_error(&e.to_string(), e.try_help());
    ExitCode::Failure
}

/// `--help` or `--version`: clap's text on standard output. This is the one text fcopy writes
/// to standard output around the [`Reporter`]: it comes before a run exists and the Reporter
/// has no line for clap's rendered help. Into a full disk (`>/dev/full`) it is a write error,
/// exit 1, as in GNU; that error is reported through the Reporter.
fn print_help_or_version(program: &str, text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let written = if stdout_was_closed_at_start() {
        Err(std::io::Error::from_raw_os_error(
            rustix::io::Errno::BADF.raw_os_error(),
        ))
    } else {
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    };
    match written {
        Ok(()) => ExitCode::Success,
        Err(err) => {
            drop(out);
            let mut reporter = Reporter::new(program.to_owned());
            reporter.stdout_taken = true;
            reporter.error(&HelpWriteError(err).to_string());
            ExitCode::Failure
        }
    }
}

/// `--help`/`--version` text that could not be written (worded in
/// `report/messages/settings.rs` as GNU's `write error`).
#[derive(Debug)]
pub struct HelpWriteError(pub std::io::Error);

/// Whether standard output was closed when fcopy started (`fcopy --help >&-`), so that help and
/// version fail with GNU's `write error: Bad file descriptor` (exit 1) instead of writing into
/// nothing: how it is told, and the daemon's exception, are in [`crate::stdio`] (which copies
/// and `-v`/`--json` output heed too since round 9).
fn stdout_was_closed_at_start() -> bool {
    crate::stdio::stdout_closed()
}
