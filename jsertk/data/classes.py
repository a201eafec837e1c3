"""Class maps: the classes a corpus's emotion labels become (`--class-map FILE`), and a copy of a
data dir with its utt2emo mapped (`jsertk data map-classes`), for shared class sets across corpora.

A class map is a YAML mapping `label: class`; a label mapped to null, or left out, drops its
utterances (or, with keep_unmapped, keeps them without an emotion label).
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from jsertk.data.datadir import DataDir, write_filtered
from jsertk.utils.errors import InputError

NULLS = ("", "~", "null", "Null", "NULL")  # YAML's spellings of null


def load_class_map(path: str | os.PathLike | None, default: dict[str, str | None]) -> dict[str, str | None]:
    """The class map of `path` (YAML mapping of labels to classes or null), else `default`."""
    if path is None:
        return dict(default)
    path = Path(path)
    try:
        # every scalar as written: a label 01 stays '01' (not 1), yes stays 'yes' (not True)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{path}: not a readable YAML class map ({e})") from None
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: a class map is a YAML mapping 'corpus label: class' (null drops the label)")
    out: dict[str, str | None] = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise InputError(f"{path}: label '{key}': class must be one word or null, got {value!r}")
        value = None if value in NULLS else value
        if value is not None and len(value.split()) != 1:
            raise InputError(f"{path}: label '{key}': class must be one word or null, got {value!r}")
        out[key] = value
    return out


def map_classes(src: str | os.PathLike, dst: str | os.PathLike, class_map: str | os.PathLike,
                keep_unmapped: bool = False) -> dict[str, int]:
    """Write `dst`: `src` with utt2emo mapped through the class map; utterances whose label maps to
    nothing are left out (or kept unlabelled). Returns the utterance count of each class, and of
    the labels left out under '<dropped>'."""
    src_dir = DataDir(src)
    if not src_dir.has("utt2emo"):
        raise InputError(f"{src_dir.path}: no utt2emo to map")
    cmap = load_class_map(class_map, {})
    tables = {name: src_dir.raw(name) for name in src_dir.present_files()}
    mapped, counts = {}, {}
    for utt, label in tables["utt2emo"].items():
        cls = cmap.get(label.split()[0])
        if cls is None:
            counts["<dropped>"] = counts.get("<dropped>", 0) + 1
        else:
            mapped[utt] = cls
            counts[cls] = counts.get(cls, 0) + 1
    if not mapped:
        raise InputError(f"{src_dir.path}/utt2emo: no label is in the class map {class_map} "
                         f"(labels: {', '.join(sorted(set(v.split()[0] for v in tables['utt2emo'].values()))[:8])})")
    keep = [u for u in tables["utt2spk"] if u in mapped or (keep_unmapped or u not in tables["utt2emo"])]
    tables["utt2emo"] = mapped
    if "feats.scp" in tables:
        tables["feats.scp"] = absolute_locations(tables["feats.scp"], src_dir.path)
    write_filtered(src_dir, keep, dst, tables)
    return dict(sorted(counts.items()))


def absolute_locations(scp: dict[str, str], src: Path) -> dict[str, str]:
    """feats.scp values with their ark paths made absolute, so that a copy read from elsewhere (another
    recipe's features in a cross-corpus test) finds them: a relative path is taken from the working
    directory when it exists there, else from the nearest folder above `src` that holds it."""
    bases = [Path.cwd()] + [src.resolve(), *src.resolve().parents]
    found: dict[str, Path] = {}
    out = {}
    for utt, value in scp.items():
        path, sep, offset = value.rpartition(":")
        if not sep or not offset.isdigit():
            path, offset = value, ""
        if not Path(path).is_absolute():
            if path not in found:
                base = next((b for b in bases if (b / path).is_file()), None)
                if base is None:
                    raise InputError(f"{src}/feats.scp: '{utt}': {path} is found neither from here nor above {src}")
                found[path] = (base / path).resolve()
            path = str(found[path])
        out[utt] = f"{path}:{offset}" if offset else path
    return out
