//! The offsets a span copy reads and writes at, shared by the copy_file_range and read/write
//! loops and the span copy that drives them.

/// Where each end of a span copy is: an explicit offset, or `None` for the descriptor's own
/// offset (standard input/output, streams). Advanced by what was copied.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Offsets {
    pub input: Option<u64>,
    pub output: Option<u64>,
}

impl Offsets {
    /// Both ends at `at`.
    pub fn both(at: u64) -> Self {
        Offsets {
            input: Some(at),
            output: Some(at),
        }
    }

    /// SOURCE at `input`, DEST at `output`.
    pub fn both_at(input: u64, output: u64) -> Self {
        Offsets {
            input: Some(input),
            output: Some(output),
        }
    }
}
