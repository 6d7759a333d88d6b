//! Round 12's leftovers and new-user trial: which `--batch` line a failed job came from.

use crate::testenv::TestEnv;

/// Round 11's leftovers: a failed `--batch` job said "cannot stat 'x'" and not which line of a
/// list of thousands it was; only a malformed line said `FILE:LINE:`. Every job's error line
/// now starts `FILE:LINE: ` — also under `-j`, where jobs finish out of order, and for the
/// job-level refusals that used to carry the prefix in their own text (said once, not twice).
/// Lines outside a job (the summary's warnings, a malformed line) are unchanged.
#[test]
fn a_failed_batch_job_names_its_line() {
    let env = TestEnv::new();
    env.write("s", "data");
    env.write(
        "jobs",
        "missing1\tx1\ns\tok1\ns\tnodir/x3\nbad line\ns\tok5\nmissing6\tx6\ns\tx7\t1\t0\t2\n",
    );
    for jobs in ["-j1", "-j4"] {
        let run = env.run(&[jobs, "--len=1", "--batch", "jobs"]);
        assert_eq!(run.code(), Some(1), "{jobs}: {}", run.stderr());
        let stderr = run.stderr();
        let mut lines: Vec<&str> = stderr.lines().collect();
        lines.sort_unstable();
        assert_eq!(
            lines,
            [
                "fcopy: jobs:1: cannot stat 'missing1': No such file or directory",
                "fcopy: jobs:3: cannot create regular file 'nodir/x3': No such file or directory",
                "fcopy: jobs:4: expected SOURCE<TAB>DEST or SOURCE<TAB>DEST<TAB>OFFSET_IN<TAB>OFFSET_OUT<TAB>LEN, found 1 field",
                "fcopy: jobs:6: cannot stat 'missing6': No such file or directory",
                "fcopy: jobs:7: the line has its own range, but --offset-in/--offset-out/--len were given",
            ],
            "{jobs}"
        );
        assert_eq!(env.read("ok1"), b"d");
        assert_eq!(env.read("ok5"), b"d");
    }
    // --json keeps the message without the place: the record's "line" says it.
    let run = env.run(&["--json", "--batch", "jobs"]);
    let record = run
        .stdout()
        .lines()
        .find(|l| l.contains("\"missing6\""))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        record.contains("\"line\":6")
            && record
                .contains("\"error\":\"fcopy: cannot stat 'missing6': No such file or directory\""),
        "{record}"
    );
}
