#!/usr/bin/env bash
# fcopy benchmark harness: fcopy against its peers (GNU cp, uutils cp, xcp, fcp, dd, rsync)
# and a C copy_file_range floor, with hyperfine.
# Usage and the meaning of every workload and column: bench/README.md, or `bench/run.sh --help`.
set -euo pipefail

BENCH_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_HOME")
HELPER="$BENCH_HOME/helper.py"

ALL_WORKLOADS=(big tmpfs progress verify sparse tree tree-tmpfs batch mixed rerun recopy recopy-u range tiny proc reflink-btrfs reflink-xfs)
# not in the default set: needs root, installs and starts GlusterFS
OPTIONAL_WORKLOADS=(gluster)

usage() {
    cat <<EOF
usage: bench/run.sh [--quick] [WORKLOAD...]

Benchmarks fcopy against its peers (GNU cp, uutils cp, xcp, fcp, dd, rsync,
where each applies) in one hyperfine run per workload, on a warm page cache,
plus a C copy_file_range loop as the floor of single-file copies, and writes
bench/results.md and the hyperfine JSON exports in bench/results/.

workloads (default: all but gluster):
  big            1 GiB file, same ext4 filesystem
  tmpfs          the 1 GiB file, ext4 -> tmpfs (/dev/shm)
  progress       the 1 GiB file, same ext4: fcopy --progress=always vs fcopy
  verify         the 1 GiB file, same ext4: fcopy --verify vs fcopy (and --sync, cp)
  sparse         8 GiB sparse file, 64 x 1 MiB data extents, ending in a hole
  tree           10,000 x 4 KiB files in 100 directories (-r), same ext4
  tree-tmpfs     the same tree, ext4 -> tmpfs (-r)
  batch          the same 10,000 files as a job list: fcopy --batch vs one cp per line
  mixed          2,000 files of 1 KiB-8 MiB, log-uniform sizes (-r)
  rerun          the mixed tree again into a backup of it where 10 % of the files are
                 older versions: fcopy -a --update=changed vs cp -a, rsync -a, cp -a -u
  recopy         the 10,000-file tree again into a complete copy of it (cp -r SRC DIR)
  recopy-u       the same with -u (every file is up to date: nothing to copy)
  range          256 MiB at offset 384 MiB of the 1 GiB file into an existing file (vs dd)
  tiny           1-byte file (process start-up)
  proc           /proc/cpuinfo
  reflink        both of: reflink-btrfs reflink-xfs (loop-mounted images; root only)
  gluster        1,000 x 4 KiB tree, and a 256 MiB file (row gluster-big), inside a
                 one-brick GlusterFS volume on 127.0.0.2 (not in the default set nor in
                 all; root; installs glusterfs-server with apt-get)

options:
  --quick        smoke mode: small sizes, few runs, no waiting for an idle machine, no
                 peer installation; results go to \${TMPDIR:-/tmp}/fcopy-bench-quick/
  -h, --help     this text

environment:
  FCOPY=PATH     fcopy binary (default: cargo build --release, then the fcopy executable
                 cargo reports; honours CARGO_TARGET_DIR and build.target)
  STATIC=0       leave out fcopy-static (tiny, proc: fcopy linked statically, built by the
                 script with RUSTFLAGS=-C target-feature=+crt-static when FCOPY is unset)
  PEERS_DIR=DIR  where bench/peers.sh installs the cargo peers
                 (default: $(dirname "$ROOT")/bench-peers)
  INSTALL_PEERS=0|1  run bench/peers.sh first when a peer is missing (default 1; --quick: 0)
  XCP, FCP, UUTILS, RSYNC=PATH   the peers (default: PEERS_DIR/bin/{xcp,fcp,coreutils},
                 else on PATH; rsync on PATH); =none leaves that peer out. UUTILS is the
                 multi-call coreutils binary (run as 'coreutils cp') or a uutils cp
  RUNS=N         hyperfine --runs for every workload (default: 10; tiny/proc 100;
                 --quick: 3, tiny/proc 20)
  BENCH_DIR=DIR  scratch directory on the filesystem under test
                 (default: $(dirname "$ROOT")/bench-scratch); removed at the end
  TMPFS_DIR=DIR  tmpfs for the cross-filesystem workloads (default: /dev/shm)
  NICE=N         run the timings under nice -n N (e.g. -10 on a machine shared with builds)
  WAIT_IDLE=N    before each timing, wait up to N s until the CPUs have been idle (< 10 %
                 busy) for 3 s (default 120; --quick: 0 = don't wait); the load average
                 and CPU use at the start of each timing are recorded either way
  REQUIRE_IDLE=1 refuse (skip, with a note) a workload whose machine never became idle;
                 default: measure it anyway and say so in the notes
  KEEP=1         keep the scratch directory (generated sources are reused next time)
  RESULTS_MD=F, RESULTS_DIR=D   where to write the table and the JSON exports
EOF
}

log() { printf '\n==> %s\n' "$*" >&2; }
warn() { printf 'bench/run.sh: %s\n' "$*" >&2; }
die() {
    warn "$*"
    exit 1
}

# ------------------------------------------------------------------ arguments
QUICK=0
SELECTED=()
while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    --)
        shift
        SELECTED+=("$@")
        break
        ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *) SELECTED+=("$1") ;;
    esac
    shift
done

WORKLOADS=()
if ((${#SELECTED[@]} == 0)); then
    WORKLOADS=("${ALL_WORKLOADS[@]}")
else
    for w in "${SELECTED[@]}"; do
        case $w in
        all) WORKLOADS+=("${ALL_WORKLOADS[@]}") ;;
        reflink) WORKLOADS+=(reflink-btrfs reflink-xfs) ;;
        gluster-big) WORKLOADS+=(gluster) ;; # one volume, both rows
        big | tmpfs | progress | verify | sparse | tree | tree-tmpfs | batch | mixed | rerun | recopy | recopy-u | range | tiny | proc | reflink-btrfs | reflink-xfs | gluster)
            WORKLOADS+=("$w") ;;
        *) die "unknown workload '$w' (known: ${ALL_WORKLOADS[*]} ${OPTIONAL_WORKLOADS[*]} reflink all)" ;;
        esac
    done
fi
wants() {
    local w
    for w in "${WORKLOADS[@]}"; do [[ $w == "$1" ]] && return 0; done
    return 1
}

# ------------------------------------------------------------------ sizes
KiB=1024
MiB=$((1024 * KiB))
GiB=$((1024 * MiB))
if ((QUICK)); then
    MODE=quick
    BIG_SIZE=$((16 * MiB))
    SPARSE_SIZE=$((128 * MiB)) SPARSE_EXTENTS=64 SPARSE_EXT=$((64 * KiB))
    TREE_FILES=200 TREE_DIRS=10 TREE_FSIZE=$((4 * KiB))
    GLUSTER_FILES=100 GLUSTER_DIRS=10 GLUSTER_BIG=$((4 * MiB))
    MIXED_FILES=100 MIXED_MIN=$KiB MIXED_MAX=$((256 * KiB))
    RANGE_OFF=$((6 * MiB)) RANGE_LEN=$((4 * MiB))
    IMG_SIZE=$((512 * MiB))
    MIN_FREE=$((1 * GiB))
else
    MODE=full
    BIG_SIZE=$GiB
    SPARSE_SIZE=$((8 * GiB)) SPARSE_EXTENTS=64 SPARSE_EXT=$MiB
    TREE_FILES=10000 TREE_DIRS=100 TREE_FSIZE=$((4 * KiB))
    GLUSTER_FILES=1000 GLUSTER_DIRS=10 GLUSTER_BIG=$((256 * MiB))
    MIXED_FILES=2000 MIXED_MIN=$KiB MIXED_MAX=$((8 * MiB))
    RANGE_OFF=$((384 * MiB)) RANGE_LEN=$((256 * MiB))
    IMG_SIZE=$((3 * GiB))
    MIN_FREE=$((12 * GiB))
fi
SEED=20240601
STALE_PERCENT=10 # rerun: the share of the mixed tree's files that changed since the backup

runs_for() {
    if [[ -n ${RUNS:-} ]]; then
        echo "$RUNS"
        return
    fi
    case $1 in
    tiny | proc) ((QUICK)) && echo 20 || echo 100 ;;
    *) ((QUICK)) && echo 3 || echo 10 ;; # batch: the cp loop takes 10-20 s per run at full size

    esac
}
[[ -z ${RUNS:-} || $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
((QUICK || ${RUNS:-10} >= 10)) || warn "note: RUNS=$RUNS; the targets are meant for at least 10 runs per row"
# quiet-machine check (see wait_idle): on by default for real runs, off for the smoke test
WAIT_IDLE=${WAIT_IDLE:-$( ((QUICK)) && echo 0 || echo 120)}
[[ $WAIT_IDLE =~ ^[0-9]+$ ]] || die "WAIT_IDLE must be a number of seconds"
REQUIRE_IDLE=${REQUIRE_IDLE:-0}
# NICE=-10: run hyperfine (and so both tools) at a higher priority, to cut the noise on a
# machine shared with other work (negative values need root)
PRIO=()
if [[ -n ${NICE:-} ]]; then
    [[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
    PRIO=(nice -n "$NICE")
fi

# "1 GiB", "384 MiB", "4 KiB"
hsize() {
    local b=$1
    if ((b >= GiB && b % GiB == 0)); then
        echo "$((b / GiB)) GiB"
    elif ((b >= MiB && b % MiB == 0)); then
        echo "$((b / MiB)) MiB"
    elif ((b >= KiB && b % KiB == 0)); then
        echo "$((b / KiB)) KiB"
    else echo "$b B"; fi
}
# the CLI form of a size: 384M, 256M, 0
csize() {
    local b=$1
    if ((b > 0 && b % MiB == 0)); then echo "$((b / MiB))M"; else echo "$b"; fi
}

# ------------------------------------------------------------------ tools
# the peers: never dependencies of fcopy; bench/peers.sh installs them into PEERS_DIR
PEERS_DIR=${PEERS_DIR:-$(dirname "$ROOT")/bench-peers}
INSTALL_PEERS=${INSTALL_PEERS:-$( ((QUICK)) && echo 0 || echo 1)}
peer_missing() { # VAR BIN: VAR unset and BIN neither in PEERS_DIR nor on PATH
    [[ -z ${!1:-} && ! -x $PEERS_DIR/bin/$2 ]] && ! command -v "$2" >/dev/null 2>&1
}
if [[ $INSTALL_PEERS == 1 ]] && { peer_missing XCP xcp || peer_missing FCP fcp ||
    peer_missing UUTILS coreutils || peer_missing RSYNC rsync || ! command -v hyperfine >/dev/null; }; then
    log "installing the missing peers into $PEERS_DIR (bench/peers.sh; INSTALL_PEERS=0 skips this)"
    PEERS_DIR=$PEERS_DIR bash "$BENCH_HOME/peers.sh" || warn "bench/peers.sh failed; the missing peers are left out"
fi
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required ($2)"; }
need hyperfine "apt-get install hyperfine"
need python3 "for the generators and the report"
need cmp "diffutils"
need diff "diffutils"
if [[ ! -x /usr/bin/time ]]; then
    if ((EUID == 0)) && command -v apt-get >/dev/null; then
        log "installing GNU time (/usr/bin/time) for peak RSS"
        apt-get install -y -q time >/dev/null ||
            { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; } || true
    fi
    [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is required: apt-get install time"
fi
CP=/usr/bin/cp
DD=$(command -v dd)

# find_peer VAR BIN: the path of a peer: $VAR (none: left out), else PEERS_DIR/bin/BIN,
# else BIN on PATH, else nothing (left out)
find_peer() {
    local given=${!1:-} bin=$2
    [[ $given != none ]] || return 0
    if [[ -n $given ]]; then
        [[ $given == */* ]] || given=$(command -v "$given") || die "$1=${!1}: not found"
        [[ -x $given ]] || die "$1=$given is not an executable"
        echo "$given"
    elif [[ -x $PEERS_DIR/bin/$bin ]]; then
        echo "$PEERS_DIR/bin/$bin"
    else
        command -v "$bin" || true
    fi
}
XCP=$(find_peer XCP xcp)
FCP=$(find_peer FCP fcp)
UUTILS=$(find_peer UUTILS coreutils)
RSYNC=$(find_peer RSYNC rsync)
# uutils' multi-call binary takes the utility's name first
UU_CP=()
if [[ -n $UUTILS ]]; then
    if [[ $(basename "$UUTILS") == coreutils ]]; then UU_CP=("$UUTILS" cp); else UU_CP=("$UUTILS"); fi
fi
first_line() { "$@" 2>&1 | head -n1 || true; } # fcp prints its version on stderr
PEERS_LABEL="$(first_line "$DD" --version)"
[[ -z $UUTILS ]] || PEERS_LABEL+="; uutils $(first_line "${UU_CP[@]}" --version)"
[[ -z $XCP ]] || PEERS_LABEL+="; $(first_line "$XCP" --version)"
[[ -z $FCP ]] || PEERS_LABEL+="; fcp $(first_line "$FCP" --version)"
[[ -z $RSYNC ]] || PEERS_LABEL+="; $(first_line "$RSYNC" --version | tr -s ' ')"

BUILT_FCOPY=0
if [[ -z ${FCOPY:-} ]]; then
    BUILT_FCOPY=1
    log "building fcopy (cargo build --release)"
    need cargo "or set FCOPY=/path/to/fcopy"
    # the executable's path from cargo's own JSON messages: it moves to
    # target/<triple>/release/ when .cargo/config.toml sets build.target
    FCOPY=$(cd "$ROOT" && cargo build --release --message-format=json-render-diagnostics |
        python3 "$HELPER" cargo-bin fcopy) ||
        die "cargo build --release failed, or named no fcopy executable (set FCOPY=... to benchmark another binary)"
fi
if [[ $FCOPY != */* ]]; then FCOPY=$(command -v "$FCOPY") || die "FCOPY not found"; fi
[[ -x $FCOPY ]] || die "fcopy binary '$FCOPY' is not executable"
FCOPY=$(readlink -f "$FCOPY")
FCOPY_LABEL=$("$FCOPY" --version 2>/dev/null | head -n1 || true)
[[ -n $FCOPY_LABEL ]] || FCOPY_LABEL=$(basename "$FCOPY")
if git -C "$ROOT" rev-parse --short HEAD >/dev/null 2>&1 && [[ $FCOPY == "$ROOT"/* || $FCOPY == "${CARGO_TARGET_DIR:-/nonexistent}"/* ]]; then
    rev=$(git -C "$ROOT" rev-parse --short HEAD)
    [[ -z $(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]] || rev+="-dirty"
    FCOPY_LABEL+=" @ $rev"
fi
FCOPY_LABEL+=" ($FCOPY)"

# fcopy-static (tiny and proc rows): the same source linked statically (a static-pie, glibc's
# libc.a), the opt-in build the README describes for start-up-bound use. Built only when the
# script built fcopy itself (FCOPY unset) and a start-up row runs; STATIC=0 leaves it out.
FCOPY_STATIC=""
build_static_fcopy() {
    local host
    host=$(rustc --print host-tuple 2>/dev/null) || return 1
    FCOPY_STATIC=$(cd "$ROOT" && RUSTFLAGS="-C target-feature=+crt-static" \
        cargo build --release --target "$host" --message-format=json-render-diagnostics 2>"$1" |
        python3 "$HELPER" cargo-bin fcopy) && [[ -x $FCOPY_STATIC ]]
}

# ------------------------------------------------------------------ directories
SCRATCH=${BENCH_DIR:-$(dirname "$ROOT")/bench-scratch}
if [[ -d $SCRATCH && ! -e $SCRATCH/.fcopy-bench && -n $(ls -A "$SCRATCH") ]]; then
    die "BENCH_DIR '$SCRATCH' exists, is not empty and was not made by this script; refusing to use it"
fi
mkdir -p "$SCRATCH"
SCRATCH=$(cd "$SCRATCH" && pwd)
touch "$SCRATCH/.fcopy-bench"
TMPFS_ROOT=${TMPFS_DIR:-/dev/shm}
SHM=$(mktemp -d "$TMPFS_ROOT/fcopy-bench.XXXXXX")
MOUNTS=()
GLUSTER_VOL="" GLUSTERD_PID=""
# stop and delete the benchmark's GlusterFS volume, and stop glusterd if this script started it
gluster_teardown() {
    if [[ -n $GLUSTER_VOL ]]; then
        gluster --mode=script volume stop "$GLUSTER_VOL" force >/dev/null 2>&1
        gluster --mode=script volume delete "$GLUSTER_VOL" >/dev/null 2>&1
        GLUSTER_VOL=""
    fi
    if [[ -n $GLUSTERD_PID ]]; then
        kill "$GLUSTERD_PID" 2>/dev/null
        GLUSTERD_PID=""
    fi
}
COOLDOWN_STAMP=${TMPDIR:-/tmp}/fcopy-bench.last-cleanup

cleanup() {
    local rc=$?
    set +e
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}"
    done
    gluster_teardown
    rm -rf -- "$SHM"
    local had_trash=0
    [[ -z $(ls -A "$SCRATCH/trash" 2>/dev/null) ]] || had_trash=1
    if [[ ${KEEP:-0} == 1 ]]; then
        rm -rf -- "$SCRATCH"/dst "$SCRATCH"/trash "$SCRATCH"/*.img "$SCRATCH"/mnt-*
        warn "kept scratch directory $SCRATCH (KEEP=1)"
    elif [[ -e $SCRATCH/.fcopy-bench ]]; then
        rm -rf -- "$SCRATCH"
    fi
    ((had_trash == 0)) || date +%s >"$COOLDOWN_STAMP" # see wait_cooldown
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for p in "$SCRATCH" "$SHM" "$FCOPY" "$BENCH_HOME" "$DD" "$XCP" "$FCP" "$UUTILS" "$RSYNC"; do
    [[ -n $p ]] || continue # a peer left out
    # commands run through hyperfine -N (no shell), so keep paths word-safe
    [[ $p =~ ^[A-Za-z0-9_./+-]+$ ]] || die "path '$p' must not contain spaces or shell metacharacters"
done

fstype() { findmnt -n -o FSTYPE --target "$1" 2>/dev/null | tail -n1 | grep . || stat -f -c %T "$1"; }
SCRATCH_FS=$(fstype "$SCRATCH")
SHM_FS=$(fstype "$SHM")
[[ $SCRATCH_FS == ext4 || $SCRATCH_FS == ext2/ext3 ]] || warn "note: scratch $SCRATCH is on '$SCRATCH_FS', not ext4"
[[ $SHM_FS == tmpfs ]] || warn "note: $SHM is on '$SHM_FS', not tmpfs"
free=$(($(stat -f -c '%a * %S' "$SCRATCH")))
((free >= MIN_FREE)) || die "need $(hsize $MIN_FREE) free in $SCRATCH, have $((free / MiB)) MiB"

if ((QUICK)); then
    QDIR=${TMPDIR:-/tmp}/fcopy-bench-quick
    OUT_MD=${RESULTS_MD:-$QDIR/results.md}
    OUT_DIR=${RESULTS_DIR:-$QDIR/results}
else
    OUT_MD=${RESULTS_MD:-$BENCH_HOME/results.md}
    OUT_DIR=${RESULTS_DIR:-$BENCH_HOME/results}
fi
mkdir -p "$OUT_DIR" "$(dirname "$OUT_MD")"

SRC=$SCRATCH/src
WORK=$SCRATCH/work
mkdir -p "$SRC" "$WORK" "$SCRATCH/dst" "$SHM/dst"

# the floor of the single-file rows: bench/cfr-floor.c, a bare copy_file_range loop
FLOOR=$WORK/cfr-floor
if ! command -v cc >/dev/null 2>&1 || ! cc -O2 -o "$FLOOR" "$BENCH_HOME/cfr-floor.c" 2>"$WORK/cc.log"; then
    warn "cannot compile bench/cfr-floor.c with cc -O2 ($(head -c 200 "$WORK/cc.log" 2>/dev/null | tr '\n' ' ')); the floor is left out"
    FLOOR=""
fi
# the floor of the recopy-u row: bench/update-floor.c, the look-ups `cp -r -u` needs and no more
UPDATE_FLOOR=$WORK/update-floor
if ! command -v cc >/dev/null 2>&1 || ! cc -O2 -pthread -o "$UPDATE_FLOOR" "$BENCH_HOME/update-floor.c" 2>"$WORK/cc-update.log"; then
    warn "cannot compile bench/update-floor.c with cc -O2 -pthread ($(head -c 200 "$WORK/cc-update.log" 2>/dev/null | tr '\n' ' ')); the recopy-u floor is left out"
    UPDATE_FLOOR=""
fi
# the same C loop linked statically (a static-pie, as fcopy-static is): the floor of a program
# that needs no dynamic loader; shown next to the dynamic one on the start-up rows
STATIC_FLOOR=$WORK/cfr-floor-static
if [[ -z $FLOOR ]] || ! cc -O2 -static-pie -o "$STATIC_FLOOR" "$BENCH_HOME/cfr-floor.c" 2>"$WORK/cc-static.log"; then
    warn "cannot link bench/cfr-floor.c with cc -O2 -static-pie ($(head -c 200 "$WORK/cc-static.log" 2>/dev/null | tr '\n' ' ')); the static floor is left out"
    STATIC_FLOOR=""
fi
# the same floor for a Rust program (bench/cfr-floor.rs: std::io::copy), built as fcopy is built
# (panic=abort, GCC's unwinder linked in as in .cargo/config.toml): what Rust's runtime costs
RUST_FLOOR=$WORK/rust-floor
if ! command -v rustc >/dev/null 2>&1 || ! rustc --edition 2021 -O -C panic=abort -C codegen-units=1 \
    -l static:-bundle=gcc_eh -o "$RUST_FLOOR" "$BENCH_HOME/cfr-floor.rs" 2>"$WORK/rustc.log"; then
    warn "cannot compile bench/cfr-floor.rs with rustc ($(head -c 200 "$WORK/rustc.log" 2>/dev/null | tr '\n' ' ')); the Rust floor is left out"
    RUST_FLOOR=""
fi
if ((BUILT_FCOPY)) && [[ ${STATIC:-1} != 0 ]] && { wants tiny || wants proc; }; then
    log "building fcopy-static (RUSTFLAGS=-C target-feature=+crt-static cargo build --release --target HOST)"
    build_static_fcopy "$WORK/static-build.log" || {
        warn "cannot build fcopy statically ($(tail -c 300 "$WORK/static-build.log" 2>/dev/null | tr '\n' ' ')); fcopy-static is left out"
        FCOPY_STATIC=""
    }
fi

NOW=$(date -u +%Y-%m-%dT%H:%MZ)
MACHINE="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(($(grep MemTotal /proc/meminfo | awk '{print $2}') / 1024 / 1024)) GiB RAM"
KERNEL="$(uname -r); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
HF_VERSION=$(hyperfine --version | awk '{print $2}')
CP_VERSION=$($CP --version | head -n1)

log "fcopy benchmark ($MODE mode): ${WORKLOADS[*]}"
echo "fcopy:    $FCOPY_LABEL" >&2
echo "baseline: $CP_VERSION" >&2
echo "peers:    uutils ${UUTILS:-(none)}, xcp ${XCP:-(none)}, fcp ${FCP:-(none)}, rsync ${RSYNC:-(none)}, dd $DD" >&2
echo "          $PEERS_LABEL" >&2
echo "floor:    ${FLOOR:-(none: no C compiler)}; Rust: ${RUST_FLOOR:-(none: no rustc)}; recopy-u: ${UPDATE_FLOOR:-(none)}" >&2
echo "scratch:  $SCRATCH ($SCRATCH_FS); tmpfs: $SHM ($SHM_FS)" >&2
echo "results:  $OUT_MD, $OUT_DIR/" >&2

# ------------------------------------------------------------------ sources
# ensure NAME PARAMS CMD...: (re)generate a source unless a KEEP=1 run left an identical one
ensure() {
    local name=$1 params=$2
    shift 2
    local stamp=$SRC/.$name.stamp
    if [[ -e $stamp && $(cat "$stamp") == "$params" ]]; then return; fi
    rm -rf -- "${SRC:?}/$name" "$stamp"
    echo "generating $name: $params" >&2
    "$@"
    sync
    echo "$params" >"$stamp"
}
src_big() { ensure big.bin "$BIG_SIZE" python3 "$HELPER" gen-file "$SRC/big.bin" "$BIG_SIZE"; }
src_sparse() {
    ensure sparse.bin "$SPARSE_SIZE $SPARSE_EXTENTS $SPARSE_EXT" \
        python3 "$HELPER" gen-sparse "$SRC/sparse.bin" "$SPARSE_SIZE" "$SPARSE_EXTENTS" "$SPARSE_EXT"
}
src_tree() {
    ensure tree "$TREE_FILES $TREE_DIRS $TREE_FSIZE $SEED" \
        python3 "$HELPER" gen-tree "$SRC/tree" "$TREE_FILES" "$TREE_DIRS" "$TREE_FSIZE" "$SEED"
}
src_mixed() {
    ensure mixed "$MIXED_FILES $MIXED_MIN $MIXED_MAX $SEED" \
        bash -c 'python3 "$1" gen-mixed "$2" "$3" "$4" "$5" "$6" >"$7"' _ \
        "$HELPER" "$SRC/mixed" "$MIXED_FILES" "$MIXED_MIN" "$MIXED_MAX" "$SEED" "$SRC/.mixed.bytes"
}
# the backup the rerun workload starts from: a cp -a copy of the mixed tree in which
# STALE_PERCENT % of the files are older versions (their names, NUL-separated, in .mixed-stale.list)
src_stale() {
    ensure mixed-stale "$MIXED_FILES $MIXED_MIN $MIXED_MAX $SEED $STALE_PERCENT" \
        bash -c '"$1" -a -- "$2" "$3" && python3 "$4" stale-files "$3" "$5" "$6" "$7"' _ \
        "$CP" "$SRC/mixed" "$SRC/mixed-stale" "$HELPER" "$SRC/.mixed-stale.list" "$STALE_PERCENT" "$SEED"
}
src_tiny() { ensure tiny.bin 1 bash -c 'printf x >"$1"' _ "$SRC/tiny.bin"; }
src_range_template() {
    # the existing destination: 2 x LEN bytes (taken from the start of big.bin)
    ensure range-dst.template "$BIG_SIZE $RANGE_LEN" \
        bash -c 'head -c "$1" "$2" >"$3"' _ $((2 * RANGE_LEN)) "$SRC/big.bin" "$SRC/range-dst.template"
}

# ------------------------------------------------------------------ verification
# each gets the destination path; VSRC is the source
v_file() { cmp -s -- "$VSRC" "$1"; }
v_tree() { diff -rq -- "$VSRC" "$1" >&2; }
v_sparse() { python3 "$HELPER" cmp-sparse "$VSRC" "$1"; }
v_range() {
    local size
    size=$(stat -c %s -- "$1")
    [[ $size == $((2 * RANGE_LEN)) ]] || {
        echo "destination size $size, expected $((2 * RANGE_LEN)) (truncated or extended)" >&2
        return 1
    }
    cmp -s -i "$RANGE_OFF:0" -n "$RANGE_LEN" -- "$VSRC" "$1" || {
        echo "copied range differs from source bytes [$RANGE_OFF, +$RANGE_LEN)" >&2
        return 1
    }
    cmp -s -i "$RANGE_LEN:$RANGE_LEN" -n "$RANGE_LEN" -- "$SRC/range-dst.template" "$1" || {
        echo "bytes after the range were not preserved" >&2
        return 1
    }
}
v_proc() {
    [[ -s $1 ]] || {
        echo "the copy is empty (the source's size is 0 in stat: it must be read to EOF)" >&2
        return 1
    }
    [[ $(head -n1 "$1") == $(head -n1 /proc/cpuinfo) ]] || {
        echo "the copy's first line differs from /proc/cpuinfo's" >&2
        return 1
    }
}

# ------------------------------------------------------------------ the runner
# A workload sets: W TITLE DST VSRC VERIFY PREP_BODY, and tools via add_tool; NOTE is optional.
NAMES=() CMDS=()
new_workload() {
    W=$1 TITLE=$2
    NAMES=() CMDS=()
    NOTE="" SRC_BLOCKS=""
}
add_tool() {
    local name=$1
    shift
    NAMES+=("$name")
    CMDS+=("$*")
}
# add_copiers [OPTION...] -- SRC DST: the cp-like tools with the same options and operands:
# GNU cp, fcopy, uutils cp, and xcp and fcp where they have the options (xcp: -r and
# --reflink=always; fcp: none, it always copies directories recursively, so its -r is dropped)
add_copiers() {
    local opts=() o xcp_ok=1 fcp_ok=1
    while [[ $1 != -- ]]; do
        opts+=("$1")
        shift
    done
    shift
    for o in "${opts[@]}"; do
        [[ $o == -r || $o == --reflink=always ]] || xcp_ok=0
        [[ $o == -r ]] || fcp_ok=0
    done
    add_tool cp "$CP" "${opts[@]}" "$@"
    add_tool fcopy "$FCOPY" "${opts[@]}" "$@"
    [[ -z $UUTILS ]] || add_tool uutils "${UU_CP[@]}" "${opts[@]}" "$@"
    [[ -z $XCP ]] || ((!xcp_ok)) || add_tool xcp "$XCP" "${opts[@]}" "$@"
    [[ -z $FCP ]] || ((!fcp_ok)) || add_tool fcp "$FCP" "$@"
}
# add_dd SRC DST: dd with 1 MiB blocks (single files)
add_dd() { add_tool dd "$DD" "if=$1" "of=$2" bs=1M status=none; }
# add_floor SRC DST: bench/cfr-floor.c, the floor of a single-file copy
add_floor() { [[ -z $FLOOR ]] || add_tool floor "$FLOOR" "$1" "$2"; }
# add_static_floor SRC DST: bench/cfr-floor.c linked as a static-pie
add_static_floor() { [[ -z $STATIC_FLOOR ]] || add_tool floor-static "$STATIC_FLOOR" "$1" "$2"; }
# add_static_fcopy SRC DST: fcopy linked statically (see build_static_fcopy)
add_static_fcopy() { [[ -z $FCOPY_STATIC ]] || add_tool fcopy-static "$FCOPY_STATIC" "$1" "$2"; }
# add_rust_floor SRC DST: bench/cfr-floor.rs, the floor of a single-file copy for a Rust program
add_rust_floor() { [[ -z $RUST_FLOOR ]] || add_tool rust-floor "$RUST_FLOOR" "$1" "$2"; }
# add_rsync SRC_DIR DST_DIR: rsync -a, copying the tree SRC_DIR as DST_DIR like cp -r does
add_rsync() { [[ -z $RSYNC ]] || add_tool "rsync -a" "$RSYNC" -a "$1/" "$2"; }

FAILED_WORKLOADS=()
annotate() { # JSON TSV EXTRA_KV...
    local json=$1 tsv=$2
    shift 2
    python3 "$HELPER" annotate "$json" "$tsv" workload="$W" title="$TITLE" date="$NOW" mode="$MODE" \
        fcopy="$FCOPY_LABEL" nice="${NICE:-}" machine="$MACHINE" kernel="$KERNEL" scratch_fs="$SCRATCH_FS -> $SHM_FS (tmpfs cases)" \
        hyperfine="$HF_VERSION" cp="$CP_VERSION" peers="$PEERS_LABEL" load="$(cut -d' ' -f1 /proc/loadavg)" "$@"
}

skip_workload() { # W TITLE REASON
    new_workload "$1" "$2"
    log "$W: skipped: $3"
    local json=$WORK/$W.json tsv=$WORK/$W.tools.tsv
    rm -f "$json"
    : >"$tsv"
    annotate "$json" "$tsv" skipped="$3"
    mv -f -- "$json" "$OUT_DIR/$W.json"
}

# busy percentage of all CPUs over one second (from /proc/stat)
cpu_busy() {
    local a b
    read -r -a a < <(head -n1 /proc/stat)
    sleep 1
    read -r -a b < <(head -n1 /proc/stat)
    local total=0 idle i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$((b[4] - a[4] + b[5] - a[5]))
    ((total > 0)) || total=1
    echo $((100 * (total - idle) / total))
}
# The quiet-machine check. WAIT_IDLE=N: before a workload's timing, wait up to N s until the
# CPUs have been idle (< 10 % busy) for 3 s in a row, so that other work does not run during
# the measurement. Either way the 1-minute load average and the CPU use just before the timing
# are recorded (LOAD_START, BUSY_START). Returns 1 when the machine never became idle and
# REQUIRE_IDLE=1 (the workload is then refused); otherwise it measures and says so in the notes.
wait_idle() {
    local max=$WAIT_IDLE start quiet=0 busy said=0
    LOAD_START="" BUSY_START=""
    if ((max > 0)); then
        start=$(date +%s)
        while :; do
            busy=$(cpu_busy)
            if ((busy < 10)); then
                quiet=$((quiet + 1))
                ((quiet < 3)) || break
            else
                ((said)) || echo "waiting for idle CPUs (busy ${busy} %; WAIT_IDLE=$max)" >&2
                said=1 quiet=0
            fi
            (($(date +%s) - start < max)) || break
        done
    else
        busy=$(cpu_busy)
    fi
    LOAD_START=$(cut -d' ' -f1 /proc/loadavg) BUSY_START=$busy
    echo "machine: load average $LOAD_START, CPUs ${busy} % busy" >&2
    if ((max > 0 && quiet < 3)); then
        if [[ $REQUIRE_IDLE == 1 ]]; then
            warn "$W: CPUs still busy after ${max} s (load $LOAD_START); refused (REQUIRE_IDLE=1)"
            NOTE+="refused: the CPUs were still busy (${busy} %, load average $LOAD_START) after waiting ${max} s. "
            return 1
        fi
        warn "$W: CPUs still busy after ${max} s (load $LOAD_START); measuring anyway"
        NOTE+="CPUs were busy with other work (${busy} %, load average $LOAD_START) when this workload started. "
    fi
    return 0
}

# settle_exe CMD: read CMD's executable into the page cache afresh (drop its cached pages, then
# read it whole, as readahead does for an executable installed a while ago). Peak RSS depends on
# how the file's pages are cached: the kernel maps cached pages around each fault, and a binary
# the linker just wrote is cached differently from one read back from disk. Done for every tool.
settle_exe() {
    local exe
    exe=$(command -v -- "$1" 2>/dev/null) || return 0
    [[ -f $exe ]] || return 0
    python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$exe" 2>/dev/null || true
    cat -- "$exe" >/dev/null 2>&1 || true
}

run_workload() {
    local runs json tsv prep i name cmd status note rss blocks rc
    runs=$(runs_for "$W")
    json=$WORK/$W.json # moved into $OUT_DIR when complete
    tsv=$WORK/$W.tools.tsv
    prep=$WORK/prep-$W.sh
    printf '#!/bin/bash\nset -e\n%s\n' "$PREP_BODY" >"$prep"
    rm -f "$json"
    : >"$tsv"
    log "$W: $TITLE ($runs runs)"

    # 1. one checked run per tool: exit status, output correctness, peak RSS
    local ok_names=() ok_cmds=()
    for i in "${!NAMES[@]}"; do
        name=${NAMES[i]} cmd=${CMDS[i]}
        read -r -a argv <<<"$cmd"
        bash "$prep"
        status=ok note="" rss="" blocks=""
        rc=0
        settle_exe "${argv[0]}"
        /usr/bin/time -f %M -o "$WORK/rss" "${argv[@]}" >"$WORK/out" 2>"$WORK/err" || rc=$?
        rss=$(tail -n1 "$WORK/rss" 2>/dev/null || true)
        [[ $rss =~ ^[0-9]+$ ]] || rss=""
        if ((rc != 0)); then
            status="FAILED (exit $rc)"
            note="\`$cmd\` exited $rc: $(head -c 400 "$WORK/err" | tr '\n\t|' '   ')"
        elif ! "$VERIFY" "$DST" 2>"$WORK/verr"; then
            status="WRONG OUTPUT"
            note="output check failed: $(head -c 400 "$WORK/verr" | tr '\n\t|' '   ')"
        fi
        if [[ $W == sparse && -e $DST ]]; then
            # flush first: ext4 allocates extent-tree blocks only at writeback (delalloc)
            sync -- "$DST"
            blocks=$(stat -c %b -- "$DST")
        fi
        printf '%-8s %-14s peak RSS %6s KiB%s\n' "$name" "$status" "${rss:-?}" "${blocks:+, $blocks blocks (source $SRC_BLOCKS)}" >&2
        [[ -z $note ]] || printf '       %s\n' "$note" >&2
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$rss" "$blocks" "$note" "$cmd" >>"$tsv"
        if [[ $status == ok ]]; then
            ok_names+=("$name")
            ok_cmds+=("$cmd")
        else
            FAILED_WORKLOADS+=("$W/$name")
        fi
    done

    # 2. timing: all tools that passed, in one hyperfine run
    LOAD_START="" BUSY_START=""
    local refused=""
    if ((${#ok_names[@]})) && ! wait_idle; then
        refused="machine busy (REQUIRE_IDLE=1)"
        FAILED_WORKLOADS+=("$W/busy")
    elif ((${#ok_names[@]})); then
        local args=(-N --warmup 1 --runs "$runs" --export-json "$json" --prepare "bash $prep")
        [[ -t 1 ]] || args+=(--style basic)
        for i in "${!ok_names[@]}"; do args+=(--command-name "${ok_names[i]}" "${ok_cmds[i]}"); done
        rc=0
        "${PRIO[@]}" hyperfine "${args[@]}" || rc=$?
        ((rc < 128)) || exit "$rc" # interrupted: stop (the trap cleans up)
        if ((rc != 0)); then
            warn "$W: hyperfine failed (a command failed in a timed run); retrying with --ignore-failure"
            NOTE+="hyperfine: some timed runs exited non-zero; timings include them. "
            FAILED_WORKLOADS+=("$W/hyperfine")
            "${PRIO[@]}" hyperfine -i "${args[@]}" || { rm -f "$json"; NOTE+="hyperfine failed. "; }
        fi
    else
        NOTE+="no tool succeeded; nothing timed. "
    fi
    bash "$prep" # leave no destination behind
    local extra=()
    [[ -z $refused ]] || extra=(skipped="$refused")
    annotate "$json" "$tsv" src_blocks="$SRC_BLOCKS" note="$NOTE" load_start="$LOAD_START" busy_start="$BUSY_START" "${extra[@]}"
    mv -f -- "$json" "$OUT_DIR/$W.json"
}

# ------------------------------------------------------------------ preparing a run
# The destination of a tree copy on ext4 is not deleted between runs but emptied
# (files truncated to 0: the data goes, the inodes stay) and renamed into
# $TRASH, which is deleted at the very end.  Reason: on an ext4 without a journal
# (as /work here) the inode allocator skips inodes freed in the last 60 s
# (fs/ext4/ialloc.c: recently_deleted()), scanning past each of them for every
# new file.  With `rm -rf` between runs that scan grew with every run and made a
# 10,000-file copy take 3-4x longer for cp and fcopy alike, measuring the kernel
# instead of the tool.
TRASH=$SCRATCH/trash
mkdir -p "$TRASH"
# Deleting the trash at the end frees many inodes; a run started within 60 s of
# that would pay for them, so it waits (the stamp survives the scratch directory).
wait_cooldown() {
    local last now
    last=$(cat "$COOLDOWN_STAMP" 2>/dev/null || echo 0)
    now=$(date +%s)
    [[ $last =~ ^[0-9]+$ ]] || last=0
    if ((now - last < 61)); then
        echo "waiting $((61 - (now - last))) s: the previous run freed many inodes on this filesystem less than 60 s ago" >&2
        sleep $((61 - (now - last)))
    fi
}
prep_rm() { echo "rm -rf -- $1; sync"; }
prep_aside() { # DIR [TRASH_DIR, default $TRASH: on DIR's filesystem]
    echo "if [ -e $1 ]; then python3 $HELPER empty-tree $1; mv -- $1 \$(mktemp -d -p ${2:-$TRASH}); fi; sync"
}

# ------------------------------------------------------------------ workloads
wait_cooldown
if wants big || wants tmpfs || wants progress || wants verify || wants range || wants reflink-btrfs || wants reflink-xfs; then src_big; fi

if wants big; then
    new_workload big "$(hsize $BIG_SIZE) file, same ext4"
    VSRC=$SRC/big.bin DST=$SCRATCH/dst/big.bin VERIFY=v_file
    PREP_BODY=$(prep_rm "$DST")
    add_copiers -- "$VSRC" "$DST"
    add_dd "$VSRC" "$DST"
    add_floor "$VSRC" "$DST"
    run_workload
fi

if wants tmpfs; then
    new_workload tmpfs "$(hsize $BIG_SIZE) file, ext4 → tmpfs"
    VSRC=$SRC/big.bin DST=$SHM/dst/big.bin VERIFY=v_file
    PREP_BODY=$(prep_rm "$DST")
    NOTE="floor: bench/cfr-floor.c; copy_file_range refuses ext4 -> tmpfs (EXDEV), so it copies with sendfile(2), \
page cache to tmpfs inside the kernel: the tmpfs page allocation and the copy that no tool can avoid. "
    add_copiers -- "$VSRC" "$DST"
    add_dd "$VSRC" "$DST"
    add_floor "$VSRC" "$DST"
    run_workload
fi

if wants progress; then
    new_workload progress "$(hsize $BIG_SIZE) file, same ext4, --progress=always vs without"
    VSRC=$SRC/big.bin DST=$SCRATCH/dst/big.bin VERIFY=v_file
    PREP_BODY=$(prep_rm "$DST")
    NOTE="baseline is fcopy itself, without the bar. hyperfine sends stderr to /dev/null, so the bar is not drawn, \
but with \`--progress=always\` (\`-g\`) the engine runs with the bar's settings: $(hsize $((64 * MiB))) copy_file_range pieces \
and the byte/file counters, which is what this measures. "
    add_tool fcopy "$FCOPY" "$VSRC" "$DST"
    add_tool "fcopy -g" "$FCOPY" --progress=always "$VSRC" "$DST"
    run_workload
fi

# verify (issue 17): the cost of --verify (flush, drop DEST's cached pages, read both back and
# compare) on the 1 GiB file; --sync shows how much of it is the flush alone
if wants verify; then
    new_workload verify "$(hsize $BIG_SIZE) file, same ext4, --verify vs without"
    VSRC=$SRC/big.bin DST=$SCRATCH/dst/big.bin VERIFY=v_file
    PREP_BODY=$(prep_rm "$DST")
    NOTE="baseline is fcopy itself, without --verify. \`fcopy --verify\` flushes DEST (fsync), drops its cached pages and \
compares it with SOURCE (read back from the device); \`fcopy --sync\` is the flush alone. No peer verifies after copying \
(cp, uutils, xcp, fcp: no such option; rsync --checksum compares before copying, not after). "
    add_tool fcopy "$FCOPY" "$VSRC" "$DST"
    add_tool "fcopy --verify" "$FCOPY" --verify "$VSRC" "$DST"
    add_tool "fcopy --sync" "$FCOPY" --sync "$VSRC" "$DST"
    add_tool cp "$CP" "$VSRC" "$DST"
    run_workload
fi

if wants sparse; then
    src_sparse
    new_workload sparse "$(hsize $SPARSE_SIZE) sparse file, $SPARSE_EXTENTS × $(hsize $SPARSE_EXT) extents"
    VSRC=$SRC/sparse.bin DST=$SCRATCH/dst/sparse.bin VERIFY=v_sparse
    SRC_BLOCKS=$(stat -c %b "$VSRC")
    PREP_BODY=$(prep_rm "$DST")
    add_copiers -- "$VSRC" "$DST"
    run_workload
fi

if wants tree || wants tree-tmpfs || wants batch; then src_tree; fi
if wants tree; then
    new_workload tree "$TREE_FILES × $(hsize $TREE_FSIZE) files in $TREE_DIRS dirs (-r)"
    VSRC=$SRC/tree DST=$SCRATCH/dst/tree VERIFY=v_tree
    PREP_BODY=$(prep_aside "$DST")
    add_copiers -r -- "$VSRC" "$DST"
    add_rsync "$VSRC" "$DST"
    run_workload
fi
if wants tree-tmpfs; then
    new_workload tree-tmpfs "$TREE_FILES × $(hsize $TREE_FSIZE) tree, ext4 → tmpfs (-r)"
    VSRC=$SRC/tree DST=$SHM/dst/tree VERIFY=v_tree
    PREP_BODY=$(prep_rm "$DST")
    add_copiers -r -- "$VSRC" "$DST"
    add_rsync "$VSRC" "$DST"
    run_workload
fi

if wants batch; then
    new_workload batch "$TREE_FILES × $(hsize $TREE_FSIZE) files in $TREE_DIRS dirs, job list (--batch)"
    VSRC=$SRC/tree DST=$SCRATCH/dst/batch VERIFY=v_tree
    JOBS=$WORK/batch.jobs
    # one SRC<TAB>DST line per file of the tree, in name order
    (cd "$VSRC" && find . -type f | LC_ALL=C sort) |
        awk -v s="$VSRC" -v d="$DST" '{ p = substr($0, 3); print s "/" p "\t" d "/" p }' >"$JOBS"
    # batch mode creates no parents: every run starts with the (empty) directories in place;
    # the previous destination is emptied and moved aside like the tree copies' (see prep_aside)
    dirs=$(cd "$VSRC" && find . -mindepth 1 -type d | LC_ALL=C sort | sed "s|^\./|$DST/|" | tr '\n' ' ')
    PREP_BODY="$(prep_aside "$DST"); mkdir -p -- $DST $dirs; sync"
    NOTE="$(wc -l <"$JOBS") jobs; the destination's $TREE_DIRS directories are created before every run. \
Baseline \`cp loop\`: bench/cp-loop.sh, a bash loop running one /usr/bin/cp per job line; \
its peak RSS is the largest of bash and its cp children. "
    add_tool "cp loop" "$(command -v bash)" "$BENCH_HOME/cp-loop.sh" "$JOBS"
    add_tool fcopy "$FCOPY" --batch "$JOBS"
    run_workload
fi

if wants mixed; then
    src_mixed
    new_workload mixed "$MIXED_FILES files, $(hsize $MIXED_MIN)–$(hsize $MIXED_MAX) log-uniform, $(($(cat "$SRC/.mixed.bytes") / MiB)) MiB (-r)"
    VSRC=$SRC/mixed DST=$SCRATCH/dst/mixed VERIFY=v_tree
    PREP_BODY=$(prep_aside "$DST")
    add_copiers -r -- "$VSRC" "$DST"
    add_rsync "$VSRC" "$DST"
    run_workload
fi

# rerun (issue 17): `cp -a SRC DIR` again, where DIR/mixed is a backup made before 10 % of the
# files changed. The backup is made once (cp -a of mixed-stale); before every run the prep puts
# the listed older versions back (cp -a --parents), so every run finds the same files to copy
# and the rest up to date (same size and mtime).
if wants rerun; then
    src_mixed
    src_stale
    par=$SCRATCH/dst/rerun
    VSRC=$SRC/mixed DST=$par/mixed VERIFY=v_tree
    new_workload rerun "re-run of the $MIXED_FILES-file mixed tree into a backup, $STALE_PERCENT % of the files changed (-a)"
    PREP_BODY="mkdir -p $par; if [ ! -d $DST ]; then $CP -a -- $SRC/mixed-stale $DST; fi; \
(cd $SRC/mixed-stale && xargs -0 -a $SRC/.mixed-stale.list $CP -a --parents -t $DST --); sync"
    NOTE="$(tr -cd '\0' <"$SRC/.mixed-stale.list" | wc -c) of $MIXED_FILES files changed (other bytes, half of them \
another size, the backup's copy a day older). Baseline: a plain \`cp -a\` (copies everything). \
\`rsync -a\` skips by size and mtime, as \`--update=changed\` does; \`cp -a -u\` (GNU, uutils) copies when DEST is older, \
which here is the same set (it would miss a DEST newer than its source). \`-c\`: \`fcopy --checksum\` and \`rsync -a -c\` \
also compare the contents of the files whose size and mtime match. xcp and fcp have no option that skips \
unchanged files (xcp issue #57), so they are not in this row. "
    add_tool "cp -a" "$CP" -a "$VSRC" "$par"
    add_tool fcopy "$FCOPY" -a --update=changed "$VSRC" "$par"
    [[ -z $RSYNC ]] || add_tool "rsync -a" "$RSYNC" -a "$VSRC" "$par/"
    add_tool "cp -a -u" "$CP" -a -u "$VSRC" "$par"
    [[ -z $UUTILS ]] || add_tool "uutils -a -u" "${UU_CP[@]}" -a -u "$VSRC" "$par"
    add_tool "fcopy -c" "$FCOPY" -a --update=changed --checksum "$VSRC" "$par"
    [[ -z $RSYNC ]] || add_tool "rsync -a -c" "$RSYNC" -a -c "$VSRC" "$par/"
    run_workload
    bash -c "$(prep_aside "$par")" # see prep_aside
fi

# recopy, recopy-u: `cp -r SRC DIR` when DIR/tree is already a complete copy of SRC (made once
# with cp -a, so the times are equal and every file is up to date for -u and rsync).
# The copy is not deleted between runs: the plain re-copy overwrites it in place and -u leaves
# it alone, so it stays complete; the prep only rebuilds it if a tool damaged it (diff -rq).
# PARENT/.made lists inode number, mtime and path of every file of the copy as made.
manifest() { echo "find $1 -type f -printf '%i %T@ %p\n' | LC_ALL=C sort"; }
recopy_prep() { # PARENT [-u: also rebuild when a file was rewritten or replaced]
    local d=$1/tree check
    check="! diff -rq -- $VSRC $d >/dev/null 2>&1"
    [[ ${2:-} != -u ]] || check+=" || ! $(manifest "$d") | cmp -s - $1/.made"
    echo "mkdir -p $1; if $check; then $(prep_aside "$d"); $CP -a -- $VSRC $1/; $(manifest "$d") >$1/.made; fi; sync"
}
# -u must not copy anything: every file keeps its inode and mtime (metadata calls such as
# a chmod to the same mode are the tool's own cost, not a failure)
v_recopy_u() {
    v_tree "$1" || return 1
    local changed
    changed=$(bash -c "$(manifest "$1")" | diff - "$(dirname "$1")/.made" | grep '^[<>]' | head -n4 | tr '\n' ' ')
    [[ -z $changed ]] || {
        echo "rewrote or replaced up-to-date files despite -u (inode mtime path, < now, > before): $changed" >&2
        return 1
    }
}
if wants recopy || wants recopy-u; then src_tree; fi
for w in recopy recopy-u; do
    wants "$w" || continue
    par=$SCRATCH/dst/$w
    VSRC=$SRC/tree DST=$par/tree
    if [[ $w == recopy ]]; then
        new_workload recopy "$TREE_FILES × $(hsize $TREE_FSIZE) tree again into a complete copy (cp -r SRC DIR)"
        VERIFY=v_tree
        add_copiers -r -- "$VSRC" "$par"
    else
        new_workload recopy-u "$TREE_FILES × $(hsize $TREE_FSIZE) tree again into an up-to-date copy (cp -r -u SRC DIR)"
        VERIFY=v_recopy_u
        NOTE="every file of the destination is up to date (made by cp -a): nothing to copy; a tool that rewrites files fails the check. \
rsync -a skips by size and time as -u does; xcp and fcp have no -u. \
floor: bench/update-floor.c: lists every directory, lstats every entry and its destination name, one thread per CPU \
taking whole directories; no plan, no messages. "
        add_copiers -r -u -- "$VSRC" "$par"
        [[ -z $RSYNC ]] || add_tool "rsync -a" "$RSYNC" -a "$VSRC" "$par/"
        [[ -z $UPDATE_FLOOR ]] || add_tool floor "$UPDATE_FLOOR" "$VSRC" "$DST"
    fi
    PREP_BODY=$(recopy_prep "$par" "${w#recopy}")
    run_workload
    bash -c "$(prep_aside "$par")" # the inodes are reused by nothing else; see prep_aside
done

# gluster: a one-brick GlusterFS volume on 127.0.0.2 (glusterd refuses 127.0.0.1 as a brick
# host), mounted with FUSE; the tree is copied inside the volume. Needs root and /dev/fuse;
# installs glusterfs-server with apt-get when missing. The volume, the mount and a glusterd
# started here are removed on exit (gluster_teardown).
gluster_unavailable() { # prints a reason, or nothing
    if ((EUID != 0)); then
        echo "needs root (glusterd, FUSE mount)"
        return
    fi
    [[ -c /dev/fuse ]] || {
        echo "no /dev/fuse"
        return
    }
    if ! command -v glusterd >/dev/null 2>&1 || ! command -v mount.glusterfs >/dev/null 2>&1; then
        log "installing glusterfs-server (apt-get)"
        if ! apt-get install -y -q glusterfs-server >"$WORK/apt.log" 2>&1; then
            apt-get update -q >>"$WORK/apt.log" 2>&1
            apt-get install -y -q glusterfs-server >>"$WORK/apt.log" 2>&1 ||
                echo "glusterfs-server is not installable: $(tail -n1 "$WORK/apt.log")"
        fi
    fi
}
gluster_setup() { # -> GMNT, GLUSTER_VOL, GLUSTERD_PID; on failure REASON and returns 1
    local brick=$SCRATCH/gluster-brick i
    GMNT=$SCRATCH/mnt-gluster
    mkdir -p "$brick" "$GMNT"
    if ! gluster --mode=script volume list >/dev/null 2>&1; then
        glusterd -p "$WORK/glusterd.pid" >"$WORK/gluster.log" 2>&1 || {
            REASON="glusterd failed to start: $(head -c 200 "$WORK/gluster.log")"
            return 1
        }
        for i in $(seq 50); do
            [[ -s $WORK/glusterd.pid ]] && gluster --mode=script volume list >/dev/null 2>&1 && break
            sleep 0.2
        done
        GLUSTERD_PID=$(cat "$WORK/glusterd.pid" 2>/dev/null || true)
    fi
    GLUSTER_VOL=fcopybench$$
    # force: the brick is on the root filesystem, which glusterd refuses without it
    if ! gluster --mode=script volume create "$GLUSTER_VOL" "127.0.0.2:$brick" force >"$WORK/gluster.log" 2>&1 ||
        ! gluster --mode=script volume start "$GLUSTER_VOL" >>"$WORK/gluster.log" 2>&1; then
        REASON="gluster volume create/start failed: $(head -c 300 "$WORK/gluster.log" | tr '\n' ' ')"
        return 1
    fi
    if ! mount -t glusterfs "127.0.0.2:/$GLUSTER_VOL" "$GMNT" >>"$WORK/gluster.log" 2>&1; then
        REASON="mount -t glusterfs failed: $(tail -c 300 "$WORK/gluster.log" | tr '\n' ' ')"
        return 1
    fi
    MOUNTS+=("$GMNT")
}
if wants gluster; then
    title="$GLUSTER_FILES × $(hsize $TREE_FSIZE) files in $GLUSTER_DIRS dirs inside a GlusterFS volume (-r)"
    REASON=$(gluster_unavailable)
    [[ -n $REASON ]] || gluster_setup || true
    if [[ -n $REASON ]]; then
        skip_workload gluster "$title" "$REASON"
        skip_workload gluster-big "$(hsize $GLUSTER_BIG) file inside a GlusterFS volume" "$REASON"
        gluster_teardown
    else
        GMNT=$SCRATCH/mnt-gluster
        ensure gtree "$GLUSTER_FILES $GLUSTER_DIRS $TREE_FSIZE $SEED" \
            python3 "$HELPER" gen-tree "$SRC/gtree" "$GLUSTER_FILES" "$GLUSTER_DIRS" "$TREE_FSIZE" "$SEED"
        echo "copying the source tree into the volume" >&2
        $CP -r "$SRC/gtree" "$GMNT/src"
        mkdir -p "$GMNT/dst" "$GMNT/trash"
        new_workload gluster "$title"
        VSRC=$GMNT/src DST=$GMNT/dst/tree VERIFY=v_tree
        PREP_BODY=$(prep_aside "$DST" "$GMNT/trash")
        NOTE="GlusterFS $(gluster --version 2>/dev/null | head -n1 | awk '{print $2}'), one brick on 127.0.0.2 (on $SCRATCH_FS), FUSE mount; source and destination in the volume. "
        add_copiers -r -- "$VSRC" "$DST"
        add_rsync "$VSRC" "$DST"
        run_workload

        # the second row of the pair: one big file inside the volume
        ensure gbig.bin "$GLUSTER_BIG" python3 "$HELPER" gen-file "$SRC/gbig.bin" "$GLUSTER_BIG"
        $CP "$SRC/gbig.bin" "$GMNT/big.bin"
        new_workload gluster-big "$(hsize $GLUSTER_BIG) file inside a GlusterFS volume"
        VSRC=$GMNT/big.bin DST=$GMNT/dst/big.bin VERIFY=v_file
        PREP_BODY=$(prep_rm "$DST")
        NOTE="the volume of the \`gluster\` row. "
        add_copiers -- "$VSRC" "$DST"
        add_dd "$VSRC" "$DST"
        add_floor "$VSRC" "$DST"
        run_workload
        umount "$GMNT"
        unset 'MOUNTS[${#MOUNTS[@]}-1]'
        gluster_teardown
    fi
fi

if wants range; then
    src_range_template
    new_workload range "$(hsize $RANGE_LEN) at offset $(hsize $RANGE_OFF) of the $(hsize $BIG_SIZE) file into an existing $(hsize $((2 * RANGE_LEN))) file"
    VSRC=$SRC/big.bin DST=$SCRATCH/dst/range.bin VERIFY=v_range
    # the destination exists (2 x LEN bytes, on disk) before every run
    PREP_BODY="rm -f -- $DST; $CP $SRC/range-dst.template $DST; sync"
    add_tool dd "$DD" "if=$VSRC" "of=$DST" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes conv=notrunc \
        "skip=$RANGE_OFF" "count=$RANGE_LEN" status=none
    add_tool fcopy "$FCOPY" --offset-in "$(csize $RANGE_OFF)" --len "$(csize $RANGE_LEN)" --offset-out 0 "$VSRC" "$DST"
    run_workload
fi

if wants tiny; then
    src_tiny
    new_workload tiny "1-byte file (start-up)"
    VSRC=$SRC/tiny.bin DST=$SCRATCH/dst/tiny.bin VERIFY=v_file
    PREP_BODY="rm -f -- $DST"
    NOTE="floor: bench/cfr-floor.c (dynamically linked like cp and dd): open, open, copy_file_range until 0, close; \
fcopy-static and floor-static: fcopy and that loop linked as static-pies (no dynamic loader); \
rust-floor: bench/cfr-floor.rs, the same with Rust's std (std::io::copy), built as fcopy is: Rust's start-up cost. "
    add_copiers -- "$VSRC" "$DST"
    add_dd "$VSRC" "$DST"
    add_static_fcopy "$VSRC" "$DST"
    add_floor "$VSRC" "$DST"
    add_static_floor "$VSRC" "$DST"
    add_rust_floor "$VSRC" "$DST"
    run_workload
fi

if wants proc; then
    new_workload proc "/proc/cpuinfo"
    VSRC=/proc/cpuinfo DST=$SCRATCH/dst/cpuinfo VERIFY=v_proc
    PREP_BODY="rm -f -- $DST"
    NOTE="floor: bench/cfr-floor.c: copy_file_range refuses procfs -> ext4 with EXDEV since Linux 5.19, so it copies \
with sendfile(2); on older kernels copy_file_range returns 0 (size 0 in stat) and it reads and writes to EOF. "
    add_copiers -- "$VSRC" "$DST"
    add_dd "$VSRC" "$DST"
    add_static_fcopy "$VSRC" "$DST"
    add_floor "$VSRC" "$DST"
    add_static_floor "$VSRC" "$DST"
    add_rust_floor "$VSRC" "$DST"
    run_workload
fi

reflink_unavailable() { # FS -> prints a reason, or nothing
    if ((EUID != 0)); then
        echo "needs root (loop mount)"
    elif ! losetup -f >/dev/null 2>&1; then
        echo "no free loop device"
    elif ! command -v "mkfs.$1" >/dev/null 2>&1; then
        echo "mkfs.$1 not installed"
    fi
}
for fs in btrfs xfs; do
    wants "reflink-$fs" || continue
    title="$(hsize $BIG_SIZE) file, $fs, --reflink=always"
    reason=$(reflink_unavailable "$fs")
    if [[ -n $reason ]]; then
        skip_workload "reflink-$fs" "$title" "$reason"
        continue
    fi
    img=$SCRATCH/$fs.img mnt=$SCRATCH/mnt-$fs
    rm -f "$img"
    truncate -s "$IMG_SIZE" "$img"
    mkdir -p "$mnt"
    if [[ $fs == xfs ]]; then mkfs_cmd=(mkfs.xfs -q -f -m reflink=1 "$img"); else mkfs_cmd=(mkfs.btrfs -q -f "$img"); fi
    if ! "${mkfs_cmd[@]}" >"$WORK/mkfs.log" 2>&1 || ! mount -o loop "$img" "$mnt" 2>>"$WORK/mkfs.log"; then
        skip_workload "reflink-$fs" "$title" "mkfs/mount failed: $(head -c 200 "$WORK/mkfs.log" | tr '\n' ' ')"
        rm -f "$img"
        continue
    fi
    MOUNTS+=("$mnt")
    echo "copying the source into the $fs image" >&2
    $CP --reflink=never "$SRC/big.bin" "$mnt/src.bin"
    sync
    new_workload "reflink-$fs" "$title"
    VSRC=$mnt/src.bin DST=$mnt/dst.bin VERIFY=v_file
    PREP_BODY="rm -f -- $DST; sync"
    add_copiers --reflink=always -- "$VSRC" "$DST"
    run_workload
    umount "$mnt"
    unset 'MOUNTS[${#MOUNTS[@]}-1]'
    rm -rf -- "$img" "$mnt"
done

# ------------------------------------------------------------------ report
python3 "$HELPER" report "$OUT_DIR" "$OUT_MD"
log "results: $OUT_MD"
sed -n '/^## Targets/,/^## All commands/p' "$OUT_MD" | sed '$d'
if ((${#FAILED_WORKLOADS[@]})); then
    warn "failed (recorded in the table): ${FAILED_WORKLOADS[*]}"
fi
