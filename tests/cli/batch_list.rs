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
/// instead, exit 0 (red team, round 13); also with the list on standard input (`--batch - <
/// jobs`), and when the rewrite kept its size and mtime (red team 13b). A list of up to 4 MiB
/// is read whole first: every listed job runs, nothing else.
#[test]
fn a_job_that_rewrites_the_job_list_cannot_swap_in_other_jobs() {
    let env = TestEnv::new();
    env.write("src", "hi\n");
    let listed: String = (0..20_000).map(|i| format!("src\tout{i:05}\n")).collect();
    let list = format!("new.tsv\tjobs\n{listed}");
    // The same size as the list, so only the bytes differ.
    let other: String = (0..21_000).map(|i| format!("src\tNEW{i:05}\n")).collect();
    env.write("new.tsv", &other[..list.len()]);
    for (jobs, stdin) in [("-j1", false), ("-j8", false), ("-j8", true)] {
        env.write("jobs", &list);
        let run = if stdin {
            let f = std::fs::File::open(env.join("jobs")).unwrap();
            env.fcopy()
                .args(&[jobs, "-p", "--batch", "-"])
                .stdin_file(f)
                .run()
        } else {
            env.run(&[jobs, "-p", "--batch", "jobs"])
        };
        assert_eq!(run.code(), Some(0), "{jobs} {stdin}: {}", run.stderr());
        assert_eq!(env.read("jobs"), &other.as_bytes()[..list.len()]);
        let names = names(&env);
        assert!(
            !names.iter().any(|n| n.starts_with("NEW")),
            "{jobs} {stdin}: an unlisted job ran"
        );
        let ran = names.iter().filter(|n| n.starts_with("out")).count();
        assert_eq!(ran, 20_000, "{jobs} {stdin}");
        remove_outputs(&env, &names);
    }
}

/// A list longer than 4 MiB is read in pieces while its jobs run, its size and times checked
/// before each piece: once a job has rewritten it, the jobs already read run, the rest are
/// reported as not run (exit 1), and nothing unlisted runs.
#[test]
fn a_long_job_list_rewritten_by_a_job_stops_with_an_error() {
    let env = TestEnv::new();
    env.write("src", "hi\n");
    // Lines of about 4 KiB (DEST spelled with 2,000 `./`), 1,100 of them.
    let deep = "./".repeat(2_000);
    let listed: String = (0..1_100)
        .map(|i| format!("src\t{deep}out{i:05}\n"))
        .collect();
    let other: String = (0..1_100)
        .map(|i| format!("src\t{deep}NEW{i:05}\n"))
        .collect();
    env.write("new.tsv", &other);
    env.write("jobs", format!("new.tsv\tjobs\n{listed}"));
    assert!(std::fs::metadata(env.join("jobs")).unwrap().len() > 4 << 20);
    let run = env.run(&["--batch", "jobs"]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr());
    assert_eq!(
        run.stderr(),
        "fcopy: jobs: the job list changed while it was read (did a job write to it?); \
         the jobs after the part already read were not run\n"
    );
    let names = names(&env);
    assert!(
        !names.iter().any(|n| n.starts_with("NEW")),
        "an unlisted job ran"
    );
    let ran = names.iter().filter(|n| n.starts_with("out")).count();
    assert!((1..1_100).contains(&ran), "{ran} listed jobs ran");
}

fn names(env: &TestEnv) -> Vec<String> {
    std::fs::read_dir(env.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect()
}

fn remove_outputs(env: &TestEnv, names: &[String]) {
    for name in names.iter().filter(|n| n.starts_with("out")) {
        std::fs::remove_file(env.join(name)).unwrap();
    }
}
