//! The directory walk: frames of open source/destination directory fds under a bounded fd
//! budget, creating destination directories and applying their metadata once their entries
//! (and those entries' jobs) are done.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{fstat, mkdirat, openat, statat, AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{same_name, Copier, PendingDir};
use crate::cli::UpdateWhen;
use crate::exec::probe;
use crate::facts::{FileFacts, FileKind, FsKind};
use crate::options::Deref;
use crate::plan::Endpoint;
use crate::report::{errno_text_of, quote};

/// Directory levels whose fds stay open at most; deeper ancestors are closed and reopened via
/// "..". A low `ulimit -n` lowers it (see [`dir_levels_for_fd_limit`]).
const OPEN_DIR_BUDGET: usize = 128;

/// How many directory levels (two descriptors each) the walk keeps open under the open-file
/// limit `limit`, leaving room for standard streams, the workers' files and the jobs run
/// inline: at least one, at most [`OPEN_DIR_BUDGET`]. Issue 12: at `ulimit -n 12` a 12-level
/// tree copied 1 to 3 of its 13 files; GNU cp copies all of them.
pub(super) fn dir_levels_for_fd_limit(limit: u64) -> usize {
    // Half of what is left over is the walk's: its open levels and as many finished
    // directories waiting for their jobs, two descriptors each.
    let spare = limit.saturating_sub(crate::pool::fd_reserve(limit));
    ((spare / 8) as usize).clamp(1, OPEN_DIR_BUDGET)
}

/// A directory being copied: its fds (possibly closed to save fds), identity and entries.
pub(super) struct Frame {
    src: Option<Arc<OwnedFd>>,
    dst: Option<Arc<OwnedFd>>,
    src_id: (u64, u64),
    dst_id: (u64, u64),
    src_shown: PathBuf,
    dst_shown: PathBuf,
    facts: FileFacts,
    created: bool,
    /// For a directory this run created: the mode to set once it is done (GNU's
    /// restore_dst_mode), unless the mode is preserved.
    restore_mode: Option<u32>,
    /// The top of an operand's tree: the only directory whose parent the walk never leaves
    /// (so `--sync` flushes that parent for it).
    operand: bool,
    /// Remaining entries, popped from the end.
    entries: Vec<OsString>,
    /// Identifies the directory for jobs that finish later (`-j`).
    pub(super) token: u64,
    /// The filesystems of the source and destination directories.
    src_fs: FsKind,
    dst_fs: FsKind,
}

/// What the walk knows about the directory whose entries it is copying: saves a stat and a
/// statfs per file.
#[derive(Copy, Clone, Debug)]
pub(super) struct WalkDir {
    /// This run created the destination directory: every entry's destination is missing.
    pub(super) fresh: bool,
    pub(super) src_dev: u64,
    pub(super) src_fs: FsKind,
    pub(super) dst_dev: u64,
    pub(super) dst_fs: FsKind,
}

impl<'a, 'p> Copier<'a, 'p> {
    /// A directory's walk is over: finish it now, or when its last job completes.
    fn close_dir(&mut self, frame: Frame) {
        if self.pool.is_some() {
            // The directory's last files may still wait for a hand-off: send them now.
            self.flush();
        }
        match self.pending_dirs.get_mut(&frame.token) {
            Some(p) if p.outstanding > 0 => p.frame = Some(frame),
            _ => {
                self.pending_dirs.remove(&frame.token);
                self.leave_dir(frame);
            }
        }
    }

    /// Copies a directory and everything below it.
    pub(super) fn copy_tree(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
    ) {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        // An existing destination that is the source itself (`cp -r d .`): GNU's same-file rule.
        if let Some((ddir, dname)) = dst.dir_and_name() {
            if let Ok(st) = statat(ddir, dname, AtFlags::empty()) {
                if (st.st_dev, st.st_ino) == (facts.dev, facts.ino) {
                    if self.cfg.update == UpdateWhen::None {
                        return;
                    }
                    return self.fail_same_file(&src_shown, &dst_shown);
                }
            }
        }
        let Some(mut root) = self.enter_dir(src, facts, dst, nofollow, &mut []) else {
            return;
        };
        root.operand = true;
        let outer_root = self.walk_root.take();
        if self.cfg.preserve_links() {
            self.walk_root = root.dst.clone().map(|fd| (fd, Arc::new(dst_shown.clone())));
        }
        if root.created && !self.cfg.dry_run {
            if let Some(st) = root.dst.as_ref().and_then(|fd| fstat(&**fd).ok()) {
                self.created_dirs
                    .entry((st.st_dev, st.st_ino))
                    .or_insert_with(|| root.dst_shown.clone());
            }
        }
        let root_dev = facts.dev;
        // The source directories being walked, for cycles through symlinks (-L) or bind
        // mounts: GNU's is_ancestor check.
        let mut ancestors = std::collections::HashSet::from([root.src_id]);
        let mut stack = vec![root];
        while let Some(top) = stack.last_mut() {
            if crate::signals::pending().is_some() {
                top.entries.clear();
            }
            let Some(name) = top.entries.pop() else {
                let frame = stack.pop().expect("non-empty stack");
                ancestors.remove(&frame.src_id);
                if let Some(parent) = stack.last_mut() {
                    if let Err(msg) = reopen_parent(parent, &frame) {
                        let (s, d) = (frame.src_shown.clone(), frame.dst_shown.clone());
                        self.fail(&s, &d, &msg);
                        self.walk_root = outer_root;
                        return;
                    }
                }
                self.close_dir(frame);
                continue;
            };
            self.current_dir = Some(top.token);
            let walk_dir = WalkDir {
                fresh: top.created,
                src_dev: top.facts.dev,
                src_fs: top.src_fs,
                dst_dev: top.dst_id.0,
                dst_fs: top.dst_fs,
            };
            self.walk_dir = Some(walk_dir);
            let src_dir = top.src.clone().expect("open frame");
            let dst_dir = top.dst.clone().expect("open frame");
            let child_src = Endpoint::At {
                dir: src_dir.clone(),
                name: name.clone(),
                shown: top.src_shown.join(&name),
            };
            let child_dst = Endpoint::At {
                dir: dst_dir,
                name: name.clone(),
                shown: top.dst_shown.join(&name),
            };
            let follow = self.cfg.deref == Deref::Always;
            let flags = if follow {
                AtFlags::empty()
            } else {
                AtFlags::SYMLINK_NOFOLLOW
            };
            let facts = match statat(&*src_dir, &name, flags) {
                Ok(st) => {
                    let mut facts = probe::facts_from_stat(&st, 0);
                    if facts.dev == walk_dir.src_dev {
                        facts.fs = walk_dir.src_fs;
                    }
                    facts
                }
                Err(e) => {
                    let shown = child_src.display_path().to_path_buf();
                    let msg = format!("cannot stat {}: {}", quote(&shown), errno_text_of(e));
                    self.fail(&shown, child_dst.display_path(), &msg);
                    continue;
                }
            };
            if let Some(filter) = &self.cfg.restart.filter {
                // --exclude/--include: matched against the path below the operand.
                let rel = child_src.display_path().strip_prefix(&src_shown);
                let is_dir = facts.kind == FileKind::Directory;
                if rel.is_ok_and(|rel| filter.excludes(rel, is_dir)) {
                    let (s, d) = (child_src.display_path(), child_dst.display_path());
                    if self.cfg.dry_run && !self.cfg.json {
                        self.reporter.planned_node("excluded", s, d);
                    } else {
                        let kind = if is_dir { "directory" } else { "file" };
                        self.reporter.skipped_node(kind, s, d);
                    }
                    continue;
                }
            }
            let earlier = (facts.kind == FileKind::Directory)
                .then(|| self.created_dirs.get(&(facts.dev, facts.ino)).cloned())
                .flatten();
            if let Some(earlier) = earlier
                .clone()
                .filter(|e| !same_name(child_src.display_path(), e))
            {
                // GNU cp: the directory was reached by another name than the one it was created as.
                let msg = format!(
                    "will not create hard link {} to directory {}",
                    quote(child_dst.display_path()),
                    quote(&earlier)
                );
                self.fail(child_src.display_path(), child_dst.display_path(), &msg);
                continue;
            }
            if earlier.is_some() {
                // A directory this run created is being copied: the destination is inside the
                // source. As GNU cp, report it with the operands' names and stop this operand
                // (what was copied so far stays).
                let msg = format!(
                    "cannot copy a directory, {}, into itself, {}",
                    quote(&src_shown),
                    quote(&dst_shown)
                );
                self.fail(&src_shown, &dst_shown, &msg);
                while let Some(frame) = stack.pop() {
                    self.close_dir(frame);
                }
                break;
            }
            if facts.kind == FileKind::Directory && ancestors.contains(&(facts.dev, facts.ino)) {
                // As GNU cp: the directory is its own ancestor; the rest of the walk goes on.
                let shown = child_src.display_path().to_path_buf();
                let msg = format!("cannot copy cyclic symbolic link {}", quote(&shown));
                self.fail(&shown, child_dst.display_path(), &msg);
                continue;
            }
            if facts.kind == FileKind::Directory {
                if self.cfg.one_file_system && facts.dev != root_dev {
                    // cp -x: the mount point is created, its contents are not copied.
                    let entered =
                        self.enter_dir(&child_src, &facts, &child_dst, !follow, &mut stack);
                    if let Some(mut frame) = entered {
                        frame.entries.clear();
                        self.close_dir(frame);
                    }
                    continue;
                }
                self.walk_dir = None;
                let entered = self.enter_dir(&child_src, &facts, &child_dst, !follow, &mut stack);
                if let Some(frame) = entered {
                    ancestors.insert(frame.src_id);
                    stack.push(frame);
                    let depth = stack.len();
                    let mut pressed = false;
                    if depth > self.dir_levels {
                        let old = &mut stack[depth - self.dir_levels - 1];
                        // Jobs still queued keep their directory's descriptors open.
                        pressed = [&old.src, &old.dst]
                            .iter()
                            .any(|fd| fd.as_ref().is_some_and(|fd| Arc::strong_count(fd) > 1));
                        old.src = None;
                        old.dst = None;
                    }
                    // Finished directories waiting for their jobs hold descriptors too.
                    pressed |= self.pending_dirs.len() > 2 * self.dir_levels
                        && self
                            .pending_dirs
                            .values()
                            .filter(|p| p.frame.is_some())
                            .count()
                            > self.dir_levels;
                    if pressed {
                        self.relieve_fds(&mut stack);
                    }
                }
            } else {
                self.copy_leaf(&child_src, &facts, &child_dst, !follow);
            }
        }
        self.current_dir = None;
        self.walk_dir = None;
        self.walk_root = outer_root;
    }

    /// Opens a source directory and creates (or opens) its destination; prints the -v line.
    fn enter_dir(
        &mut self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        nofollow: bool,
        ancestors: &mut [Frame],
    ) -> Option<Frame> {
        let src_shown = src.display_path().to_path_buf();
        let dst_shown = dst.display_path().to_path_buf();
        let (sdir, sname) = src.dir_and_name().expect("paths");
        let src_fd = match self.retry_emfile(ancestors, || open_dir(sdir, sname, nofollow)) {
            Ok(fd) => fd,
            Err(e) => {
                let msg = format!("cannot access {}: {}", quote(&src_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        match fstat(&src_fd) {
            Ok(st) if (st.st_dev, st.st_ino) == (facts.dev, facts.ino) => {}
            _ => {
                let msg = format!(
                    "skipping file {}, as it was replaced while being copied",
                    quote(&src_shown)
                );
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        }
        let (ddir, dname) = dst.dir_and_name().expect("paths");
        // --dry-run creates nothing: a missing destination directory is stood in for by its
        // parent, and the walk treats it as fresh (every entry's destination missing).
        let planned_only = self.cfg.dry_run
            && matches!(
                statat(ddir, dname, AtFlags::SYMLINK_NOFOLLOW),
                Err(Errno::NOENT)
            );
        // Rule 7 of issue 12: created with the mode GNU cp gives mkdir, so the kernel's umask
        // or the parent's default ACL decides, as for GNU cp.
        let (create_mode, omitted) = self.new_dir_modes(facts.mode);
        let made = if planned_only {
            Ok(())
        } else {
            mkdirat(ddir, dname, Mode::from_raw_mode(create_mode))
        };
        let created = match made {
            Ok(()) => true,
            Err(Errno::EXIST) => {
                let keep_link = self.cfg.keep_directory_symlink;
                let flags = if keep_link {
                    AtFlags::empty()
                } else {
                    AtFlags::SYMLINK_NOFOLLOW
                };
                match statat(ddir, dname, flags) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => false,
                    _ => {
                        let msg = format!(
                            "cannot overwrite non-directory {} with directory {}",
                            quote(&dst_shown),
                            quote(&src_shown)
                        );
                        self.fail(&src_shown, &dst_shown, &msg);
                        return None;
                    }
                }
            }
            Err(e) => {
                let msg = format!(
                    "cannot create directory {}: {}",
                    quote(&dst_shown),
                    errno_text_of(e)
                );
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let keep_link = self.cfg.keep_directory_symlink;
        let opened = if planned_only {
            self.retry_emfile(ancestors, || {
                open_dir(ddir, probe::parent_dir(Path::new(dname)), false)
            })
            .map_err(Some)
        } else if created {
            match open_created_dir(ddir, dname) {
                Err(Some(Errno::MFILE)) => {
                    self.relieve_fds(ancestors);
                    open_created_dir(ddir, dname)
                }
                other => other,
            }
        } else {
            self.retry_emfile(ancestors, || open_dir(ddir, dname, !keep_link))
                .map_err(Some)
        };
        let dst_fd = match opened {
            Ok(fd) => fd,
            Err(e) => {
                // A dry run meets a missing parent here: the run's mkdir would have failed.
                let what = if planned_only {
                    "cannot create directory"
                } else {
                    "cannot access"
                };
                let msg = match e {
                    Some(e) => format!("{what} {}: {}", quote(&dst_shown), errno_text_of(e)),
                    None => format!("{} was replaced while being copied", quote(&dst_shown)),
                };
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let restore_mode = (created && !planned_only)
            .then(|| self.prepare_new_dir(dst_fd.as_fd(), facts.mode, omitted))
            .flatten();
        if self.cfg.dry_run {
            self.reporter
                .planned_node("directory", &src_shown, &dst_shown);
        }
        // Read after the destination exists, as GNU cp does: a destination inside the source
        // then shows up in the walk and is reported as a copy into itself.
        let entries = match self.retry_emfile(ancestors, || read_entries(src_fd.as_fd())) {
            Ok(entries) => entries,
            Err(e) => {
                let msg = format!("cannot access {}: {}", quote(&src_shown), errno_text_of(e));
                self.fail(&src_shown, &dst_shown, &msg);
                return None;
            }
        };
        let dst_st = fstat(&dst_fd).ok()?;
        let token = self.next_token;
        self.next_token += 1;
        self.pending_dirs.insert(
            token,
            PendingDir {
                frame: None,
                outstanding: 0,
            },
        );
        // Without -L/-H a walk reaches a directory it created only through the operands
        // (into itself, or a later operand): with one operand and -P, only the operand's own
        // directory is remembered (below, in copy_tree), which keeps `cp -al` of 20,000
        // directories small (GNU tests/cp/link-heap.sh).
        if created && !planned_only && (self.track_created || self.cfg.deref != Deref::Never) {
            // For directories, the destination's name (GNU's remember_copied).
            self.created_dirs
                .insert((dst_st.st_dev, dst_st.st_ino), dst_shown.clone());
        }
        // GNU cp -v names a directory only when it creates it.
        if !self.cfg.dry_run && (created || self.cfg.json) {
            self.reporter.node_done("directory", &src_shown, &dst_shown);
        }
        let src_fd_fs = rustix::fs::fstatfs(&src_fd).map(|f| f.f_type as u64);
        let dst_fd_fs = rustix::fs::fstatfs(&dst_fd).map(|f| f.f_type as u64);
        Some(Frame {
            src: Some(Arc::new(src_fd)),
            dst: Some(Arc::new(dst_fd)),
            src_id: (facts.dev, facts.ino),
            dst_id: (dst_st.st_dev, dst_st.st_ino),
            src_shown,
            dst_shown,
            facts: *facts,
            created,
            restore_mode,
            operand: false,
            entries,
            token,
            src_fs: fs_kind_of(src_fd_fs),
            dst_fs: fs_kind_of(dst_fd_fs),
        })
    }

    /// Runs `open`, and once more after [`Copier::relieve_fds`] if it fails with `EMFILE`.
    fn retry_emfile<T>(
        &mut self,
        ancestors: &mut [Frame],
        mut open: impl FnMut() -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        match open() {
            Err(Errno::MFILE) => {
                self.relieve_fds(ancestors);
                open()
            }
            other => other,
        }
    }

    /// Out of descriptors (or close to it): waits for every running job (finished directories
    /// waiting for them then close) and closes the cached descriptors of every ancestor but
    /// the innermost (reopened through ".." when the walk gets back to them).
    fn relieve_fds(&mut self, ancestors: &mut [Frame]) {
        if self.pool.is_some() {
            self.flush();
            self.drain(true);
        }
        if let Some((_, older)) = ancestors.split_last_mut() {
            for frame in older {
                frame.src = None;
                frame.dst = None;
            }
        }
    }

    /// A directory's children are done: apply its final mode and times.
    pub(super) fn leave_dir(&mut self, frame: Frame) {
        let (Some(src), Some(dst)) = (frame.src, frame.dst) else {
            return;
        };
        let new_mode = if frame.created && self.cfg.no_preserve_mode {
            // As GNU cp: `--no-preserve=mode` sets 0777 less the umask (and the sticky bit).
            let inherited_setgid = fstat(&*dst).map(|st| st.st_mode & 0o2000).unwrap_or(0);
            Some(((0o777 | (frame.facts.mode & 0o1000)) & !self.umask) | inherited_setgid)
        } else {
            frame.restore_mode
        };
        self.apply_meta(
            dst.as_fd(),
            Some(src.as_fd()),
            &frame.facts,
            new_mode,
            &frame.dst_shown,
        );
        if self.cfg.sync && !self.cfg.dry_run {
            // A new subdirectory's entry is flushed with its parent, which the walk leaves too.
            let new_top = frame.created && frame.operand;
            let synced = crate::exec::sync_tree_dir(dst.as_fd(), &frame.dst_shown, new_top);
            if let Err(msg) = synced {
                self.fail(&frame.src_shown, &frame.dst_shown, &msg);
            }
        }
    }
}

/// Opens a directory for walking (`O_NOFOLLOW` unless it is to be followed).
pub(super) fn open_dir(
    dir: impl AsFd,
    name: impl rustix::path::Arg,
    nofollow: bool,
) -> Result<OwnedFd, Errno> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    openat(dir, name, flags, Mode::empty())
}

/// Opens a directory this run just made with `mkdirat`, without following a symlink, and
/// checks it is ours: a directory owned by the user running fcopy (a name the directory's
/// other users swapped meanwhile is `Err(None)`). (README, "Security": every effect on a descriptor).
pub(super) fn open_created_dir(
    dir: impl AsFd,
    name: impl rustix::path::Arg,
) -> Result<OwnedFd, Option<Errno>> {
    let fd = open_dir(dir, name, true)?;
    let st = fstat(&fd)?;
    if made_by_us(&fd, &st) {
        Ok(fd)
    } else {
        Err(None)
    }
}

/// Whether a node fcopy just created is owned as one it created: by the effective user, or on
/// a filesystem whose owners are not the creator's (FAT, exFAT, NTFS, FUSE, NFS, SMB, 9p, vboxsf:
/// mount options or the server decide), where the owner proves nothing.
pub(super) fn made_by_us(fd: &impl AsFd, st: &rustix::fs::Stat) -> bool {
    const FOREIGN_OWNERS: [u64; 10] = [
        0x4d44,      // FAT
        0x2011_bab0, // exFAT
        0x5346_544e, // NTFS (ntfs-3g, ntfs)
        0x7366_746e, // ntfs3
        0x6573_5546, // FUSE
        0x6969,      // NFS
        0xff53_4d42, // CIFS
        0xfe53_4d42, // SMB2
        0x0102_1997, // 9p
        0x786f_4256, // vboxsf
    ];
    st.st_uid == rustix::process::geteuid().as_raw()
        || rustix::fs::fstatfs(fd).is_ok_and(|f| FOREIGN_OWNERS.contains(&(f.f_type as u64)))
}

impl<'a, 'p> Copier<'a, 'p> {
    /// GNU cp's modes for a new directory: the mode for `mkdirat` (the source's bits and
    /// sticky bit, the kernel then applies the umask or a default ACL), less the bits withheld
    /// until the directory is ready (group and other write; with ownership preserved all of
    /// group and other: GNU's `omitted_permissions`), and those withheld bits.
    pub(super) fn new_dir_modes(&self, src_mode: u32) -> (u32, u32) {
        let withheld = if self.cfg.copy.preserve.attrs.ownership {
            0o077
        } else {
            0o022
        };
        let omitted = src_mode & withheld;
        (src_mode & 0o1777 & !omitted, omitted)
    }

    /// After creating a directory (as GNU cp): gives its owner rwx while it is filled if the
    /// mode lacks them, and returns the mode to set once it is done (the mode it was created
    /// with, plus the withheld bits the umask allows), or `None` when it is already right.
    pub(super) fn prepare_new_dir(
        &self,
        fd: BorrowedFd<'_>,
        src_mode: u32,
        omitted: u32,
    ) -> Option<u32> {
        if self.cfg.dry_run {
            return None;
        }
        let now = fstat(fd).map(|st| st.st_mode & 0o7777).ok()?;
        let mut restore = false;
        if now & 0o700 != 0o700 {
            let _ = rustix::fs::fchmod(fd, Mode::from_raw_mode(now | 0o700));
            restore = true;
        }
        let re_add = omitted & src_mode & !self.umask;
        restore |= re_add & !now != 0;
        restore.then_some(now | re_add)
    }
}

/// Reads a directory's names, sorted by inode number as GNU cp does (fast on most filesystems).
fn read_entries(dir: BorrowedFd<'_>) -> Result<Vec<OsString>, Errno> {
    let mut entries = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        entries.push((entry.ino(), OsStr::from_bytes(name).to_owned()));
    }
    // Popped from the end: reverse inode order here gives ascending order there.
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    Ok(entries.into_iter().map(|(_, n)| n).collect())
}

/// After finishing `child`, makes sure `parent` has open fds again (reopened via "..").
fn reopen_parent(parent: &mut Frame, child: &Frame) -> Result<(), String> {
    if parent.src.is_some() && parent.dst.is_some() {
        return Ok(());
    }
    let reopen = |child_fd: &Option<Arc<OwnedFd>>, want: (u64, u64), shown: &Path| {
        let fd = child_fd
            .as_ref()
            .ok_or_else(|| format!("cannot reopen {}", quote(shown)))?;
        let parent = openat(
            &**fd,
            "..",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| format!("cannot reopen {}: {}", quote(shown), errno_text_of(e)))?;
        match fstat(&parent) {
            Ok(st) if (st.st_dev, st.st_ino) == want => Ok(Arc::new(parent)),
            _ => Err(format!(
                "directory {} was moved while being copied",
                quote(shown)
            )),
        }
    };
    parent.src = Some(reopen(&child.src, parent.src_id, &parent.src_shown)?);
    parent.dst = Some(reopen(&child.dst, parent.dst_id, &parent.dst_shown)?);
    Ok(())
}

fn fs_kind_of(magic: Result<u64, Errno>) -> FsKind {
    FsKind::from_magic(magic.unwrap_or(0))
}
