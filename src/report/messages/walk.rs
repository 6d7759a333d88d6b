//! Wording of the walk's errors: directories, symbolic links, special files, links, backups and removals.
