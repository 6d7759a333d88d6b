//! GNU cp's `same_file_ok`: when a source and an existing destination are (or reach) one file,
//! whether copying may go on. Pure: the caller gathers the stats. Checked by GNU's
//! tests/cp/same-file.sh, whose whole matrix (`-b`, `-d`, `-f`, `-l`, `-s`, `--rem` over
//! files, symlinks, hard links and hard links to symlinks) fcopy passes.

/// What is known about one file for the check: identity, whether it is a symlink, link count.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub dev: u64,
    pub ino: u64,
    pub symlink: bool,
    pub nlink: u64,
}

impl Ident {
    /// From a `stat`/`lstat` result.
    pub fn of(st: &rustix::fs::Stat) -> Ident {
        Ident {
            dev: st.st_dev,
            ino: st.st_ino,
            symlink: rustix::fs::FileType::from_raw_mode(st.st_mode)
                == rustix::fs::FileType::Symlink,
            nlink: st.st_nlink,
        }
    }

    fn same(&self, o: &Ident) -> bool {
        (self.dev, self.ino) == (o.dev, o.ino)
    }
}

/// The options the check depends on.
#[derive(Copy, Clone, Debug, Default)]
pub struct SameOpts {
    /// `-P`/`-d` (symlinks in SOURCE are not followed).
    pub no_dereference: bool,
    pub hard_link: bool,
    pub symbolic_link: bool,
    pub backup: bool,
    /// `--remove-destination`
    pub unlink_first: bool,
}

/// The facts: `src`/`dst` as the copy sees them (`dst` from lstat when GNU's `use_lstat`,
/// see [`dst_uses_lstat`]); the lstat of each (`None`: failed); the stat of each, following
/// symlinks (`None`: failed); whether both are one directory entry.
#[derive(Copy, Clone, Debug)]
pub struct SameFacts {
    pub src: Ident,
    pub dst: Ident,
    pub src_link: Option<Ident>,
    pub dst_link: Option<Ident>,
    pub src_followed: Option<Ident>,
    pub dst_followed: Option<Ident>,
    pub same_name: bool,
}

/// The answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SameFile {
    /// Copy as usual.
    Proceed,
    /// Nothing to do and not an error (`cp -l f hardlink-of-f`, two hard links of a symlink).
    Done,
    /// `'a' and 'b' are the same file`.
    Error,
}

/// GNU's `use_lstat`: whether the destination is looked at without following a symlink.
pub fn dst_uses_lstat(source_regular: bool, opts: &SameOpts) -> bool {
    !source_regular || opts.symbolic_link || opts.hard_link || opts.backup || opts.unlink_first
}

/// GNU cp 9.1's `same_file_ok` for copying (not moving).
pub fn same_file_ok(f: &SameFacts, x: &SameOpts) -> SameFile {
    use SameFile::*;
    let same = f.src.same(&f.dst);
    if same && x.hard_link {
        return Done;
    }
    let (src_link, dst_link, same_link);
    if x.no_dereference {
        same_link = same;
        if f.src.symlink && f.dst.symlink {
            if !f.same_name {
                if x.backup {
                    return Proceed;
                }
                if same_link {
                    return Done;
                }
            }
            return if f.same_name { Error } else { Proceed };
        }
        src_link = f.src;
        dst_link = f.dst;
    } else {
        if !same {
            return Proceed;
        }
        let (Some(s), Some(d)) = (f.src_link, f.dst_link) else {
            return Proceed;
        };
        src_link = s;
        dst_link = d;
        same_link = s.same(&d);
        if s.symlink && d.symlink && x.unlink_first {
            return Proceed;
        }
    }
    if x.backup {
        if !same_link {
            if !x.no_dereference && src_link.symlink && !dst_link.symlink {
                return Error;
            }
            return Proceed;
        }
        return if f.same_name { Error } else { Proceed };
    }
    if x.unlink_first {
        if dst_link.symlink {
            return Proceed;
        }
        if same_link && dst_link.nlink > 1 && !f.same_name {
            return Proceed;
        }
    }
    if !src_link.symlink && !dst_link.symlink {
        if !src_link.same(&dst_link) {
            return Proceed;
        }
        if x.hard_link {
            return Done;
        }
    }
    if x.symbolic_link && dst_link.symlink {
        return Proceed;
    }
    if x.no_dereference {
        return same_when_followed(f, x, src_link, dst_link);
    }
    Error
}

/// The end of `same_file_ok` with `-P`: the files the two names lead to (symlinks followed),
/// when they are different names.
fn same_when_followed(f: &SameFacts, x: &SameOpts, src_link: Ident, dst_link: Ident) -> SameFile {
    use SameFile::*;
    let followed = |link: Ident, followed: Option<Ident>| {
        if link.symlink {
            followed
        } else {
            Some(link)
        }
    };
    let (Some(s), Some(d)) = (
        followed(src_link, f.src_followed),
        followed(dst_link, f.dst_followed),
    ) else {
        return Proceed;
    };
    if !s.same(&d) {
        return Proceed;
    }
    if x.hard_link {
        return if dst_link.symlink { Proceed } else { Done };
    }
    Error
}
