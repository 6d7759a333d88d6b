//! Preserving metadata — ownership, permission bits, ACLs, timestamps, xattrs — on an open
//! destination or on a node fcopy created, in a safe order (owner, xattrs, mode, times). Problems
//! are typed ([`MetaError`]: which attribute, the path shown, the errno); their GNU wording is in
//! `src/report/messages/meta.rs`.

mod xattr;

#[cfg(test)]
mod tests;

use std::os::fd::BorrowedFd;
use std::path::PathBuf;

use rustix::fs::{
    chownat, fchmod, fchown, futimens, utimensat, AtFlags, Gid, Mode, Timespec, Timestamps, Uid,
};
use rustix::io::Errno;

use crate::facts::{FileFacts, FileKind};

use self::xattr::{copy_acls, copy_xattrs, ACL_ACCESS, ACL_DEFAULT};

/// The words of `--preserve` and `--no-preserve`, in GNU cp's order (cp.c
/// `preserve_args`), as its "Valid arguments are:" list shows them.
pub const PRESERVE_WORDS: [&str; 7] = [
    "mode",
    "timestamps",
    "ownership",
    "links",
    "context",
    "xattr",
    "all",
];

/// The attributes of `--preserve=ATTR_LIST`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Permission bits and POSIX ACLs.
    pub mode: bool,
    /// Owner and group.
    pub ownership: bool,
    /// Access and modification times.
    pub timestamps: bool,
    /// Hard links within the copy stay hard links.
    pub links: bool,
    /// Extended attributes.
    pub xattr: bool,
    /// The SELinux security context: accepted and not copied (never required).
    pub context: bool,
}

impl Attrs {
    /// `all` (and `-a`'s list).
    pub const ALL: Attrs = Attrs {
        mode: true,
        ownership: true,
        timestamps: true,
        links: true,
        xattr: true,
        context: true,
    };

    /// `-p`: mode, ownership, timestamps.
    pub const P: Attrs = Attrs {
        mode: true,
        ownership: true,
        timestamps: true,
        links: false,
        xattr: false,
        context: false,
    };

    /// Parses a comma-separated `--preserve`/`--no-preserve` list (`flag` names which, for the
    /// error). Each word is an attribute or, as gnulib's `argmatch` allows, an unambiguous
    /// prefix of one (`cont`, `t`). `Err`: the first word that is neither (GNU's `argmatch`
    /// message; `ambiguous` for a prefix of several, which with cp's words is only the empty
    /// one: `--preserve=` or `mode,`).
    pub fn parse(list: &str, flag: &'static str) -> Result<Attrs, BadAttrList> {
        let mut attrs = Attrs::default();
        for word in list.split(',') {
            let mut matches = PRESERVE_WORDS.iter().filter(|w| w.starts_with(word));
            let exact = PRESERVE_WORDS.iter().find(|w| **w == word);
            let found = match (exact, matches.next(), matches.next()) {
                (Some(w), _, _) | (None, Some(w), None) => *w,
                (None, first, _) => {
                    return Err(BadAttrList {
                        word: word.to_owned(),
                        flag,
                        ambiguous: first.is_some(),
                    })
                }
            };
            match found {
                "mode" => attrs.mode = true,
                "ownership" => attrs.ownership = true,
                "timestamps" => attrs.timestamps = true,
                "links" => attrs.links = true,
                "xattr" => attrs.xattr = true,
                "context" => attrs.context = true,
                _ => attrs = Attrs::ALL,
            }
        }
        Ok(attrs)
    }

    /// The attributes of either list.
    pub fn union(self, o: Attrs) -> Attrs {
        Attrs {
            mode: self.mode || o.mode,
            ownership: self.ownership || o.ownership,
            timestamps: self.timestamps || o.timestamps,
            links: self.links || o.links,
            xattr: self.xattr || o.xattr,
            context: self.context || o.context,
        }
    }

    /// The attributes of `self` not in `o` (`--no-preserve`).
    pub fn minus(self, o: Attrs) -> Attrs {
        Attrs {
            mode: self.mode && !o.mode,
            ownership: self.ownership && !o.ownership,
            timestamps: self.timestamps && !o.timestamps,
            links: self.links && !o.links,
            xattr: self.xattr && !o.xattr,
            context: self.context && !o.context,
        }
    }
}

/// What to preserve, and which of those the user named explicitly (their failures are errors;
/// the others, as with `-a`, are silent or warnings).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Preserve {
    /// Preserved.
    pub attrs: Attrs,
    /// Named explicitly (`--preserve=LIST`, not `-a`/`-p`): a failure is an error.
    pub required: Attrs,
    /// `--no-preserve=mode`: a file fcopy creates gets its mode explicitly, and loses the ACL
    /// a default ACL gave it, as GNU cp's `set_acl` does.
    pub explicit_mode: bool,
}

/// A word of a `--preserve`/`--no-preserve` list that is not an attribute (a usage error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadAttrList {
    /// The word as given.
    pub word: String,
    /// `--preserve` or `--no-preserve`.
    pub flag: &'static str,
    /// The word is a prefix of several attributes (argmatch's "ambiguous argument").
    pub ambiguous: bool,
}

/// Which attribute could not be preserved; each has its own GNU wording.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetaAttribute {
    /// chown(2) of the owner and group (GNU cp's `set_owner`).
    Ownership,
    /// Extended attributes (`--preserve=xattr`, GNU cp's `copy_attr`).
    Xattrs,
    /// Permission bits and POSIX ACLs (GNU cp's `copy_acl` / `set_acl`).
    Permissions,
    /// Access and modification times (`utimens`).
    Times,
}

/// Preserving `attribute` on `path` failed with `errno`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaError {
    /// What could not be preserved.
    pub attribute: MetaAttribute,
    /// The destination as shown to the user.
    pub path: PathBuf,
    /// Why: the failed call's errno.
    pub errno: Errno,
}

/// A problem while applying metadata, and whether it fails the copy (else it is a warning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaProblem {
    pub error: MetaError,
    /// The copy fails (an error line, exit 1); else a warning.
    pub fatal: bool,
}

impl MetaProblem {
    fn new(attribute: MetaAttribute, shown: PathBuf, errno: Errno, fatal: bool) -> MetaProblem {
        let error = MetaError {
            attribute,
            path: shown,
            errno,
        };
        MetaProblem { error, fatal }
    }
}

/// The problems of one [`apply`] or [`apply_to_node`], for the path shown.
struct Problems<'a> {
    /// The path shown, built only for a problem to report (issue 16: a tree's entries are
    /// not given theirs otherwise).
    shown: &'a dyn Fn() -> PathBuf,
    list: Vec<MetaProblem>,
}

impl<'a> Problems<'a> {
    fn new(shown: &'a dyn Fn() -> PathBuf) -> Self {
        Problems {
            shown,
            list: Vec::new(),
        }
    }

    /// Gives the node the source's owner through `chown` (owner, group); when that fails,
    /// keeps at least the group if it may, as cp does.
    fn set_owner(
        &mut self,
        src: &FileFacts,
        chown: impl Fn(Option<Uid>, Option<Gid>) -> Result<(), Errno>,
    ) -> Owner {
        let gid = Some(Gid::from_raw(src.gid));
        let Err(e) = chown(Some(Uid::from_raw(src.uid)), gid) else {
            return Owner::Set;
        };
        let _ = chown(None, gid);
        self.owner_failed(e)
    }

    fn push(&mut self, attribute: MetaAttribute, errno: Errno, fatal: bool) {
        self.list
            .push(MetaProblem::new(attribute, (self.shown)(), errno, fatal));
    }

    /// A failed chown: GNU's `chown_failure_ok` — EPERM and EINVAL are expected without
    /// privileges, even for `--preserve=ownership`; with them, or any other errno, the failure
    /// is an error that ends the copy's attributes (GNU's `set_owner` returns -1: every way cp
    /// preserves ownership, `-a`, `-p`, `--preserve`, sets `require_preserve`).
    fn owner_failed(&mut self, errno: Errno) -> Owner {
        let privileged = rustix::process::geteuid().is_root();
        if privileged || !matches!(errno, Errno::PERM | Errno::INVAL) {
            self.push(MetaAttribute::Ownership, errno, true);
            if matches!(errno, Errno::PERM | Errno::INVAL | Errno::OPNOTSUPP) {
                return Owner::Refused;
            }
            return Owner::Failed;
        }
        Owner::Kept
    }
}

/// What became of the source's owner on the destination.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Owner {
    /// Not preserved, or set.
    Set,
    /// Not set, as expected without privileges: set-ID and sticky bits are not given.
    Kept,
    /// Not set, reported, because the filesystem refuses owners (EPERM, EINVAL, EOPNOTSUPP as
    /// root: vfat, NFS with root_squash): as [`Owner::Failed`], but the times are set, as GNU
    /// sets them (a run again cannot do better; red team round 8: `sudo fcopy -a photos
    /// /mnt/vfat` lost every date).
    Refused,
    /// Not set, reported (EIO and the like): the mode and the rest are left as the file was
    /// made (group and other bits still withheld, GNU's `omitted_permissions`), and the times
    /// too (GNU sets them first; fcopy does not, so that `--update=changed` copies it again).
    Failed,
}

impl Owner {
    /// Set the source's owner unless preserving it is off.
    fn of(
        preserve: &Preserve,
        problems: &mut Problems<'_>,
        src: &FileFacts,
        chown: impl Fn(Option<Uid>, Option<Gid>) -> Result<(), Errno>,
    ) -> Owner {
        if preserve.attrs.ownership {
            problems.set_owner(src, chown)
        } else {
            Owner::Set
        }
    }
}

/// The mode to set: the source's when mode is preserved, else `new_mode`. When the owner could
/// not be set, without the set-user-ID and set-group-ID bits, and for a file without the
/// sticky bit, as GNU cp; a directory keeps its sticky bit (GNU's `mkdir` gives it, and its
/// `copy_acl` then sets only the permission bits: `cp -rp` of a 3700 directory as a user who
/// cannot give it its group makes it 1700, of a 3700 file 0700).
fn mode_to_set(
    src: &FileFacts,
    preserve: &Preserve,
    new_mode: Option<u32>,
    owner_ok: bool,
) -> Option<u32> {
    let kept = match (owner_ok, src.kind) {
        (true, _) => 0o7777,
        (false, FileKind::Directory) => !0o6000,
        (false, _) => !0o7000,
    };
    if preserve.attrs.mode {
        Some(src.mode & 0o7777 & kept)
    } else {
        new_mode
    }
}

/// SOURCE's access and modification times, as `utimensat` takes them.
pub fn timestamps(src: &FileFacts) -> Timestamps {
    Timestamps {
        last_access: Timespec {
            tv_sec: src.atime.0,
            tv_nsec: src.atime.1 as _,
        },
        last_modification: Timespec {
            tv_sec: src.mtime.0,
            tv_nsec: src.mtime.1 as _,
        },
    }
}

/// Applies the preserved attributes of `src` to the open destination `dst`.
///
/// `src_fd` is needed for xattrs and ACLs. `new_mode` is the mode for a file fcopy created when
/// mode is not preserved (`None`: leave the mode alone). Order: owner (chown clears set-id bits
/// and `security.capability`), xattrs, mode, then times last.
pub fn apply(
    dst: BorrowedFd<'_>,
    src_fd: Option<BorrowedFd<'_>>,
    src: &FileFacts,
    preserve: &Preserve,
    new_mode: Option<u32>,
    shown: &dyn Fn() -> PathBuf,
) -> Vec<MetaProblem> {
    let mut problems = Problems::new(shown);
    let p = preserve.attrs;
    let owner = Owner::of(preserve, &mut problems, src, |uid, gid| {
        fchown(dst, uid, gid)
    });
    if owner == Owner::Refused {
        set_times(dst, src, p.timestamps, &mut problems);
        return problems.list;
    }
    if owner == Owner::Failed {
        // Not SOURCE's times either (GNU sets them, before the owner): a DEST that failed is
        // not a finished copy, and with SOURCE's size and mtime `--update=changed` would skip
        // it for good, its mode, ACLs and xattrs never given (red team, round 8).
        return problems.list;
    }
    let owner_ok = owner == Owner::Set;
    if let (true, Some(src_fd)) = (p.xattr, src_fd) {
        if let Err(e) = copy_xattrs(src_fd, dst) {
            let unsupported = matches!(e, Errno::OPNOTSUPP | Errno::NODATA);
            if preserve.required.xattr || !unsupported {
                problems.push(MetaAttribute::Xattrs, e, preserve.required.xattr);
            }
        }
    }
    if let Some(mode) = mode_to_set(src, preserve, new_mode, owner_ok) {
        if let Err(e) = fchmod(dst, Mode::from_raw_mode(mode)) {
            problems.push(MetaAttribute::Permissions, e, true);
        }
    }
    apply_acls(dst, src_fd, src, preserve, new_mode, &mut problems);
    set_times(dst, src, p.timestamps, &mut problems);
    problems.list
}

/// `futimens` of the source's times, when preserved.
fn set_times(dst: BorrowedFd<'_>, src: &FileFacts, preserve: bool, problems: &mut Problems<'_>) {
    if preserve {
        if let Err(e) = futimens(dst, &timestamps(src)) {
            problems.push(MetaAttribute::Times, e, true);
        }
    }
}

/// The ACL half of the mode: with mode preserved, `dst` gets `src`'s ACLs; with
/// `--no-preserve=mode` on a file fcopy created, `dst` loses the ACLs a default ACL gave it
/// (GNU cp's `set_acl`).
fn apply_acls(
    dst: BorrowedFd<'_>,
    src_fd: Option<BorrowedFd<'_>>,
    src: &FileFacts,
    preserve: &Preserve,
    new_mode: Option<u32>,
    problems: &mut Problems<'_>,
) {
    let dir = src.kind == FileKind::Directory;
    if !preserve.attrs.mode && preserve.explicit_mode && new_mode.is_some() {
        let names: &[&str] = if dir {
            &[ACL_ACCESS, ACL_DEFAULT]
        } else {
            &[ACL_ACCESS]
        };
        for name in names {
            match rustix::fs::fremovexattr(dst, *name) {
                Ok(()) | Err(Errno::NODATA | Errno::OPNOTSUPP) => {}
                Err(e) => problems.push(MetaAttribute::Permissions, e, true),
            }
        }
    }
    if let (true, Some(src_fd)) = (preserve.attrs.mode, src_fd) {
        if let Err(e) = copy_acls(src_fd, dst, dir) {
            problems.push(MetaAttribute::Permissions, e, preserve.required.mode);
        }
    }
}

/// Applies ownership, mode and times to a node fcopy created (symlink, FIFO, socket, device) through
/// an `O_PATH` descriptor of it, so nothing is done through a name that may have been swapped
/// for a symlink (DESIGN rule 10). `new_mode` is the mode when mode is not preserved (`None`:
/// leave it). The order is [`apply`]'s: owner (chown clears set-id bits), mode, times.
///
/// `fchown`/`fchmod`/`futimens` refuse `O_PATH` descriptors, so the owner and times are set
/// with `AT_EMPTY_PATH`, and the mode through `/proc/self/fd/N`, which names the open node
/// itself (`fchmodat` has no `AT_EMPTY_PATH` before Linux 6.6's fchmodat2).
pub fn apply_to_node(
    node: BorrowedFd<'_>,
    src: &FileFacts,
    preserve: &Preserve,
    new_mode: Option<u32>,
    shown: &dyn Fn() -> PathBuf,
) -> Vec<MetaProblem> {
    let mut problems = Problems::new(shown);
    let p = preserve.attrs;
    let owner = Owner::of(preserve, &mut problems, src, |uid, gid| {
        chownat(node, "", uid, gid, AtFlags::EMPTY_PATH)
    });
    let mode = match owner {
        Owner::Failed | Owner::Refused => None,
        _ => mode_to_set(src, preserve, new_mode, owner == Owner::Set),
    };
    if let Some(mode) = mode {
        let proc_path = crate::procfd::path(node);
        let chmod = rustix::fs::chmodat(
            rustix::fs::CWD,
            proc_path.as_str(),
            Mode::from_raw_mode(mode),
            AtFlags::empty(),
        );
        if let Err(e) = chmod {
            problems.push(MetaAttribute::Permissions, e, true);
        }
    }
    if p.timestamps && owner != Owner::Failed {
        if let Err(e) = utimensat(node, "", &timestamps(src), AtFlags::EMPTY_PATH) {
            problems.push(MetaAttribute::Times, e, true);
        }
    }
    problems.list
}
