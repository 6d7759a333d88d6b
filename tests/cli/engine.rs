//! The engine's newer features (issue 17): `--verify=hash` (BLAKE3 digests in `--json` and
//! `--debug`) and `--resume --atomic`'s stable temporary.

use crate::testenv::{pattern, require_strace, TestEnv};

const M: usize = 1 << 20;

fn blake3_hex(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

#[test]
fn verify_hash_prints_the_blake3_digest() {
    let env = TestEnv::new();
    let data = pattern(3 * M + 123, 41);
    env.write("src", &data);
    // --reflink=never: where a copy would be a clone (btrfs, XFS) it verifies as "reflink".
    let run = env.run(&["--json", "--verify=hash", "--reflink=never", "src", "dst"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["verified"], "compared", "{rec}");
    assert_eq!(rec["digest"], blake3_hex(&data), "{rec}");
    assert_eq!(env.read("dst"), data);

    // A range hashes the range.
    env.write("part", vec![b'-'; 5000]);
    let run = env.run(&[
        "--json",
        "--verify=hash",
        "--offset-in=100",
        "--offset-out=10",
        "--len=4000",
        "src",
        "part",
    ]);
    run.success();
    assert_eq!(run.json_record()["digest"], blake3_hex(&data[100..4100]));

    // --debug shows it; plain --verify is the byte comparison alone.
    // (What the offload line says depends on the filesystem; the verify part does not.)
    let run = env.run(&["--debug", "--verify=hash", "--reflink=never", "src", "dbg"]);
    run.success();
    let out = run.stdout();
    assert!(out.starts_with("'src' -> 'dbg'\n"), "{out}");
    assert!(
        out.ends_with(&format!(
            "sparse detection: no, verify: compared (blake3 {})\n",
            blake3_hex(&data)
        )),
        "{out}"
    );
    let run = env.run(&["--json", "--verify", "--reflink=never", "src", "plain"]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["verified"], "compared");
    assert!(rec["digest"].is_null(), "{rec}");
    // An unknown way is a usage error.
    let run = env.run(&["--verify=sha1", "src", "x"]);
    assert_eq!(run.code(), Some(1));
    run.stderr_contains("invalid argument 'sha1' for '--verify'");
}

#[test]
fn verify_hash_fails_a_write_that_never_reached_the_file() {
    if !require_strace() {
        return;
    }
    let env = TestEnv::new();
    env.write("src", pattern(M, 15));
    let lost = [
        "strace",
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "trace=pwrite64",
        "-e",
        "inject=pwrite64:retval=262144:when=2",
    ]
    .map(String::from)
    .to_vec();
    let run = env
        .fcopy()
        .wrapped(&lost)
        .args(&[
            "--verify=hash",
            "--json",
            "--method=read-write",
            "src",
            "dst",
        ])
        .run();
    run.failure();
    run.stderr_contains("verification failed: 'dst' differs from 'src' at byte 262144");
    assert!(!env.exists("dst"));
}

/// `--resume --atomic`: the stable temporary `.NAME.fcopy-partial` is continued when it is a
/// prefix of SOURCE, started again when it is not, and renamed over DEST when complete.
#[test]
fn resume_atomic_continues_the_partial_temporary() {
    let env = TestEnv::new();
    let data = pattern(3 * M, 43);
    env.write("src", &data);
    env.write("dst", b"old");
    let partial = env.write(".dst.fcopy-partial", &data[..100_000]);
    // As fcopy marks the partial files it makes (a user's file of that name is left alone).
    crate::atomic8::mark_partial(&partial, &env.join("src"), "dst");
    let run = env.run(&[
        "--json",
        "--resume",
        "--atomic",
        "--verify",
        "--reflink=never",
        "src",
        "dst",
    ]);
    run.success();
    let rec = run.json_record();
    assert_eq!(rec["resumed_from"], 100_000, "{rec}");
    assert_eq!(rec["bytes"], data.len() - 100_000, "{rec}");
    assert_eq!(rec["verified"], "compared", "{rec}");
    assert_eq!(env.read("dst"), data);
    assert!(!env.exists(".dst.fcopy-partial"));

    // Not a prefix of SOURCE: copied from the start into the same name.
    env.write("dst", b"old");
    let partial = env.write(".dst.fcopy-partial", vec![b'x'; 5000]);
    crate::atomic8::mark_partial(&partial, &env.join("src"), "dst");
    let run = env.run(&["--json", "--resume", "--atomic", "src", "dst"]);
    run.success();
    let rec = run.json_record();
    assert!(rec["resumed_from"].is_null(), "{rec}");
    assert_eq!(rec["bytes"], data.len());
    assert_eq!(env.read("dst"), data);
    assert!(!env.exists(".dst.fcopy-partial"));

    // Without --resume, --atomic leaves a stranger's partial file alone and uses its own.
    env.write(".dst.fcopy-partial", &data[..10]);
    env.run(&["--atomic", "src", "dst"]).success();
    assert_eq!(env.read(".dst.fcopy-partial"), &data[..10]);
}
