"""The classical baseline: a linear SVM over utterance functionals (`jsertk baseline-svm`), the
system a speech practitioner would pick instead of a neural model (openSMILE + SVM).

Input: feature dirs of `jsertk compute-functionals` for a fold's train, dev and test sets. The
functionals are standardised with the training set's mean and variance; with `speaker_norm`,
each speaker's functionals are first standardised by that speaker's own statistics (for a test
speaker: its own unlabelled utterances, the transductive practice of SER papers). C is chosen on
the dev set's UA from a grid (ties: the smaller C), then the SVM is refitted on train + dev with
that C (class weights balanced) and labels the test set. Writes into OUT what a decode dir holds
for scoring (hyp.emo, classes.txt, decode.json naming the test dir) and baseline.json (the dev UA
of every C). scikit-learn is imported only here.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from jsertk.data.datadir import DataDir
from jsertk.features.io import read_scp
from jsertk.metrics.ser import classification_scores
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError

C_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # standardised functionals: larger C rarely wins and converges slowly
ALPHA_GRID = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5)  # ridge: thousands of pooled dimensions want strong penalties
CLASSIFIERS = ("svm", "ridge")


def _load(d: Path, need_labels: bool) -> tuple[list[str], np.ndarray, list[str | None], list[str]]:
    data = DataDir(d)
    if not data.has("feats.scp"):
        raise InputError(f"{d}: no feats.scp (make it with jsertk compute-functionals)")
    emo = {u: v.split()[0] for u, v in data.raw("utt2emo").items()} if data.has("utt2emo") else {}
    spk = data.utt2spk()
    utts, rows = [], []
    for utt, m in read_scp(d / "feats.scp"):
        if m.shape[0] != 1:
            raise InputError(f"{d}/feats.scp: '{utt}' has {m.shape[0]} rows: not utterance functionals")
        utts.append(utt)
        rows.append(m[0])
    if need_labels and not any(u in emo for u in utts):
        raise InputError(f"{d}: no utt2emo labels")
    return utts, np.stack(rows).astype(np.float64), [emo.get(u) for u in utts], [spk[u] for u in utts]


def _speaker_standardise(x: np.ndarray, speakers: list[str]) -> np.ndarray:
    out = np.empty_like(x)
    spk = np.asarray(speakers)
    for s in np.unique(spk):
        rows = spk == s
        mu, sd = x[rows].mean(axis=0), x[rows].std(axis=0)
        out[rows] = (x[rows] - mu) / np.where(sd > 1e-8, sd, 1.0)
    return out


def _classifier(kind: str, value: float, seed: int):
    try:
        from sklearn.linear_model import RidgeClassifier
        from sklearn.svm import LinearSVC
    except ImportError:
        raise InputError("the baselines need scikit-learn: pip install scikit-learn") from None

    if kind == "ridge":
        return RidgeClassifier(alpha=value, class_weight="balanced")
    return LinearSVC(C=value, class_weight="balanced", max_iter=20000, random_state=seed)


def svm_baseline(train: str | os.PathLike, dev: str | os.PathLike, test: str | os.PathLike,
                 out: str | os.PathLike, speaker_norm: bool = False, grid: tuple[float, ...] | None = None,
                 seed: int = 0, classifier: str = "svm") -> dict:
    """`classifier`: svm (linear SVM, C from C_GRID) or ridge (ridge classifier, alpha from
    ALPHA_GRID: the linear probe of upstream states); the value is chosen on dev UA."""
    if classifier not in CLASSIFIERS:
        raise InputError(f"--classifier '{classifier}': not one of {', '.join(CLASSIFIERS)}")
    grid = grid or (ALPHA_GRID if classifier == "ridge" else C_GRID)
    _classifier(classifier, grid[0], seed)  # scikit-learn is there (else a clear error now)
    sets = {name: _load(Path(d), name != "test") for name, d in (("train", train), ("dev", dev), ("test", test))}
    if speaker_norm:
        sets = {n: (u, _speaker_standardise(x, s), y, s) for n, (u, x, y, s) in sets.items()}
    xtr = sets["train"][1]
    mu, sd = xtr.mean(axis=0), xtr.std(axis=0)
    sd = np.where(sd > 1e-8, sd, 1.0)

    def xs(name):
        u, x, y, _ = sets[name]
        keep = [i for i, v in enumerate(y) if v is not None] if name != "test" else list(range(len(u)))
        return [u[i] for i in keep], (x[keep] - mu) / sd, [y[i] for i in keep]

    (_, x_tr, y_tr), (u_dev, x_dev, y_dev), (u_te, x_te, _) = xs("train"), xs("dev"), xs("test")
    classes = sorted(set(y_tr))
    dev_ua = {}
    for c in grid:
        pred = _classifier(classifier, c, seed).fit(x_tr, y_tr).predict(x_dev)
        dev_ua[c] = classification_scores(dict(zip(u_dev, y_dev)), dict(zip(u_dev, pred)), classes)["UA"]
    # ties: the stronger regularisation (smaller C, larger alpha)
    best_c = max(grid, key=lambda c: (round(dev_ua[c], 10), c if classifier == "ridge" else -c))
    clf = _classifier(classifier, best_c, seed).fit(np.concatenate([x_tr, x_dev]), y_tr + y_dev)
    pred = clf.predict(x_te)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = "ridge classifier" if classifier == "ridge" else "linear SVM"
    info = {"model": f"{model} (class weights balanced)", "speaker_norm": speaker_norm, "C": best_c,
            "dev_UA_by_C": {str(c): v for c, v in dev_ua.items()}, "train": str(train), "dev": str(dev),
            "refit_on": "train + dev"}
    atomic_write_text(out / "hyp.emo", "".join(f"{u} {p}\n" for u, p in sorted(zip(u_te, pred))))
    atomic_write_text(out / "classes.txt", "".join(f"{c}\n" for c in classes))
    atomic_write_text(out / "decode.json", json.dumps({"data": str(test), "utterances": len(u_te), **info},
                                                      indent=2) + "\n")
    atomic_write_text(out / "baseline.json", json.dumps(info, indent=2) + "\n")
    return info
