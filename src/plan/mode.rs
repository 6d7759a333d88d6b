//! The mode of a new regular file fcopy creates: one rule, GNU cp's.

/// The mode a new regular file gets, from the source's `st_mode`, the process's `umask` and
/// `--no-preserve=mode`. Returns (mode, whether it is set explicitly after the data).
///
/// GNU cp (copy.c, `copy_reg` and `copy_internal`): a new file is opened with the source's
/// permission bits, the set-user-ID, set-group-ID and sticky bits dropped, and the umask
/// applies; `-p`/`--preserve=mode` then sets the source's full mode after the data (done by
/// attribute preservation, not here). With `--no-preserve=mode` (`explicit_no_preserve_mode`)
/// GNU sets `0666 & ~umask` with `set_acl` after creating the file, so a directory's default
/// ACL does not decide it: hence "explicit" (tests/cp/preserve-mode.sh).
pub fn new_file_mode(source_mode: u32, umask: u32, no_preserve_mode: bool) -> (u32, bool) {
    if no_preserve_mode {
        (0o666 & !umask, true)
    } else {
        (source_mode & 0o777 & !umask, false)
    }
}

#[cfg(test)]
mod tests {
    use super::new_file_mode;

    #[test]
    fn special_bits_and_umask_are_dropped() {
        assert_eq!(new_file_mode(0o104755, 0o022, false), (0o755, false));
        assert_eq!(new_file_mode(0o100640, 0o027, false), (0o640, false));
    }

    #[test]
    fn no_preserve_mode_is_rw_for_all_less_the_umask_set_explicitly() {
        assert_eq!(new_file_mode(0o100700, 0o022, true), (0o644, true));
        assert_eq!(new_file_mode(0o100777, 0o077, true), (0o600, true));
    }
}
