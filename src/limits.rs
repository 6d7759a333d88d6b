//! The address space left under `RLIMIT_AS` (`ulimit -v`), which the worker pool and the
//! signal watchdog size themselves by (issue 14: a memory limit means less, never an abort). A
//! crate-level module because both `pool` (which imports `exec`) and `signals` (which `exec`
//! imports) use it.

/// What the address-space limit (`RLIMIT_AS`) leaves free now, in bytes; `None` without a limit.
pub fn address_space_headroom() -> Option<u64> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::As).current?;
    Some(limit.saturating_sub(address_space_in_use()))
}

/// The address space mapped now (`VmSize` in `/proc/self/status`), in bytes; 0 when /proc
/// cannot say (the cap then counts from the whole limit).
pub fn address_space_in_use() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmSize:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        });
    kib.unwrap_or(0) * 1024
}
