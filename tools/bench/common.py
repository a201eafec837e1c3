"""Shared by the benchmark scripts: the machine in one line, and rewriting one section of
docs/benchmarks.md (between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`), leaving the rest."""
from __future__ import annotations

import contextlib
import os
import platform
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS_MD = ROOT / "docs" / "benchmarks.md"
_HEADER = """# Benchmarks

Measured by `make bench` (every `tools/bench/bench_*.py`); each script rewrites only its own
section below. Figures depend on the machine named in each section.
"""


def machine() -> str:
    """One line: CPU model, cores, memory, OS and Python."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):  # /proc exists on Linux only
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    mem = ""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        with open("/proc/meminfo") as f:
            kb = int(next(ln for ln in f if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    return (f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def update_section(name: str, markdown: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the section NAME of docs/benchmarks.md (appended when absent), atomically."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
