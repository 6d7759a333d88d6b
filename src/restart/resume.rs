//! `--resume`: a DEST that is a regular file no longer than SOURCE is taken to be the start of
//! an interrupted copy when its last bytes (up to [`TAIL_CHECK`]) equal the same range of
//! SOURCE; the copy then continues from DEST's size as a ranged copy (so only the missing bytes
//! move; none when DEST is already complete, as `rsync --append` skips a file whose copy is as
//! long). Otherwise DEST is copied again from the start.
//!
//! The evidence (the tail, not all zeros, and a DEST modified no earlier than SOURCE last
//! changed) is [`partial::is_prefix_of`], shared with `--resume --atomic`; `rsync --append`
//! trusts the whole prefix likewise, and `--verify` compares the whole file afterwards. An fcopy copy writes a file front to back (copy_file_range,
//! read/write and extent copies all advance in order), so an interrupted one is a prefix of the
//! source: holes in it are holes of the source.

use std::os::fd::{AsFd, OwnedFd};

use rustix::fs::{fstat, openat, FileType, Mode, OFlags};

use crate::exec::partial;
use crate::facts::{FileFacts, FileKind};
use crate::plan::Endpoint;

/// How much of DEST's end is compared with SOURCE before resuming: 1 MiB.
pub use crate::exec::partial::TAIL_CHECK;

fn open_read(end: &Endpoint, nofollow: bool) -> Option<OwnedFd> {
    let (dir, name) = end.dir_and_name()?;
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let flags = if nofollow {
        flags | OFlags::NOFOLLOW
    } else {
        flags
    };
    openat(dir, name, flags, Mode::empty()).ok()
}

/// The offset to resume the copy of `src` (stat'ed as `facts`) into the existing `dst` (the
/// file `dest_id` the rules looked at) from, or `None` to copy from the start. Reads both
/// files; writes nothing.
///
/// `whole_if_complete` (`--update=changed`): a DEST as long as SOURCE counts as complete only
/// when all of it is SOURCE's (read whole, [`partial::whole_prefix_matches`]); for a sparse
/// SOURCE it is copied again instead, which keeps the holes and costs less than reading them
/// (red team, round 15: 21 s for an 8 GiB sparse file). `--update=changed` chose it because
/// its time or size differ; its tail alone took a file edited in place for a finished copy (0
/// bytes, "copied"), and `-a` stamped SOURCE's time on it, so no later run looked again (new
/// user, round 15). A copy stopped after its data and before its attributes still moves
/// nothing (tests/cli/restart.rs: the random-kill test).
pub fn resume_offset(
    src: &Endpoint,
    facts: &FileFacts,
    dst: &Endpoint,
    dest_id: (u64, u64),
    nofollow: bool,
    whole_if_complete: bool,
) -> Option<u64> {
    let (s, d, have) = resumable_prefix(src, facts, dst, dest_id, nofollow)?;
    if whole_if_complete && have == facts.size {
        let whole =
            !facts.looks_sparse() && partial::whole_prefix_matches(s.as_fd(), d.as_fd(), have);
        return whole.then_some(have);
    }
    Some(have)
}

/// [`resume_offset`] with the two files it opened (SOURCE, DEST) for a caller that reads on.
/// Both must be the files looked at: SOURCE `facts`' identity, DEST `dest_id` (its device and
/// inode, a symlink's target as followed at the rules' look). DESIGN rule 10: a name swapped
/// after the look must not lend its bytes to the decision (red team, round 12: a user who owns
/// DEST's directory showed a prefix of SOURCE to this check and the victim to the executor,
/// which then appended to the victim, or with `-u` overwrote a newer one, exit 0).
fn resumable_prefix(
    src: &Endpoint,
    facts: &FileFacts,
    dst: &Endpoint,
    dest_id: (u64, u64),
    nofollow: bool,
) -> Option<(OwnedFd, OwnedFd, u64)> {
    if facts.kind != FileKind::Regular || !facts.has_trusted_size() {
        return None;
    }
    let s = open_read(src, nofollow)?;
    let s_st = fstat(&s).ok()?;
    if (s_st.st_dev, s_st.st_ino) != (facts.dev, facts.ino) {
        return None;
    }
    // DEST is written through a symlink, as a plain copy would.
    let d = open_read(dst, false)?;
    let d_st = fstat(&d).ok()?;
    if (d_st.st_dev, d_st.st_ino) != dest_id
        || FileType::from_raw_mode(d_st.st_mode) != FileType::RegularFile
    {
        return None;
    }
    let (have, want) = (d_st.st_size as u64, s_st.st_size as u64);
    if have == 0 || have > want {
        return None;
    }
    partial::is_prefix_of(s.as_fd(), d.as_fd(), have).then_some((s, d, have))
}

/// `-u --resume` ([`crate::plan::replace`]'s `Fact::Resumable`): [`resume_offset`], and then the
/// whole of DEST equal to SOURCE's start, read through the same descriptors. `-u` leaves newer
/// files alone, so a newer DEST is continued only when all its bytes are SOURCE's (an edited
/// head with SOURCE's tail was appended to: red team round 8b). Writes nothing.
pub fn resumable_under_update(
    src: &Endpoint,
    facts: &FileFacts,
    dst: &Endpoint,
    dest_id: (u64, u64),
    nofollow: bool,
) -> bool {
    resumable_prefix(src, facts, dst, dest_id, nofollow)
        .is_some_and(|(s, d, have)| partial::whole_prefix_matches(s.as_fd(), d.as_fd(), have))
}
