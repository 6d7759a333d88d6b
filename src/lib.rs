//! fcopy: a cp-style copy tool built on copy_file_range(2).
//!
//! The pipeline: [`cli`] parses flags into [`cli::Args`]; [`plan`] turns them and the files'
//! metadata ([`facts`], gathered by [`exec::probe`]) into [`plan::Job`]s with a strategy;
//! [`exec`] runs each job; [`report`] owns every message, record and the exit status.
#![forbid(unsafe_code)]

pub mod backup;
pub mod batch;
pub mod cli;
pub mod exec;
pub mod facts;
pub mod meta;
pub mod options;
pub mod plan;
pub mod pool;
pub mod report;
pub mod restart;
pub mod signals;
pub mod tree;
pub mod units;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::FromArgMatches;

use crate::exec::{probe, Engine};
use crate::plan::Endpoint;
use crate::report::{errno_text, quote, ExitCode, Reporter};

/// The name fcopy was invoked as (the base name of `argv[0]`), for messages.
pub fn program_name(argv0: Option<&OsString>) -> String {
    argv0
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "fcopy".to_owned())
}

/// Runs fcopy with these arguments (including `argv[0]`) and returns the exit status.
pub fn run(argv: Vec<OsString>) -> ExitCode {
    let program = program_name(argv.first());
    let mut reporter = Reporter::new(program.clone());
    let (args, matches) = match parse_args(&program, argv) {
        Ok(parsed) => parsed,
        Err(code) => return code,
    };
    signals::install();
    exec::mark_run_start();
    let config = match options::resolve(&args, &matches) {
        Ok(config) => config,
        Err(e) => {
            reporter.usage_error(&e.to_string(), e.try_help());
            return ExitCode::Failure;
        }
    };
    if let (true, false, Some(dir)) = (
        config.restart.mkpath,
        config.dry_run,
        &args.target_directory,
    ) {
        if let Err(message) = restart::mkpath::make_dir(dir) {
            reporter.error(&message);
            return ExitCode::Failure;
        }
    }
    let resolved = if config.batch.is_some() {
        Ok((Vec::new(), false))
    } else {
        // Each path is looked at once (the operand grammar asks about DEST twice).
        let seen = std::cell::RefCell::new(std::collections::HashMap::new());
        let is_dir = |path: &Path| -> std::io::Result<bool> {
            let answer = *seen
                .borrow_mut()
                .entry(path.to_path_buf())
                .or_insert_with(|| probe::is_dir(path).map_err(|e| e.raw_os_error()));
            answer.map_err(|e| match e {
                Some(n) => std::io::Error::from_raw_os_error(n),
                None => std::io::Error::other("not a directory"),
            })
        };
        options::operands::resolve_targets(&args, &is_dir)
    };
    let (targets, into_directory) = match resolved {
        Ok(targets) => targets,
        Err(e) => {
            reporter.usage_error(&e.to_string(), e.try_help());
            return ExitCode::Failure;
        }
    };
    if config.interactive && !config.dry_run && config.batch.as_deref() == Some(Path::new("-")) {
        // Standard input carries the jobs, so -i asks on the terminal.
        if let Err(message) = reporter.answers_from_terminal() {
            reporter.usage_error(&message, false);
            return ExitCode::Failure;
        }
    }
    if args.selinux || args.context.is_some() {
        reporter.note("warning: ignoring --context (-Z): SELinux contexts are not supported");
    }
    reporter.verbose = config.verbose;
    reporter.dry_run = config.dry_run;
    reporter.debug = config.debug;
    reporter.json = config.json;
    reporter.range = config.copy.range.clone();
    reporter.stdout_taken = targets.iter().any(|t| t.dest == Endpoint::Stdio);
    let umask = current_umask();
    let started = Instant::now();
    // The totals grow while trees are walked, batch lines read or operands planned.
    let growing = config.recursive || config.batch.is_some() || targets.len() > 1;
    let mut display = report::progress::ProgressDisplay::new(config.progress, growing);
    // `kill -USR1 PID` prints one status line (bytes, files, time, rate) on standard error, as
    // dd does, and the copy goes on (without this, SIGUSR1 would kill fcopy mid-file).
    if let Some(requested) = signals::status_requests() {
        display.answer_status_requests(requested, &program);
    }
    let display = Arc::new(display);
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
        let mut copier = tree::Copier::new(&config, &engine, &mut reporter, umask, pool);
        copier.track_created = config.batch.is_some() || targets.len() > 1;
        match &config.batch {
            Some(file) => {
                let records = config.json || config.verbose || config.debug;
                let parallel = workers > 1;
                run_batch(
                    &mut copier,
                    file,
                    config.null,
                    parallel,
                    config.recursive,
                    records,
                )
            }
            None => {
                // An operand may read what an earlier one writes into DIRECTORY: then each
                // operand's jobs finish before the next operand starts (as with -j 1).
                let one_at_a_time = workers > 1
                    && into_directory
                    && targets.len() > 1
                    && operands_overlap_directory(&args, &targets);
                for target in &targets {
                    if signals::pending().is_some() {
                        break;
                    }
                    copier.copy_operand(target, into_directory);
                    if one_at_a_time {
                        copier.wait_all();
                    }
                }
            }
        }
        display.totals_final();
        copier.finish();
    });
    reporter.finish(started.elapsed());
    if config.restart.stats {
        reporter.print_stats(started.elapsed());
    }
    match signals::pending() {
        Some(signal_hook::consts::SIGTERM) => return ExitCode::Terminated,
        Some(_) => return ExitCode::Interrupted,
        None => {}
    }
    if reporter.failures() > 0 || reporter.declines() > 0 {
        ExitCode::Failure
    } else {
        ExitCode::Success
    }
}

/// Whether a SOURCE operand lies inside the destination DIRECTORY (or DIRECTORY inside it), so
/// that a later operand could read a file an earlier operand writes (`cp -r x dir/x/z dir`).
/// Paths are compared canonically: each source's parent is resolved and its last component
/// kept as given (not followed), so a symbolic link operand counts where it is, not where it
/// points. A path that cannot be resolved counts as overlapping (waiting is always safe).
fn operands_overlap_directory(args: &cli::Args, targets: &[plan::Target]) -> bool {
    let dir = match &args.target_directory {
        Some(dir) => dir.clone(),
        None => match args.operands.last() {
            Some(last) => PathBuf::from(last),
            None => return false,
        },
    };
    let Ok(dir) = std::fs::canonicalize(&dir) else {
        return true;
    };
    let where_is = |path: &Path| -> Option<PathBuf> {
        match (path.parent(), path.file_name()) {
            (Some(parent), Some(name)) => {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                Some(std::fs::canonicalize(parent).ok()?.join(name))
            }
            _ => std::fs::canonicalize(path).ok(),
        }
    };
    targets.iter().any(|target| match &target.source {
        Endpoint::Path(source) => {
            where_is(source).is_none_or(|src| src.starts_with(&dir) || dir.starts_with(&src))
        }
        _ => false,
    })
}

/// Runs every job of a `--batch` file: each line is an operand pair, with its own range if given.
/// `parallel`: jobs run on the pool (`-j`), so dependent jobs are ordered ([`batch::JobOrder`]).
/// `recursive`: `-r`, so a job with a directory for SOURCE or DEST orders like a barrier.
/// `records`: `--json`/`-v`/`--debug` lines are printed, so they go to standard error when any
/// job writes to standard output (known before the first job: see [`records_to_stderr`]).
fn run_batch(
    copier: &mut tree::Copier<'_, '_>,
    file: &Path,
    null: bool,
    parallel: bool,
    recursive: bool,
    records: bool,
) {
    let cannot_read = |copier: &mut tree::Copier<'_, '_>, e: &std::io::Error| {
        let msg = format!("cannot read batch file {}: {}", quote(file), errno_text(e));
        copier.reporter().error(&msg);
    };
    type Entries = Box<dyn Iterator<Item = std::io::Result<batch::Entry>>>;
    let list_on_stdin = file == Path::new("-");
    let input: Box<dyn std::io::BufRead> = if list_on_stdin {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(file) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(64 * 1024, f)),
            Err(e) => return cannot_read(copier, &e),
        }
    };
    let reader = batch::BatchReader::new(input, null);
    // A regular file is read twice: once ahead to see whether a job writes to standard output.
    // A list that can be read only once (standard input, a pipe such as `<(...)`) is read
    // whole before the first job instead.
    let regular = !list_on_stdin && std::fs::metadata(file).is_ok_and(|m| m.is_file());
    let entries: Entries = if records && regular {
        if records_to_stderr(file, null) {
            copier.reporter().stdout_taken = true;
        }
        Box::new(reader)
    } else if records {
        let jobs: Vec<_> = reader.collect();
        copier.reporter().stdout_taken |= writes_to_stdout(jobs.iter());
        Box::new(jobs.into_iter())
    } else {
        Box::new(reader)
    };
    let mut order = batch::JobOrder::default();
    for read in entries {
        let entry = match read {
            Ok(entry) => entry,
            Err(e) => return cannot_read(copier, &e),
        };
        if signals::pending().is_some() {
            break;
        }
        match entry {
            // The copy would read the rest of the job list as its data (issue 13).
            Ok(job) if list_on_stdin && job.source == "-" => {
                let msg = format!(
                    "{}:{}: SOURCE '-' (standard input) cannot be copied: the job list is read from standard input",
                    file.display(),
                    job.line
                );
                copier.reporter().usage_error(&msg, false);
            }
            Ok(job) => {
                if copier.mkpath() {
                    // Making a directory is an effect on names that earlier jobs may still be
                    // about to create: as with -j 1, they finish first.
                    let missing_parent = Path::new(&job.dest)
                        .parent()
                        .is_some_and(|p| !p.as_os_str().is_empty() && !p.exists());
                    if parallel && missing_parent {
                        copier.wait_all();
                    }
                    if let Err(message) = restart::mkpath::make_dest_dir(&job.dest) {
                        let (src, dst) = (Path::new(&job.source), Path::new(&job.dest));
                        copier.reporter().failed(src, dst, None, &message, None);
                        continue;
                    }
                }
                let target =
                    options::operands::batch_target(&job.source, &job.dest, &probe::is_dir);
                if parallel {
                    let (wait, files) = order.must_wait(
                        target.source.display_path(),
                        target.dest.display_path(),
                        recursive,
                    );
                    if wait {
                        copier.wait_all();
                    }
                    order.add(files, wait);
                }
                if job.range.is_some() && copier.has_command_line_range() {
                    let msg = format!(
                        "{}:{}: the line has its own range, but --offset-in/--offset-out/--len were given",
                        file.display(),
                        job.line
                    );
                    copier.reporter().failed(
                        target.source.display_path(),
                        target.dest.display_path(),
                        None,
                        &msg,
                        None,
                    );
                    continue;
                }
                if job.range.is_some() {
                    copier.reporter().range = job.range.clone();
                    copier.set_range(job.range);
                    copier.copy_operand(&target, false);
                    copier.set_range(None);
                    copier.reporter().range = None;
                } else {
                    copier.copy_operand(&target, false);
                }
            }
            Err(e) => {
                let msg = format!("{}:{}: {}", file.display(), e.line, e.message);
                copier.reporter().bad_batch_line(e.line as u64, &msg);
            }
        }
    }
}

/// Whether any job of the batch file writes to standard output (DEST `-`): then `--json`/`-v`
/// records go to standard error, from the first one on, instead of into the copied data. Reads
/// the list once ahead of the jobs (a list that cannot be read is reported by the real pass).
fn records_to_stderr(file: &Path, null: bool) -> bool {
    let Ok(f) = std::fs::File::open(file) else {
        return false;
    };
    let reader = std::io::BufReader::with_capacity(64 * 1024, f);
    batch::BatchReader::new(reader, null)
        .map_while(Result::ok)
        .any(|entry| entry.is_ok_and(|job| job.dest == "-"))
}

/// Whether any of these batch entries has DEST `-`.
fn writes_to_stdout<'a>(entries: impl Iterator<Item = &'a std::io::Result<batch::Entry>>) -> bool {
    entries
        .filter_map(|read| read.as_ref().ok())
        .any(|entry| entry.as_ref().is_ok_and(|job| job.dest == "-"))
}

/// Parses argv with clap; help and version exit 0, usage errors exit 1 with GNU's hint line.
fn parse_args(
    program: &str,
    argv: Vec<OsString>,
) -> Result<(cli::Args, clap::ArgMatches), ExitCode> {
    let command = cli::command(program);
    let argv = match cli::resolve_long_options(&command, argv) {
        Ok(argv) => argv,
        Err(e) => {
            Reporter::new(program.to_owned()).usage_error(&e.to_string(), true);
            return Err(ExitCode::Failure);
        }
    };
    let parsed = command
        .try_get_matches_from(argv)
        .and_then(|m| cli::Args::from_arg_matches(&m).map(|a| (a, m)));
    match parsed {
        Ok(parsed) => Ok(parsed),
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    // Into a full disk (`>/dev/full`) this is a write error, exit 1, as in GNU.
                    use std::io::Write as _;
                    let mut out = std::io::stdout().lock();
                    let text = e.render().to_string();
                    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                        Ok(()) => Err(ExitCode::Success),
                        Err(err) => {
                            eprintln!("{program}: write error: {}", errno_text(&err));
                            Err(ExitCode::Failure)
                        }
                    }
                }
                _ => {
                    let message = cli::OptionError::from_clap(&e).to_string();
                    Reporter::new(program.to_owned()).usage_error(&message, true);
                    Err(ExitCode::Failure)
                }
            }
        }
    }
}

/// The process umask, for the mode of files fcopy creates.
fn current_umask() -> u32 {
    use rustix::fs::Mode;
    let old = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(old);
    old.bits()
}
