#!/usr/bin/env bash
# Runs every benchmark program in $1/bench/ (built from bench/bench_*.c).
# Each prints its own table (throughput, ratio against the peers it runs
# side by side). Sizes: BENCH_PERSONS (default 10000000). Output is also
# saved under bench/out/ for bench/RESULTS.md.
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
export BENCH_PERSONS=${BENCH_PERSONS:-10000000}
export UPLIFT="$PWD/$build/uplift"
mkdir -p bench/out
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    echo "== $name (BENCH_PERSONS=$BENCH_PERSONS)"
    "$b" | tee "bench/out/$name.txt"
done
