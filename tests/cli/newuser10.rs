//! New-user trial, round 10: option spellings as fcopy's own output writes them.

use crate::testenv::TestEnv;

/// `--json` and `--debug` name the strategies `read_write` and `copy_file_range`; `--method`
/// refused those spellings (it wants `read-write`, `copy-file-range`). Both are taken; the
/// list of valid words still shows GNU-style words only.
#[test]
fn method_takes_the_spellings_json_reports() {
    let env = TestEnv::new();
    env.write("a", "data");
    for word in [
        "read_write",
        "read-write",
        "copy_file_range",
        "copy-file-range",
    ] {
        let run = env.run(&["--method", word, "a", "b"]);
        run.success();
        assert_eq!(env.read("b"), b"data", "{word}");
    }
    let run = env.run(&["--method=read_w", "a", "b"]);
    assert_eq!(run.code(), Some(1));
    assert!(
        run.stderr().contains("  - 'read-write'\n") && !run.stderr().contains("read_write'\n"),
        "{}",
        run.stderr()
    );
}
