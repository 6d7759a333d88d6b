//! Links fcopy's executable with `src/cold-text.ld`: the code only some options run (the
//! `--include`/`--exclude` glob engine, BLAKE3 for `--verify=hash`, std's backtrace printer)
//! goes after the rest of `.text`, so that the pages every run touches are not interleaved
//! with it. Measured (issue 16, goal 6; each binary's page cache dropped, then warmed by one
//! run; median of 9): peak RSS of a 1-byte copy 3652 -> 3080 KB, of a 10,000-file tree
//! 4336 -> 3680 KB. The kernel maps up to 64 KiB of cached file pages around each fault
//! (`fault_around_bytes`), so scattered hot code made nearly all of `.text` resident.
//!
//! GNU ld and LLVM's lld (Rust's default linker on x86-64 Linux since 1.90) both take the
//! script's `INSERT AFTER`; mold and gold do not, so it is left out when RUSTFLAGS choose them.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=src/cold-text.ld");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    let linux = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let other_linker = ["mold", "gold"].iter().any(|l| flags.contains(l));
    if linux && !other_linker {
        let dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        // `-Xlinker`, not `-Wl,-T,PATH`: `-Wl,` splits at commas, and a checkout path may hold
        // one (red team, round 7: the build failed in `/tmp/rt7,x/fcopy`).
        for arg in [
            "-Xlinker",
            "-T",
            "-Xlinker",
            &format!("{dir}/src/cold-text.ld"),
        ] {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
    }
}
