//! The mode of every node fcopy creates — regular file, directory, `--parents` directory,
//! special file — decided in one place, GNU cp's rules; the executor applies it.

use super::FileInputs;
use crate::meta::Preserve;

#[cfg(test)]
mod tests;

/// The kinds of node whose mode [`new_node_mode`] decides. A symbolic link has no mode of its
/// own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewNode {
    /// A regular file (or a special file's contents, copied).
    File,
    /// A regular file whose SOURCE is standard input (`-`: a pipe, a socket, a terminal or a
    /// redirected file): made as `dd of=FILE` and shell redirection make one, `0666` less the
    /// umask, since a stream's own mode (a pipe's 0600) says nothing about the data; with
    /// `-p`/`--preserve=mode` the source's mode all the same (GNU cp has no `-`).
    StdinFile,
    /// A directory of a tree copy (`-r`).
    Directory,
    /// A directory `--parents` makes for DEST's leading components.
    ParentDirectory,
    /// A FIFO, socket or device node (`-r` without `--copy-contents`).
    Special,
}

/// The settings that decide a new node's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeSettings {
    /// `--preserve=mode` (or `-p`, `-a`).
    pub preserve_mode: bool,
    /// `--preserve=ownership`: group and other bits wait until the owner is right.
    pub preserve_ownership: bool,
    /// `--no-preserve=mode`: the default mode less the umask, whatever the source's.
    pub no_preserve_mode: bool,
    /// The process umask.
    pub umask: u32,
}

impl ModeSettings {
    /// The settings of a run that preserves `preserve`.
    pub fn new(preserve: &Preserve, no_preserve_mode: bool, umask: u32) -> ModeSettings {
        ModeSettings {
            preserve_mode: preserve.attrs.mode,
            preserve_ownership: preserve.attrs.ownership,
            no_preserve_mode,
            umask,
        }
    }
}

impl FileInputs {
    /// The mode settings of the file these inputs are for.
    pub fn mode_settings(&self, preserve: &Preserve) -> ModeSettings {
        ModeSettings::new(preserve, self.no_preserve_mode, self.umask)
    }
}

/// A new node's modes: the one it is created with, the bits withheld until its owner is right,
/// and with `--no-preserve=mode` the mode it ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeMode {
    /// The permission bits `open`/`mkdirat`/`mknodat` is given (the kernel then applies the
    /// umask or the parent's default ACL, as for GNU cp).
    pub create: u32,
    /// Source bits withheld at creation (GNU's `omitted_permissions`).
    pub omitted: u32,
    /// With `--no-preserve=mode`: the final mode, set explicitly (a directory also keeps a
    /// set-group-ID bit it inherited from its parent).
    pub fixed: Option<u32>,
    src_mode: u32,
    umask: u32,
}

/// The mode a new node is created with, following GNU cp (copy.c, `copy_reg`,
/// `copy_internal` and `make_dir_parents_private`; tests/cp/perm.sh, preserve-mode.sh,
/// cp-parents.sh, parent-perm.sh).
///
/// - A regular file: the source's permission bits, the set-user-ID, set-group-ID and sticky
///   bits dropped; `-p`/`--preserve=mode` sets the full mode after the data (attribute
///   preservation), and a file whose owner or ACL is still to be set starts as 0600 (the
///   executor's `open`). With `--no-preserve=mode`, `0666` less the umask, set explicitly after
///   creating the file (GNU's `set_acl`: a default ACL does not decide it).
/// - A regular file from standard input ([`NewNode::StdinFile`]): as a file whose source mode
///   is `0666` (dd's `of=` and the shell's `>`), unless `-p`/`--preserve=mode` keeps the
///   stream's own mode.
/// - A directory, `--parents` directory or special file: the source's permission bits (a
///   directory also its sticky bit) less the bits withheld until the node is ready — group and
///   other write for a directory, all of group and other when ownership is preserved
///   (`omitted_permissions`). A `--parents` directory withholds nothing when neither mode nor
///   ownership is preserved (mkdir decides). With `--no-preserve=mode` the final mode is 0777
///   (a tree's directory keeps its sticky bit) or 0666 for a special file, less the umask.
///
/// The kernel's umask or default ACL applies to [`NodeMode::create`];
/// [`NodeMode::restore`] gives the mode to set once the node is ready.
pub fn new_node_mode(kind: NewNode, src_mode: u32, s: &ModeSettings) -> NodeMode {
    let (kind, src_mode) = match kind {
        NewNode::StdinFile if !s.preserve_mode => (NewNode::File, 0o666),
        NewNode::StdinFile => (NewNode::File, src_mode),
        _ => (kind, src_mode),
    };
    let withheld = match kind {
        NewNode::File | NewNode::StdinFile => 0,
        NewNode::ParentDirectory if !s.preserve_mode && !s.preserve_ownership => 0,
        _ if s.preserve_ownership => 0o077,
        NewNode::Special => 0,
        NewNode::Directory | NewNode::ParentDirectory => 0o022,
    };
    let omitted = src_mode & withheld;
    let bits = match kind {
        NewNode::File | NewNode::StdinFile | NewNode::Special => 0o777,
        NewNode::Directory | NewNode::ParentDirectory => 0o1777,
    };
    let fixed = s.no_preserve_mode.then_some(match kind {
        NewNode::Directory => (0o777 | (src_mode & 0o1000)) & !s.umask,
        NewNode::ParentDirectory => 0o777 & !s.umask,
        NewNode::File | NewNode::StdinFile | NewNode::Special => 0o666 & !s.umask,
    });
    NodeMode {
        create: src_mode & bits & !omitted,
        omitted,
        fixed,
        src_mode,
        umask: s.umask,
    }
}

impl NodeMode {
    /// The mode the node ends with unless the source's is preserved: the `--no-preserve=mode`
    /// one, else [`NodeMode::create`] less the umask.
    pub fn final_mode(&self) -> u32 {
        self.fixed.unwrap_or(self.create & !self.umask)
    }

    /// Once the node exists with mode `now` (what the kernel made of [`NodeMode::create`]):
    /// the mode to set when it is ready — `now` plus the withheld bits the umask allows — or
    /// `None` when `now` is already right (GNU's `restore_dst_mode`).
    pub fn restore(&self, now: u32) -> Option<u32> {
        let re_add = self.omitted & self.src_mode & !self.umask;
        (re_add & !now != 0).then_some(now | re_add)
    }
}
