//! `--atomic`: the new contents are written to a temporary file in DEST's directory, completed
//! (data, metadata, `--sync`), then put in place with one rename, so DEST is at every moment
//! either its old self or the complete new file.
//!
//! The temporary is anonymous where the filesystem allows (`O_TMPFILE`, linked in through
//! `/proc/self/fd` only when complete), so even SIGKILL leaves nothing behind. Elsewhere it is
//! `.NAME.fcopy-XXXXXX` (`O_CREAT|O_EXCL`, mode 0600), removed on any failure or interrupt; only
//! a kill (or power cut) can leave one, and `find DIR -name '.*.fcopy-*'` finds it. A kill
//! between naming a temporary and the rename (an anonymous one must be named first to replace
//! an existing DEST) leaves one too; the next atomic run into that directory removes such stale
//! temporaries (see [`super::temp::remove_stale_temps`]). Under `--resume` the temporary has a
//! stable name and is kept on failure for the next run ([`super::partial`]).

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rustix::fs::{fchown, fstat, ftruncate, ioctl_ficlone, openat, Gid, Mode, OFlags, Stat, Uid};
use rustix::io::Errno;

use super::open::Fd;
use super::partial::{open_partial, resumed_job};
use super::span::Span;
use super::strategy::{copy_extents, run_strategy};
use super::sync::{flush_by_close, sync_dir, sync_file};
use super::temp::{create_temp, Temp};
use super::{
    apply_attributes, DestNote, Engine, ExecError, JobError, KeepOwnerWarning, Outcome,
    PrefillStep, Warning,
};
use crate::facts::FileKind;
use crate::plan::{Job, Strategy};

mod backup;
mod place;
pub use backup::{link_backup, LinkedBackup};
pub use place::Place;

/// Runs a job through a temporary file and renames it over DEST.
///
/// # Errors
/// As [`super::run_job`]; on any failure DEST is as it was (the temporary goes on drop).
pub fn run(engine: &Engine<'_>, job: &Job, src: &Fd, place: Place) -> Result<Outcome, JobError> {
    let dst_name = job.dest.display_path();
    let (mut temp, resumed) = match open_kept_partial(job, src, &place) {
        Some(found) => found,
        None => (new_temp(job, &place)?, None),
    };
    let job = resumed.as_ref().unwrap_or(job);
    // The partial file's bytes are not copied again: they leave the bar's total, as a hole
    // does (the bar ended at 91 % after resuming from 25 MiB of 300; round 18).
    if let Some(from) = resumed.as_ref().and_then(|j| j.restart.resumed_from) {
        engine.skip(from);
    }
    let mut outcome = fill(engine, job, src, &place, &temp, resumed.is_some())?;
    if resumed.is_some() {
        outcome.resumed_from = job.restart.resumed_from;
    }
    // Failures after the data (attributes, --sync, the rename) keep a `--resume` partial
    // file whole: said and counted as any kept partial file (red team, round 18: silent).
    complete(job, src, &place, &temp, &mut outcome)
        .map_err(|e| with_kept_partial(&place, &temp, e))?;
    if let Err(e) = put_in_place(job, &place, &mut temp, dst_name) {
        return Err(with_kept_partial(&place, &temp, e.into()));
    }
    // A partial file, now DEST, loses its mark only now: unmarked before the rename, a kill
    // there would leave a complete partial file that no run trusts.
    if let Some(mark) = &temp.mark {
        super::partial::unmark(temp.fd.as_fd(), mark);
    }
    if job.sync {
        sync_dir(&place.dir, &place.dir_shown).map_err(|e| {
            let mut err = JobError::new(e);
            err.set_note(Some(DestNote::NotDurable {
                path: dst_name.to_owned(),
            }));
            err
        })?;
    }
    Ok(outcome)
}

/// An ordinary temporary: anonymous where the filesystem allows, else a random name.
fn new_temp<'p>(job: &Job, place: &'p Place) -> Result<Temp<'p>, ExecError> {
    let dst_name = job.dest.display_path();
    create_temp(place.dir.as_fd(), &place.name).map_err(|errno| {
        if place.old.is_some() {
            ExecError::CreateTemp {
                dir: place.dir_shown.clone(),
                dest: dst_name.to_owned(),
                errno,
            }
        } else {
            ExecError::CreateDest {
                path: dst_name.to_owned(),
                errno,
            }
        }
    })
}

/// `--resume --atomic` from a regular SOURCE: the stable temporary `.NAME.fcopy-partial`
/// (see [`super::partial`]), kept on failure; with the job that continues it when it already
/// holds SOURCE's first bytes.
fn open_kept_partial<'p>(job: &Job, src: &Fd, place: &'p Place) -> Option<(Temp<'p>, Option<Job>)> {
    let regular = job.source_facts.kind == FileKind::Regular && job.source_facts.has_trusted_size();
    if !job.restart.keep_partial || !regular || job.source.is_stdio() {
        return None;
    }
    let found = open_partial(
        place.dir.as_fd(),
        &place.name,
        src.as_fd(),
        job.source_facts.size,
    )?;
    let resumed = (found.resume_from > 0).then(|| resumed_job(job, found.resume_from));
    let temp = Temp {
        fd: Fd::Owned(found.fd),
        dir: place.dir.as_fd(),
        name: Some(found.name),
        keep: true,
        mark: Some(found.mark),
        continued_from: found.resume_from,
    };
    Some((temp, resumed))
}

/// An interruption of an atomic copy: DEST was left as it was, or not created; a `--resume`
/// partial file is kept, and named.
fn interrupted(job: &Job, place: &Place, temp: &Temp<'_>) -> ExecError {
    let kept = temp
        .name
        .as_ref()
        .filter(|_| temp.keep)
        .map(|name| shown_partial(place, name));
    ExecError::InterruptedAtomic {
        source: job.source.display_path().to_owned(),
        dest: job.dest.display_path().to_owned(),
        existed: place.old.is_some(),
        kept,
    }
}

/// The kept partial file `name` as the user names it: in DEST's directory as shown.
fn shown_partial(place: &Place, name: &std::ffi::OsStr) -> std::path::PathBuf {
    if place.dir_shown == Path::new(".") {
        name.into()
    } else {
        place.dir_shown.join(name)
    }
}

/// A failed job whose `--resume` partial file stays: the bytes this run wrote there are
/// counted as kept ([`JobError::kept`]), and a failure other than a signal (which names the file in its
/// own words) gets a note naming it: after "No space left on device" the hidden
/// `.NAME.fcopy-partial` was left in silence (round 18).
fn with_kept_partial(place: &Place, temp: &Temp<'_>, mut err: JobError) -> JobError {
    let (true, Some(name)) = (temp.keep, temp.name.as_ref()) else {
        return err;
    };
    let Ok(st) = rustix::fs::fstat(temp.fd.as_fd()) else {
        return err;
    };
    let len = st.st_size as u64;
    // What this run wrote there: at most what the partial file grew by.
    let grew = len.saturating_sub(temp.continued_from);
    err.kept = Some(super::written_by_this_job().min(grew));
    err.resumed_from = (temp.continued_from > 0).then_some(temp.continued_from);
    if !err.interrupted {
        let path = shown_partial(place, name);
        err.set_note(Some(DestNote::KeptNew { path, len }));
    }
    err
}

/// Writes the new contents into the temporary (a ranged copy over an existing DEST starts
/// from DEST's old contents) and verifies them with `--verify`.
fn fill(
    engine: &Engine<'_>,
    job: &Job,
    src: &Fd,
    place: &Place,
    temp: &Temp<'_>,
    resumed: bool,
) -> Result<Outcome, JobError> {
    let or_interrupted = |e: ExecError| {
        if crate::signals::pending().is_some() {
            interrupted(job, place, temp)
        } else {
            e
        }
    };
    // A resumed partial file holds SOURCE's first bytes already, not DEST's.
    if job.strategy == Strategy::Ranged && !resumed {
        if let Some(old) = &place.old {
            prefill(engine, job, place, old, temp.fd.as_fd()).map_err(or_interrupted)?;
        }
    }
    let mut outcome = run_strategy(engine, job, src, &temp.fd, 0)
        .map_err(|e| with_kept_partial(place, temp, or_interrupted(e).into()))?;
    if job.restart.verify {
        // On a mismatch the temporary goes (on drop) and DEST stays as it was. Resumed from
        // DEST's own bytes (no partial file), the next `--resume` would start from the same
        // bytes and fail the same way: the note says so (red team, round 12).
        let from_dest = job.restart.resumed_from.filter(|_| !resumed);
        let checked = crate::exec::verify::check(job, src.as_fd(), temp.fd.as_fd(), &outcome)
            .map_err(|e| {
                // Stopped while verifying a `--resume` partial file: its data is complete and
                // unverified; it stays for the next run, which verifies it (new user, round 15).
                if matches!(e, super::verify::VerifyError::Interrupted { .. }) && temp.keep {
                    let err = JobError::new(interrupted(job, place, temp));
                    return with_kept_partial(place, temp, err);
                }
                temp.discard();
                let mut err = JobError::new(ExecError::Verify(e));
                err.set_note(from_dest.map(|from| DestNote::ResumedDiffers {
                    path: job.dest.display_path().to_owned(),
                    from,
                    cut_at: None,
                }));
                err
            })?;
        super::record_check(checked, job, &mut outcome);
    }
    Ok(outcome)
}

/// Gives the complete temporary the metadata a plain copy would give DEST, makes it durable
/// with `--sync`, and checks the close: a new DEST gets the source's mode less the umask; an
/// existing one keeps its mode and owner (unless -p/--preserve says otherwise).
fn complete(
    job: &Job,
    src: &Fd,
    place: &Place,
    temp: &Temp<'_>,
    outcome: &mut Outcome,
) -> Result<(), JobError> {
    let dst_name = job.dest.display_path();
    let fd = temp.fd.as_fd();
    let new_mode = match &place.old {
        Some(old) if !place.recreate => keep_owner(job, fd, old, dst_name, &mut outcome.warnings),
        _ => job.create_mode,
    };
    // Unlike a copy in place, nothing is half-done on a fatal problem: DEST stays as it was.
    apply_attributes(job, src, &fd, Some(new_mode), outcome)?;
    if job.sync {
        sync_file(&temp.fd, dst_name)?;
    }
    if crate::signals::pending().is_some() {
        return Err(interrupted(job, place, temp).into());
    }
    // Delayed write errors (NFS, CIFS, FUSE) show at close: check before DEST is replaced.
    flush_by_close(fd).map_err(|errno| ExecError::Close {
        path: dst_name.to_owned(),
        errno,
    })?;
    Ok(())
}

/// Makes the temporary carry DEST's owner (when ownership is not preserved from the source);
/// returns the mode to give it: DEST's, less the set-id bits a write by non-root would clear.
fn keep_owner(
    job: &Job,
    fd: BorrowedFd<'_>,
    old: &Stat,
    dst_name: &Path,
    warnings: &mut Vec<Warning>,
) -> u32 {
    let root = rustix::process::geteuid().is_root();
    let mut mode = old.st_mode & if root { 0o7777 } else { 0o1777 };
    if !job.preserve.attrs.ownership {
        let mine = fstat(fd).is_ok_and(|st| (st.st_uid, st.st_gid) == (old.st_uid, old.st_gid));
        if !mine {
            let (uid, gid) = (Uid::from_raw(old.st_uid), Gid::from_raw(old.st_gid));
            if let Err(errno) = fchown(fd, Some(uid), Some(gid)) {
                mode &= !0o6000;
                let warning = KeepOwnerWarning {
                    path: dst_name.to_owned(),
                    uid: old.st_uid,
                    gid: old.st_gid,
                    errno,
                };
                warnings.push(Warning::KeepOwner(warning));
            }
        }
    }
    mode
}

/// Ranged `--atomic` over an existing DEST: the temporary starts as a copy of DEST (a clone,
/// else its data extents by the sparse copy's [`copy_extents`], holes kept).
fn prefill(
    engine: &Engine<'_>,
    job: &Job,
    place: &Place,
    old: &Stat,
    tmp: BorrowedFd<'_>,
) -> Result<(), ExecError> {
    let dst_name = job.dest.display_path();
    let fail = |step: PrefillStep| {
        move |errno: Errno| ExecError::Prefill {
            path: dst_name.to_owned(),
            step,
            errno,
        }
    };
    let cur = openat(
        &place.dir,
        &place.name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(fail(PrefillStep::Copying))?;
    let st = fstat(&cur).map_err(fail(PrefillStep::Copying))?;
    if (st.st_dev, st.st_ino) != (old.st_dev, old.st_ino) {
        return Err(ExecError::DestReplaced {
            path: dst_name.to_owned(),
        });
    }
    let size = st.st_size as u64;
    if size == 0 || ioctl_ficlone(tmp, &cur).is_ok() {
        return Ok(());
    }
    // DEST's old bytes are not the copy's: the bar and `kill -USR1` count SOURCE's range
    // only (red team, round 18: a sparse 1 GiB DEST counted 100 MiB copied, and its holes
    // took the run's total to nothing, bar and percentage gone for every later job).
    let mut quiet = Engine::new(&super::NoProgress);
    quiet.chunk = engine.chunk;
    let mut span = Span {
        engine: &quiet,
        src: cur.as_fd(),
        dst: tmp,
        src_name: &job.dest,
        dst_name: &job.dest,
        devices: (st.st_dev, Some(st.st_dev)),
        use_cfr: job.kernel_copy,
        kernel_copy_only: false,
        skip_zeros: false,
        exact: false,
        preallocate: false,
        sendfile: true,
    };
    let prefill = super::without_job_counts(|| copy_extents(&mut span, size, &mut Outcome::new()));
    let copied = prefill.map_err(|e| match e {
        ExecError::Read { errno, .. } | ExecError::Seek { errno, .. } => {
            fail(PrefillStep::Reading)(errno)
        }
        ExecError::Write { errno, .. } | ExecError::Copy { errno, .. } => {
            fail(PrefillStep::Copying)(errno)
        }
        other => other,
    })?;
    if copied.ended_at.is_some() {
        return Err(ExecError::Shrank {
            path: dst_name.to_owned(),
        });
    }
    ftruncate(tmp, size).map_err(fail(PrefillStep::Copying))
}

/// Puts the complete temporary in DEST's place (see [`Temp::put_in_place`]).
fn put_in_place(
    job: &Job,
    place: &Place,
    temp: &mut Temp<'_>,
    dst_name: &Path,
) -> Result<(), ExecError> {
    let replace = place.old.is_some() || job.force;
    temp.put_in_place(place.dir.as_fd(), &place.name, replace)
        .map_err(|errno| {
            let path = dst_name.to_owned();
            if place.old.is_some() {
                ExecError::Replace { path, errno }
            } else {
                ExecError::CreateDest { path, errno }
            }
        })
}
