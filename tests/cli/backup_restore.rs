//! A backup made before a copy is put back when that copy fails, so no name vanishes (GNU
//! cp's behaviour; README: "the source is never modified").

use crate::testenv::TestEnv;

/// `cp -b s dirlink/s`: DEST is SOURCE through a symlink to `.`; the backup rule renames it to
/// `s~` and copies again, and the copy cannot open `s`. GNU cp 9.1 then renames `s~` back;
/// fcopy left the source only as `s~` (red team, round 9).
#[test]
fn a_backup_of_the_source_itself_is_put_back_when_the_copy_fails() {
    let env = TestEnv::new();
    env.write("s", b"data\n");
    std::os::unix::fs::symlink(".", env.join("dirlink")).expect("symlink");
    for backup in ["-b", "--backup=numbered"] {
        let run = env.run(&[backup, "s", "dirlink/s"]);
        run.failure();
        run.stderr_contains("cannot open 's' for reading: No such file or directory");
        assert_eq!(
            env.read("s"),
            b"data\n",
            "{backup}: the source is back under its name"
        );
        assert!(
            !env.exists("s~") && !env.exists("s.~1~"),
            "{backup}: no backup is left"
        );
    }
}
