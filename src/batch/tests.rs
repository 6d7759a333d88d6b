//! Unit tests of the job list: fields, ranges, `-0` pairs, long lines, any bytes.

use super::*;
use proptest::prelude::*;

#[test]
fn lines_and_ranges() {
    let jobs = parse(b"a\tb\n\nc d\te\t1K\t-\t10\nbad line\n", false);
    assert_eq!(jobs.len(), 3);
    let first = jobs[0].as_ref().unwrap();
    assert_eq!(
        (first.line, first.source.as_os_str(), first.dest.as_os_str()),
        (1, "a".as_ref(), "b".as_ref())
    );
    assert_eq!(first.range, None);
    let second = jobs[1].as_ref().unwrap();
    assert_eq!(second.line, 3);
    assert_eq!(second.source, "c d");
    let range = second.range.as_ref().unwrap();
    assert_eq!(range.offset_in.as_ref().unwrap().value, 1024);
    assert_eq!(range.offset_out, None);
    assert_eq!(range.len.as_ref().unwrap().value, 10);
    let err = jobs[2].as_ref().unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.to_string().contains("found 1 field"), "{err}");
}

#[test]
fn bad_numbers_and_crlf() {
    let jobs = parse(b"a\tb\tx\t0\t0\r\nq\tr\r\n", false);
    assert!(jobs[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .starts_with("OFFSET_IN"));
    assert_eq!(jobs[1].as_ref().unwrap().dest, "r");
}

/// Red team, round 11: three empty range fields (a script's empty variables) made a ranged
/// copy that wrote into DEST in place and kept its tail; such a line is an error. One field
/// given is a range.
#[test]
fn a_line_whose_range_fields_are_all_defaults_is_an_error() {
    let jobs = parse(b"a\tb\t\t\t\nc\td\t-\t-\t-\ne\tf\t-\t\t0\n", false);
    for (i, job) in jobs[..2].iter().enumerate() {
        let err = job.as_ref().unwrap_err();
        assert_eq!((err.line, &err.problem), (i + 1, &LineProblem::NoRange));
    }
    let range = jobs[2].as_ref().unwrap().range.as_ref().unwrap();
    assert_eq!(range.len.as_ref().unwrap().value, 0);
}

#[test]
fn null_separated_pairs() {
    let jobs = parse(b"a\0b\0c\nd\0e\tf\0lone\0", true);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1].as_ref().unwrap().source, "c\nd");
    assert_eq!(jobs[1].as_ref().unwrap().dest, "e\tf");
    assert_eq!(jobs[2].as_ref().unwrap_err().line, 3);
    assert!(parse(b"", true).is_empty());
}

#[test]
fn too_long_lines_are_errors_and_the_rest_continue() {
    let mut input = b"a\tb\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    input.extend_from_slice(b"\tz\nc\td\n");
    let jobs = parse(&input, false);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1].as_ref().unwrap_err(), &too_long(2));
    assert_eq!(jobs[2].as_ref().unwrap().source, "c");
    // Exactly at the limit is fine.
    let mut line = vec![b'y'; MAX_LINE - 2];
    line.extend_from_slice(b"\tz\n");
    assert!(parse(&line, false)[0].is_ok());
    let mut pairs = b"a\0b\0".to_vec();
    pairs.extend(std::iter::repeat_n(b'x', MAX_LINE + 1));
    pairs.extend_from_slice(b"\0d\0e\0f\0");
    let jobs = parse(&pairs, true);
    assert_eq!(jobs.len(), 3);
    assert_eq!(jobs[1].as_ref().unwrap_err(), &too_long(2));
    assert_eq!(jobs[2].as_ref().unwrap().source, "e");
}

#[test]
fn non_utf8_names_round_trip() {
    let jobs = parse(b"\xff\x01\t\xfe\n", false);
    assert_eq!(
        jobs[0].as_ref().unwrap().source.as_encoded_bytes(),
        b"\xff\x01"
    );
}

proptest! {
    #[test]
    fn never_panics(input in proptest::collection::vec(any::<u8>(), 0..512), null in any::<bool>()) {
        let _ = parse(&input, null);
    }

    #[test]
    fn every_nonempty_line_is_accounted_for(lines in proptest::collection::vec("[a-z\t]{0,12}", 0..20)) {
        let input = lines.join("\n");
        let jobs = parse(input.as_bytes(), false);
        prop_assert_eq!(jobs.len(), lines.iter().filter(|l| !l.is_empty()).count());
    }
}

/// The order keeper's answers for one list, in a scratch directory: `(source, dest)` pairs in
/// list order, each answer given after the previous job was added.
fn waits(dir: &std::path::Path, lines: &[(&str, &str)]) -> Vec<bool> {
    waits_with(JobOrder::default(), dir, lines)
}

/// [`waits`] with a given order keeper (one that makes backups).
fn waits_with(mut order: JobOrder, dir: &std::path::Path, lines: &[(&str, &str)]) -> Vec<bool> {
    lines
        .iter()
        .map(|(source, dest)| {
            let (wait, files) = order.must_wait(&dir.join(source), &dir.join(dest), false);
            order.add(files, wait);
            wait
        })
        .collect()
}

#[test]
fn independent_jobs_run_together_and_shared_names_wait() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        std::fs::write(dir.path().join(name), name).unwrap();
    }
    // a -> x and b -> y share nothing; c -> x writes what the first wrote; x -> z reads it.
    let answers = waits(
        dir.path(),
        &[("a", "x"), ("b", "y"), ("c", "x"), ("x", "z")],
    );
    assert_eq!(answers, [false, false, true, true]);
}

/// Red-team finding (round 4): a dangling symbolic link that an earlier job's DEST will make
/// whole was keyed on the link alone, so `-j 2` read it before the earlier job had written its
/// target (`cannot stat 'M'`), where `-j 1` copied. A job whose file is a link that leads
/// nowhere yet is a barrier both ways. Red team, round 17: so is a link whose target exists,
/// which was keyed on the target as it was when the job was handed out: an earlier job still
/// running had just created that target (or made it anew under `-b`), under a key the later
/// job did not share, and `-j 4` read a prefix of it or wrote it at the same time.
#[test]
fn a_symlink_waits_for_earlier_jobs_and_holds_back_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("x"), "x").unwrap();
    std::fs::write(d.join("y"), "y").unwrap();
    std::os::unix::fs::symlink("target-to-be", d.join("m")).unwrap();
    let answers = waits(
        d,
        &[("x", "target-to-be"), ("m", "out"), ("y", "elsewhere")],
    );
    assert_eq!(answers, [false, true, true]);
    // The same link once its target exists: a barrier all the same.
    std::fs::write(d.join("target-to-be"), "t").unwrap();
    let answers = waits(d, &[("y", "other"), ("m", "out"), ("x", "third")]);
    assert_eq!(answers, [false, true, true]);
    // A DEST link, dangling (written through with POSIXLY_CORRECT) or not, is a barrier too.
    std::os::unix::fs::symlink("nowhere", d.join("n")).unwrap();
    assert_eq!(waits(d, &[("y", "p"), ("x", "n")]), [false, true]);
    assert_eq!(waits(d, &[("y", "p"), ("x", "m")]), [false, true]);
    // Files reached without a link are not held back.
    assert_eq!(waits(d, &[("y", "p"), ("x", "q")]), [false, false]);
}

/// [`waits`] for jobs that make backups with `control` (suffix `~`).
fn waits_backing_up(
    dir: &std::path::Path,
    control: crate::backup::BackupControl,
    lines: &[(&str, &str)],
) -> Vec<bool> {
    waits_with(
        JobOrder::with_backups(control, std::ffi::OsStr::new("~")),
        dir,
        lines,
    )
}

/// Red-team finding (round 8): with `-b` the backup a job makes is a name it writes, renamed
/// when the job is handed out, so a job backing up `d` waits for an earlier job that reads or
/// writes `d~` (simple) or any `d.~N~` (numbered, and `existing`, which may make either);
/// without backups, or for unrelated names, nothing waits.
#[test]
fn a_backup_name_orders_like_a_name_the_job_writes() {
    use crate::backup::BackupControl::{Existing, Numbered, Simple};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["a", "b", "d", "d~", "x"] {
        std::fs::write(d.join(name), name).unwrap();
    }
    let read_backup = [("d~", "out"), ("a", "d")];
    let write_backup = [("x", "d~"), ("a", "d")];
    assert_eq!(waits(d, &read_backup), [false, false]);
    for control in [Simple, Existing] {
        assert_eq!(waits_backing_up(d, control, &read_backup), [false, true]);
        assert_eq!(waits_backing_up(d, control, &write_backup), [false, true]);
    }
    assert_eq!(waits_backing_up(d, Numbered, &read_backup), [false, false]);
    for control in [Numbered, Existing] {
        let numbered = [("x", "d.~1~"), ("a", "d"), ("d.~7~", "out2")];
        assert_eq!(waits_backing_up(d, control, &numbered), [false, true, true]);
        // Not a numbered backup of d: `d.~1~x`, `e.~1~`, `d.~~`.
        let others = [("x", "d.~1~x"), ("b", "e.~1~"), ("x", "d.~~"), ("a", "d")];
        assert_eq!(
            waits_backing_up(d, control, &others),
            [false, false, false, false]
        );
    }
    // Unrelated jobs still run together.
    let unrelated = [("a", "d"), ("b", "e"), ("x", "f")];
    assert_eq!(
        waits_backing_up(d, Simple, &unrelated),
        [false, false, false]
    );
}
