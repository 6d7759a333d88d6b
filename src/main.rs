//! The fcopy binary: parse, run, exit with the status the run reports.
#![forbid(unsafe_code)]

// Links the crate that defines `pow` (and the rest of C's libm) in the executable, so that
// libm.so.6 is not loaded: see Cargo.toml. Nothing calls it by name.
use externc_libm as _;

fn main() {
    // First, before clap or anything else allocates: a failed allocation ends fcopy with
    // status 1 (GNU cp's `memory exhausted`), not by SIGABRT (issue 14).
    fcopy::signals::exit_1_when_memory_runs_out(fcopy::report::messages::MEMORY_EXHAUSTED);
    let status = fcopy::run(std::env::args_os().collect());
    fcopy::signals::die_by_pending_signal();
    std::process::exit(status as i32);
}
