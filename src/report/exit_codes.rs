//! The exit statuses fcopy uses (as fd's `exit_codes.rs`): 0, 1 as GNU cp, and 128 plus the
//! signal's number after SIGINT or SIGTERM, as a shell reports a process the signal killed.

/// The exit statuses fcopy uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    /// Anything failed, usage errors included (as GNU cp).
    Failure = 1,
    /// SIGINT.
    Interrupted = 130,
    /// SIGTERM.
    Terminated = 143,
}
