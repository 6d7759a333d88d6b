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
    // Installed as cp, GNU cp's abbreviations mean what they mean in GNU cp.
    let abbreviations = if program == "cp" {
        cli::Abbreviations::GnuFirst
    } else {
        cli::Abbreviations::AllOptions
    };
    let argv = match cli::resolve_long_options(&mut command, argv, abbreviations) {
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
/// nothing. Rust's runtime reopens a closed descriptor 0-2 on `/dev/null` read-write before
/// `main` (seen with strace: `poll` reports `POLLNVAL` for fd 1, then `openat("/dev/null",
/// O_RDWR) = 1`), so the closed descriptor itself cannot be seen; its mark is a stdout that is
/// `/dev/null` (character device 1:3) opened read-write. A shell's `>/dev/null` opens it
/// write-only. A daemon (daemon(3), start-stop-daemon) points all three descriptors at one
/// read-write `/dev/null`: that is not taken for a closed stdout. Only `--help`/`--version`
/// look, so that no copy's exit status depends on this guess.
fn stdout_was_closed_at_start() -> bool {
    use std::os::fd::AsFd;
    fn reopened_null(fd: std::os::fd::BorrowedFd<'_>) -> bool {
        let is_null = rustix::fs::fstat(fd).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::CharacterDevice
                && st.st_rdev == rustix::fs::makedev(1, 3)
        });
        let read_write = rustix::fs::fcntl_getfl(fd)
            .is_ok_and(|fl| fl & rustix::fs::OFlags::RWMODE == rustix::fs::OFlags::RDWR);
        is_null && read_write
    }
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    reopened_null(stdout.as_fd())
        && !(reopened_null(stdin.as_fd()) && reopened_null(stderr.as_fd()))
}
