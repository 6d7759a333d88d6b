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

/// The executable exports no symbol (`src/exports.map`): the math functions externc-libm
/// defines in it would otherwise take the place of glibc's libm for a library injected with
/// LD_PRELOAD, which then saw no `errno` from `pow(10, 400)` or `log(0)` (red team, round 21).
#[test]
fn the_executable_exports_no_symbol() {
    if !require_tool("readelf") {
        return;
    }
    let out = Command::new("readelf")
        .args(["--dyn-syms", "--wide", FCOPY])
        .output()
        .expect("readelf runs");
    assert!(out.status.success(), "readelf failed: {out:?}");
    let listing = String::from_utf8_lossy(&out.stdout);
    // Num: Value Size Type Bind Vis Ndx Name; an imported symbol's Ndx is UND.
    let defined: Vec<&str> = listing
        .lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() >= 8 && matches!(fields[4], "GLOBAL" | "WEAK") && fields[6] != "UND"
        })
        .collect();
    assert!(defined.is_empty(), "{FCOPY} exports {defined:#?}");
}
