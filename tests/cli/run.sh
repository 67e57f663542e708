#!/usr/bin/env bash
# CLI tests: each tests/cli/t_*.sh defines cases with `case_run`; this runner
# sources them with the binary under test in $UPLIFT and prints
# "cli: N passed, N failed".
set -u
UPLIFT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export UPLIFT
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export ROOT="$root"
TMP=$(mktemp -d /tmp/uplift-cli.XXXXXX)
export TMP
pass=0; fail=0

# case_run NAME EXPECTED_EXIT STDOUT_CHECK STDERR_CHECK -- CMD...
#   STDOUT_CHECK / STDERR_CHECK: "" (anything), "=FILE" (exact, file under
#   tests/cli/expected/), "~REGEX" (grep -E must match), "!" (must be empty).
case_run() {
    local name=$1 want=$2 out_check=$3 err_check=$4; shift 5
    local out="$TMP/out.$$" err="$TMP/err.$$"
    "$@" >"$out" 2>"$err"
    local got=$?
    local why=""
    [ "$got" = "$want" ] || why="exit $got, expected $want"
    for pair in "stdout:$out_check:$out" "stderr:$err_check:$err"; do
        local what=${pair%%:*} rest=${pair#*:}
        local check=${rest%:*} file=${rest##*:}
        case "$check" in
            "") ;;
            "!") [ -s "$file" ] && why="$why; $what not empty" ;;
            =*) cmp -s "$file" "$here/expected/${check#=}" || why="$why; $what differs from expected/${check#=}" ;;
            "~"*) grep -Eq -- "${check#\~}" "$file" || why="$why; $what lacks /${check#\~}/" ;;
        esac
    done
    if [ -z "$why" ]; then
        pass=$((pass+1))
    else
        fail=$((fail+1))
        echo "FAIL cli $name: ${why#; }"
        echo "  command: $*"
        sed 's/^/  stdout: /' "$out" | head -5
        sed 's/^/  stderr: /' "$err" | head -5
    fi
}

cd "$root"
for t in "$here"/t_*.sh; do
    [ -e "$t" ] || continue
    # shellcheck source=/dev/null
    . "$t"
done
rm -rf "$TMP"
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
