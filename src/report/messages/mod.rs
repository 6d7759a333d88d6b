//! All of fcopy's wording: the typed errors and events of each part of the program, rendered as
//! GNU cp's texts (quoting by [`crate::report::quote`]). The parts that raise them (the planner,
//! the executor, attribute preservation, the walk, the settings step) never format a message
//! themselves; each file here implements `Display` for one part's types.

pub mod exec;
pub mod meta;
pub mod plan;
pub mod restart;
pub mod settings;
pub mod walk;

use std::io;

/// The text of an errno as GNU prints it after a colon (`strerror`): `Permission denied`,
/// without Rust's ` (os error 13)`.
pub(crate) fn errno(e: rustix::io::Errno) -> String {
    io_error(&io::Error::from(e))
}

/// The text of an I/O error without Rust's ` (os error N)` suffix (`No such file or
/// directory`); an error that is not an errno keeps its own text.
pub(crate) fn io_error(e: &io::Error) -> String {
    let full = e.to_string();
    match full.find(" (os error ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    }
}

/// What fcopy says, after `PROGRAM: `, when an allocation fails and the run ends with status 1:
/// GNU's `xalloc_die` text (gnulib `xalloc-die.c`, `cp: memory exhausted`).
pub const MEMORY_EXHAUSTED: &str = "memory exhausted";
