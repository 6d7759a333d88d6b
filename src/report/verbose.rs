//! What a run says it does: `-v` lines (`'a' -> 'b'`, with GNU's ` (backup: 'b~')`), `--debug`
//! lines, `--dry-run` lines, and the `--json` records of finished and planned entries.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::record::Record;
use super::{progress, quote, quote_if_needed, Reporter};
use crate::exec::{Method, Outcome};
use crate::plan::Job;

impl Reporter {
    /// A job finished: -v/--debug lines or a JSON record.
    pub fn copied(&mut self, job: &Job, outcome: &Outcome, elapsed: Duration) {
        for warning in &outcome.warnings {
            self.note(warning);
        }
        self.files += 1;
        self.bytes += outcome.bytes;
        // Clones, and extents copy_file_range shared (btrfs, XFS), are counted as cloned.
        self.cloned += match (outcome.method, outcome.shared_bytes) {
            (_, Some(shared)) => shared.min(outcome.bytes),
            (Method::Reflink, None) => outcome.bytes,
            _ => 0,
        };
        if self.json {
            let mut record = Record::job(job, "ok");
            record.bytes = Some(outcome.bytes);
            record.method = Some(outcome.method.name());
            record.fallback = outcome.fallback.map(|(r, _)| r.name());
            record.fallback_offset = outcome.fallback.map(|(_, at)| at);
            record.extents = Some(outcome.extents);
            record.elapsed_ms = Some(elapsed.as_secs_f64() * 1e3);
            record.verified = outcome.verified.map(|how| how.name());
            record.shared_bytes = outcome.shared_bytes;
            record.digest = outcome.digest.as_deref();
            if let Some(from) = outcome.resumed_from {
                record.resumed(job, from);
            }
            self.emit(record);
            return;
        }
        // The `'a' -> 'b'` line was printed when the job started (see `starting`), as GNU cp
        // prints it before copying; --debug adds what happened.
        if outcome.removed_dest {
            self.removed(job.dest.display_path());
        }
        self.resumed_partial(job, outcome);
        if self.debug {
            self.line(format_args!("{}", debug_line(job, outcome)));
        }
    }

    /// A file copy is about to start: the -v/--debug line, in walk order even under `-j`.
    /// A `--resume`d job's line says where it goes on from: `'a' -> 'b' (resumed from byte N)`,
    /// or `(already complete)` when DEST has all of SOURCE's bytes (new-user trial, round 19:
    /// the line was the same for a continued, a complete and a fresh copy; only `--debug` and
    /// `--json` told them apart). An `--atomic` job finds its kept partial file only when it
    /// runs: [`Reporter::resumed_partial`] says so then.
    pub fn starting(&mut self, job: &Job) {
        if self.json || !(self.verbose || self.debug) {
            return;
        }
        let (source, dest) = (job.source.display_path(), job.dest.display_path());
        match job.restart.resumed_from {
            // --debug says it in its own line after the copy.
            Some(from) if !self.debug => {
                let said = if from >= job.source_facts.size {
                    "already complete".to_owned()
                } else {
                    format!("resumed from byte {from}")
                };
                self.line(format_args!(
                    "{} -> {} ({said})",
                    quote(source),
                    quote(dest)
                ));
            }
            _ => self.verbose_line(source, dest),
        }
    }

    /// `-v`: `resumed 'b' from byte N` (GNU's verb-first form, as `removed 'b'`) once an
    /// `--atomic --resume` job went on from its kept partial file `.b.fcopy-partial`, which
    /// the copy itself finds and checks: its line, printed when it started, could not say so
    /// (new-user trial, round 20: `-v` never told, though `--stats` and `--json` did).
    /// Printed when the job ends, so the start lines keep their walk order and their notes.
    fn resumed_partial(&mut self, job: &Job, outcome: &Outcome) {
        let Some(from) = outcome.resumed_from else {
            return;
        };
        if !self.verbose || self.debug || job.restart.resumed_from.is_some() {
            return;
        }
        self.line(format_args!(
            "resumed {} from byte {from}",
            quote(job.dest.display_path())
        ));
    }

    /// After a stop signal, `count` files `-v` listed that no worker started: one note, so the
    /// log does not read as if they were copied ([`super::messages::exec::ListedNotCopied`]).
    /// Not said when standard output's reader is gone: nobody reads the list it is about.
    pub fn listed_not_copied(&mut self, count: u64) {
        let unread = crate::signals::broken_pipe();
        if count > 0 && !unread && !self.json && (self.verbose || self.debug) {
            self.note(&super::messages::exec::ListedNotCopied(count));
        }
    }

    /// `'a' -> 'b'` for -v and --debug, with GNU's ` (backup: 'b~')` when a backup was just made.
    pub fn verbose_line(&mut self, source: &Path, dest: &Path) {
        match self.backup_made.take() {
            Some(backup) => self.line(format_args!(
                "{} -> {} (backup: {})",
                quote(source),
                quote(dest),
                quote(&beside(dest, &backup))
            )),
            None => self.line(format_args!("{} -> {}", quote(source), quote(dest))),
        }
    }

    /// DEST was removed before the copy (`--remove-destination`, a hard-linked or non-regular
    /// DEST with `-a`): GNU cp's `-v` line `removed 'DEST'` (coreutils copy.c), printed before
    /// the copy's own line.
    pub fn removed(&mut self, dest: &Path) {
        if !self.json && (self.verbose || self.debug) {
            self.line(format_args!("removed {}", quote(dest)));
        }
    }

    /// A backup of the destination about to be written was made under this name: the next
    /// `-v` line ends with ` (backup: 'NAME')`, as GNU cp's (coreutils `emit_verbose`).
    pub fn backup_made(&mut self, backup: &Path) {
        self.backup_made = (self.verbose || self.debug).then(|| backup.to_path_buf());
    }

    /// `--dry-run -b`: the backup the planned copy would make first, named on its planned line
    /// (` (backup: 'NAME')` after the strategy, size and range).
    pub fn backup_planned(&mut self, backup: &Path) {
        self.backup_made = (!self.json).then(|| backup.to_path_buf());
    }

    /// `--parents` made directory `dest` (for source directory `source`): GNU's `-v` line
    /// `a -> dst/a` (names quoted only when needed, coreutils `quotef`), or a `directory`
    /// record with `--json`.
    pub fn parent_made(&mut self, source: &Path, dest: &Path) {
        if self.json {
            return self.node_done("directory", source, dest);
        }
        if self.verbose || self.debug {
            self.line(format_args!(
                "{} -> {}",
                quote_if_needed(source),
                quote_if_needed(dest)
            ));
        }
    }

    /// A directory, symlink, hard link or special file was made (trees): -v line or JSON record.
    pub fn node_done(&mut self, kind: &str, source: &Path, dest: &Path) {
        if self.json {
            let mut record = Record::new(kind, Some(source), Some(dest), "ok");
            record.bytes = Some(0);
            self.emit(record);
        } else if self.verbose || self.debug {
            self.verbose_line(source, dest);
        }
    }

    /// A link made in place of a copy (`-l`, `-s`, or a tree's second name of a file, `-a`):
    /// [`Reporter::node_done`]'s line or record, counted for `--stats`.
    pub fn link_made(&mut self, kind: &str, source: &Path, dest: &Path) {
        self.links += 1;
        self.node_done(kind, source, dest);
    }

    /// A hard link made where `-u` skipped DEST (`replaced`: a file was there): the JSON record
    /// as [`Reporter::node_done`]'s, and for `-v` only GNU's `removed 'DEST'`.
    pub fn linked_unsaid(&mut self, source: &Path, dest: &Path, replaced: bool) {
        self.links += 1;
        if self.json {
            return self.node_done("hardlink", source, dest);
        }
        if replaced {
            self.removed(dest);
        }
    }

    /// `--dry-run --parents`: directory `dest` would be made (once, however many operands need it).
    pub fn planned_parent(&mut self, source: &Path, dest: &Path) {
        if self.planned_parents.insert(dest.to_path_buf()) {
            self.planned_node("directory", source, dest);
        }
    }

    /// `--dry-run --mkpath`: directory `dir` would be made (once): `'DIR' (directory,
    /// --mkpath)`, or a planned `directory` record without a source. Files planned into it are
    /// not errors (see [`Reporter::planned_dir`]).
    pub fn planned_mkpath(&mut self, dir: &Path) {
        if !self.planned_parents.insert(dir.to_path_buf()) {
            return;
        }
        // Like `mkdir -p`, the run makes (or finds) every directory above it too.
        for up in dir.ancestors().skip(1) {
            self.planned_parents.insert(up.to_path_buf());
        }
        if self.json {
            let record = Record::new("directory", None, Some(dir), "planned");
            self.emit(record);
        } else {
            self.line(format_args!("{} (directory, --mkpath)", quote(dir)));
        }
    }

    /// `--mkpath` made directory `dir` (called for each level made, parents first):
    /// `created directory 'DIR'` with `-v`, as `mkdir -pv` says it, or a `directory` record without a source, as the
    /// dry run plans it ([`Reporter::planned_mkpath`]; the run said nothing: new-user trial,
    /// round 11).
    pub fn mkpath_made(&mut self, dir: &Path) {
        if self.json {
            let mut record = Record::new("directory", None, Some(dir), "ok");
            record.bytes = Some(0);
            self.emit(record);
        } else if self.verbose || self.debug {
            self.line(format_args!("created directory {}", quote(dir)));
        }
    }

    /// `--dry-run`: whether `dir` is a directory the run would have made before this point
    /// (`--mkpath`, `--parents`), so a file planned into it is not an error.
    pub fn planned_dir(&self, dir: &Path) -> bool {
        self.planned_parents.contains(dir)
    }

    /// `--dry-run` for a directory, symlink, hard link or special file.
    pub fn planned_node(&mut self, kind: &str, source: &Path, dest: &Path) {
        if self.json {
            let record = Record::new(kind, Some(source), Some(dest), "planned");
            self.emit(record);
        } else {
            self.line(format_args!(
                "{} -> {} ({kind})",
                quote(source),
                quote(dest)
            ));
        }
    }

    /// `--dry-run`: one line (or JSON record) per planned job.
    pub fn planned(&mut self, job: &Job) {
        self.files += 1;
        self.bytes += job.planned_bytes().unwrap_or(0);
        if self.json {
            let mut record = Record::job(job, "planned");
            record.bytes = job.planned_bytes();
            self.emit(record);
            return;
        }
        let size = match job.planned_bytes() {
            Some(n) => progress::human_size(n),
            None => "to end of file".to_owned(),
        };
        let range = job.range.map_or(String::new(), |r| {
            format!(", from offset {} to offset {}", r.offset_in, r.offset_out)
        });
        let backup = self.backup_made.take().map_or(String::new(), |b| {
            let named = beside(job.dest.display_path(), &b);
            format!(" (backup: {})", quote(&named))
        });
        self.line(format_args!(
            "{} -> {} ({}, {size}{range}){backup}",
            quote(job.source.display_path()),
            quote(job.dest.display_path()),
            job.strategy.name()
        ));
    }
}

/// The backup's name as GNU cp's `-v` shows it: DEST as given up to its last component, then
/// the backup's file name (coreutils `find_backup_file_name` keeps DEST's text: `cp -vb s/a
/// d/./a` says `(backup: 'd/./a~')`; fcopy said `'d/a~'`: new-user trial, round 9). A backup
/// is always made in DEST's own directory.
fn beside(dest: &Path, backup: &Path) -> PathBuf {
    let Some(name) = backup.file_name() else {
        return backup.to_path_buf();
    };
    let text = dest.as_os_str().as_bytes();
    let dir_len = text.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let mut shown = text[..dir_len].to_vec();
    shown.extend_from_slice(name.as_bytes());
    PathBuf::from(OsString::from_vec(shown))
}

/// GNU cp's `--debug` line: `copy offload: ..., reflink: ..., sparse detection: ...`, then
/// fcopy's own facts: `, resumed from byte N` (`--resume` continued DEST from byte N: the line
/// said nothing of it, new-user trial, round 11) and `, verify: ...`.
pub fn debug_line(job: &Job, outcome: &Outcome) -> String {
    let offload = if outcome.method == Method::Reflink && !outcome.tried_cfr {
        "unknown"
    } else if outcome.fallback.is_some() {
        "unsupported"
    } else if outcome.tried_cfr {
        "yes"
    } else {
        "avoided"
    };
    let reflink = match outcome.shared_bytes {
        Some(n) if n > 0 && (n < outcome.bytes || outcome.method != Method::Reflink) => {
            format!("partial ({n} bytes)")
        }
        _ if outcome.method == Method::Reflink => "yes".to_owned(),
        _ if outcome.clone_failed => "unsupported".to_owned(),
        _ => "no".to_owned(),
    };
    let sparse = match (outcome.seek_hole, outcome.zeros || job.detect_zeros) {
        (false, false) => "no",
        (true, false) => "SEEK_HOLE",
        (false, true) => "zeros",
        (true, true) => "SEEK_HOLE + zeros",
    };
    let mut line =
        format!("copy offload: {offload}, reflink: {reflink}, sparse detection: {sparse}");
    // A resumed `--atomic` job learns where it went on from as it runs (its partial file).
    if let Some(from) = outcome.resumed_from.or(job.restart.resumed_from) {
        line.push_str(&format!(", resumed from byte {from}"));
    }
    match (outcome.verified, &outcome.digest) {
        (Some(how), Some(digest)) => format!("{line}, verify: {} (blake3 {digest})", how.name()),
        (Some(how), None) => format!("{line}, verify: {}", how.name()),
        (None, _) => line,
    }
}
