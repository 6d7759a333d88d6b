//! The rules of `-u`/`--update`/`-n` for an existing DEST (GNU copy.c's `-u` branch), and
//! `-u --resume`'s exception for an interrupted copy. Part of [`super::RULES`].

use super::{
    act, dst, fail, replacing_other_file, Action, Fact, Facts, ReplaceError, Settings, Step, Update,
};

/// GNU cp -u: a file skipped as not older is still remembered, and a later link to it
/// replaces its destination, newer or not (tests/cp/preserve-link.sh: `cp -au` keeps
/// hard-link groups in an existing tree).
///
/// Only when links are kept (`remember`). GNU 9.1's copy.c remembers every file its `-u`
/// skips, links kept or not (`remember_copied` in the `-u` branch), so with `cp -r -u` and
/// `cp -r -u -L` a later skipped name of it replaces a newer DEST of its own with a link to
/// the first (measured: two names of one file onto two newer files come out as one, the
/// second's data gone without a word; GNU's comment there: "we currently replace DST_NAME
/// unconditionally, even if it was a newer separate file"). fcopy keeps a newer DEST under
/// `-u` unless the caller asked for links to be kept (round 10: nothing is lost silently).
pub(super) fn update_remembers_link_group(f: &Facts, s: &Settings) -> Option<Step> {
    if !replacing_other_file(f) {
        return None;
    }
    remembered_skip(f, s)
}

/// [`update_remembers_link_group`] for a symbolic link or special file with other names,
/// links kept (`-d`, `-a`; [`Facts::remember`]), made at DEST instead of copied into it: GNU
/// 9.1's `-u` branch remembers the DEST it skips (copy.c's `remember_copied`), and a later
/// skipped name is made a hard link to it, replacing the newer file at its own name
/// (measured: `cp -d -u` of two names of one symlink onto two newer files). It comes before
/// `-i`, `-n` and a directory in the way, as in GNU (measured: `cp -d -u link
/// dir-holding-a-newer-dir` skips, exit 0), so DEST may be anything that is not older.
pub(super) fn update_remembers_node_link_group(f: &Facts, s: &Settings) -> Option<Step> {
    remembered_skip(f, s)
}

/// `-u` with links kept, DEST not older than SOURCE: [`Action::RememberAsFirst`], or
/// [`Action::LinkSkippedToFirst`] once the group's first copy is known; `None` (the rules
/// after decide) for an older DEST or an interrupted copy `-u --resume` continues.
fn remembered_skip(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    if !f.remember || s.update != Update::Older {
        return None;
    }
    if e.mtime < f.source.mtime {
        return None;
    }
    // `-u --resume`: an interrupted copy is continued, not skipped (see `update_rule`).
    if interrupted_copy(f, s) {
        match f.resumable {
            None => return Some(Step::Gather(Fact::Resumable)),
            Some(true) => return None,
            Some(false) => {}
        }
    }
    if f.first_copy_known {
        act(Action::LinkSkippedToFirst)
    } else {
        act(Action::RememberAsFirst)
    }
}

/// `--update`, `-n`: skip, fail, or compare times or contents.
pub(super) fn update_rule(f: &Facts, s: &Settings) -> Option<Step> {
    let e = f.existing.as_ref()?;
    match s.update {
        Update::All => None,
        Update::None => act(Action::Skip),
        Update::NoneFail => fail(ReplaceError::NotReplacing { dest: dst(f) }),
        Update::Older if e.mtime < f.source.mtime => None,
        Update::Older => match (interrupted_copy(f, s), f.resumable) {
            (false, _) | (true, Some(false)) => act(Action::Skip),
            (true, None) => Some(Step::Gather(Fact::Resumable)),
            (true, Some(true)) => None,
        },
        Update::Changed => match f.unchanged {
            None => Some(Step::Gather(Fact::Unchanged)),
            Some(true) => act(Action::Skip),
            Some(false) => None,
        },
    }
}

/// `-u --resume`: DEST may be a copy this tool left unfinished (a regular file shorter than
/// SOURCE), which is new because it was being written, not because it is up to date; whether
/// it holds SOURCE's start is [`Facts::resumable`]. Without this, `-u --resume` skipped the
/// partial file `--resume` had kept (new-user trial, round 8); `rsync -u --append` skips it
/// too, but a short DEST that matches SOURCE's start is an interrupted copy, not a newer file.
fn interrupted_copy(f: &Facts, s: &Settings) -> bool {
    let e = f.existing.as_ref();
    let short = e
        .and_then(|e| e.regular_size)
        .is_some_and(|have| have > 0 && have < f.source.size);
    s.resume && !s.ranged && f.source.regular && short
}

#[cfg(test)]
mod tests;
