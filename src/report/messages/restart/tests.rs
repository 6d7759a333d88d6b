//! Unit tests of [`super`].

use std::io;
use std::path::PathBuf;

use crate::restart::filter::FilterError;
use crate::restart::mkpath::MkpathError;

#[test]
fn mkpath_as_mkdir_p() {
    // As GNU `mkdir -p` words it.
    let e = MkpathError {
        dir: PathBuf::from("a/b"),
        error: io::Error::from_raw_os_error(13),
        made: Vec::new(),
    };
    assert_eq!(
        e.to_string(),
        "cannot create directory 'a/b': Permission denied"
    );
}

#[test]
fn filter_errors() {
    let unreadable = FilterError::Unreadable {
        file: PathBuf::from("ex list"),
        error: io::Error::from_raw_os_error(2),
    };
    assert_eq!(
        unreadable.to_string(),
        "cannot read --exclude-from file 'ex list': No such file or directory"
    );
    let not_utf8 = FilterError::NotUtf8 {
        file: PathBuf::from("ex"),
        line: 3,
    };
    assert_eq!(not_utf8.to_string(), "ex:3: pattern is not valid UTF-8");
    let empty = FilterError::Empty {
        flag: "--exclude",
        pattern: "/".into(),
    };
    assert_eq!(empty.to_string(), "invalid pattern for --exclude: '/'");
    let glob = FilterError::Glob {
        flag: "--include",
        pattern: "a[".into(),
        reason: globset::ErrorKind::UnclosedClass,
    };
    assert_eq!(
        glob.to_string(),
        "invalid pattern for --include: 'a[': unclosed character class; missing ']'"
    );
}
