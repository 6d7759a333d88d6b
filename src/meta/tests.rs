//! Unit tests of [`super`]: `--preserve` lists.

use super::Attrs;

#[test]
fn preserve_lists() {
    let a = Attrs::parse_list("mode,timestamps", "--preserve").unwrap();
    assert!(a.mode && a.timestamps && !a.ownership && !a.xattr);
    assert_eq!(Attrs::parse_list("all", "--preserve").unwrap(), Attrs::ALL);
    let err = Attrs::parse_list("mode,bogus", "--preserve").unwrap_err();
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
