"""What the corpus preparers share: the list of what was skipped, layout checks, text decoding.

Class maps (`--class-map FILE`, jsertk.data.classes) name the class each of the corpus's own
labels becomes; each preparer has a default map from the corpus's codes to readable names.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from jsertk.utils.errors import InputError


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
class ClassMapper:
    """A corpus label -> its class through the class map, counting the labels the map drops."""
    classes: dict[str, str | None]
    keep_unmapped: bool = False
    dropped: dict[str, int] = field(default_factory=dict)

    def __call__(self, label: str) -> tuple[bool, str | None]:
        """(keep the utterance, its class): a dropped label keeps it only with keep_unmapped, unlabelled."""
        cls = self.classes.get(label)
        if cls is None:
            self.dropped[label] = self.dropped.get(label, 0) + 1
            return self.keep_unmapped, None
        return True, cls


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
