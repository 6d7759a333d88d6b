//! Unit tests of [`super`]: `--preserve` lists.

use super::Attrs;

#[test]
fn preserve_lists() {
    let a = Attrs::parse("mode,timestamps", "--preserve").unwrap();
    assert!(a.mode && a.timestamps && !a.ownership && !a.xattr);
    assert_eq!(Attrs::parse("all", "--preserve").unwrap(), Attrs::ALL);
    let err = Attrs::parse("mode,bogus", "--preserve")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("invalid argument 'bogus' for '--preserve'"),
        "{err}"
    );
    assert_eq!(
        Attrs::ALL.minus(Attrs::P),
        Attrs {
            links: true,
            xattr: true,
            context: true,
            ..Attrs::default()
        }
    );
}

#[test]
fn unambiguous_prefixes_are_accepted_as_argmatch_does() {
    let a = Attrs::parse("cont,t,own", "--preserve").unwrap();
    assert!(a.context && a.timestamps && a.ownership && !a.mode && !a.links && !a.xattr);
    assert_eq!(Attrs::parse("a", "--preserve").unwrap(), Attrs::ALL);
    assert!(Attrs::parse("mode,l,x", "--preserve").unwrap().links);
    // Not a prefix (case matters, as in argmatch): invalid.
    let err = Attrs::parse("Mode", "--preserve").unwrap_err();
    assert!(!err.ambiguous, "{err:?}");
    assert!(!Attrs::parse("modes", "--preserve").unwrap_err().ambiguous);
    // The empty word is a prefix of every attribute: ambiguous (GNU: `--preserve=`, `mode,`).
    for list in ["", "mode,"] {
        let err = Attrs::parse(list, "--no-preserve").unwrap_err();
        assert!(err.ambiguous && err.word.is_empty(), "{list:?}: {err:?}");
        assert!(err
            .to_string()
            .starts_with("ambiguous argument '' for '--no-preserve'"));
    }
}
