"""Problems found in a data directory, each tied to a file and line."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jsertk.utils.errors import JsertkError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data directory. `line` is 1-based; 0 means the whole file."""

    file: Path
    line: int
    reason: str
    kind: str = "format"  # a short category, used to group and count problems

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return f"{where}: {self.reason}"


class DataDirError(JsertkError):
    """Raised when a data directory cannot be used as it is; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


def format_problems(problems: list[Problem], max_per_kind: int = 20) -> str:
    """All problems, one per line; beyond `max_per_kind` of one kind in one file, a count."""
    shown: Counter = Counter()
    hidden: Counter = Counter()
    lines = []
    for p in problems:
        group = (str(p.file), p.kind)
        if shown[group] < max_per_kind:
            shown[group] += 1
            lines.append(str(p))
        else:
            hidden[group] += 1
    for (file, kind), n in hidden.items():
        lines.append(f"{file}: ... and {n} more problems of kind '{kind}'")
    return "\n".join(lines)
