//! The order of parallel batch jobs (`-j`): which job must wait for the jobs handed out before
//! it, so that the result equals `-j 1`, from the files (and backup names) each job touches.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::hash::{BuildHasher, Hash, RandomState};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::backup::{self, BackupControl};

/// What identifies a file a batch job touches: `(dev, ino)` of the file itself when it exists,
/// and `(dev, ino)` of its directory plus its name (which also names a file not created yet).
/// Spellings (`out`, `./out`, a symlinked directory) do not matter, only identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum FileKey {
    Inode(u64, u64),
    Entry(u64, u64, OsString),
}

/// The files a path names, as [`FileKey`]s (empty for standard I/O or a path that cannot be
/// examined, whose job then fails on its own), and whether they are all the files the path can
/// come to name while earlier jobs run: not when the path is a symbolic link, nor when its
/// directory cannot be examined. A link's target is another name, which an earlier job still
/// running may create or replace after this look: one that leads nowhere yet (red-team
/// finding, round 4, `ln -s Cnew M` with the lines `X -> Cnew` and `M -> Out`), and one
/// whose target a running job had just created or made anew with `-b` (red team, round 17:
/// `- -> f` then `S -> copy`, `S -> f`, copied the prefix of `f` written so far, and `g -> S`
/// interleaved with the earlier writer). `dirs` caches the identity of directories already
/// seen (job lists name a few directories many times).
fn file_keys(path: &Path, dirs: &mut HashMap<PathBuf, (u64, u64)>) -> (Vec<FileKey>, bool) {
    use rustix::fs::{lstat, stat, FileType};
    let mut keys = Vec::with_capacity(2);
    if path.as_os_str() == "-" {
        return (keys, true);
    }
    let mut complete = match lstat(path) {
        Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::Symlink => {
            keys.push(FileKey::Inode(st.st_dev, st.st_ino));
            true
        }
        // A symbolic link: the file it leads to now is a key, but not all it can come to be.
        Ok(_) => {
            if let Ok(st) = stat(path) {
                keys.push(FileKey::Inode(st.st_dev, st.st_ino));
            }
            false
        }
        // Absent: its name in its directory (below) is all it can come to be.
        Err(_) => true,
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return (keys, complete);
    };
    let dir = match dirs.get(parent) {
        Some(&id) => Some(id),
        None => stat(parent).ok().map(|st| {
            if dirs.len() >= 4096 {
                dirs.clear();
            }
            dirs.insert(parent.to_owned(), (st.st_dev, st.st_ino));
            (st.st_dev, st.st_ino)
        }),
    };
    match dir {
        Some((dev, ino)) => keys.push(FileKey::Entry(dev, ino, name.to_owned())),
        None => complete = false,
    }
    (keys, complete)
}

/// Keeps parallel batch jobs (`-j`) in the order the list gives wherever the order matters,
/// so the result equals `-j 1` (issue 13): a job that writes a file an earlier job reads or
/// writes, or reads a file an earlier job writes, waits until the jobs before it are done.
/// Files are compared by identity (`FileKey`), not by spelling. The caller waits for every
/// job handed out when [`JobOrder::must_wait`] says so, then calls [`JobOrder::add`].
///
/// With `-b` the backup a job makes is a name it writes too: the rename is done when the job
/// is handed out (and undone by the worker if the copy fails), so it must not overtake an
/// earlier job that reads or writes that name (red-team finding, round 8: `d~ -> out` then
/// `a -> d` under `-j 4` renamed `d` over `d~` before the first job had read it).
///
/// What it keeps of the jobs handed out since the last wait are fingerprints of their files
/// ([`Fingerprint`]), 8 bytes each: a list of 10,000 independent jobs kept 30,000 keys with
/// their names, 3.3 MB of the batch row's 7.4 MB peak RSS with `-j3` (issue 16, goal 6).
#[derive(Default)]
pub struct JobOrder {
    reads: HashSet<Fingerprint>,
    writes: HashSet<Fingerprint>,
    /// The run's fingerprint function: SipHash with keys random per run (std's `RandomState`).
    fingerprints: RandomState,
    dirs: HashMap<PathBuf, (u64, u64)>,
    /// The last job handed out was a barrier (a tree, or files not known before it runs): the
    /// next job waits for it.
    after_barrier: bool,
    /// `-b`: the backup control and simple-backup suffix; `None` when no backups are made.
    backup: Option<(BackupControl, OsString)>,
    /// DEST names (directory and name) of handed-out jobs that may make a numbered backup
    /// `NAME.~N~`, whose N depends on the names in the directory when the job is handed out.
    backup_stems: HashSet<Fingerprint>,
    /// The stems of the numbered-backup names (`STEM.~N~`) handed-out jobs read or write.
    numbered_names: HashSet<Fingerprint>,
}

/// A 64-bit fingerprint of a [`FileKey`] or a [`Stem`]. Two files with one fingerprint make a
/// job wait that need not (a pipeline stall), never the reverse: a clash is found whenever the
/// files are the same. The hash's keys are random for every run, so no job list can be written
/// to make fingerprints collide; by chance, a pair does once in 2^64.
type Fingerprint = u64;

/// A directory's `(dev, ino)` and a file name in it: the stem of numbered backups `STEM.~N~`.
type Stem = (u64, u64, OsString);

impl JobOrder {
    /// An order for jobs that make backups (`-b`, `--backup=CONTROL`, `-S SUFFIX`) of the
    /// destinations they replace.
    pub fn with_backups(control: BackupControl, suffix: &OsStr) -> Self {
        JobOrder {
            backup: Some((control, suffix.to_owned())),
            ..JobOrder::default()
        }
    }

    /// Records a job that reads `source` and writes `dest`; returns whether it must wait for
    /// the jobs handed out since the last wait. Costs a few `stat` calls per job.
    ///
    /// With `recursive` (`-r`), a job whose SOURCE or DEST is a directory (symbolic links
    /// followed, to be safe) reads or writes files the keys do not cover, so it is a barrier:
    /// it waits for every earlier job, and the next job waits for it (red-team finding:
    /// `photos -> bk/photos` then `bk/photos/p1 -> out2` copied a prefix of p1). So is a job
    /// whose keys are incomplete (`file_keys`: SOURCE or DEST is a symbolic link, or a
    /// directory that cannot be examined): what it reads or writes is known only when it runs.
    ///
    /// With backups, DEST's simple backup name (`DEST~`) is written too; a numbered backup
    /// (`DEST.~N~`, also possible with `existing`) waits for earlier jobs that read or write
    /// any `DEST.~N~`, and jobs naming a `DEST.~N~` wait for it.
    pub fn must_wait(&mut self, source: &Path, dest: &Path, recursive: bool) -> (bool, JobFiles) {
        let (reads, source_known) = file_keys(source, &mut self.dirs);
        let (mut writes, dest_known) = file_keys(dest, &mut self.dirs);
        let backup_stem = self.backup_keys(&mut writes);
        let numbered = matches!(
            self.backup,
            Some((BackupControl::Numbered | BackupControl::Existing, _))
        );
        let numbered_names: Vec<Stem> = match numbered {
            true => reads
                .iter()
                .chain(&writes)
                .filter_map(numbered_stem)
                .collect(),
            false => Vec::new(),
        };
        let is_dir = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_dir());
        let barrier = recursive && (is_dir(source) || is_dir(dest)) || !source_known || !dest_known;
        let fingerprint = |keys: &[FileKey]| keys.iter().map(|k| self.fingerprint(k)).collect();
        let (reads, writes): (Vec<_>, Vec<_>) = (fingerprint(&reads), fingerprint(&writes));
        let backup_stem = backup_stem.map(|stem| self.fingerprint(&stem));
        let numbered_names: Vec<_> = numbered_names.iter().map(|s| self.fingerprint(s)).collect();
        let clash = barrier
            || self.after_barrier
            || writes
                .iter()
                .any(|k| self.writes.contains(k) || self.reads.contains(k))
            || reads.iter().any(|k| self.writes.contains(k))
            || backup_stem.as_ref().is_some_and(|stem| {
                self.backup_stems.contains(stem) || self.numbered_names.contains(stem)
            })
            || numbered_names.iter().any(|s| self.backup_stems.contains(s));
        let files = JobFiles {
            reads,
            writes,
            barrier,
            backup_stem,
            numbered_names,
        };
        (clash, files)
    }

    /// [`JobOrder::must_wait`]'s files of a job once every earlier job is done, looked up
    /// afresh: the directories seen before are forgotten, since a job that waited may follow
    /// a barrier job that replaced a directory on its path, or a symbolic link to one (red
    /// team, round 18: `M -> L` with `-dT` pointed `L` at `dirB`; `big -> L/f` was then keyed
    /// as a write into `dirA`, the cached answer for `L`, and `dirB/f -> out` ran beside it
    /// and copied a prefix, exit 0).
    pub fn files_after_wait(&mut self, source: &Path, dest: &Path, recursive: bool) -> JobFiles {
        self.dirs.clear();
        self.must_wait(source, dest, recursive).1
    }

    /// The run's fingerprint of a file key or a numbered-backup stem ([`Fingerprint`]).
    fn fingerprint(&self, key: &impl Hash) -> Fingerprint {
        self.fingerprints.hash_one(key)
    }

    /// Adds the backup name DEST's backup would take to `writes` (DEST's own entry, its last
    /// key): `DEST~` (`simple`, and `existing` while no numbered backup exists). Returns
    /// DEST's entry as the stem of the numbered backup the job may make (`numbered`,
    /// `existing`), whose number is known only when the job is handed out.
    fn backup_keys(&self, writes: &mut Vec<FileKey>) -> Option<Stem> {
        let (control, suffix) = self.backup.as_ref()?;
        let Some(FileKey::Entry(dev, ino, name)) = writes.last() else {
            return None;
        };
        let stem = (*dev, *ino, name.clone());
        let simple = match control {
            BackupControl::None | BackupControl::Numbered => None,
            BackupControl::Simple | BackupControl::Existing => {
                backup::backup_name(*control, suffix, name, &mut std::iter::empty())
            }
        };
        if let Some(simple) = simple {
            writes.push(FileKey::Entry(stem.0, stem.1, simple));
        }
        match control {
            BackupControl::Numbered | BackupControl::Existing => Some(stem),
            BackupControl::None | BackupControl::Simple => None,
        }
    }

    /// Notes that every earlier job is done (when `waited`), then adds this job's files.
    pub fn add(&mut self, files: JobFiles, waited: bool) {
        if waited {
            self.reads.clear();
            self.writes.clear();
            self.backup_stems.clear();
            self.numbered_names.clear();
        }
        self.reads.extend(files.reads);
        self.writes.extend(files.writes);
        self.backup_stems.extend(files.backup_stem);
        self.numbered_names.extend(files.numbered_names);
        self.after_barrier = files.barrier;
    }
}

/// The stem of a numbered backup's name, `STEM` of `STEM.~N~` (GNU's form: digits between
/// `.~` and a final `~`), as a key in the same directory; `None` for other names.
fn numbered_stem(key: &FileKey) -> Option<Stem> {
    let FileKey::Entry(dev, ino, name) = key else {
        return None;
    };
    let bytes = name.as_bytes().strip_suffix(b"~")?;
    let dot = bytes.windows(2).rposition(|w| w == b".~")?;
    let digits = &bytes[dot + 2..];
    if dot == 0 || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let stem = OsStr::from_bytes(&bytes[..dot]).to_owned();
    Some((*dev, *ino, stem))
}

/// The files one job reads and writes, from [`JobOrder::must_wait`], as fingerprints.
pub struct JobFiles {
    reads: Vec<Fingerprint>,
    writes: Vec<Fingerprint>,
    /// The job copies a directory tree, or its files are not all known before it runs: it
    /// waits for every earlier job, and the next job waits for it.
    barrier: bool,
    /// DEST's entry when the job may make a numbered backup of it.
    backup_stem: Option<Fingerprint>,
    /// The stems of the numbered-backup names the job reads or writes.
    numbered_names: Vec<Fingerprint>,
}
