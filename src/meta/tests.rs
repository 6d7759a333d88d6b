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
