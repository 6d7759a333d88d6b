//! Command-line operands: stat'ing each source, GNU's "specified more than once" rule, the
//! `--parents` destination, standard input and output, and handing the operand to the walk.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{statat, AtFlags, CWD};
use rustix::io::Errno;

use super::errors::{WalkError, WalkWarning};
use super::Copier;
use crate::exec::{dirs, probe};
use crate::facts::{FileFacts, FileKind};
use crate::options::{Deref, LinkMode};
use crate::plan::{self, Endpoint, Target};

/// What a `--parents` operand does once DEST's leading directories are made: GNU cp makes
/// them before it looks at SOURCE (cp.c do_copy, then copy_internal).
pub(super) enum ParentsThen {
    /// Copies SOURCE (`follow`: a symbolic link operand is followed).
    Copy { facts: FileFacts, follow: bool },
    /// SOURCE cannot be looked at.
    Fail(WalkError),
    /// SOURCE was given before ("specified more than once").
    Warn(WalkWarning),
}

impl<'a, 'p> Copier<'a, 'p> {
    /// `SOURCE DEST` whose DEST the operand grammar looked at and found not to be a directory
    /// (so the copy is named DEST, not DEST/SOURCE): a directory at DEST when the tree is
    /// made was put there since, and is refused like one that appears at the `mkdir`
    /// ([`crate::drive`]'s `Visit::dest_new`; race harness, round 7: another user's directory
    /// planted between the two looks received root's files). Not for `--batch` or `-T`,
    /// whose DEST is not looked at first.
    pub fn dest_seen_not_directory(&mut self, seen: bool) {
        self.dest_not_directory = seen;
    }

    /// Copies one command-line operand to its destination.
    pub fn copy_operand(&mut self, target: &Target, into_directory: bool) {
        self.copy_operand_after(target, into_directory, &mut false);
    }

    /// Copies one of several command-line operands. `assumed_new` is GNU cp's `new_dst` of
    /// `--parents` (cp.c do_copy), carried from one operand to the next (start with `false`):
    /// set when an operand's last leading directory had to be made, cleared when it was there,
    /// and kept as it was for an operand without leading directories (`f`, `dir`). While it is
    /// set, DEST is taken to be missing: one that is there fails the operand as its creation
    /// would ("cannot create directory 'd/a': File exists" for `cp -r --parents a/b/f a d`).
    pub fn copy_operand_after(
        &mut self,
        target: &Target,
        into_directory: bool,
        assumed_new: &mut bool,
    ) {
        self.into_directory = into_directory;
        let (src_path, dst_path) = match (&target.source, &target.dest) {
            (Endpoint::Path(s), Endpoint::Path(d)) => (s.clone(), d.clone()),
            _ => return self.copy_stream(target),
        };
        // GNU cp strips only the operands it copies into a directory.
        let src_path = if self.cfg.strip_trailing_slashes && into_directory {
            strip_slashes(&src_path)
        } else {
            src_path
        };
        let follow = matches!(self.cfg.deref, Deref::Always | Deref::CommandLine);
        let flags = if follow {
            AtFlags::empty()
        } else {
            AtFlags::SYMLINK_NOFOLLOW
        };
        let facts = match statat(CWD, &src_path, flags) {
            Ok(st) => probe::facts_from_stat(&st, fs_magic_of(&src_path, &st)),
            Err(errno) => {
                let err = WalkError::Stat {
                    path: src_path.clone(),
                    errno,
                };
                if !self.cfg.parents {
                    return self.fail(&src_path, &dst_path, err);
                }
                // GNU makes DEST's leading directories before it looks at SOURCE: up to the
                // first source directory that cannot be looked at, if one cannot.
                let err = leading_directory_error(&src_path).unwrap_or(err);
                let then = ParentsThen::Fail(err);
                return self.copy_with_parents(&src_path, &dst_path, then, assumed_new);
            }
        };
        if into_directory
            && self.cfg.backup.is_none()
            && !self.operands.insert(operand_key(&src_path, &facts))
        {
            let warning = WalkWarning::SpecifiedTwice {
                path: src_path.clone(),
                directory: facts.kind == FileKind::Directory,
            };
            if self.cfg.parents {
                let then = ParentsThen::Warn(warning);
                return self.copy_with_parents(&src_path, &dst_path, then, assumed_new);
            }
            self.reporter.note(&warning.to_string());
            return;
        }
        if !self.cfg.parents {
            let dst = if self.makes_node(&facts) {
                node_dest(dst_path)
            } else {
                Endpoint::Path(dst_path)
            };
            return self.copy_operand_node(&src_path, dst, &facts, follow);
        }
        let then = ParentsThen::Copy { facts, follow };
        self.copy_with_parents(&src_path, &dst_path, then, assumed_new);
    }

    /// Copies an operand that is not a directory to descend into, or walks its tree.
    pub(super) fn copy_operand_node(
        &mut self,
        src_path: &Path,
        dst: Endpoint,
        facts: &FileFacts,
        follow: bool,
    ) {
        let src = Endpoint::Path(src_path.to_path_buf());
        // With -s, directories are still walked (-rs makes links to the files), as GNU cp does.
        if facts.kind == FileKind::Directory {
            if !self.cfg.recursive {
                let err = WalkError::OmittingDirectory {
                    path: src_path.to_path_buf(),
                };
                return self.fail(src_path, dst.display_path(), err);
            }
            self.copy_tree(&src, facts, &dst, !follow);
        } else {
            self.copy_leaf(Cow::Owned(src), facts, Cow::Owned(dst), !follow);
        }
    }

    /// Whether [`Copier::copy_leaf`] makes a node for this source (a symlink, special file, or
    /// `-l`/`-s` link) rather than copying a file or walking a directory.
    fn makes_node(&self, facts: &FileFacts) -> bool {
        match (self.cfg.link, facts.kind) {
            (_, FileKind::Directory) => false,
            (LinkMode::Hard | LinkMode::Symbolic, _) => true,
            (LinkMode::Copy, FileKind::Symlink) => true,
            (LinkMode::Copy, FileKind::Regular) => false,
            (LinkMode::Copy, _) => self.cfg.recursive && !self.cfg.copy_contents,
        }
    }

    /// Standard input or output: the plain engine path.
    fn copy_stream(&mut self, target: &Target) {
        let src_name = target.source.display_path().to_path_buf();
        let dst_name = target.dest.display_path().to_path_buf();
        let source = match probe::source_facts(&target.source) {
            Ok(f) => f,
            Err(errno) => {
                let err = WalkError::Stat {
                    path: src_name.clone(),
                    errno,
                };
                return self.fail(&src_name, &dst_name, err);
            }
        };
        if source.kind == FileKind::Directory && self.cfg.recursive {
            let err = WalkError::DirectoryToStdout {
                path: src_name.clone(),
            };
            return self.fail(&src_name, &dst_name, err);
        }
        let (src, dst) = (Cow::Borrowed(&target.source), Cow::Borrowed(&target.dest));
        self.copy_file(src, &source, dst, false);
    }
}

/// The destination of an operand that becomes a node, named in its parent directory's
/// descriptor: checked, cleared and made relative to one resolution of the parent path (DESIGN
/// rule 10). Named by its path when it has no plain last name (a trailing slash, `.`, `..`) or
/// the parent cannot be opened, so that the node's own call reports the error as GNU cp does.
fn node_dest(path: PathBuf) -> Endpoint {
    let plain_name = match path.components().next_back() {
        Some(Component::Normal(name)) if !path.as_os_str().as_bytes().ends_with(b"/") => {
            Some(name.to_owned())
        }
        _ => None,
    };
    let Some(name) = plain_name else {
        return Endpoint::Path(path);
    };
    match dirs::open_parent(probe::parent_dir(&path)) {
        Ok(dir) => Endpoint::At {
            dir: Arc::new(dir),
            name,
            shown: path.into(),
        },
        Err(_) => Endpoint::Path(path),
    }
}

/// (dev, ino, base name, parent directory's (dev, ino)).
pub(super) type OperandKey = (u64, u64, Vec<u8>, (u64, u64));

/// A command-line source's identity for "specified more than once": the file and the name it
/// was given by (GNU's `same_name`: the same base name in the same directory).
fn operand_key(path: &Path, facts: &FileFacts) -> OperandKey {
    let base = plan::base_name(path).as_bytes().to_vec();
    let parent = statat(
        CWD,
        probe::parent_dir(&strip_slashes(path)),
        AtFlags::empty(),
    )
    .map_or((0, 0), |st| (st.st_dev, st.st_ino));
    (facts.dev, facts.ino, base, parent)
}

/// GNU's `same_name`: the same last component, in directories that are the same (by lstat).
pub(super) fn same_name(a: &Path, b: &Path) -> bool {
    if plan::base_name(a) != plan::base_name(b) {
        return false;
    }
    let dir_id = |p: &Path| {
        statat(CWD, probe::parent_dir(p), AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| (st.st_dev, st.st_ino))
    };
    dir_id(a).is_some() && dir_id(a) == dir_id(b)
}

/// The path without its trailing slashes (`--strip-trailing-slashes`; "/" stays).
pub(super) fn strip_slashes(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let mut end = bytes.len();
    while end > 1 && bytes[end - 1] == b'/' {
        end -= 1;
    }
    PathBuf::from(OsStr::from_bytes(&bytes[..end]))
}

/// The filesystem an operand is on, asked once per device ([`probe::path_fs_magic`]). A
/// symlink that is not followed is asked every time: `statfs` follows it, so the answer is
/// its target's, not its device's.
fn fs_magic_of(path: &Path, st: &rustix::fs::Stat) -> u64 {
    if rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Symlink {
        return rustix::fs::statfs(path).map_or(0, |s| s.f_type as u64);
    }
    probe::path_fs_magic(path, st.st_dev)
}

/// `--parents` with a source that cannot be looked at: the first of its leading directories
/// (`a` of `a/b/c`, then `a/b`) that cannot be looked at or is no directory, as GNU cp names
/// it (`failed to get attributes of 'a': Not a directory`; GNU looks at them first, in
/// make_dir_parents_private); `None` when they all are directories.
fn leading_directory_error(src: &Path) -> Option<WalkError> {
    let mut leading: Vec<&Path> = src
        .ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty() && p.as_os_str() != "/")
        .collect();
    leading.reverse();
    leading.into_iter().find_map(|dir| {
        let errno = match statat(CWD, dir, AtFlags::empty()) {
            Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => return None,
            Ok(_) => Errno::NOTDIR,
            Err(errno) => errno,
        };
        Some(WalkError::ParentAttributes {
            path: dir.to_path_buf(),
            errno,
        })
    })
}
