//! One run of fcopy, step by step: parse `argv` ([`parse`]), the settings step
//! ([`crate::options`]) and cp's operands (`prepare`; clap's types end there), the copy (the
//! command line's operands in [`operands`], or a `--batch` job list in [`batch`]), and the exit
//! status.

pub mod batch;
pub mod operands;
pub mod parse;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::cli::{Args, FlagPositions};
use crate::exec::{self, Engine};
use crate::options::{self, Config, UsageError};
use crate::plan::Target;
use crate::report::progress::ProgressDisplay;
use crate::report::{ExitCode, Reporter};
use crate::{drive, pool, restart, signals};

/// The name fcopy was invoked as (the base name of `argv[0]`), for messages.
pub fn program_name(argv0: Option<&OsString>) -> String {
    argv0
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fcopy".to_owned())
}

/// What the settings step and cp's operand grammar made of the command line.
pub struct Prepared {
    pub config: Config,
    /// The command line's SOURCE/DEST pairs (none with `--batch`).
    pub targets: Vec<Target>,
    /// The sources go into a directory (`SOURCE... DIRECTORY`, `-t`).
    pub into_directory: bool,
    /// `SOURCE DEST` (no `-T`) whose DEST was looked at and was not a directory: a directory
    /// found there later was put there since ([`drive::Copier::dest_seen_not_directory`]).
    pub dest_not_a_directory: bool,
    /// That DIRECTORY as given (`-t`, else the last operand), when there are operands.
    pub directory: Option<PathBuf>,
    /// `--dry-run --mkpath`: the missing `-t DIRECTORY` the run would make.
    pub planned_mkpath: Option<PathBuf>,
    /// `--mkpath`: the directories made for the operands, parents first (reported once the
    /// reporter knows `-v`).
    pub made_mkpath: Vec<PathBuf>,
}

/// Runs fcopy with these arguments (including `argv[0]`) and returns the exit status.
pub fn run(argv: Vec<OsString>) -> ExitCode {
    let program = program_name(argv.first());
    let mut reporter = Reporter::new(program.clone());
    let (mut args, matches) = match parse::parse_args(&program, argv) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    args.dash_is_a_name = program == "cp";
    signals::install();
    exec::mark_run_start();
    let prepared = match prepare(&args, &matches, &mut reporter) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    configure_reporter(&mut reporter, &prepared);
    // No copy job runs before this point, so none can be left for the watchdog to remove.
    let (shown_program, json, stdout_taken) =
        (program.clone(), reporter.json, reporter.stdout_taken);
    signals::partial::on_removed(move |source, dest| {
        let said = crate::report::PartialRemoved {
            program: &shown_program,
            json,
            stdout_taken,
        };
        said.say(source, dest);
    });
    let started = Instant::now();
    copy(&prepared, &mut reporter, &program);
    finish(&mut reporter, &prepared.config, started)
}

/// A usage error on standard error (with GNU's "Try --help" line where GNU adds it): exit 1.
fn usage(reporter: &mut Reporter, e: &UsageError) -> ExitCode {
    reporter.usage_error(&e.to_string(), e.try_help());
    ExitCode::Failure
}

/// The end of a run that failed before any job: `--json`'s summary and `--stats`' lines, as
/// at the end of any run (new-user trial and red team, round 21: after an operand error or a
/// `--mkpath` failure they were missing).
fn end_early(reporter: &mut Reporter, stats: bool) {
    reporter.finish(std::time::Duration::ZERO);
    if stats {
        reporter.print_stats(std::time::Duration::ZERO);
    }
}

/// The settings step, `--mkpath`'s `-t DIRECTORY`, cp's operand grammar, and the checks that
/// need both (where `-i` reads its answers).
fn prepare(args: &Args, m: &FlagPositions, reporter: &mut Reporter) -> Result<Prepared, ExitCode> {
    // Once the command line parsed, a usage error under --json is a record and ends with the
    // summary, as a run that fails later does (new-user trial, round 8: a missing --files-from
    // file, `-t` to a missing directory printed nothing on standard output; a missing --batch
    // file did). `--stats` prints its lines too (new-user trial, round 21: `--stats s1 s2
    // nodir` printed none where `--json` had its summary and `--stats nosuch s2` its lines).
    reporter.json = args.json;
    let stats = args.restart.stats;
    let usage = |reporter: &mut Reporter, e: &UsageError| {
        let code = usage(reporter, e);
        end_early(reporter, stats);
        code
    };
    let config = options::resolve(args, m).map_err(|e| usage(reporter, &e))?;
    let listed = operands::with_files_from(args, &config).map_err(|e| usage(reporter, &e))?;
    let nothing_listed = matches!(listed, operands::Listed::Nothing);
    let args = match &listed {
        operands::Listed::Sources(with_names) => with_names,
        _ => args,
    };
    let (mut planned_dir, mut made_dirs) = (None, Vec::new());
    let mkpath = restart::mkpath::operand_dir(&args.operands, args.target_directory.as_deref());
    if let (true, false, Some(dir)) = (config.restart.mkpath, config.batch.is_some(), mkpath) {
        if !config.dry_run {
            match restart::mkpath::make_dir(dir) {
                Ok(made) => made_dirs = made,
                Err(message) => {
                    // What was made before the failure, as `mkdir -pv` says it (the reporter's
                    // other settings are not made yet: only these two say anything here).
                    (reporter.verbose, reporter.json) = (config.verbose, config.json);
                    for made in &message.made {
                        reporter.mkpath_made(made);
                    }
                    reporter.error(&message);
                    end_early(reporter, stats);
                    return Err(ExitCode::Failure);
                }
            }
        } else {
            // The plan says what the run would do: the directory is made, then copied into,
            // or the run stops here with the same message.
            match restart::mkpath::would_make(dir) {
                Ok(made) => planned_dir = made.then_some(dir),
                Err(message) => {
                    reporter.error(&message);
                    end_early(reporter, stats);
                    return Err(ExitCode::Failure);
                }
            }
        }
    }
    let (targets, into_directory) = if config.batch.is_some() || nothing_listed {
        (Vec::new(), false)
    } else {
        operands::resolve(args, planned_dir).map_err(|e| usage(reporter, &e))?
    };
    let stdin = Some(Path::new("-"));
    let stdin_taken =
        config.batch.as_deref() == stdin || config.restart.files_from.as_deref() == stdin;
    if config.interactive && !config.dry_run && stdin_taken {
        // Standard input carries the jobs or names, so -i asks on the terminal.
        if let Err(message) = reporter.answers_from_terminal() {
            reporter.usage_error(&message, false);
            return Err(ExitCode::Failure);
        }
    }
    if args.context.as_deref().is_some_and(|ctx| !ctx.is_empty()) {
        // GNU cp's words without SELinux; -Z and a bare --context are ignored silently, as there.
        reporter.note("warning: ignoring --context; it requires an SELinux-enabled kernel");
    }
    let directory = match &args.target_directory {
        Some(dir) => Some(dir.clone()),
        None => args.operands.last().map(PathBuf::from),
    };
    Ok(Prepared {
        config,
        dest_not_a_directory: !into_directory && !args.no_target_directory,
        targets,
        into_directory,
        directory,
        planned_mkpath: planned_dir.map(Path::to_path_buf),
        made_mkpath: made_dirs,
    })
}

/// What the Reporter prints and where.
fn configure_reporter(reporter: &mut Reporter, prepared: &Prepared) {
    let config = &prepared.config;
    reporter.verbose = config.verbose;
    reporter.dry_run = config.dry_run;
    reporter.debug = config.debug;
    reporter.json = config.json;
    reporter.range = config.copy.range.clone();
    reporter.stdout_taken = prepared.targets.iter().any(|t| t.dest.is_stdio());
    if let Some(dir) = &prepared.planned_mkpath {
        reporter.planned_mkpath(dir);
    }
    for dir in &prepared.made_mkpath {
        reporter.mkpath_made(dir);
    }
}

/// The progress display of this run; `kill -USR1 PID` prints one status line (bytes, files,
/// time, rate) on standard error, as dd does, and the copy goes on (without this, SIGUSR1
/// would kill fcopy mid-file).
fn progress_display(prepared: &Prepared, program: &str) -> Arc<ProgressDisplay> {
    let config = &prepared.config;
    // The totals grow while trees are walked, batch lines read or operands planned.
    let growing = config.recursive || config.batch.is_some() || prepared.targets.len() > 1;
    let mut display = ProgressDisplay::new(config.progress, growing);
    if config.restart.verify {
        display.verifies();
    }
    if let Some(requested) = signals::status_requests() {
        display.answer_status_requests(requested, program);
    }
    Arc::new(display)
}

/// The copy: workers, the copier, then the command line's operands or the batch's jobs.
fn copy(prepared: &Prepared, reporter: &mut Reporter, program: &str) {
    let config = &prepared.config;
    let umask = current_umask();
    let display = progress_display(prepared, program);
    let watched = Arc::downgrade(&display);
    signals::on_blocking_job(move || {
        if let Some(display) = watched.upgrade() {
            display.watch_status_requests();
        }
    });
    reporter.progress = Some(Arc::clone(&display));
    let mut engine = Engine::new(&*display);
    if let Some(chunk) = display.chunk_hint() {
        engine.chunk = chunk;
    }
    let engine = engine;
    // A low `ulimit -n` leaves room for fewer workers (issue 12).
    let workers = pool::workers_within_fd_limit(config.jobs);
    std::thread::scope(|scope| {
        let pool = (workers > 1 && !config.dry_run && (config.recursive || config.batch.is_some()))
            .then(|| pool::Pool::new(scope, &engine, workers))
            .flatten();
        let mut copier = drive::Copier::new(config, &engine, reporter, umask, pool);
        // GNU's "will not overwrite just-created" is about the operands of one command; a job
        // list is a sequence of commands (its lines may write one DEST in turn, README).
        copier.track_created = config.batch.is_none() && prepared.targets.len() > 1;
        match &config.batch {
            Some(file) => batch::run_batch(&mut copier, file, config, workers > 1),
            None => operands::run_operands(&mut copier, prepared, workers > 1),
        }
        display.totals_final();
        copier.finish();
    });
}

/// The summary (`--json`, `--stats`) and the exit status: the signal that stopped the run,
/// else 1 if anything failed, else 0. A declined `-i` is 0, as in GNU cp 9.1, whose
/// tests/cp/cp-i.sh is the compatibility bar; with `POSIXLY_CORRECT` it is 1, as POSIX
/// specifies for `cp -i` (and GNU cp 9.2 and later do always).
fn finish(reporter: &mut Reporter, config: &Config, started: Instant) -> ExitCode {
    reporter.finish(started.elapsed());
    if config.restart.stats {
        reporter.print_stats(started.elapsed());
    }
    match signals::pending() {
        Some(signal_hook::consts::SIGTERM) => return ExitCode::Terminated,
        Some(_) => return ExitCode::Interrupted,
        None => {}
    }
    let declined_fails = reporter.declines() > 0 && crate::options::posixly_correct();
    if reporter.failures() > 0 || declined_fails {
        ExitCode::Failure
    } else {
        ExitCode::Success
    }
}

/// The process umask, for the mode of files fcopy creates.
fn current_umask() -> u32 {
    use rustix::fs::Mode;
    let old = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(old);
    old.bits()
}
