"""Merge several data directories into one."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from jsertk.data.datadir import DataDir, copy_feature_descriptions, spk2utt_from_utt2spk
from jsertk.data.problems import DataDirError, Problem
from jsertk.data.schema import FILES, REQUIRED_WHEN_PRESENT
from jsertk.data.table import write_table
from jsertk.utils.atomic import atomic_dir
from jsertk.utils.errors import InputError


def combine(srcs: list[str | os.PathLike], dst: str | os.PathLike) -> DataDir:
    """Union of the data dirs `srcs` written to `dst`.

    A key that appears in two sources with different content is an error naming both.
    When only some sources have `segments`, the others get whole-recording segments
    (`<utt> <utt> 0 -1`). Files that every utterance needs (feats.scp, utt2num_frames,
    utt2dur) are kept only when every source has them; so are fbank.yaml / upstream.yaml (when
    every source has the same).
    """
    dirs = [DataDir(s) for s in srcs]
    if not dirs:
        raise InputError("nothing to combine")
    if any(d.path.resolve() == Path(dst).resolve() for d in dirs):
        raise InputError(f"combine output {dst} must differ from its sources")
    any_segments = any(d.has("segments") for d in dirs)
    names = [n for n in FILES if n != "spk2utt" and any(d.has(n) for d in dirs)]
    if any_segments and "segments" not in names:
        names.append("segments")
    merged: dict[str, dict[str, str]] = {n: {} for n in names}
    origin: dict[tuple[str, str], Path] = {}
    problems: list[Problem] = []
    for d in dirs:
        for name in names:
            if name == "segments" and not d.has("segments"):
                table = {u: f"{u} 0 -1" for u in d.raw("utt2spk")}
            elif not d.has(name):
                if name in REQUIRED_WHEN_PRESENT:
                    warnings.warn(f"{d.path} has no {name}; the combined dir will not have one either")
                continue
            else:
                table = d.raw(name)
            for key, value in table.items():
                old = merged[name].get(key)
                if old is not None and old.split() != value.split():
                    problems.append(Problem(d.file(name), 0, f"key '{key}' is also in {origin[(name, key)]} with "
                                            f"different content: '{old}' vs '{value}'", "conflict"))
                    continue
                merged[name][key] = value
                origin.setdefault((name, key), d.file(name))
    if problems:
        raise DataDirError(problems)
    for name in REQUIRED_WHEN_PRESENT:
        if name in merged and not all(d.has(name) for d in dirs):
            del merged[name]
    with atomic_dir(dst) as tmp:
        for name, table in merged.items():
            write_table(tmp / name, table)
        write_table(tmp / "spk2utt", {s: " ".join(us) for s, us in spk2utt_from_utt2spk(merged["utt2spk"]).items()})
        if "feats.scp" in merged:
            copy_feature_descriptions([d.path for d in dirs], tmp)
    return DataDir(dst)
