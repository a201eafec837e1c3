#!/usr/bin/env python3
"""One table of every system scored on the same folds (stage 8 of jser_folds.sh): the toolkit's
model first, then the baselines, each with its mean ± std over folds, its pooled UA with the 95%
interval, and the paired test of the first system against it.

    steps/systems_table.py --out exp/RESULTS.md exp/ser_folds exp/baseline_egemaps_folds ...

Each argument is a `jsertk score-folds` output dir (results.json, pooled/); the comparisons are
`jsertk compare-systems FIRST OTHER` (paired bootstrap of UA, McNemar of accuracy, paired t over
the folds and over a repeated system's runs), written as OTHER/compare_to_<first>.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from jsertk.infer.score_folds import compare_systems
from jsertk.utils.atomic import atomic_write_text


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _minus_first(d: dict | None, diff: str) -> str:
    """'+x [lo, hi] (p p)' of this system minus the first, from compare_systems' first minus this."""
    if d is None:
        return "-"
    lo, hi = (-100 * x for x in reversed(d["ci"]))
    p = "p < 0.001" if d["p"] < 0.001 else f"p {d['p']:.3f}"
    return f"{-100 * d[diff]:+.1f} [{lo:+.1f}, {hi:+.1f}] ({p})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="the table (markdown)")
    ap.add_argument("--title", default="Systems on the same folds")
    ap.add_argument("systems", type=Path, nargs="+", help="score-folds dirs, the reference system first")
    args = ap.parse_args()
    first = args.systems[0]
    results = {s: json.loads((s / "results.json").read_text(encoding="utf-8")) for s in args.systems}
    repeated = any(r.get("repeats", 1) > 1 for r in results.values())
    rows = ["| system | folds | UA % mean ± std | WA % mean ± std | pooled UA % [95% CI] | UA vs first [95% CI] (p) | "
            "UA vs first, t over folds |" + (" t over runs |" if repeated else ""),
            "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if repeated else "")]
    for system, r in results.items():
        vs = t_folds = t_runs = "-"
        if system != first:
            c = compare_systems(first, system)
            atomic_write_text(system / f"compare_to_{first.name}.json", json.dumps(c, indent=2) + "\n")
            vs = _minus_first(c["paired_bootstrap"]["UA"], "diff")
            t_folds, t_runs = (_minus_first(c["paired_t_UA"][u], "mean") for u in ("fold", "run"))
        p = r["pooled"]
        repeats = r.get("repeats", 1)
        folds = f"{repeats} x {len(r['folds']) // repeats}" if repeats > 1 else str(len(r["folds"]))
        rows.append(f"| {system.name} | {folds} | {_pct(r['mean']['UA'])} ± {_pct(r['std']['UA'])} | "
                    f"{_pct(r['mean']['WA'])} ± {_pct(r['std']['WA'])} | {_pct(p['UA'])} "
                    f"[{_pct(p['ci95']['UA'][0])}, {_pct(p['ci95']['UA'][1])}] | {vs} | {t_folds} |"
                    + (f" {t_runs} |" if repeated else ""))
    notes = [f"UA vs first: this system's pooled UA minus {first.name}'s, with the paired bootstrap's 95% interval "
             "and p-value (compare_to_*.json also holds WA, macro-F1 and, but for repeated runs, McNemar's test). "
             "t over folds: a paired t interval of the per-fold UA differences (each fold's UA averaged over its "
             "runs), the folds as the unit"
             + ("; t over runs: the same of each run's pooled UA, the runs (draws) as the unit." if repeated else ".")]
    if repeated:
        notes.append("Folds \"D x K\": a repeated cross-validation, D runs (draws) of K folds; its pooled UA is over "
                     "every (run, test utterance).")
    text = "\n".join([f"# {args.title}", "", *rows, "", *notes, ""])
    atomic_write_text(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
