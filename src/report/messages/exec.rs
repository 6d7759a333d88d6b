//! Wording of the executor's errors ([`crate::exec`]): opening, copying, cloning, syncing, verifying.
