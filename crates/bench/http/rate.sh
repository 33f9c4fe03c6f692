#!/usr/bin/env bash
# Constant-rate load test of POST /v1/screen with oha (BENCHMARKS.md section 4).
#
# Usage: crates/bench/http/rate.sh SANCTIONS_BINARY LABEL RATE [RATE...]
#
# Starts `SANCTIONS_BINARY serve` on a copy-free store ($DB, default /tmp/lt.sqlite, which must
# hold the lists: `sanctions --db /tmp/lt.sqlite update --mirror ../shared/data/mirror`), sends
# each RATE requests per second for $DUR seconds (default 8) over $CONNS connections (default
# 64) with oha's latency correction (no coordinated omission), then prints requests/s, latency
# percentiles, status codes and the server's CPU time per request, and checks the audit chain.
#
# Environment:
#   BODIES   request bodies, one JSON object per line (default: the 8 names of screen.lua,
#            screen_bodies.jsonl); e.g. the dev queries as bodies, made by dev_bodies.py
#   SYNC_MS  deferred audit sync (audit_sync_interval_ms); unset = fsync before each answer
#   RELOADS  set: POST /v1/admin/reload three times during each run
#   REQS     keep every request: oha --db-url /tmp/rate_LABEL_RATE.db, and the reloads' start and
#            end times in /tmp/rate_LABEL_RATE.reloads; reload_windows.py splits the latencies
#            into the reloads, the second after each, and the rest
#   OHA      the oha binary (default: oha on PATH); `cargo install oha --locked`
set -euo pipefail
bin=$1; label=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
db=${DB:-/tmp/lt.sqlite}
port=${PORT:-18080}
oha=${OHA:-oha}
bodies=${BODIES:-$here/screen_bodies.jsonl}
url=http://127.0.0.1:$port/v1/screen
auth='Authorization: Bearer secret-admin-key'
key=$(echo -n secret-admin-key | "$bin" key hash)
rm -f "$db.audit.jsonl"
extra=()
if [ -n "${SYNC_MS:-}" ]; then
  printf 'audit_sync_interval_ms = %s\n' "$SYNC_MS" > "/tmp/rate_$label.toml"
  extra=(--config "/tmp/rate_$label.toml")
fi
SANCTIONS_LOG=${SANCTIONS_LOG:-info} SANCTIONS_API_KEYS="ops:admin:$key" "$bin" --db "$db" serve --addr "127.0.0.1:$port" "${extra[@]}" \
  > "/tmp/rate_$label.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.5; done
# Warm-up: every body once or more, unpaced.
"$oha" -z 2s -c "${CONNS:-64}" --no-tui -m POST -T application/json -H "$auth" -Z "$bodies" "$url" \
  --output-format quiet
for rate in "$@"; do
  reloads=""
  rm -f "/tmp/rate_${label}_$rate.reloads"
  if [ -n "${RELOADS:-}" ]; then
    (for _ in 1 2 3; do
      sleep 2
      echo "start $(date +%s.%N)" >> "/tmp/rate_${label}_$rate.reloads"
      curl -s -o /dev/null -w 'reload %{http_code}\n' -X POST -H "$auth" "http://127.0.0.1:$port/v1/admin/reload"
      echo "end $(date +%s.%N)" >> "/tmp/rate_${label}_$rate.reloads"
    done) &
    reloads=$!
  fi
  keep=()
  if [ -n "${REQS:-}" ]; then
    rm -f "/tmp/rate_${label}_$rate.db"
    keep=(--db-url "/tmp/rate_${label}_$rate.db")
  fi
  echo "oha $(date +%s.%N)" >> "/tmp/rate_${label}_$rate.reloads"
  cpu0=$(awk '{print $14 + $15}' "/proc/$server/stat")
  "$oha" -z "${DUR:-8}s" -c "${CONNS:-64}" -q "$rate" --latency-correction --no-tui -m POST \
    -T application/json -H "$auth" -Z "$bodies" "$url" --output-format json "${keep[@]}" \
    > "/tmp/rate_${label}_$rate.json"
  cpu1=$(awk '{print $14 + $15}' "/proc/$server/stat")
  [ -n "$reloads" ] && wait "$reloads"
  python3 - "/tmp/rate_${label}_$rate.json" "$label" "$rate" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
path, label, rate, ticks, hz = sys.argv[1:]
d = json.load(open(path))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
n = sum(int(v) for v in codes.values())
# oha stops at the end of the duration: requests still in flight then are "aborted due to
# deadline" on its side, not failed by the server.
print(f"{label} rate {rate}: {s['requestsPerSec']:.0f} req/s, p50 {p['p50'] * 1e3:.2f} "
      f"p90 {p['p90'] * 1e3:.2f} p99 {p['p99'] * 1e3:.2f} p99.9 {p['p99.9'] * 1e3:.2f} ms, "
      f"codes {codes}, client-side {d.get('errorDistribution')}, "
      f"server CPU {int(ticks) / int(hz) * 1e6 / max(n, 1):.0f} us/request")
EOF
done
kill "$server"; wait "$server" 2>/dev/null || true
trap - EXIT
"$bin" --db "$db" audit verify | head -1
