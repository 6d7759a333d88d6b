//! Links fcopy's executable with two linker scripts that keep the code runs execute together,
//! and with a version script that keeps its symbols out of the dynamic symbol table
//! (`src/exports.map`).
//! The kernel maps up to 64 KiB of cached file pages around each fault (`fault_around_bytes`),
//! so hot code scattered over 1.7 MB of text made nearly all of it resident (issue 16, goal 6).
//! - `src/hot-text.ld`, written by `bench/hot-text.py` from valgrind runs of everyday copies,
//!   puts the functions they ran first, in `.text.hot` (round 8). Measured with each binary's
//!   page cache dropped, then warmed by one run (median of 9): peak RSS of a 1-byte copy 3188
//!   -> 2500 KB, of the 10,000-file tree 3916 -> 3250 KB; the executable's resident text in a
//!   1-byte copy 1124 -> 370 KB. A function the list misses only costs memory.
//! - `src/cold-text.ld` puts the code only some options run (the `--include`/`--exclude` glob
//!   engine, BLAKE3 for `--verify=hash`, std's backtrace printer) apart from it (round 7: a
//!   1-byte copy 3652 -> 3080 KB, the tree 4336 -> 3680 KB).
//!
//! The order is `.text.cold`, `.text`, `.text.hot` (round 10): lld then places `.init` and
//! `.fini` at the segment's first page and `.plt` right after `.text.hot`, whose last functions
//! are the ones every run executes. Before, `_start` (at the head of `.text`) and `.init`/`.plt`
//! (after `.text.cold`) each made a 64 KiB window of otherwise untouched code resident, and the
//! channel functions `-j` runs only when threads wait (missing from valgrind's serialised runs)
//! two more: the 10,000-file tree's peak RSS 3644 -> 3448 KB (median of 15; page-fault
//! addresses from `perf record -e page-faults -d`).
//!
//! GNU ld and LLVM's lld (Rust's default linker on x86-64 Linux since 1.90) both take the
//! scripts' `INSERT BEFORE`/`INSERT AFTER`; mold and gold do not, so both are left out when
//! RUSTFLAGS choose them.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=src/cold-text.ld");
    println!("cargo:rerun-if-changed=src/hot-text.ld");
    println!("cargo:rerun-if-changed=src/exports.map");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let linux = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let other_linker = ["mold", "gold"].iter().any(|l| flags.contains(l));
    let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    if linux {
        // No symbol in the dynamic symbol table (`src/exports.map` says why); every linker
        // takes a version script.
        let script = format!("--version-script={dir}/src/exports.map");
        for arg in ["-Xlinker", &script] {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
    if linux && !other_linker {
        // `-Xlinker`, not `-Wl,-T,PATH`: `-Wl,` splits at commas, and a checkout path may hold
        // one (red team, round 7: the build failed in `/tmp/rt7,x/fcopy`).
        for script in ["hot-text.ld", "cold-text.ld"] {
            for arg in ["-Xlinker", "-T", "-Xlinker", &format!("{dir}/src/{script}")] {
                println!("cargo:rustc-link-arg-bins={arg}");
            }
        }
    }
}
