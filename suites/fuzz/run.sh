#!/bin/sh
# make fuzz: runs each fuzz target of BUILD (libFuzzer) for SECONDS, from
# its committed corpus (suites/fuzz/corpus/<t>, only read) and a working
# corpus in BUILD/corpus/<t> (where new inputs go). Prints executions and
# crashes per target; a crashing input is left in BUILD/crashes/<t>-*:
# fix the code, then copy the input into suites/fuzz/corpus/<t>/ so that
# make check replays it for ever. Exit status 1 when anything crashed.
# FUZZ_RUNS=N (environment) stops each target after N executions instead,
# with SECONDS as its time cap: "10 million executions" is then exact.
# usage: run.sh BUILD SECONDS TARGET...
set -u
build=$1
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
summary="$build/fuzz-summary.txt"
printf '%-16s %12s %10s %8s\n' target executions exec/s crashes > "$summary"
for t in "$@"; do
    mkdir -p "$build/corpus/$t" "$build/crashes"
    log="$build/fuzz-$t.log"
    echo "== fuzz_$t for ${seconds}s"
    "$build/suites/fuzz/fuzz_$t" -max_total_time="$seconds" \
        ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -print_final_stats=1 -close_fd_mask=1 -max_len=65536 \
        -artifact_prefix="$build/crashes/$t-" \
        "$build/corpus/$t" "$root/suites/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    crashes=$(ls "$build/crashes/$t-"* 2>/dev/null | wc -l)
    if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        status=1
        grep -m 3 -E 'ERROR|SUMMARY|deadly signal' "$log"
    fi
    printf '%-16s %12s %10s %8s\n' "$t" "${runs:-?}" "${rate:-?}" \
        "$crashes" >> "$summary"
done
cat "$summary"
exit $status
