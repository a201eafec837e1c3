#!/usr/bin/env python3
"""SER ablation on the synthetic corpus: joint models that differ in one option each, trained with
several seeds from one ASR experiment, decoded and scored on a test set; writes a markdown table.

  local/ser_ablation.py --train dump/fbank/train_labeled --dev dump/fbank/dev --test dump/fbank/test \\
      --init exp/asr_train --out exp/ser_ablation --seeds 0 1 [--asr-train dump/fbank/asr_train]

With --asr-train the ASR-only set joins every run as stage 4 has it (data_roles [ser, asr], drawn
half as often); without it the runs see the emotion-labelled set only.

Each variant is `conf/train_jser.yaml` plus the --set overrides listed in VARIANTS. Finished runs
(a summary.json in their decode dir) are skipped, so the script resumes where it stopped.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

VARIANTS = {
    "acoustic only (no lexical branch)": ["lexical.source=none", "heads.emotion_acoustic=0", "heads.emotion_lexical=0"],
    "fusion: concat": ["fusion.type=concat"],
    "fusion: cross-attention": ["fusion.type=cross_attention"],
    "fusion: gated": ["fusion.type=gated"],
    "fusion: gated, Transformer lexical encoder": ["fusion.type=gated", "lexical.encoder=transformer",
                                                   "lexical.pooling=attentive"],
    "gated + gender/speaker": ["fusion.type=gated", "heads.gender=0.2", "heads.speaker=0.2"],
    "gated + gender/speaker + AAE": ["fusion.type=gated", "heads.gender=0.2", "heads.speaker=0.2", "aae.enabled=true"],
}


def run(cmd: list[str], log: Path) -> None:
    with open(log, "a") as f:
        if subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode:
            sys.exit(f"failed: {' '.join(cmd)} (log {log})")


def one(args, name: str, sets: list[str], seed: int) -> Path:
    tag = "".join(c if c.isalnum() else "_" for c in name).strip("_") + f"_s{seed}"
    exp = args.out / tag
    dec = exp / f"decode_{args.test.name}"
    if (dec / "summary.json").is_file():
        return exp
    exp.parent.mkdir(parents=True, exist_ok=True)
    log = args.out / f"{tag}.log"
    base = [args.jsertk]
    over = [x for s in [*sets, f"seed={seed}", f"train.max_epochs={args.epochs}", "data.label_root=",
                        *(["data_roles=[ser,asr]", "data.set_weights=[1.0,0.5]"] if args.asr_train else
                          ["data_roles=[ser]", "data.set_weights=[]"])] for x in ("--set", s)]
    if not (exp / "model.pth").is_file():
        resume = ["--resume"] if (exp / "checkpoint.pth").is_file() else []
        run(base + ["train", str(args.train), *([str(args.asr_train)] if args.asr_train else []),
                    "--valid", str(args.dev), "--config", str(args.config), "--init", str(args.init),
                    "--outdir", str(exp), *over, *resume], log)
    run(base + ["decode", str(args.test), "--model-dir", str(exp), "--outdir", str(dec), "--threads", "1",
                "--ref", str(args.test)], log)
    return exp


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=Path, required=True, help="emotion-labelled training feature dir")
    p.add_argument("--asr-train", type=Path, default=None, help="ASR-only training feature dir (role asr)")
    p.add_argument("--dev", type=Path, required=True, help="validation feature dir (model selection by UA)")
    p.add_argument("--test", type=Path, required=True, help="scored feature dir")
    p.add_argument("--init", type=Path, required=True, help="ASR experiment dir to start from")
    p.add_argument("--out", type=Path, default=Path("exp/ser_ablation"), help="where the runs go")
    p.add_argument("--config", type=Path, default=Path(__file__).parents[1] / "conf" / "train_jser.yaml",
                   help="base config")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds")
    p.add_argument("--only", nargs="+", default=None, metavar="VARIANT",
                   help=f"run only these variants (default all: {'; '.join(VARIANTS)})")
    p.add_argument("--epochs", type=int, default=6, help="training epochs per run")
    p.add_argument("--jobs", type=int, default=2, help="runs at a time")
    p.add_argument("--jsertk", default="jsertk", help="the jsertk command")
    p.add_argument("--table", type=Path, default=None, help="markdown table file (default OUT/results.md)")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    unknown = set(args.only or []) - set(VARIANTS)
    if unknown:
        p.error(f"unknown variant(s): {', '.join(sorted(unknown))} (known: {'; '.join(VARIANTS)})")
    jobs = [(name, sets, seed) for name, sets in VARIANTS.items() if not args.only or name in args.only
            for seed in args.seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        exps = list(pool.map(lambda j: one(args, *j), jobs))
    rows: dict[str, dict[str, list[float]]] = {}
    for (name, _, _), exp in zip(jobs, exps):
        dec = exp / f"decode_{args.test.name}"
        fused = json.loads((dec / "scores.json").read_text())
        wer = json.loads((dec / "wer" / "scores.json").read_text())["wer"]
        views = {"fused": fused}
        for view in ("acoustic", "lexical"):
            if (dec / view / "scores.json").is_file():
                views[view] = json.loads((dec / view / "scores.json").read_text())
        if name.startswith("acoustic only"):
            views = {"acoustic": fused}
        for view, s in views.items():
            label = name if view == "fused" or name.startswith("acoustic only") else f"{view}-only head of {name}"
            r = rows.setdefault(label, {"UA": [], "WA": [], "WER": []})
            r["UA"].append(s["UA"])
            r["WA"].append(s["WA"])
            r["WER"].append(wer)

    def fmt(v: list[float]) -> str:
        m = 100 * statistics.mean(v)
        return f"{m:.1f} ± {100 * statistics.stdev(v):.1f}" if len(v) > 1 else f"{m:.1f}"

    lines = ["| system | UA % | WA % | WER % | seeds |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {fmt(v['UA'])} | {fmt(v['WA'])} | {fmt(v['WER'])} | {len(v['UA'])} |" for k, v in rows.items()]
    table = "\n".join(lines) + "\n"
    (args.table or args.out / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
