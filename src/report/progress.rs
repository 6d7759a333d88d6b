//! The progress bar (indicatif, on standard error) and the counters behind it, which also answer
//! `kill -USR1` with one status line, as dd does.
//!
//! `auto` shows the bar only on a terminal and only once the copy has run for about a second.
//! The line is fitted to the terminal's width every time it is drawn: fields are dropped (the bar
//! first, then the ETA, the rate, the file count) rather than let the line wrap, since a wrapped
//! line cannot be cleared and would stay on the screen. While the walk is still finding files the
//! totals are shown as lower bounds (`≥`) and there is no percentage, bar or ETA (they would go
//! backwards); once every operand is planned, the percentage only moves forward, and when all
//! bytes are through but files are still being finished (fsync, metadata) the line says
//! `flushing...` instead of a false 100% with ETA 0s.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once, OnceLock};
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

/// The widest the bar itself gets, in columns, and the narrowest worth drawing.
const BAR_MAX: usize = 30;
const BAR_MIN: usize = 10;

/// The counters the bar and the SIGUSR1 status line read.
#[derive(Default)]
struct Counters {
    /// Bytes copied, and bytes to copy (a lower bound while the totals grow).
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
    files_total: AtomicU64,
    files_done: AtomicU64,
    /// Every operand has been planned: the totals no longer grow.
    totals_final: AtomicBool,
    /// The highest percentage shown so far (the percentage never goes backwards).
    shown_percent: AtomicU64,
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
}

impl Shared {
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
    /// Still hidden, waiting for `AUTO_DELAY`.
    waiting: AtomicBool,
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
        });
        shared
            .counters
            .totals_final
            .store(!growing, Ordering::Relaxed);
        let display = ProgressDisplay {
            shared,
            waiting: AtomicBool::new(mode == ProgressWhen::Auto),
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
            bar.set_position(c.bytes_done.load(Ordering::Relaxed));
            bar.set_style(
                ProgressStyle::with_template("{fcopy}")
                    .expect("a valid template")
                    .with_key(
                        "fcopy",
                        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let Some(shared) = shared.upgrade() else {
                                return;
                            };
                            let view = View::of(&shared.counters, state.per_sec());
                            // Two columns stay free for the terminal's echo of `^C`, which
                            // would otherwise wrap the line and leave the bar above the
                            // message.
                            let width = terminal_width().saturating_sub(2);
                            let _ = w.write_str(&render(&view, &shared.counters, width));
                        },
                    ),
            );
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar
        });
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
        if status.flag.swap(false, Ordering::Relaxed) {
            print_status(&self.shared, &status.program);
        }
        if self.started() >= STATUS_WATCH_DELAY {
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
    }

    /// More work was found: `bytes` more to copy in `files` more files.
    pub fn add_total(&self, bytes: u64, files: u64) {
        let c = &self.shared.counters;
        c.bytes_total.fetch_add(bytes, Ordering::Relaxed);
        c.files_total.fetch_add(files, Ordering::Relaxed);
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

    /// One file finished (copied or failed).
    pub fn file_done(&self) {
        let c = &self.shared.counters;
        c.files_done.fetch_add(1, Ordering::Relaxed);
        self.maybe_show();
        self.poll_status();
        self.tick();
    }

    fn maybe_show(&self) {
        if self.may_show && self.waiting.load(Ordering::Relaxed) && self.started() >= AUTO_DELAY {
            self.waiting.store(false, Ordering::Relaxed);
            self.show();
        }
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

/// The `kill -USR1` line (see [`ProgressDisplay::status_line`]).
fn status_line(shared: &Shared) -> String {
    let c = &shared.counters;
    let bytes = c.bytes_done.load(Ordering::Relaxed);
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
        let _ = writeln!(std::io::stderr().lock(), "{program}: {line}");
    });
}

impl Progress for ProgressDisplay {
    fn advance(&self, bytes: u64) {
        self.shared
            .counters
            .bytes_done
            .fetch_add(bytes, Ordering::Relaxed);
        if let Some(bar) = self.shared.bar.get() {
            bar.inc(bytes);
        }
        self.maybe_show();
        self.poll_status();
    }
}

/// The terminal's width in columns (standard error's), or 80 when it cannot be asked — the
/// same answer indicatif draws with (it pads each line to that width), so the two agree.
fn terminal_width() -> usize {
    match rustix::termios::tcgetwinsize(rustix::stdio::stderr()) {
        Ok(size) if size.ws_col > 0 && size.ws_row > 0 => usize::from(size.ws_col),
        _ => 80,
    }
}

/// What the bar's state says at one draw.
struct View {
    /// Bytes copied and to copy.
    pos: u64,
    len: u64,
    /// Bytes per second, recently.
    per_sec: f64,
    eta: Duration,
}

impl View {
    /// The counters now, at `per_sec` bytes per second (indicatif's estimate): the time left
    /// is the bytes left at that rate.
    fn of(c: &Counters, per_sec: f64) -> View {
        let pos = c.bytes_done.load(Ordering::Relaxed);
        let len = c.bytes_total.load(Ordering::Relaxed);
        let left = len.saturating_sub(pos) as f64;
        let eta = if per_sec > 0.0 {
            Duration::try_from_secs_f64(left / per_sec).unwrap_or(Duration::MAX)
        } else {
            Duration::ZERO
        };
        View {
            pos,
            len,
            per_sec,
            eta,
        }
    }
}

/// The bar's line for this state, at most `width - 1` columns wide (a line that fills the last
/// column makes some terminals wrap).
fn render(view: &View, counters: &Counters, width: usize) -> String {
    let (pos, len) = (view.pos, view.len);
    // The total is known once every operand is planned and the sizes have held (a stream, or a
    // file that grew, has more than its size said: its total is then only a lower bound).
    let final_ = counters.totals_final.load(Ordering::Relaxed) && pos <= len && len > 0;
    let files_total = counters.files_total.load(Ordering::Relaxed);
    let files_done = counters.files_done.load(Ordering::Relaxed);
    let ge = if final_ { "" } else { "≥" };

    let bytes = format!("{}/{ge}{}", human_bytes(pos), human_bytes(len.max(pos)));
    let percent = final_.then(|| {
        let now = (pos as u128 * 100 / len as u128) as u64;
        counters
            .shown_percent
            .fetch_max(now, Ordering::Relaxed)
            .max(now)
    });
    // No rate or ETA until bytes have moved: a first frame's `0 B/s ETA 0s` says nothing.
    let moving = pos > 0 && view.per_sec > 0.0;
    let rate = moving.then(|| format!("{}/s", human_bytes(view.per_sec as u64)));
    let eta = if !final_ {
        None
    } else if pos >= len && files_done < files_total {
        Some("flushing...".to_owned())
    } else {
        moving.then(|| format!("ETA {}", duration_text(view.eta)))
    };
    let files = (files_total > 1).then(|| format!("{files_done}/{ge}{files_total} files"));

    // Fields in the order they are shown, each with its rank: the lowest rank is dropped first.
    let fields: [(Option<String>, u8); 5] = [
        (Some(bytes), 5),
        (percent.map(|p| format!("{p:>3}%")), 4),
        (rate, 2),
        (eta, 1),
        (files, 3),
    ];
    let room = width.saturating_sub(1);
    let text = fit_fields(&fields, room);
    let mut line = String::new();
    // The bar takes what is left, once the totals are final (a bar over a growing total would
    // move backwards).
    let spare = room.saturating_sub(text.chars().count() + 1);
    if final_ && spare >= BAR_MIN + 2 {
        line.push_str(&bar_text(pos, len, (spare - 2).min(BAR_MAX)));
        line.push(' ');
    }
    line.push_str(&text);
    line.chars().take(room).collect()
}

/// The fields that are present, joined by spaces, dropping the lowest-ranked ones until the
/// text fits in `room` columns (the first that is left stays, however long).
fn fit_fields(fields: &[(Option<String>, u8)], room: usize) -> String {
    let mut keep: Vec<(&str, u8)> = fields
        .iter()
        .filter_map(|(f, rank)| f.as_deref().map(|f| (f, *rank)))
        .collect();
    let cols = |fields: &[(&str, u8)]| -> usize {
        fields.iter().map(|(f, _)| f.chars().count()).sum::<usize>()
            + fields.len().saturating_sub(1)
    };
    while cols(&keep) > room && keep.len() > 1 {
        let lowest = keep
            .iter()
            .enumerate()
            .min_by_key(|(_, (_, rank))| *rank)
            .map(|(at, _)| at)
            .expect("fields");
        keep.remove(lowest);
    }
    keep.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(" ")
}

/// `[=====>    ]` with `inner` columns between the brackets, filled in the ratio `pos / len`
/// (`len` is not 0).
fn bar_text(pos: u64, len: u64, inner: usize) -> String {
    let filled = (pos as u128 * inner as u128 / len as u128) as usize;
    let mut bar = String::from("[");
    for i in 0..inner {
        bar.push(match i.cmp(&filled) {
            std::cmp::Ordering::Less => '=',
            std::cmp::Ordering::Equal if filled < inner => '>',
            _ => ' ',
        });
    }
    bar.push(']');
    bar
}

/// A byte count in binary units with two decimals: `512 B`, `3.00 MiB`, `1.50 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// A size for people and scripts at once: `1.50 GiB (1610612736 bytes)`, `1 byte`, `512 bytes`.
pub fn human_size(n: u64) -> String {
    match n {
        1 => "1 byte".to_owned(),
        0..1024 => format!("{n} bytes"),
        _ => format!("{} ({n} bytes)", human_bytes(n)),
    }
}

/// A time left: `4s`, `1m05s`, `2h03m`, rounded up (to the second; past an hour, to the
/// minute), so a copy with 0.4 s to go shows `1s`, never `0s` while it runs.
fn duration_text(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => {
            let m = s.div_ceil(60);
            format!("{}h{:02}m", m / 60, m % 60)
        }
    }
}

#[cfg(test)]
mod tests;
