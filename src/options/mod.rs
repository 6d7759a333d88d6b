//! Resolving parsed flags into one plain `Config`: GNU cp's order-dependent rules (last of
//! -L/-P/-H wins, --preserve and --no-preserve in order), backups and their environment.

use std::ffi::OsString;

use clap::ArgMatches;

use self::values::{MethodChoice, ProgressWhen, ReflinkWhen, SparseWhen, UpdateWhen};
use crate::backup::{self, BackupControl};
use crate::cli::Args;
use crate::meta::{Attrs, Preserve};
use crate::plan::{CopyOptions, RangeArgs};

pub mod operands;
pub mod values;

/// A command-line usage problem: the message, and whether to add "Try '... --help'".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError {
    pub message: String,
    pub try_help: bool,
}

impl UsageError {
    fn new(message: impl Into<String>, try_help: bool) -> UsageError {
        UsageError {
            message: message.into(),
            try_help,
        }
    }
}

/// Checks flag combinations that no file can make valid, and resolves the copy options.
pub fn resolve_options(args: &Args) -> Result<CopyOptions, UsageError> {
    if args.reflink == ReflinkWhen::Always && args.sparse != SparseWhen::Auto {
        return Err(UsageError::new(
            "--reflink can be used only with --sparse=auto",
            true,
        ));
    }
    if args.method == MethodChoice::CopyFileRange && args.reflink == ReflinkWhen::Never {
        return Err(UsageError::new(
            "--method=copy-file-range conflicts with --reflink=never (copy_file_range may clone)",
            true,
        ));
    }
    if args.method == MethodChoice::CopyFileRange && args.sparse == SparseWhen::Never {
        return Err(UsageError::new(
            "--method=copy-file-range conflicts with --sparse=never (it writes every byte with write)",
            true,
        ));
    }
    if args.method == MethodChoice::CopyFileRange && args.sparse == SparseWhen::Always {
        return Err(UsageError::new(
            "--method=copy-file-range conflicts with --sparse=always (finding zeros needs read/write)",
            true,
        ));
    }
    if args.method == MethodChoice::ReadWrite && args.reflink == ReflinkWhen::Always {
        return Err(UsageError::new(
            "--method=read-write conflicts with --reflink=always",
            true,
        ));
    }
    let range = args.is_ranged().then(|| RangeArgs {
        offset_in: args.offset_in.clone(),
        offset_out: args.offset_out.clone(),
        len: args.len.clone(),
    });
    Ok(CopyOptions {
        sparse: args.sparse,
        reflink: args.reflink,
        method: args.method,
        range,
        no_clobber: args.no_clobber,
        force: args.force,
        preserve: Preserve::default(),
        atomic: args.atomic,
        sync: args.sync,
    })
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
    Copy,
    /// `-l`
    Hard,
    /// `-s`
    Symbolic,
}

/// Backups of replaced destinations (`-b`, `--backup`, `-S`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    pub control: BackupControl,
    pub suffix: OsString,
}

/// Everything a run needs to know, resolved from the flags and the environment.
#[derive(Clone, Debug)]
pub struct Config {
    pub copy: CopyOptions,
    pub recursive: bool,
    pub deref: Deref,
    pub one_file_system: bool,
    pub link: LinkMode,
    pub update: UpdateWhen,
    pub interactive: bool,
    pub remove_destination: bool,
    pub backup: Option<Backup>,
    pub parents: bool,
    pub attributes_only: bool,
    pub copy_contents: bool,
    pub strip_trailing_slashes: bool,
    pub keep_directory_symlink: bool,
    /// `--no-preserve=mode` was given (and not overridden): new files get default permissions.
    pub no_preserve_mode: bool,
    pub dry_run: bool,
    /// `--batch FILE`
    pub batch: Option<std::path::PathBuf>,
    /// `-0`: NUL-separated batch input.
    pub null: bool,
    /// Worker threads (`-j`).
    pub jobs: usize,
    pub progress: ProgressWhen,
    pub atomic: bool,
    pub sync: bool,
    pub verbose: bool,
    pub debug: bool,
    pub json: bool,
    /// `--resume`, `--verify`, filters, `--stats`, `--mkpath`.
    pub restart: crate::restart::Settings,
}

/// The position of the last occurrence of a flag on the command line (0: not given).
fn last_index(m: &ArgMatches, id: &str, given: bool) -> usize {
    if !given {
        return 0;
    }
    m.indices_of(id).and_then(|i| i.max()).unwrap_or(0)
}

/// Resolves flags (and `VERSION_CONTROL`, `SIMPLE_BACKUP_SUFFIX`) into a [`Config`].
pub fn resolve(args: &Args, m: &ArgMatches) -> Result<Config, UsageError> {
    let mut copy = resolve_options(args)?;
    let usage = |message: String| UsageError {
        message,
        try_help: true,
    };

    // -L, -P, -H, -a and -d: the last one wins, as in GNU cp.
    let deref_flags = [
        (
            last_index(m, "dereference", args.dereference),
            Some(Deref::Always),
        ),
        (
            last_index(m, "no_dereference", args.no_dereference),
            Some(Deref::Never),
        ),
        (
            last_index(m, "dereference_command_line", args.dereference_command_line),
            Some(Deref::CommandLine),
        ),
        (last_index(m, "archive", args.archive), Some(Deref::Never)),
        (
            last_index(m, "no_deref_preserve_links", args.no_deref_preserve_links),
            Some(Deref::Never),
        ),
    ];
    let recursive = args.recursive || args.archive;
    let explicit_deref = deref_flags
        .iter()
        .filter(|(i, _)| *i > 0)
        .max_by_key(|(i, _)| *i)
        .and_then(|(_, d)| *d);
    let deref = explicit_deref.unwrap_or(if recursive && !args.link {
        Deref::Never
    } else {
        Deref::Always
    });

    // --preserve / --no-preserve / -p / -a / -d, applied in command-line order.
    let mut events: Vec<(usize, Attrs, bool, bool)> = Vec::new(); // (index, attrs, add, explicit)
    if args.archive {
        events.push((last_index(m, "archive", true), Attrs::ALL, true, false));
    }
    if args.no_deref_preserve_links {
        let links = Attrs {
            links: true,
            ..Attrs::default()
        };
        events.push((
            last_index(m, "no_deref_preserve_links", true),
            links,
            true,
            false,
        ));
    }
    if args.preserve_default {
        events.push((
            last_index(m, "preserve_default", true),
            Attrs::P,
            true,
            false,
        ));
    }
    for (id, add) in [("preserve", true), ("no_preserve", false)] {
        let (Some(values), Some(indices)) = (m.get_many::<String>(id), m.indices_of(id)) else {
            continue;
        };
        let flag = if add { "--preserve" } else { "--no-preserve" };
        for (value, index) in values.zip(indices) {
            let attrs = Attrs::parse_list(value, flag).map_err(usage)?;
            events.push((index, attrs, add, add));
        }
    }
    events.sort_by_key(|e| e.0);
    let mut preserve = Preserve::default();
    let mut no_preserve_mode = false;
    for (_, attrs, add, explicit) in events {
        if attrs.mode {
            no_preserve_mode = !add;
        }
        if add {
            preserve.attrs = preserve.attrs.union(attrs);
            if explicit {
                preserve.required = preserve.required.union(attrs);
            }
        } else {
            preserve.attrs = preserve.attrs.minus(attrs);
            preserve.required = preserve.required.minus(attrs);
        }
    }
    // Without SELinux, a context is never required.
    preserve.required.context = false;
    preserve.explicit_mode = no_preserve_mode && !preserve.attrs.mode;
    copy.preserve = preserve;

    let backup_requested = args.backup.is_some() || args.backup_default || args.suffix.is_some();
    let backup = if backup_requested {
        let env = std::env::var("VERSION_CONTROL").ok();
        let word = args.backup.as_deref().filter(|w| !w.is_empty());
        let control = backup::resolve_control(word, env.as_deref().filter(|v| !v.is_empty()))
            .map_err(usage)?;
        let env_suffix = std::env::var_os("SIMPLE_BACKUP_SUFFIX");
        let suffix = backup::resolve_suffix(args.suffix.as_deref(), env_suffix.as_deref());
        (control != BackupControl::None).then_some(Backup { control, suffix })
    } else {
        None
    };

    let mut update = args.update.unwrap_or(UpdateWhen::All);
    if args.no_clobber {
        update = UpdateWhen::None;
    }
    // GNU 9.5's rule and wording (9.1 said "options --backup and --no-clobber are mutually
    // exclusive"): -n or --update=none-fail; --update=none just never replaces anything.
    if backup.is_some() && (args.no_clobber || update == UpdateWhen::NoneFail) {
        return Err(usage(
            "--backup is mutually exclusive with -n or --update=none-fail".to_owned(),
        ));
    }
    copy.no_clobber = false;
    if args.link && args.symbolic_link {
        return Err(usage("cannot make both hard and symbolic links".to_owned()));
    }
    let link = if args.link {
        LinkMode::Hard
    } else if args.symbolic_link {
        LinkMode::Symbolic
    } else {
        LinkMode::Copy
    };
    if args.parents && args.is_ranged() {
        return Err(usage(
            "--offset-in, --offset-out and --len cannot be used with --parents".to_owned(),
        ));
    }
    if recursive && args.is_ranged() {
        return Err(usage(
            "--offset-in, --offset-out and --len copy one file; they cannot be used with -r"
                .to_owned(),
        ));
    }
    if args.batch.is_some() && !args.operands.is_empty() {
        return Err(usage(
            "--batch cannot be combined with SOURCE or DEST operands".to_owned(),
        ));
    }
    if args.batch.is_some() && args.target_directory.is_some() {
        return Err(usage(
            "--batch cannot be combined with --target-directory".to_owned(),
        ));
    }
    if args.null && args.batch.is_none() {
        return Err(usage("-0/--null needs --batch".to_owned()));
    }
    let restart = crate::restart::Settings::resolve(args).map_err(usage)?;
    Ok(Config {
        restart,
        copy,
        recursive,
        deref,
        one_file_system: args.one_file_system,
        link,
        update,
        interactive: args.interactive,
        remove_destination: args.remove_destination,
        backup,
        parents: args.parents,
        attributes_only: args.attributes_only,
        copy_contents: args.copy_contents,
        strip_trailing_slashes: args.strip_trailing_slashes,
        keep_directory_symlink: args.keep_directory_symlink,
        no_preserve_mode: no_preserve_mode && !preserve.attrs.mode,
        dry_run: args.dry_run,
        batch: args.batch.clone(),
        null: args.null,
        // --debug reports each file's outcome right under its `'a' -> 'b'` line: one at a time.
        jobs: match args.jobs {
            Some(n) => usize::from(n),
            None if args.debug => 1,
            // -i asks before each file: a file answered "y" is copied before the next question,
            // as cp does (on a worker it could still wait when the next answer is Ctrl-C).
            None if args.interactive => 1,
            // Workers serve only trees and batches: a plain copy need not ask how many CPUs
            // there are (glibc reads the cgroup's CPU quota for that: 12 system calls).
            None if !recursive && args.batch.is_none() => 1,
            None => default_jobs(),
        }
        .min(jobs_within_address_space_limit()),
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

/// The address space (`RLIMIT_AS`, `ulimit -v`) below which fcopy runs no worker threads:
/// each worker costs a stack and a malloc arena of reserved address space. GNU's
/// tests/cp/link-heap.sh runs `cp -al` on 40,000 entries with 4 MiB above the trivial copy's
/// need; fcopy must then copy in one thread rather than abort.
pub const MIN_ADDRESS_SPACE_FOR_WORKERS: u64 = 512 << 20;

/// The most workers the address-space limit allows: 1 (no worker threads) when `RLIMIT_AS` is
/// below [`MIN_ADDRESS_SPACE_FOR_WORKERS`], else no cap.
pub fn jobs_within_address_space_limit() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::As);
    match limit.current {
        Some(bytes) if bytes < MIN_ADDRESS_SPACE_FOR_WORKERS => 1,
        _ => usize::MAX,
    }
}

/// The default for `-j`: one more worker than CPUs (the walk runs in its own thread and workers
/// wait on the filesystem), at most 8. Measured on 2 CPUs, 10,000 × 4 KiB files: -j2 130 ms,
/// -j3 107 ms, -j4 104 ms to tmpfs; -j3 was the fastest to ext4.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() + 1).min(8))
}
