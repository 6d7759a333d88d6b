//! Round 20: what the new-user trial and the red team found (the bar and `^C`, `--resume` with
//! `--atomic -v`, cp's `-i` question for a destination the user cannot write).

use std::fs;
use std::time::{Duration, SystemTime};

use crate::atomic8::{mark_partial, set_mtime, user_xattrs};
use crate::experience::{in_pty_typed, slow_writer, terminal_screen};
use crate::testenv::{mkfifo, pattern, require_tool, TestEnv};

/// Ctrl-C typed at the terminal: the tty echoes `^C` where the cursor is. Frames were padded
/// to the terminal's full width, so the echo wrapped to a new line, the clear before the
/// message erased only that line, and the bar stayed above `interrupted while copying`
/// (new-user trial, round 20, in tmux at 100 and 45 columns).
#[test]
fn ctrl_c_typed_at_the_terminal_leaves_no_bar_above_the_message() {
    if !require_tool("script") {
        return;
    }
    for cols in [45u16, 100] {
        let env = TestEnv::new();
        let fifo = env.join("slow");
        mkfifo(&fifo);
        let writer = slow_writer(&fifo, 200, Duration::from_millis(50));
        // A shell that survives the SIGINT (a handler, not an ignored signal: fcopy would
        // inherit that and keep it, as cp does), so `script` ends well.
        let command = "trap : INT; \"$FCOPY\" -g slow out; echo exit=$?";
        let screen = in_pty_typed(&env, cols, command, b"\x03", Duration::from_millis(1500));
        drop(writer);
        let (shown, frames) = terminal_screen(&screen, usize::from(cols));
        assert!(
            frames.iter().any(|f| f.contains("B/s")),
            "no bar was drawn at {cols}: {screen:?}"
        );
        assert!(
            shown
                .iter()
                .any(|l| l.contains("interrupted while copying")),
            "{shown:?}"
        );
        assert!(shown.iter().any(|l| l == "exit=130"), "{shown:?}");
        assert!(
            shown.iter().all(|l| !l.contains("B/s")),
            "a stale bar is left on the screen at {cols}: {shown:?}"
        );
        assert!(fs::metadata(env.join("slow")).is_ok());
    }
}

/// `--atomic --resume -v` goes on from the kept partial file `.NAME.fcopy-partial`, which only
/// the copy itself finds: its `-v` line now waits for the outcome and says `(resumed from byte
/// N)`, as without `--atomic`. It said `'big' -> 'big6'` alone, though `--stats` and `--json`
/// showed the copy had resumed (new-user trial, round 20).
#[test]
fn verbose_atomic_resume_says_where_it_goes_on_from() {
    const M: usize = 1 << 20;
    let env = TestEnv::new();
    if !user_xattrs(&env) {
        return;
    }
    let data = pattern(3 * M, 20);
    env.write("big", &data);
    for (jobs, dest) in [("1", "one"), ("2", "two")] {
        let partial = env.write(format!(".{dest}.fcopy-partial"), &data[..M]);
        assert!(mark_partial(&partial, &env.join("big"), dest));
        set_mtime(&partial, SystemTime::now() + Duration::from_secs(60));
        let run = env.run(&["--resume", "--atomic", "-v", "-j", jobs, "big", dest]);
        assert_eq!(run.code(), Some(0), "{}", run.stderr());
        assert_eq!(
            run.stdout(),
            format!("'big' -> '{dest}' (resumed from byte {M})\n"),
            "-j {jobs}"
        );
        env.assert_same_content("big", dest);
    }
    // No partial file: the plain line, once.
    let run = env.run(&["--resume", "--atomic", "-v", "big", "fresh"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout(), "'big' -> 'fresh'\n");
    // DEST complete: said so.
    let run = env.run(&["--resume", "--atomic", "-v", "big", "fresh"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(run.stdout(), "'big' -> 'fresh' (already complete)\n");
}
