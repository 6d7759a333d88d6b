//! The plain values of the settings other parts of fcopy read (`--sparse`, `--reflink`,
//! `--method`, `--update`, `--progress`): no clap here; `crate::cli` maps the words onto them.

/// `--sparse=WHEN`: whether the destination gets holes (GNU cp's `--sparse`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum SparseWhen {
    /// `auto` (the default): keep the holes the source has (found with SEEK_DATA/SEEK_HOLE).
    #[default]
    Auto,
    /// `always`: also turn runs of zero bytes into holes.
    Always,
    /// `never`: write every byte, a fully allocated destination (no reflink, no copy_file_range).
    Never,
}

/// `--reflink[=WHEN]`: whether the destination shares the source's extents (a clone, FICLONE).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ReflinkWhen {
    /// `auto` (the default): clone where the filesystem can (btrfs, XFS), else copy.
    #[default]
    Auto,
    /// `always` (and bare `--reflink`): clone with FICLONE or fail.
    Always,
    /// `never`: never share extents; where the filesystem can clone, copy_file_range (which may
    /// clone) is avoided too.
    Never,
}

/// `--progress[=WHEN]`, `-g`: the progress bar on standard error.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProgressWhen {
    /// `auto` (the default): only on a terminal, to its foreground job, once a copy has run
    /// for about a second.
    Auto,
    /// `always` (bare `--progress`, `-g`).
    Always,
    /// `never`.
    Never,
}

/// `--update[=WHEN]`, `-u`: which existing destinations are replaced (GNU cp 9.5's values,
/// plus fcopy's `changed`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UpdateWhen {
    /// `all`: replace every existing destination (the default without `-u`).
    All,
    /// `none` (and `-n`): never replace an existing destination.
    None,
    /// `none-fail`: never replace, and fail if a destination exists.
    NoneFail,
    /// `older` (bare `-u`): replace only destinations older than their source.
    Older,
    /// `changed`: replace only regular files whose size or mtime differs from their source's
    /// (skips finished copies, issue 17).
    Changed,
}

/// `--method=METHOD`: how the bytes move.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum MethodChoice {
    /// `auto` (the default): reflink (per `--reflink`), then copy_file_range, then read/write.
    #[default]
    Auto,
    /// `copy-file-range`: copy_file_range(2) only; fail with the reason instead of falling back.
    CopyFileRange,
    /// `read-write`: read/write only, never the kernel copy.
    ReadWrite,
}
