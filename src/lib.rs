//! fcopy: a cp-style copy tool built on copy_file_range(2).
//!
//! The pipeline ([`app`] runs it): [`cli`] parses flags into [`cli::Args`]; [`options`] turns
//! them into plain settings and cp's operands into targets; [`plan`] turns those and the files'
//! metadata ([`facts`], gathered by [`exec::probe`]) into [`plan::Job`]s with a strategy;
//! [`drive`] walks every operand (file, tree, stream, batch job), plans each entry and hands it
//! to [`exec`], which performs it; [`report`] owns every message, record and the exit status.
#![forbid(unsafe_code)]

pub mod app;
pub mod backup;
pub mod batch;
pub mod cli;
pub mod drive;
pub mod exec;
pub mod facts;
pub mod limits;
pub mod meta;
pub mod options;
pub mod plan;
pub mod pool;
pub mod procfd;
pub mod report;
pub mod restart;
pub mod signals;
pub mod units;

pub use crate::app::program_name;

/// Runs fcopy with these arguments (including `argv[0]`) and returns the exit status (the
/// steps are in [`app`]).
pub fn run(argv: Vec<std::ffi::OsString>) -> report::ExitCode {
    app::run(argv)
}
