//! `--stats`: the run's numbers (the JSON summary's numbers, plus how many bytes were cloned
//! rather than copied). The reporter counts them and words them (`crate::report::stats`).

/// What a run did, counted by the reporter.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Files copied (regular files; directories, links and special files are not counted).
    pub copied: u64,
    /// Hard and symbolic links made by `-l` and `-s` (their targets' bytes are not counted).
    pub linked: u64,
    /// Files skipped (`-n`, `--update`, excluded by a filter).
    pub skipped: u64,
    /// Failures (files and other errors).
    pub failed: u64,
    /// Bytes written by copy_file_range, sendfile or read/write.
    pub bytes_copied: u64,
    /// Bytes shared with the source by reflinks (FICLONE): not written at all.
    pub bytes_cloned: u64,
}
