"""What the corpus preparers share: class maps, the list of what was skipped, layout checks and
the reading of label tables.

A class map (`--class-map FILE`, YAML `corpus label: class`) names the class each of the corpus's
own labels becomes; a label mapped to null, or left out of the map, drops its utterances (or, with
`keep_unmapped`, keeps them without an emotion label: unlabelled speech). Each preparer has a
default map from the corpus's codes to readable names.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from jsertk.utils.errors import InputError


def load_class_map(path: str | os.PathLike | None, default: dict[str, str | None]) -> dict[str, str | None]:
    """The class map of `path` (YAML mapping of labels to classes or null), else `default`."""
    if path is None:
        return dict(default)
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise InputError(f"{path}: not a readable YAML class map ({e})") from None
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: a class map is a YAML mapping 'corpus label: class' (null drops the label)")
    out = {}
    for key, value in data.items():
        if value is not None and (not isinstance(value, str) or not value or len(value.split()) != 1):
            raise InputError(f"{path}: label '{key}': class must be one word or null, got {value!r}")
        out[str(key)] = value
    return out


@dataclass
class Skips:
    """Problems that stop the preparation unless `allowed` (--skip-missing): then they are listed."""
    allowed: bool = False
    items: list[str] = field(default_factory=list)

    def __call__(self, message: str) -> None:
        if not self.allowed:
            raise InputError(f"{message} (--skip-missing leaves such utterances out and lists them)")
        self.items.append(message)


@dataclass
class Prepared:
    """A preparer's result: the data dir, what was skipped, and labels dropped by the class map."""
    data: object  # DataDir
    skipped: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # corpus label -> utterances left out


def expect_dirs(root: Path, names: list[str], layout: str) -> None:
    """Refuse a --corpus-root that lacks the folders of the layout, saying what is there instead."""
    if not root.is_dir():
        raise InputError(f"{root}: not a folder; --corpus-root must be the {layout}")
    missing = [n for n in names if not (root / n).is_dir()]
    if missing:
        found = sorted(p.name for p in root.iterdir())[:8]
        raise InputError(f"{root}: no {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}; --corpus-root "
                         f"must be the {layout} (found: {', '.join(found) or 'nothing'})")


def require_tool(name: str, why: str) -> None:
    if shutil.which(name) is None:
        raise InputError(f"{name} not found on PATH: {why} (Debian/Ubuntu: apt-get install {name})")


def decode_text(raw: bytes) -> str:
    """UTF-8, else Windows-1252 (some corpora's CSVs mix them)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
