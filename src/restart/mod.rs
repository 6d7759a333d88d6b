//! Restartable copies (issue 17): skip what is already there (`--update=changed`, with
//! `--checksum` comparing contents too), finish what an interrupted run left (`--resume`), check
//! what was written (`--verify`), choose what a tree copy takes (`--exclude`, `--include`,
//! `--exclude-from`), make missing destination directories (`--mkpath`) and summarize the run
//! (`--stats`), and read SOURCE names from a list (`--files-from`).
//!
//! The flags are in [`cli`]; the rest of fcopy reaches this module through a few calls: the
//! copier asks [`update_changed`] and [`resume`] before planning a file and [`filter`] for each
//! tree entry, the executor calls [`verify`](crate::exec::verify) after the data, and the reporter prints [`stats`].

pub mod cli;
pub mod files_from;
pub mod filter;
pub mod mkpath;
pub mod resume;
pub mod stats;
pub mod update_changed;

use std::sync::Arc;

use self::filter::Filter;

/// The restart options of a run, resolved from [`cli::RestartArgs`].
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// `--resume`: complete a shorter DEST whose tail matches; keep partial files on failure.
    pub resume: bool,
    /// `--verify`: compare SOURCE and DEST after the data, before metadata and rename.
    pub verify: bool,
    /// `--verify=hash`: also hash both (BLAKE3) and report the digest.
    pub verify_hash: bool,
    /// `--exclude`/`--include`/`--exclude-from`, if any were given.
    pub filter: Option<Arc<Filter>>,
    /// `--stats`: a summary on standard error at the end.
    pub stats: bool,
    /// `--mkpath`: create missing destination directories (`-t DIR`, batch jobs).
    pub mkpath: bool,
    /// `--checksum`: `--update=changed` compares contents when size and mtime match.
    pub checksum: bool,
    /// `--files-from=FILE`: more SOURCE operands, read from FILE (see [`files_from`]).
    pub files_from: Option<std::path::PathBuf>,
}

impl Settings {
    /// Resolves the flags; `Err` is a usage error (exit 1, "Try --help"): an unreadable
    /// `--exclude-from` file. The conflicts of these flags with others (`--resume` with a range
    /// or `--atomic`, `--update=changed` with a range) are rows of
    /// [`crate::options::conflicts::CONFLICTS`].
    pub fn resolve(all: &crate::cli::Args) -> Result<Settings, filter::FilterError> {
        let args = &all.restart;
        let filter = Filter::from_args(args)?.map(Arc::new);
        Ok(Settings {
            resume: args.resume,
            verify: args.verify.is_some(),
            verify_hash: args.verify == Some(cli::VerifyHow::Hash),
            filter,
            stats: args.stats,
            mkpath: args.mkpath,
            checksum: args.checksum,
            files_from: args.files_from.clone(),
        })
    }

    /// What one job carries under these settings and `--update`'s `update`, resumed from
    /// `resumed_from` (bytes) if `--resume`'s check passed.
    pub fn job(
        &self,
        resumed_from: Option<u64>,
        update: crate::options::values::UpdateWhen,
    ) -> crate::plan::JobRestart {
        crate::plan::JobRestart {
            verify: self.verify,
            verify_hash: self.verify_hash,
            resumed_from,
            keep_partial: self.resume,
            keep_unverified: self.resume && later_runs_look_again(update),
        }
    }

    /// How `--update=changed` looks at a DEST the rules are deciding about (`f`): with
    /// `--checksum` at its contents too, never following a symbolic link the walk does not.
    pub fn check(&self, f: &crate::plan::replace::Facts) -> update_changed::Check {
        update_changed::Check {
            contents: self.checksum,
            src_nofollow: f.source.nofollow,
            dst_nofollow: f.existing.as_ref().is_none_or(|e| !e.name_is_symlink),
        }
    }
}

/// Whether a later run with the same `--update` looks again at a DEST as long as SOURCE and
/// newer than it ([`crate::plan::JobRestart::keep_unverified`]): not `-u` (`older`) nor `-n`
/// (`none`, `none-fail`), which skip it; the default (`all`) and `changed` (its time differs)
/// resume it, and `--verify` then checks it.
fn later_runs_look_again(update: crate::options::values::UpdateWhen) -> bool {
    use crate::options::values::UpdateWhen;
    !matches!(
        update,
        UpdateWhen::Older | UpdateWhen::None | UpdateWhen::NoneFail
    )
}
