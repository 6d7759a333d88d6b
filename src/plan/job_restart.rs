//! The restartable-copy part of a job (`--verify`, `--resume`): plain data the executor obeys.

/// What one job carries for restartable copies (part of [`super::Job`]; made by
/// [`crate::restart::Settings::job`]).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct JobRestart {
    /// `--verify`: compare after the data.
    pub verify: bool,
    /// `--resume` found DEST's first bytes already copied: the job copies from this offset.
    pub resumed_from: Option<u64>,
    /// `--resume`: a failed or interrupted copy keeps what it wrote.
    pub keep_partial: bool,
    /// `--resume`, and a later run looks at a DEST as long as SOURCE again (not `-u` or `-n`,
    /// which skip it as new): a copy stopped while `--verify` read it back is kept for that
    /// run to verify. Under `-u` such a DEST, unverified and without `-a`'s attributes, was
    /// skipped by every later run (red team, round 15); it is removed as before.
    pub keep_unverified: bool,
    /// `--verify=hash`: hash both files while comparing; the digest goes in the outcome.
    pub verify_hash: bool,
}
