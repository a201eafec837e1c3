"""Transcript normalisation applied identically before tokenizer training, model training and scoring.

The options live in the tokenizer's `tokenizer.yaml`, so every later step that loads the tokenizer
normalises references the same way the model's training targets were normalised.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TextNormalizer:
    lowercase: bool = True
    remove_punct: bool = True  # Unicode punctuation except an apostrophe inside a word ("don't")
    nfkc: bool = True  # fold compatibility forms (full-width letters, ligatures)

    def __call__(self, text: str) -> str:
        if self.nfkc:
            text = unicodedata.normalize("NFKC", text)
        if self.lowercase:
            text = text.lower()
        if self.remove_punct:
            text = "".join(_strip_punct(text))
        return _SPACES.sub(" ", text).strip()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TextNormalizer":
        return cls(**{k: bool(d[k]) for k in ("lowercase", "remove_punct", "nfkc") if k in d})


def _strip_punct(text: str):
    n = len(text)
    for i, ch in enumerate(text):
        if not unicodedata.category(ch).startswith("P"):
            yield ch
        elif ch in "'’" and 0 < i < n - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
            yield "'"
        else:
            yield " "
