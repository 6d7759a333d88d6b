//! The floor of a single-file copy for a Rust program (bench/run.sh, tool `rust-floor`): the
//! same copy as bench/cfr-floor.c, written with the standard library alone. `std::io::copy`
//! between two files uses copy_file_range(2), then sendfile(2) where the kernel refuses
//! (EXDEV: ext4 -> tmpfs), then read/write (size-0 /proc files), the strategies fcopy uses.
//! Built by run.sh with rustc -O, panic=abort and the link flags of fcopy's own build
//! (.cargo/config.toml: GCC's unwinder linked in). It pays what every Rust program with `std`
//! pays before `main` (the runtime's start-up: stack guard, signal set-up) and nothing else:
//! the start-up floor for fcopy, as the C loop is the floor for a C program.
//! Usage: rust-floor SRC DST
fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() != 3 {
        eprintln!("usage: rust-floor SRC DST");
        std::process::exit(2);
    }
    let copy = || -> std::io::Result<u64> {
        let mut input = std::fs::File::open(&args[1])?;
        let mut output = std::fs::File::create(&args[2])?;
        std::io::copy(&mut input, &mut output)
    };
    if let Err(e) = copy() {
        eprintln!("rust-floor: {e}");
        std::process::exit(1);
    }
}
