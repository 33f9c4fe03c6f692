#!/usr/bin/env bash
# What this machine allows: the same oha load on nginx answering a constant string, on a
# minimal axum program (the server's own HTTP stack), and on `sanctions serve` (GET /healthz,
# and POST /v1/screen with the 8 names of screen_bodies.jsonl, audit synced every 10 ms).
# BENCHMARKS.md section 4, eighth session.
#
# Usage: crates/bench/http/floor.sh SANCTIONS_BINARY HELLO_BINARY [ROUNDS]
#   SANCTIONS_BINARY  target/release/sanctions
#   HELLO_BINARY      target/release/examples/hello
#                     (cargo build --release -p sanctions-server --example hello)
# Needs nginx (apt-get install nginx), oha and wrk on PATH, and the store $DB (default
# /tmp/lt.sqlite, as for rate.sh), which is only read: the server's audit log and nginx's files
# go into a scratch folder, removed at the end. Prints p50/p90/p99/p99.9 in ms per server and
# rate, the latencies of one client in a closed loop (wrk -c1), and each round's audit check.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 SANCTIONS_BINARY HELLO_BINARY [ROUNDS]" >&2
  exit 2
fi
bin=$1; hello=$2; rounds=${3:-3}
for tool in nginx oha wrk curl python3; do
  command -v "$tool" > /dev/null || { echo "$tool not found on PATH (see the header of $0)" >&2; exit 2; }
done
for f in "$bin" "$hello"; do
  [ -x "$f" ] || { echo "not an executable: $f" >&2; exit 2; }
done
here=$(cd "$(dirname "$0")" && pwd)
db=${DB:-/tmp/lt.sqlite}
work=$(mktemp -d)
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work;
  server {
    listen 127.0.0.1:18092 backlog=4096;
    location /healthz { return 200 "ok\n"; }
  }
}
CONF
# The audit log goes into the scratch folder: the store's own log is left alone.
printf 'audit_sync_interval_ms = 10\naudit_log = "%s"\n' "$work/audit.jsonl" > "$work/sanctions.toml"
key=$(echo -n secret-admin-key | "$bin" key hash)
screen=(-m POST -T application/json -H 'Authorization: Bearer secret-admin-key' -Z "$here/screen_bodies.jsonl")

ready() { for _ in $(seq 1 120); do curl -sf "$1" > /dev/null && return; sleep 0.5; done; echo "not ready: $1" >&2; exit 1; }
rate() { # label rate url [oha args]
  local label=$1 r=$2 url=$3; shift 3
  oha -z 8s -c 64 -q "$r" --latency-correction --no-tui "$@" "$url" --output-format json | python3 -c "
import json, sys
d = json.load(sys.stdin); p = d['latencyPercentiles']
print('$label rate $r: %d req/s, p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f ms, codes %s' % (
    d['summary']['requestsPerSec'], p['p50'] * 1e3, p['p90'] * 1e3, p['p99'] * 1e3,
    p['p99.9'] * 1e3, d.get('statusCodeDistribution')))"
}
lone() { # label url
  wrk -t1 -c1 -d5s --latency "$2" | awk -v l="$1" \
    '/ 50%/{a=$2} / 90%/{b=$2} / 99%/{c=$2} /Requests\/sec/{r=$2} END{print l" one client (wrk -c1): "r" req/s, p50 "a" p90 "b" p99 "c}'
}
warm() { oha -z 2s -c 64 --no-tui "$@" --output-format quiet; }
for round in $(seq 1 "$rounds"); do
  echo "== round $round ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))"
  nginx -c "$work/nginx.conf"
  ready http://127.0.0.1:18092/healthz
  warm http://127.0.0.1:18092/healthz
  for r in 1000 10000; do rate nginx "$r" http://127.0.0.1:18092/healthz; done
  lone nginx http://127.0.0.1:18092/healthz
  nginx -c "$work/nginx.conf" -s stop; sleep 0.5

  "$hello" 127.0.0.1:18093 & pid=$!
  ready http://127.0.0.1:18093/healthz
  warm http://127.0.0.1:18093/healthz
  for r in 1000 10000; do rate axum-hello "$r" http://127.0.0.1:18093/healthz; done
  lone axum-hello http://127.0.0.1:18093/healthz
  kill "$pid"; wait "$pid" 2>/dev/null || true

  rm -f "$work/audit.jsonl"
  SANCTIONS_LOG=info SANCTIONS_API_KEYS="ops:admin:$key" "$bin" --db "$db" serve \
    --addr 127.0.0.1:18094 --config "$work/sanctions.toml" > "$work/server.log" 2>&1 & pid=$!
  ready http://127.0.0.1:18094/readyz
  warm http://127.0.0.1:18094/healthz
  for r in 1000 10000; do rate sanctions-healthz "$r" http://127.0.0.1:18094/healthz; done
  lone sanctions-healthz http://127.0.0.1:18094/healthz
  warm "${screen[@]}" http://127.0.0.1:18094/v1/screen
  for r in 1000 10000; do rate sanctions-screen "$r" http://127.0.0.1:18094/v1/screen "${screen[@]}"; done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  "$bin" --db "$db" audit verify "$work/audit.jsonl" | head -1
done
