#!/usr/bin/env python3
"""F1 of `sanctions compare` on labelled name pairs.

Usage: tools/eval_pairs.py SANCTIONS_BINARY [--db STORE] [SHARED_DATA_DIR]

Reads ../shared/data/name-variants/nomenklatura-cases.csv and deezymatch-jrcnames-name_pairs.tsv,
scores every pair with `sanctions compare --pairs -` (word weights from the lists in STORE, if
any), and prints, per file, the F1 at the default threshold (0.80) and the best F1 over all
thresholds, with precision and recall. Standard library only.
"""
import csv, json, subprocess, sys, os

def load_nomenklatura(path):
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield row["name1"], row["name2"], row["is_match"].strip().lower() == "true"

def load_deezymatch(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3:
                yield parts[0], parts[1], parts[2].strip().upper() == "TRUE"

def f1_at(scored, t):
    tp = sum(1 for s, y in scored if s >= t and y)
    fp = sum(1 for s, y in scored if s >= t and not y)
    fn = sum(1 for s, y in scored if s < t and y)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r

def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    binary = args.pop(0)
    db = []
    if args[:1] == ["--db"]:
        db = ["--db", args[1]]
        args = args[2:]
    shared = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    nv = os.path.join(shared, "name-variants")
    sets = [
        ("nomenklatura-cases.csv", list(load_nomenklatura(os.path.join(nv, "nomenklatura-cases.csv")))),
        ("deezymatch-jrcnames-name_pairs.tsv", list(load_deezymatch(os.path.join(nv, "deezymatch-jrcnames-name_pairs.tsv")))),
    ]
    for name, pairs in sets:
        clean = lambda s: s.replace("\t", " ").replace("\n", " ")
        text = "".join(f"{clean(a)}\t{clean(b)}\n" for a, b, _ in pairs)
        out = subprocess.run([binary, *db, "compare", "--pairs", "-"], input=text.encode(), capture_output=True, check=True)
        scores = [json.loads(l)["score"] for l in out.stdout.decode().splitlines()]
        assert len(scores) == len(pairs), (len(scores), len(pairs))
        scored = list(zip(scores, [y for _, _, y in pairs]))
        f, p, r = f1_at(scored, 0.80)
        best = max((f1_at(scored, t / 100) + (t / 100,) for t in range(1, 100)), key=lambda x: x[0])
        print(f"{name}: {len(pairs)} pairs ({sum(y for _, y in scored)} matches)")
        print(f"  F1 at the default threshold 0.80: {f:.3f} (P {p:.3f}, R {r:.3f})")
        print(f"  best F1: {best[0]:.3f} at {best[3]:.2f} (P {best[1]:.3f}, R {best[2]:.3f})")

if __name__ == "__main__":
    main()
