//! The facts cp's rules for an existing destination need ([`crate::plan::replace`]): the
//! stats of DEST and of the source, what this run created or remembered; and the loop that
//! consults the rules, gathering a fact when a rule asks for it and asking `-i`'s question.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{statat, AtFlags, FileType, Stat};
use rustix::io::Errno;

use super::files::allowed;
use super::{same_name, Copier};
use crate::backup;
use crate::exec::probe;
use crate::facts::FileFacts;
use crate::facts::FileKind;
use crate::options::values::UpdateWhen;
use crate::options::{Deref, LinkMode};
use crate::plan::replace::{self, Action, Existing, Fact, ReplaceError, Step};
use crate::plan::same::{self as same_file, Ident, SameFile};
use crate::plan::{self, Endpoint};

use crate::options::posixly_correct;

/// What a copy onto an existing destination is about, for gathering the rules' facts.
pub(super) struct Subject<'e> {
    pub(super) src: &'e Endpoint,
    pub(super) facts: &'e FileFacts,
    pub(super) dst: &'e Endpoint,
    /// DEST as the copy sees it (see [`Existing::id`]).
    pub(super) seen: Option<Stat>,
}

/// One look at an existing DEST: the facts the rules decide on and the executor acts on, so
/// that nothing re-resolves the name after the check (DESIGN rule 10).
#[derive(Clone, Copy)]
pub(super) struct Look {
    /// The name's own stat.
    pub(super) lstat: Stat,
    /// What the copy sees there (see [`Copier::look_at_dest`]).
    pub(super) seen: Stat,
    /// Following the name fails with `ELOOP`.
    pub(super) looping: bool,
    /// When the name is a symlink: its target as followed at this look.
    pub(super) target: Option<Result<Stat, Errno>>,
}

/// Where the rules left a copy that goes on: the backup DEST was renamed to, if any, and
/// whether DEST is gone (renamed or removed: the copy creates it anew, never looks again).
pub(super) struct Cleared {
    pub(super) backed_up: Option<OsString>,
    pub(super) gone: bool,
    /// An `--atomic` copy of a regular file: a backup is made as a hard link and a removal is
    /// left to the final rename, so DEST is never missing (red team, round 8).
    pub(super) defer: bool,
    /// The (device, inode) of the file so left in place for the rename to replace.
    pub(super) kept: Option<(u64, u64)>,
}

impl Cleared {
    /// Nothing cleared yet; `defer`: see [`Cleared::defer`].
    pub(super) fn new(defer: bool) -> Cleared {
        Cleared {
            backed_up: None,
            gone: false,
            defer,
            kept: None,
        }
    }
}

impl<'a, 'p> Copier<'a, 'p> {
    /// The run's settings as cp's rules for an existing destination need them.
    pub(super) fn replace_settings(&self) -> replace::Settings {
        let cfg = self.cfg;
        replace::Settings {
            update: match cfg.update {
                UpdateWhen::All => replace::Update::All,
                UpdateWhen::None => replace::Update::None,
                UpdateWhen::NoneFail => replace::Update::NoneFail,
                UpdateWhen::Older => replace::Update::Older,
                UpdateWhen::Changed => replace::Update::Changed,
            },
            interactive: cfg.interactive && !cfg.dry_run,
            force: cfg.copy.force,
            remove_destination: cfg.remove_destination,
            backup: cfg.backup.is_some(),
            numbered_backup: cfg
                .backup
                .as_ref()
                .is_some_and(|b| b.control == backup::BackupControl::Numbered),
            dry_run: cfg.dry_run,
            ranged: cfg.copy.range.is_some() || self.range_override.is_some(),
            posixly_correct: posixly_correct(),
            preserve_links: cfg.preserve_links() && !cfg.attributes_only,
            resume: cfg.restart.resume,
        }
    }

    /// The facts of the rules before any is gathered on demand.
    pub(super) fn replace_facts<'s>(
        &self,
        s: &Subject<'s>,
        nofollow: bool,
        existing: Option<Existing>,
        remember: bool,
    ) -> replace::Facts<'s> {
        replace::Facts {
            source: replace::Source {
                shown: s.src,
                id: (s.facts.dev, s.facts.ino),
                regular: s.facts.kind == FileKind::Regular,
                symlink: s.facts.kind == FileKind::Symlink,
                nlink: s.facts.nlink,
                mtime: s.facts.mtime,
                size: s.facts.size,
                nofollow,
            },
            dest_ends_in_slash: s.dst.ends_in_slash(),
            slash_parent: None,
            dest: s.dst,
            existing,
            remember,
            first_copy_known: remember && self.links.contains_key(&(s.facts.dev, s.facts.ino)),
            same_name: None,
            same_file: None,
            unchanged: None,
            resumable: None,
            backup_is_source: None,
            answer: None,
            loop_removed: false,
        }
    }

    /// DEST as the rules see it: `lstat` is its name's, `seen` what the copy sees (followed
    /// unless GNU's `use_lstat`), `looping` whether following it fails with `ELOOP`.
    pub(super) fn existing(&self, lstat: &Stat, seen: &Stat, looping: bool) -> Existing {
        let kind = |st: &Stat| FileType::from_raw_mode(st.st_mode);
        let id = (seen.st_dev, seen.st_ino);
        Existing {
            id,
            directory: kind(seen) == FileType::Directory,
            symlink: kind(seen) == FileType::Symlink,
            name_is_symlink: kind(lstat) == FileType::Symlink,
            special: matches!(
                kind(seen),
                FileType::Fifo
                    | FileType::Socket
                    | FileType::CharacterDevice
                    | FileType::BlockDevice
            ),
            looping,
            mtime: (seen.st_mtime, seen.st_mtime_nsec as i64),
            created_symlink: self.created_symlinks.contains((lstat.st_dev, lstat.st_ino)),
            // GNU 9.1 refuses only for command-line operands (`cp -r d1/x d2/x d` merges).
            created: self.walk_dir.is_none()
                && (self.created_files.contains(id) || self.created_dirs.contains_key(&id)),
            nlink: seen.st_nlink,
            regular_size: (kind(seen) == FileType::RegularFile).then_some(seen.st_size as u64),
        }
    }

    /// Runs `rules` for SOURCE `src` (`facts`) over `dst`, a name that exists (`existing`,
    /// its lstat) and is not written through: the rules a link or a node is made with.
    /// `remember`: the node's hard-link group is linked ([`replace::Facts::remember`]).
    pub(super) fn rules_over_existing(
        &mut self,
        rules: fn(&replace::Facts, &replace::Settings) -> Step,
        (src, facts): (&Endpoint, &FileFacts),
        dst: &Endpoint,
        existing: &Stat,
        remember: bool,
    ) -> Action {
        let s = Subject {
            src,
            facts,
            dst,
            seen: Some(*existing),
        };
        let e = self.existing(existing, existing, false);
        let mut f = self.replace_facts(&s, false, Some(e), remember);
        self.run_rules(rules, &mut f, &s, &mut Cleared::new(false))
    }

    /// Consults `rules` until they decide, gathering the facts they ask for, asking `-i`'s
    /// question, and performing the removals and backups they order before deciding again.
    pub(super) fn run_rules(
        &mut self,
        rules: fn(&replace::Facts, &replace::Settings) -> Step,
        f: &mut replace::Facts,
        s: &Subject<'_>,
        cleared: &mut Cleared,
    ) -> Action {
        let settings = self.replace_settings();
        loop {
            match rules(f, &settings) {
                Step::Act(action) => return action,
                Step::Gather(fact) => self.gather(fact, f, s),
                Step::Ask => {
                    let question = replace::OverwriteQuestion {
                        dest: f.dest.display_path().to_path_buf(),
                        unwritable_mode: f
                            .existing
                            .as_ref()
                            .filter(|e| !e.symlink)
                            .and_then(|_| allowed::unwritable_mode(s.dst)),
                        replacing: settings.force || settings.remove_destination,
                    };
                    f.answer = Some(self.reporter.ask(&question.to_string()));
                }
                Step::RemoveLoop => {
                    cleared.gone |= Self::remove_dest(s.dst).is_ok();
                    f.loop_removed = true;
                }
                Step::RemoveFirst { report } => {
                    let kept = Self::kept_for_rename(s.dst, cleared.defer);
                    let removed = match kept {
                        // The rename replaces it: reported as removed, as the copy removes it.
                        Some(id) => {
                            cleared.kept = Some(id);
                            Ok(())
                        }
                        None => Self::remove_dest(s.dst),
                    };
                    match (removed, report) {
                        (Ok(()), _) => {
                            cleared.gone = true;
                            self.reporter.removed(s.dst.display_path());
                        }
                        (Err(errno), true) => {
                            let dest = f.dest.display_path().to_path_buf();
                            return Action::Fail(ReplaceError::CannotRemove { dest, errno });
                        }
                        (Err(_), false) => {}
                    }
                    f.existing = None;
                }
                Step::BackUpFirst => {
                    let linked = match Self::kept_for_rename(s.dst, cleared.defer) {
                        Some(_) => self.back_up_by_link(s.dst),
                        None => None,
                    };
                    let made = match linked {
                        Some((name, id)) => {
                            cleared.kept = Some(id);
                            Ok(Some(name))
                        }
                        None => self.back_up(s.dst),
                    };
                    match made {
                        Ok(name) => {
                            cleared.gone |= name.is_some();
                            cleared.backed_up = name;
                        }
                        Err(e) => return Action::Fail(e),
                    }
                    f.existing = None;
                }
            }
        }
    }

    /// With `defer` (an `--atomic` copy), the (device, inode) of DEST when it is a file the
    /// final rename can replace (a regular file or a symlink, not followed); `None`: DEST is
    /// cleared now, as GNU cp does (a FIFO or device is written in place, not renamed over).
    fn kept_for_rename(dst: &Endpoint, defer: bool) -> Option<(u64, u64)> {
        let st = Self::lstat_dest(dst).filter(|_| defer)?;
        matches!(
            FileType::from_raw_mode(st.st_mode),
            FileType::RegularFile | FileType::Symlink
        )
        .then_some((st.st_dev, st.st_ino))
    }

    /// Finds out one fact the rules asked for.
    fn gather(&mut self, fact: Fact, f: &mut replace::Facts, s: &Subject<'_>) {
        if fact == Fact::SlashParent {
            // The one fact about a DEST that is not there.
            let parent = probe::parent_dir(s.dst.display_path());
            f.slash_parent = Some(match statat(rustix::fs::CWD, parent, AtFlags::empty()) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Ok(()),
                Ok(_) => Err(Errno::NOTDIR),
                Err(errno) => Err(errno),
            });
            return;
        }
        let seen = s.seen.as_ref().expect("facts about an existing DEST");
        match fact {
            Fact::SameFile => {
                let (answer, same) = self.same_file_facts(s.src, s.facts, s.dst, seen);
                f.same_file = Some(answer);
                f.same_name = same.or(f.same_name);
            }
            Fact::SameName => {
                f.same_name = Some(same_name(s.src.display_path(), s.dst.display_path()));
            }
            Fact::Unchanged => {
                let check = self.cfg.restart.check(f);
                let unchanged =
                    crate::restart::update_changed::unchanged(s.facts, s.src, seen, s.dst, check);
                f.unchanged = Some(unchanged);
            }
            Fact::SlashParent => unreachable!("gathered above"),
            Fact::Resumable => {
                let nofollow = f.source.nofollow;
                let dest_id = (seen.st_dev, seen.st_ino);
                f.resumable = Some(crate::restart::resume::resumable_under_update(
                    s.src, s.facts, s.dst, dest_id, nofollow,
                ));
            }
            Fact::BackupIsSource => {
                f.backup_is_source = Some(self.backup_is_source(s.src, s.facts, s.dst));
            }
        }
    }

    /// GNU's `source_is_dst_backup`: the simple backup of `dst` would be the source itself
    /// (`cp -b a~ a`): same name (see [`replace::backup_named_like_source`]) and same file.
    fn backup_is_source(&self, src: &Endpoint, facts: &FileFacts, dst: &Endpoint) -> bool {
        let Some(b) = &self.cfg.backup else {
            return false;
        };
        let src_base = plan::base_name(src.display_path()).as_bytes();
        let Some((dir, name)) = dst.dir_and_name() else {
            return false;
        };
        let dst_base = plan::base_name(name).as_bytes();
        let suffix = b.suffix.as_bytes();
        if !replace::backup_named_like_source(src_base, dst_base, suffix) {
            return false;
        }
        let backup_path = probe::parent_dir(name).join(OsStr::from_bytes(src_base));
        statat(dir, &backup_path, AtFlags::empty())
            .is_ok_and(|st| (st.st_dev, st.st_ino) == (facts.dev, facts.ino))
    }

    /// The options GNU's same_file_ok depends on.
    pub(super) fn same_opts(&self) -> same_file::SameOpts {
        same_file::SameOpts {
            no_dereference: self.cfg.deref == Deref::Never,
            hard_link: self.cfg.link == LinkMode::Hard,
            symbolic_link: self.cfg.link == LinkMode::Symbolic,
            backup: self.cfg.backup.is_some(),
            unlink_first: self.cfg.remove_destination,
        }
    }

    /// GNU's same_file_ok for copying `src` (as the copy sees it: `facts`) onto the existing
    /// `dst`, whose stat as the copy sees it is `existing`; and GNU's `same_name`, when it
    /// finds it out on the way. Two different files, neither seen as a symlink, are never
    /// the same file: no name is looked at again (a re-copy makes one stat per DEST, issue
    /// 16).
    pub(super) fn same_file_facts(
        &self,
        src: &Endpoint,
        facts: &FileFacts,
        dst: &Endpoint,
        existing: &Stat,
    ) -> (SameFile, Option<bool>) {
        let (Some((sdir, sname)), Some((ddir, dname))) = (src.dir_and_name(), dst.dir_and_name())
        else {
            return (SameFile::Proceed, Some(false));
        };
        let dst_symlink = FileType::from_raw_mode(existing.st_mode) == FileType::Symlink;
        if (facts.dev, facts.ino) != (existing.st_dev, existing.st_ino)
            && (!self.same_opts().no_dereference
                || (facts.kind != FileKind::Symlink && !dst_symlink))
        {
            // What same_file_ok decides without the names' own stats.
            return (SameFile::Proceed, None);
        }
        let look = |dir, name: &Path, flags| statat(dir, name, flags).ok().map(|st| Ident::of(&st));
        let f = same_file::SameFacts {
            src: Ident {
                dev: facts.dev,
                ino: facts.ino,
                symlink: facts.kind == FileKind::Symlink,
                nlink: facts.nlink,
            },
            dst: Ident::of(existing),
            src_link: look(sdir, sname, AtFlags::SYMLINK_NOFOLLOW),
            dst_link: look(ddir, dname, AtFlags::SYMLINK_NOFOLLOW),
            src_followed: look(sdir, sname, AtFlags::empty()),
            dst_followed: look(ddir, dname, AtFlags::empty()),
            same_name: same_name(src.display_path(), dst.display_path()),
        };
        let answer = same_file::same_file_ok(&f, &self.same_opts());
        (answer, Some(f.same_name))
    }

    /// DEST's lstat, and what the copy sees there: followed when it is a symlink and GNU's
    /// `use_lstat` does not apply. One stat per existing entry that is not a symlink (a
    /// re-copy of a tree, issue 16); a symlink gets one more, which also tells a loop. The
    /// executor acts on this look (its identities), never on a later one (DESIGN rule 10).
    ///
    /// `pre`: the lstat a look-ahead helper made of this name for this entry (its result
    /// stands for the walk's own; [`super::lookahead`]).
    pub(super) fn look_at_dest(
        &self,
        facts: &FileFacts,
        dst: &Endpoint,
        pre: Option<Option<Stat>>,
    ) -> Option<Look> {
        let lstat = match pre {
            Some(lstat) => lstat?,
            None => Self::lstat_dest(dst)?,
        };
        if FileType::from_raw_mode(lstat.st_mode) != FileType::Symlink {
            return Some(Look {
                lstat,
                seen: lstat,
                looping: false,
                target: None,
            });
        }
        let lstat_only =
            same_file::dst_uses_lstat(facts.kind == FileKind::Regular, &self.same_opts());
        let target = dst
            .dir_and_name()
            .map(|(d, n)| statat(d, n, AtFlags::empty()));
        let looping = matches!(target, Some(Err(Errno::LOOP)));
        let seen = match target {
            Some(Ok(st)) if !lstat_only => st,
            _ => lstat,
        };
        Some(Look {
            lstat,
            seen,
            looping,
            target,
        })
    }
}
