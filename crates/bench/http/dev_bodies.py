#!/usr/bin/env python3
"""Writes the shared benchmark's dev queries as POST /v1/screen bodies, one per line, for
rate.sh (BODIES=...). The queries stay in ../shared; only the derived file is written, to the
path given (not into this repository).

Usage: dev_bodies.py ../shared/bench/dev/queries.jsonl /tmp/dev_bodies.jsonl
"""
import json
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src) as f, open(dst, "w") as out:
    for line in f:
        q = json.loads(line)
        body = {k: q[k] for k in ("name", "kind", "birth_date", "nationality") if q.get(k)}
        out.write(json.dumps(body) + "\n")
