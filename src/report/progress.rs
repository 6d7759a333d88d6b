//! The progress bar (indicatif, on standard error) and the counters behind it, which also answer
//! `kill -USR1` with one status line, as dd does.
//!
//! `auto` shows the bar only on a terminal, only to the foreground job, and only once the copy
//! has run for about a second.
//! The line is fitted to the terminal's width every time it is drawn: fields are dropped (the bar
//! first, then the ETA, the rate, the file count) rather than let the line wrap, since a wrapped
//! line cannot be cleared and would stay on the screen. While the walk is still finding files the
//! totals are shown as lower bounds (`≥`) and there is no percentage, bar or ETA (they would go
//! backwards); once every operand is planned, the percentage only moves forward, and when all
//! bytes are through but files are still being finished (fsync, metadata) the line says
//! `flushing...` instead of a false 100% with ETA 0s, and `done` once everything is.

use std::cell::Cell;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::exec::Progress;
use crate::options::values::ProgressWhen;

/// How long a copy runs before `--progress=auto` shows the bar.
const AUTO_DELAY: Duration = Duration::from_secs(1);

/// How long a copy runs before a thread starts to answer `kill -USR1` at once. Before that (and
/// in short copies, which never start it: a thread costs start-up time), the request is
/// answered by the copy itself at its next piece or file.
const STATUS_WATCH_DELAY: Duration = Duration::from_millis(200);

/// The counters the bar and the SIGUSR1 status line read.
#[derive(Default)]
struct Counters {
    /// Bytes copied (added by every worker, each on its own cache line), and bytes to copy (a
    /// lower bound while the totals grow).
    bytes_done: ByteCount,
    bytes_total: AtomicU64,
    files_total: AtomicU64,
    files_done: AtomicU64,
    /// Every operand has been planned: the totals no longer grow (but see `open_ended`).
    totals_final: AtomicBool,
    /// Jobs handed out whose length is not known (streams, `/proc` files): while any runs,
    /// the byte total is a lower bound.
    open_ended: AtomicU64,
    /// One operand, no tree: the totals are final once its job is counted ([`add_total`]),
    /// not before (red team, round 21: under `-g -i` the bar drawn after the question, with
    /// nothing counted yet, said `0 B/0 B 100%` and kept 100% for the whole copy).
    ///
    /// [`add_total`]: ProgressDisplay::add_total
    one_job: AtomicBool,
    /// The highest percentage shown so far (the percentage never goes backwards).
    shown_percent: AtomicU64,
    /// `--verify`: once every byte is through, the files still open are being read back.
    verifying: AtomicBool,
}

/// What the display and its `kill -USR1` watcher share: the counters, when the run started,
/// and indicatif's bar once it is drawn.
struct Shared {
    counters: Counters,
    started: Instant,
    /// Made when the bar is first shown: a run that never shows it (most runs: off a terminal,
    /// or shorter than a second) never builds indicatif's bar and its rate estimator (start-up
    /// cost, issue 16 goal 3).
    bar: OnceLock<ProgressBar>,
    /// Where the rate the line shows counts from ([`rate`]).
    rate_window: Mutex<RateWindow>,
    /// Set by SIGCONT (registered when the bar is first shown): the run was stopped (Ctrl-Z,
    /// `kill -STOP`) and goes on now; [`ProgressDisplay::after_a_stop`] starts the rate again.
    continued: Arc<AtomicBool>,
    /// The rate last shown, in bytes per second (`f64` bits), for the average after a stop.
    last_rate: AtomicU64,
}

/// Where the rate counts from: the average over [`AVERAGE_RATE_FOR`] from `opened`, of the
/// bytes copied after `bytes_before` since `since`; then indicatif's recent estimate.
#[derive(Clone, Copy)]
struct RateWindow {
    /// When the bar appeared, or the run went on after a stop.
    opened: Instant,
    /// The start of the average: the run's start, or the end of a stop.
    since: Instant,
    /// Bytes copied before `since`.
    bytes_before: u64,
}

impl Shared {
    /// Where the rate counts from, to read or to move.
    fn window(&self) -> std::sync::MutexGuard<'_, RateWindow> {
        self.rate_window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` with the bar (if drawn) out of the way.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.bar.get() {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

/// The bar and the counters behind it. Shared by the engine's workers and the reporter.
pub struct ProgressDisplay {
    shared: Arc<Shared>,
    /// Still hidden, waiting for `AUTO_DELAY` (and, with `auto`, for the foreground).
    waiting: AtomicBool,
    /// `--progress=auto`: the bar waits for the foreground, and is drawn only there (see
    /// `maybe_show` and [`terminal::StderrFrames`]).
    auto: bool,
    /// `auto`, still waiting: when the run last asked whether it is in the foreground
    /// (milliseconds since it started, 0: never), so that it asks at most a few times a second.
    foreground_asked_ms: AtomicU64,
    /// The bar may be drawn at some point (else the display only counts, for SIGUSR1).
    may_show: bool,
    /// `kill -USR1` requests, once [`ProgressDisplay::answer_status_requests`] set them up.
    status: Option<StatusRequests>,
}

/// What answers `kill -USR1`: the flag the signal sets, the program name for the line, and the
/// watcher thread started once the copy has run for [`STATUS_WATCH_DELAY`].
struct StatusRequests {
    flag: Arc<AtomicBool>,
    program: String,
    watcher: Once,
}

impl ProgressDisplay {
    /// A display for this mode. With `never` (or `auto` off a terminal) nothing is drawn, but
    /// the counters still answer SIGUSR1. `growing` says the totals are not known up front
    /// (trees, batches, several operands) until [`ProgressDisplay::totals_final`].
    pub fn new(mode: ProgressWhen, growing: bool) -> ProgressDisplay {
        let tty = std::io::stderr().is_terminal();
        let may_show = !(mode == ProgressWhen::Never || (mode == ProgressWhen::Auto && !tty));
        let shared = Arc::new(Shared {
            counters: Counters::default(),
            started: Instant::now(),
            bar: OnceLock::new(),
            rate_window: Mutex::new(RateWindow {
                opened: Instant::now(),
                since: Instant::now(),
                bytes_before: 0,
            }),
            continued: Arc::new(AtomicBool::new(false)),
            last_rate: AtomicU64::new(0),
        });
        shared.counters.one_job.store(!growing, Ordering::Relaxed);
        let display = ProgressDisplay {
            shared,
            waiting: AtomicBool::new(mode == ProgressWhen::Auto),
            auto: mode == ProgressWhen::Auto,
            foreground_asked_ms: AtomicU64::new(0),
            may_show,
            status: None,
        };
        if mode == ProgressWhen::Always {
            display.show();
        }
        display
    }

    /// Draws the bar from now on: indicatif's bar is made here, starting from the counters.
    /// The line is rendered from the counters (exact, whichever thread counted); indicatif
    /// gives the rate, from the bytes it has been told of since.
    fn show(&self) {
        let shared = Arc::downgrade(&self.shared);
        self.shared.bar.get_or_init(|| {
            let c = &self.shared.counters;
            let bar = ProgressBar::with_draw_target(
                Some(c.bytes_total.load(Ordering::Relaxed)),
                ProgressDrawTarget::hidden(),
            );
            // The bytes copied before the bar: recorded as its estimator's starting point, and
            // then the estimate forgotten, so the rate counts from now. Counted as copied in
            // the instant the bar appeared, they made a 2.5 MiB/s copy show 24 GiB/s (new-user
            // trial, round 11).
            bar.set_position(c.bytes_done.total());
            bar.tick();
            bar.reset_eta();
            self.shared.window().opened = Instant::now();
            // A stopped run's rate starts again when it goes on, as pv's does: counted in,
            // the stop made the rate read a fifth of the real one for seconds after `fg`
            // (red team, round 19). Not where the caller ignored SIGCONT.
            if !crate::signals::ignored_by_caller(signal_hook::consts::SIGCONT) {
                let flag = Arc::clone(&self.shared.continued);
                let _ = signal_hook::flag::register(signal_hook::consts::SIGCONT, flag);
            }
            bar.set_style(
                ProgressStyle::with_template("{fcopy}")
                    .expect("a valid template")
                    .with_key(
                        "fcopy",
                        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let Some(shared) = shared.upgrade() else {
                                return;
                            };
                            let view = View::of(&shared.counters, rate(&shared, state));
                            let width = drawing_width();
                            let ascii = crate::report::quote::c_locale();
                            let _ = w.write_str(&render(&view, &shared.counters, width, ascii));
                        },
                    ),
            );
            // Off a terminal (`--progress=always 2>log`) nothing is drawn, as indicatif's
            // own stderr target does: a log of frames helps no one.
            if std::io::stderr().is_terminal() {
                let frames = terminal::StderrFrames::new(self.auto);
                bar.set_draw_target(ProgressDrawTarget::term_like_with_hz(Box::new(frames), 20));
            }
            bar
        });
    }

    /// `--verify`: the line says `verifying...` rather than `flushing...` once every byte is
    /// through (new-user trial, round 13: the bar sat at `100% flushing...` for as long as
    /// the copy had taken while DEST was read back).
    pub fn verifies(&self) {
        self.shared
            .counters
            .verifying
            .store(true, Ordering::Relaxed);
    }

    /// Answers `kill -USR1` with one status line on standard error (`PROGRAM: LINE`), as dd
    /// does, when `flag` is the flag the signal sets.
    pub fn answer_status_requests(&mut self, flag: Arc<AtomicBool>, program: &str) {
        self.status = Some(StatusRequests {
            flag,
            program: program.to_owned(),
            watcher: Once::new(),
        });
    }

    /// Prints a requested status line now, and once the copy has run long enough starts the
    /// thread that answers later requests at once (a piece of a copy may take seconds).
    fn poll_status(&self) {
        let Some(status) = &self.status else {
            return;
        };
        // Looked at before it is cleared: a swap on every call moved the flag's cache line
        // between the workers' cores on every file (issue 16).
        if status.flag.load(Ordering::Relaxed) && status.flag.swap(false, Ordering::Relaxed) {
            print_status(&self.shared, &status.program);
        }
        // The clock on every 32nd file of each thread, until the watcher runs (read per file,
        // it was 5-8% of a 10,000-file tree's user-space instructions: walk8, round 8). The
        // count is the thread's own: a shared one was a contended line (issue 16).
        let due = next_poll_of_this_thread().is_multiple_of(32);
        if due && !status.watcher.is_completed() && self.started() >= STATUS_WATCH_DELAY {
            self.watch_status_requests();
        }
    }

    /// Starts (once) the thread that answers `kill -USR1` at once, also while the copy waits
    /// in a system call: before a job that may block ([`crate::signals::on_blocking_job`]),
    /// whose `read` the handler's `SA_RESTART` restarts (new-user trial, round 7: a copy from
    /// an idle pipe answered only when data came), or once the copy has run long enough.
    pub fn watch_status_requests(&self) {
        let Some(status) = &self.status else {
            return;
        };
        status.watcher.call_once(|| {
            let shared = Arc::clone(&self.shared);
            let (flag, program) = (Arc::clone(&status.flag), status.program.clone());
            // A small watcher: it wakes ten times a second to look at the flag. If it
            // cannot start (or panics starting), silently: requests are then answered at
            // the next file (crate::signals::HELPER_THREADS).
            let _ = std::thread::Builder::new()
                .name(crate::signals::HELPER_THREADS[1].into())
                .stack_size(64 << 10)
                .spawn(move || loop {
                    std::thread::sleep(Duration::from_millis(100));
                    if flag.swap(false, Ordering::Relaxed) {
                        print_status(&shared, &program);
                    }
                });
        });
    }

    /// More work was found: `bytes` more to copy in `files` more files; `bytes` is `None` for
    /// a job whose length is not known (a stream, a `/proc` file) until it ends
    /// ([`Progress::job_ended`]).
    pub fn add_total(&self, bytes: Option<u64>, files: u64) {
        let c = &self.shared.counters;
        if bytes.is_none() {
            c.open_ended.fetch_add(1, Ordering::Relaxed);
        }
        let bytes = bytes.unwrap_or(0);
        c.bytes_total.fetch_add(bytes, Ordering::Relaxed);
        c.files_total.fetch_add(files, Ordering::Relaxed);
        if c.one_job.load(Ordering::Relaxed) {
            c.totals_final.store(true, Ordering::Relaxed);
        }
        if let Some(bar) = self.shared.bar.get() {
            bar.inc_length(bytes);
        }
        self.poll_status();
    }

    /// Every operand has been planned: the totals are final, so the percentage and ETA mean
    /// something from now on.
    pub fn totals_final(&self) {
        let c = &self.shared.counters;
        c.totals_final.store(true, Ordering::Relaxed);
        self.tick();
    }

    /// Redraws the bar, if it is drawn.
    fn tick(&self) {
        if let Some(bar) = self.shared.bar.get() {
            bar.tick();
        }
    }

    /// `auto`: shows the bar once the copy has run for [`AUTO_DELAY`], if fcopy is the
    /// terminal's foreground job (a job started with `&` drew its bar under the shell's output,
    /// and its last clear erased the prompt: new-user trial, round 13). From then on each frame
    /// is drawn only while fcopy is in the foreground, so Ctrl-Z and `bg` hide it and `fg`
    /// shows it again, as pv does (red team 13b; [`terminal::StderrFrames`]). While waiting,
    /// the terminal is asked at most every 250 ms.
    fn maybe_show(&self) {
        if !(self.may_show && self.auto && self.waiting.load(Ordering::Relaxed)) {
            return;
        }
        let started = self.started();
        if started < AUTO_DELAY {
            return;
        }
        let now_ms = u64::try_from(started.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let asked = self.foreground_asked_ms.load(Ordering::Relaxed);
        if asked != 0 && now_ms.saturating_sub(asked) < 250 {
            return;
        }
        self.foreground_asked_ms.store(now_ms, Ordering::Relaxed);
        if terminal::in_foreground() {
            self.waiting.store(false, Ordering::Relaxed);
            self.show();
        }
    }

    /// After SIGCONT: the stopped time leaves the rate. indicatif's estimate forgets it, and
    /// for [`AVERAGE_RATE_FOR`] the rate is again an average, over the time since the copy
    /// went on plus [`RATE_PRIOR`] at the rate shown before the stop, so that the first bytes
    /// after it (`in_flight`, the piece under way when the stop came, and a pipe's buffer
    /// filled meanwhile) do not read as a burst (red team, round 20: with the average counted
    /// from the moment itself, the first frames said 737 MiB/s to 2 TiB/s for a 3 MiB/s copy).
    /// Called before `in_flight` bytes are counted; a SIGCONT without a stop changes little.
    fn after_a_stop(&self, in_flight: u64) {
        if !self.shared.continued.swap(false, Ordering::Relaxed) {
            return;
        }
        if let Some(bar) = self.shared.bar.get() {
            bar.reset_eta();
        }
        let now = Instant::now();
        let shown = f64::from_bits(self.shared.last_rate.load(Ordering::Relaxed));
        let prior = (shown * RATE_PRIOR.as_secs_f64()) as u64;
        let counted = self.shared.counters.bytes_done.total() + in_flight;
        *self.shared.window() = RateWindow {
            opened: now,
            since: now.checked_sub(RATE_PRIOR).unwrap_or(now),
            bytes_before: counted.saturating_sub(prior),
        };
    }

    fn started(&self) -> Duration {
        self.shared.started.elapsed()
    }

    /// Runs `f` (which prints) with the bar out of the way, so lines never mix with it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.shared.suspend(f)
    }

    /// Clears the bar for good (at the end, on error or on interrupt).
    pub fn finish(&self) {
        if let Some(bar) = self.shared.bar.get() {
            bar.finish_and_clear();
        }
    }

    /// The chunk size the engine should copy in: 64 MiB when a bar may be drawn, so it moves
    /// smoothly; else `None` (the engine's own 1 GiB calls; the SIGUSR1 line counts those).
    pub fn chunk_hint(&self) -> Option<u64> {
        self.may_show.then_some(64 << 20)
    }

    /// The line `kill -USR1` prints, as dd's: bytes copied, files, elapsed time and rate, e.g.
    /// `1.50 GiB (1610612736 bytes) copied, 3/7 files, 3.2 s, 480 MiB/s`.
    pub fn status_line(&self) -> String {
        status_line(&self.shared)
    }
}

/// Calls of [`ProgressDisplay::poll_status`] on this thread so far, counting this one.
fn next_poll_of_this_thread() -> u32 {
    thread_local! {
        static POLLS: Cell<u32> = const { Cell::new(0) };
    }
    POLLS.with(|polls| {
        let n = polls.get();
        polls.set(n.wrapping_add(1));
        n
    })
}

/// How long after the bar appears its rate is the run's average rather than indicatif's recent
/// estimate.
const AVERAGE_RATE_FOR: Duration = Duration::from_secs(3);

/// The rate the line shows, in bytes per second: for the bar's first [`AVERAGE_RATE_FOR`],
/// the run's average (bytes copied over the time since it started), then indicatif's recent
/// estimate. A stream that arrives in bursts showed 200-970 MiB/s in its first frames for
/// a 2.5 MiB/s copy (red team, round 19): the estimate's first steps were one burst, read
/// from the pipe's buffer at memory speed.
///
/// After a stop (SIGCONT), the same from the moment the run went on: the average of the bytes
/// copied since, then indicatif's estimate, which forgot the stop.
fn rate(shared: &Shared, state: &ProgressState) -> f64 {
    let window = *shared.window();
    let rate = if window.opened.elapsed() >= AVERAGE_RATE_FOR {
        state.per_sec()
    } else {
        let secs = window.since.elapsed().as_secs_f64();
        let bytes = shared.counters.bytes_done.total();
        // Not over less than RATE_AFTER: a stream's first read, at once, read as 13 MiB/s
        // in the first frame of a 400 KiB/s copy (round 20).
        if secs >= RATE_AFTER.as_secs_f64() {
            bytes.saturating_sub(window.bytes_before) as f64 / secs
        } else {
            0.0
        }
    };
    shared.last_rate.store(rate.to_bits(), Ordering::Relaxed);
    rate
}

/// The time at the rate shown before a stop that the average after it starts with
/// ([`ProgressDisplay::after_a_stop`]).
const RATE_PRIOR: Duration = Duration::from_secs(1);

/// How long the run goes before the line shows a rate (and a time left).
const RATE_AFTER: Duration = Duration::from_millis(200);

/// The `kill -USR1` line (see [`ProgressDisplay::status_line`]).
fn status_line(shared: &Shared) -> String {
    let c = &shared.counters;
    let bytes = c.bytes_done.total();
    let secs = shared.started.elapsed().as_secs_f64();
    let done = c.files_done.load(Ordering::Relaxed);
    let total = c.files_total.load(Ordering::Relaxed);
    let rate = if secs > 0.0 { bytes as f64 / secs } else { 0.0 };
    let growing = if c.totals_final.load(Ordering::Relaxed) {
        ""
    } else {
        "≥"
    };
    format!(
        "{} copied, {done}/{growing}{total} files, {secs:.1} s, {}/s",
        human_size(bytes),
        human_bytes(rate as u64)
    )
}

/// Prints the status line on standard error, with the bar out of the way.
fn print_status(shared: &Shared, program: &str) {
    let line = status_line(shared);
    shared.suspend(|| {
        use std::io::Write as _;
        // One write (see Reporter::stderr_line).
        let text = format!("{program}: {line}\n");
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    });
}

impl Counters {
    /// Whether the byte and file totals are known: every operand planned, and no job of an
    /// unknown length still running.
    fn totals_known(&self) -> bool {
        self.totals_final.load(Ordering::Relaxed) && self.open_ended.load(Ordering::Relaxed) == 0
    }
}

impl Progress for ProgressDisplay {
    fn job_ended(&self, planned: Option<u64>, counted: u64) {
        let c = &self.shared.counters;
        let planned_bytes = planned.unwrap_or(0);
        if counted > planned_bytes {
            let more = counted - planned_bytes;
            c.bytes_total.fetch_add(more, Ordering::Relaxed);
            // A file that grew makes the total larger: the percentage held so far (it never
            // goes back otherwise) would stand above the bar's fill (red team, round 21: a
            // bar at 55% beside `98%`); it follows the bar from here.
            if planned.is_some() {
                c.shown_percent.store(0, Ordering::Relaxed);
            }
            if let Some(bar) = self.shared.bar.get() {
                bar.inc_length(more);
            }
        } else if counted < planned_bytes {
            self.skip(planned_bytes - counted);
        }
        if planned.is_none() {
            let _ = c
                .open_ended
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        }
    }

    /// One file finished (copied or failed), counted by the thread that ran it.
    fn file_done(&self) {
        let c = &self.shared.counters;
        c.files_done.fetch_add(1, Ordering::Relaxed);
        self.maybe_show();
        self.poll_status();
        self.tick();
    }

    /// A hole leaves the totals: the bar counts the bytes to copy, so its rate, time left and
    /// `kill -USR1`'s "copied" are the bytes copied, as `--stats` counts them.
    fn skip(&self, bytes: u64) {
        let c = &self.shared.counters;
        let _ = c
            .bytes_total
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_sub(bytes))
            });
        if let Some(bar) = self.shared.bar.get() {
            bar.dec_length(bytes);
        }
        self.maybe_show();
        self.poll_status();
    }

    fn advance(&self, bytes: u64) {
        self.after_a_stop(bytes);
        self.shared.counters.bytes_done.add(bytes);
        // A bar made here starts from the counters, these bytes included: not told of them
        // again.
        let drawn = self.shared.bar.get().is_some();
        self.maybe_show();
        if let (true, Some(bar)) = (drawn, self.shared.bar.get()) {
            bar.inc(bytes);
        }
        self.poll_status();
    }
}

/// The columns the bar's line may take: the terminal's width (standard error's, or 80 when it
/// cannot be asked) less [`ECHO_COLUMNS`]. indicatif pads each frame with spaces to the width
/// its draw target gives (`StderrFrames::width`, this one), so this is also where the cursor
/// waits between frames.
fn drawing_width() -> usize {
    let columns = match rustix::termios::tcgetwinsize(rustix::stdio::stderr()) {
        Ok(size) if size.ws_col > 0 && size.ws_row > 0 => usize::from(size.ws_col),
        _ => 80,
    };
    columns.saturating_sub(ECHO_COLUMNS).max(1)
}

/// Columns left free right of the bar for the terminal's echo of `^C`. Padded to the full
/// width, a frame left the cursor in the last column; the echo then wrapped to a new line, the
/// clear before the interrupt message erased only that one, and the bar stayed on the screen
/// above the message (new-user trial, round 20, in tmux).
const ECHO_COLUMNS: usize = 2;

mod line;
mod shards;
mod terminal;

pub use self::line::{human_bytes, human_size};
use self::line::{render, View};
use self::shards::ByteCount;

#[cfg(test)]
mod tests;
