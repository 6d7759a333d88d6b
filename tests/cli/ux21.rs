//! Round 21: the leftovers of round 20's red team (the bar of a copy of empty files).

use std::time::Duration;

use crate::experience::{in_pty_typed, terminal_screen};
use crate::testenv::{require_strace, require_tool, TestEnv};

/// A copy of empty files has a total of 0 bytes. The bar read `0 B/≥0 B` (a lower bound) from
/// its first frame to its last and never said `done` (red team, round 20). Once the walk is
/// over the total is final like any other: `0 B/0 B 100%`, the files counted, then `done`.
/// strace holds each `openat` 50 ms, so the copy lasts long enough for the bar to show.
#[test]
fn a_copy_of_empty_files_has_a_final_total_and_ends_with_done() {
    if !require_tool("script") || !require_strace() {
        return;
    }
    let env = TestEnv::new();
    for i in 0..20 {
        env.write(format!("empties/f{i:02}"), b"");
    }
    let command = "strace -f -o /dev/null -e trace=openat -e inject=openat:delay_exit=50000 \
                   \"$FCOPY\" -g -r empties out";
    let screen = in_pty_typed(&env, 80, command, b"", Duration::ZERO);
    let copied = std::fs::read_dir(env.join("out")).map_or(0, |dir| dir.count());
    assert_eq!(copied, 20, "{}", env.listing());
    let (_, frames) = terminal_screen(&screen, 80);
    let last = frames
        .iter()
        .rev()
        .find(|f| f.contains(" B/"))
        .unwrap_or_else(|| panic!("no bar: {frames:?}"));
    assert!(
        last.starts_with("[=") && last.ends_with("0 B/0 B 100% done 20/20 files"),
        "the last frame: {last:?}\n{frames:?}"
    );
    let after_the_walk = frames.iter().skip_while(|f| f.contains('≥'));
    for frame in after_the_walk.filter(|f| f.contains(" B/")) {
        assert!(
            frame.contains("0 B/0 B 100%") && !frame.contains("flushing"),
            "{frame:?}\n{frames:?}"
        );
    }
}
