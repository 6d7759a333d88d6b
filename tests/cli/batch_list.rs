//! The `--batch` job list as a file among the jobs' files (red team, round 13): a job cannot
//! read the list as data under another name, and a job that rewrites the list cannot swap in
//! jobs that were never listed.

use crate::testenv::TestEnv;

/// `--batch -` with SOURCE `/dev/stdin`, and `--batch /dev/stdin` with SOURCE `-`: only the
/// name `-` with `--batch -` was refused; the others copied the rest of the list into the
/// job's DEST as data, and about 19,500 of 20,000 jobs were lost, exit 0.
#[test]
fn a_job_cannot_read_the_job_list_under_another_name() {
    let env = TestEnv::new();
    env.write("src", "hi\n");
    let rest: String = (0..20_000).map(|i| format!("src\tc{i:010}\n")).collect();
    for (list, source) in [("-", "/dev/stdin"), ("/dev/stdin", "-"), ("-", "/dev/fd/0")] {
        let jobs = format!("{source}\toutX\n{rest}");
        let run = env.fcopy().args(&["--batch", list]).stdin_bytes(jobs).run();
        assert_eq!(run.code(), Some(1), "{list} {source}: {}", run.stderr());
        let quoted = if source == "-" {
            "'-'"
        } else {
            &format!("'{source}'")
        };
        assert_eq!(
            run.stderr(),
            format!(
                "fcopy: {list}:1: SOURCE {quoted} cannot be copied: it is the job list being read\n"
            ),
            "{list} {source}"
        );
        assert!(
            !env.exists("outX"),
            "{list} {source}: the list was copied as data"
        );
        for i in [0, 9_999, 19_999] {
            assert_eq!(
                env.read(format!("c{i:010}")),
                b"hi\n",
                "{list} {source}: job {i}"
            );
        }
        for i in 0..20_000 {
            std::fs::remove_file(env.join(format!("c{i:010}"))).unwrap();
        }
    }
}

/// A job whose DEST is the list rewrote it in place, and the reader went on at its old offset
/// in the new bytes: 14,960 listed jobs never ran and 14,959 jobs from the other file ran
/// instead, exit 0. The list is watched while it is read: the jobs already read run, the
/// rest are reported as not run, and nothing unlisted runs.
#[test]
fn a_job_that_rewrites_the_job_list_cannot_swap_in_other_jobs() {
    let env = TestEnv::new();
    env.write("src", "hi\n");
    let listed: String = (0..20_000).map(|i| format!("src\tout{i:05}\n")).collect();
    let other: String = (0..20_000).map(|i| format!("src\tNEW{i:05}\n")).collect();
    env.write("new.tsv", &other);
    for jobs in ["-j1", "-j8"] {
        env.write("jobs", format!("new.tsv\tjobs\n{listed}"));
        let run = env.run(&[jobs, "--batch", "jobs"]);
        assert_eq!(run.code(), Some(1), "{jobs}: {}", run.stderr());
        assert_eq!(
            run.stderr(),
            "fcopy: jobs: the job list changed while it was read (did a job write to it?); \
             the jobs after the part already read were not run\n",
            "{jobs}"
        );
        let names: Vec<String> = std::fs::read_dir(env.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        assert!(
            !names.iter().any(|n| n.starts_with("NEW")),
            "{jobs}: an unlisted job ran"
        );
        let ran = names.iter().filter(|n| n.starts_with("out")).count();
        assert!((1..20_000).contains(&ran), "{jobs}: {ran} listed jobs ran");
        for name in names.iter().filter(|n| n.starts_with("out")) {
            std::fs::remove_file(env.join(name)).unwrap();
        }
    }
    // A list read whole before its last job rewrites it is not an error.
    env.write("jobs", "src\ta\nnew.tsv\tjobs\n");
    let run = env.run(&["--batch", "jobs"]);
    assert_eq!(run.code(), Some(0), "{}", run.stderr());
    assert_eq!(env.read("a"), b"hi\n");
}
