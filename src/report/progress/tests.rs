//! Unit tests of [`super`].

use super::line::*;
use super::*;

fn state_line(pos: u64, len: u64, files: (u64, u64), final_: bool, width: usize) -> String {
    let counters = Counters::default();
    counters.files_done.store(files.0, Ordering::Relaxed);
    counters.files_total.store(files.1, Ordering::Relaxed);
    counters.totals_final.store(final_, Ordering::Relaxed);
    let view = View {
        pos,
        len,
        per_sec: 123.0 * 1024.0 * 1024.0,
        eta: Duration::from_secs(75),
    };
    render(&view, &counters, width, false)
}

#[test]
fn fits_every_width() {
    for width in [40, 60, 80, 120] {
        let line = state_line(3 << 30, 7 << 30, (1234, 4417), true, width);
        assert!(line.chars().count() < width, "{width}: {line:?}");
        assert!(line.contains("3.00 GiB/7.00 GiB"), "{width}: {line:?}");
    }
    let wide = state_line(3 << 30, 7 << 30, (1234, 4417), true, 120);
    assert!(wide.contains(" 42%") && wide.contains("1234/4417 files"));
    assert!(wide.starts_with("[====="), "{wide:?}");
}

#[test]
fn growing_totals_are_lower_bounds_without_percentage() {
    let line = state_line(1 << 20, 2 << 20, (3, 9), false, 80);
    assert!(line.contains("1.00 MiB/≥2.00 MiB"), "{line:?}");
    assert!(line.contains("3/≥9 files"), "{line:?}");
    assert!(!line.contains('%') && !line.contains("ETA") && !line.contains('['));
}

/// New-user trial (round 7): at 80 columns with many files the bar was dropped before the rate
/// and the file count, though the README said the bar shrinks first. The bar now keeps its
/// narrowest form until the ETA, the rate and the files are gone.
#[test]
fn a_standard_terminal_keeps_the_bar_and_drops_the_eta_rate_and_files_first() {
    let line = state_line(1234 << 20, 7 << 30, (1_234_567, 2_345_678), true, 80);
    // 17% of a bar of at least BAR_MIN columns (round 20: the bar keeps room for the fields'
    // widest forms, so it is narrower than the spare columns now).
    let inner = line.find(']').expect("a bar") - 1;
    assert!(inner >= 10 && line.starts_with("[=="), "{line:?}");
    assert!(
        line.contains("1.21 GiB/7.00 GiB  17% 123.00 MiB/s"),
        "{line:?}"
    );
    assert!(line.ends_with(" 1234567/2345678 files"), "{line:?}");
    assert!(!line.contains("ETA"), "{line:?}");
    // Narrower: the files go before the bar; the bar before the percentage.
    let line = state_line(1234 << 20, 7 << 30, (1_234_567, 2_345_678), true, 40);
    assert!(line.starts_with("[") && line.ends_with("17%"), "{line:?}");
    assert!(!line.contains("files"), "{line:?}");
    let line = state_line(1234 << 20, 7 << 30, (1_234_567, 2_345_678), true, 30);
    assert_eq!(line, "1.21 GiB/7.00 GiB  17%");
}

#[test]
fn a_lower_bound_is_marked_in_ascii_outside_a_utf8_locale() {
    let counters = Counters::default();
    counters.files_total.store(9, Ordering::Relaxed);
    let view = View {
        pos: 1 << 20,
        len: 2 << 20,
        per_sec: 0.0,
        eta: Duration::ZERO,
    };
    assert_eq!(
        render(&view, &counters, 80, true),
        "1.00 MiB/>=2.00 MiB 0/>=9 files"
    );
}

#[test]
fn all_bytes_through_but_files_open_is_flushing() {
    let line = state_line(5 << 20, 5 << 20, (3, 4), true, 100);
    assert!(line.contains("flushing..."), "{line:?}");
}

#[test]
fn all_bytes_through_with_verify_is_verifying() {
    let counters = Counters::default();
    counters.files_done.store(0, Ordering::Relaxed);
    counters.files_total.store(1, Ordering::Relaxed);
    counters.totals_final.store(true, Ordering::Relaxed);
    counters.verifying.store(true, Ordering::Relaxed);
    let view = View {
        pos: 5 << 20,
        len: 5 << 20,
        per_sec: 1024.0,
        eta: Duration::ZERO,
    };
    let line = render(&view, &counters, 100, false);
    assert!(line.contains("verifying..."), "{line:?}");
    assert!(!line.contains("flushing"), "{line:?}");
}

#[test]
fn more_bytes_than_the_sizes_said_is_a_lower_bound() {
    let line = state_line(12 << 20, 0, (0, 1), true, 80);
    assert!(line.starts_with("12.00 MiB/≥12.00 MiB"), "{line:?}");
    assert!(
        !line.contains('%') && !line.contains("flushing"),
        "{line:?}"
    );
}

#[test]
fn sizes_for_people() {
    assert_eq!(human_size(1610612736), "1.50 GiB (1610612736 bytes)");
    assert_eq!(human_size(1), "1 byte");
    assert_eq!(human_size(0), "0 bytes");
    assert_eq!(human_bytes(3 << 20), "3.00 MiB");
    assert_eq!(duration_text(Duration::from_secs(65)), "1m05s");
}

/// New-user trial (round 4): the ETA rounded down, showing `ETA 0s` for the last second of a
/// copy. A time left rounds up.
#[test]
fn time_left_rounds_up() {
    assert_eq!(duration_text(Duration::from_millis(400)), "1s");
    assert_eq!(duration_text(Duration::ZERO), "0s");
    assert_eq!(duration_text(Duration::from_millis(59_001)), "1m00s");
    assert_eq!(duration_text(Duration::from_secs(3599)), "59m59s");
    assert_eq!(duration_text(Duration::from_secs(3600)), "1h00m");
    assert_eq!(duration_text(Duration::from_secs(3601)), "1h01m");
    assert_eq!(
        duration_text(Duration::from_secs(2 * 3600 + 3 * 60)),
        "2h03m"
    );
}

#[test]
fn no_rate_or_eta_before_a_byte_has_moved() {
    let counters = Counters::default();
    counters.totals_final.store(true, Ordering::Relaxed);
    let view = View {
        pos: 0,
        len: 1 << 30,
        per_sec: 0.0,
        eta: Duration::ZERO,
    };
    let line = render(&view, &counters, 80, false);
    assert!(!line.contains("B/s") && !line.contains("ETA"), "{line:?}");
    assert!(
        line.contains("0 B/1.00 GiB") && line.contains("0%"),
        "{line:?}"
    );
}

/// Bytes added from more threads than there are shards still add up exactly.
#[test]
fn byte_count_adds_from_many_threads_sum_exactly() {
    let count = super::shards::ByteCount::default();
    std::thread::scope(|scope| {
        for t in 0..20u64 {
            let count = &count;
            scope.spawn(move || {
                for _ in 0..1000 {
                    count.add(t + 1);
                }
            });
        }
    });
    count.add(5);
    // 1000 × (1 + 2 + … + 20) from 20 threads (more than the shards), plus 5 here.
    assert_eq!(count.total(), 1000 * 210 + 5);
}

/// New-user trial, round 19: the last frames of a copy went `ETA 1s`, `flushing...` (with a
/// bar three columns narrower), `ETA 0s`. They now go `ETA 1s`, `flushing...`, `done`, with
/// one bar width throughout.
#[test]
fn the_last_frames_keep_the_bar_width_and_end_with_done() {
    let len = 400 << 20;
    for width in [80, 100, 120] {
        let running = state_line(len / 2, len, (0, 1), true, width);
        let flushing = state_line(len, len, (0, 1), true, width);
        let done = state_line(len, len, (1, 1), true, width);
        assert!(running.contains("ETA "), "{running:?}");
        assert!(flushing.ends_with("flushing..."), "{flushing:?}");
        assert!(done.ends_with(" done"), "{done:?}");
        let bar = |line: &str| line.find(']').expect("a bar");
        assert_eq!(
            bar(&running),
            bar(&flushing),
            "{width}: {running:?} {flushing:?}"
        );
        assert_eq!(bar(&flushing), bar(&done), "{width}: {done:?}");
    }
}

/// Red team, round 20: a copy of empty files (a total of 0 bytes) read `0 B/≥0 B` from the first
/// frame to the last and never `done`. Once the totals are final it is a total like any other.
#[test]
fn a_total_of_zero_bytes_is_final_and_ends_with_done() {
    for width in [40, 80, 120] {
        let open = state_line(0, 0, (0, 3), true, width);
        let done = state_line(0, 0, (3, 3), true, width);
        for line in [&open, &done] {
            assert!(
                line.contains("0 B/0 B") && !line.contains('≥'),
                "{width}: {line:?}"
            );
            assert!(line.contains("100%"), "{width}: {line:?}");
        }
        // At 40 columns the time-left slot is the first field dropped (see above).
        if width >= 80 {
            assert!(open.ends_with("100% 0/3 files"), "{open:?}");
            assert!(
                done.starts_with("[=") && done.ends_with("100% done 3/3 files"),
                "{done:?}"
            );
        }
    }
    // Before the totals are final, 0 bytes is still a lower bound.
    let growing = state_line(0, 0, (0, 3), false, 80);
    assert!(growing.contains("0 B/≥0 B"), "{growing:?}");
}

/// New-user trial, round 21: with a stream (length unknown) the totals are a lower bound
/// until it ends, even with every operand planned: the bar said `0 B/0 B 100%` while fcopy
/// waited for the stream's first byte. When it ends its bytes join the total: `done`.
#[test]
fn a_job_of_unknown_length_keeps_the_totals_a_lower_bound_until_it_ends() {
    let display = ProgressDisplay::new(ProgressWhen::Never, false);
    display.add_total(None, 1);
    let counters = &display.shared.counters;
    let view = |pos, len| View::of_parts(pos, len, 0.0);
    let waiting = render(&view(0, 0), counters, 80, false);
    assert!(
        waiting.starts_with("0 B/≥0 B") && !waiting.contains('%'),
        "{waiting:?}"
    );
    display.advance(3);
    display.job_ended(None, 3);
    display.file_done();
    let done = render(&view(3, 3), counters, 80, false);
    assert!(
        done.starts_with("[=") && done.ends_with("3 B/3 B 100% done"),
        "{done:?}"
    );
}

/// Red team, round 21: one operand's totals were final before its job was counted, so the bar
/// drawn after `-i`'s question said `0 B/0 B 100%`, and the percentage, which never goes back,
/// stayed at 100% for the whole copy. They are final once the job is counted.
#[test]
fn one_operand_totals_are_final_once_its_job_is_counted() {
    let display = ProgressDisplay::new(ProgressWhen::Never, false);
    let counters = &display.shared.counters;
    let before = render(&View::of_parts(0, 0, 0.0), counters, 80, false);
    assert!(
        before.starts_with("0 B/≥0 B") && !before.contains('%'),
        "{before:?}"
    );
    display.add_total(Some(200 << 20), 1);
    let start = render(&View::of_parts(0, 200 << 20, 0.0), counters, 80, false);
    assert!(start.contains("0 B/200.00 MiB   0%"), "{start:?}");
    let half = render(
        &View::of_parts(100 << 20, 200 << 20, 1e6),
        counters,
        80,
        false,
    );
    assert!(half.contains(" 50%"), "{half:?}");
}

/// Red team, round 21: a file that grew while a tree was copied made the total larger, and the
/// percentage, held so far, stood at 98% beside a bar back at 55%. It follows the bar again.
#[test]
fn the_percentage_follows_a_total_that_grew() {
    let display = ProgressDisplay::new(ProgressWhen::Never, true);
    display.add_total(Some(100), 1);
    display.add_total(Some(100), 1);
    display.totals_final();
    let c = &display.shared.counters;
    display.advance(90);
    let before = render(&View::of_parts(90, 200, 10.0), c, 80, false);
    assert!(before.contains(" 45%"), "{before:?}");
    display.advance(60);
    display.job_ended(Some(100), 150);
    display.file_done();
    let total = c.bytes_total.load(Ordering::Relaxed);
    assert_eq!(total, 250);
    let after = render(&View::of_parts(150, total, 10.0), c, 80, false);
    assert!(after.contains(" 60%"), "{after:?}");
}

/// A file that shrank or grew while it was copied ends at what was copied: its bar ended at
/// `33% ... ETA 2s` (shrank to a third) or `292.97 KiB/≥292.97 KiB` (grew from 0), never `done`
/// (red team, round 21).
#[test]
fn a_file_that_changed_size_ends_at_what_was_copied() {
    for (planned, copied) in [(300_000u64, 100_000u64), (0, 300_000)] {
        let display = ProgressDisplay::new(ProgressWhen::Never, false);
        display.add_total(Some(planned), 1);
        display.advance(copied);
        display.job_ended(Some(planned), copied);
        display.file_done();
        let c = &display.shared.counters;
        let total = c.bytes_total.load(Ordering::Relaxed);
        assert_eq!(total, copied, "planned {planned}");
        let line = render(&View::of_parts(copied, total, 1e5), c, 80, false);
        assert!(
            line.contains(" 100%") && line.ends_with(" done"),
            "{line:?}"
        );
    }
}

/// Red team, round 19: on a terminal narrower than the bytes field the line was cut inside a
/// number or unit (`10.00 MiB/20.00 M`, `12`). Now a shorter whole form is shown, or nothing.
#[test]
fn a_narrow_terminal_shows_whole_fields_or_nothing() {
    let (pos, len) = (10 << 20, 20 << 20);
    assert_eq!(state_line(pos, len, (0, 1), true, 18), "10.00 MiB 50%");
    assert_eq!(state_line(pos, len, (0, 1), false, 18), "10.00 MiB");
    assert_eq!(state_line(pos, len, (0, 1), true, 8), "50%");
    assert_eq!(state_line(pos, len, (0, 1), false, 8), "");
    for width in 1..30 {
        let line = state_line(pos, len, (0, 1), true, width);
        assert!(line.chars().count() < width.max(1), "{width}: {line:?}");
        for word in line.split_whitespace() {
            assert!(
                ["10.00", "MiB", "MiB/20.00", "50%"].contains(&word),
                "{width}: {line:?}"
            );
        }
    }
}

/// The bar's width does not depend on how wide the figures beside it are now: the same at
/// 0 B as at 1023.99 MiB, before the rate and time left appear as after (round 20).
#[test]
fn the_bar_width_holds_while_the_figures_change() {
    let bar = |pos: u64, per_sec: f64, files: (u64, u64)| {
        let counters = Counters::default();
        counters.files_done.store(files.0, Ordering::Relaxed);
        counters.files_total.store(files.1, Ordering::Relaxed);
        counters.totals_final.store(true, Ordering::Relaxed);
        let len = 3 << 30;
        let view = View::of_parts(pos, len, per_sec);
        let line = render(&view, &counters, 80, false);
        line.find(']').unwrap_or_else(|| panic!("no bar: {line:?}"))
    };
    let first = bar(0, 0.0, (0, 250));
    for (pos, rate, done) in [
        (5, 0.0, 0),
        (1023 << 20, 5e5, 9),
        (1 << 30, 9.9e8, 10),
        (2_000_000_000, 1.5e6, 249),
        (3 << 30, 1.0, 250),
    ] {
        assert_eq!(bar(pos, rate, (done, 250)), first, "{pos} {rate} {done}");
    }
}

/// At every width, one layout from the first frame to the last: the bar's width and the fields
/// shown hold while the figures change, the rate and time left appear, and the copy ends (red
/// team, round 20: between 45 and 66 columns the ETA came and went and the bar with it; at
/// 36-43 the bar showed in the first frame only). No line is wider than the terminal allows.
#[test]
fn one_layout_from_first_frame_to_last_at_every_width() {
    for (len, files_total) in [
        (1023u64 << 20, 1u64),
        (1023, 1),
        (15 << 40, 1),
        (7 << 30, 10_000),
    ] {
        for width in 20..=200 {
            let mut bars = Vec::new();
            let steps = [
                0u64,
                1,
                5,
                999,
                1 << 20,
                64 << 20,
                101 << 20,
                len / 2,
                len - 1,
                len,
            ];
            for (step, &pos) in steps.iter().enumerate() {
                let pos = pos.min(len);
                let counters = Counters::default();
                counters.files_total.store(files_total, Ordering::Relaxed);
                counters
                    .files_done
                    .store(files_total * step as u64 / 9, Ordering::Relaxed);
                counters.totals_final.store(true, Ordering::Relaxed);
                let rate = [0.0, 1.0, 3e3, 5.5e8, 1.1e9][step % 5];
                let view = View::of_parts(pos, len, rate);
                let line = render(&view, &counters, width, false);
                assert!(line.chars().count() < width, "{width}: {line:?}");
                bars.push((line.find(']'), line));
            }
            let first = bars[0].0;
            assert!(
                bars.iter().all(|(b, _)| *b == first),
                "{len} at {width}: {bars:?}"
            );
        }
    }
    assert_eq!(duration_text(Duration::from_secs(2_821_387_440)), ">999h");
}

/// The README's examples (Progress), as rendered.
#[test]
fn the_readme_examples() {
    let counters = Counters::default();
    counters.files_total.store(1, Ordering::Relaxed);
    counters.totals_final.store(true, Ordering::Relaxed);
    let len = 1_567_663_063; // 1.46 GiB
    let view = View {
        eta: Duration::from_secs(127),
        ..View::of_parts(37_486_592, len, 11.51 * 1024.0 * 1024.0)
    };
    assert_eq!(
        render(&view, &counters, 60 - 2, false),
        "[>              ] 35.75 MiB/1.46 GiB   2% 11.51 MiB/s"
    );
    assert_eq!(
        render(&view, &counters, 80 - 2, false),
        "[>                     ] 35.75 MiB/1.46 GiB   2% 11.51 MiB/s ETA 2m07s"
    );
}
