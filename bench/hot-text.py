#!/usr/bin/env python3
"""Write src/hot-text.ld: the functions common fcopy runs execute, linked first and together.

Usage: bench/hot-text.py FCOPY_BINARY [OUT_LD]
       bench/hot-text.py --check FCOPY_BINARY   (CI: is src/hot-text.ld still current?)

Runs FCOPY_BINARY under valgrind's callgrind on a few everyday copies (a 1-byte file, a new
tree, the same tree again with -u and without, -a with symlinks, -v, a missing operand, a pipe,
long options that clap parses) and the benchmark's other rows (`-a --update=changed`,
`--progress=always`, `--verify`, a byte range over an existing file, `--batch`), keeps
every function of the executable that ran, and writes a linker script that places those
functions' sections in `.text.hot`, after the rest of `.text` (see build.rs): clap's first, then
the workloads' in reverse, the 1-byte copy's and the C start-up code last, next to `.plt`
(which the exit path calls through), so that the code every run touches shares its 64 KiB
windows with what the linker places after it.

Why (issue 16, goal 6, peak RSS): the kernel maps up to 64 KiB of cached file pages around
each page fault (`fault_around_bytes`), so hot functions scattered over 1.7 MB of text made
1.1 MB of it resident in a 1-byte copy, though the functions that ran total about 260 KB.

The patterns leave out what changes from build to build (a new compiler, a new version of a
dependency): the hash of a legacy-mangled name (`17h<16 hex digits>E`) and the crate
disambiguators and back-references of a v0 name (`Cs<base-62>_`, `B<base-62>_`), except for
generic functions with several instances (sorts, hash tables), where the hash tells the instance
that ran. A function the patterns miss is linked with the rest of `.text`: that costs memory,
never correctness. Re-run this script after large changes (the benchmark's RSS column shows it).

`--check` (run by .ci/run on the release build) fails when the functions the workloads run now
and the committed list misses lie in more than CHECK_WINDOWS 64 KiB windows of the executable:
round 9 measured a stale list after one change to the worker loop (22 functions, 8 KB of code,
in 5 windows) making 300 KB more of the executable resident in a tree copy.
"""

import fnmatch
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

LEGACY_HASH = re.compile(r"17h[0-9a-f]{16}E$")
V0_DISAMBIGUATOR = re.compile(r"(C|B|s)[0-9A-Za-z]*_")
# How many 64 KiB windows of text outside the listed functions `--check` lets the functions
# the workloads run reach (each is up to 64 KiB of resident text: fault-around).
CHECK_WINDOWS = 2
# Functions that run only when threads wait for each other (the `-j` hand-off channels), which
# valgrind's one-thread-at-a-time scheduling seldom shows: all of them are listed (12 KB), with
# the tree copy's functions.
ALWAYS_HOT = ("4sync4mpmc",)
TREE_WORKLOAD = 3


def workloads(fcopy, work):
    """The runs whose functions count as hot: (argv, setup) pairs, run in `work`."""
    tree = os.path.join(work, "tree")
    for d in range(21):
        os.makedirs(os.path.join(tree, f"d{d}"), exist_ok=True)
        # d20 holds 120 files: sorting a listing of 64 or more names takes another path
        for f in range(120 if d == 20 else 30):
            with open(os.path.join(tree, f"d{d}", f"f{f}"), "wb") as out:
                out.write(os.urandom(4096 if f % 2 else 1))
    os.symlink("d0/f0", os.path.join(tree, "link"))
    one = os.path.join(work, "one")
    with open(one, "wb") as out:
        out.write(b"x")
    # a ranged copy over an existing file, long enough for read/write on ext4
    # (src/exec/strategy/splice.rs: READ_WRITE_FROM, 16 MiB), as bench/run.sh's range row
    big = os.path.join(work, "big")
    with open(big, "wb") as out:
        out.write(os.urandom(1 << 20) * 18)
    over = os.path.join(work, "over")
    with open(over, "wb") as out:
        out.write(b"\0" * (17 << 20))
    batch = os.path.join(work, "batch")
    with open(batch, "w") as out:
        for f in range(30):
            out.write(f"{tree}/d1/f{f}\t{work}/b{f}\n")
    return [
        [fcopy, one, os.path.join(work, "one.copy")],
        [fcopy, one, os.path.join(work, "one.copy")],
        [fcopy, "/proc/cpuinfo", os.path.join(work, "cpuinfo")],
        [fcopy, "-r", tree, os.path.join(work, "t1")],
        [fcopy, "-r", tree, os.path.join(work, "t1")],
        [fcopy, "-r", "-u", tree, os.path.join(work, "t1")],
        [fcopy, "-a", "-v", tree, os.path.join(work, "t2")],
        [fcopy, "-a", "-u", tree, os.path.join(work, "t2")],
        [fcopy, one, os.path.join(work, "tree", "d0"), os.path.join(work, "t1")],
        [fcopy, os.path.join(work, "missing"), os.path.join(work, "x")],
        [fcopy, "/dev/stdin", os.path.join(work, "from-a-pipe")],
        # long options and values: clap parses these (src/cli/quick.rs takes only cp's letters)
        [fcopy, "-r", "-j", "2", "--preserve=mode,timestamps", tree, os.path.join(work, "t3")],
        # the benchmark's other rows (round 17: each ran 0.3-0.8 MB of text outside the list)
        [fcopy, "-a", "--update=changed", tree, os.path.join(work, "t2")],
        [fcopy, "--progress=always", big, os.path.join(work, "big.copy")],
        [fcopy, "--verify", big, os.path.join(work, "big.verified")],
        [fcopy, "--offset-in", "1M", "--len", "16M", "--offset-out", "0", big, over],
        [fcopy, "-j", "2", "--batch", batch],
    ]


def executed(fcopy, work):
    """Names of the functions that ran (as callgrind saw them, mangled), in the order of the
    first workload that ran each: the 1-byte copy's functions come first and lie together."""
    names = {}
    for i, argv in enumerate(workloads(fcopy, work)):
        out = os.path.join(work, f"cg.{i}")
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}"]
            + argv,
            input=b"from a pipe",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        with open(out) as cg:
            for line in cg:
                m = re.match(r"^c?fn=\(\d+\) (.*)$", line)
                if m:
                    names.setdefault(m.group(1).strip(), i)
    return names


def text_symbols(fcopy):
    """The executable's function symbols (nm's t/T), name -> size in bytes."""
    out = subprocess.run(["nm", "-S", fcopy], capture_output=True, text=True, check=True)
    syms = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            syms[parts[3]] = int(parts[1], 16)
    return syms


def parser(name):
    """Whether `name` is clap's: last in the list, because the common command lines (cp's
    one-letter flags and operands) are parsed without clap (src/cli/quick.rs)."""
    return any(c in name for c in ("clap_builder", "clap_lex", "4clap", "6strsim"))


def stable_name(name):
    """`name` with what changes from build to build replaced by `*`."""
    if name.startswith("_ZN"):
        return LEGACY_HASH.sub("17h*E", name)
    if name.startswith("_R"):
        return V0_DISAMBIGUATOR.sub(lambda m: m.group(1) + "*_", name)
    return name


def pattern(name, instances):
    """A section-name glob for `name` (see the module docstring).

    The build-specific parts are left out, unless `instances` (how many functions of the
    executable share the stable name: a generic function's instances) is more than one: then
    the exact name, so that only the instance that ran is hot. LLVM puts a function it judges
    cold in `.text.unlikely.NAME`, others in `.text.NAME`; both are matched. `$` (legacy
    mangling's escapes) is matched by `?`.
    """
    glob = name if instances > 1 else stable_name(name)
    return ".text.*" + glob.replace("$", "?")


def hot_functions(fcopy, syms):
    """The executable's functions the workloads ran, clap's first, the 1-byte copy's last."""
    with tempfile.TemporaryDirectory() as work:
        ran = executed(fcopy, work)
    for n in syms:
        if any(f in n for f in ALWAYS_HOT):
            ran.setdefault(n, TREE_WORKLOAD)
    return sorted((n for n in ran if n in syms), key=lambda n: (not parser(n), -ran[n], n))


def rustc_version():
    """`rustc --version`: the names in the list are this compiler's."""
    out = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def check(fcopy, ld_path):
    """Exit 1 when the functions the workloads run now, missing from the list in ld_path, lie
    in more than CHECK_WINDOWS 64 KiB windows of the executable outside the listed ones: each
    such window is up to 64 KiB more resident text (fault-around), whatever the function's size.
    """
    out = subprocess.run(["nm", "-S", fcopy], capture_output=True, text=True, check=True)
    address = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tT":
            address[parts[3]] = int(parts[0], 16)
    with open(ld_path) as ld:
        script = ld.read()
    made_with = re.search(r"rustc: ([^\n*]*)", script)
    if not made_with or made_with.group(1).strip() != rustc_version():
        # Another compiler names (and inlines) functions differently: the list is regenerated
        # for it, not failed (a stale list costs memory, never correctness).
        print(f"{ld_path}: written with {made_with.group(1).strip() if made_with else 'an unknown rustc'}, "
              f"this is {rustc_version()}: not checked (regenerate it for this compiler)")
        return
    syms = text_symbols(fcopy)
    hot = hot_functions(fcopy, syms)
    globs = re.findall(r"\*\((\.text\.\*[^)]*)\)", script)
    listed_re = re.compile("|".join(fnmatch.translate(g) for g in globs))
    listed = {n for n in hot if any(listed_re.match(p + n) for p in (".text.", ".text.unlikely."))}
    missed = [n for n in hot if n not in listed]
    windows = {address[n] >> 16 for n in missed} - {address[n] >> 16 for n in listed}
    print(f"{ld_path}: {len(missed)} of {len(hot)} functions the workloads ran are not listed; "
          f"they lie in {len(windows)} 64 KiB windows outside the listed ones "
          f"(limit {CHECK_WINDOWS})")
    for n in missed[:10]:
        print(f"  {syms[n]:7} {n}")
    if not hot or len(windows) > CHECK_WINDOWS:
        sys.exit("the hot-text list is stale: run `cargo build --release && python3 "
                 "bench/hot-text.py target/release/fcopy && cargo build --release` and commit it")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_ld = os.path.join(here, "..", "src", "hot-text.ld")
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(os.path.abspath(sys.argv[2]), default_ld)
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    fcopy = os.path.abspath(sys.argv[1])
    out_ld = sys.argv[2] if len(sys.argv) == 3 else default_ld
    syms = text_symbols(fcopy)
    hot = hot_functions(fcopy, syms)
    instances = Counter(stable_name(n) for n in syms)
    patterns = list(dict.fromkeys(pattern(n, instances[stable_name(n)]) for n in hot))
    size = sum(syms[n] for n in hot)
    with open(out_ld, "w") as ld:
        ld.write(
            "/* Functions everyday copies run, linked together before the rest of .text (see\n"
            "   build.rs). Written by bench/hot-text.py from valgrind runs of fcopy: "
            f"{len(hot)} functions,\n   {size} bytes when written, rustc: {rustc_version()}\n"
            "   Do not edit by hand. */\n"
            "SECTIONS {\n  .text.hot : {\n"
        )
        for p in patterns:
            ld.write(f"    *({p})\n")
        # The C start-up code (`_start`, crtbegin's constructors and destructors), last: next
        # to `.plt`, which the exit path calls through.
        ld.write("    *crt1.o(.text) *crtbegin*.o(.text)\n")
        ld.write("  }\n} INSERT AFTER .text;\n")
    print(f"{out_ld}: {len(hot)} functions, {size} bytes, {len(patterns)} patterns")


if __name__ == "__main__":
    main()
