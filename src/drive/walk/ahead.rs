//! When and how the walk runs with look-ahead helpers ([`super::super::lookahead`]): only for
//! re-copies with `-j`; offering each directory's entries a segment at a time, taking over what
//! a helper read ahead, and telling the helpers where the walk entered a directory.

use std::sync::Arc;

use super::super::frame::Frame;
use super::super::lookahead::{
    CloseOnDrop, DirLooks, Hint, Lookahead, ReadAhead, MIN_ENTRIES, SEGMENT,
};
use super::super::Copier;
use super::TreeWalk;
use crate::options::values::UpdateWhen;
use crate::options::LinkMode;

impl<'a, 'p> Copier<'a, 'p> {
    /// Runs the walk `w`, with look-ahead helpers when it is a re-copy that may use them
    /// ([`Copier::lookahead_helpers`]).
    pub(super) fn walk_with_lookahead(&mut self, w: &mut TreeWalk) {
        let helpers = w
            .stack
            .last()
            .map_or(0, |root| self.lookahead_helpers(root));
        if helpers == 0 {
            while self.walk_next(w) {}
            return;
        }
        // A helper reading a directory ahead allocates its listing: not under an address-space
        // limit, where the workers' and the walk's needs are counted (issue 14).
        let unlimited = rustix::process::getrlimit(rustix::process::Resource::As)
            .current
            .is_none();
        let lookahead = Arc::new(Lookahead::new(unlimited));
        let outer = self.lookahead.replace(Arc::clone(&lookahead));
        // A destination name is looked at ahead only when nothing but this entry's own copy
        // can change it before the walk gets there: no job of an earlier operand still
        // running, no backup renamed onto another entry's name (`a` → `a~`), no link made by
        // name (-l/-s), no destination directory that is a symlink kept (it may lead to
        // another directory of the walk).
        self.dst_looks = self.in_flight.is_empty()
            && self.cfg.backup.is_none()
            && self.cfg.link == LinkMode::Copy
            && !self.cfg.keep_directory_symlink;
        std::thread::scope(|scope| {
            let _close = CloseOnDrop(Arc::clone(&lookahead));
            for _ in 0..helpers {
                let la = Arc::clone(&lookahead);
                let spawned = std::thread::Builder::new()
                    .stack_size(64 * 1024)
                    .spawn_scoped(scope, move || la.run());
                if spawned.is_err() {
                    break;
                }
            }
            self.offer_looks(w.stack.last_mut(), w.follow, 1);
            while self.walk_next(w) {}
        });
        self.lookahead = outer;
    }

    /// How many helper threads look ahead for this operand: none unless it is a re-copy (its
    /// top destination directory was there), jobs run on workers (`-j`), the destination is
    /// not inside the source, and descriptors are plentiful (a helper keeps a directory's
    /// open while it looks, and its own two of the directories it looks in; directories read
    /// ahead hold two each, at most two of them and one being read per helper: at most 16 with
    /// 3 helpers, out of the walk's reserve of 24, at a limit of at least 152 here), and most files are expected to be left alone (-u, -n,
    /// `--update=...`); then `-j` less two, 1 to 3.
    fn lookahead_helpers(&self, root: &Frame) -> usize {
        // Where every file is copied (no -u, -n, --update=...), the copies' jobs and not the
        // walk's look-ups take the time: measured, a helper only slowed `cp -r` into a
        // complete copy (2 CPUs: 590 -> 607 ms).
        if root.created
            || self.pool.is_none()
            || self.into_itself
            || self.dir_levels < 16
            || self.cfg.update == UpdateWhen::All
        {
            return 0;
        }
        // Measured on 2 CPUs (a re-copy of 10,000 files with -u): one helper takes half the
        // look-ups (0.96 -> 0.65 x GNU cp); a second one gains nothing there.
        self.cfg.jobs.saturating_sub(2).clamp(1, 3)
    }

    /// Offers the next [`SEGMENT`] of the remaining entries of `frame` (the directory just
    /// entered, or one whose offered entries the walk has used up; `depth`: its stack height)
    /// to the helpers, if any.
    pub(super) fn offer_looks(&self, frame: Option<&mut Frame>, follow: bool, depth: usize) {
        let (Some(lookahead), Some(frame)) = (&self.lookahead, frame) else {
            return;
        };
        frame.looks = None;
        let Some(src) = frame.src.clone() else {
            return;
        };
        let end = frame.entries.len();
        if end < MIN_ENTRIES {
            return;
        }
        let base = end.saturating_sub(SEGMENT);
        let dst = frame
            .dst
            .clone()
            .filter(|_| self.dst_looks && !frame.created && !frame.planned_only);
        let names = &mut frame.entries[base..];
        let looks = Arc::new(DirLooks::new(base, src, dst, names, follow, depth));
        lookahead.offer(&looks);
        frame.looks = Some(looks);
    }

    /// The walk entered the directory on top of `w`, with the listing a helper read ahead
    /// (`ahead`) if it took it: takes that helper's looks over (with its descriptors of the same
    /// directories) when the destination is the one the helper opened, else offers the entries;
    /// then tells the helpers where to read ahead next (the parent's next directory).
    pub(super) fn enter_looks(&mut self, w: &mut TreeWalk, ahead: Option<ReadAhead>) {
        let Some(lookahead) = self.lookahead.clone() else {
            return;
        };
        let depth = w.stack.len();
        let Some(frame) = w.stack.last_mut() else {
            return;
        };
        let dst_looks = self.dst_looks && !frame.created && !frame.planned_only;
        match ahead {
            // The helper looked at destination names in the directory the frame has.
            Some(a) if a.dst_id.is_none_or(|id| dst_looks && id == frame.dst_id) => {
                frame.src = Some(Arc::clone(&a.looks.src));
                if let Some(dst) = &a.looks.dst {
                    frame.dst = Some(Arc::clone(dst));
                }
                frame.looks = Some(a.looks);
            }
            Some(a) => {
                a.looks.names_back(&mut frame.entries[a.looks.base..]);
                self.offer_looks(Some(frame), w.follow, depth);
            }
            None => self.offer_looks(Some(frame), w.follow, depth),
        }
        let Some(parent) = depth.checked_sub(2).and_then(|i| w.stack.get(i)) else {
            return;
        };
        if let Some(looks) = &parent.looks {
            lookahead.entered(Hint {
                parent: Arc::downgrade(looks),
                next: parent.entries.len(),
                parent_token: parent.token,
                depth,
            });
        }
    }
}
