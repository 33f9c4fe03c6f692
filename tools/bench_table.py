#!/usr/bin/env python3
"""Markdown tables comparing score.py --json outputs (ours and the peers').

Usage: tools/bench_table.py NAME=score.json [NAME=score.json ...]
"""
import json, sys

def main():
    runs = []
    for arg in sys.argv[1:]:
        name, path = arg.split("=", 1)
        runs.append((name, json.load(open(path))))
    cats = ["exact", "variant", "reorder", "partial", "typo", "script", "with_dob"]
    negs = ["common_person", "common_org", "near_namesake", "dob_conflict"]
    print("| category | n | " + " | ".join(n for n, _ in runs) + " |")
    print("|---|---|" + "---|" * len(runs))
    for c in cats:
        n = runs[0][1]["categories"][c]["n"]
        print(f"| {c} (recall) | {n} | " + " | ".join(f"{d['categories'][c]['recall']*100:.1f}%" for _, d in runs) + " |")
    for c in negs:
        n = runs[0][1]["categories"][c]["n"]
        print(f"| {c} (alert%) | {n} | " + " | ".join(f"{d['categories'][c]['alert_rate']*100:.1f}%" for _, d in runs) + " |")
    print()
    print("| | " + " | ".join(n for n, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    keys = [("positives", "recall", "recall, all positives", 100), ("positives", "recall_at_1_source", "r@1src, all positives", 100),
            ("negatives", "alert_rate", "negatives alerted", 100), ("negatives", "false_alerts_per_100", "false alerts per 100 negatives", 1)]
    for group, k, label, mul in keys:
        vals = []
        for _, d in runs:
            g = d.get(group, {})
            v = g.get(k)
            vals.append("?" if v is None else (f"{v*mul:.1f}%" if mul == 100 else f"{v:.2f}"))
        print(f"| {label} | " + " | ".join(vals) + " |")
    for key, label in [("own_threshold", "F1 at own threshold"), ("best", "best F1")]:
        print(f"| {label} | " + " | ".join(f"{d['f1'][key]['f1']:.3f}" for _, d in runs) + " |")

if __name__ == "__main__":
    main()
