//! The progress line: what one draw of the bar says (bytes, percentage, rate, time left, files,
//! the bar itself), fitted to the terminal's width, and the sizes and times in it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Counters;

/// The widest the bar itself gets, in columns, and the narrowest worth drawing.
const BAR_MAX: usize = 30;
const BAR_MIN: usize = 10;

/// The columns kept for the time-left field beside a bar (`verifying...`, its widest form), so
/// the bar keeps its width when `ETA 1s` becomes `flushing...` or `done`, wherever the slot
/// fits beside a bar wider than its narrowest (new-user trial, round 19: the bar shrank by
/// three columns in the last frames).
const ETA_COLS: usize = 12;

/// The widest a size gets in the line (`1023.99 KiB`, [`human_bytes`]), and a rate
/// (`1023.99 MiB/s`).
const SIZE_COLS: usize = 11;
const RATE_COLS: usize = SIZE_COLS + 2;

/// What the bar's state says at one draw.
pub(super) struct View {
    /// Bytes copied and to copy.
    pub(super) pos: u64,
    pub(super) len: u64,
    /// Bytes per second, recently.
    pub(super) per_sec: f64,
    /// The time left at that rate.
    pub(super) eta: Duration,
}

impl View {
    /// A view of `pos` of `len` bytes at `per_sec` (unit tests).
    #[cfg(test)]
    pub(super) fn of_parts(pos: u64, len: u64, per_sec: f64) -> View {
        let counters = Counters::default();
        counters.bytes_done.add(pos);
        counters.bytes_total.store(len, Ordering::Relaxed);
        View::of(&counters, per_sec)
    }

    /// The counters now, at `per_sec` bytes per second (indicatif's estimate): the time left
    /// is the bytes left at that rate.
    pub(super) fn of(c: &Counters, per_sec: f64) -> View {
        let pos = c.bytes_done.total();
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
/// column makes some terminals wrap). `ascii`: the locale is not UTF-8, so a lower bound is
/// marked `>=` instead of `≥`.
///
/// On a narrow terminal the bar shrinks to [`BAR_MIN`] columns first; then the ETA, the rate
/// and the file count are dropped, in that order, and only then the bar itself (then the
/// percentage): a standard 80-column terminal copying a large tree keeps a bar, which is what
/// `--progress` asks for, and the figures a person reads first (bytes, percentage, files).
pub(super) fn render(view: &View, counters: &Counters, width: usize, ascii: bool) -> String {
    let (pos, len) = (view.pos, view.len);
    // The total is known once every operand is planned and the sizes have held (a stream, or a
    // file that grew, has more than its size said: its total is then only a lower bound). A
    // total of 0 bytes (empty files) is a total too: `0 B/0 B 100%`, then `done` (red team,
    // round 20: it read `0 B/≥0 B` to the end).
    let final_ = counters.totals_known() && pos <= len;
    let fields = fields(view, counters, final_, if ascii { ">=" } else { "≥" });
    let room = width.saturating_sub(1);
    // Which fields are shown, and the bar's width, are chosen from the fields' widest forms
    // (and the rate's and time left's before they appear), not from what they say now: the
    // line then keeps one layout from its first frame to its last (new-user trial and red
    // team, round 20: the bar went from 30 columns to 24 and 23, and at 45-66 columns fields
    // came and went and the bar changed with them).
    let widest = widest_forms(&fields, counters, final_, len);
    // The bar (once the totals are final: a bar over a growing total would move backwards)
    // comes before the three lowest fields: its narrowest form is kept while the bytes and the
    // percentage fit beside it.
    const BAR_COLS: usize = BAR_MIN + 2 + 1;
    let slots: Vec<(usize, u8)> = (0..fields.len())
        .filter(|&i| widest[i] > 0)
        .map(|i| (widest[i], fields[i].1))
        .collect();
    let above_bar: Vec<(usize, u8)> = slots.iter().copied().filter(|s| s.1 > 3).collect();
    let with_bar = final_ && fit_slots(&above_bar, usize::MAX).1 + BAR_COLS <= room;
    let (kept, cols) = fit_slots(&slots, room - if with_bar { BAR_COLS } else { 0 });
    let text = (0..fields.len())
        .filter(|&i| kept.contains(&fields[i].1))
        .filter_map(|i| fields[i].0.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    if cols > room || text.chars().count() > room {
        return narrow_line(view, fields[1].0.as_deref(), room);
    }
    let mut line = String::new();
    if with_bar {
        let inner = room.saturating_sub(cols + 3).clamp(BAR_MIN, BAR_MAX);
        line.push_str(&bar_text(pos, len, inner));
        line.push(' ');
    }
    line.push_str(&text);
    if line.chars().count() > room {
        return narrow_line(view, fields[1].0.as_deref(), room);
    }
    line
}

/// The widest each of [`fields`] gets in this run, in columns (0: it never shows): the bytes
/// copied up to [`SIZE_COLS`] (or the total's width, under 1 KiB) beside the total, the
/// percentage's 4, the rate's [`RATE_COLS`] (from its first bytes on), the time left's
/// [`ETA_COLS`] (once the totals are final), the files done up to the total's digits.
fn widest_forms(
    fields: &[(Option<String>, u8); 5],
    counters: &Counters,
    final_: bool,
    len: u64,
) -> [usize; 5] {
    let width = |i: usize| fields[i].0.as_deref().map_or(0, |f| f.chars().count());
    let copied_cols = if len < 1024 {
        human_bytes(len).chars().count()
    } else {
        SIZE_COLS
    };
    let bytes = fields[0]
        .0
        .as_deref()
        .and_then(|b| b.split_once('/'))
        .map_or(0, |(copied, rest)| {
            copied_cols.max(copied.chars().count()) + 1 + rest.chars().count()
        });
    let files = fields[4]
        .0
        .as_deref()
        .and_then(|f| f.split_once('/'))
        .map_or(0, |(done, rest)| {
            let total = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
            let digits = total.chars().take_while(char::is_ascii_digit).count();
            digits.max(done.chars().count()) + 1 + rest.chars().count()
        });
    let files_total = counters.files_total.load(Ordering::Relaxed);
    [
        bytes,
        width(1),
        RATE_COLS.max(width(2)),
        if final_ { ETA_COLS.max(width(3)) } else { 0 },
        if files_total > 1 {
            files.max(width(4))
        } else {
            0
        },
    ]
}

/// Which slots (`(columns, rank)`) fit in `room` columns with a space between each, dropping
/// the lowest-ranked first (the first left stays, however wide): their ranks, and the columns
/// they take.
fn fit_slots(slots: &[(usize, u8)], room: usize) -> (Vec<u8>, usize) {
    let mut keep = slots.to_vec();
    let cols = |keep: &[(usize, u8)]| {
        keep.iter().map(|s| s.0).sum::<usize>() + keep.len().saturating_sub(1)
    };
    while cols(&keep) > room && keep.len() > 1 {
        let lowest = (0..keep.len()).min_by_key(|&i| keep[i].1).expect("slots");
        keep.remove(lowest);
    }
    let taken = cols(&keep);
    (keep.into_iter().map(|s| s.1).collect(), taken)
}

/// The line for a terminal too narrow for the bytes field (`10.00 MiB/20.00 MiB`): the bytes
/// copied and the percentage, or one of them, or nothing, never a field cut short (red team,
/// round 19: at 20 columns the line read `10.00 MiB/20.00 M`, at 5 `12`).
fn narrow_line(view: &View, percent: Option<&str>, room: usize) -> String {
    let copied = human_bytes(view.pos);
    let percent = percent.map(str::trim_start);
    let both = percent.map(|p| format!("{copied} {p}"));
    [both, Some(copied), percent.map(str::to_owned)]
        .into_iter()
        .flatten()
        .find(|line| line.chars().count() <= room)
        .unwrap_or_default()
}

/// The line's fields in the order they are shown, each with its rank (the lowest is dropped
/// first): bytes 5, percentage 4, files 3, rate 2, ETA 1. `ge` marks a lower bound.
fn fields(view: &View, counters: &Counters, final_: bool, ge: &str) -> [(Option<String>, u8); 5] {
    let (pos, len) = (view.pos, view.len);
    let files_total = counters.files_total.load(Ordering::Relaxed);
    let files_done = counters.files_done.load(Ordering::Relaxed);
    // The files are counted once every operand is planned, even while a stream's length (so
    // the bytes' total) is still unknown.
    let files_ge = if counters.totals_final.load(Ordering::Relaxed) {
        ""
    } else {
        ge
    };
    let ge = if final_ { "" } else { ge };
    let bytes = format!("{}/{ge}{}", human_bytes(pos), human_bytes(len.max(pos)));
    let percent = final_.then(|| {
        let now = (pos as u128 * 100)
            .checked_div(len as u128)
            .map_or(100, |p| p as u64);
        counters
            .shown_percent
            .fetch_max(now, Ordering::Relaxed)
            .max(now)
    });
    // No rate or ETA until bytes have moved: a first frame's `0 B/s ETA 0s` says nothing.
    let moving = pos > 0 && view.per_sec > 0.0;
    let rate = moving.then(|| format!("{}/s", human_bytes(view.per_sec as u64)));
    // Once every byte is through: what is left (flushing, verifying), then `done`, never back
    // to `ETA 0s` (new-user trial, round 19: the last frames went `flushing...`, `ETA 0s`).
    let eta = if !final_ {
        None
    } else if pos >= len && files_done >= files_total {
        Some("done".to_owned())
    } else if len == 0 {
        // Empty files: no bytes to flush or verify while the files are still being made.
        None
    } else if pos >= len {
        let verifying = counters.verifying.load(Ordering::Relaxed);
        Some(
            if verifying {
                "verifying..."
            } else {
                "flushing..."
            }
            .to_owned(),
        )
    } else {
        moving.then(|| format!("ETA {}", duration_text(view.eta)))
    };
    let files = (files_total > 1).then(|| format!("{files_done}/{files_ge}{files_total} files"));
    [
        (Some(bytes), 5),
        (percent.map(|p| format!("{p:>3}%")), 4),
        (rate, 2),
        (eta, 1),
        (files, 3),
    ]
}

/// `[=====>    ]` with `inner` columns between the brackets, filled in the ratio `pos / len`
/// (`len` is not 0).
pub(super) fn bar_text(pos: u64, len: u64, inner: usize) -> String {
    // A total of 0 bytes is all through: a full bar.
    let filled = (pos as u128 * inner as u128)
        .checked_div(len as u128)
        .map_or(inner, |f| f as usize);
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

/// A time left: `4s`, `1m05s`, `2h03m`, `>999h`, rounded up (to the second; past an hour, to the
/// minute), so a copy with 0.4 s to go shows `1s`, never `0s` while it runs.
pub(super) fn duration_text(d: Duration) -> String {
    let s = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        // Wider would not fit the time left's slot ([`ETA_COLS`]); a 15 TiB sparse file said
        // `ETA 783718h44m` (red team, round 20).
        3_600_000.. => ">999h".to_owned(),
        _ => {
            let m = s.div_ceil(60);
            format!("{}h{:02}m", m / 60, m % 60)
        }
    }
}
