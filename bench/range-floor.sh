#!/bin/bash
# The kernel floor of the `range` row of bench/run.sh: the same copy (LEN bytes at OFF_IN of
# SRC over an existing DEST at 0, DEST re-made from TEMPLATE and synced before every run)
# with each mechanism alone (bench/range-floor.c), next to dd and fcopy: the median CPU time
# (perf stat task-clock; less disturbed by a busy machine than wall time) of RUNS runs.
# Usage: bench/range-floor.sh SRC TEMPLATE DEST [FCOPY]
#   env: RUNS (10), OFF_IN (384 MiB), LEN (256 MiB)
set -euo pipefail
(($# >= 3)) || { echo "usage: $0 SRC TEMPLATE DEST [FCOPY]" >&2; exit 2; }
SRC=$1 TEMPLATE=$2 DEST=$3 FCOPY=${4:-$(dirname "$0")/../target/release/fcopy}
RUNS=${RUNS:-10} OFF_IN=${OFF_IN:-$((384 << 20))} LEN=${LEN:-$((256 << 20))}
TMP=$(mktemp -d)
trap 'rm -rf -- "$TMP"' EXIT
cc -O2 -o "$TMP/range-floor" "$(dirname "$0")/range-floor.c"
cat -- "$SRC" >/dev/null # a warm source, as in run.sh

measure() { # NAME CMD...: prints the medians
    local name=$1 i
    shift
    for ((i = 0; i < RUNS; i++)); do
        rm -f -- "$DEST"
        cp -- "$TEMPLATE" "$DEST"
        sync
        perf stat -x, -e task-clock -o "$TMP/stat.$i" -- "$@" >/dev/null
    done
    python3 - "$name" "$TMP" "$RUNS" <<'EOF'
import statistics, sys
name, tmp, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cpu = []
for i in range(runs):
    for line in open(f"{tmp}/stat.{i}"):
        f = line.strip().split(",")
        if len(f) > 2 and f[2].startswith("task-clock"):
            cpu.append(float(f[0]))
print(f"{name:24} CPU {statistics.median(cpu):6.1f} ms (min {min(cpu):.1f})")
EOF
}

F="$TMP/range-floor"
ARGS=("$OFF_IN" "$LEN" 0 "$SRC" "$DEST")
measure "copy_file_range (one)" "$F" cfr "$LEN" "${ARGS[@]}"
measure "sendfile" "$F" send "$LEN" "${ARGS[@]}"
measure "splice, 1 MiB pipe" "$F" splice $((1 << 20)) "${ARGS[@]}"
measure "pread/pwrite 1 MiB" "$F" rw $((1 << 20)) "${ARGS[@]}"
measure "pread/pwrite 256 KiB" "$F" rw $((256 << 10)) "${ARGS[@]}"
measure "pread/pwrite 1 MiB +16" "$F" rwu $((1 << 20)) "${ARGS[@]}"
measure "dd bs=1M" dd "if=$SRC" "of=$DEST" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes \
    conv=notrunc "skip=$OFF_IN" "count=$LEN" status=none
[[ ! -x $FCOPY ]] || measure "fcopy" "$FCOPY" --offset-in "$OFF_IN" --len "$LEN" --offset-out 0 \
    "$SRC" "$DEST"
