//! The progress bar (indicatif, on standard error): bytes, percentage, throughput, ETA and files.
//! `auto` shows it only on a terminal and only once the copy has run for about a second.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ProgressWhen;
use crate::exec::Progress;

/// How long a copy runs before `--progress=auto` shows the bar.
const AUTO_DELAY: Duration = Duration::from_secs(1);

/// The bar and the counters behind it. Shared by the engine's workers and the reporter.
pub struct ProgressDisplay {
    bar: ProgressBar,
    started: Instant,
    /// Still hidden, waiting for `AUTO_DELAY`.
    waiting: AtomicBool,
    files_total: AtomicU64,
    files_done: AtomicU64,
}

impl ProgressDisplay {
    /// A display for this mode, or `None` when nothing would ever be shown.
    pub fn new(mode: ProgressWhen) -> Option<ProgressDisplay> {
        let tty = std::io::stderr().is_terminal();
        if mode == ProgressWhen::Never || (mode == ProgressWhen::Auto && !tty) {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30.cyan/blue} {bytes}/{total_bytes} {percent:>3}% {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        let display = ProgressDisplay {
            bar,
            started: Instant::now(),
            waiting: AtomicBool::new(mode == ProgressWhen::Auto),
            files_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
        };
        if mode == ProgressWhen::Always {
            display.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        Some(display)
    }

    /// More work was found: `bytes` more to copy in `files` more files.
    pub fn add_total(&self, bytes: u64, files: u64) {
        self.bar.inc_length(bytes);
        self.files_total.fetch_add(files, Ordering::Relaxed);
        self.update_message();
    }

    /// One file finished (copied, failed or skipped).
    pub fn file_done(&self) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.update_message();
        self.maybe_show();
    }

    fn update_message(&self) {
        let total = self.files_total.load(Ordering::Relaxed);
        if total > 1 {
            let done = self.files_done.load(Ordering::Relaxed);
            self.bar.set_message(format!("{done}/{total} files"));
        }
    }

    fn maybe_show(&self) {
        if self.waiting.load(Ordering::Relaxed) && self.started.elapsed() >= AUTO_DELAY {
            self.waiting.store(false, Ordering::Relaxed);
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Runs `f` (which prints) with the bar out of the way, so lines never mix with it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Clears the bar for good (at the end, on error or on interrupt).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Whether the bar may be drawn at some point (the engine then copies in smaller chunks).
    pub fn chunk_hint(&self) -> u64 {
        64 << 20
    }
}

impl Progress for ProgressDisplay {
    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
        self.maybe_show();
    }
}
