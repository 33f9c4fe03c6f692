#!/usr/bin/env python3
"""The summary of crates/bench/standing.sh: every figure of issue 4 against its target, and the
peers from the same run, as Markdown on stdout.

Usage: standing.py OUT_DIR SHARED_DIR   (the folder standing.sh filled; ../shared)
"""
import json
import os
import statistics
import subprocess
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def scale_of(doc, k):
    for s in doc["scales"]:
        if s["scale"] == k:
            return s
    fail(f"scale {k} missing from the bench-screen output")


def throughput(s, mode, threads):
    for t in s["throughput"]:
        if t["mode"] == mode and t["threads"] == threads:
            return t
    fail(f"no {mode} throughput with {threads} threads in the bench-screen output")


def verdict(ok):
    return "met" if ok else "**not met**"


def median_of(values):
    return statistics.median(values) if values else float("nan")


def peer_rows(out, shared):
    """(algorithm, queries, end-to-end q/s, scoring-only q/s, score.py's report or None)."""
    rows = []
    score_py = os.path.join(shared, "bench", "score.py")
    for sub in ("peers-5000", "peers-500"):
        d = os.path.join(out, sub)
        timings = os.path.join(d, "timings.json")
        if not os.path.exists(timings):
            continue
        t = load(timings)
        # run_peers.sh keeps the truth of a limited run beside its results.
        truth = os.path.join(d, "truth.jsonl")
        if not os.path.exists(truth):
            truth = os.path.join(shared, "bench", "dev", "truth.jsonl")
        for a in t["algorithms"]:
            name = a["algorithm"]
            results = os.path.join(d, f"{name}.jsonl")
            score = None
            if os.path.exists(results):
                r = subprocess.run(
                    [sys.executable, score_py, truth, results, "--json"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if r.returncode != 0:
                    fail(f"score.py failed on {results}: {r.stderr.strip()}")
                score = json.loads(r.stdout)
            rows.append((name, a["queries"], a["qps_end_to_end"], a["qps_scoring"], score))
    return rows


def main():
    if len(sys.argv) != 3:
        fail("usage: standing.py OUT_DIR SHARED_DIR")
    out, shared = sys.argv[1], sys.argv[2]
    for f in ("machine.txt", "screen.json", "scale.json", "imports.jsonl"):
        if not os.path.exists(os.path.join(out, f)):
            fail(f"{os.path.join(out, f)} missing: run crates/bench/standing.sh first")
    machine = open(os.path.join(out, "machine.txt")).read().strip()
    screen = load(os.path.join(out, "screen.json"))
    scale = load(os.path.join(out, "scale.json"))
    imports = [json.loads(line) for line in open(os.path.join(out, "imports.jsonl")) if line.strip()]

    s1 = scale_of(screen, 1)
    lat, batch = s1["latency"], s1["latency_batch"]
    b1 = throughput(s1, "batch", 1)
    b2 = throughput(s1, "batch", 2)
    f1 = throughput(s1, "file_order", 1)
    f2 = throughput(s1, "file_order", 2)
    mem = s1["memory"]
    # The peak since the build began (bench-screen resets it per scale): the memo grown by
    # every dev query, and the batch passes' prepared queries, included.
    rss = max(mem["after_screen"]["rss_mib"], mem["after_screen"].get("hwm_mib", 0))
    un = [r for r in imports if r["source"] == "un"]
    ofac = [r for r in imports if r["source"] == "ofac"]
    for name, rs in (("UN", un), ("OFAC", ofac)):
        if not rs:
            fail(f"no {name} import in imports.jsonl")

    def imp(rs):
        ps = median_of([r["parse_ms"] + r["store_ms"] for r in rs])
        wall = median_of([r["wall_ms"] for r in rs])
        return ps, wall

    un_ps, un_wall = imp(un)
    of_ps, of_wall = imp(ofac)

    print("# Issue 4: where it stands\n")
    print("```text")
    print(machine)
    print(f"load average at the start of the screening run: {screen.get('loadavg', '?')}")
    print("```\n")
    print("| target | measured | |")
    print("|---|---|---|")
    per_core = b1["qps_per_cpu_second"]
    print(
        f"| ≥ 50,000 screens/s per core, batch | {per_core:,.0f} per CPU-second as a batch "
        f"({f1['qps_per_cpu_second']:,.0f} in file order) | {verdict(per_core >= 50000)} |"
    )
    print(
        f"| p50 ≤ 20 µs inside the engine | {lat['p50_us']:.1f} µs in file order, "
        f"{batch['p50_us']:.1f} µs as a batch | {verdict(min(lat['p50_us'], batch['p50_us']) <= 20)} |"
    )
    print(
        f"| p99 ≤ 200 µs inside the engine | {lat['p99_us']:.1f} µs in file order, "
        f"{batch['p99_us']:.1f} µs as a batch | {verdict(min(lat['p99_us'], batch['p99_us']) <= 200)} |"
    )
    print(
        f"| batch mode uses both cores, near-linear (counted from 1.7×) | 2 threads: {b2['qps']:,.0f}/s = "
        f"{b2['scaling']:.2f}× one thread, {b2['cores_busy']:.2f} cores busy, "
        f"{b2['qps_per_cpu_second']:,.0f} per CPU-second (file order {f2['scaling']:.2f}×) "
        f"| {verdict(b2['scaling'] >= 1.7)} |"
    )
    print(
        f"| index build ≤ 0.5 s (UN + OFAC) | {s1['build_ms'] / 1000:.2f} s "
        f"({s1['entities']:,} entries) | {verdict(s1['build_ms'] <= 500)} |"
    )
    print(
        f"| import UN XML ≤ 0.2 s | parse + store {un_ps:.0f} ms; whole command {un_wall:.0f} ms "
        f"(median of {len(un)}) | {verdict(un_ps <= 200)} |"
    )
    print(
        f"| import OFAC trio ≤ 0.5 s | parse + store {of_ps:.0f} ms; whole command {of_wall:.0f} ms "
        f"(median of {len(ofac)}) | {verdict(of_ps <= 500)} |"
    )
    print(
        f"| resident memory ≤ 200 MB, UN + OFAC loaded | peak {rss:.0f} MiB while screening "
        f"({rss * 1.048576:.0f} MB) | {verdict(rss * 1.048576 <= 200)} |"
    )
    print()

    print("How costs grow with the index (first 1,000 dev queries, one thread, warm):\n")
    print("| index | entries | build | RSS after build | p50 / p99 | CPU µs per query |")
    print("|---|---|---|---|---|---|")
    for s in scale["scales"]:
        la = s["latency"]
        print(
            f"| {s['scale']}× | {s['entities']:,} | {s['build_ms'] / 1000:.2f} s | "
            f"{s['memory']['after_build']['rss_mib']:.0f} MiB | {la['p50_us']:.0f} / {la['p99_us']:.0f} µs | "
            f"{la['cpu_us_per_query']:.0f} |"
        )
    print()
    print("Query length (mean / p99 µs per query, 1 to 8 words):\n")
    print("| index | " + " | ".join(f"{n} w" for n in range(1, 9)) + " |")
    print("|---|" + "---|" * 8)
    for label, s in [("1× (step 1)", s1)] + [
        (f"{s['scale']}× (step 2)", s) for s in scale["scales"]
    ]:
        sweep = s.get("length_sweep") or []
        if not sweep:
            continue
        cells = {x["words"]: f"{x['us_per_query']:.0f} / {x['p99_us']:.0f}" for x in sweep}
        print(f"| {label} | " + " | ".join(cells.get(n, "–") for n in range(1, 9)) + " |")
    print()

    rows = peer_rows(out, shared)
    ours = f1["qps_per_cpu_second"]
    print("Peers in the same run (one core each; end to end = query build, prefilter, scoring):\n")
    if not rows:
        print("(not run: no harness given to standing.sh)\n")
        return
    print("| | queries | queries/s end to end | scoring alone | sanctions is faster by | recall | F1 at own threshold |")
    print("|---|---|---|---|---|---|---|")
    rec = s1["recall"]["overall"]["screen_recall"]
    print(
        f"| sanctions, file order, one thread | 5,000 | {ours:,.0f} per CPU-second | – | 1× | "
        f"{rec * 100:.1f}% | see §1 |"
    )
    for name, n, e2e, scoring, score in rows:
        recall = f"{score['positives']['recall'] * 100:.1f}%" if score else "?"
        f1s = f"{score['f1']['own_threshold']['f1']:.3f}" if score else "?"
        print(
            f"| {name} | {n:,} | {e2e:.1f} | {scoring:,.1f} | {ours / e2e:,.0f}× | {recall} | {f1s} |"
        )
    print()


if __name__ == "__main__":
    main()
