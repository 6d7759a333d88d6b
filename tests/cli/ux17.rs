//! Round 17's new-user trial: what a run says about what it did (`--verify` it could not do).

use crate::testenv::TestEnv;

/// New-user trial, round 17: `cat f | fcopy --verify - out` exited 0 in silence, and only
/// `--json` and `--debug` said the copy was not verified: a user who asked for `--verify` read
/// it as checked. Each end that cannot be read again (standard input, a `/proc` file, a device
/// as DEST, a range overlapping itself) now gets a warning naming DEST and the reason; the copy
/// stays and the exit status is 0. A copy that was compared says nothing.
#[test]
fn a_copy_that_could_not_be_verified_says_so() {
    let env = TestEnv::new();
    env.write("f", "some data\n");
    let piped = env
        .fcopy()
        .args(&["--verify", "-", "out"])
        .stdin_bytes("piped\n")
        .run();
    piped.exit_zero().stderr_is(
        "fcopy: warning: 'out' was copied but not verified: '-' cannot be read again (not a \
         regular file)\n",
    );
    assert_eq!(env.read("out"), b"piped\n");

    let proc = env.run(&["--verify", "/proc/self/status", "st"]);
    proc.exit_zero().stderr_is(
        "fcopy: warning: 'st' was copied but not verified: '/proc/self/status' is made up as it \
         is read, and a second read may differ\n",
    );
    assert!(!env.read("st").is_empty());

    let device = env.run(&["--verify", "f", "/dev/null"]);
    device.exit_zero().stderr_is(
        "fcopy: warning: '/dev/null' was copied but not verified: '/dev/null' cannot be read \
         again (not a regular file)\n",
    );

    env.write("g", "0123456789".repeat(100));
    let overlap = env.run(&[
        "--verify",
        "--offset-in",
        "0",
        "--offset-out",
        "10",
        "--len",
        "100",
        "g",
        "g",
    ]);
    overlap.exit_zero().stderr_is(
        "fcopy: warning: 'g' was copied but not verified: the range overlaps its own source in \
         'g'\n",
    );

    // With --json the record says it too, and the warning still reaches standard error.
    let json = env
        .fcopy()
        .args(&["--json", "--verify", "-", "o2"])
        .stdin_bytes("x")
        .run();
    json.exit_zero()
        .stderr_contains("'o2' was copied but not verified");
    assert_eq!(json.json_record()["verified"], "not verifiable");

    // A copy that was compared: no warning.
    env.run(&["--verify", "f", "h"]).success().stderr_is("");
    assert_eq!(env.read("h"), b"some data\n");
}
