//! All of fcopy's wording: the typed errors and events of each part of the program, rendered as
//! GNU cp's texts (quoting by [`crate::report::quote`]). The parts that raise them (the planner,
//! the executor, attribute preservation, the walk, the settings step) never format a message
//! themselves; each file here implements `Display` for one part's types.

pub mod exec;
pub mod meta;
pub mod plan;
pub mod settings;
pub mod walk;
