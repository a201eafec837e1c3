"""Any corpus from a manifest: a CSV, TSV or JSON-lines table with a row per utterance -> one data dir.

Columns (the header names are these unless `columns` maps them: `{"path": "file", ...}`):
- path (required): the audio file, relative to the manifest's folder or absolute
- speaker (required)
- emotion: the utterance's class (an empty cell: no label, unlabelled speech); through the class
  map when one is given
- utt: the utterance id (default `<speaker>_<file stem>`, with `_<start ms>` for segments); an id
  that does not start with its speaker id gets `<speaker>-` in front (Kaldi's sorting rule)
- gender (m/f/male/female, one per speaker), text, language
- arousal, valence, dominance (all three, or none) -> utt2dim
- start, end (seconds): segments of longer recordings -> segments, wav.scp by recording
- split (train/dev/test; valid and validation read as dev) -> utt2fold, or fold (a positive
  integer, one per speaker) -> spk2fold
Bad input names the manifest and the row: a missing column, an empty required cell, a value that
does not parse, an audio file that is not there (with skip_missing: left out and listed).

    jsertk prepare manifest corpus.csv --out data/mycorpus
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.corpora.common import ClassMapper, Prepared, Skips, decode_text
from jsertk.data.datadir import write_data_dir
from jsertk.utils.errors import InputError

KEYS = ("utt", "path", "emotion", "speaker", "gender", "text", "arousal", "valence", "dominance", "start", "end",
        "language", "split", "fold")
REQUIRED = ("path", "speaker")
GENDERS = {"m": "m", "male": "m", "f": "f", "female": "f"}
SPLITS = {"train": "train", "dev": "dev", "valid": "dev", "validation": "dev", "test": "test"}
FORMATS = ("auto", "csv", "tsv", "jsonl")


def _id(value: str) -> str:
    """One token: whitespace and characters Kaldi tables cannot hold become _."""
    return re.sub(r"[\s/\\]+", "_", value.strip())


def read_rows(path: Path, fmt: str = "auto") -> list[dict[str, str]]:
    """The manifest's rows as dicts of strings (JSON values converted; null -> empty)."""
    if fmt not in FORMATS:
        raise InputError(f"--format '{fmt}': not one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise InputError(f"{path}: manifest not found")
    content = decode_text(path.read_bytes())
    if fmt == "auto":
        suffix = path.suffix.lower()
        first = next((line for line in content.splitlines() if line.strip()), "")
        fmt = ("jsonl" if suffix in (".jsonl", ".json") or first.lstrip().startswith("{") else
               "tsv" if suffix == ".tsv" or (suffix != ".csv" and "\t" in first) else "csv")
    if fmt == "jsonl":
        rows = []
        for n, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{n}: not a JSON object ({e.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{n}: not a JSON object")
            rows.append({str(k): "" if v is None else str(v) for k, v in obj.items()})
        return rows
    reader = csv.DictReader(io.StringIO(content), delimiter="\t" if fmt == "tsv" else ",")
    if not reader.fieldnames:
        raise InputError(f"{path}: empty manifest (no header line)")
    return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


def prepare_manifest(manifest: str | os.PathLike, out: str | os.PathLike, columns: dict[str, str] | None = None,
                     fmt: str = "auto", class_map: str | os.PathLike | None = None, keep_unmapped: bool = False,
                     skip_missing: bool = False) -> Prepared:
    manifest, out = Path(manifest), Path(out)
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(KEYS))
    if unknown:
        raise InputError(f"--column {unknown[0]}=...: not a manifest column ({', '.join(KEYS)})")
    header = {k: columns.get(k, k) for k in KEYS}
    rows = read_rows(manifest, fmt)
    if not rows:
        raise InputError(f"{manifest}: no rows")
    present = set().union(*(r.keys() for r in rows[:1000]))
    for key in REQUIRED:
        if header[key] not in present:
            raise InputError(f"{manifest}: no column '{header[key]}' ({key}); its columns are "
                             f"{', '.join(sorted(present))} (map one with --column {key}=NAME)")
    has = {k: header[k] in present for k in KEYS}
    dims = [k for k in ("arousal", "valence", "dominance") if has[k]]
    if dims and len(dims) < 3:
        raise InputError(f"{manifest}: utt2dim holds arousal, valence and dominance; the manifest has only "
                         f"{', '.join(dims)} (map all three, or drop them)")
    if has["start"] != has["end"]:
        raise InputError(f"{manifest}: segments need both a start and an end column")
    if has["split"] and has["fold"]:
        raise InputError(f"{manifest}: both a split and a fold column; keep one")
    to_class = ClassMapper(load_class_map(class_map, {}), keep_unmapped) if class_map else None
    skips = Skips(skip_missing)
    base = manifest.resolve().parent
    tables: dict[str, dict[str, str]] = {n: {} for n in ("wav.scp", "segments", "utt2spk", "utt2emo", "text",
                                                          "utt2dim", "utt2lang", "utt2fold")}
    spk2gender: dict[str, tuple[str, int]] = {}
    spk2fold: dict[str, tuple[int, int]] = {}
    recordings: dict[str, str] = {}  # audio path -> recording id
    rec_ids: set[str] = set()
    exists: dict[str, bool] = {}
    owner: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        where = f"{manifest}: row {n}"

        def cell(key: str, row: dict = row) -> str:
            return row.get(header[key], "").strip() if has[key] else ""

        for key in REQUIRED:
            if not cell(key):
                raise InputError(f"{where}: empty '{header[key]}' ({key})")
        audio = Path(cell("path"))
        audio = audio if audio.is_absolute() else base / audio
        key = str(audio)
        if key not in exists:
            exists[key] = audio.is_file()
        if not exists[key]:
            skips(f"{where}: audio not found: {audio}")
            continue
        spk = _id(cell("speaker"))
        emo = cell("emotion")
        if emo and to_class is not None:
            keep, mapped = to_class(emo)
            if not keep:
                continue
            emo = mapped or ""
        segment = None
        if has["start"]:
            try:
                start, end = float(cell("start")), float(cell("end"))
            except ValueError:
                raise InputError(f"{where}: start '{cell('start')}' / end '{cell('end')}' are not seconds") from None
            if not 0 <= start < end:
                raise InputError(f"{where}: segment {start}-{end} s is empty or negative")
            segment = (start, end)
        utt = _id(cell("utt")) if cell("utt") else f"{spk}_{_id(audio.stem)}" + (
            f"_{round(segment[0] * 1000):07d}" if segment else "")
        if not utt.startswith(spk):
            utt = f"{spk}-{utt}"
        if utt in owner:
            raise InputError(f"{where}: utterance id '{utt}' already made by row {owner[utt]} (give a utt column)")
        owner[utt] = n
        tables["utt2spk"][utt] = spk
        if segment:
            if key not in recordings:
                rec = _id(audio.stem)
                while rec in rec_ids:
                    rec += "_"
                recordings[key] = rec
                rec_ids.add(rec)
                tables["wav.scp"][rec] = str(audio.resolve())
            tables["segments"][utt] = f"{recordings[key]} {segment[0]:.3f} {segment[1]:.3f}"
        else:
            tables["wav.scp"][utt] = str(audio.resolve())
        if emo:
            if len(emo.split()) != 1:
                raise InputError(f"{where}: emotion '{emo}' is not one word")
            tables["utt2emo"][utt] = emo
        if cell("text"):
            tables["text"][utt] = " ".join(cell("text").split())
        if cell("language"):
            tables["utt2lang"][utt] = _id(cell("language"))
        if dims:
            try:
                values = [float(cell(k)) for k in ("arousal", "valence", "dominance")]
            except ValueError:
                raise InputError(f"{where}: arousal/valence/dominance are not all numbers") from None
            tables["utt2dim"][utt] = " ".join(f"{v:g}" for v in values)
        if cell("gender"):
            g = GENDERS.get(cell("gender").lower())
            if g is None:
                raise InputError(f"{where}: gender '{cell('gender')}' is not m, f, male or female")
            if spk in spk2gender and spk2gender[spk][0] != g:
                raise InputError(f"{where}: speaker '{spk}' is '{g}' here and '{spk2gender[spk][0]}' in row "
                                 f"{spk2gender[spk][1]}")
            spk2gender.setdefault(spk, (g, n))
        if has["split"]:
            s = SPLITS.get(cell("split").lower())
            if s is None:
                raise InputError(f"{where}: split '{cell('split')}' is not train, dev or test")
            tables["utt2fold"][utt] = s
        if has["fold"]:
            f = cell("fold")
            if not f.isdigit() or int(f) < 1:
                raise InputError(f"{where}: fold '{f}' is not a positive integer")
            if spk in spk2fold and spk2fold[spk][0] != int(f):
                raise InputError(f"{where}: speaker '{spk}' is in fold {f} here and fold {spk2fold[spk][0]} in row "
                                 f"{spk2fold[spk][1]}: folds must be speaker-independent")
            spk2fold.setdefault(spk, (int(f), n))
    if not tables["utt2spk"]:
        raise InputError(f"{manifest}: no utterances left")
    out_tables = {k: v for k, v in tables.items() if v}
    if spk2gender:
        out_tables["spk2gender"] = {s: g for s, (g, _) in spk2gender.items()}
    if spk2fold:
        out_tables["spk2fold"] = {s: str(f) for s, (f, _) in spk2fold.items()}
    return Prepared(write_data_dir(out, out_tables), skips.items, to_class.dropped if to_class else {})
