//! Round 19: what `--stats` says of links made in place of copies.

use std::fs;
use std::os::unix::fs::MetadataExt;

use crate::testenv::{pattern, TestEnv};

/// `-l`, `-s` and a tree's second name of a file (`-a`) make links, not copies: `--stats`
/// says how many (`files: 0 copied, 1 linked, ...`). It said `0 copied` and nothing else, as
/// if the run had done nothing.
#[test]
fn stats_count_the_links_made() {
    let env = TestEnv::new();
    env.write("a", pattern(5000, 1));
    env.write("t/one", pattern(100, 2));
    fs::hard_link(env.join("t/one"), env.join("t/two")).unwrap();
    std::os::unix::fs::symlink("one", env.join("t/link")).unwrap();
    let absolute = env.join("a");
    let absolute = absolute.to_str().unwrap();
    for (args, files) in [
        (
            &["--stats", "-l", "a", "hard"][..],
            "files: 0 copied, 1 linked, 0 skipped, 0 failed",
        ),
        (
            &["--stats", "-s", absolute, "soft"],
            "files: 0 copied, 1 linked, 0 skipped, 0 failed",
        ),
        // A symbolic link copied as one is neither a copy nor a link made by -l or -s.
        (
            &["--stats", "-a", "t", "tree"],
            "files: 1 copied, 1 linked, 0 skipped, 0 failed",
        ),
        (
            &["--stats", "a", "copy"],
            "files: 1 copied, 0 skipped, 0 failed",
        ),
    ] {
        let run = env.run(args);
        let stderr = run.stderr();
        assert_eq!(run.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(files), "{args:?}: {stderr}");
    }
    let inode = |name: &str| fs::metadata(env.join(name)).unwrap().ino();
    assert_eq!(inode("hard"), inode("a"));
    assert_eq!(fs::read_link(env.join("soft")).unwrap(), env.join("a"));
    assert_eq!(inode("tree/one"), inode("tree/two"));
    assert_ne!(inode("tree/one"), inode("t/one"));
}
