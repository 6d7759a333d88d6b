#!/bin/bash
# Baseline of the `batch` workload (bench/run.sh): copy a job list of
# SRC<TAB>DST lines with one GNU cp process per line, as a shell script would.
# Usage: cp-loop.sh JOBS.  Exits 1 if any cp failed.
rc=0
while IFS=$'\t' read -r s d; do
    /usr/bin/cp "$s" "$d" || rc=1
done <"$1"
exit "$rc"
