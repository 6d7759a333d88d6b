//! Unit tests of the executor that need no disk: the fallback-errno table
//! (DESIGN rule 4) and zero-block detection.

use rustix::io::Errno;

use super::outcome::{on_errno, Mechanism, OnErrno, ERRNO_TABLE};
use super::Reason;

use Mechanism::{Clone, CopyFileRange, Sendfile};
use OnErrno::{Fail, FallBack};

/// What each row must do: (errno, copy_file_range before / after the first byte, clone,
/// sendfile before / after its first byte).
const EXPECTED: &[(Errno, [OnErrno; 2], OnErrno, [OnErrno; 2])] = &[
    (Errno::XDEV, [FallBack, FallBack], FallBack, [Fail, Fail]),
    (
        Errno::OPNOTSUPP,
        [FallBack, FallBack],
        FallBack,
        [FallBack, Fail],
    ),
    (
        Errno::NOSYS,
        [FallBack, FallBack],
        FallBack,
        [FallBack, Fail],
    ),
    (
        Errno::INVAL,
        [FallBack, FallBack],
        FallBack,
        [FallBack, Fail],
    ),
    (Errno::PERM, [FallBack, FallBack], FallBack, [Fail, Fail]),
    (Errno::ACCESS, [FallBack, FallBack], FallBack, [Fail, Fail]),
    (Errno::BADF, [FallBack, FallBack], FallBack, [Fail, Fail]),
    (Errno::TXTBSY, [FallBack, FallBack], FallBack, [Fail, Fail]),
    (Errno::FBIG, [FallBack, FallBack], FallBack, [Fail, Fail]),
    (Errno::IO, [FallBack, Fail], Fail, [Fail, Fail]),
    (Errno::NOENT, [FallBack, Fail], FallBack, [Fail, Fail]),
    (Errno::NOSPC, [Fail, Fail], Fail, [Fail, Fail]),
    (Errno::NOMEM, [Fail, Fail], Fail, [Fail, Fail]),
    (Errno::DQUOT, [Fail, Fail], Fail, [Fail, Fail]),
    // Not in the table: a real error for the kernel copies, "cannot clone here" for a clone.
    (Errno::ROFS, [Fail, Fail], FallBack, [Fail, Fail]),
    (Errno::NOTDIR, [Fail, Fail], FallBack, [Fail, Fail]),
];

#[test]
fn every_row_does_what_each_strategy_expects() {
    for &(errno, cfr, clone, send) in EXPECTED {
        for (progressed, want) in [(false, cfr[0]), (true, cfr[1])] {
            let got = on_errno(CopyFileRange, errno, progressed);
            assert_eq!(
                got, want,
                "copy_file_range {errno:?} progressed={progressed}"
            );
        }
        for progressed in [false, true] {
            assert_eq!(on_errno(Clone, errno, progressed), clone, "clone {errno:?}");
        }
        for (progressed, want) in [(false, send[0]), (true, send[1])] {
            let got = on_errno(Sendfile, errno, progressed);
            assert_eq!(got, want, "sendfile {errno:?} progressed={progressed}");
        }
    }
}

#[test]
fn every_table_row_is_tested() {
    for row in ERRNO_TABLE {
        assert!(
            EXPECTED.iter().any(|e| e.0 == row.errno),
            "{} has no expectation",
            row.name
        );
    }
}

#[test]
fn a_fallback_records_its_reason_and_a_real_error_none() {
    assert_eq!(Reason::fallback_for(Errno::XDEV, true), Some(Reason::Exdev));
    assert_eq!(Reason::fallback_for(Errno::IO, false), Some(Reason::Eio));
    assert_eq!(Reason::fallback_for(Errno::IO, true), None);
    assert_eq!(
        Reason::fallback_for(Errno::NOENT, false),
        Some(Reason::Enoent)
    );
    assert_eq!(Reason::fallback_for(Errno::NOSPC, false), None);
    assert_eq!(Reason::fallback_for(Errno::ROFS, false), None);
}

#[test]
fn reasons_have_their_errno_and_name() {
    let all = [
        (Reason::Exdev, "EXDEV"),
        (Reason::Eopnotsupp, "EOPNOTSUPP"),
        (Reason::Enosys, "ENOSYS"),
        (Reason::Einval, "EINVAL"),
        (Reason::Eperm, "EPERM"),
        (Reason::Eacces, "EACCES"),
        (Reason::Ebadf, "EBADF"),
        (Reason::Etxtbsy, "ETXTBSY"),
        (Reason::Eio, "EIO"),
        (Reason::Enoent, "ENOENT"),
        (Reason::Efbig, "EFBIG"),
    ];
    for (reason, name) in all {
        assert_eq!(reason.name(), name);
        let errno = reason.errno().expect("an errno reason");
        assert_eq!(Reason::fallback_for(errno, false), Some(reason));
    }
    assert_eq!(Reason::ZeroReturn.name(), "zero-return");
    assert_eq!(Reason::ZeroReturn.errno(), None);
    // ENOTSUP is EOPNOTSUPP on Linux: one row serves both.
    assert_eq!(
        Reason::fallback_for(Errno::NOTSUP, true),
        Some(Reason::Eopnotsupp)
    );
}

#[test]
fn zero_blocks() {
    use super::rw::is_zero;
    assert!(is_zero(&[0; 4096]));
    assert!(is_zero(&[0; 13]));
    assert!(is_zero(&[]));
    let mut b = [0u8; 4096];
    b[4095] = 1;
    assert!(!is_zero(&b));
    b[4095] = 0;
    b[3] = 7;
    assert!(!is_zero(&b));
}

/// A ranged clone's split: head up to the next block boundary, whole blocks, the rest; no
/// middle when the offsets are not aligned alike or the range holds no whole block.
#[test]
fn ranged_clone_split() {
    use super::clone::{split, Split};
    let s = |head, middle, tail| Split { head, middle, tail };
    assert_eq!(split(0, 0, 8192, 4096, false), s(0, 8192, 0));
    assert_eq!(
        split(1000, 1000, 3096 + 65536 + 500, 4096, false),
        s(3096, 65536, 500)
    );
    assert_eq!(split(1000, 5096, 10_000, 4096, false), s(3096, 4096, 2808));
    assert_eq!(split(1, 2, 100_000, 4096, false), s(100_000, 0, 0));
    assert_eq!(split(100, 100, 4000, 4096, false), s(4000, 0, 0));
    assert_eq!(split(4096, 0, 4095, 4096, false), s(4095, 0, 0));
    // Ending at SOURCE's end: the partial last block is cloned with the middle.
    assert_eq!(split(8192, 8192, 1808, 4096, true), s(0, 1808, 0));
    assert_eq!(split(1000, 1000, 3096 + 4596, 4096, true), s(3096, 4596, 0));
    // Still nothing to clone where the offsets are not aligned alike, or only head is left.
    assert_eq!(split(1, 2, 100_000, 4096, true), s(100_000, 0, 0));
    assert_eq!(split(9000, 9000, 1000, 4096, true), s(1000, 0, 0));
}
