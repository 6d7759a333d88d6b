//! `-` as SOURCE (standard input: a pipe or a file) and as DEST (standard output: a pipe, a
//! regular file, a file opened with O_APPEND).

use std::fs::{self, File};

use crate::testenv::{open_append, pattern, TestEnv};

#[test]
fn stdin_as_a_pipe() {
    let env = TestEnv::new();
    for size in [0usize, 1, 4097, (1 << 20) + 1] {
        let data = pattern(size, 5);
        let dst = format!("out{size}");
        env.fcopy()
            .args(&["-", &dst])
            .stdin_bytes(data.clone())
            .run()
            .success();
        assert_eq!(env.read(&dst), data, "size {size}");
    }
}

#[test]
fn stdin_as_a_file() {
    let env = TestEnv::new();
    let data = pattern(300_000, 6);
    env.write("in", &data);
    let run = env
        .fcopy()
        .args(&["--json", "-", "out"])
        .stdin_file(File::open(env.join("in")).unwrap())
        .run();
    run.success();
    assert_eq!(run.json_record()["bytes"], data.len());
    assert_eq!(env.read("out"), data);
}

#[test]
fn stdin_file_already_partly_read_continues_from_its_offset() {
    use std::io::{Seek, SeekFrom};
    let env = TestEnv::new();
    let data = pattern(10_000, 6);
    env.write("in", &data);
    let mut f = File::open(env.join("in")).unwrap();
    f.seek(SeekFrom::Start(1000)).unwrap();
    env.fcopy()
        .args(&["-", "out"])
        .stdin_file(f)
        .run()
        .success();
    assert_eq!(env.read("out"), &data[1000..]);
}

#[test]
fn stdout_as_a_pipe() {
    let env = TestEnv::new();
    let data = pattern((1 << 20) + 3, 7);
    env.write("src", &data);
    let run = env.run(&["src", "-"]);
    if run.code() != Some(0) || !run.stderr.is_empty() || run.stdout != data {
        run.fail("expected the file on stdout");
    }
}

#[test]
fn stdout_as_a_regular_file() {
    let env = TestEnv::new();
    let data = pattern(123_457, 8);
    env.write("src", &data);
    let out = File::create(env.join("out")).unwrap();
    env.fcopy()
        .args(&["src", "-"])
        .stdout_file(out)
        .run()
        .success();
    assert_eq!(env.read("out"), data);
}

#[test]
fn stdout_opened_for_append() {
    let env = TestEnv::new();
    let data = pattern(70_000, 9);
    env.write("src", &data);
    env.write("out", b"existing line\n");
    for method in ["auto", "read-write"] {
        let before = env.read("out");
        env.fcopy()
            .args(&["--method", method, "src", "-"])
            .stdout_file(open_append(&env.join("out")))
            .run()
            .success();
        let mut expected = before;
        expected.extend_from_slice(&data);
        assert_eq!(env.read("out"), expected, "--method={method}");
    }
}

/// A sparse source to standard output must produce the file's bytes where stdout is — in an
/// O_APPEND file after its old contents, and leave the offset after what it wrote.
#[test]
fn sparse_source_to_stdout_appends() {
    let env = TestEnv::new();
    let data = pattern(5000, 1);
    env.write_sparse("sparse", 1 << 20, &[(8192, &data)]);
    env.write("out", b"head\n");
    env.fcopy()
        .args(&["sparse", "-"])
        .stdout_file(open_append(&env.join("out")))
        .run()
        .success();
    let mut expected = b"head\n".to_vec();
    expected.extend(fs::read(env.join("sparse")).unwrap());
    assert!(
        env.read("out") == expected,
        "wrong bytes in out\n{}",
        env.listing()
    );
}

/// Two copies to one standard output, as `{ fcopy a -; fcopy b -; } > out` does: the second
/// continues where the first left the offset.
#[test]
fn consecutive_copies_to_one_stdout_concatenate() {
    use std::io::Write;
    let env = TestEnv::new();
    let a = pattern(10_000, 1);
    env.write("a", &a);
    env.write_sparse("s", 300_000, &[(200_000, b"middle")]);
    let mut out = File::create(env.join("out")).unwrap();
    for src in ["a", "s", "a"] {
        env.fcopy()
            .args(&[src, "-"])
            .stdout_file(out.try_clone().unwrap())
            .run()
            .success();
    }
    out.write_all(b"end").unwrap();
    drop(out);
    let mut expected = a.clone();
    expected.extend(fs::read(env.join("s")).unwrap());
    expected.extend(&a);
    expected.extend(b"end");
    assert!(
        env.read("out") == expected,
        "wrong bytes in out\n{}",
        env.listing()
    );
}

#[test]
fn stdin_to_stdout() {
    let env = TestEnv::new();
    let data = pattern(200_000, 3);
    let run = env
        .fcopy()
        .args(&["-", "-"])
        .stdin_bytes(data.clone())
        .run();
    if run.code() != Some(0) || run.stdout != data {
        run.fail("expected stdin copied to stdout");
    }
}

#[test]
fn stream_into_a_file_at_an_offset() {
    let env = TestEnv::new();
    env.write("disk.img", vec![b'.'; 10_000]);
    let data = pattern(3000, 2);
    env.fcopy()
        .args(&["--offset-out", "4096", "-", "disk.img"])
        .stdin_bytes(data.clone())
        .run()
        .success();
    let mut expected = vec![b'.'; 10_000];
    expected[4096..4096 + 3000].copy_from_slice(&data);
    assert_eq!(env.read("disk.img"), expected);
}

#[test]
fn stream_offset_in_skips_and_len_caps() {
    let env = TestEnv::new();
    let data = pattern(10_000, 4);
    env.fcopy()
        .args(&["--offset-in", "100", "--len", "50", "-", "out"])
        .stdin_bytes(data.clone())
        .run()
        .success();
    assert_eq!(env.read("out"), &data[100..150]);
}

#[test]
fn stream_shorter_than_the_range_is_an_error() {
    let env = TestEnv::new();
    let run = env
        .fcopy()
        .args(&["--offset-in", "100", "--len", "50", "-", "out"])
        .stdin_bytes(vec![1u8; 120])
        .run();
    run.failure();
    let err = run.stderr();
    assert!(err.starts_with("fcopy: '-' "), "{err}");
}

#[test]
fn stdin_pipe_with_copy_file_range_only_fails() {
    let env = TestEnv::new();
    let run = env
        .fcopy()
        .args(&["--method=copy-file-range", "-", "out"])
        .stdin_bytes(pattern(1000, 1))
        .run();
    run.failure().stderr_is(
        "fcopy: cannot copy '-' to 'out' with copy_file_range: Invalid argument; --method=copy-file-range does not fall back\n",
    );
    assert!(!env.exists("out"));
}

/// A file made from standard input gets what `dd of=FILE` and `>` give it, 0666 less the
/// umask, not the pipe's 0600; `-p` keeps the stream's mode.
#[test]
fn a_new_file_from_stdin_gets_0666_less_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let umask = ["sh", "-c", "umask 027; exec \"$0\" \"$@\""];
    let mode = |name: &str| fs::metadata(env.join(name)).unwrap().permissions().mode() & 0o7777;
    let out = env
        .fcopy()
        .wrapped(&umask)
        .args(&["-", "out"])
        .stdin_bytes("x\n")
        .run();
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert_eq!(mode("out"), 0o640, "umask 027: 0666 less the umask, as dd");
    let out = env
        .fcopy()
        .wrapped(&umask)
        .args(&["-p", "-", "kept"])
        .stdin_bytes("x\n")
        .run();
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert_eq!(mode("kept"), 0o600, "-p: the pipe's own mode");
}

/// `fcopy big - | head -c1`: once the reader is gone, fcopy stops quietly and dies by SIGPIPE,
/// as cat and dd do (status 141 in the shell), instead of "error writing '-': Broken pipe".
#[test]
fn stdout_reader_gone_is_death_by_sigpipe() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let env = TestEnv::new();
    env.write("big", pattern(32 << 20, 3));
    let mut child = Command::new(crate::testenv::FCOPY)
        .args([env.join("big").as_os_str(), "-".as_ref()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fcopy");
    let mut byte = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut byte).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(13), "status {:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
