//! The fcopy binary: parse, run, exit with the status the run reports.
#![forbid(unsafe_code)]

fn main() {
    let status = fcopy::run(std::env::args_os().collect());
    fcopy::signals::die_by_pending_signal();
    std::process::exit(status as i32);
}
