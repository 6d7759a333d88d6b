#!/usr/bin/env python3
"""Helpers for bench/run.sh: workload generators, a sparse-aware comparison,
and the markdown report.  Not meant to be run by hand (see bench/README.md).

Subcommands:
  gen-file   PATH SIZE                     random data (os.urandom)
  gen-sparse PATH SIZE EXTENTS EXTSIZE     EXTENTS random data extents, spread out, ending in a hole
  gen-tree   ROOT FILES DIRS FILESIZE SEED FILES equal-sized files in DIRS directories
  gen-mixed  ROOT FILES MIN MAX SEED       FILES files, log-uniform sizes in [MIN, MAX]
  stale-files ROOT LIST PERCENT SEED       make PERCENT % of the files under ROOT an older version
                                           (other bytes, half of them another size, mtime a day
                                           earlier); write their relative paths to LIST, NUL-separated
  empty-tree DIR                           truncate every file under DIR to 0 bytes
  cmp-sparse SRC DST                       exit 0 when DST has SRC's size and bytes
  annotate   JSON TOOLS_TSV KEY=VALUE...   merge harness data into a hyperfine JSON export
  report     RESULTS_DIR OUT_MD            write the markdown table from all *.json in RESULTS_DIR
  cargo-bin  NAME                          read `cargo build --message-format=json` from stdin,
                                           print the path of the executable of bin target NAME
"""

import datetime
import json
import math
import os
import random
import sys

MiB = 1 << 20
POOL_SIZE = 16 * MiB


def _pool(seed):
    return random.Random(seed).randbytes(POOL_SIZE)


def _slice(pool, rng, size):
    """size bytes of pool data starting at a random offset (wrapping around)."""
    out = bytearray()
    while len(out) < size:
        off = rng.randrange(POOL_SIZE)
        out += pool[off:off + (size - len(out))]
    return bytes(out)


def gen_file(path, size):
    size = int(size)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 8 * MiB)
            f.write(os.urandom(n))
            left -= n


def gen_sparse(path, size, extents, extsize):
    size, extents, extsize = int(size), int(extents), int(extsize)
    stride = size // extents
    assert stride >= 2 * extsize, "extents would touch"
    with open(path, "wb") as f:
        for i in range(extents):
            # each extent sits in the middle of its stride: the file starts
            # with a hole, the extents are spread out and it ends in a hole.
            off = i * stride + (stride // 2 // extsize) * extsize
            f.seek(off)
            f.write(os.urandom(extsize))
        f.truncate(size)


def gen_tree(root, files, dirs, filesize, seed):
    files, dirs, filesize = int(files), int(dirs), int(filesize)
    rng = random.Random(int(seed))
    pool = _pool(int(seed))
    os.makedirs(root)
    width = len(str(dirs - 1))
    per_dir = -(-files // dirs)
    made = 0
    for d in range(dirs):
        dpath = os.path.join(root, f"d{d:0{width}}")
        os.mkdir(dpath)
        for i in range(per_dir):
            if made == files:
                break
            with open(os.path.join(dpath, f"f{i:05}"), "wb") as f:
                f.write(_slice(pool, rng, filesize))
            made += 1


def gen_mixed(root, files, lo, hi, seed):
    files, lo, hi, seed = int(files), int(lo), int(hi), int(seed)
    rng = random.Random(seed)
    pool = _pool(seed)
    sizes = [int(round(math.exp(rng.uniform(math.log(lo), math.log(hi))))) for _ in range(files)]
    os.makedirs(root)
    # 2-level layout: ~sqrt(files)/2 top directories, files spread round-robin
    # into top/sub directories so the tree has some depth.
    tops = max(1, int(math.sqrt(files) / 2))
    for i, size in enumerate(sizes):
        top = i % tops
        sub = (i // tops) % 4
        dpath = os.path.join(root, f"t{top:02}", f"s{sub}")
        os.makedirs(dpath, exist_ok=True)
        with open(os.path.join(dpath, f"f{i:05}.bin"), "wb") as f:
            left = size
            while left:
                n = min(left, 4 * MiB)
                f.write(_slice(pool, rng, n))
                left -= n
    print(sum(sizes))


def stale_files(root, listfile, percent, seed):
    """Turn PERCENT % of the files under ROOT (a copy of a source tree) into what a backup made
    before they changed holds: other bytes (the first and the last byte flipped), every second
    one also 1 KiB shorter, and an mtime one day earlier than the source's. Sizes and mtimes
    still tell them apart, as rsync's quick check and --update=changed need."""
    percent, rng = float(percent), random.Random(int(seed) + 1)
    files = sorted(os.path.relpath(os.path.join(d, n), root)
                   for d, _dirs, names in os.walk(root) for n in names)
    chosen = sorted(rng.sample(files, max(1, round(len(files) * percent / 100))))
    for i, rel in enumerate(chosen):
        path = os.path.join(root, rel)
        st = os.stat(path)
        with open(path, "r+b") as f:
            for at in {0, max(0, st.st_size - 1)}:
                f.seek(at)
                b = f.read(1)
                f.seek(at)
                f.write(bytes([(b[0] if b else 0) ^ 0xFF]))
            if i % 2 and st.st_size > 2048:
                f.truncate(st.st_size - 1024)
        day = 86400 * 10**9
        os.utime(path, ns=(st.st_atime_ns - day, st.st_mtime_ns - day))
    with open(listfile, "wb") as f:
        f.write(b"".join(os.fsencode(rel) + b"\0" for rel in chosen))


def empty_tree(root):
    """Truncate every regular file under root to 0 bytes (frees the data, keeps the inodes)."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.ftruncate(fd, 0)
            finally:
                os.close(fd)


def _data_extents(fd, size):
    out, pos = [], 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: no more data
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        out.append((start, end))
        pos = end
    return out


def cmp_sparse(src, dst):
    """Compare without reading the holes (reading 8 GiB of holes would fill the page cache)."""
    sfd, dfd = os.open(src, os.O_RDONLY), os.open(dst, os.O_RDONLY)
    size = os.fstat(sfd).st_size
    if os.fstat(dfd).st_size != size:
        print(f"size differs: {os.fstat(dfd).st_size} != {size}", file=sys.stderr)
        return 1

    def same(start, end, zeros):
        pos = start
        while pos < end:
            n = min(end - pos, 4 * MiB)
            b = os.pread(dfd, n, pos)
            want = bytes(n) if zeros else os.pread(sfd, n, pos)
            if b != want:
                print(f"bytes differ in [{pos}, {pos + n})", file=sys.stderr)
                return False
            pos += n
        return True

    src_ext = _data_extents(sfd, size)
    for start, end in src_ext:
        if not same(start, end, False):
            return 1
    # data in DST outside SRC's data extents must read as zeros
    for start, end in _data_extents(dfd, size):
        pos = start
        for s, e in src_ext:
            if e <= pos or s >= end:
                continue
            if s > pos and not same(pos, s, True):
                return 1
            pos = max(pos, e)
        if pos < end and not same(pos, end, True):
            return 1
    return 0


def cargo_bin(name):
    """The executable cargo built (or found fresh) for bin target NAME, from its JSON messages.
    Follows build.target / --target (target/<triple>/release/) and CARGO_TARGET_DIR."""
    exe = None
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        t = msg.get("target") or {}
        if (msg.get("reason") == "compiler-artifact" and t.get("name") == name
                and "bin" in t.get("kind", []) and msg.get("executable")):
            exe = msg["executable"]
    if exe is None:
        print(f"cargo-bin: cargo reported no executable for bin target '{name}'", file=sys.stderr)
        return 1
    print(exe)
    return 0


# ---------------------------------------------------------------- report

# workload -> (title, baseline tool, target ratio[, measured tool (default "fcopy")])
WORKLOADS = {
    "big": ("1 GiB file, same ext4", "cp", 0.90),
    "tmpfs": ("1 GiB file, ext4 → tmpfs", "cp", 0.85),
    "progress": ("1 GiB file, same ext4, --progress=always vs without", "fcopy", 1.03, "fcopy -g"),
    "sparse": ("8 GiB sparse file, 64 × 1 MiB extents", "cp", 0.80),
    "tree": ("10,000 × 4 KiB files in 100 dirs (-r)", "cp", 0.55),
    "tree-tmpfs": ("10,000 × 4 KiB tree, ext4 → tmpfs (-r)", "cp", 0.30),
    "batch": ("10,000 × 4 KiB files, job list (--batch)", "cp loop", 0.05),
    "mixed": ("2,000 files, 1 KiB–8 MiB log-uniform (-r)", "cp", 0.80),
    "recopy": ("10,000 × 4 KiB tree again into a complete copy (cp -r SRC DIR)", "cp", 0.60),
    "recopy-u": ("10,000 × 4 KiB tree again into an up-to-date copy (cp -r -u SRC DIR)", "cp", 0.60),
    # issue 17: a re-run that finds 10 % of the files changed; --verify's cost (no target:
    # the ratio to fcopy without --verify is reported)
    "rerun": ("re-run of the 2,000-file mixed tree, 10 % of the files changed", "cp -a", 0.30),
    "verify": ("1 GiB file, same ext4, --verify vs without", "fcopy", None, "fcopy --verify"),
    "range": ("256 MiB range at 384 MiB into existing file", "dd", 0.80),
    # issue 16, goal 3: at most 0.70 × cp and within 10 % of the floor (FLOOR_TARGET)
    "tiny": ("1-byte file (start-up)", "cp", 0.70),
    "proc": ("/proc/cpuinfo", "cp", 0.70),
    "reflink-btrfs": ("1 GiB file, btrfs, --reflink=always", "cp", 1.00),
    "reflink-xfs": ("1 GiB file, xfs, --reflink=always", "cp", 1.00),
    "gluster": ("1,000 × 4 KiB tree inside a GlusterFS volume (-r)", "cp", 0.30),
    "gluster-big": ("256 MiB file inside a GlusterFS volume", "cp", 1.00),
}
# the C copy_file_range loop (bench/cfr-floor.c; on recopy-u the look-ups of bench/update-floor.c):
# not a peer, the floor; where a limit is given
# here, the target also requires fcopy ≤ limit × the floor's median
FLOOR = "floor"
# the same loop in Rust with std alone (bench/cfr-floor.rs): the start-up floor of a Rust program
RUST_FLOOR = "rust-floor"
# not peers either: the C loop linked statically, and fcopy's own opt-in static build (run.sh's
# fcopy-static); shown in the detail rows and the floor cell, never as "fastest other tool"
STATIC_FLOOR = "floor-static"
FCOPY_STATIC = "fcopy-static"
FLOOR_TARGET = {"tiny": 1.10, "proc": 1.10}
RSS_TARGET = 1.25
NOISY = 0.20  # σ / mean above which a timing is flagged as noisy


def fmt_t(t):
    if t is None:
        return "–"
    if t >= 1:
        return f"{t:.3f} s"
    ms = t * 1e3
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_range(lo, hi):
    if lo is None:
        return "–"
    return f"{fmt_t(lo)} – {fmt_t(hi)}"


def fmt_kib(k):
    if k in (None, ""):
        return "–"
    k = int(k)
    return f"{k / 1024:.1f} MiB" if k >= 10240 else f"{k} KiB"


def annotate(path, tools_tsv, *kv):
    data = {}
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path) as f:
            data = json.load(f)
    bench = {}
    for item in kv:
        k, _, v = item.partition("=")
        bench[k] = v
    tools = []
    with open(tools_tsv) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            name, status, rss, blocks, note, cmd = (line.split("\t") + [""] * 6)[:6]
            tools.append({"name": name, "status": status, "rss_kib": int(rss) if rss else None,
                          "dst_blocks": int(blocks) if blocks else None, "note": note, "command": cmd})
    bench["tools"] = tools
    data["fcopy_bench"] = bench
    # keep the export small: drop per-run exit codes (all zero when we get here)
    for r in data.get("results", []):
        r.pop("exit_codes", None)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def _load(results_dir):
    out = {}
    for name in os.listdir(results_dir):
        if name.endswith(".json"):
            try:
                with open(os.path.join(results_dir, name)) as f:
                    d = json.load(f)
            except (OSError, ValueError) as e:
                print(f"report: skipping {name}: {e}", file=sys.stderr)
                continue
            if "fcopy_bench" in d:
                out[d["fcopy_bench"].get("workload", name[:-5])] = d
    return out


def report(results_dir, out_md):
    runs = _load(results_dir)
    order = [w for w in WORKLOADS if w in runs] + sorted(w for w in runs if w not in WORKLOADS)
    summary, details, notes, infos = [], [], [], []

    for w in order:
        d = runs[w]
        b = d["fcopy_bench"]
        title, base_name, target, *rest = WORKLOADS.get(w, (w, "cp", None))
        meas_name = rest[0] if rest else "fcopy"
        title = b.get("title") or title
        timing = {r["command"]: r for r in d.get("results", [])}
        tools = {t["name"]: t for t in b["tools"]}

        def med(name):
            r = timing.get(name)
            return r["median"] if r else None

        def noisy(name):
            r = timing.get(name)
            return bool(r and r.get("stddev") and r["mean"] and r["stddev"] / r["mean"] > NOISY)

        base_med, f_med = med(base_name), med(meas_name)
        ft, bt = tools.get(meas_name, {}), tools.get(base_name, {})
        # --- summary row
        if b.get("skipped"):
            summary.append(f"| {w} | {title} | – | – | – | skipped: {b['skipped']} | – | – | – | – |")
            if b.get("note"):
                notes.append(f"- `{w}`: {b['note']}")
            continue
        ratio = f_med / base_med if (f_med and base_med) else None
        if ft.get("status", "") != "ok":
            verdict = f"**{ft.get('status', 'not run')}**"
        elif ratio is None:
            verdict = "no baseline"
        elif target is None:
            verdict = "– (no target: the ratio is the result)"
        else:
            met = ratio <= target
            extra = ""
            if w == "sparse":
                sb = b.get("src_blocks")
                db = ft.get("dst_blocks")
                blocks_eq = sb not in (None, "") and db is not None and int(sb) == int(db)
                met = met and blocks_eq
                extra = "" if blocks_eq else " (blocks differ)"
            fl_lim = FLOOR_TARGET.get(w)
            fl_med = med(FLOOR)
            if fl_lim is not None and fl_med:
                met = met and f_med / fl_med <= fl_lim
                extra += f", ≤ {fl_lim:.2f} × floor"
            verdict = ("yes" if met else "**no**") + f" (≤ {target:.2f}{extra})"
        rss_r = None
        if ft.get("rss_kib") and bt.get("rss_kib"):
            rss_r = ft["rss_kib"] / bt["rss_kib"]
        rss_cell = "–" if rss_r is None else (
            f"{fmt_kib(ft['rss_kib'])} / {fmt_kib(bt['rss_kib'])} = {rss_r:.2f} "
            + ("yes" if rss_r <= RSS_TARGET else "**no**"))
        # three decimals below 0.1, so that a ratio near a small target (batch: 0.05) is not rounded onto it
        ratio_cell = "–" if ratio is None else (f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}")
        if ratio is not None and (noisy(meas_name) or noisy(base_name)):
            ratio_cell += " (noisy)"
        blocks = "–"
        if w == "sparse":
            blocks = f"src {b.get('src_blocks', '?')}, " + ", ".join(
                f"{n} {t['dst_blocks'] if t.get('dst_blocks') is not None else '?'}"
                for n, t in tools.items())
        f_cell = fmt_t(f_med) + (f" ({meas_name})" if meas_name != "fcopy" else "")
        # the fastest other tool (a peer, or the baseline), and the floor
        not_peers = (meas_name, FLOOR, RUST_FLOOR, STATIC_FLOOR, FCOPY_STATIC)
        peers = [(med(n), n) for n in tools if n not in not_peers and med(n)]
        best_cell = "–"
        if peers and f_med:
            pm, pn = min(peers)
            rr = f_med / pm
            best_cell = f"{pn} {fmt_t(pm)}: " + (f"{rr:.2f}" if rr >= 0.1 else f"{rr:.3f}") + (
                " (ahead)" if rr < 1 else "")
        fl_med = med(FLOOR)
        floor_cell = "–" if not (fl_med and f_med) else f"{fmt_t(fl_med)}: {f_med / fl_med:.2f}"
        rfl_med = med(RUST_FLOOR)
        if rfl_med and f_med:
            floor_cell += f"; Rust {fmt_t(rfl_med)}: {f_med / rfl_med:.2f}"
        sfl_med, fs_med = med(STATIC_FLOOR), med(FCOPY_STATIC)
        if sfl_med and fs_med and base_med:
            floor_cell += (f"; static: fcopy-static {fmt_t(fs_med)} = {fs_med / base_med:.2f} × {base_name}, "
                           f"{fs_med / sfl_med:.2f} × floor-static {fmt_t(sfl_med)}, {fs_med / fl_med:.2f} × floor"
                           if fl_med else "")
        summary.append(
            f"| {w} | {title} | {f_cell} | {fmt_t(base_med)} ({base_name}) | {ratio_cell} | "
            f"{verdict} | {best_cell} | {floor_cell} | {rss_cell} | {blocks} |")

        # --- detail rows: every tool
        for name, t in tools.items():
            r = timing.get(name)
            if r:
                vs = []
                bm = med(base_name)
                if bm and base_name != name:
                    rr = r['median'] / bm
                    vs.append((f"{rr:.2f}" if rr >= 0.1 else f"{rr:.3f}") + f"× {base_name}")
                n_runs = len(r.get("times", [])) or "?"
                details.append(
                    f"| {w} | {name} | {fmt_t(r['median'])} | {fmt_range(r['min'], r['max'])} | "
                    f"{fmt_t(r['mean'])} ± {fmt_t(r.get('stddev') or 0)} | {', '.join(vs) or '–'} | "
                    f"{fmt_kib(t.get('rss_kib'))} | {n_runs} | {t['status']}"
                    + (f", noisy (σ = {r['stddev'] / r['mean']:.0%} of mean)" if noisy(name) else "") + " |")
            else:
                details.append(
                    f"| {w} | {name} | – | – | – | – | {fmt_kib(t.get('rss_kib'))} | 0 | **{t['status']}** |")
            if t.get("note"):
                notes.append(f"- `{w}` / `{name}`: {t['note']}")
            notes_cmd = t.get("command")
            if notes_cmd:
                infos.append(f"- `{w}` / `{name}`: `{notes_cmd}`")
        if b.get("note"):
            notes.append(f"- `{w}`: {b['note']}")

    first = next(iter(runs.values()), {}).get("fcopy_bench", {})
    stamps = sorted({(r["fcopy_bench"].get("date", "?"), r["fcopy_bench"].get("fcopy", "?"),
                      r["fcopy_bench"].get("mode", "?")) for r in runs.values()})
    lines = [
        "# fcopy benchmark results",
        "",
        "Generated by `bench/run.sh` (see `bench/README.md`). Warm page cache (`hyperfine --warmup 1`),",
        "destination removed before every run; times are wall-clock medians over the runs shown below.",
        "Ratio = fcopy median / baseline median (GNU cp; dd for `range`; a shell loop running one cp per",
        "file for `batch`; fcopy without the bar for `progress`, where fcopy's column is `fcopy -g`); lower is better.",
        "Peak RSS is `/usr/bin/time -f %M` of one run of each tool, its executable read into the page cache afresh first (bench/run.sh: settle_exe).",
        f"\"noisy\": σ above {NOISY:.0%} of the mean (a busy machine; re-run that workload).",
        "\"load\": the 1-minute load average when the workload's timing started → when it finished, and the",
        "CPU use just before the timing; the benchmark itself accounts for about 1 of the load, anything well",
        "above that means other work competed for the CPUs.",
        "\"fastest other tool\": the peer (or baseline) with the lowest median, and fcopy's median ÷ its",
        "(below 1: fcopy is ahead). \"floor\": bench/cfr-floor.c, a bare copy_file_range loop",
        "(sendfile across filesystems, read/write for size-0 files), a lower bound rather than a peer;",
        "on recopy-u, bench/update-floor.c: the directory listings and lstat calls `cp -r -u` needs, one thread per CPU.",
        "\"floor-static\" and \"fcopy-static\" (tiny, proc): that loop and fcopy linked as static-pies (no dynamic",
        "loader); fcopy-static is the README's opt-in build, not a peer.",
        "",
        f"- machine: {first.get('machine', '?')}",
        f"- kernel: {first.get('kernel', '?')}; scratch fs: {first.get('scratch_fs', '?')}; "
        f"hyperfine {first.get('hyperfine', '?')}; {first.get('cp', '?')}",
        f"- peers: {first.get('peers', '?')}",
    ]
    for date, fc, mode in stamps:
        ws = [w for w in order if (runs[w]["fcopy_bench"].get("date", "?"), runs[w]["fcopy_bench"].get("fcopy", "?"),
                                   runs[w]["fcopy_bench"].get("mode", "?")) == (date, fc, mode)]
        ws = [w + (f" (load {runs[w]['fcopy_bench']['load_start'] + ' → ' if runs[w]['fcopy_bench'].get('load_start') else ''}"
                   f"{runs[w]['fcopy_bench']['load']}"
                   + (f", CPUs {runs[w]['fcopy_bench']['busy_start']} % busy at start" if runs[w]["fcopy_bench"].get("busy_start") else "")
                   + ")" if runs[w]["fcopy_bench"].get("load") else "")
              + (f" (nice {runs[w]['fcopy_bench']['nice']})" if runs[w]["fcopy_bench"].get("nice") else "")
              for w in ws]
        lines.append(f"- run {date} ({mode} mode), fcopy `{fc}`: {', '.join(ws)}")
    lines += [
        "",
        "## Targets",
        "",
        "| workload | what | fcopy median | baseline median | ratio | target met | fastest other tool: fcopy ÷ it | floor: fcopy ÷ it | peak RSS fcopy / baseline (≤ 1.25) | allocated blocks (512 B) |",
        "|---|---|---:|---:|---:|---|---|---|---|---|",
        *summary,
        "",
        "## All commands",
        "",
        "| workload | tool | median | min – max | mean ± σ | vs baseline | peak RSS | runs | status |",
        "|---|---|---:|---:|---:|---|---:|---:|---|",
        *details,
        "",
    ]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    if infos:
        lines += ["## Commands", "", "<details><summary>exact command lines</summary>", "", *infos, "",
                  "</details>", ""]
    with open(out_md, "w") as f:
        f.write("\n".join(lines))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "gen-file":
        gen_file(*args)
    elif cmd == "gen-sparse":
        gen_sparse(*args)
    elif cmd == "gen-tree":
        gen_tree(*args)
    elif cmd == "gen-mixed":
        gen_mixed(*args)
    elif cmd == "stale-files":
        stale_files(*args)
    elif cmd == "empty-tree":
        empty_tree(*args)
    elif cmd == "cmp-sparse":
        return cmp_sparse(*args)
    elif cmd == "annotate":
        annotate(*args)
    elif cmd == "report":
        report(*args)
    elif cmd == "cargo-bin":
        return cargo_bin(*args)
    elif cmd == "date":
        print(datetime.datetime.now().isoformat(timespec="seconds"))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
