#!/usr/bin/env python3
"""Latency percentiles of a rate.sh run with REQS and RELOADS set, split by when each request was
due (oha's latency-corrected start): during a reload (from the POST to its answer: the index
build, the memo warming, the swap), in the second after a reload answered, and the rest.

Usage: reload_windows.py /tmp/rate_LABEL_RATE  (reads .db, .reloads and .json beside it)
"""
import json
import sqlite3
import sys


def pct(v, p):
    return sorted(v)[min(len(v) - 1, int(p * len(v)))] * 1e3 if v else float("nan")


base = sys.argv[1]
times = {"oha": [], "start": [], "end": []}
for line in open(base + ".reloads"):
    k, t = line.split()
    times[k].append(float(t))
# oha's starts are relative to its own start (its `run` column is whole seconds only).
t0 = times["oha"][0]
spans = [(a - t0, b - t0) for a, b in zip(times["start"], times["end"])]
rows = sqlite3.connect(base + ".db").execute(
    "select coalesce(start_latency_correction, start), end from oha"
)
win = {"during a reload": [], "second after": [], "rest": [], "all": []}
for s, e in rows:
    lat = e - s
    win["all"].append(lat)
    if any(a <= s < b for a, b in spans):
        win["during a reload"].append(lat)
    elif any(b <= s < b + 1.0 for a, b in spans):
        win["second after"].append(lat)
    else:
        win["rest"].append(lat)
d = json.load(open(base + ".json"))
print(f"{base}: {d['summary']['requestsPerSec']:.0f} req/s, codes {d.get('statusCodeDistribution')}, "
      f"client-side {d.get('errorDistribution')}, reloads took {[round(b - a, 2) for a, b in spans]} s")
for k, v in win.items():
    print(f"  {k:16} {len(v):6} requests  p50 {pct(v, .5):8.2f}  p99 {pct(v, .99):8.2f}  "
          f"p99.9 {pct(v, .999):8.2f} ms")
