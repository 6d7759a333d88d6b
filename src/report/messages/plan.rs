//! Wording of the planner's refusals ([`crate::plan`]): same file, ranges past the end, directories in the way.
