//! The settings step: clap's parsed [`Args`] (and `VERSION_CONTROL`, `SIMPLE_BACKUP_SUFFIX`)
//! become one plain [`Config`]. GNU cp's order-dependent rules are in [`order`], the flag
//! conflicts in one table in [`conflicts`], cp's operand grammar in [`operands`], the values
//! other modules read in [`values`]. No clap type is needed past this step.

use std::ffi::OsString;

use self::conflicts::{Conflict, Given};
use self::values::{ProgressWhen, UpdateWhen};
use crate::backup::{self, BackupControl};
use crate::cli::{Args, OptionError};
use crate::plan::{CopyOptions, RangeArgs};

pub mod conflicts;
pub mod jobs;
pub mod operands;
pub mod order;
pub mod values;

pub use self::jobs::{
    default_jobs, jobs_within_address_space_limit, MIN_ADDRESS_SPACE_FOR_WORKERS,
};

/// A command-line usage problem (exit status 1). Worded in `report/messages/settings.rs`.
#[derive(Debug)]
pub enum UsageError {
    /// The command line cannot be parsed (GNU getopt's errors, invalid values).
    Option(OptionError),
    /// Two settings that cannot be used together.
    Conflict(Conflict),
    /// An invalid `--preserve`/`--no-preserve` list.
    Attributes(crate::meta::BadAttrList),
    /// An invalid `--backup` word or `VERSION_CONTROL`.
    BackupControl(backup::ControlError),
    /// An invalid restart setting, e.g. an unreadable `--exclude-from` file.
    Restart(crate::restart::filter::FilterError),
    /// A `--files-from` list that cannot be read, or has nowhere to go.
    FilesFrom(crate::restart::files_from::FilesFromError),
    /// Operands that cp's grammar cannot pair up.
    Operand(operands::OperandError),
    /// `--preserve=context` asked for explicitly: fcopy copies no SELinux context, so it fails
    /// before copying anything, as GNU cp does without an SELinux-enabled kernel (cp.c).
    ContextRequired,
}

impl UsageError {
    /// Whether "Try 'fcopy --help' for more information." follows the message, as GNU's
    /// `usage (EXIT_FAILURE)` adds (errors about files given are reported without it).
    pub fn try_help(&self) -> bool {
        match self {
            UsageError::Conflict(c) => c.try_help(),
            UsageError::Operand(o) => o.try_help(),
            // An unreadable list is an error about a file, as GNU reports those.
            UsageError::FilesFrom(e) => {
                matches!(e, crate::restart::files_from::FilesFromError::NoDestination)
            }
            // An --exclude-from file that cannot be read is an I/O error about a file, not
            // about the command line: no hint (as GNU reports files it cannot read).
            UsageError::Restart(e) => {
                !matches!(e, crate::restart::filter::FilterError::Unreadable { .. })
            }
            UsageError::Option(_) | UsageError::Attributes(_) | UsageError::BackupControl(_) => {
                true
            }
            UsageError::ContextRequired => false,
        }
    }
}

impl From<Conflict> for UsageError {
    fn from(c: Conflict) -> UsageError {
        UsageError::Conflict(c)
    }
}

impl From<OptionError> for UsageError {
    fn from(e: OptionError) -> UsageError {
        UsageError::Option(e)
    }
}

impl From<operands::OperandError> for UsageError {
    fn from(e: operands::OperandError) -> UsageError {
        UsageError::Operand(e)
    }
}

/// The copy options alone, after the conflict table (without backups, which need the
/// environment: [`resolve`] checks them).
pub fn resolve_options(args: &Args) -> Result<CopyOptions, UsageError> {
    conflicts::check(&Given {
        args,
        backup: false,
    })?;
    Ok(copy_options(args))
}

/// The options every job carries, as given (`preserve` is filled in by [`resolve`]).
fn copy_options(args: &Args) -> CopyOptions {
    let range = args.is_ranged().then(|| RangeArgs {
        offset_in: args.offset_in.clone(),
        offset_out: args.offset_out.clone(),
        len: args.len.clone(),
        names: crate::plan::RangeNames::Options,
    });
    CopyOptions {
        sparse: args.sparse,
        reflink: args.reflink,
        method: args.method,
        range,
        no_clobber: args.no_clobber,
        force: args.force,
        preserve: crate::meta::Preserve::default(),
        atomic: args.atomic,
        sync: args.sync,
    }
}

/// Which symbolic links in SOURCE are followed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Deref {
    /// `-L`
    Always,
    /// `-H`
    CommandLine,
    /// `-P`, and the default with `-r`
    Never,
}

/// What to make at the destination.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LinkMode {
    /// Copy the data (the default).
    Copy,
    /// `-l`
    Hard,
    /// `-s`
    Symbolic,
}

/// Backups of replaced destinations (`-b`, `--backup`, `-S`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    /// Simple, numbered or existing (never `None` here: no backups is `Config::backup: None`).
    pub control: BackupControl,
    /// The simple-backup suffix (`-S`, `SIMPLE_BACKUP_SUFFIX`, else `~`).
    pub suffix: OsString,
}

/// Everything a run needs to know, resolved from the flags and the environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// What every job carries: data strategy flags, range, attributes, `--atomic`, `--sync`.
    pub copy: CopyOptions,
    /// `-r`/`-R`/`-a`.
    pub recursive: bool,
    /// `-T`: DEST is the copy itself, never a directory to copy into (also for `--batch` lines).
    pub no_target_directory: bool,
    /// Which symbolic links in SOURCE are followed (`-L`/`-P`/`-H`, last wins).
    pub deref: Deref,
    /// `-x`.
    pub one_file_system: bool,
    /// `-l`, `-s`, or a copy.
    pub link: LinkMode,
    /// Which existing destinations are replaced (`-u`, `--update`, `-n` = `none`).
    pub update: UpdateWhen,
    /// `-i`.
    pub interactive: bool,
    /// `--remove-destination`.
    pub remove_destination: bool,
    /// Backups of replaced destinations, if any are made.
    pub backup: Option<Backup>,
    /// `--parents`.
    pub parents: bool,
    /// `--attributes-only`.
    pub attributes_only: bool,
    /// `--copy-contents`.
    pub copy_contents: bool,
    /// `--strip-trailing-slashes`.
    pub strip_trailing_slashes: bool,
    /// `--keep-directory-symlink`.
    pub keep_directory_symlink: bool,
    /// `--no-preserve=mode` was given (and not overridden): new files get default permissions.
    pub no_preserve_mode: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--batch FILE`
    pub batch: Option<std::path::PathBuf>,
    /// `-0`: NUL-separated batch input.
    pub null: bool,
    /// Worker threads (`-j`).
    pub jobs: usize,
    /// `--progress`, `-g`.
    pub progress: ProgressWhen,
    /// `--atomic`.
    pub atomic: bool,
    /// `--sync`.
    pub sync: bool,
    /// `-v`.
    pub verbose: bool,
    /// `--debug`.
    pub debug: bool,
    /// `--json`.
    pub json: bool,
    /// `--resume`, `--verify`, filters, `--stats`, `--mkpath`.
    pub restart: crate::restart::Settings,
}

/// `-b`, `--backup[=CONTROL]`, `-S SUFFIX` with `VERSION_CONTROL` and `SIMPLE_BACKUP_SUFFIX`:
/// `None` when no backups are made (not asked for, or control `none`).
fn resolve_backup(args: &Args) -> Result<Option<Backup>, UsageError> {
    if args.backup.is_none() && !args.backup_default && args.suffix.is_none() {
        return Ok(None);
    }
    let word = args.backup.as_deref().filter(|w| !w.is_empty());
    let env = match std::env::var_os("VERSION_CONTROL").map(|v| v.into_string()) {
        // GNU reads it only without a --backup word, and words bytes that are not UTF-8
        // as argmatch does: "invalid argument '\377' for '$VERSION_CONTROL'".
        Some(Err(bytes)) if word.is_none() && !bytes.is_empty() => {
            return Err(UsageError::Option(
                crate::cli::OptionError::InvalidArgument {
                    option: backup::ENV_CONTEXT.to_owned(),
                    value: std::os::unix::ffi::OsStringExt::into_vec(bytes),
                    valid: crate::cli::values::backup_word_groups(),
                    ambiguous: false,
                },
            ))
        }
        Some(text) => text.ok(),
        None => None,
    };
    let control = backup::resolve_control(word, env.as_deref().filter(|v| !v.is_empty()))
        .map_err(UsageError::BackupControl)?;
    let env_suffix = std::env::var_os("SIMPLE_BACKUP_SUFFIX");
    let suffix = backup::resolve_suffix(args.suffix.as_deref(), env_suffix.as_deref());
    Ok((control != BackupControl::None).then_some(Backup { control, suffix }))
}

/// `-l`, `-s` or a copy (the conflict table refuses both).
fn link_mode(args: &Args) -> LinkMode {
    if args.link {
        LinkMode::Hard
    } else if args.symbolic_link {
        LinkMode::Symbolic
    } else {
        LinkMode::Copy
    }
}

/// Resolves flags (and `VERSION_CONTROL`, `SIMPLE_BACKUP_SUFFIX`) into a [`Config`]: values
/// first (attribute lists and backup words are checked as they are read), then the conflict
/// table, then the restart settings.
pub fn resolve(args: &Args, m: &crate::cli::FlagPositions) -> Result<Config, UsageError> {
    let recursive = args.recursive || args.archive;
    let (preserve, no_preserve_mode) = order::resolve_preserve(args, m)?;
    let backup = resolve_backup(args)?;
    conflicts::check(&Given {
        args,
        backup: backup.is_some(),
    })?;
    // A range with -P/-d is refused only for a symbolic link SOURCE, which the drive layer
    // finds ([`crate::plan::range::range_of_symlink`]).
    let deref = order::resolve_deref(args, m, recursive);
    let restart = crate::restart::Settings::resolve(args).map_err(UsageError::Restart)?;
    let mut copy = copy_options(args);
    copy.preserve = preserve;
    // `-n` is `--update=none` in [`Config::update`]; jobs do not check it again.
    copy.no_clobber = false;
    Ok(Config {
        restart,
        copy,
        recursive,
        no_target_directory: args.no_target_directory,
        deref,
        one_file_system: args.one_file_system,
        link: link_mode(args),
        update: if args.no_clobber {
            UpdateWhen::None
        } else {
            args.update.unwrap_or(UpdateWhen::All)
        },
        interactive: args.interactive,
        remove_destination: args.remove_destination,
        backup,
        parents: args.parents,
        attributes_only: args.attributes_only,
        copy_contents: args.copy_contents,
        strip_trailing_slashes: args.strip_trailing_slashes,
        keep_directory_symlink: args.keep_directory_symlink,
        no_preserve_mode,
        dry_run: args.dry_run,
        batch: args.batch.clone(),
        null: args.null,
        jobs: jobs::resolve_jobs(args, recursive),
        progress: if args.progress_always {
            ProgressWhen::Always
        } else {
            args.progress.unwrap_or(ProgressWhen::Auto)
        },
        atomic: args.atomic,
        sync: args.sync,
        verbose: args.verbose,
        debug: args.debug,
        json: args.json,
    })
}

/// Whether `POSIXLY_CORRECT` is set (read once per run). GNU cp writes through a dangling
/// DEST symlink under it (tests/cp/thru-dangling.sh), and fcopy makes a declined `-i` exit 1
/// under it, as POSIX specifies (see `app::finish`).
pub fn posixly_correct() -> bool {
    static SET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SET.get_or_init(|| std::env::var_os("POSIXLY_CORRECT").is_some())
}
