"""Label parsers and lists of the joint ASR-SER task: emotion classes, speakers and their gender,
the data roles of training dirs, and the class/speaker lists saved beside a model."""
from __future__ import annotations

from pathlib import Path

from jsertk.data.schema import parse_gender
from jsertk.data.table import read_table
from jsertk.utils.atomic import atomic_write_text

CLASSES_FILE, SPEAKERS_FILE = "classes.txt", "speakers.txt"
ROLES = ("ser", "asr", "aux", "pseudo", "unlab")
GENDERS = {"m": 0, "f": 1}


def read_list(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def save_list(path: Path, names: list[str]) -> None:
    text = "".join(f"{n}\n" for n in names)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic_write_text(path, text)


class EmotionParser:
    """utt2emo value -> class index; with no fixed list, classes grow until `freeze`."""

    def __init__(self, classes: list[str], label_map: dict[str, str]):
        self.fixed = bool(classes)
        self.index = {c: i for i, c in enumerate(classes)}
        self.label_map = label_map

    def __call__(self, utt: str, value: str) -> int:
        toks = value.split()
        if len(toks) != 1:
            raise ValueError(f"expected one class name, got '{value}'")
        name = self.label_map.get(toks[0], toks[0])
        if name not in self.index:
            if self.fixed:
                raise ValueError(f"emotion '{name}' is not in the class list ({', '.join(self.index)}); add it to "
                                 "'classes' or map it with 'label_map' in the config")
            self.index[name] = len(self.index)
        return self.index[name]

    def freeze(self) -> dict[int, int]:
        """Sort the grown list; returns old index -> new index."""
        names = sorted(self.index)
        remap = {self.index[n]: i for i, n in enumerate(names)}
        self.index, self.fixed = {n: i for i, n in enumerate(names)}, True
        return remap


class SpeakerParser:
    """utt2spk value -> (speaker index, gender index); -1 where unknown. The speaker list grows while
    training sets are read and is frozen before validation sets (their speakers are then unknown)."""

    def __init__(self, speakers: list[str] | None):
        self.index = {s: i for i, s in enumerate(speakers or [])}
        self.frozen = speakers is not None
        self.genders: dict[str, int] = {}

    def begin_file(self, path: Path) -> None:
        g = path.parent / "spk2gender"
        self.genders = {}
        if g.is_file():
            for spk, value in read_table(g).items():
                try:
                    self.genders[spk] = GENDERS[parse_gender(value)]
                except ValueError as e:
                    raise ValueError(f"{g}: speaker '{spk}': {e}") from None

    def __call__(self, utt: str, value: str) -> tuple[float, float]:
        spk = value.strip()
        if spk not in self.index and not self.frozen:
            self.index[spk] = len(self.index)
        return float(self.index.get(spk, -1)), float(self.genders.get(spk, -1))
