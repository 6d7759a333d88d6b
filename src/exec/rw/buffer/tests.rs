//! Unit tests of the fallible, halving, page-aligned buffer allocation.

use super::*;
use crate::exec::rw::is_zero;

#[test]
fn halving_asks_for_half_as_much_each_time_down_to_one_page() {
    let mut asked = Vec::new();
    let got = halving(BUFFER_SIZE, 1, |size| {
        asked.push(size);
        (size <= 32 * 1024).then_some(size)
    });
    assert_eq!(got, Some(32 * 1024));
    assert_eq!(asked, [256 * 1024, 128 * 1024, 64 * 1024, 32 * 1024]);

    let mut asked = Vec::new();
    let got: Option<usize> = halving(BUFFER_SIZE, 1, |size| {
        asked.push(size);
        None
    });
    assert_eq!(got, None);
    assert_eq!(asked.last(), Some(&MIN_BUFFER_SIZE));
    assert_eq!(asked.len(), 7, "256 KiB down to 4 KiB: {asked:?}");
}

#[test]
fn halving_never_goes_below_what_is_needed() {
    // A smaller request than one page is tried once, at its size.
    let mut asked = Vec::new();
    let _: Option<()> = halving(100, 1, |size| {
        asked.push(size);
        None
    });
    assert_eq!(asked, [100]);
    // Growing a buffer: nothing at or below the size it has is worth allocating.
    let mut asked = Vec::new();
    let _: Option<()> = halving(1 << 20, 300 * 1024, |size| {
        asked.push(size);
        None
    });
    assert_eq!(asked, [1 << 20, 512 * 1024, 300 * 1024]);
    // An odd size halves to the floor and stops there (no endless loop at size 1).
    let _: Option<()> = halving(usize::MAX, 1, |_| None);
}

#[test]
fn the_thread_buffer_is_reused_and_a_pair_splits_it() {
    let first = with_buffer(1000, |buf| {
        buf[0] = 7;
        buf.len()
    });
    assert_eq!(first, Ok(1000));
    let (a, b) = with_buffer_pair(5000, |a, b| (a.len(), b.len())).unwrap();
    assert_eq!((a, b), (5000, 5000));
    // A nested use (never made by the copy) gets a buffer of its own instead of a panic.
    let nested = with_buffer(10, |_| with_buffer(10, |inner| inner.len()));
    assert_eq!(nested, Ok(Ok(10)));
}

#[test]
fn allocate_gives_a_zeroed_buffer_of_the_size_asked() {
    let buf = allocate(64 * 1024, 1).unwrap();
    assert_eq!(buf.len(), 64 * 1024);
    assert!(is_zero(&buf));
}

#[test]
fn a_large_buffer_starts_on_a_page_boundary() {
    for want in [ALIGN_FROM, BUFFER_SIZE, 1 << 20] {
        let mut buf = Aligned::allocate(want, 1).unwrap();
        assert_eq!(buf.len(), want);
        assert_eq!(buf.bytes().as_ptr() as usize % PAGE, 0, "{want} bytes");
        assert!(is_zero(buf.bytes()));
    }
    // A small one is not padded.
    let small = Aligned::allocate(1000, 1).unwrap();
    assert_eq!((small.len(), small.vec.len()), (1000, 1000));
    // The thread buffer is what the copy gets.
    let aligned = with_buffer(BUFFER_SIZE, |buf| {
        (buf.as_ptr() as usize).is_multiple_of(PAGE)
    });
    assert_eq!(aligned, Ok(true));
}
