//! Start-up (issue 16, goal 3): what the dynamic loader does before `main`. Each shared library
//! fcopy needs is mapped, relocated and bound on every run, also a 1-byte copy's.

use crate::testenv::*;
use std::process::Command;

/// The shared libraries the executable names (`DT_NEEDED`), from `readelf --dynamic`.
fn needed_libraries(executable: &str) -> Vec<String> {
    let out = Command::new("readelf")
        .args(["--dynamic", "--wide", executable])
        .output()
        .expect("readelf runs");
    assert!(out.status.success(), "readelf failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| Some(line.split_once('[')?.1.split_once(']')?.0.to_string()))
        .collect()
}

/// fcopy loads libc and nothing else, as GNU cp does. libm.so.6 was loaded on every run for the
/// one `pow` of indicatif's rate estimator: 0.26 MB of peak RSS and about 0.1 ms of a 1-byte
/// copy (round 21, bench/README.md). `externc-libm` now defines `pow` in the executable, so
/// the linker drops libm (`--as-needed`); an update that brings another libm function (or
/// libgcc_s, see `.cargo/config.toml`) back fails here. The rate the bar shows is indicatif's
/// estimate, so `pow`'s results are checked end to end by the rate tests of ux20.
#[test]
fn the_executable_loads_libc_alone() {
    if !require_tool("readelf") {
        return;
    }
    let needed = needed_libraries(FCOPY);
    // A static build names none (`RUSTFLAGS=-C target-feature=+crt-static`, README).
    assert!(
        needed.iter().all(|lib| lib.starts_with("libc.so")),
        "{FCOPY} needs {needed:?}; only libc is expected"
    );
}
