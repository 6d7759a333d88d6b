//! The name a SOURCE's copy gets inside a target directory when SOURCE's last component is not
//! an ordinary name: `..` (GNU cp.c: "For 'cp -R source/.. dest', don't copy into
//! 'dest/..'"). Round 8's new-user trial: `fcopy -r work/proj/sub/.. backup` wrote into
//! `backup/..`, over the files beside `backup`.

use std::path::Path;

use crate::gnu_compat::harness::{dir, file, Diff};
use crate::testenv::TestEnv;

/// `w/work/proj/{notes,sub/}`, `w/backup/` and, beside `backup`, `w/notes` that a copy into
/// `backup/..` would overwrite.
fn project(root: &Path) {
    file(root, "w/work/proj/notes", "new\n");
    dir(root, "w/work/proj/sub");
    dir(root, "w/backup");
    file(root, "w/notes", "important\n");
}

#[test]
fn a_source_ending_in_dotdot_is_copied_into_the_directory_itself_like_gnu() {
    for args in [
        &["-rv", "work/proj/sub/..", "backup"][..],
        &["-rv", "work/proj/sub/../", "backup"],
        &["-rv", "-t", "backup", "work/proj/sub/.."],
        &["-av", "work/proj/sub/..", "backup"],
    ] {
        Diff::new(project).args(args).cwd("w").unordered().check();
    }
}

#[test]
fn a_dotdot_source_copied_into_a_directory_inside_it_is_refused_like_gnu() {
    // `cp -r .. ../backup` from w/work: the copy would go into '../backup/.', inside '..'.
    Diff::new(project)
        .args(&["-r", "..", "../backup"])
        .cwd("w/work")
        .outputs_only()
        .check();
}

#[test]
fn batch_and_files_from_put_a_dotdot_source_into_the_directory_itself() {
    // No GNU counterpart: the same rule for a --batch line and a --files-from name.
    let env = TestEnv::new();
    let cases: [(&[&str], &[u8]); 3] = [
        (&["-r", "--batch=-"], b"work/proj/sub/..\tbackup\n"),
        (&["-r", "--files-from=-", "backup"], b"work/proj/sub/..\n"),
        (&["-r", "--dry-run", "work/proj/sub/..", "backup"], b""),
    ];
    for (args, stdin) in cases {
        env.write("w/work/proj/notes", "new\n");
        std::fs::create_dir_all(env.join("w/work/proj/sub")).unwrap();
        std::fs::create_dir_all(env.join("w/backup")).unwrap();
        env.write("w/notes", "important\n");
        let _ = std::fs::remove_file(env.join("w/backup/notes"));
        let run = env
            .fcopy()
            .args(args)
            .stdin_bytes(stdin.to_vec())
            .current_dir(env.join("w"))
            .run();
        run.success();
        assert_eq!(env.read("w/notes"), b"important\n", "{}", run.line);
        if args.contains(&"--dry-run") {
            assert!(
                run.stdout().contains("-> 'backup/.' (directory)"),
                "{}",
                run.stdout()
            );
        } else {
            assert_eq!(env.read("w/backup/notes"), b"new\n", "{}", run.line);
            assert!(env.exists("w/backup/sub"), "{}", run.line);
        }
    }
}

#[test]
fn a_dest_that_cannot_be_looked_at_is_worded_like_gnu() {
    // With two operands GNU never says "target": DEST is a file to copy onto, and its stat
    // fails (a name longer than NAME_MAX said "target '...': File name too long").
    let long = "x".repeat(300);
    let in_a_file = "a/x".to_owned();
    for dest in [long.as_str(), in_a_file.as_str()] {
        Diff::new(|r| file(r, "a", "A")).args(&["a", dest]).check();
    }
    // A DEST ending in '/' that is missing: ENOTDIR, or ENOENT when its directory is missing
    // too (round 8: fcopy said ENOTDIR for both).
    for dest in ["missing/", "nodir/x/"] {
        Diff::new(|r| file(r, "a", "A")).args(&["a", dest]).check();
        Diff::new(|r| file(r, "d/f", "F"))
            .args(&["-r", "d", dest])
            .check();
    }
    // With several SOURCEs it is GNU's "target".
    Diff::new(|r| {
        file(r, "a", "A");
        file(r, "b", "B");
    })
    .args(&["a", "b", long.as_str()])
    .check();
}

/// `cp -rv src// d//` shows each entry with one slash after the operand, `'src/f' -> 'd/f'`:
/// GNU's `file_name_concat` leaves out the directory's trailing slashes (new-user trial, round
/// 17: fcopy showed `'src//f' -> 'd//f'`, and `--json` named the files so). The operands
/// themselves are shown as given. Into a new directory and into an existing one.
#[test]
fn entries_of_a_source_with_trailing_slashes_are_shown_like_gnu() {
    let tree = |root: &Path| {
        file(root, "w/src/f", "1\n");
        file(root, "w/src/sub/g", "2\n");
        dir(root, "w/old");
    };
    for args in [
        &["-rv", "src//", "new//"][..],
        &["-rv", "src///", "old"],
        &["-rv", "src//", "old/"],
    ] {
        Diff::new(tree).args(args).cwd("w").unordered().check();
    }
}
