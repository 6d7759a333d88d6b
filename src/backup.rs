//! Backup semantics of GNU cp 9.1 (`--backup[=CONTROL]`, `-b`, `-S/--suffix`, `VERSION_CONTROL`,
//! `SIMPLE_BACKUP_SUFFIX`): parsing the control word, choosing the suffix, naming the backup
//! (`name~`, `name.~N~`) and renaming the existing destination out of the way.
//!
//! Behaviours checked against `/usr/bin/cp` 9.1 (gnulib `backupfile.c` / `argmatch.c`):
//! * `--backup=WORD` beats `VERSION_CONTROL`; `-b`, bare `--backup` or `--backup=` (empty) read
//!   `VERSION_CONTROL`; unset or empty means `existing`. Errors name the context `backup type`
//!   for the flag and `$VERSION_CONTROL` for the environment.
//! * Words are case-sensitive; an abbreviation is accepted when all the words it prefixes mean
//!   the same control; an exact word always wins (`t`).
//! * `-S` beats `SIMPLE_BACKUP_SUFFIX`; a chosen suffix that is empty or contains `/` becomes `~`
//!   (the environment is not consulted then).
//! * Numbered: `name.~N~` where N is 1 + the highest N among entries named exactly `name.~N~`
//!   with N all digits and not starting with `0` (`name.~01~`, `name.~0~` are ignored); numbers
//!   of any length are handled as decimal strings (`~99999999999999999999~` → `~100000000000000000000~`).
//! * Existing: numbered when such a numbered backup exists, else simple.
//! * `-S SUFFIX` alone turns backups on (`cp -S .bak a b` makes `b.bak`); `--backup=none` or
//!   `VERSION_CONTROL=off` with `-b` makes none.

use std::ffi::{OsStr, OsString};
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::fs::{renameat, renameat_with, AtFlags, Dir, RenameFlags};
use rustix::io::Errno;

/// When to make a backup of a destination that is about to be replaced.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BackupControl {
    /// Never make backups (`none`, `off`).
    None,
    /// Always make numbered backups (`numbered`, `t`).
    Numbered,
    /// Numbered if numbered backups already exist, else simple (`existing`, `nil`).
    Existing,
    /// Always make simple backups (`simple`, `never`).
    Simple,
}

/// The context GNU cp names when `--backup=WORD` is invalid.
pub const FLAG_CONTEXT: &str = "backup type";
/// The context GNU cp names when `VERSION_CONTROL` is invalid.
pub const ENV_CONTEXT: &str = "$VERSION_CONTROL";
/// The default simple-backup suffix.
pub const DEFAULT_SUFFIX: &str = "~";

/// GNU's table, in GNU's order (which is also the order of the "Valid arguments" list).
pub const WORDS: [(&str, BackupControl); 8] = [
    ("none", BackupControl::None),
    ("off", BackupControl::None),
    ("simple", BackupControl::Simple),
    ("never", BackupControl::Simple),
    ("existing", BackupControl::Existing),
    ("nil", BackupControl::Existing),
    ("numbered", BackupControl::Numbered),
    ("t", BackupControl::Numbered),
];

/// An invalid or ambiguous CONTROL word (gnulib `argmatch`'s error), worded in
/// `report/messages/settings.rs` as GNU's multi-line message with the "Valid arguments" list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlError {
    /// The word as given.
    pub word: String,
    /// [`FLAG_CONTEXT`] or [`ENV_CONTEXT`].
    pub context: &'static str,
    /// It abbreviates words of different controls (else it matches none).
    pub ambiguous: bool,
}

/// Parses a CONTROL word as GNU's `argmatch` does: none/off, numbered/t, existing/nil,
/// simple/never, case-sensitive; unambiguous abbreviations accepted ("num", "ex", "si").
/// The error renders as GNU's whole multi-line message, without the program name and without
/// the "Try 'cp --help'" line, e.g.
/// `invalid argument 'foo' for 'backup type'\nValid arguments are:\n  - 'none', 'off'\n…`.
/// GNU cp passes `context` = [`FLAG_CONTEXT`] or [`ENV_CONTEXT`].
pub fn parse_control(word: &str, context: &'static str) -> Result<BackupControl, ControlError> {
    let mut found: Option<BackupControl> = None;
    let mut ambiguous = false;
    for (candidate, control) in WORDS {
        if candidate == word {
            return Ok(control);
        }
        if candidate.starts_with(word) {
            match found {
                None => found = Some(control),
                Some(seen) if seen != control => ambiguous = true,
                Some(_) => {}
            }
        }
    }
    match found {
        Some(control) if !ambiguous => Ok(control),
        _ => Err(ControlError {
            word: word.to_owned(),
            context,
            ambiguous,
        }),
    }
}

/// The control to use given the `--backup` value (`Some(word)`, or `None` for `-b` / bare
/// `--backup`) and the environment's `VERSION_CONTROL` (`None` if unset). GNU precedence:
/// a non-empty word > a non-empty `VERSION_CONTROL` > `existing`. Callers apply this only when
/// backups were asked for (`-b`, `--backup`, or `-S`); otherwise the control is `None`.
pub fn resolve_control(
    word: Option<&str>,
    version_control_env: Option<&str>,
) -> Result<BackupControl, ControlError> {
    match (word, version_control_env) {
        (Some(w), _) if !w.is_empty() => parse_control(w, FLAG_CONTEXT),
        (_, Some(env)) if !env.is_empty() => parse_control(env, ENV_CONTEXT),
        _ => Ok(BackupControl::Existing),
    }
}

/// Whether GNU accepts `suffix` as a simple-backup suffix: non-empty and no `/`.
fn valid_suffix(suffix: &OsStr) -> bool {
    !suffix.is_empty() && !suffix.as_bytes().contains(&b'/')
}

/// The suffix: `-S` value > `SIMPLE_BACKUP_SUFFIX` > `"~"`. As in GNU, the first of the two
/// that is present is the only one considered; if it is empty or contains '/', `"~"` is used.
pub fn resolve_suffix(flag: Option<&OsStr>, env: Option<&OsStr>) -> OsString {
    match flag.or(env) {
        Some(s) if valid_suffix(s) => s.to_os_string(),
        _ => OsString::from(DEFAULT_SUFFIX),
    }
}

/// If `entry` is `base.~N~` with N decimal digits not starting with '0', returns N's digits.
fn backup_number<'a>(base: &[u8], entry: &'a [u8]) -> Option<&'a [u8]> {
    let digits = entry
        .strip_prefix(base)?
        .strip_prefix(b".~")?
        .strip_suffix(b"~")?;
    let ok = matches!(digits.first(), Some(b'1'..=b'9')) && digits.iter().all(u8::is_ascii_digit);
    ok.then_some(digits)
}

/// The highest backup number (as digits) among `entries` for `base`, if any.
fn highest_number(base: &[u8], entries: &mut dyn Iterator<Item = OsString>) -> Option<Vec<u8>> {
    let mut best: Option<Vec<u8>> = None;
    for entry in entries {
        if let Some(digits) = backup_number(base, entry.as_bytes()) {
            // Equal-length decimal strings without leading zeros compare like their values.
            let larger = best
                .as_ref()
                .is_none_or(|b| (digits.len(), digits) > (b.len(), b.as_slice()));
            if larger {
                best = Some(digits.to_vec());
            }
        }
    }
    best
}

/// Adds one to a decimal digit string of any length.
fn increment(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, b'1');
}

fn numbered_name(base: &[u8], mut number: Vec<u8>) -> OsString {
    increment(&mut number);
    let mut name = Vec::with_capacity(base.len() + number.len() + 3);
    name.extend_from_slice(base);
    name.extend_from_slice(b".~");
    name.extend_from_slice(&number);
    name.push(b'~');
    OsString::from_vec(name)
}

fn simple_name(file_name: &OsStr, suffix: &OsStr) -> OsString {
    let mut name = file_name.to_os_string();
    name.push(if suffix.is_empty() {
        OsStr::new(DEFAULT_SUFFIX)
    } else {
        suffix
    });
    name
}

/// Linux's NAME_MAX: the longest name of one path component, in bytes, on most filesystems
/// (ext4, XFS, btrfs, tmpfs); the limit of a given directory is [`name_max_of`].
pub const NAME_MAX: usize = 255;

/// The longest name a directory's filesystem allows (`statfs` `f_namelen`, what glibc's
/// `fpathconf(_PC_NAME_MAX)` and so gnulib's `check_extension` use): less than [`NAME_MAX`] on
/// eCryptfs (143 with encrypted names), more on vfat or CIFS. [`NAME_MAX`] when `statfs` fails
/// or reports nothing.
pub fn name_max_of(dir: BorrowedFd<'_>) -> usize {
    rustix::fs::fstatfs(dir)
        .ok()
        .and_then(|st| usize::try_from(st.f_namelen).ok())
        .filter(|&n| n > 0)
        .unwrap_or(NAME_MAX)
}

/// gnulib's `check_extension` (backupfile.c), as GNU cp 9.1 applies it to a first numbered
/// backup and to a `-b`/`existing` backup that falls back to the simple suffix (never to
/// `--backup=simple`, which fails with ENAMETOOLONG): a `candidate` longer than `name_max`
/// (the directory's limit, [`name_max_of`]) becomes `file_name` cut to at most `name_max` - 2
/// bytes plus `~` (gnulib compares with `_PC_NAME_MAX - 1`). Returns the name and whether it
/// was shortened. Measured with GNU cp 9.1 on ext4: a 255-byte name gets the 254-byte backup
/// name of its first 253 bytes and `~`.
fn fit_name_max(file_name: &[u8], candidate: Vec<u8>, name_max: usize) -> (Vec<u8>, bool) {
    if candidate.len() <= name_max {
        return (candidate, false);
    }
    let keep = file_name.len().min(name_max.saturating_sub(2));
    let mut name = file_name[..keep].to_vec();
    name.push(b'~');
    (name, true)
}

/// Whether the next number after `highest` is checked against NAME_MAX: there was none yet
/// (gnulib's BACKUP_IS_NEW) or it grows by a digit (all 9s, BACKUP_IS_LONGER).
fn next_may_not_fit(highest: Option<&[u8]>) -> bool {
    highest.is_none_or(|digits| digits.iter().all(|&d| d == b'9'))
}

/// The numbered backup name after `highest` and whether NAME_MAX shortened it to `NAME~`.
fn numbered_fitted(base: &[u8], highest: Option<Vec<u8>>, name_max: usize) -> (OsString, bool) {
    let check = next_may_not_fit(highest.as_deref());
    let name = numbered_name(base, highest.unwrap_or_default());
    if !check {
        return (name, false);
    }
    let (name, shortened) = fit_name_max(base, name.into_vec(), name_max);
    (OsString::from_vec(name), shortened)
}

/// The simple backup name `existing` falls back to when there is no numbered backup yet,
/// shortened as gnulib does (see [`fit_name_max`]).
fn simple_fitted(file_name: &OsStr, suffix: &OsStr, name_max: usize) -> OsString {
    let name = simple_name(file_name, suffix).into_vec();
    OsString::from_vec(fit_name_max(file_name.as_bytes(), name, name_max).0)
}

/// Pure: the backup name for `file_name` (one path component, any bytes) given the names in its
/// directory. `dir_entries` is only consumed for `Numbered` and `Existing`. `None` for
/// [`BackupControl::None`]. An empty `suffix` is treated as `"~"` (see [`resolve_suffix`]).
/// Names are fitted to [`NAME_MAX`]; [`backup_name_within`] takes the directory's own limit.
pub fn backup_name(
    control: BackupControl,
    suffix: &OsStr,
    file_name: &OsStr,
    dir_entries: &mut dyn Iterator<Item = OsString>,
) -> Option<OsString> {
    backup_name_within(control, suffix, file_name, dir_entries, NAME_MAX)
}

/// [`backup_name`] in a directory whose names may have at most `name_max` bytes.
pub fn backup_name_within(
    control: BackupControl,
    suffix: &OsStr,
    file_name: &OsStr,
    dir_entries: &mut dyn Iterator<Item = OsString>,
    name_max: usize,
) -> Option<OsString> {
    let base = file_name.as_bytes();
    let numbered = |highest| numbered_fitted(base, highest, name_max).0;
    match control {
        BackupControl::None => None,
        BackupControl::Simple => Some(simple_name(file_name, suffix)),
        BackupControl::Numbered => Some(numbered(highest_number(base, dir_entries))),
        BackupControl::Existing => Some(match highest_number(base, dir_entries) {
            Some(number) => numbered(Some(number)),
            None => simple_fitted(file_name, suffix, name_max),
        }),
    }
}

/// The name a backup of `file_name` in the directory `dir` would get now (nothing is renamed).
pub fn backup_name_in(
    dir: BorrowedFd<'_>,
    file_name: &OsStr,
    control: BackupControl,
    suffix: &OsStr,
) -> Result<Option<OsString>, Errno> {
    let mut entries = match control {
        BackupControl::Numbered | BackupControl::Existing => list_dir(dir)?,
        BackupControl::None | BackupControl::Simple => Vec::new(),
    }
    .into_iter();
    let name_max = name_max_of(dir);
    Ok(backup_name_within(
        control,
        suffix,
        file_name,
        &mut entries,
        name_max,
    ))
}

/// The names in the directory `dir` (read through a fresh descriptor for ".").
fn list_dir(dir: BorrowedFd<'_>) -> Result<Vec<OsString>, Errno> {
    let mut names = Vec::new();
    for entry in Dir::read_from(dir)? {
        let bytes = entry?.file_name().to_bytes().to_vec();
        if bytes != b"." && bytes != b".." {
            names.push(OsString::from_vec(bytes));
        }
    }
    Ok(names)
}

/// Renames `from` to `to` within `dir` without replacing what is at `to` (`EEXIST`), emulating
/// `RENAME_NOREPLACE` where the filesystem lacks it (FUSE filesystems such as GlusterFS answer
/// `EINVAL`): a look at `to`, then a plain rename.
///
/// # Errors
/// `EEXIST` when `to` is taken; the errno of `renameat2`/`renameat` otherwise.
pub fn rename_noreplace(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr) -> Result<(), Errno> {
    match renameat_with(dir, from, dir, to, RenameFlags::NOREPLACE) {
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            match rustix::fs::statat(dir, to, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(_) => Err(Errno::EXIST),
                Err(Errno::NOENT) => renameat(dir, from, dir, to),
                Err(e) => Err(e),
            }
        }
        other => other,
    }
}

/// How often a numbered backup is retried when another process takes the chosen number first.
const NUMBERED_RETRIES: usize = 64;

/// Renames `dir/file_name` to its backup name (relative to the directory fd `dir`) and returns
/// that name; `Ok(None)` for [`BackupControl::None`] (nothing touched). The directory is listed
/// only for `Numbered`/`Existing`. As in gnulib, a simple backup replaces an older one, while a
/// numbered one never replaces an existing file: on a race it lists again and picks a new number.
/// `file_name` must be a single non-empty component (else `EINVAL`).
pub fn make_backup(
    dir: BorrowedFd<'_>,
    file_name: &OsStr,
    control: BackupControl,
    suffix: &OsStr,
) -> Result<Option<OsString>, Errno> {
    let bytes = file_name.as_bytes();
    if bytes.is_empty() || bytes.contains(&b'/') || bytes == b"." || bytes == b".." {
        return Err(Errno::INVAL);
    }
    match control {
        BackupControl::None => return Ok(None),
        BackupControl::Simple => {
            let name = simple_name(file_name, suffix);
            renameat(dir, file_name, dir, &name)?;
            return Ok(Some(name));
        }
        BackupControl::Numbered | BackupControl::Existing => {}
    }
    let name_max = name_max_of(dir);
    for _ in 0..NUMBERED_RETRIES {
        let highest = highest_number(bytes, &mut list_dir(dir)?.into_iter());
        if control == BackupControl::Existing && highest.is_none() {
            let name = simple_fitted(file_name, suffix, name_max);
            renameat(dir, file_name, dir, &name)?;
            return Ok(Some(name));
        }
        let (name, shortened) = numbered_fitted(bytes, highest, name_max);
        match rename_noreplace(dir, file_name, &name) {
            // gnulib retries only a real numbered name; a shortened one that exists is an error.
            Err(Errno::EXIST) if !shortened => continue,
            Err(e) => return Err(e),
            Ok(()) => return Ok(Some(name)),
        }
    }
    Err(Errno::EXIST)
}

#[cfg(test)]
mod tests;
