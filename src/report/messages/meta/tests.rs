//! Unit tests of [`super`].

use std::path::PathBuf;

use rustix::io::Errno;

use crate::meta::{BadAttrList, MetaAttribute, MetaError};

fn text(attribute: MetaAttribute, errno: Errno) -> String {
    let path = PathBuf::from("d/f");
    MetaError {
        attribute,
        path,
        errno,
    }
    .to_string()
}

#[test]
fn preserve_failures_as_gnu() {
    // coreutils src/copy.c's texts, with strerror's.
    assert_eq!(
        text(MetaAttribute::Ownership, Errno::PERM),
        "failed to preserve ownership for 'd/f': Operation not permitted"
    );
    assert_eq!(
        text(MetaAttribute::Xattrs, Errno::NOSPC),
        "setting attributes for 'd/f': No space left on device"
    );
    assert_eq!(
        text(MetaAttribute::Permissions, Errno::OPNOTSUPP),
        "preserving permissions for 'd/f': Operation not supported"
    );
    assert_eq!(
        text(MetaAttribute::Times, Errno::ACCESS),
        "preserving times for 'd/f': Permission denied"
    );
}

#[test]
fn bad_preserve_list_as_argmatch() {
    let e = BadAttrList {
        word: "bogus".into(),
        flag: "--preserve",
        ambiguous: false,
    };
    assert_eq!(
        e.to_string(),
        "invalid argument 'bogus' for '--preserve'\nValid arguments are:\n  - 'mode'\n  \
         - 'timestamps'\n  - 'ownership'\n  - 'links'\n  - 'context'\n  - 'xattr'\n  - 'all'"
    );
}
