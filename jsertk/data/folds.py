"""Speaker-independent folds: fold assignments (spk2fold, utt2fold) and their train/dev/test data dirs.

A fold assignment is data beside a data dir: `spk2fold` (`<speaker> <k>`: the fold whose test set
holds the speaker) or, for a corpus with an official split, `utt2fold` (`<utt> train|dev|test`).
`write_folds(DIR, OUT)` (`jsertk data folds DIR --out DIR/folds`) writes `OUT/fold<k>/{train,dev,test}`
for every fold k and `OUT/folds.json` (the counts of each part), checking that no speaker is in two
parts of a fold. The dev set of a fold comes from its training speakers, never from its test
speakers: `next-fold` takes the speakers of the next fold (k+1, the last fold wrapping to the
first), `speakers:N` takes N of the training speakers (deterministic; alternating genders when
spk2gender is there).
"""
from __future__ import annotations

import json
import os
import random as _random
from dataclasses import dataclass
from pathlib import Path

from jsertk.data.datadir import DataDir, write_filtered
from jsertk.data.schema import SPLIT_NAMES as SPLITS
from jsertk.data.table import sort_key
from jsertk.utils.atomic import atomic_dir
from jsertk.utils.errors import InputError

FOLDS_JSON = "folds.json"
SCHEMES = ("file", "auto", "loso", "groups:N")  # where the folds come from
AUTO_LOSO_MAX_SPEAKERS = 12  # auto: leave one speaker out up to this many speakers, else AUTO_GROUPS groups
AUTO_GROUPS = 5
DEV_SCHEMES = ("next-fold", "speakers:N")


def speaker_groups(utt2spk: dict[str, str], k: int) -> dict[str, int]:
    """Speaker -> group 1..k: speakers by decreasing utterance count, each into the group with the
    fewest utterances so far (ties: the lower group); deterministic."""
    counts: dict[str, int] = {}
    for spk in utt2spk.values():
        counts[spk] = counts.get(spk, 0) + 1
    if len(counts) < k:
        raise InputError(f"{len(counts)} speakers cannot make {k} speaker-disjoint folds")
    sizes = [0] * k
    out = {}
    for spk in sorted(counts, key=lambda s: (-counts[s], sort_key(s))):
        g = min(range(k), key=lambda i: (sizes[i], i))
        out[spk] = g + 1
        sizes[g] += counts[spk]
    return out


def leave_one_speaker_out(utt2spk: dict[str, str]) -> dict[str, int]:
    """Speaker -> fold 1..S in sorted speaker order: each speaker is the test set of one fold."""
    return {s: k for k, s in enumerate(sorted(set(utt2spk.values()), key=sort_key), 1)}


@dataclass(frozen=True)
class Fold:
    name: str  # fold<k>
    parts: dict[str, list[str]]  # train/dev/test -> utterances


def _parse_count(option: str, value: str, what: str) -> int:
    prefix, _, n = value.partition(":")
    if not n.isdigit() or int(n) < 1:
        raise InputError(f"--{option} '{value}': {prefix}:N needs a positive number of {what}")
    return int(n)


def speaker_folds(src: DataDir, scheme: str = "file") -> dict[str, int]:
    """Speaker -> fold: the dir's spk2fold (scheme `file`), or made here (`loso`, `groups:N`; `auto`:
    spk2fold if there is one, else leave one speaker out for up to 12 speakers, else 5 groups)."""
    utt2spk = src.utt2spk()
    if scheme == "auto":
        if src.has("spk2fold"):
            scheme = "file"
        else:
            n = len(set(utt2spk.values()))
            scheme = "loso" if n <= AUTO_LOSO_MAX_SPEAKERS else f"groups:{AUTO_GROUPS}"
    if scheme == "loso":
        return leave_one_speaker_out(utt2spk)
    if scheme.startswith("groups:"):
        return speaker_groups(utt2spk, _parse_count("scheme", scheme, "folds"))
    if scheme != "file":
        raise InputError(f"--scheme '{scheme}': not one of {', '.join(SCHEMES)}")
    if not src.has("spk2fold"):
        raise InputError(f"{src.path}: no spk2fold or utt2fold; give one (see docs/corpora.md) or choose "
                         "--scheme loso (leave one speaker out) or --scheme groups:N (N speaker groups)")
    spk2fold = src.load("spk2fold")
    missing = sorted(set(utt2spk.values()) - set(spk2fold), key=sort_key)
    if missing:
        raise InputError(f"{src.file('spk2fold')}: no fold for speaker '{missing[0]}'"
                         + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    return spk2fold


def _dev_speakers(scheme: str, k: int, folds: list[int], spk2fold: dict[str, int], train: list[str],
                  spk2gender: dict[str, str], seed: int) -> list[str]:
    if scheme == "next-fold":
        nxt = folds[(folds.index(k) + 1) % len(folds)]
        return [s for s in train if spk2fold[s] == nxt]
    if not scheme.startswith("speakers:"):
        raise InputError(f"--dev '{scheme}': not one of {', '.join(DEV_SCHEMES)}")
    n = _parse_count("dev", scheme, "speakers")
    if n >= len(train):
        raise InputError(f"--dev {scheme}: fold{k} has only {len(train)} training speakers")
    pool = list(train)
    _random.Random(f"{seed}-{k}").shuffle(pool)
    by_gender: dict[str, list[str]] = {}
    for s in pool:
        by_gender.setdefault(spk2gender.get(s, "?"), []).append(s)
    queues = [by_gender[g] for g in sorted(by_gender)]
    chosen: list[str] = []
    while len(chosen) < n:  # alternate between the genders
        for q in queues:
            if q and len(chosen) < n:
                chosen.append(q.pop(0))
    return chosen


def plan_folds(src: DataDir, scheme: str = "file", dev: str = "next-fold", seed: int = 0,
               allow_shared_speakers: bool = False) -> list[Fold]:
    """The folds of `src`, each checked speaker-disjoint (an official utt2fold split may share
    speakers only with `allow_shared_speakers`)."""
    utt2spk = src.utt2spk()
    spk2utt = src.spk2utt()
    spk2gender = src.load_optional("spk2gender")
    if scheme in ("file", "auto") and src.has("utt2fold"):
        folds = [_official_fold(src, dev, seed, spk2gender)]
    else:
        spk2fold = speaker_folds(src, scheme)
        numbers = sorted(set(spk2fold[s] for s in spk2utt))
        if len(numbers) < 2:
            raise InputError(f"{src.path}: all speakers are in fold {numbers[0]}; folds need at least two")
        if dev == "next-fold" and len(numbers) < 3:
            raise InputError(f"{src.path}: {len(numbers)} folds leave no training speakers with --dev next-fold; "
                             "use --dev speakers:N")
        folds = []
        speakers = sorted(spk2utt, key=sort_key)
        for k in numbers:
            test = [s for s in speakers if spk2fold[s] == k]
            train = [s for s in speakers if spk2fold[s] != k]
            dev_spk = set(_dev_speakers(dev, k, numbers, spk2fold, train, spk2gender, seed))
            parts = {"train": [s for s in train if s not in dev_spk], "dev": sorted(dev_spk, key=sort_key),
                     "test": test}
            folds.append(Fold(f"fold{k}", {p: [u for s in spks for u in spk2utt[s]] for p, spks in parts.items()}))
    for fold in folds:
        _check_fold(src, fold, utt2spk, allow_shared_speakers)
    return folds


def _official_fold(src: DataDir, dev: str, seed: int, spk2gender: dict[str, str]) -> Fold:
    """One fold from utt2fold's train/dev/test labels; no dev label: dev speakers from train (--dev speakers:N)."""
    path = src.file("utt2fold")
    utt2fold = src.raw("utt2fold")
    utts = src.utterances()
    parts: dict[str, list[str]] = {p: [] for p in SPLITS}
    for utt in utts:
        label = utt2fold.get(utt)
        if label is None:
            raise InputError(f"{path}: no split for utterance '{utt}'")
        if label not in parts:
            raise InputError(f"{path}: utterance '{utt}': split '{label}' is not one of {', '.join(SPLITS)}")
        parts[label].append(utt)
    if not parts["dev"]:
        if not dev.startswith("speakers:"):
            raise InputError(f"{path}: no dev utterances; choose dev speakers from train with --dev speakers:N")
        utt2spk = src.utt2spk()
        train_spk = sorted({utt2spk[u] for u in parts["train"]}, key=sort_key)
        dev_spk = set(_dev_speakers(dev, 1, [1], {}, train_spk, spk2gender, seed))
        parts["dev"] = [u for u in parts["train"] if utt2spk[u] in dev_spk]
        parts["train"] = [u for u in parts["train"] if utt2spk[u] not in dev_spk]
    return Fold("fold1", parts)


def _check_fold(src: DataDir, fold: Fold, utt2spk: dict[str, str], allow_shared: bool) -> None:
    for part in SPLITS:
        if not fold.parts[part]:
            raise InputError(f"{src.path}: {fold.name} has no {part} utterances")
    speakers = {p: {utt2spk[u] for u in us} for p, us in fold.parts.items()}
    for a, b in (("train", "test"), ("dev", "test"), ("train", "dev")):
        shared = sorted(speakers[a] & speakers[b], key=sort_key)
        if shared and not allow_shared:
            raise InputError(f"{src.path}: {fold.name}: speaker '{shared[0]}' is in both {a} and {b}"
                             + (f" ({len(shared)} speakers in all)" if len(shared) > 1 else "")
                             + "; folds must be speaker-independent (--allow-shared-speakers for an official "
                               "split that is not)")


def _stamp(src: DataDir, scheme: str, dev: str, seed: int, allow_shared: bool) -> dict:
    files = {n: [src.file(n).stat().st_size, src.file(n).stat().st_mtime_ns] for n in src.present_files()}
    return {"source": str(src.path.resolve()), "scheme": scheme, "dev": dev, "seed": seed,
            "allow_shared_speakers": allow_shared, "files": files}


def write_folds(src: str | os.PathLike, out: str | os.PathLike, scheme: str = "file", dev: str = "next-fold",
                seed: int = 0, allow_shared_speakers: bool = False) -> dict:
    """Write OUT/fold<k>/{train,dev,test} and OUT/folds.json (all of it or nothing); the summary.
    Reused as it is when made from the same files with the same options."""
    src_dir, out = DataDir(src), Path(out)
    stamp = _stamp(src_dir, scheme, dev, seed, allow_shared_speakers)
    done = out / FOLDS_JSON
    try:
        previous = json.loads(done.read_text(encoding="utf-8")) if done.is_file() else {}
    except json.JSONDecodeError:
        previous = {}  # a damaged summary: the folds are made again
    if previous.get("stamp") == stamp:
        return previous
    folds = plan_folds(src_dir, scheme, dev, seed, allow_shared_speakers)
    utt2spk = src_dir.utt2spk()
    utt2emo = src_dir.raw("utt2emo") if src_dir.has("utt2emo") else {}
    summary = {"stamp": stamp, "folds": {}}
    tables = {name: src_dir.raw(name) for name in src_dir.present_files()}  # read once, cut 3 x folds times
    with atomic_dir(out) as tmp:
        for fold in folds:
            counts = {}
            for part, utts in fold.parts.items():
                write_filtered(src_dir, utts, tmp / fold.name / part, tables)
                classes: dict[str, int] = {}
                for u in utts:
                    if u in utt2emo:
                        classes[utt2emo[u]] = classes.get(utt2emo[u], 0) + 1
                counts[part] = {"utterances": len(utts), "speakers": len({utt2spk[u] for u in utts}),
                                "classes": dict(sorted(classes.items()))}
            shared = {utt2spk[u] for u in fold.parts["test"]} & {utt2spk[u] for u in fold.parts["train"]}
            counts["test_speakers_in_train"] = len(shared)
            summary["folds"][fold.name] = counts
        (tmp / FOLDS_JSON).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def fold_names(out: str | os.PathLike) -> list[str]:
    """The folds written under OUT, in order (fold1, fold2, ..., fold10)."""
    path = Path(out) / FOLDS_JSON
    if not path.is_file():
        raise InputError(f"{path}: not found; write the folds with `jsertk data folds`")
    return sorted(json.loads(path.read_text(encoding="utf-8"))["folds"], key=lambda name: int(name[len("fold"):]))
