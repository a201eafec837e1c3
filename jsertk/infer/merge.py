"""Parallel decoding of one feature dir: split it into parts that decode exactly as the whole dir
decodes in one job, and merge the decode dirs of the parts into one.

Decoding is batched (length-bucketed batches under a frame budget), and an utterance's outputs
depend on the batch it is padded into: ESPnet's Conformer convolution module does not mask the
padding. An ordinary split (`jsertk data split`) regroups the batches and so changes the numbers.
`split_for_decoding` instead cuts the one-job batch schedule (`BucketBatchSampler`, unshuffled) at
batch boundaries, so that every job forms exactly the batches the one job would have formed, and
the merged outputs are byte-identical to one job's.

`merge_decode_dirs(OUT, PARTS)` joins the decode dirs of `jsertk decode` (jser) or
`jsertk decode-asr` (asr) jobs: hyp.text, hyp.emo, hyp_acoustic.emo, hyp_lexical.emo, hyp.dim,
hyp.score and emo_post.scp are the parts' lines sorted by utterance (C order; emo_post.scp keeps
pointing into each part's emo_post.ark), classes.txt is copied, and decode.json sums utterances,
too_short, audio_seconds and decode_seconds and recomputes rtf. Everything is checked before
anything is written (every part there with every file, one model and checkpoint, no utterance in
two parts, every utterance of the feature dir decoded); each file is written atomically,
decode.json last. `score_merged` then scores OUT as `jsertk decode --ref` would.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from jsertk.utils.atomic import atomic_dir, atomic_open, atomic_write_text
from jsertk.utils.errors import InputError

DECODE_JSON = "decode.json"
CLASSES = "classes.txt"
# Per kind of decode dir: the tables every part must have, and those a model may or may not write
# (single-view heads, dimensions, transcripts (none from an acoustic-only model); a part whose
# utterances were all too short writes none of them).
TABLES = {
    "jser": (("hyp.emo", "emo_post.scp"), ("hyp.text", "hyp_acoustic.emo", "hyp_lexical.emo", "hyp.dim")),
    "asr": (("hyp.text", "hyp.score"), ()),
}
SUMMED = ("utterances", "too_short", "audio_seconds", "decode_seconds")
PER_PART = SUMMED + ("data", "rtf", "threads")  # decode.json keys that may differ between the parts


class MergeError(InputError):
    """Parts that do not make one decode: a missing part or file, a different model, a repeated utterance."""


# ---------------------------------------------------------------------------------------------
# Split

def plan_parts(data: str | os.PathLike, nj: int, max_frames_per_batch: int = 20000) -> list[list[str]]:
    """The utterances of each of at most `nj` parts of the feature dir `data`: runs of consecutive
    batches of the one-job schedule, each run about 1/nj of the padded frames (fewer parts when
    there are fewer batches)."""
    from jsertk.dataset.feats import FeatsDataset
    from jsertk.dataset.sampler import BucketBatchSampler

    if nj < 1:
        raise InputError(f"the number of decoding jobs must be >= 1, got {nj}")
    ds = FeatsDataset([data], {}, label_root=None, min_frames=1, max_frames=0)  # as the decoders read it
    batches = BucketBatchSampler(ds.lengths, max_frames_per_batch, shuffle=False).all_batches(0)
    costs = [len(b) * max(ds.lengths[i] for i in b) for b in batches]
    n = min(nj, len(batches))
    total, done = sum(costs), 0
    parts: list[list[int]] = [[]]
    for k, (batch, cost) in enumerate(zip(batches, costs)):
        left_batches, left_parts = len(batches) - k, n - len(parts)
        if parts[-1] and left_parts > 0 and (done + cost / 2 > total * len(parts) / n
                                             or left_batches <= left_parts):
            parts.append([])
        parts[-1].extend(batch)
        done += cost
    return [[ds.utts[i] for i in part] for part in parts]


SPEAKER_STATS_FROM = "speaker_stats_from"  # in a part: the dir whose speakers' statistics it uses


def split_for_decoding(data: str | os.PathLike, out: str | os.PathLike, nj: int,
                       max_frames_per_batch: int = 20000) -> list[Path]:
    """Write the parts of `plan_parts` as feature dirs OUT/1 .. OUT/n (feats.scp, utt2num_frames and
    utt2spk, lines as in DATA; `speaker_stats_from` naming DATA) and return them; OUT is replaced as a
    whole, so no output of an earlier split survives. With one part nothing is written (OUT is
    removed) and [DATA] is returned."""
    import shutil

    from jsertk.data.table import read_entries

    data, out = Path(data), Path(out)
    for name in ("feats.scp", "utt2num_frames"):
        if not (data / name).is_file():
            raise InputError(f"{data / name}: not found; decoding in parts needs a feature dir with feats.scp and "
                             "utt2num_frames")
    parts = plan_parts(data, nj, max_frames_per_batch)
    if len(parts) == 1:
        shutil.rmtree(out, ignore_errors=True)
        return [data]
    optional = ("utt2spk", "lexical.scp", "lexical_text", "lexical_text_conf")  # speakers; Whisper's states, 1-best
    names = ("feats.scp", "utt2num_frames") + tuple(n for n in optional if (data / n).is_file())
    tables = {name: read_entries(data / name) for name in names}
    with atomic_dir(out) as tmp:
        for k, utts in enumerate(parts, 1):
            keep = set(utts)
            for name, entries in tables.items():
                with atomic_open(tmp / str(k) / name) as f:
                    f.writelines(f"{e.key} {e.value}\n" for e in entries if e.key in keep)
            # speaker normalisation takes each speaker's statistics over the whole dir, not the part
            atomic_write_text(tmp / str(k) / SPEAKER_STATS_FROM, f"{data.resolve()}\n")
            if (data / "lexical.yaml").is_file():
                shutil.copyfile(data / "lexical.yaml", tmp / str(k) / "lexical.yaml")
        atomic_write_text(tmp / "split.json", json.dumps(
            {"data": str(data), "nj": nj, "max_frames_per_batch": max_frames_per_batch,
             "utterances": [len(p) for p in parts]}, indent=2) + "\n")
    return [out / str(k) for k in range(1, len(parts) + 1)]


# ---------------------------------------------------------------------------------------------
# Merge

def _read_lines(path: Path) -> list[tuple[str, str]]:
    """(utterance, line) of each line of a decode table, the line kept verbatim (with its newline)."""
    rows = []
    with open(path, encoding="utf-8", newline="\n") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split(None, 1)
            if not fields:
                raise MergeError(f"{path}:{lineno}: empty line")
            rows.append((fields[0], line if line.endswith("\n") else line + "\n"))
    return rows


def _kind(part: Path) -> str:
    if (part / CLASSES).is_file() or (part / "emo_post.scp").is_file():
        return "jser"
    if (part / "hyp.score").is_file():
        return "asr"
    raise MergeError(f"{part}: not a decode dir of `jsertk decode` (classes.txt, emo_post.scp) or "
                     "`jsertk decode-asr` (hyp.score)")


def _same(key: str, a, b) -> bool:
    if key == "model_dir" and isinstance(a, str) and isinstance(b, str):
        return os.path.realpath(a) == os.path.realpath(b)
    return a == b


def _check_settings(parts: list[Path], infos: list[dict]) -> None:
    first, ref = parts[0], infos[0]
    for part, info in zip(parts[1:], infos[1:]):
        for key in sorted(set(ref) | set(info)):
            if key in PER_PART:
                continue
            if key not in info or key not in ref or not _same(key, ref[key], info[key]):
                raise MergeError(f"{part / DECODE_JSON}: {key} is {info.get(key, '(missing)')!r}, but "
                                 f"{first / DECODE_JSON} has {ref.get(key, '(missing)')!r}: the parts are not "
                                 "one decode (same model, checkpoint and options)")


def _check_arks(part: Path, rows: list[tuple[str, str]]) -> None:
    arks = {line.split(None, 1)[1].strip().rsplit(":", 1)[0] for _, line in rows}
    for ark in sorted(arks):
        if not Path(ark).is_file():
            raise MergeError(f"{part / 'emo_post.scp'} points into {ark}, which is not found")


def _expected_utterances(data: Path) -> set[str]:
    """The utterances of a feature dir the decoders read (those with at least one frame)."""
    from jsertk.data.table import read_entries

    if not (data / "feats.scp").is_file():
        raise MergeError(f"{data / 'feats.scp'}: not found")
    utts = {e.key for e in read_entries(data / "feats.scp")}
    if (data / "utt2num_frames").is_file():
        utts -= {e.key for e in read_entries(data / "utt2num_frames") if e.value.strip() == "0"}
    return utts


def merge_decode_dirs(out: str | os.PathLike, parts: Sequence[str | os.PathLike],
                      data: str | os.PathLike | None = None) -> dict:
    """Merge the decode dirs `parts` (one per job, any order) into `out` (see the module doc);
    with `data` (the feature dir the parts were split from), also check that every utterance of it
    was decoded, and record it as decode.json's `data`. Returns the merged decode.json summary.
    Raises MergeError naming the part and file of the first problem; then nothing is written."""
    out, parts = Path(out), [Path(p) for p in parts]
    if not parts:
        raise MergeError("no decode parts to merge")
    for part in parts:
        if not part.is_dir():
            raise MergeError(f"{part}: decode part not found")
        if part.resolve() == out.resolve():
            raise MergeError(f"{part}: a part cannot be the merged decode dir itself")
    if len({p.resolve() for p in parts}) != len(parts):
        raise MergeError("a decode part is given twice: " + " ".join(map(str, parts)))
    kinds = [_kind(p) for p in parts]
    for part, kind in zip(parts, kinds):
        if kind != kinds[0]:
            raise MergeError(f"{part}: a {kind} decode dir, but {parts[0]} is a {kinds[0]} one")
    kind = kinds[0]
    required, optional = TABLES[kind]

    infos = []
    for part in parts:
        path = part / DECODE_JSON
        if not path.is_file():
            raise MergeError(f"{path}: not found (the job of this part did not finish)")
        try:
            infos.append(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as e:
            raise MergeError(f"{path}: not valid JSON ({e})") from None
        missing = [k for k in SUMMED if not isinstance(infos[-1].get(k), (int, float))]
        if missing:
            raise MergeError(f"{path}: no {', '.join(missing)}")
    _check_settings(parts, infos)
    classes = None
    if kind == "jser":
        texts = []
        for part in parts:
            if not (part / CLASSES).is_file():
                raise MergeError(f"{part / CLASSES}: not found")
            texts.append((part / CLASSES).read_bytes())
        for part, text in zip(parts[1:], texts[1:]):
            if text != texts[0]:
                raise MergeError(f"{part / CLASSES} differs from {parts[0] / CLASSES}: the parts are not one model")
        classes = texts[0]
    present = [name for name in optional if any((p / name).is_file() for p in parts)]
    for part, info in zip(parts, infos):
        for name in required + tuple(present):
            if not (part / name).is_file() and not (name in optional and info["utterances"] == 0):
                raise MergeError(f"{part / name}: not found (every part of this decode needs it)")

    merged: dict[str, list[tuple[str, str]]] = {name: [] for name in required + tuple(present)}
    owner: dict[str, Path] = {}
    for part, info in zip(parts, infos):
        keys = None
        for name in merged:
            if not (part / name).is_file():
                continue  # an optional table of a part without utterances
            rows = _read_lines(part / name)
            these = [u for u, _ in rows]
            if len(set(these)) != len(these):
                dup = next(u for i, u in enumerate(these) if u in these[:i])
                raise MergeError(f"{part / name}: utterance '{dup}' appears twice")
            if keys is None:
                keys = set(these)
                for u in these:
                    if u in owner:
                        raise MergeError(f"utterance '{u}' is in two parts: {owner[u] / name} and {part / name}")
                    owner[u] = part
            elif set(these) != keys:
                other = next(iter(set(these) ^ keys))
                raise MergeError(f"{part / name}: its utterances differ from those of {part / required[0]} "
                                 f"(e.g. '{other}')")
            if name == "emo_post.scp":
                _check_arks(part, rows)
            merged[name].extend(rows)
    if data is not None:
        expected = _expected_utterances(Path(data))
        decoded = set(owner)
        extra = sorted(decoded - expected)
        if extra:
            raise MergeError(f"utterance '{extra[0]}' of {owner[extra[0]]} is not in {Path(data) / 'feats.scp'}")
        lost = len(expected) - len(decoded) - (sum(i["too_short"] for i in infos) if kind == "jser" else 0)
        if lost:
            example = sorted(expected - decoded)[0] if expected - decoded else None
            raise MergeError(f"{lost} utterances of {Path(data) / 'feats.scp'} are in no part"
                             + (f" (e.g. '{example}')" if example else ""))

    summary = dict(infos[0])
    for key in SUMMED:
        summary[key] = sum(i[key] for i in infos)
    summary["audio_seconds"] = round(summary["audio_seconds"], 2)
    summary["decode_seconds"] = round(summary["decode_seconds"], 2)
    summary["rtf"] = round(summary["decode_seconds"] / summary["audio_seconds"], 4) if summary["audio_seconds"] \
        else float("nan")
    summary["data"] = str(data) if data is not None else [i.get("data") for i in infos]
    threads = {i.get("threads") for i in infos}
    summary["threads"] = infos[0].get("threads") if len(threads) == 1 else [i.get("threads") for i in infos]
    summary["parts"] = [str(p) for p in parts]

    for name, rows in merged.items():
        rows.sort(key=lambda r: r[0].encode("utf-8"))
        with atomic_open(out / name) as f:
            f.writelines(line for _, line in rows)
    if classes is not None:
        with atomic_open(out / CLASSES, "wb") as f:
            f.write(classes)
    for stale in [n for n in optional if n not in merged] + (["emo_post.ark"] if kind == "jser" else []):
        (out / stale).unlink(missing_ok=True)  # of an earlier decode into OUT; the parts hold no such file
    atomic_write_text(out / DECODE_JSON, json.dumps(summary, indent=2) + "\n")
    return summary


def decode_kind(dec: str | os.PathLike) -> str:
    """'jser' for a decode dir of `jsertk decode`, 'asr' for one of `jsertk decode-asr`."""
    return _kind(Path(dec))


def score_merged(dec: str | os.PathLike, ref: str | os.PathLike, tokenizer: str | os.PathLike | None = None,
                 name: str = "") -> dict:
    """Score a (merged) decode dir against the data dir `ref`, as one job scores it: a jser decode
    dir with `score_decode_dir` (as `jsertk decode --ref`), an asr one with `score_wer` (as
    `jsertk score-wer REF DEC --name <REF name>`). Returns what was scored."""
    from jsertk.infer.evaluate import score_decode_dir, score_wer

    dec, ref = Path(dec), Path(ref)
    if decode_kind(dec) == "jser":
        return score_decode_dir(dec, ref, Path(tokenizer) if tokenizer else None, name)
    report, _, _ = score_wer(ref, dec, dec, Path(tokenizer) if tokenizer else None, name or ref.name)
    return {"WER": report.words.rate, "CER": report.chars.rate}


def default_tokenizer(dec: str | os.PathLike) -> Path | None:
    """MODEL_DIR/tokenizer of the model named in DEC/decode.json (the first of an ensemble), if it exists."""
    try:
        model_dir = json.loads((Path(dec) / DECODE_JSON).read_text(encoding="utf-8")).get("model_dir")
    except (OSError, json.JSONDecodeError):
        return None
    if isinstance(model_dir, list):  # an ensemble: the first model transcribes
        model_dir = model_dir[0] if model_dir else None
    tok = Path(model_dir) / "tokenizer" if model_dir else None
    return tok if tok is not None and tok.is_dir() else None


__all__ = ["MergeError", "plan_parts", "split_for_decoding", "merge_decode_dirs", "score_merged", "decode_kind",
           "default_tokenizer"]
