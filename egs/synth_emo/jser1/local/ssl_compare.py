#!/usr/bin/env python3
"""Semi-supervised comparison on the synthetic corpus: supervised-only, pseudo-label rounds,
distribution matching, AAE, everything, and the upper bound trained with the unlabelled set's
true labels; several seeds; writes a markdown table. Run from the recipe dir after stage 3:

  local/ssl_compare.py --asr-tag asr --seeds 0 1 --out exp/ssl_compare

Stage 4 of jser.sh trains the supervised model of each seed (exp/jser_sup_s<seed>), stage 5 runs
the pseudo-label rounds from it (conf/train_jser_ssl.yaml with the variant's --set overrides);
the single-run variants (distribution matching, AAE, upper bound) call `jsertk train` with the
unlabelled set as an extra training dir. Every run is skipped when its scores exist, so the script
resumes where it stopped. The reference labels of the unlabelled set (data/<unlab>/.ref/) are
used only by the upper bound and to score the pseudo labels.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

# stage-5 variants: overrides of conf/train_jser_ssl.yaml
ROUNDS = {
    "pseudo-label rounds": ["distribution_matching.weight=0", "aae.enabled=false"],
    "everything (rounds + DM + AAE)": [],
}
# single runs: labelled + ASR sets + the unlabelled set in the given role, overrides of conf/train_jser.yaml
SINGLE = {
    "distribution matching": ("unlab", ["distribution_matching.weight=0.1", "distribution_matching.warmup_steps=100"]),
    "AAE": ("unlab", ["aae.enabled=true"]),
    "upper bound (true labels of the unlabelled set)": ("ser", []),
}


def sh(cmd: list[str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as f:
        f.write(f"# {' '.join(cmd)}\n")
        f.flush()
        if subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode:
            sys.exit(f"failed: {' '.join(cmd)} (log {log})")


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.split(" (")[0]).strip("_")


def scores(exp: Path, test: str) -> dict:
    ser = json.loads((exp / f"decode_{test}" / "scores.json").read_text())
    wer = json.loads((exp / f"decode_{test}" / "wer" / "scores.json").read_text())
    return {"UA": ser["UA"], "WA": ser["WA"], "WER": wer["wer"]}


def decode(args, exp: Path, data: str, log: Path) -> None:
    dec = exp / f"decode_{data}"
    if (dec / "summary.json").is_file():
        return
    sh(["jsertk", "decode", str(args.dumpdir / "fbank" / data), "--model-dir", str(exp), "--outdir", str(dec),
        "--ref", str(args.datadir / data)], log)


def oracle_dir(args) -> Path:
    """The unlabelled set's features with its reference labels: the upper bound's extra training data."""
    out = args.datadir / f"{args.unlab_set}_oracle"
    if (out / "utt2emo").is_file():
        return out
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(args.dumpdir / "fbank" / args.unlab_set, tmp, ignore=shutil.ignore_patterns("split*", "log"))
    for f in (args.datadir / args.unlab_set / ".ref").iterdir():
        shutil.copy(f, tmp / f.name)
    tmp.rename(out)
    return out


def jser_sh(args, seed: int, *opts: str) -> list[str]:
    return ["./jser.sh", "--nj", str(args.nj), "--datadir", str(args.datadir), "--dumpdir", str(args.dumpdir),
            "--expdir", str(args.expdir), "--train-set", args.train_set, "--unlab-set", args.unlab_set,
            "--asr-train-set", args.asr_set, "--dev-set", args.dev_set, "--test-sets", args.test_set,
            "--asr-tag", args.asr_tag, "--jser-tag", f"sup_s{seed}", "--jser-args",
            f"--set seed={seed} {args.jser_args}".strip(), *opts]


def run_seed(args, seed: int) -> dict[str, dict]:
    log = args.out / f"s{seed}.log"
    sup = args.expdir / f"jser_sup_s{seed}"
    sh(jser_sh(args, seed, "--stage", "4", "--stop-stage", "4"), log)
    decode(args, sup, args.test_set, log)
    results = {"supervised only": scores(sup, args.test_set)}
    for name, overrides in ROUNDS.items():
        ssl_args = " ".join(f"--set {o}" for o in [f"seed={seed}", *overrides]) + f" {args.jser_args}"
        sh(jser_sh(args, seed, "--stage", "5", "--stop-stage", "5", "--ssl-rounds", str(args.rounds),
                   "--ssl-tag", slug(name), "--ssl-args", ssl_args.strip()), log)
        summary = args.expdir / f"jser_sup_s{seed}_{slug(name)}_rounds"
        best = Path((summary / "final_model").read_text().strip())
        rounds = json.loads((summary / "rounds.json").read_text())
        results[name] = {**scores(best, args.test_set), "rounds": rounds, "best": best.name}
    unlab = str(args.dumpdir / "fbank" / args.unlab_set)
    for name, (role, overrides) in SINGLE.items():
        exp = args.expdir / f"jser_{slug(name)}_s{seed}"
        extra = str(oracle_dir(args)) if role == "ser" else unlab
        if not (exp / "model.pth").is_file():
            sets = [f"seed={seed}", f"data_roles=[ser,asr,{role}]", "data.set_weights=[1.0,0.5,1.0]", *overrides]
            cmd = ["jsertk", "train", str(args.dumpdir / "fbank" / args.train_set),
                   str(args.dumpdir / "fbank" / args.asr_set), extra,
                   "--valid", str(args.dumpdir / "fbank" / args.dev_set),
                   "--config", "conf/train_jser.yaml", "--init", str(args.expdir / f"asr_{args.asr_tag}"),
                   "--outdir", str(exp), *[x for s in sets for x in ("--set", s)], *args.jser_args.split()]
            sh(cmd + (["--resume"] if (exp / "checkpoint.pth").is_file() else []), log)
        decode(args, exp, args.test_set, log)
        results[name] = scores(exp, args.test_set)
    return results


def fmt(v: list[float]) -> str:
    m = 100 * statistics.mean(v)
    return f"{m:.1f} ± {100 * statistics.stdev(v):.1f}" if len(v) > 1 else f"{m:.1f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--asr-tag", default="asr", help="stage-3 experiment exp/asr_<tag> every model starts from")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="training seeds")
    p.add_argument("--rounds", type=int, default=2, help="pseudo-label rounds (stage 5, early stop on dev UA)")
    p.add_argument("--jser-args", default="", help="more jsertk train options for every run")
    p.add_argument("--out", type=Path, default=Path("exp/ssl_compare"), help="logs, results.md, results.json")
    p.add_argument("--datadir", type=Path, default=Path("data"), help="data dirs")
    p.add_argument("--dumpdir", type=Path, default=Path("dump"), help="features")
    p.add_argument("--expdir", type=Path, default=Path("exp"), help="experiments")
    p.add_argument("--train-set", default="train_labeled", help="emotion-labelled set")
    p.add_argument("--unlab-set", default="train_unlabeled", help="unlabelled set (reference labels in .ref/)")
    p.add_argument("--asr-set", default="asr_train", help="ASR-only set")
    p.add_argument("--dev-set", default="dev", help="model selection set")
    p.add_argument("--test-set", default="test", help="scored set")
    p.add_argument("--nj", type=int, default=2, help="parallel pseudo-labelling jobs")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    per_seed = {seed: run_seed(args, seed) for seed in args.seeds}
    (args.out / "results.json").write_text(json.dumps(per_seed, indent=2, default=str) + "\n")
    names = ["supervised only", *ROUNDS, *SINGLE]
    sup = statistics.mean(per_seed[s]["supervised only"]["UA"] for s in args.seeds)
    upper = statistics.mean(per_seed[s][names[-1]]["UA"] for s in args.seeds)
    lines = ["| system | test UA % | test WA % | joint model WER % | share of the gap closed | seeds |",
             "|---|---|---|---|---|---|"]
    for name in names:
        rows = [per_seed[s][name] for s in args.seeds]
        ua = statistics.mean(r["UA"] for r in rows)
        gap = f"{100 * (ua - sup) / (upper - sup):.0f}%" if upper != sup else "-"
        lines.append(f"| {name} | {fmt([r['UA'] for r in rows])} | {fmt([r['WA'] for r in rows])} | "
                     f"{fmt([r['WER'] for r in rows])} | {gap} | {len(rows)} |")
    table = "\n".join(lines) + "\n"
    (args.out / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
