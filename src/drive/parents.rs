//! `--parents`: DEST's leading directories (`dir/a/b` for source `a/b/f`), made one at a time
//! relative to the previous one's descriptor, and their attributes applied again after the
//! operand is copied, once the jobs writing files into them are done (GNU's
//! `make_dir_parents_private` and `re_protect`).

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rustix::fs::{fstat, statat, AtFlags, FileType, CWD};
use rustix::io::Errno;

use super::errors::{EntryError, NodeKind, WalkError};
use super::operands::ParentsThen;
use super::{Copier, Leave, PendingDir};
use crate::exec::dirs::{self, open_dir, MakeError, OpenError};
use crate::exec::{self, probe};
use crate::facts::{FileFacts, FileKind};
use crate::options::{Deref, LinkMode};
use crate::plan::mode::{new_node_mode, NewNode};
use crate::plan::replace::ReplaceError;
use crate::plan::{self, Endpoint};
use crate::pool;

mod planned;

/// A directory of a `--parents` destination (made now or existing): its descriptor, name and
/// the source directory's facts, for applying its attributes again once the operand is copied.
pub(super) struct MadeParent {
    fd: Arc<OwnedFd>,
    shown: PathBuf,
    facts: FileFacts,
    new_mode: Option<u32>,
    /// Made by this run (false: an existing parent whose attributes are applied again).
    created: bool,
}

/// The `--parents` directories made so far and the descriptor of the last one.
type Parents = (Vec<MadeParent>, Option<Arc<OwnedFd>>);

/// A `--parents` directory whose attributes are to be applied again (GNU's re_protect).
pub(super) struct Reprotect {
    parent: MadeParent,
    /// The operand that made (or met) it, named if `--sync` fails.
    src: PathBuf,
    dst: PathBuf,
}

impl<'a, 'p> Copier<'a, 'p> {
    /// Copies an operand with `--parents`: makes DEST's missing directories, copies the operand
    /// into the last one, then applies the new parents' attributes again (GNU's re_protect).
    ///
    /// With `-j`, every effect on a leading directory comes in the order of a copy of one
    /// operand after the other (GNU cp's): its attributes are applied once the jobs writing
    /// files into it are done (a worker writing a file afterwards gave it the current time:
    /// new-user trial, round 6), and an operand waits for them before it writes into it.
    ///
    /// `assumed_new` is GNU's `new_dst` ([`Copier::copy_operand_after`]): when it holds, a
    /// DEST that is there fails the operand as its creation would.
    pub(super) fn copy_with_parents(
        &mut self,
        src_path: &Path,
        dst_path: &Path,
        then: ParentsThen,
        assumed_new: &mut bool,
    ) {
        let is_tree = matches!(&then, ParentsThen::Copy { facts, .. }
            if facts.kind == FileKind::Directory);
        if is_tree && !self.parent_waits.is_empty() {
            // A tree's walk may write into any directory: the jobs into them finish first.
            self.flush();
            self.drain(true);
        }
        let made = self.make_parents(src_path, dst_path, assumed_new);
        let (made_parents, dst_dir) = match made {
            Ok(parents) => parents,
            Err(err) => return self.fail(src_path, dst_path, err),
        };
        // The operand's jobs count against its directory (held while it is copied).
        let held = match &dst_dir {
            Some(dir) if self.pool.is_some() => self.hold_parent(dir),
            _ => None,
        };
        // DEST is named in the last parent's descriptor: a component swapped for a symlink
        // meanwhile is never followed (rule 10).
        let dst = match dst_dir {
            Some(dir) => Endpoint::At {
                dir,
                name: plan::base_name(dst_path).to_owned(),
                shown: dst_path.to_path_buf().into(),
            },
            None => Endpoint::Path(dst_path.to_path_buf()),
        };
        let outer = std::mem::replace(&mut self.current_dir, held);
        match then {
            ParentsThen::Fail(err) => self.fail(src_path, dst_path, err),
            ParentsThen::Warn(warning) => self.reporter.note(&warning.to_string()),
            ParentsThen::Copy { facts, follow } => {
                match assumed_new.then(|| self.exists_as_new(src_path, &dst, &facts)) {
                    Some(Some(err)) => self.fail(src_path, dst_path, err),
                    _ => self.copy_operand_node(src_path, dst, &facts, follow),
                }
            }
        }
        self.current_dir = outer;
        if let Some(token) = held {
            self.job_left(token);
        }
        // Deepest first, each once the jobs into it are done.
        for made in made_parents.into_iter().rev() {
            self.reprotect_after_jobs(made, src_path, dst_path);
        }
    }

    /// The pending directory that counts the jobs writing into the `--parents` directory
    /// `dir`, found or made, held by the operand (one more outstanding) until its jobs are
    /// dispatched. `None` if `dir` cannot be looked at.
    fn hold_parent(&mut self, dir: &OwnedFd) -> Option<u64> {
        let st = fstat(dir).ok()?;
        let id = (st.st_dev, st.st_ino);
        let token = match self.parent_waits.get(&id) {
            Some(&token) => token,
            None => {
                let token = self.next_token;
                self.next_token += 1;
                let pending = PendingDir {
                    parent: Some(id),
                    ..PendingDir::default()
                };
                self.pending_dirs.insert(token, pending);
                self.parent_waits.insert(id, token);
                token
            }
        };
        self.pending_dirs.get_mut(&token)?.outstanding += 1;
        Some(token)
    }

    /// Applies a `--parents` directory's attributes again now if no job writes into it, else
    /// once the last one is done (in [`Copier::complete`]).
    fn reprotect_after_jobs(&mut self, parent: MadeParent, src_path: &Path, dst_path: &Path) {
        let pending = if self.parent_waits.is_empty() {
            None
        } else {
            fstat(&*parent.fd)
                .ok()
                .and_then(|st| self.parent_waits.get(&(st.st_dev, st.st_ino)))
                .and_then(|token| self.pending_dirs.get_mut(token))
                .filter(|p| p.outstanding > 0)
        };
        let waiting = Reprotect {
            parent,
            src: src_path.to_path_buf(),
            dst: dst_path.to_path_buf(),
        };
        match pending {
            // Nothing waits there yet: the operand waited for it (`await_parent`).
            Some(p) => p.then = Some(Leave::Parent(waiting)),
            None => self.reprotect_waiting(waiting),
        }
    }

    /// GNU's re_protect of one directory: the source directory's attributes again, and with
    /// `--sync` a directory made is flushed with its entry in its parent.
    pub(super) fn reprotect_waiting(&mut self, waiting: Reprotect) {
        let made = &waiting.parent;
        if made.created && crate::signals::pending().is_some() {
            // Stopped: a directory made here may lack entries (see `leave_dir`).
            return;
        }
        self.apply_meta(
            made.fd.as_fd(),
            None,
            &made.facts,
            made.new_mode,
            &made.shown,
        );
        if self.cfg.sync && !self.cfg.dry_run && made.created {
            if let Err(msg) = exec::sync_tree_dir(made.fd.as_fd(), &made.shown, true) {
                self.fail(&waiting.src, &waiting.dst, msg);
            }
        }
    }

    /// Waits until the directory `dir` has no attributes waiting to be applied (by an earlier
    /// operand), so that what this operand does in it, or to it, comes after them.
    fn await_parent(&mut self, dir: &OwnedFd) {
        if self.parent_waits.is_empty() {
            return;
        }
        let Ok(st) = fstat(dir) else {
            return;
        };
        let Some(&token) = self.parent_waits.get(&(st.st_dev, st.st_ino)) else {
            return;
        };
        let waiting = |c: &Self| c.pending_dirs.get(&token).is_some_and(|p| p.then.is_some());
        if !waiting(self) {
            return;
        }
        // Its jobs not yet handed to the workers run here and now: the workers go on with
        // theirs (waiting for them all at every new directory drained the queue each time).
        let (mine, rest) = std::mem::take(&mut self.batch)
            .into_iter()
            .partition(|slot: &pool::Slot| slot.context.dir_token == Some(token));
        self.batch = rest;
        for pool::Slot { job, context, .. } in mine {
            let started = Instant::now();
            let result = exec::run_job(self.engine, &job);
            let elapsed = started.elapsed();
            self.complete(pool::Done {
                job,
                context,
                result,
                elapsed,
            });
        }
        if waiting(self) {
            self.flush();
        }
        while waiting(self) {
            match self.pool.as_mut().and_then(|p| p.next_done(true)) {
                Some(done) => self.complete(done),
                None => break,
            }
        }
    }

    /// Creates the missing directories of `--parents` (`dir/a/b` for source `a/b/f`), each
    /// relative to its parent's descriptor. Returns the new directories (and, when one was
    /// made, the existing ones whose attributes are applied again) and the descriptor of the
    /// last parent (`None` under `--dry-run`).
    ///
    /// Updates `assumed_new` as GNU's make_dir_parents_private does `new_dst`.
    fn make_parents(
        &mut self,
        src: &Path,
        dst: &Path,
        assumed_new: &mut bool,
    ) -> Result<Parents, WalkError> {
        let mut made: Vec<MadeParent> = Vec::new();
        let rel_parent = src.parent().unwrap_or(Path::new(""));
        if rel_parent.components().next().is_some() && is_dir(probe::parent_dir(dst)) {
            *assumed_new = false;
        }
        // Only the names that DIRECTORY/SOURCE keeps: a leading '/' or './' is not one of them
        // (`find . -print0 | xargs -0 cp --parents -t DIR` gives './a/b/f').
        let kept = |c: &Component<'_>| matches!(c, Component::Normal(_) | Component::ParentDir);
        let depth = rel_parent.components().filter(kept).count();
        let mut base: PathBuf = dst.to_path_buf();
        for _ in 0..=depth {
            base.pop();
        }
        let top = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base.as_path()
        };
        let mut dir = Arc::new(self.open_top(top).map_err(|errno| WalkError::Access {
            path: top.to_path_buf(),
            errno,
        })?);
        self.await_parent(&dir);
        let (mut src_dir, mut in_planned) = (PathBuf::new(), false);
        for comp in rel_parent.components() {
            src_dir.push(comp);
            if !kept(&comp) {
                continue;
            }
            // DIRECTORY/SOURCE as the user wrote it ('e/./a' for './a', as GNU shows it).
            let dst_dir = base.join(src_dir.strip_prefix("/").unwrap_or(&src_dir));
            let name = Path::new(comp.as_os_str());
            if comp == Component::ParentDir {
                let fd = open_dir(&*dir, name, false).map_err(|errno| WalkError::Access {
                    path: dst_dir,
                    errno,
                })?;
                dir = Arc::new(fd);
                self.await_parent(&dir);
                *assumed_new = false;
                continue;
            }
            if self.cfg.dry_run {
                // A dry run writes nothing: the directories are planned, not made.
                *assumed_new = self.plan_parent(&src_dir, &dst_dir, &mut in_planned)?;
                continue;
            }
            let created;
            (dir, created) = self.make_parent(&dir, name, &src_dir, dst_dir, &mut made)?;
            *assumed_new = created;
            self.await_parent(&dir);
        }
        // GNU applies attributes to existing parents only when it had to create one.
        if !made.iter().any(|m| m.created) {
            made.clear();
        }
        if self.cfg.dry_run {
            // Nothing was made: DEST is named by its path, as the plan shows it.
            return Ok((made, None));
        }
        Ok((made, Some(dir)))
    }

    /// Makes (or opens) one `--parents` directory `name` in `dir` for the source directory
    /// `src_dir`, shown as `dst_dir`; records it in `made` and returns its descriptor and
    /// whether it was made now.
    fn make_parent(
        &mut self,
        dir: &OwnedFd,
        name: &Path,
        src_dir: &Path,
        dst_dir: PathBuf,
        made: &mut Vec<MadeParent>,
    ) -> Result<(Arc<OwnedFd>, bool), WalkError> {
        let facts = source_dir_facts(src_dir)?;
        let mode = new_node_mode(NewNode::ParentDirectory, facts.mode, &self.mode_settings());
        let parent = dirs::make_parent_dir(dir.as_fd(), name, mode.create).map_err(|step| {
            // As GNU's make_dir_parents_private: a name that is there but no directory, or a
            // dangling symlink (mkdir said it exists, stat says nothing is there).
            let path = dst_dir.clone();
            match step {
                MakeError::Open(OpenError::Failed(Errno::NOTDIR)) => {
                    WalkError::ParentNotDirectory { path }
                }
                MakeError::Open(OpenError::Failed(Errno::NOENT)) => WalkError::MakeDirectory {
                    path,
                    errno: Errno::EXIST,
                },
                step => WalkError::made(&path, step, |path, errno| WalkError::MakeDirectory {
                    path,
                    errno,
                }),
            }
        })?;
        let fd = Arc::new(parent.fd);
        let p = self.cfg.copy.preserve.attrs;
        if parent.created {
            // Searchable and writable by its owner until its attributes are applied, after the
            // operand is copied (GNU's make_dir_parents_private): a source directory without
            // write permission does not keep its files out of the copy.
            let restore = dirs::prepare_new_dir(fd.as_fd(), &mode);
            // GNU: with --no-preserve=mode, 0777 less the umask (tests/cp/cp-parents.sh).
            let new_mode = mode.fixed.or(restore);
            self.reporter.parent_made(src_dir, &dst_dir);
            made.push(MadeParent {
                fd: Arc::clone(&fd),
                shown: dst_dir,
                facts,
                new_mode,
                created: true,
            });
        } else if p.mode || p.ownership || p.timestamps {
            // An existing directory gets the preserved attributes too (GNU's re_protect;
            // tests/cp/parent-perm.sh), but is not reported as made.
            made.push(MadeParent {
                fd: Arc::clone(&fd),
                shown: dst_dir,
                facts,
                new_mode: None,
                created: false,
            });
        }
        Ok((fd, parent.created))
    }

    /// With GNU's `new_dst` set, the error DEST's creation meets when DEST is there (`None`
    /// when it is not, or when the rule does not apply): GNU cp neither looks at DEST nor
    /// replaces it, it creates it (`mkdir`, `open` with `O_EXCL`, `symlink`, `mknod`,
    /// `link`), which fails with EEXIST. `cp -s` is left to its own checks.
    fn exists_as_new(&self, src: &Path, dst: &Endpoint, facts: &FileFacts) -> Option<EntryError> {
        let st = match dst {
            Endpoint::At { dir, name, .. } => statat(&**dir, name, AtFlags::SYMLINK_NOFOLLOW),
            other => statat(CWD, other.display_path(), AtFlags::SYMLINK_NOFOLLOW),
        }
        .ok()?;
        let path = dst.display_path().to_path_buf();
        let errno = Errno::EXIST;
        let specials = self.cfg.recursive && !self.cfg.copy_contents;
        let node = |kind, path| Some(WalkError::CreateNode { kind, path, errno }.into());
        match (facts.kind, self.cfg.link) {
            (FileKind::Directory, _) if !self.cfg.recursive => None,
            (FileKind::Directory, _) => Some(WalkError::CreateDirectory { path, errno }.into()),
            (_, LinkMode::Symbolic) => None,
            // GNU replaces with -f or -i (create_hard_link's `replace`).
            (_, LinkMode::Hard) if self.cfg.copy.force || self.cfg.interactive => None,
            (_, LinkMode::Hard) => Some(
                WalkError::Link {
                    kind: NodeKind::HardLink,
                    dst: path,
                    target: src.to_path_buf(),
                    errno,
                }
                .into(),
            ),
            (FileKind::Symlink, _) if self.cfg.deref != Deref::Always => {
                node(NodeKind::SymbolicLink, path)
            }
            (FileKind::Fifo, _) if specials => node(NodeKind::Fifo, path),
            (FileKind::CharDevice | FileKind::BlockDevice | FileKind::Socket, _) if specials => {
                node(NodeKind::SpecialFile, path)
            }
            // GNU's open(O_CREAT | O_EXCL) of a file's copy: a symbolic link there is "not
            // writing through dangling symlink", whatever it points to.
            _ if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                Some(ReplaceError::DanglingSymlink { dest: path }.into())
            }
            _ => Some(ReplaceError::CannotCreate { dest: path, errno }.into()),
        }
    }
}

/// The facts of the source directory `src_dir` of a `--parents` directory (followed); GNU's
/// "failed to get attributes of 'a'" (make_dir_parents_private) when it cannot be looked at
/// or is no directory.
fn source_dir_facts(src_dir: &Path) -> Result<FileFacts, WalkError> {
    let attributes = |errno| WalkError::ParentAttributes {
        path: src_dir.to_path_buf(),
        errno,
    };
    let facts = statat(CWD, src_dir, AtFlags::empty())
        .map(|st| probe::facts_from_stat(&st, 0))
        .map_err(attributes)?;
    if facts.kind != FileKind::Directory {
        return Err(attributes(Errno::NOTDIR));
    }
    Ok(facts)
}

/// Whether `path` is a directory (followed).
fn is_dir(path: &Path) -> bool {
    statat(CWD, path, AtFlags::empty())
        .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
}
