//! Unit tests of the read/write loop's piece sizes.

use super::*;

#[test]
fn a_copy_starts_with_a_buffer_that_fits_its_span() {
    // Unknown length (a stream, /proc): small, grown while reads fill it.
    assert_eq!(first_piece(None), FIRST_BUFFER_SIZE);
    // A short span: no more than it needs.
    assert_eq!(first_piece(Some(100)), 100);
    assert_eq!(first_piece(Some(1 << 20)), BUFFER_SIZE);
    assert_eq!(first_piece(Some(LARGE_SPAN - 1)), BUFFER_SIZE);
    // A large span: dd's 1 MiB pieces.
    assert_eq!(first_piece(Some(LARGE_SPAN)), LARGE_PIECE);
    assert_eq!(first_piece(Some(u64::MAX)), LARGE_PIECE);
}
