//! Unit tests of the decisions of `signals::memory`: which panic is a bug (SIGABRT stays) and
//! which is memory exhaustion (status 1), and the program name taken from `argv[0]`.

use super::{base_name, judge_panic, PanicVerdict};

const ALT_STACK: &str =
    "failed to allocate an alternative stack: Cannot allocate memory (os error 12)";

/// A bug stays a bug wherever it happens, so the release build still dies by SIGABRT with its
/// panic message: the verdict that makes the SIGABRT handler stand aside.
#[test]
fn a_panic_that_is_a_bug_is_judged_a_bug() {
    for thread in [Some("main"), None, Some("fcopy-worker")] {
        for message in [Some("index out of bounds"), Some("capacity overflow"), None] {
            assert_eq!(judge_panic(thread, message, true), PanicVerdict::Bug);
            assert_eq!(judge_panic(thread, message, false), PanicVerdict::Bug);
        }
    }
    // A helper thread's bug where panics abort: the process ends, so it must show as a bug.
    assert_eq!(
        judge_panic(Some("fcopy-signals"), Some("oops"), true),
        PanicVerdict::Bug
    );
}

/// std's panic when a thread cannot get its signal stack under `ulimit -v`, and an ENOMEM
/// that reached an `unwrap`: memory exhaustion, GNU's `memory exhausted` and status 1.
#[test]
fn a_panic_caused_by_enomem_is_memory_exhaustion() {
    let unwrapped = "called `Result::unwrap()` on an `Err` value: \
                     Os { code: 12, kind: OutOfMemory, message: \"Cannot allocate memory\" }";
    for message in [ALT_STACK, unwrapped] {
        for thread in [Some("main"), None, Some("sigusr1")] {
            assert_eq!(
                judge_panic(thread, Some(message), true),
                PanicVerdict::MemoryExhausted
            );
        }
        assert_eq!(
            judge_panic(Some("main"), Some(message), false),
            PanicVerdict::MemoryExhausted
        );
    }
}

/// Where panics unwind, a helper thread's panic is silent and the run goes on without it.
#[test]
fn a_helper_threads_panic_is_quiet_where_panics_unwind() {
    for name in crate::signals::HELPER_THREADS {
        assert_eq!(
            judge_panic(Some(name), Some(ALT_STACK), false),
            PanicVerdict::Quiet
        );
        assert_eq!(
            judge_panic(Some(name), Some("oops"), false),
            PanicVerdict::Quiet
        );
    }
}

/// The base name of `argv[0]`, as `app::program_name` takes it from `Path::file_name`.
#[test]
fn the_program_name_is_the_base_name_of_argv0() {
    let name = |cmdline: &[u8]| base_name(cmdline).map(|(s, e)| cmdline[s..e].to_vec());
    assert_eq!(name(b"fcopy\0a\0b\0"), Some(b"fcopy".to_vec()));
    assert_eq!(name(b"/usr/bin/cp\0-r\0"), Some(b"cp".to_vec()));
    assert_eq!(name(b"./bin/fcopy/\0"), Some(b"fcopy".to_vec()));
    assert_eq!(name(b"\0x\0"), None);
    assert_eq!(name(b""), None);
    assert_eq!(name(b"..\0"), None);
    assert_eq!(name(b"/\0"), None);
}
