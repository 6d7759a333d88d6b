//! `-i`: asking whether to overwrite, on standard error, with the answer read from standard
//! input — or from the terminal when standard input carries the batch — in a wait that SIGINT
//! and SIGTERM end at once.

use std::io::{self, Write};

use super::{errno_text_of, Reporter};

impl Reporter {
    /// `-i` with `--batch -`: the answers come from the terminal (`/dev/tty`), as standard input
    /// carries the jobs. Fails (a usage error for the caller) when there is no terminal.
    pub fn answers_from_terminal(&mut self) -> Result<(), String> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::NOCTTY | OFlags::CLOEXEC;
        match rustix::fs::open("/dev/tty", flags, Mode::empty()) {
            Ok(fd) => {
                self.answers = Some(fd);
                Ok(())
            }
            Err(e) => Err(format!(
                "-i cannot ask: standard input carries the batch and there is no terminal \
                 ('/dev/tty': {})",
                errno_text_of(e)
            )),
        }
    }

    /// `-i`: prints `question` on standard error and reads one line of answer; true for `y`/`Y`.
    ///
    /// The answer comes from standard input, or from the terminal when standard input carries the
    /// batch. The wait polls, so SIGINT and SIGTERM end it at once (the answer is then "no" and
    /// the run stops as after any interrupt). End of input is "no", as in GNU cp. The progress
    /// bar stays out of the way until the answer is in (it was drawn again after the question,
    /// on its line, and its next redraw wiped question and answer: new-user trial, round 8).
    pub fn ask(&mut self, question: &str) -> bool {
        self.flush_before_diagnostic();
        let prompt = format!("{}: {question} ", self.program);
        let fd = match &self.answers {
            Some(fd) => rustix::fd::AsFd::as_fd(fd),
            None => rustix::stdio::stdin(),
        };
        let ask = || {
            let mut err = io::stderr().lock();
            let _ = err.write_all(prompt.as_bytes());
            let _ = err.flush();
            drop(err);
            read_answer(fd)
        };
        let answer = match &self.progress {
            Some(p) => p.suspend(ask),
            None => ask(),
        };
        affirmative(&answer)
    }
}

/// GNU's `yesno()`: the line matches rpmatch's English pattern `^[yY]` (coreutils 9.1
/// lib/yesno.c, lib/rpmatch.c). A leading blank makes it no: `printf ' y\n' | cp -i s d`
/// keeps d (fcopy took it as yes: new-user trial, round 9).
fn affirmative(line: &[u8]) -> bool {
    matches!(line.first(), Some(b'y' | b'Y'))
}

/// One line from `fd` (without its newline); empty at end of input or on a pending SIGINT or
/// SIGTERM (polled every 100 ms).
fn read_answer(fd: rustix::fd::BorrowedFd<'_>) -> Vec<u8> {
    let mut answer = Vec::new();
    loop {
        if crate::signals::pending().is_some() {
            return Vec::new();
        }
        let mut fds = [rustix::event::PollFd::new(
            &fd,
            rustix::event::PollFlags::IN,
        )];
        let tick = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 100_000_000,
        };
        match rustix::event::poll(&mut fds, Some(&tick)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => continue,
            Ok(_) => {}
            Err(_) => break,
        }
        let mut byte = [0u8; 1];
        match rustix::io::read(fd, &mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => answer.push(byte[0]),
            Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => {}
            Err(_) => break,
        }
    }
    answer
}
