"""Scores over the folds of a cross-validation, and paired comparisons of two systems.

`score_folds(DECODE_DIRS, OUT)` (`jsertk score-folds`): each decode dir is one fold's test set
(hyp.emo, classes.txt), scored against its reference (the data dir named in its decode.json, or
`ref`: one data dir of the whole corpus). Writes into OUT:
- results.json: per-fold UA, WA, macro-F1; their mean and standard deviation over folds (sample
  std, n-1); the scores pooled over every test utterance with 95% bootstrap intervals; per-class
  recall; how the intervals were made.
- RESULTS.md: the same as a table.
- pooled/: hyp.emo and ref.emo of all folds, scores.json, scores.txt (per-class recall, confusion)
  and confusion.png; `compare_systems` reads them.

Repeated cross-validation (`repeats` R > 1): the decode dirs are R runs of the same folds, one after
the other (run 1's folds, then run 2's, ...), e.g. the folds trained again on another random draw of
labelled speakers. The mean and std are over all R x K fold runs; the pooled scores are over every
(run, test utterance) item, keyed `r<run>-<utterance>` in pooled/ (pooled/item2utt maps each back
to its utterance), and the bootstrap resamples test utterances (or speakers) with all their runs
together: the interval is that of sampling the test utterances for these runs, never one that
counts an utterance's R copies as new utterances. Every run must test the same utterances.

`compare_systems(A, B)` (`jsertk compare-systems`): two systems' hypotheses on the same utterances
(score-folds output dirs or decode dirs): differences of UA, WA and macro-F1 with paired-bootstrap
95% intervals and p-values, and McNemar's exact test on accuracy (not for repeated runs, whose
pairs are not independent). Two repeated systems pair item by item; a one-run system is paired
with each run of a repeated one. Beside the bootstrap over utterances, paired t intervals of the UA
difference take the fold as the unit (score-folds dirs with the same folds: each fold's UA, averaged
over a repeated system's runs) and, for repeated runs, the run (each run's pooled UA): these ask
whether the gain holds over other folds or other runs (draws), not only over other test utterances.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from jsertk.data.datadir import DataDir, read_parsed
from jsertk.infer.evaluate import one_label
from jsertk.metrics.ser import DEFINITIONS, classification_scores, write_scores
from jsertk.metrics.significance import METRICS, bootstrap_ci, mcnemar, paired_bootstrap, paired_t, scores_from_indices
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError

UNITS = ("utterance", "speaker")


def _read_labels(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError(f"{path}: not found")
    return read_parsed(path, one_label)


def _decode_data(dec: Path) -> Path | None:
    try:
        data = json.loads((dec / "decode.json").read_text(encoding="utf-8")).get("data")
    except (OSError, json.JSONDecodeError):
        return None
    return Path(data) if isinstance(data, str) else None


def _fold_name(dec: Path) -> str:
    for part in reversed(dec.resolve().parts):
        if re.fullmatch(r"fold\d+", part):
            return part
    return dec.name


def _read_fold(dec: Path, ref: Path | None):
    """(reference labels, hypotheses, utt2spk, classes) of one fold's decode dir."""
    dec = Path(dec)
    hyp = _read_labels(dec / "hyp.emo")
    classes = [line.split()[0] for line in (dec / "classes.txt").read_text().splitlines() if line.strip()] \
        if (dec / "classes.txt").is_file() else None
    if ref is not None:  # one data dir of the whole corpus: this fold's utterances are those decoded
        ref_dir = DataDir(ref)
        labels = ref_dir.raw("utt2emo") if ref_dir.has("utt2emo") else {}
        fold_ref = {u: labels[u].split()[0] for u in hyp if u in labels}
    else:
        data = _decode_data(dec)
        if data is None or not (data / "utt2emo").is_file():
            raise InputError(f"{dec}: its decode.json names no data dir with utt2emo; give --ref DATADIR")
        ref_dir = DataDir(data)
        fold_ref = {u: v.split()[0] for u, v in ref_dir.raw("utt2emo").items()}  # undecoded ones count wrong
    if not fold_ref:
        raise InputError(f"{dec}: none of its hyp.emo utterances has a reference label in {ref_dir.path}/utt2emo")
    utt2spk = ref_dir.raw("utt2spk") if ref_dir.has("utt2spk") else {}
    return fold_ref, hyp, utt2spk, classes


def _resample_groups(unit: str, utts: list[str], utt2spk: dict[str, str], source: str,
                     item2utt: dict[str, str] | None = None) -> list[int] | None:
    """The group index of each pooled item: its speaker for --bootstrap-unit speaker; for utterance,
    its test utterance when the items are runs of repeated cross-validation, else None (each alone)."""
    if unit != "speaker":
        if not item2utt:
            return None
        index = {u: j for j, u in enumerate(sorted(set(item2utt.values())))}
        return [index[item2utt[u]] for u in utts]
    if any(u not in utt2spk for u in utts):
        raise InputError(f"--bootstrap-unit speaker needs {source}")
    index = {s: j for j, s in enumerate(sorted(set(utt2spk.values())))}
    return [index[utt2spk[u]] for u in utts]


def _mean_std(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def score_folds(decode_dirs: list[str | os.PathLike], out: str | os.PathLike, ref: str | os.PathLike | None = None,
                names: list[str] | None = None, num_bootstrap: int = 1000, unit: str = "utterance", seed: int = 0,
                title: str = "", repeats: int = 1) -> dict:
    if unit not in UNITS:
        raise InputError(f"--bootstrap-unit '{unit}': not one of {', '.join(UNITS)}")
    if not decode_dirs:
        raise InputError("no decode dirs to score")
    if names is not None and len(names) != len(decode_dirs):
        raise InputError(f"{len(names)} --names for {len(decode_dirs)} decode dirs")
    if repeats < 1 or len(decode_dirs) % repeats:
        raise InputError(f"--repeats {repeats}: {len(decode_dirs)} decode dirs are not {repeats} runs of "
                         "equally many folds")
    per_run = len(decode_dirs) // repeats
    out = Path(out)
    folds, pooled_ref, pooled_hyp, utt2spk, owner, item2utt = [], {}, {}, {}, {}, {}
    tested = [set() for _ in range(repeats)]  # each run's test utterances
    classes = None
    for i, dec in enumerate(decode_dirs):
        dec, run = Path(dec), i // per_run + 1
        fold_ref, hyp, spk, fold_classes = _read_fold(dec, Path(ref) if ref else None)
        tested[run - 1].update(fold_ref)
        if repeats > 1:  # the items of run r: r<r>-<utterance>
            item2utt.update({f"r{run}-{u}": u for u in fold_ref})
            fold_ref = {f"r{run}-{u}": v for u, v in fold_ref.items()}
            hyp = {f"r{run}-{u}": v for u, v in hyp.items()}
            spk = {f"r{run}-{u}": v for u, v in spk.items()}
        if fold_classes is not None:
            if classes is not None and fold_classes != classes:
                raise InputError(f"{dec}/classes.txt {fold_classes} differs from {owner['classes']}/classes.txt "
                                 f"{classes}: the folds' models must have the same classes")
            classes, owner["classes"] = fold_classes, dec
        for u in fold_ref:
            if u in pooled_ref:
                raise InputError(f"utterance '{item2utt.get(u, u)}' is tested in both {owner[u]} and {dec}: "
                                 + ("folds must not share test utterances" if repeats == 1 else
                                    f"the folds of run {run} (decode dirs {(run - 1) * per_run + 1}-"
                                    f"{run * per_run}) must not share test utterances"))
            owner[u] = dec
        pooled_ref.update(fold_ref)
        pooled_hyp.update({u: hyp[u] for u in fold_ref if u in hyp})
        utt2spk.update({u: spk[u] for u in fold_ref if u in spk})
        scores = classification_scores(fold_ref, hyp, classes)
        name = names[i] if names else _fold_name(dec)
        folds.append({"name": name if repeats == 1 or names else f"r{run}-{name}", "decode_dir": str(dec),
                      "utterances": scores["num_utterances"],
                      "speakers": len({spk[u] for u in fold_ref if u in spk}),
                      **{m: scores[m] for m in METRICS}, **({"run": run} if repeats > 1 else {})})
    for r in range(2, repeats + 1):  # the runs of one cross-validation: each tests the same utterances
        if tested[r - 1] != tested[0]:
            only = sorted(tested[r - 1] ^ tested[0])
            raise InputError(f"--repeats {repeats}: run {r} (decode dirs {(r - 1) * per_run + 1}-{r * per_run}) "
                             f"does not test the utterances of run 1: {len(only)} differ, e.g. '{only[0]}'")
    pooled = classification_scores(pooled_ref, pooled_hyp, classes)
    names_ = pooled["classes"]
    index = {c: j for j, c in enumerate(names_)}
    utts = sorted(pooled_ref)
    ref_idx = np.array([index[pooled_ref[u]] for u in utts])
    hyp_idx = np.array([index.get(pooled_hyp.get(u), len(names_)) for u in utts])
    groups = _resample_groups(unit, utts, utt2spk, "utt2spk in the reference data dirs", item2utt)
    ci = bootstrap_ci(ref_idx, hyp_idx, len(names_), num=num_bootstrap, seed=seed, groups=groups)
    results = {
        "title": title,
        "folds": folds,
        "mean": {m: _mean_std([f[m] for f in folds])[0] for m in METRICS},
        "std": {m: _mean_std([f[m] for f in folds])[1] for m in METRICS},
        **({"repeats": repeats,
            "run_mean": {m: [_mean_std([f[m] for f in folds if f["run"] == r])[0] for r in range(1, repeats + 1)]
                         for m in METRICS}} if repeats > 1 else {}),
        "pooled": {**{m: pooled[m] for m in METRICS}, "utterances": pooled["num_utterances"],
                   "ci95": {m: list(v) for m, v in ci.items()},
                   "per_class_recall": {c: pooled["per_class"][c]["recall"] for c in names_},
                   "support": {c: pooled["per_class"][c]["support"] for c in names_}},
        "classes": names_,
        "bootstrap": {"resamples": num_bootstrap, "unit": unit, "seed": seed, "interval": "percentile 95%"},
        "std_over_folds": "sample standard deviation (n-1) over the folds' scores",
        "definitions": DEFINITIONS,
    }
    pooled_dir = out / "pooled"
    write_scores(pooled, pooled_dir)
    atomic_write_text(pooled_dir / "hyp.emo", "".join(f"{u} {pooled_hyp[u]}\n" for u in utts if u in pooled_hyp))
    atomic_write_text(pooled_dir / "ref.emo", "".join(f"{u} {pooled_ref[u]}\n" for u in utts))
    # a file this scoring does not write is removed: compare_systems must not read one of an older scoring
    for name, table in (("utt2spk", utt2spk), ("item2utt", item2utt)):
        if table:
            atomic_write_text(pooled_dir / name, "".join(f"{u} {table[u]}\n" for u in utts if u in table))
        elif (pooled_dir / name).exists():
            (pooled_dir / name).unlink()
    atomic_write_text(out / "results.json", json.dumps(results, indent=2) + "\n")
    atomic_write_text(out / "RESULTS.md", format_results(results))
    return results


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def format_results(r: dict) -> str:
    lines = [f"# {r['title'] or 'Cross-validation results'}", ""]
    spk = sum(f["speakers"] for f in r["folds"])
    repeats = r.get("repeats", 1)
    if repeats > 1:
        head = (f"{repeats} runs of {len(r['folds']) // repeats} folds (repeated cross-validation), "
                f"{r['pooled']['utterances']} (run, test utterance) items; mean UA per run: "
                + ", ".join(_pct(x) for x in r["run_mean"]["UA"]))
    else:
        head = f"{len(r['folds'])} folds, {r['pooled']['utterances']} test utterances" + (
            f" of {spk} test speakers" if spk else "")
    lines.append(f"{head}; classes: {', '.join(r['classes'])} (chance UA {_pct(1 / len(r['classes']))}).")
    lines += ["", "| fold | utterances | UA % | WA % | macro-F1 % | weighted F1 % |", "|---|---:|---:|---:|---:|---:|"]
    for f in r["folds"]:
        lines.append(f"| {f['name']} | {f['utterances']} | " + " | ".join(_pct(f[m]) for m in METRICS) + " |")
    lines.append("| **mean ± std over folds** | | " + " | ".join(
        f"**{_pct(r['mean'][m])} ± {_pct(r['std'][m])}**" for m in METRICS) + " |")
    p = r["pooled"]
    lines.append(f"| pooled [95% CI] | {p['utterances']} | " + " | ".join(
        f"{_pct(p[m])} [{_pct(p['ci95'][m][0])}, {_pct(p['ci95'][m][1])}]" for m in METRICS) + " |")
    b = r["bootstrap"]
    lines += ["", f"Intervals: {b['resamples']} bootstrap resamples of the pooled test {b['unit']}s "
              + ("with all their runs " if repeats > 1 else "")
              + f"(percentile, seed {b['seed']}); std: {r['std_over_folds']}.", "",
              "Per-class recall, pooled: " + ", ".join(
                  f"{c} {_pct(p['per_class_recall'][c])} ({p['support'][c]})" for c in r["classes"]) + ".",
              "Pooled confusion matrix: pooled/scores.txt, pooled/confusion.png.", "", r["definitions"], ""]
    return "\n".join(lines)


def _system(path: Path) -> tuple[dict[str, str], dict[str, str] | None, dict[str, str], dict[str, str]]:
    """(hypotheses, references if the dir has them, utt2spk, item2utt of repeated runs or {}) of a
    score-folds dir or a decode dir."""
    path = Path(path)
    if (path / "pooled" / "hyp.emo").is_file():
        pooled = path / "pooled"
        spk = _read_labels(pooled / "utt2spk") if (pooled / "utt2spk").is_file() else {}
        items = _read_labels(pooled / "item2utt") if (pooled / "item2utt").is_file() else {}
        return _read_labels(pooled / "hyp.emo"), _read_labels(pooled / "ref.emo"), spk, items
    if (path / "hyp.emo").is_file():
        return _read_labels(path / "hyp.emo"), None, {}, {}
    raise InputError(f"{path}: neither a score-folds dir (pooled/hyp.emo) nor a decode dir (hyp.emo)")


def _over_items(labels: dict[str, str] | None, item2utt: dict[str, str]) -> dict[str, str] | None:
    """A one-run system's labels on every item of a repeated one: the same hypothesis in each run."""
    if labels is None:
        return None
    return {item: labels[u] for item, u in item2utt.items() if u in labels}


def _one_run_over_items(name, other, hyp, ref, spk, item2utt):
    """(hyp, ref, spk) of the one-run system NAME over the items of the repeated system OTHER; it must
    be scored on the utterances OTHER's runs test."""
    own = set(ref if ref is not None else hyp)
    only = sorted(own ^ set(item2utt.values()))
    if only:
        raise InputError(f"the systems are not scored on the same utterances: {len(only)} differ, e.g. '{only[0]}' "
                         f"only in {name if only[0] in own else other}")
    return tuple(_over_items(x, item2utt) for x in (hyp, ref, spk))


def _fold_ua(path: Path) -> dict[str, float] | None:
    """Each fold's UA in a score-folds dir (averaged over the runs of a repeated one), by fold name."""
    try:
        folds = json.loads((path / "results.json").read_text(encoding="utf-8"))["folds"]
    except (OSError, json.JSONDecodeError, KeyError):
        return None
    ua: dict[str, list[float]] = {}
    for f in folds:
        name = f["name"].removeprefix(f"r{f['run']}-") if "run" in f else f["name"]
        ua.setdefault(name, []).append(f["UA"])
    return {name: float(np.mean(v)) for name, v in ua.items()}


def _t_over_folds(a: Path, b: Path) -> dict | None:
    """Paired t of A's minus B's UA over the folds both score-folds dirs hold (None if they differ)."""
    ua_a, ua_b = _fold_ua(a), _fold_ua(b)
    if not ua_a or not ua_b or set(ua_a) != set(ua_b):
        return None
    return paired_t([ua_a[f] - ua_b[f] for f in sorted(ua_a)])


def _t_over_runs(utts: list[str], r: np.ndarray, ha: np.ndarray, hb: np.ndarray, k: int) -> dict | None:
    """Paired t of A's minus B's pooled UA over the runs of repeated items r<run>-<utterance>."""
    runs = np.array([int(re.match(r"r(\d+)-", u).group(1)) for u in utts])
    diffs = []
    for j in np.unique(runs):
        run = runs == j
        diffs.append(scores_from_indices(r[run], ha[run], k)["UA"] - scores_from_indices(r[run], hb[run], k)["UA"])
    return paired_t(diffs)


def compare_systems(a: str | os.PathLike, b: str | os.PathLike, ref: str | os.PathLike | None = None,
                    num_bootstrap: int = 1000, unit: str = "utterance", seed: int = 0) -> dict:
    if unit not in UNITS:
        raise InputError(f"--bootstrap-unit '{unit}': not one of {', '.join(UNITS)}")
    hyp_a, ref_a, spk_a, items_a = _system(Path(a))
    hyp_b, ref_b, spk_b, items_b = _system(Path(b))
    if items_a and items_b and items_a != items_b:
        raise InputError(f"{a} and {b} are repeated cross-validations of different runs: "
                         f"{len(set(items_a) ^ set(items_b))} (run, utterance) items differ")
    item2utt = items_a or items_b
    if item2utt and not items_a:  # A, one run, is the same in every run of B
        hyp_a, ref_a, spk_a = _one_run_over_items(a, b, hyp_a, ref_a, spk_a, item2utt)
    elif item2utt and not items_b:
        hyp_b, ref_b, spk_b = _one_run_over_items(b, a, hyp_b, ref_b, spk_b, item2utt)
    if ref is not None:
        ref_dir = DataDir(ref)
        labels = {u: v.split()[0] for u, v in ref_dir.raw("utt2emo").items()}
        utt2spk = ref_dir.raw("utt2spk") if ref_dir.has("utt2spk") else {}
        if item2utt:
            labels, utt2spk = _over_items(labels, item2utt), _over_items(utt2spk, item2utt)
    elif ref_a is not None:
        labels, utt2spk = ref_a, spk_a or spk_b
    else:
        raise InputError(f"{a}: a decode dir holds no references; give --ref DATADIR")
    if ref_b is not None and ref is None:
        differ = [u for u in ref_b if u in labels and labels[u] != ref_b[u]]
        if differ:
            raise InputError(f"{a} and {b} have different references for '{differ[0]}'")
    if ref is None:  # score-folds dirs: their test utterances, an undecoded one counted wrong as there
        utts_a = utts_b = set(labels)
        if ref_b is not None and set(ref_b) != set(labels):
            only = sorted(set(ref_b) ^ set(labels))
            raise InputError(f"the systems are not scored on the same utterances: {len(only)} differ, e.g. "
                             f"'{only[0]}' only in {a if only[0] in labels else b}")
    else:
        utts_a, utts_b = {u for u in hyp_a if u in labels}, {u for u in hyp_b if u in labels}
    if utts_a != utts_b:
        only = sorted(utts_a ^ utts_b)
        where = a if only[0] in utts_a else b
        raise InputError(f"the systems are not scored on the same utterances: {len(only)} differ, e.g. '{only[0]}' "
                         f"only in {where}")
    utts = sorted(utts_a)
    if not utts:
        raise InputError(f"{a}, {b}: no utterances with a reference label")
    classes = sorted({labels[u] for u in utts})
    index = {c: j for j, c in enumerate(classes)}
    k = len(classes)
    r = np.array([index[labels[u]] for u in utts])
    ha = np.array([index.get(hyp_a.get(u), k) for u in utts])  # no hypothesis: wrong
    hb = np.array([index.get(hyp_b.get(u), k) for u in utts])
    groups = _resample_groups(unit, utts, utt2spk, "utt2spk (a score-folds dir or --ref DATADIR)", item2utt)
    return {"a": str(a), "b": str(b), "utterances": len(utts), "classes": classes,
            "runs": len(item2utt) // len(set(item2utt.values())) if item2utt else 1,
            "bootstrap": {"resamples": num_bootstrap, "unit": unit, "seed": seed},
            "paired_bootstrap": paired_bootstrap(r, ha, hb, k, num=num_bootstrap, seed=seed, groups=groups),
            # McNemar counts pairs as independent; the D items of one utterance are not
            "mcnemar": mcnemar(r, ha, hb) if not item2utt else None,
            "paired_t_UA": {"fold": _t_over_folds(Path(a), Path(b)),
                            "run": _t_over_runs(utts, r, ha, hb, k) if item2utt else None}}


def format_comparison(c: dict) -> str:
    items = "(run, utterance) items" if c.get("runs", 1) > 1 else "utterances"
    lines = [f"A = {c['a']}", f"B = {c['b']}", f"{c['utterances']} {items}, classes {', '.join(c['classes'])}",
             "", "| metric | A % | B % | A - B (95% CI) | p (paired bootstrap) |", "|---|---:|---:|---:|---:|"]
    for m, s in c["paired_bootstrap"].items():
        lines.append(f"| {m} | {_pct(s['a'])} | {_pct(s['b'])} | {100 * s['diff']:+.1f} "
                     f"[{100 * s['ci'][0]:+.1f}, {100 * s['ci'][1]:+.1f}] | {s['p']:.3f} |")
    mc = c["mcnemar"]
    lines += ["", f"McNemar (accuracy): A right and B wrong {mc['a_only']}, B right and A wrong {mc['b_only']}, "
              f"exact p = {mc['p']:.3f}" if mc else "McNemar: not for repeated runs (an utterance's runs are not "
              "independent pairs); the paired bootstrap resamples utterances with all their runs",
              f"(bootstrap: {c['bootstrap']['resamples']} resamples of {c['bootstrap']['unit']}s"
              + (f", each with its {c['runs']} runs)" if c.get("runs", 1) > 1 else ")")]
    for unit, t in c["paired_t_UA"].items():
        if t:
            lines.append(f"Paired t over the {t['n']} {unit}s, UA A - B: {100 * t['mean']:+.1f} "
                         f"[{100 * t['ci'][0]:+.1f}, {100 * t['ci'][1]:+.1f}], p = {t['p']:.3f}")
    return "\n".join(lines)
