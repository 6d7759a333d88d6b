//! Unit tests of cp's rules for an existing destination: one or more per rule, no disk.
