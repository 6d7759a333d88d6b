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
const WORDS: [(&str, BackupControl); 8] = [
    ("none", BackupControl::None),
    ("off", BackupControl::None),
    ("simple", BackupControl::Simple),
    ("never", BackupControl::Simple),
    ("existing", BackupControl::Existing),
    ("nil", BackupControl::Existing),
    ("numbered", BackupControl::Numbered),
    ("t", BackupControl::Numbered),
];

/// Quotes like gnulib's `quote` (as argmatch uses it) in the C locale: `'word'`, with `\\`
/// and `'` backslash-escaped and control characters as C escapes (`\t`, `\001`). Non-ASCII
/// text is kept as is (GNU's C locale would octal-escape it).
fn quote(word: &str) -> String {
    let mut out = String::from("'");
    for c in word.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if c.is_ascii_control() => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// GNU's "Valid arguments are:" list: one line per control, its words comma-separated.
fn valid_arguments() -> String {
    let mut out = String::from("Valid arguments are:");
    let mut last = None;
    for (word, control) in WORDS {
        if last == Some(control) {
            out.push_str(", ");
        } else {
            out.push_str("\n  - ");
        }
        out.push_str(&quote(word));
        last = Some(control);
    }
    out
}

/// Parses a CONTROL word as GNU's `argmatch` does: none/off, numbered/t, existing/nil,
/// simple/never, case-sensitive; unambiguous abbreviations accepted ("num", "ex", "si").
/// The error is GNU's whole multi-line message, without the program name and without the
/// "Try 'cp --help'" line, e.g.
/// `invalid argument 'foo' for 'backup type'\nValid arguments are:\n  - 'none', 'off'\n…`.
/// GNU cp passes `context` = [`FLAG_CONTEXT`] or [`ENV_CONTEXT`].
pub fn parse_control(word: &str, context: &str) -> Result<BackupControl, String> {
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
        _ => Err(format!(
            "{} argument {} for {}\n{}",
            if ambiguous { "ambiguous" } else { "invalid" },
            quote(word),
            quote(context),
            valid_arguments()
        )),
    }
}

/// The control to use given the `--backup` value (`Some(word)`, or `None` for `-b` / bare
/// `--backup`) and the environment's `VERSION_CONTROL` (`None` if unset). GNU precedence:
/// a non-empty word > a non-empty `VERSION_CONTROL` > `existing`. Callers apply this only when
/// backups were asked for (`-b`, `--backup`, or `-S`); otherwise the control is `None`.
pub fn resolve_control(
    word: Option<&str>,
    version_control_env: Option<&str>,
) -> Result<BackupControl, String> {
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

/// Pure: the backup name for `file_name` (one path component, any bytes) given the names in its
/// directory. `dir_entries` is only consumed for `Numbered` and `Existing`. `None` for
/// [`BackupControl::None`]. An empty `suffix` is treated as `"~"` (see [`resolve_suffix`]).
pub fn backup_name(
    control: BackupControl,
    suffix: &OsStr,
    file_name: &OsStr,
    dir_entries: &mut dyn Iterator<Item = OsString>,
) -> Option<OsString> {
    let base = file_name.as_bytes();
    match control {
        BackupControl::None => None,
        BackupControl::Simple => Some(simple_name(file_name, suffix)),
        BackupControl::Numbered => Some(numbered_name(
            base,
            highest_number(base, dir_entries).unwrap_or_default(),
        )),
        BackupControl::Existing => Some(match highest_number(base, dir_entries) {
            Some(number) => numbered_name(base, number),
            None => simple_name(file_name, suffix),
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
    Ok(backup_name(control, suffix, file_name, &mut entries))
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

/// Renames without replacing, emulating `RENAME_NOREPLACE` where the filesystem lacks it.
fn rename_noreplace(dir: BorrowedFd<'_>, from: &OsStr, to: &OsStr) -> Result<(), Errno> {
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
    for _ in 0..NUMBERED_RETRIES {
        let highest = highest_number(bytes, &mut list_dir(dir)?.into_iter());
        if control == BackupControl::Existing && highest.is_none() {
            let name = simple_name(file_name, suffix);
            renameat(dir, file_name, dir, &name)?;
            return Ok(Some(name));
        }
        let name = numbered_name(bytes, highest.unwrap_or_default());
        match rename_noreplace(dir, file_name, &name) {
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e),
            Ok(()) => return Ok(Some(name)),
        }
    }
    Err(Errno::EXIST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::fd::AsFd;

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    fn name_in(
        control: BackupControl,
        suffix: &str,
        file: &str,
        entries: &[&str],
    ) -> Option<String> {
        let mut it = entries.iter().map(|e| os(e));
        backup_name(control, OsStr::new(suffix), OsStr::new(file), &mut it)
            .map(|n| n.into_string().unwrap())
    }

    const VALID: &str = "Valid arguments are:\n  - 'none', 'off'\n  - 'simple', 'never'\n  \
                         - 'existing', 'nil'\n  - 'numbered', 't'";

    #[test]
    fn every_word_and_alias() {
        for (word, want) in [
            ("none", BackupControl::None),
            ("off", BackupControl::None),
            ("numbered", BackupControl::Numbered),
            ("t", BackupControl::Numbered),
            ("existing", BackupControl::Existing),
            ("nil", BackupControl::Existing),
            ("simple", BackupControl::Simple),
            ("never", BackupControl::Simple),
        ] {
            assert_eq!(parse_control(word, FLAG_CONTEXT), Ok(want), "{word}");
        }
    }

    #[test]
    fn abbreviations() {
        for (word, want) in [
            ("num", BackupControl::Numbered),
            ("nu", BackupControl::Numbered),
            ("ex", BackupControl::Existing),
            ("e", BackupControl::Existing),
            ("ni", BackupControl::Existing),
            ("si", BackupControl::Simple),
            ("s", BackupControl::Simple),
            ("ne", BackupControl::Simple),
            ("nev", BackupControl::Simple),
            ("no", BackupControl::None),
            ("o", BackupControl::None),
        ] {
            assert_eq!(parse_control(word, FLAG_CONTEXT), Ok(want), "{word}");
        }
    }

    #[test]
    fn invalid_and_ambiguous_text_matches_gnu() {
        assert_eq!(
            parse_control("foo", FLAG_CONTEXT),
            Err(format!("invalid argument 'foo' for 'backup type'\n{VALID}"))
        );
        assert_eq!(
            parse_control("n", FLAG_CONTEXT),
            Err(format!("ambiguous argument 'n' for 'backup type'\n{VALID}"))
        );
        assert_eq!(
            parse_control("foo", ENV_CONTEXT),
            Err(format!(
                "invalid argument 'foo' for '$VERSION_CONTROL'\n{VALID}"
            ))
        );
        // Case-sensitive, no trailing junk, and the empty word matches everything.
        for word in ["N", "Simple", "simplex", "t2"] {
            assert!(parse_control(word, FLAG_CONTEXT)
                .unwrap_err()
                .starts_with("invalid"));
        }
        assert!(parse_control("", FLAG_CONTEXT)
            .unwrap_err()
            .starts_with("ambiguous"));
        // Quoted as GNU's C locale does.
        let quoted = |w: &str| parse_control(w, FLAG_CONTEXT).unwrap_err();
        assert!(quoted("it's").starts_with(r"invalid argument 'it\'s' for"));
        assert!(quoted("a\\b").starts_with(r"invalid argument 'a\\b' for"));
        assert!(quoted("a\tb\x01").starts_with(r"invalid argument 'a\tb\001' for"));
    }

    #[test]
    fn env_precedence() {
        assert_eq!(resolve_control(None, None), Ok(BackupControl::Existing));
        assert_eq!(resolve_control(None, Some("")), Ok(BackupControl::Existing));
        assert_eq!(
            resolve_control(None, Some("t")),
            Ok(BackupControl::Numbered)
        );
        assert_eq!(
            resolve_control(Some("simple"), Some("t")),
            Ok(BackupControl::Simple)
        );
        assert_eq!(
            resolve_control(Some("off"), Some("t")),
            Ok(BackupControl::None)
        );
        // `--backup=` (empty) falls through to the environment, as in GNU.
        assert_eq!(
            resolve_control(Some(""), Some("numbered")),
            Ok(BackupControl::Numbered)
        );
        // An explicit word means a bad VERSION_CONTROL is never looked at.
        assert_eq!(
            resolve_control(Some("ex"), Some("foo")),
            Ok(BackupControl::Existing)
        );
        assert!(resolve_control(None, Some("foo"))
            .unwrap_err()
            .contains("'$VERSION_CONTROL'"));
        assert!(resolve_control(Some("x"), None)
            .unwrap_err()
            .contains("'backup type'"));
    }

    #[test]
    fn suffix_choice() {
        let s = |f: Option<&str>, e: Option<&str>| {
            resolve_suffix(f.map(OsStr::new), e.map(OsStr::new))
                .into_string()
                .unwrap()
        };
        assert_eq!(s(None, None), "~");
        assert_eq!(s(None, Some(".env")), ".env");
        assert_eq!(s(Some(".bak"), Some(".env")), ".bak");
        assert_eq!(s(Some("x/y"), Some(".env")), "~");
        assert_eq!(s(Some(""), Some(".env")), "~");
        assert_eq!(s(None, Some("e/v")), "~");
        assert_eq!(s(None, Some("")), "~");
    }

    #[test]
    fn none_and_simple() {
        assert_eq!(name_in(BackupControl::None, "~", "b", &["b.~1~"]), None);
        assert_eq!(
            name_in(BackupControl::Simple, "~", "b", &["b.~1~"]).unwrap(),
            "b~"
        );
        assert_eq!(
            name_in(BackupControl::Simple, ".bak", "b", &[]).unwrap(),
            "b.bak"
        );
        assert_eq!(name_in(BackupControl::Simple, "", "b", &[]).unwrap(), "b~");
    }

    #[test]
    fn numbered_picks_max_plus_one() {
        let n = |entries: &[&str]| name_in(BackupControl::Numbered, "~", "b", entries).unwrap();
        assert_eq!(n(&[]), "b.~1~");
        assert_eq!(n(&["b", "b~"]), "b.~1~");
        assert_eq!(n(&["b.~1~", "b.~2~"]), "b.~3~");
        assert_eq!(n(&["b.~10~", "b.~9~", "b.~2~"]), "b.~11~");
        // Leading zeros, zero, non-digits, extra text, other bases: ignored.
        let noise = [
            "b.~09~", "b.~012~", "b.~0~", "b.~7x~", "b.~x~", "b.~~", "b.~2~~", "b.~3",
        ];
        assert_eq!(n(&noise), "b.~1~");
        assert_eq!(n(&["bb.~20~", "a.~5~", ".~4~", "b.~5~.~6~"]), "b.~1~");
        assert_eq!(
            name_in(BackupControl::Numbered, "~", "ab", &["a.~1~"]).unwrap(),
            "ab.~1~"
        );
        assert_eq!(
            name_in(BackupControl::Numbered, "~", "a", &["ab.~1~"]).unwrap(),
            "a.~1~"
        );
        // Arbitrary length, as decimal strings.
        assert_eq!(
            n(&["b.~99999999999999999999~"]),
            "b.~100000000000000000000~"
        );
        assert_eq!(n(&["b.~99~", "b.~100~"]), "b.~101~");
    }

    #[test]
    fn existing_switches() {
        let e = |file: &str, entries: &[&str]| {
            name_in(BackupControl::Existing, ".bak", file, entries).unwrap()
        };
        assert_eq!(e("b", &[]), "b.bak");
        assert_eq!(e("b", &["b.~01~", "bc.~3~", "b~"]), "b.bak");
        assert_eq!(e("b", &["b.~1~"]), "b.~2~");
        assert_eq!(e("b", &["b.~3~", "b.bak"]), "b.~4~");
        assert_eq!(e("bc", &["b.~3~"]), "bc.bak");
    }

    #[test]
    fn non_utf8_round_trips() {
        let file = OsString::from_vec(b"f\xff\xfe".to_vec());
        let mut entries = vec![OsString::from_vec(b"f\xff\xfe.~4~".to_vec())].into_iter();
        let name = backup_name(
            BackupControl::Numbered,
            OsStr::new("~"),
            &file,
            &mut entries,
        );
        assert_eq!(name.unwrap().as_bytes(), b"f\xff\xfe.~5~");
        let suffix = OsString::from_vec(b".\x80".to_vec());
        let name = backup_name(
            BackupControl::Simple,
            &suffix,
            &file,
            &mut std::iter::empty(),
        );
        assert_eq!(name.unwrap().as_bytes(), b"f\xff\xfe.\x80");
    }

    #[test]
    fn make_backup_in_temp_dir() {
        use std::fs;
        let root = std::env::temp_dir().join(format!(
            "fcopy-backup-test-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        fs::create_dir_all(&root).unwrap();
        let dir = fs::File::open(&root).unwrap();
        let fd = dir.as_fd();
        let mk = |c, s: &str| make_backup(fd, OsStr::new("f"), c, OsStr::new(s));
        let write = |n: &str| fs::write(root.join("f"), n).unwrap();
        let read = |n: &str| fs::read_to_string(root.join(n)).unwrap();

        write("0");
        assert_eq!(mk(BackupControl::None, "~"), Ok(None));
        assert_eq!(read("f"), "0");
        assert_eq!(mk(BackupControl::Existing, "~"), Ok(Some(os("f~"))));
        write("1");
        assert_eq!(mk(BackupControl::Simple, "~"), Ok(Some(os("f~")))); // replaces f~
        assert_eq!(read("f~"), "1");
        write("2");
        assert_eq!(mk(BackupControl::Numbered, "~"), Ok(Some(os("f.~1~"))));
        write("3");
        assert_eq!(mk(BackupControl::Existing, ".bak"), Ok(Some(os("f.~2~"))));
        assert_eq!((read("f.~1~"), read("f.~2~")), ("2".into(), "3".into()));
        assert_eq!(mk(BackupControl::Numbered, "~"), Err(Errno::NOENT));
        assert_eq!(mk(BackupControl::Simple, "~"), Err(Errno::NOENT));
        let bad = make_backup(
            fd,
            OsStr::new("a/b"),
            BackupControl::Simple,
            OsStr::new("~"),
        );
        assert_eq!(bad, Err(Errno::INVAL));
        fs::remove_dir_all(&root).unwrap();
    }

    proptest! {
        #[test]
        fn numbered_is_fresh_and_max_plus_one(
            nums in proptest::collection::vec(1u64..100_000, 0..20),
            noise in proptest::collection::vec("[a-z.~0-9]{0,8}", 0..20),
        ) {
            let mut entries: Vec<OsString> = nums.iter().map(|n| os(&format!("f.~{n}~"))).collect();
            entries.extend(noise.iter().map(|s| os(&format!("g{s}"))));
            let want = nums.iter().max().map_or(1, |m| m + 1);
            let got = backup_name(
                BackupControl::Numbered,
                OsStr::new("~"),
                OsStr::new("f"),
                &mut entries.clone().into_iter(),
            ).unwrap();
            prop_assert_eq!(&got, &os(&format!("f.~{want}~")));
            prop_assert!(!entries.contains(&got));
        }
    }
}
