//! The terminal the bar is drawn on: standard error, written one frame at a time, and with
//! `--progress=auto` only while fcopy is the terminal's foreground job.

use std::io::{self, Write as _};
use std::sync::Mutex;

use indicatif::TermLike;

/// Standard error as indicatif's draw target. A frame is gathered and written in one `write`
/// when indicatif flushes it; with `follow_foreground` it is dropped instead when fcopy's
/// process group is not the terminal's foreground one (Ctrl-Z then `bg`, or `fcopy a b &`).
///
/// Asked at every frame (indicatif draws at most 20 a second), not every few hundred
/// milliseconds from the copy: a job sent on with `bg` within that time of its last question
/// drew its bar over the shell's prompt until it asked again (stop 33's CI run, where a loaded
/// machine made the window likely). The frame's last clear is dropped too, so a copy that
/// ends in the background does not erase the prompt (new-user trial, round 13).
#[derive(Debug)]
pub(super) struct StderrFrames {
    frame: Mutex<Vec<u8>>,
    follow_foreground: bool,
}

impl StderrFrames {
    /// A draw target on standard error; `follow_foreground` for `--progress=auto`.
    pub(super) fn new(follow_foreground: bool) -> StderrFrames {
        StderrFrames {
            frame: Mutex::new(Vec::with_capacity(256)),
            follow_foreground,
        }
    }

    /// ECMA-48's cursor movement `CSI n <direction>` (`A` up, `B` down, `C` right, `D`
    /// left), by `n` lines or columns; nothing for 0.
    fn cursor(&self, n: usize, direction: char) -> io::Result<()> {
        if n > 0 {
            self.add(format!("\x1b[{n}{direction}").as_bytes());
        }
        Ok(())
    }

    fn add(&self, bytes: &[u8]) {
        self.frame
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
    }
}

impl TermLike for StderrFrames {
    /// The columns the line is fitted to, which indicatif pads each frame to: the terminal's
    /// less the two the echo of `^C` needs ([`super::drawing_width`]).
    fn width(&self) -> u16 {
        u16::try_from(super::drawing_width()).unwrap_or(u16::MAX)
    }

    /// Rows: the bar is one line, so only a terminal of no rows at all would cut it.
    fn height(&self) -> u16 {
        u16::MAX
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.cursor(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.add(s.as_bytes());
        self.add(b"\n");
        Ok(())
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        self.add(s.as_bytes());
        Ok(())
    }

    /// Back to the line's start, and the line erased.
    fn clear_line(&self) -> io::Result<()> {
        self.add(b"\r\x1b[2K");
        Ok(())
    }

    /// Writes the frame (one `write`, so it never mixes with another thread's line), unless
    /// fcopy is in the background and follows the foreground: then the frame is dropped.
    fn flush(&self) -> io::Result<()> {
        let frame = std::mem::take(
            &mut *self
                .frame
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        if frame.is_empty() || (self.follow_foreground && !in_foreground()) {
            return Ok(());
        }
        io::stderr().lock().write_all(&frame)
    }
}

/// Whether fcopy's process group is the foreground one of standard error's terminal (true
/// when that cannot be asked: the bar was asked for).
pub(super) fn in_foreground() -> bool {
    match rustix::termios::tcgetpgrp(rustix::stdio::stderr()) {
        Ok(group) => group == rustix::process::getpgrp(),
        Err(_) => true,
    }
}
