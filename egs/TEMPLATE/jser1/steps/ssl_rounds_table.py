#!/usr/bin/env python3
"""The rounds table of stage 5: one row per semi-supervised round, from what the round wrote.

    steps/ssl_rounds_table.py --datadir data --unlab-set train_unlabeled --dev-set dev --test-sets "test" \\
        --out exp/jser_jser_ssl_rounds exp/jser_jser exp/jser_jser_ssl_r1 exp/jser_jser_ssl_r2

The first model is round 0 (the supervised teacher); model r was trained on the pseudo labels in
<datadir>/<unlab-set>_pl_<model name>/ (their pseudolabel.json gives the counts and, where the
data dir had reference labels, their accuracy and WER). Each model's decode_<set>/scores.json (score-ser)
and decode_<set>/wer/scores.json (score-wer) give UA and WER. Writes OUT/rounds.md and OUT/rounds.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jsertk.utils.atomic import atomic_write_text


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def round_row(r: int, exp: Path, args) -> dict:
    row: dict = {"round": r, "model": str(exp)}
    pl = _load(args.datadir / f"{args.unlab_set}_pl_{exp.name}" / "pseudolabel.json") if r else None
    if pl is not None:
        counts = pl["counts"]
        row.update(emotion_kept=counts["kept_emotion"], emotion_scored=counts["scored"],
                   emotion_accuracy=pl.get("reference_emotion", {}).get("kept", {}).get("accuracy"),
                   emotion_accuracy_all=pl.get("reference_emotion", {}).get("all", {}).get("accuracy"),
                   text_kept=counts["kept_transcripts"],
                   text_wer=pl.get("reference_text", {}).get("kept", {}).get("wer"))
    for name in [args.dev_set, *args.test_sets]:
        ser = _load(exp / f"decode_{name}" / "scores.json")
        wer = _load(exp / f"decode_{name}" / "wer" / "scores.json")
        row[f"{name}_ua"] = ser["UA"] if ser else None
        row[f"{name}_wa"] = ser["WA"] if ser else None
        row[f"{name}_wer"] = wer["wer"] if wer else None
    return row


def table(rows: list[dict], args) -> str:
    head = ["round", "emotion pseudo-labels kept", "their accuracy %", "transcripts kept", "their WER %",
            f"{args.dev_set} UA %"]
    for t in args.test_sets:
        head += [f"{t} UA %", f"{t} WA %", f"{t} WER %"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        kept = f"{row['emotion_kept']} of {row['emotion_scored']}" if "emotion_kept" in row else "-"
        cells = [str(row["round"]), kept, _pct(row.get("emotion_accuracy")), str(row.get("text_kept", "-")),
                 _pct(row.get("text_wer")), _pct(row[f"{args.dev_set}_ua"])]
        for t in args.test_sets:
            cells += [_pct(row[f"{t}_ua"]), _pct(row[f"{t}_wa"]), _pct(row[f"{t}_wer"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", type=Path, help="experiment dirs of rounds 0, 1, ...")
    p.add_argument("--datadir", type=Path, required=True, help="where <unlab-set>_pl_r<r>/ are")
    p.add_argument("--unlab-set", required=True, help="the pseudo-labelled set")
    p.add_argument("--dev-set", required=True, help="the model-selection set")
    p.add_argument("--test-sets", default="", help="space-separated test sets")
    p.add_argument("--out", type=Path, required=True, help="dir for rounds.md and rounds.json")
    args = p.parse_args()
    args.test_sets = args.test_sets.split()
    rows = [round_row(r, exp, args) for r, exp in enumerate(args.models)]
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(rows, args)
    atomic_write_text(args.out / "rounds.md", text)
    atomic_write_text(args.out / "rounds.json", json.dumps(rows, indent=2) + "\n")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
