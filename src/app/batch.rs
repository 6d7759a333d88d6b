//! A `--batch` run: the job list is read ([`crate::batch`]), each job paired like cp's operands,
//! ordered against earlier jobs when they run on workers, and copied.

use std::io::{self, BufRead};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use self::list::{is_list_changed, regular_list, ListIdentity};
use crate::batch::{self, BatchError, BatchJob, Entry, JobOrder};
use crate::exec::probe;
use crate::options::values::UpdateWhen;
use crate::options::Config;
use crate::{drive, options, restart, signals};

mod list;

/// What can go wrong with the job list itself or one of its lines (worded in
/// `report/messages/settings.rs`, each prefixed `FILE:LINE:` where it is about a line).
#[derive(Debug)]
pub enum BatchProblem {
    /// The list cannot be opened or read.
    CannotRead(PathBuf, io::Error),
    /// SOURCE `-` while the list itself is read from standard input (issue 13).
    StdinSource { file: PathBuf, line: usize },
    /// A SOURCE that is the list read as a stream under another name (`/dev/stdin` under
    /// `--batch -`, `-` under `--batch /dev/stdin`): its copy would read the rest of the list.
    SourceIsList {
        file: PathBuf,
        line: usize,
        source: PathBuf,
    },
    /// A regular list changed while it was read (a job wrote it): the jobs after the part
    /// read are not run.
    ListChanged { file: PathBuf },
    /// A line with its own range while `--offset-in/--offset-out/--len` were given.
    RangeTwice,
    /// A line with its own range while an option that cannot be used with a range was given
    /// (`--resume`, `--update=changed`: usage errors with `--offset-*` on the command line;
    /// red-team finding, round 8: the line ran as a plain ranged copy).
    RangeWithOption { option: &'static str },
    /// A line that cannot be parsed.
    BadLine { file: PathBuf, error: BatchError },
    /// `-0` from a regular file with an odd number of fields: one SOURCE or DEST is missing,
    /// and every pair after it would pair a DEST with the next SOURCE (red team, round 11:
    /// `s1 d1 s2 s3 d3` overwrote the source `s3` before the odd count was found at the end).
    OddFields { file: PathBuf, fields: u64 },
    /// A line whose operands cp's grammar refuses, as on the command line (`-l`/`-s` with
    /// DEST `-`).
    Operands(options::operands::OperandError),
}

type Entries = Box<dyn Iterator<Item = io::Result<Entry>>>;

/// Runs every job of a `--batch` file: each line is an operand pair, with its own range if
/// given. `parallel`: jobs run on the pool (`-j`), so dependent jobs are ordered
/// ([`JobOrder`]); with `-r` a job with a directory for SOURCE or DEST orders like a barrier.
pub fn run_batch(copier: &mut drive::Copier<'_, '_>, file: &Path, config: &Config, parallel: bool) {
    copier.reporter().batch_file = Some(file.to_path_buf());
    let cannot_read = |copier: &mut drive::Copier<'_, '_>, e: io::Error| {
        let problem = if is_list_changed(&e) {
            BatchProblem::ListChanged {
                file: file.to_path_buf(),
            }
        } else {
            BatchProblem::CannotRead(file.to_path_buf(), e)
        };
        copier.reporter().error(&problem.to_string());
    };
    let (entries, list) = match entries(copier, file, config) {
        Ok(opened) => opened,
        Err(e) => return cannot_read(copier, e),
    };
    if config.null {
        if let Some(fields) = odd_field_count(file) {
            let problem = BatchProblem::OddFields {
                file: file.to_path_buf(),
                fields,
            };
            return copier.reporter().error(&problem.to_string());
        }
    }
    let list_on_stdin = file == Path::new("-");
    let mut order = match &config.backup {
        Some(backup) => JobOrder::with_backups(backup.control, &backup.suffix),
        None => JobOrder::default(),
    };
    for read in entries {
        let entry = match read {
            Ok(entry) => entry,
            Err(e) => return cannot_read(copier, e),
        };
        if signals::pending().is_some() {
            break;
        }
        match entry {
            // The copy would read the rest of the job list as its data (issue 13).
            Ok(job) if list_on_stdin && job.source == "-" => {
                let problem = BatchProblem::StdinSource {
                    file: file.to_path_buf(),
                    line: job.line,
                };
                copier.reporter().usage_error(&problem.to_string(), false);
            }
            Ok(job) if list.is_some_and(|l| l.stream && l.read_by(&job.source)) => {
                let problem = BatchProblem::SourceIsList {
                    file: file.to_path_buf(),
                    line: job.line,
                    source: PathBuf::from(&job.source),
                };
                copier.reporter().usage_error(&problem.to_string(), false);
            }
            Ok(job) => run_job(copier, job, &mut order, (parallel, config)),
            Err(error) => {
                let line = error.line as u64;
                let problem = BatchProblem::BadLine {
                    file: file.to_path_buf(),
                    error,
                };
                copier.reporter().bad_batch_line(line, &problem.to_string());
            }
        }
    }
}

/// `-0`: the number of NUL-separated fields of a regular job-list file when it is odd (a field
/// missing: [`BatchProblem::OddFields`]); `None` when it is even or the list can be read only
/// once (standard input, a pipe), whose odd field is found at its end, as the jobs stream.
fn odd_field_count(file: &Path) -> Option<u64> {
    if file == Path::new("-") || !std::fs::metadata(file).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut input = io::BufReader::new(std::fs::File::open(file).ok()?);
    let (mut fields, mut field, mut last_empty) = (0u64, Vec::new(), false);
    loop {
        field.clear();
        match input.read_until(0, &mut field) {
            Ok(0) => break,
            Ok(_) => fields += 1,
            Err(_) => return None,
        }
        last_empty = field == b"\0";
    }
    // A lone empty field at the very end is a trailing NUL, as the reader takes it.
    if last_empty && fields % 2 == 1 {
        fields -= 1;
    }
    (fields % 2 == 1).then_some(fields)
}

/// The job list's entries. When `--json`/`-v`/`--debug` lines are printed they go to standard
/// error if any job writes to standard output, which must be known before the first job: a
/// regular file is read twice (once ahead, see [`records_to_stderr`]); a list that can be read
/// only once (standard input, a pipe such as `<(...)`) is read whole before the first job.
/// Also the list's identity (`None` when it cannot be asked). A regular list is taken by
/// [`regular_list`].
fn entries(
    copier: &mut drive::Copier<'_, '_>,
    file: &Path,
    config: &Config,
) -> io::Result<(Entries, Option<ListIdentity>)> {
    let list_on_stdin = file == Path::new("-");
    let (input, list): (Box<dyn BufRead>, _) = if list_on_stdin {
        let list = ListIdentity::of(rustix::stdio::stdin());
        if list.is_some_and(|l| !l.stream) {
            // `--batch - < jobs`: a regular file all the same (red team 13b).
            let f = std::fs::File::from(io::stdin().as_fd().try_clone_to_owned()?);
            (regular_list(f)?, list)
        } else {
            (Box::new(io::stdin().lock()), list)
        }
    } else {
        let f = std::fs::File::open(file)?;
        let list = ListIdentity::of(&f);
        if list.is_some_and(|l| !l.stream) {
            (regular_list(f)?, list)
        } else {
            (Box::new(io::BufReader::with_capacity(64 * 1024, f)), list)
        }
    };
    let reader = batch::BatchReader::new(input, config.null);
    let records = config.json || config.verbose || config.debug;
    // A regular file named on the command line (read again ahead by `records_to_stderr`).
    let regular = !list_on_stdin && list.is_some_and(|l| !l.stream);
    let entries: Entries = if records && regular {
        if records_to_stderr(file, config.null) {
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
    Ok((entries, list))
}

/// One job of the list, its records in `--json` naming its line, its error lines starting
/// `FILE:LINE: `.
fn run_job(
    copier: &mut drive::Copier<'_, '_>,
    job: BatchJob,
    order: &mut JobOrder,
    settings: (bool, &Config),
) {
    copier.reporter().batch_line = u64::try_from(job.line).ok();
    run_line(copier, job, order, settings);
    copier.reporter().batch_line = None;
}

/// One job of the list: `--mkpath`, ordering against earlier jobs, its own range, the copy.
fn run_line(
    copier: &mut drive::Copier<'_, '_>,
    job: BatchJob,
    order: &mut JobOrder,
    (parallel, config): (bool, &Config),
) {
    let (recursive, mkpath) = (config.recursive, config.restart.mkpath);
    if copier.reporter().dry_run && mkpath && !plan_mkpath(copier, &job) {
        return;
    }
    if copier.mkpath() && !make_job_dir(copier, &job, parallel) {
        return;
    }
    // -T: DEST is the copy itself, as on the command line (new-user trial, round 8: it was
    // accepted and ignored, and a job copied into a directory DEST).
    let never_a_directory = |_: &Path| Ok(false);
    // --dry-run: a DEST that --mkpath would make is the directory the run copies into.
    let dest = Path::new(&job.dest);
    let reporter = copier.reporter();
    let planned = reporter.dry_run
        && super::operands::dir_once_made(dest, &|p: &Path| reporter.planned_dir(p));
    let planned_or_dir = |p: &Path| {
        if p == dest {
            Ok(true)
        } else {
            probe::is_dir(p)
        }
    };
    let is_dir: &dyn Fn(&Path) -> io::Result<bool> = if config.no_target_directory {
        &never_a_directory
    } else if planned {
        &planned_or_dir
    } else {
        &probe::is_dir
    };
    let target = options::operands::batch_target(&job.source, &job.dest, is_dir);
    if parallel {
        let (source, dest) = (target.source.display_path(), target.dest.display_path());
        let (wait, mut files) = order.must_wait(source, dest, recursive);
        if wait {
            copier.wait_all();
            // The files' identities again, now that no job runs: an earlier job may have put
            // a new file at a name (`--atomic` renames one over DEST), and a later job reaching
            // it through a symlink must still find this job's key (red team, round 13: `-j 8`
            // failed 'replaced while being copied' where `-j 1` copied).
            files = order.files_after_wait(source, dest, recursive);
        }
        order.add(files, wait);
    }
    let refused = options::operands::link_to_stdout(config.link, &target).err();
    let refused = refused.map(BatchProblem::Operands);
    // Reported as the job's failure: the line `FILE:LINE: ` starts is the job's.
    if let Some(problem) = refused.or_else(|| range_conflict(copier, config, &job)) {
        let (source, dest) = (target.source.display_path(), target.dest.display_path());
        copier
            .reporter()
            .failed(source, dest, None, &problem.to_string(), None);
        return;
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

/// `--mkpath`: makes the directory the job's DEST goes in (reported with `-v`/`--json`);
/// false when it cannot be made, and the job is failed with the reason.
///
/// Making a directory is an effect on names that earlier jobs may still be about to create: as
/// with -j 1, they finish first. The directory is DEST itself when DEST ends in `/` (red-team
/// finding, round 8: `x -> newdir` then `a -> newdir/` made the directory before the first job
/// ran).
fn make_job_dir(copier: &mut drive::Copier<'_, '_>, job: &BatchJob, parallel: bool) -> bool {
    let missing_dir = restart::mkpath::dest_dir(&job.dest).is_some_and(|d| !d.is_dir());
    if parallel && missing_dir {
        copier.wait_all();
    }
    match restart::mkpath::make_dest_dir(&job.dest) {
        Ok(made) => {
            for dir in &made {
                copier.reporter().mkpath_made(dir);
            }
            true
        }
        Err(message) => mkpath_failed(copier, job, &message),
    }
}

/// `--mkpath` could not make (or would not make) the job's directory: the job fails with
/// `message` (its error line and record). Returns `false`, the callers' result.
fn mkpath_failed(
    copier: &mut drive::Copier<'_, '_>,
    job: &BatchJob,
    message: &restart::mkpath::MkpathError,
) -> bool {
    let (src, dst) = (Path::new(&job.source), Path::new(&job.dest));
    for dir in &message.made {
        copier.reporter().mkpath_made(dir);
    }
    copier.reporter().failed(src, dst, None, message, None);
    false
}

/// `--dry-run --mkpath`: plans the directory the job's DEST goes in, if the run would make it;
/// `false` when the run would fail the job there, as it is then failed (the run's
/// `make_dest_dir` below fails it with the same message).
fn plan_mkpath(copier: &mut drive::Copier<'_, '_>, job: &BatchJob) -> bool {
    let Some(dir) = restart::mkpath::dest_dir(&job.dest) else {
        return true;
    };
    match restart::mkpath::would_make(dir) {
        Ok(made) => {
            if made {
                copier.reporter().planned_mkpath(dir);
            }
            true
        }
        Err(message) => mkpath_failed(copier, job, &message),
    }
}

/// What forbids the job's own range, if it has one: a command-line range too, or an option
/// that cannot be used with a range (the same rules as [`crate::options::conflicts`]).
fn range_conflict(
    copier: &drive::Copier<'_, '_>,
    config: &Config,
    job: &BatchJob,
) -> Option<BatchProblem> {
    job.range.as_ref()?;
    if copier.has_command_line_range() {
        return Some(BatchProblem::RangeTwice);
    }
    // Without --atomic a backup or a removal takes DEST away before the range is written
    // into a new, empty DEST (range9's conflicts for command-line ranges; a line's own range
    // lost the bytes outside it: round 9).
    let option = if config.restart.resume {
        "--resume"
    } else if config.update == UpdateWhen::Changed {
        "--update=changed"
    } else if config.backup.is_some() && !config.copy.atomic {
        "--backup without --atomic"
    } else if config.remove_destination && !config.copy.atomic {
        "--remove-destination without --atomic"
    } else if config.link != options::LinkMode::Copy {
        // A link has no bytes of its own: the range was dropped and DEST became a link to
        // all of SOURCE (new user, round 10; `-l`/`-s` with a command-line range are refused).
        "-l or -s"
    } else if config.attributes_only {
        "--attributes-only"
    } else if config.recursive && probe::is_dir(Path::new(&job.source)).unwrap_or(false) {
        // A range copies one file: applied to every file of the tree (red team, round 10);
        // a command-line range with -r is refused likewise.
        "-r (SOURCE is a directory)"
    } else if config.deref == options::Deref::Never && is_symlink(&job.source) {
        // Copied as a link, the range dropped; a regular file's range is copied (`-r`, `-a`
        // and `-P` leave a file alone).
        "-P or -d (SOURCE is a symbolic link)"
    } else {
        return None;
    };
    Some(BatchProblem::RangeWithOption { option })
}

/// Whether `path` names a symbolic link (`lstat`; a name that cannot be examined is not one:
/// the copy reports it).
fn is_symlink(path: &std::ffi::OsStr) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether any job of the batch file writes to standard output (DEST `-`): then `--json`/`-v`
/// records go to standard error, from the first one on, instead of into the copied data. Reads
/// the list once ahead of the jobs (a list that cannot be read is reported by the real pass).
fn records_to_stderr(file: &Path, null: bool) -> bool {
    let Ok(f) = std::fs::File::open(file) else {
        return false;
    };
    let reader = io::BufReader::with_capacity(64 * 1024, f);
    batch::BatchReader::new(reader, null)
        .map_while(Result::ok)
        .any(|entry| entry.is_ok_and(|job| job.dest == "-"))
}

/// Whether any of these batch entries has DEST `-`.
fn writes_to_stdout<'a>(entries: impl Iterator<Item = &'a io::Result<Entry>>) -> bool {
    entries
        .filter_map(|read| read.as_ref().ok())
        .any(|entry| entry.as_ref().is_ok_and(|job| job.dest == "-"))
}
