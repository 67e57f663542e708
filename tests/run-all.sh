#!/usr/bin/env bash
# Runs every layer of tests against the build in $1 and prints one closing
# line "N passed, N failed" summing unit tests (Check), CLI cases and checks.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
total_pass=0; total_fail=0
log=$(mktemp /tmp/uplift-test.XXXXXX)

echo "== unit tests (Check)"
UPL_TEST_DATA=tests/data UPLIFT="$build/uplift" "$build/run-unit" 2>&1 | tee "$log"
line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1)
if [ -n "$line" ]; then
    checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+), Errors: ([0-9]+).*/\1+\2/' | bc)
    total_pass=$((total_pass + checks - fails)); total_fail=$((total_fail + fails))
else
    echo "unit runner printed no summary"; total_fail=$((total_fail + 1))
fi

echo "== command-line tests"
tests/cli/run.sh "$build/uplift" 2>&1 | tee "$log"
line=$(grep -E '^cli: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/cli: ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
else
    total_fail=$((total_fail + 1))
fi

echo "== layering"
if tools/check-layering; then total_pass=$((total_pass + 1)); else total_fail=$((total_fail + 1)); fi

echo "== fuzz corpus replay"
for r in "$build"/replay/fuzz_*; do
    [ -x "$r" ] || continue
    name=$(basename "$r")
    if [ -d "tests/fuzz/corpus/$name" ] && "$r" "tests/fuzz/corpus/$name" >/dev/null; then
        total_pass=$((total_pass + 1))
    else
        echo "FAIL replay $name"; total_fail=$((total_fail + 1))
    fi
done

echo "== exported symbols"
if [ -f "$build/libuplift.so" ]; then
    if tools/check-exports "$build/libuplift.so"; then total_pass=$((total_pass + 1)); else total_fail=$((total_fail + 1)); fi
fi

rm -f "$log"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
