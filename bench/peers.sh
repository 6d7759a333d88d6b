#!/usr/bin/env bash
# Installs the tools bench/run.sh measures fcopy against, into a directory of the benchmark's
# own: none of them is a dependency of fcopy. Skips every tool that is already there.
#   cargo peers, with `cargo install --locked --root PEERS_DIR` (binaries in PEERS_DIR/bin):
#     xcp; fcp; uutils cp (the multi-call `coreutils` binary built with only its cp)
#   Debian packages, with apt-get when running as root: rsync, hyperfine, time (GNU time)
# Usage: [PEERS_DIR=DIR] bench/peers.sh   (default DIR: ../bench-peers next to the repository)
# Building the three crates takes several minutes on 2 cores.
set -euo pipefail

BENCH_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_HOME")
PEERS_DIR=${PEERS_DIR:-$(dirname "$ROOT")/bench-peers}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

failed=()
# cargo_peer BIN CRATE [CARGO_INSTALL_ARGS...]
cargo_peer() {
    local bin=$1 crate=$2
    shift 2
    if [[ -x $PEERS_DIR/bin/$bin ]]; then
        echo "peers: $bin: present ($PEERS_DIR/bin/$bin)"
        return
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "peers: $bin: cargo not found; not installed" >&2
        failed+=("$bin")
        return
    fi
    echo "peers: installing $crate ($bin) into $PEERS_DIR" >&2
    cargo install --locked --root "$PEERS_DIR" "$crate" "$@" || failed+=("$bin")
}
cargo_peer xcp xcp
cargo_peer fcp fcp
cargo_peer coreutils coreutils --no-default-features --features cp

# apt_tool CMD PACKAGE
apt_tool() {
    if command -v "$1" >/dev/null 2>&1 || [[ -x $1 ]]; then
        echo "peers: $2: present"
        return
    fi
    if ((EUID != 0)) || ! command -v apt-get >/dev/null 2>&1; then
        echo "peers: $2: missing; install it with your package manager" >&2
        failed+=("$2")
        return
    fi
    echo "peers: installing $2 (apt-get)" >&2
    apt-get install -y -q "$2" >/dev/null ||
        { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; } || failed+=("$2")
}
apt_tool rsync rsync
apt_tool hyperfine hyperfine
apt_tool /usr/bin/time time

if ((${#failed[@]})); then
    echo "peers: not installed: ${failed[*]}" >&2
    exit 1
fi
echo "peers: all present; bench/run.sh finds them in $PEERS_DIR/bin (PEERS_DIR=$PEERS_DIR)"
