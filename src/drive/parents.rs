//! `--parents`: DEST's leading directories (`dir/a/b` for source `a/b/f`), made one at a time
//! relative to the previous one's descriptor, and their attributes applied again once the
//! operand is copied (GNU's `make_dir_parents_private` and `re_protect`).

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{statat, AtFlags, CWD};
use rustix::io::Errno;

use super::errors::WalkError;
use super::Copier;
use crate::exec::dirs::{self, open_dir, MakeError, OpenError};
use crate::exec::{self, probe};
use crate::facts::FileFacts;
use crate::plan::mode::{new_node_mode, NewNode};
use crate::plan::{self, Endpoint};

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

impl<'a, 'p> Copier<'a, 'p> {
    /// Copies an operand with `--parents`: makes DEST's missing directories, copies the operand
    /// into the last one, then applies the new parents' attributes again.
    pub(super) fn copy_with_parents(
        &mut self,
        src_path: &Path,
        dst_path: &Path,
        facts: &FileFacts,
        follow: bool,
    ) {
        let (made_parents, dst_dir) = match self.make_parents(src_path, dst_path) {
            Ok(parents) => parents,
            Err(err) => return self.fail(src_path, dst_path, err),
        };
        // DEST is named in the last parent's descriptor: a component swapped for a symlink
        // meanwhile is never followed (rule 10).
        let dst = match dst_dir {
            Some(dir) => Endpoint::At {
                dir,
                name: plan::base_name(dst_path).to_owned(),
                shown: dst_path.to_path_buf(),
            },
            None => Endpoint::Path(dst_path.to_path_buf()),
        };
        self.copy_operand_node(src_path, dst, facts, follow);
        if made_parents.is_empty() {
            return;
        }
        // Creating the operand changed its new parents' times: apply their attributes again,
        // deepest first, once its jobs are done (GNU's re_protect), on the descriptors made.
        self.drain(true);
        for made in made_parents.iter().rev() {
            self.apply_meta(
                made.fd.as_fd(),
                None,
                &made.facts,
                made.new_mode,
                &made.shown,
            );
            if self.cfg.sync && !self.cfg.dry_run && made.created {
                // A directory --parents created: it and the entry for it in its parent.
                if let Err(msg) = exec::sync_tree_dir(made.fd.as_fd(), &made.shown, true) {
                    self.fail(src_path, dst_path, msg);
                }
            }
        }
    }

    /// Creates the missing directories of `--parents` (`dir/a/b` for source `a/b/f`), each
    /// relative to its parent's descriptor. Returns the new directories (and, when one was
    /// made, the existing ones whose attributes are applied again) and the descriptor of the
    /// last parent (`None` under `--dry-run`).
    fn make_parents(&mut self, src: &Path, dst: &Path) -> Result<Parents, WalkError> {
        let mut made: Vec<MadeParent> = Vec::new();
        let rel_parent = src.parent().unwrap_or(Path::new(""));
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
        let mut dir = Arc::new(
            open_dir(CWD, top, false).map_err(|errno| WalkError::Access {
                path: top.to_path_buf(),
                errno,
            })?,
        );
        let mut src_dir = PathBuf::new();
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
                continue;
            }
            if self.cfg.dry_run {
                // A dry run writes nothing: the directories are planned, not made.
                if statat(CWD, &dst_dir, AtFlags::SYMLINK_NOFOLLOW).is_err() {
                    self.reporter.planned_parent(&src_dir, &dst_dir);
                }
                continue;
            }
            dir = self.make_parent(&dir, name, &src_dir, dst_dir, &mut made)?;
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
    /// `src_dir`, shown as `dst_dir`; records it in `made` and returns its descriptor.
    fn make_parent(
        &mut self,
        dir: &OwnedFd,
        name: &Path,
        src_dir: &Path,
        dst_dir: PathBuf,
        made: &mut Vec<MadeParent>,
    ) -> Result<Arc<OwnedFd>, WalkError> {
        let facts = statat(CWD, src_dir, AtFlags::empty())
            .map(|st| probe::facts_from_stat(&st, 0))
            .map_err(|errno| WalkError::Stat {
                path: src_dir.to_path_buf(),
                errno,
            })?;
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
            let restore = dirs::prepare_new_dir(fd.as_fd(), &mode);
            // GNU: with --no-preserve=mode, 0777 less the umask (tests/cp/cp-parents.sh).
            let new_mode = mode.fixed.or(restore);
            self.apply_meta(fd.as_fd(), None, &facts, new_mode, &dst_dir);
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
        Ok(fd)
    }
}
