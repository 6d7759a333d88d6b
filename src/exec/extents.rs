//! Data extents of a sparse file, found with SEEK_DATA/SEEK_HOLE, as half-open byte ranges.

use std::ops::Range;
use std::os::fd::BorrowedFd;

use rustix::fs::{seek, SeekFrom};
use rustix::io::Errno;

/// Iterates over the data ranges of a file below `end`. Always makes forward progress.
///
/// A filesystem without SEEK_DATA support yields the whole file as one extent.
pub struct DataExtents<'fd> {
    fd: BorrowedFd<'fd>,
    pos: u64,
    end: u64,
    /// Set once the filesystem refused SEEK_DATA: the rest is treated as data.
    unsupported: bool,
}

impl<'fd> DataExtents<'fd> {
    /// The data ranges of the whole file below `end`.
    pub fn new(fd: BorrowedFd<'fd>, end: u64) -> Self {
        Self::between(fd, 0, end)
    }

    /// The data ranges of `start..end` (a byte range's holes).
    pub fn between(fd: BorrowedFd<'fd>, start: u64, end: u64) -> Self {
        DataExtents {
            fd,
            pos: start,
            end,
            unsupported: false,
        }
    }

    /// Whether the filesystem did not support SEEK_DATA (the extents are then a guess: all data).
    pub fn unsupported(&self) -> bool {
        self.unsupported
    }
}

impl Iterator for DataExtents<'_> {
    type Item = Result<Range<u64>, Errno>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.end {
            return None;
        }
        let start = match seek(self.fd, SeekFrom::Data(self.pos)) {
            Ok(start) => start,
            // No data at or after pos: the rest is a hole.
            Err(Errno::NXIO) => {
                self.pos = self.end;
                return None;
            }
            Err(Errno::INVAL | Errno::OPNOTSUPP) => {
                self.unsupported = true;
                let all = self.pos..self.end;
                self.pos = self.end;
                return Some(Ok(all));
            }
            Err(e) => return Some(Err(e)),
        };
        if start >= self.end {
            self.pos = self.end;
            return None;
        }
        // Never go backwards, whatever the filesystem says.
        let start = start.max(self.pos);
        let hole = match seek(self.fd, SeekFrom::Hole(start)) {
            Ok(hole) => hole,
            Err(Errno::NXIO) => self.end,
            Err(e) => return Some(Err(e)),
        };
        let stop = if hole <= start {
            self.end
        } else {
            hole.min(self.end)
        };
        self.pos = stop;
        Some(Ok(start..stop))
    }
}
