"""Where an experiment came from: the command line, the working directory, the host, the time, the
Python and package versions, and the git revision of the jsertk checkout (with whether its tracked
files had uncommitted changes). `record(expdir)` appends one entry per run (a resumed run adds its
own) to EXPDIR/provenance.json, atomically."""
from __future__ import annotations

import json
import os
import platform
import shlex
import socket
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from jsertk.utils.atomic import atomic_write_text

FILE = "provenance.json"
PACKAGES = ("jsertk", "torch", "espnet", "numpy", "kaldi-native-fbank", "sentencepiece", "soundfile", "kaldiio",
            "transformers", "opensmile", "scikit-learn")


def _git(root: Path) -> dict | None:
    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    revision = run("rev-parse", "HEAD")
    if revision is None:
        return None  # not a git checkout (an installed package)
    changed = run("status", "--porcelain", "--untracked-files=no")
    return {"revision": revision, "dirty": bool(changed), "changed_files": changed.splitlines()[:20] if changed else []}


def collect() -> dict:
    """This process's provenance."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "",
        "cwd": os.getcwd(),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "git": _git(Path(__file__).resolve().parents[2]),
    }


def record(expdir: str | os.PathLike, config: dict | None = None) -> dict:
    """Append this run's provenance (with the resolved `config`, when the run has one) to
    EXPDIR/provenance.json; returns the entry."""
    path = Path(expdir) / FILE
    runs = []
    if path.is_file():
        try:
            runs = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
        except (json.JSONDecodeError, AttributeError):
            runs = []  # a damaged file is replaced, not trusted
    entry = collect()
    if config is not None:
        entry["config"] = json.loads(json.dumps(config, default=str))  # plain JSON (paths, open sections)
    atomic_write_text(path, json.dumps({"runs": runs + [entry]}, indent=2) + "\n")
    return entry
