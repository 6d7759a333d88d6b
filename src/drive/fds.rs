//! The tree walk's descriptor budget: how many directory levels keep their descriptors open
//! under the open-file limit, closing the older ones, and retrying an open that met `EMFILE`
//! (issue 12: a tree copies under a low `ulimit -n`).

use std::sync::Arc;

use rustix::io::Errno;

use super::frame::Frame;
use super::Copier;

#[cfg(test)]
mod tests;

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

impl<'a, 'p> Copier<'a, 'p> {
    /// Closes the descriptors of the level [`Copier::dir_levels`] above the innermost; true
    /// when descriptors are short anyway (queued jobs keep that level's open, or too many
    /// finished directories wait for their jobs).
    pub(super) fn close_old_levels(&mut self, stack: &mut [Frame]) -> bool {
        let depth = stack.len();
        let mut pressed = false;
        if depth > self.dir_levels {
            let old = &mut stack[depth - self.dir_levels - 1];
            // First the helpers' references (a segment offered holds both descriptors).
            old.drop_looks();
            // Jobs still queued keep their directory's descriptors open.
            pressed = [&old.src, &old.dst]
                .iter()
                .any(|fd| fd.as_ref().is_some_and(|fd| Arc::strong_count(fd) > 1));
            old.src = None;
            old.dst = None;
        }
        // Finished directories waiting for their jobs hold descriptors too.
        pressed
            || (self.pending_dirs.len() > 2 * self.dir_levels
                && self
                    .pending_dirs
                    .values()
                    .filter(|p| p.then.is_some())
                    .count()
                    > self.dir_levels)
    }

    /// Runs `open`, and once more after [`Copier::relieve_fds`] if it fails with `EMFILE`.
    pub(super) fn retry_emfile<T, E: PartialEq + From<Errno>>(
        &mut self,
        ancestors: &mut [Frame],
        mut open: impl FnMut() -> Result<T, E>,
    ) -> Result<T, E> {
        match open() {
            Err(e) if e == E::from(Errno::MFILE) => {
                self.relieve_fds(ancestors);
                open()
            }
            other => other,
        }
    }

    /// Out of descriptors (or close to it): waits for every running job (finished directories
    /// waiting for them then close), drops a directory a look-ahead helper read ahead, and closes
    /// the cached descriptors of every ancestor but the innermost (reopened through ".." when the walk gets back to them).
    pub(super) fn relieve_fds(&mut self, ancestors: &mut [Frame]) {
        if let Some(lookahead) = &self.lookahead {
            // A directory read ahead holds two.
            lookahead.forget(None);
        }
        if self.pool.is_some() {
            self.flush();
            self.drain(true);
        }
        if let Some((_, older)) = ancestors.split_last_mut() {
            for frame in older {
                frame.drop_looks();
                frame.src = None;
                frame.dst = None;
            }
        }
    }
}
