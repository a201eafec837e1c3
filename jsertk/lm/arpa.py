"""ARPA back-off n-gram files: writing an `NgramModel`, reading any ARPA file (any order).

ARPA stores log10 values; in memory everything is a natural log. A line is
`log10 p <tab> w1 .. wn [<tab> log10 backoff]`; `<s>` has the conventional unigram
probability -99 (it is never predicted) and a backoff weight.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from jsertk.lm.kneser_ney import BOS, EOS, NgramModel
from jsertk.utils.atomic import atomic_open
from jsertk.utils.errors import JsertkError

LN10 = math.log(10.0)
BOS_LOG10 = -99.0


class ArpaError(JsertkError):
    """An ARPA file that cannot be read: malformed line, wrong counts, or tokens the model cannot use."""


def write_arpa(model: NgramModel, path: str | os.PathLike) -> None:
    """Write `model` to `path` atomically."""
    def fmt(x: float) -> str:
        return f"{x / LN10:.7g}"

    with atomic_open(path) as f:
        f.write("\n\\data\\\n")
        for n, count in enumerate(model.ngram_counts(), 1):
            f.write(f"ngram {n}={count}\n")
        for n in range(1, model.order + 1):
            f.write(f"\n\\{n}-grams:\n")
            probs, bows = model.logprobs[n - 1], model.backoffs[n - 1]
            if n == 1:
                bow = f"\t{fmt(bows[(BOS,)])}" if (BOS,) in bows else ""
                f.write(f"{BOS_LOG10:g}\t{BOS}{bow}\n")
            for gram in sorted(probs):
                line = f"{fmt(probs[gram])}\t{' '.join(gram)}"
                if gram in bows:
                    line += f"\t{fmt(bows[gram])}"
                f.write(line + "\n")
        f.write("\n\\end\\\n")


@dataclass
class ArpaModel:
    """What an ARPA file holds, natural-log: `logprobs[ngram]` = ln p(last | rest) (`<s>` as a predicted
    token is left out), `backoffs[ngram]` = ln backoff weight of the n-gram as a context."""

    path: Path
    order: int
    logprobs: dict[tuple[str, ...], float] = field(default_factory=dict)
    backoffs: dict[tuple[str, ...], float] = field(default_factory=dict)

    def vocab(self) -> set[str]:
        """Every token of every n-gram."""
        return {t for grams in (self.logprobs, self.backoffs) for g in grams for t in g}


_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")


def read_arpa(path: str | os.PathLike) -> ArpaModel:
    """Parse an ARPA file; any problem is an `ArpaError` naming the file and line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ArpaError(f"{path}: file not found") from None
    except UnicodeDecodeError as e:
        raise ArpaError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    expected: dict[int, int] = {}
    seen: dict[int, int] = {}
    model = ArpaModel(path, 0)
    state, n = "preamble", 0  # preamble -> header -> ngrams -> end

    def fail(lineno: int, why: str) -> ArpaError:
        return ArpaError(f"{path}:{lineno}: {why}")

    def close_section(lineno: int) -> None:
        if n and seen.get(n, 0) != expected[n]:
            raise fail(lineno, f"the header announces {expected[n]} {n}-grams, the section has {seen.get(n, 0)}")

    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if state == "preamble":
            if line == "\\data\\":
                state = "header"
            continue
        if not line:
            continue
        if state == "end":
            raise fail(lineno, "text after \\end\\")
        if line == "\\end\\":
            if state != "ngrams":
                raise fail(lineno, "\\end\\ before any n-gram section")
            close_section(lineno)
            missing = sorted(set(expected) - set(seen))
            if missing:
                raise fail(lineno, f"no \\{missing[0]}-grams: section although the header announces it")
            state = "end"
            continue
        section = _SECTION.match(line)
        if section:
            if state == "header" and not expected:
                raise fail(lineno, "no 'ngram N=count' lines after \\data\\")
            close_section(lineno)
            n = int(section.group(1))
            if n not in expected:
                raise fail(lineno, f"section \\{n}-grams: is not announced in the header")
            if n in seen:
                raise fail(lineno, f"second \\{n}-grams: section")
            seen[n] = 0
            state = "ngrams"
            continue
        if state == "header":
            m = _COUNT.match(line)
            if not m:
                raise fail(lineno, f"expected 'ngram N=count' in the header, got '{line[:60]}'")
            order, count = int(m.group(1)), int(m.group(2))
            if order != len(expected) + 1:
                raise fail(lineno, f"header line for order {order} where order {len(expected) + 1} was due")
            expected[order] = count
            model.order = order
            continue
        fields = line.split()
        if len(fields) not in (n + 1, n + 2):
            raise fail(lineno, f"a {n}-gram line needs a log10 probability, {n} tokens and an optional "
                               f"backoff weight; got {len(fields)} fields")
        try:
            logp = float(fields[0])
            bow = float(fields[n + 1]) if len(fields) == n + 2 else None
        except ValueError:
            raise fail(lineno, f"not a number in '{line[:60]}'") from None
        gram = tuple(fields[1 : n + 1])
        if BOS in gram[1:] or EOS in gram[:-1]:
            raise fail(lineno, f"{BOS} may only begin and {EOS} only end an n-gram: '{' '.join(gram)}'")
        if bow is not None and n == model.order:
            raise fail(lineno, "a backoff weight on an n-gram of the highest order")
        if not (math.isfinite(logp) or logp == float("-inf")) or logp > 1e-6:
            raise fail(lineno, f"log10 probability {fields[0]} is not <= 0")
        if gram[-1] != BOS:
            model.logprobs[gram] = logp * LN10
        if bow is not None:
            model.backoffs[gram] = bow * LN10
        seen[n] += 1
    if state != "end":
        where = len(lines)
        raise ArpaError(f"{path}:{where}: " + ("no \\data\\ line: not an ARPA file" if state == "preamble"
                                                else "the file ends without \\end\\ (truncated?)"))
    return model
