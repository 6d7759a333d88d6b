//! cp's rules for a destination that already exists, as an ordered list of named rules in the
//! manner of GNU copy.c's `same_file_ok` and `overwrite_ok`. Pure: the caller gathers the
//! facts (stats of DEST, what this run created or remembered), asks for the ones a rule needs
//! when it needs them ([`Step::Gather`], [`Step::Ask`]), and performs the one [`Action`] the
//! rules return.
//!
//! The order is GNU cp 9.x's `copy_internal`: the just-created symlink, same file, symlink
//! loops and dangling symlinks, just-created files, `-u` hard-link groups, then `overwrite_ok`
//! (`--update`, `-n`, `-i`), backup-is-source, and how the old file goes (link to the first
//! copy, backup, `--remove-destination`; and fcopy's own: a symlink at the first name of a
//! hard-linked source is replaced, not written through); `cp -fb f f` and a directory in the
//! way are their own branches. A symbolic link, special file or `-l`/`-s` link made over DEST
//! asks [`may_replace_node`] instead (`-u`'s remembered skips of a node with other names, then
//! `overwrite_ok`, backup-is-source and just-created).

use std::path::PathBuf;

use rustix::io::Errno;

use super::same::SameFile;

mod types;
mod update;
pub use types::*;
use update::{update_remembers_link_group, update_remembers_node_link_group, update_rule};

/// A rule: `None` passes the decision on to the next one.
type Rule = fn(&Facts, &Settings) -> Option<Step>;

/// The rules for copying a file onto DEST, in order (the first that answers decides).
pub const RULES: &[(&str, Rule)] = &[
    ("dest-ends-in-slash", dest_ends_in_slash),
    ("just-created-symlink", just_created_symlink),
    ("same-file", same_file),
    ("symlink-loop", symlink_loop),
    ("dangling-symlink-forced", dangling_symlink_forced),
    ("update-remembers-link-group", update_remembers_link_group),
    ("overwrite-ok", overwrite_ok_for_file),
    ("backup-is-source", backup_is_source_for_file),
    ("just-created", just_created),
    ("link-group-over-symlink", link_group_over_symlink),
    ("link-group-over-special", link_group_over_special),
    ("replace-how", replace_how),
    ("backup-copy-of-same-file", backup_copy_of_same_file),
    ("remove-other-name-of-source", remove_other_name_of_source),
    ("directory-in-the-way", directory_in_the_way),
    ("remembered-hard-link", remembered_hard_link),
];

/// The decision for copying a file onto DEST: the first rule of [`RULES`] that answers, else
/// [`Action::Proceed`].
pub fn decide(f: &Facts, s: &Settings) -> Step {
    RULES
        .iter()
        .find_map(|(_, rule)| rule(f, s))
        .unwrap_or(Step::Act(Action::Proceed))
}

/// GNU's `overwrite_ok` and `source_is_dst_backup`, as every replacing copy (also of symlinks,
/// special files and `-l`/`-s` links) checks them: `--update`, `-n`, `-i`, then a backup that
/// would be the source, then "will not overwrite just-created" (GNU checks it for every type;
/// red team, round 10: a second `-l`/`-s`/`-d` operand of one name replaced the first's link).
/// [`Action::Proceed`] when DEST may be replaced.
pub fn may_replace(f: &Facts, s: &Settings) -> Step {
    update_rule(f, s)
        .or_else(|| interactive_rule(f, s))
        .or_else(|| backup_is_source(f, s))
        .or_else(|| just_created(f, s))
        .unwrap_or(Step::Act(Action::Proceed))
}

/// [`may_replace`] for a symbolic link, special file or `-l`/`-s` link made over DEST: first
/// `-u`'s remembered skips of a node with other names, links kept
/// ([`update::update_remembers_node_link_group`]: [`Action::RememberAsFirst`] or
/// [`Action::LinkSkippedToFirst`], for DEST of any type), as GNU's `-u` branch comes before
/// `overwrite_ok`. (A regular file's copy asks [`RULES`], whose link-group rule leaves a
/// directory in the way to its own rule.)
pub fn may_replace_node(f: &Facts, s: &Settings) -> Step {
    update_remembers_node_link_group(f, s).unwrap_or_else(|| may_replace(f, s))
}

/// GNU's `return_now` from `same_file_ok` (`cp -l f f`, `cp -d` onto another hard link of a
/// symlink): nothing is to be done, but `-u` and `-i` come first, as in GNU 9.1's
/// `copy_internal` (measured: `cp -l -i a a` asks "overwrite 'a'?", then does nothing and
/// exits 0 whatever the answer; fcopy did not ask: new-user trial, round 9).
/// [`Action::Done`] unless `-u` skips or `-i` is declined.
pub fn same_file_done(f: &Facts, s: &Settings) -> Step {
    update_rule(f, s)
        .or_else(|| interactive_rule(f, s))
        .unwrap_or(Step::Act(Action::Done))
}

/// GNU's `use_lstat` answer on a dangling DEST symlink, after the rules let the copy proceed:
/// with `POSIXLY_CORRECT` (and neither `--remove-destination` nor `--backup`, which replace the
/// link) cp creates the link's target, `-f` or not (GNU 9.1, measured: `POSIXLY_CORRECT=1 cp -f f
/// dangling` exits 0 and creates the target); otherwise it refuses (GNU tests/cp/thru-dangling.sh).
pub fn write_through_dangling(s: &Settings) -> bool {
    s.posixly_correct && !s.remove_destination && !s.backup
}

/// GNU's `source_is_dst_backup`, the name half: the simple backup name of DEST's last
/// component (`dst_base` + `suffix`) is the source's last component (`cp -b a~ a`).
pub fn backup_named_like_source(src_base: &[u8], dst_base: &[u8], suffix: &[u8]) -> bool {
    src_base.len() == dst_base.len() + suffix.len()
        && src_base.starts_with(dst_base)
        && src_base.ends_with(suffix)
}

fn act(a: Action) -> Option<Step> {
    Some(Step::Act(a))
}

fn fail(e: ReplaceError) -> Option<Step> {
    act(Action::Fail(e))
}

fn src(f: &Facts) -> PathBuf {
    f.source.shown.display_path().to_path_buf()
}

fn dst(f: &Facts) -> PathBuf {
    f.dest.display_path().to_path_buf()
}

/// Whether DEST (as the copy sees it) is the source's file.
fn same(f: &Facts) -> bool {
    f.existing.as_ref().is_some_and(|e| e.id == f.source.id)
}

/// Whether the two names are one entry; gathered on demand.
fn same_name(f: &Facts) -> Result<bool, Step> {
    f.same_name.ok_or(Step::Gather(Fact::SameName))
}

/// GNU cp: creating `name/` when nothing is there fails with the kernel's errno, ENOTDIR for
/// its EISDIR: ENOENT when the directory it would go in is missing (`cp a nodir/x/`; fcopy
/// said ENOTDIR there too: new-user trial, round 8), which [`Facts::slash_parent`] tells.
fn dest_ends_in_slash(f: &Facts, _: &Settings) -> Option<Step> {
    if f.existing.is_none() && f.dest_ends_in_slash {
        let errno = match f.slash_parent {
            None => return Some(Step::Gather(Fact::SlashParent)),
            Some(Ok(())) => Errno::NOTDIR,
            Some(Err(errno)) => errno,
        };
        return fail(ReplaceError::CannotCreate {
            dest: dst(f),
            errno,
        });
    }
    None
}

/// A symlink this run created is never written through (GNU tests/cp/abuse.sh); with numbered
/// backups it is renamed away instead.
fn just_created_symlink(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    if e.created_symlink && !s.numbered_backup {
        return fail(ReplaceError::ThroughJustCreatedSymlink {
            source: src(f),
            dest: dst(f),
        });
    }
    None
}

/// GNU's `same_file_ok` (gathered: four stats), except with `-n` (DEST is skipped), for
/// `cp -fb f f` (its own branch), a byte range, and two different files neither of which is a symlink, where GNU says yes
/// without looking further (a re-copy of a tree is all this case: no extra stat, issue 16).
fn same_file(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    let same = same(f);
    if same && s.update == Update::None {
        // GNU 9.1 asks same_file_ok only when not `-n`: `cp -n f f` skips, silently.
        return act(Action::Skip);
    }
    let distinct_plain = !same && f.source.nofollow && !f.source.symlink && !e.name_is_symlink;
    if s.ranged || distinct_plain {
        return None;
    }
    // GNU cp.c's special case is for the same operand text only (`STREQ (source, dest)`):
    // `cp -fb f ./f` is "are the same file", exit 1 (red team, round 13: fcopy made `f~`).
    if same && s.backup && s.force && f.source.regular && f.source.shown == f.dest {
        return None;
    }
    match f.same_file {
        None => Some(Step::Gather(Fact::SameFile)),
        Some(SameFile::Error) => fail(ReplaceError::SameFile {
            source: src(f),
            dest: dst(f),
        }),
        Some(SameFile::Done) => act(Action::Done),
        Some(SameFile::Proceed) => None,
    }
}

/// A symlink loop at DEST: `-f` removes it (not in a dry run); otherwise "cannot stat: Too many
/// levels of symbolic links", unless `--remove-destination` removes it later (GNU
/// tests/cp/dir-rm-dest.sh) or a backup renames it.
fn symlink_loop(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    // A backup renames the loop away (GNU 9.1: `cp -b f loop` keeps it as loop~).
    if !(e.symlink && e.looping) || s.remove_destination || s.backup {
        return None;
    }
    if s.force && !s.dry_run {
        return (!f.loop_removed).then_some(Step::RemoveLoop);
    }
    fail(ReplaceError::CannotStat {
        dest: dst(f),
        errno: Errno::LOOP,
    })
}

/// GNU cp does not write through (or, with `-f`, replace) a dangling symlink, unless
/// `POSIXLY_CORRECT`, `--remove-destination` or `--backup` (GNU tests/cp/thru-dangling.sh);
/// nor do `-n`, `-u` or `-i` skip it or ask (GNU 9.1 takes DEST as missing, then refuses).
/// (A loop was decided by [`symlink_loop`].)
fn dangling_symlink_forced(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    // (Without these options the planner refuses it later, or writes through it.)
    let would_skip_or_ask = s.force || s.update != Update::All || s.interactive;
    if e.symlink
        && !e.looping
        && would_skip_or_ask
        && !s.remove_destination
        && !s.backup
        && !s.posixly_correct
    {
        return fail(ReplaceError::DanglingSymlink { dest: dst(f) });
    }
    None
}

/// A file or directory this run created is not overwritten by another source (GNU's
/// "will not overwrite just-created"); numbered backups keep it, so they may. After `-u`,
/// `-n` and `-i`, as in GNU's copy_internal (red team, round 10: `cp -n x/f y/f d` skips the
/// second silently, exit 0; fcopy refused it, exit 1).
fn just_created(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    if !same(f) && !s.numbered_backup && e.created {
        return fail(ReplaceError::JustCreated {
            source: src(f),
            dest: dst(f),
        });
    }
    None
}

/// DEST is another file, not a directory: the usual replacement.
fn replacing_other_file(f: &Facts) -> bool {
    f.existing.as_ref().is_some_and(|e| !e.directory) && !same(f)
}

/// `-i`: ask; a declined overwrite makes the exit status 1 (GNU 9.2+, tests/cp/cp-i.sh).
fn interactive_rule(f: &Facts, s: &Settings) -> Option<Step> {
    if !s.interactive {
        return None;
    }
    match f.answer {
        None => Some(Step::Ask),
        Some(true) => None,
        Some(false) => act(Action::Decline),
    }
}

/// GNU's `source_is_dst_backup`: the simple backup of DEST would be the source itself, so
/// renaming DEST there would destroy the source. Numbered backups never are.
fn backup_is_source(f: &Facts, s: &Settings) -> Option<Step> {
    if !s.backup || s.numbered_backup {
        return None;
    }
    match f.backup_is_source {
        None => Some(Step::Gather(Fact::BackupIsSource)),
        Some(true) => fail(ReplaceError::BackupDestroysSource {
            source: src(f),
            dest: dst(f),
        }),
        Some(false) => None,
    }
}

/// [`update_rule`] and [`interactive_rule`] (GNU's `overwrite_ok`) for another file at DEST.
fn overwrite_ok_for_file(f: &Facts, s: &Settings) -> Option<Step> {
    if !replacing_other_file(f) {
        return None;
    }
    // A dangling symlink written through (POSIXLY_CORRECT): GNU takes DEST as missing.
    let dangling = f.existing.as_ref().is_some_and(|e| e.symlink && !e.looping);
    if dangling && write_through_dangling(s) {
        return None;
    }
    update_rule(f, s).or_else(|| interactive_rule(f, s))
}

/// [`backup_is_source`] for another file at DEST.
fn backup_is_source_for_file(f: &Facts, s: &Settings) -> Option<Step> {
    if !replacing_other_file(f) {
        return None;
    }
    backup_is_source(f, s)
}

/// A symlink at DEST's name is replaced, never written through, when the source is a regular
/// file with more than one name whose copies are linked (`-a`, `-d`, `--preserve=links`): it is
/// removed and the copy created anew (`O_EXCL`), as the group's first copy.
///
/// GNU cp 9.1 replaces such a symlink with a link to the group's first copy at every later
/// name ([`replace_how`], which also decides here with a backup, or when the first copy is
/// known), but writes through it at the first name, so whether root's file behind a symlink
/// another user planted is overwritten depends on the order of names one inode shares in
/// their directory (measured: `cp -a src/. t` with src/a, src/b one file and t/a a symlink to
/// a file writes it when a is read first, replaces t/a when b is). fcopy replaces it at every
/// name: the tree comes out with the source's links, and nothing outside it is written
/// (red-team round 3). A source with one name is written through as GNU does (`cp -a f
/// symlink-to-file`), and a dry run removes nothing.
fn link_group_over_symlink(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    let linked_group = f.remember && f.source.regular && f.source.nlink > 1;
    // (A dangling one is refused, or written through with POSIXLY_CORRECT, as by GNU.)
    let followed = e.name_is_symlink && !e.symlink;
    if !replacing_other_file(f) || !followed || !linked_group {
        return None;
    }
    if s.backup || f.first_copy_known || s.dry_run {
        return None;
    }
    Some(Step::RemoveFirst { report: true })
}

/// A FIFO, socket or device node at DEST's name is replaced, never opened, when the source is
/// a regular file with more than one name whose copies are linked (`-a`, `-d`,
/// `--preserve=links`, also with `--attributes-only`): it is removed and the copy created
/// anew. GNU cp 9.1, measured: `cp -a s/. t` with s/a, s/b one file and t/a a FIFO (or a
/// character device) replaces t/a and exits 0, as does `cp -a --attributes-only`; with a
/// source of one name (`cp -r f fifo`, `cp -a`) GNU opens the FIFO and writes into it, cp's
/// documented behaviour, kept. (Red-team round 4: a FIFO another user planted hung `-a`.)
/// With a backup, or when the first copy is known (the link replaces DEST), or in a dry run,
/// [`replace_how`] decides.
fn link_group_over_special(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    let linked_group = f.remember && f.source.regular && f.source.nlink > 1;
    if !replacing_other_file(f) || !e.special || !linked_group {
        return None;
    }
    if s.backup || f.first_copy_known || s.dry_run {
        return None;
    }
    Some(Step::RemoveFirst { report: true })
}

/// How the old file goes: a backup first (GNU's copy_internal backs DEST up before it makes
/// the hard link to a group's first copy: `cp -ab` into a tree with hard links keeps every old
/// file), else a remembered hard link replaces it, else it is removed first with
/// `--remove-destination`, or when links are kept and DEST has other names (GNU copy.c's
/// `x->preserve_links && 1 < dst_sb.st_nlink`: `cp -a` must not rewrite the file other names
/// of DEST still show), never in a dry run; otherwise it is written in place. The link to a
/// first copy never removes DEST first: it is made at a temporary name and renamed over DEST
/// (GNU's `force_linkat`), so a link that cannot be made leaves DEST (red-team round 4: `cp -au`
/// lost DEST when the link failed).
fn replace_how(f: &Facts, s: &Settings) -> Option<Step> {
    if !replacing_other_file(f) {
        return None;
    }
    let linked_dest = s.preserve_links && f.existing.as_ref().is_some_and(|e| e.nlink > 1);
    if s.backup && !s.dry_run {
        Some(Step::BackUpFirst)
    } else if f.remember && f.first_copy_known {
        act(Action::LinkToFirst)
    } else if (s.remove_destination || linked_dest) && !s.dry_run {
        Some(Step::RemoveFirst { report: true })
    } else {
        act(Action::Proceed)
    }
}

/// `cp --force --backup f f` (GNU's special case; any DEST that is the source, with a
/// backup): f stays and is copied to its backup name; two names of one file (`cp -fb f
/// hardlink`) back DEST up by renaming it (`-i` asks first), then copy the source anew.
///
/// A byte range within one file (fcopy's own, `-b` needs `--atomic` there) is not GNU's case:
/// DEST is backed up as any DEST of a range is, by a link, and the range is applied to a copy
/// of it. New user, round 15: `fcopy -b --atomic --offset-out 4096 --len 1000000 f f` wrote the
/// range over the old backup `f~` and left `f` as it was, and onto a hard link of SOURCE it
/// made DEST a new file holding the range alone (its other bytes gone), both exit 0.
fn backup_copy_of_same_file(f: &Facts, s: &Settings) -> Option<Step> {
    if !same(f) || !s.backup || !f.source.regular {
        return None;
    }
    if s.ranged {
        // `-i` asks first, as for any DEST a backup moves aside; a dry run shows the range.
        if s.dry_run {
            return act(Action::Proceed);
        }
        return interactive_rule(f, s).or(Some(Step::BackUpFirst));
    }
    if s.dry_run {
        return act(Action::PlanOnly);
    }
    match same_name(f) {
        // (`-i` asks about the backup name, if taken: the caller's copy onto it does.)
        Ok(true) => act(Action::CopyToBackup),
        // GNU's overwrite_ok asks before DEST is renamed away.
        Ok(false) => interactive_rule(f, s).or_else(|| act(Action::BackUpThenRetry)),
        Err(step) => Some(step),
    }
}

/// `--remove-destination` onto another name of the source (a hard link): GNU removes it and
/// copies anew.
fn remove_other_name_of_source(f: &Facts, s: &Settings) -> Option<Step> {
    if !same(f) || !s.remove_destination || !f.source.regular {
        return None;
    }
    match same_name(f) {
        Ok(true) => None,
        Ok(false) if s.dry_run => None,
        Ok(false) => Some(Step::RemoveFirst { report: true }),
        Err(step) => Some(step),
    }
}

/// A directory in the way: `-i` asks, `-n` and `-u` skip (GNU's `overwrite_ok` comes first),
/// then "cannot overwrite directory with non-directory".
fn directory_in_the_way(f: &Facts, s: &Settings) -> Option<Step> {
    if !f.existing.as_ref().is_some_and(|e| e.directory) || same(f) {
        return None;
    }
    may_replace_step(f, s).or_else(|| fail(ReplaceError::OverwriteDirWithNonDir { dest: dst(f) }))
}

/// [`may_replace`] as a rule: `None` when DEST may be replaced.
fn may_replace_step(f: &Facts, s: &Settings) -> Option<Step> {
    match may_replace(f, s) {
        Step::Act(Action::Proceed) => None,
        step => Some(step),
    }
}

/// A later name of a hard-linked source is linked to its first copy.
fn remembered_hard_link(f: &Facts, _: &Settings) -> Option<Step> {
    (f.remember && f.first_copy_known).then_some(Step::Act(Action::LinkToFirst))
}

#[cfg(test)]
mod tests;
