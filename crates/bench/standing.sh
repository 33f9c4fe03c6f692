#!/usr/bin/env bash
# Every figure of issue 4 ("screening at memory speed") in one run, against its target, with
# the peers measured in the same run: BENCHMARKS.md §2, "Where it stands".
#
# Usage: crates/bench/standing.sh OUT_DIR [PEERS_HARNESS]
#
#   OUT_DIR        created if missing; gets every raw output and summary.md (also printed)
#   PEERS_HARNESS  optional: a copy of ../shared/bench/baseline with its .venv set up as its
#                  README says, inside a folder laid out like ../shared (its ../.. must hold
#                  data/, its .. score.py). Without it the peers are not run and summary.md
#                  says so.
#
# Runs one after the other, never side by side (the machine has two cores):
#   1. bench-screen on UN + OFAC and the 5,000 dev queries: latency (file order and batch),
#      throughput on 1 and 2 threads, recall, memory, the query-length sweep (1 to 8 words);
#   2. bench-screen --scale 1,4,16 on the first 1,000 dev queries, one thread (how costs grow);
#   3. `sanctions import` of the UN XML and of the OFAC trio into a fresh store, 3 rounds;
#   4. the peers: jaro-winkler and ofac on all 5,000 queries, logic-v2 (yente's default) on
#      the first 500 (it scores about 4 queries a second).
# Environment: CARGO_TARGET_DIR (default ./target), SANCTIONS_SHARED (default ../shared).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 OUT_DIR [PEERS_HARNESS]" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
peers=${2:-}
shared=${SANCTIONS_SHARED:-$root/../shared}
target=${CARGO_TARGET_DIR:-$root/target}
# cargo runs from the project root below, so a relative target folder is relative to it.
case $target in /*) ;; *) target=$root/$target ;; esac
if [ ! -d "$shared/bench/dev" ] || [ ! -d "$shared/data" ]; then
    echo "error: no shared benchmark at $shared (set SANCTIONS_SHARED)" >&2
    exit 2
fi
if [ -n "$peers" ] && [ ! -x "$peers/.venv/bin/python" ]; then
    echo "error: $peers/.venv/bin/python missing: set up the harness as its README says" >&2
    exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

(cd "$root" && cargo build --release -p sanctions-bench --bin bench-screen \
    && cargo build --release -p sanctions-cli --bin sanctions) >&2
bench=$target/release/bench-screen
cli=$target/release/sanctions

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' (modified)')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
} > "$out/machine.txt"

step() { echo "== $1 ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }

step "1/4 bench-screen, real index"
SANCTIONS_SHARED=$shared "$bench" --threads 1,2 --json > "$out/screen.json"
step "2/4 bench-screen, scale 1, 4, 16"
SANCTIONS_SHARED=$shared "$bench" --scale 1,4,16 --max-queries 1000 --threads 1 --json \
    > "$out/scale.json"

step "3/4 imports"
un=$shared/data/un/consolidated-2026-05-08.xml
ofac=$shared/data/ofac/watchman-2021-07-07
: > "$out/imports.jsonl"
# One line per import: the command's JSON report with `wall_ms` (the whole process: start,
# read, hash, parse, store) added.
timed_import() {
    local t0 t1
    t0=$(date +%s%N)
    "$cli" import "$@" --json > "$out/import.json"
    t1=$(date +%s%N)
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["wall_ms"] = int(sys.argv[2]) / 1e6; print(json.dumps(r))' \
        "$out/import.json" "$((t1 - t0))" >> "$out/imports.jsonl"
    rm -f "$out/import.json"
}
for round in 1 2 3; do
    db=$out/import-$round.sqlite
    rm -f "$db" "$db-wal" "$db-shm"
    timed_import un "$un" --db "$db"
    timed_import ofac "$ofac-sdn.csv" "$ofac-alt.csv" "$ofac-add.csv" --published 2021-07-07 --db "$db"
    rm -f "$db" "$db-wal" "$db-shm"
done

if [ -n "$peers" ]; then
    step "4/4 peers: jaro-winkler, ofac (5,000 queries)"
    "$peers/run_peers.sh" "$shared/bench/dev" "$out/peers-5000" jaro-winkler,ofac \
        > "$out/peers-5000.log" 2>&1
    step "4/4 peers: logic-v2 (500 queries)"
    "$peers/run_peers.sh" "$shared/bench/dev" "$out/peers-500" logic-v2 500 \
        > "$out/peers-500.log" 2>&1
else
    step "4/4 peers: skipped (no harness given)"
fi
step "done"

python3 "$root/crates/bench/standing.py" "$out" "$shared" | tee "$out/summary.md"
