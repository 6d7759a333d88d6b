//! A compact set of file identities (device, inode): 8 bytes and a control byte per file, for
//! runs that create hundreds of thousands of files.

use std::collections::HashSet;

/// File identities, grouped by device (a run rarely touches more than a few).
#[derive(Default)]
pub struct InodeSet {
    by_dev: Vec<(u64, HashSet<u64>)>,
}

impl InodeSet {
    pub fn insert(&mut self, (dev, ino): (u64, u64)) {
        match self.by_dev.iter_mut().find(|(d, _)| *d == dev) {
            Some((_, inodes)) => {
                inodes.insert(ino);
            }
            None => self.by_dev.push((dev, HashSet::from([ino]))),
        }
    }

    pub fn contains(&self, (dev, ino): (u64, u64)) -> bool {
        self.by_dev
            .iter()
            .any(|(d, inodes)| *d == dev && inodes.contains(&ino))
    }
}

#[cfg(test)]
mod tests {
    use super::InodeSet;

    #[test]
    fn identities_are_told_apart_by_device_and_inode() {
        let mut set = InodeSet::default();
        assert!(!set.contains((1, 10)));
        set.insert((1, 10));
        set.insert((2, 10));
        set.insert((1, 10));
        assert!(set.contains((1, 10)));
        assert!(set.contains((2, 10)));
        assert!(!set.contains((1, 11)));
        assert!(!set.contains((3, 10)));
    }
}
