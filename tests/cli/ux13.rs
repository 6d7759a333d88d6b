//! Round 13's leftovers and new-user trial: what the bar and `--help` show.

use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::experience::in_pty;
use crate::testenv::{pattern, require_tool, TestEnv, FCOPY};

/// New-user trial, round 12: `-g -v` on one file first drew `0 B/≥0 B`: the `-v` line made the
/// bar redraw before the file's size was counted. Every frame the terminal got shows the
/// file's size as the total, never a lower bound.
#[test]
fn a_bar_drawn_around_a_verbose_line_shows_the_files_size() {
    if !require_tool("script") {
        return;
    }
    let env = TestEnv::new();
    env.write("a", pattern(3 << 20, 1));
    let screen = in_pty(&env, "-g -v a b");
    env.assert_same_content("a", "b");
    let frames: Vec<&str> = screen
        .split(['\r', '\n'])
        .map(|l| l.trim_start_matches("\u{1b}[2K"))
        .filter(|l| l.contains(" B/") || l.contains("iB/"))
        .collect();
    assert!(!frames.is_empty(), "no bar drawn: {screen:?}");
    for frame in &frames {
        assert!(
            frame.contains("/3.00 MiB") && !frame.contains('≥'),
            "a frame without the file's size: {frame:?} in {screen:?}"
        );
    }
    assert!(screen.contains("'a' -> 'b'"), "-v line missing: {screen:?}");
}

/// New-user trial, round 12: installed as `cp`, `--help`'s usage said `cp` but its examples
/// `fcopy`, so they could not be pasted. Every example names the program as invoked (as
/// GNU's usage lines do); a name such as `.DEST.fcopy-partial` stays.
#[test]
fn help_examples_name_the_program_as_invoked() {
    for program in ["cp", "fcopy"] {
        let out = Command::new(FCOPY)
            .arg0(program)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        let examples = help
            .split("Examples:\n")
            .nth(1)
            .expect("--help has examples");
        let commands: Vec<&str> = examples
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .collect();
        assert!(commands.len() >= 5, "{examples}");
        for line in commands {
            let first = line.split_whitespace().next().unwrap_or_default();
            let named = if first == "cat" || first == "find" {
                line.split("| ").nth(1).unwrap_or_default()
            } else {
                line.trim_start()
            };
            assert!(
                named.starts_with(&format!("{program} ")),
                "{program}: example {line:?}"
            );
        }
    }
}
