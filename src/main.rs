//! The fcopy binary: parse, run, exit with the status the run reports.
#![forbid(unsafe_code)]

fn main() {
    // First, before clap or anything else allocates: a failed allocation ends fcopy with
    // status 1 (GNU cp's `memory exhausted`), not by SIGABRT (issue 14).
    fcopy::signals::exit_1_when_memory_runs_out(fcopy::report::messages::MEMORY_EXHAUSTED);
    let status = fcopy::run(std::env::args_os().collect());
    fcopy::signals::die_by_pending_signal();
    std::process::exit(status as i32);
}
