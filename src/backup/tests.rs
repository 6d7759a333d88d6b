//! Unit tests of backups: control words, suffixes, names, and renames in a temporary directory.

use super::*;
use proptest::prelude::*;
use std::os::fd::AsFd;

fn os(s: &str) -> OsString {
    OsString::from(s)
}

fn name_in(control: BackupControl, suffix: &str, file: &str, entries: &[&str]) -> Option<String> {
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
        parse_control("foo", FLAG_CONTEXT).map_err(|e| e.to_string()),
        Err(format!("invalid argument 'foo' for 'backup type'\n{VALID}"))
    );
    assert_eq!(
        parse_control("n", FLAG_CONTEXT).map_err(|e| e.to_string()),
        Err(format!("ambiguous argument 'n' for 'backup type'\n{VALID}"))
    );
    assert_eq!(
        parse_control("foo", ENV_CONTEXT).map_err(|e| e.to_string()),
        Err(format!(
            "invalid argument 'foo' for '$VERSION_CONTROL'\n{VALID}"
        ))
    );
    // Case-sensitive, no trailing junk, and the empty word matches everything.
    for word in ["N", "Simple", "simplex", "t2"] {
        assert!(parse_control(word, FLAG_CONTEXT)
            .unwrap_err()
            .to_string()
            .starts_with("invalid"));
    }
    assert!(parse_control("", FLAG_CONTEXT)
        .unwrap_err()
        .to_string()
        .starts_with("ambiguous"));
    // Quoted as GNU's C locale does.
    let quoted = |w: &str| parse_control(w, FLAG_CONTEXT).unwrap_err().to_string();
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
        .to_string()
        .contains("'$VERSION_CONTROL'"));
    assert!(resolve_control(Some("x"), None)
        .unwrap_err()
        .to_string()
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

#[test]
fn names_at_name_max_are_shortened_as_gnulib_does() {
    let long = "a".repeat(255);
    let short = format!("{}~", "a".repeat(253));
    for control in [BackupControl::Existing, BackupControl::Numbered] {
        assert_eq!(name_in(control, "~", &long, &[]).unwrap(), short);
    }
    // --backup=simple is never shortened (GNU: "File name too long").
    assert_eq!(
        name_in(BackupControl::Simple, "~", &long, &[]).unwrap(),
        format!("{long}~")
    );
    // 252 bytes: ".~1~" would make 256; the name keeps all 252 bytes and gets "~".
    let n252 = "b".repeat(252);
    assert_eq!(
        name_in(BackupControl::Numbered, "~", &n252, &[]).unwrap(),
        format!("{n252}~")
    );
    // 251 bytes: ".~1~" fits exactly (255); ".~9~" to ".~10~" grows past and is shortened,
    // while ".~10~" to ".~11~" (same length) is not checked again.
    let n251 = "c".repeat(251);
    assert_eq!(
        name_in(BackupControl::Numbered, "~", &n251, &[]).unwrap(),
        format!("{n251}.~1~")
    );
    let nine = format!("{n251}.~9~");
    assert_eq!(
        name_in(BackupControl::Numbered, "~", &n251, &[&nine]).unwrap(),
        format!("{n251}~")
    );
}

#[test]
fn names_are_fitted_to_the_directory_s_own_limit() {
    // eCryptfs with encrypted names allows 143 bytes: gnulib (pathconf) shortens there.
    let long = "d".repeat(143);
    let mut none = std::iter::empty();
    let got = backup_name_within(
        BackupControl::Existing,
        OsStr::new("~"),
        OsStr::new(&long),
        &mut none,
        143,
    );
    assert_eq!(got, Some(os(&format!("{}~", "d".repeat(141)))));
    // Whatever the test directory's filesystem says (255 on ext4, XFS, btrfs, tmpfs), at least
    // POSIX's _POSIX_NAME_MAX.
    let dir = std::fs::File::open(std::env::temp_dir()).unwrap();
    assert!(name_max_of(std::os::fd::AsFd::as_fd(&dir)) >= 14);
}
