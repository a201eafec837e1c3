"""Slurm configuration in the format of Kaldi's conf/slurm.conf: launcher options to sbatch flags.

    command sbatch --export=ALL          # the submit command and its fixed flags
    option mem=* --mem $0                # --mem 4G  ->  --mem 4G ($0 is the value)
    option gpu=0                         # --gpu 0   ->  nothing
    option gpu=* --gres=gpu:$0           # --gpu 2   ->  --gres=gpu:2
    default gpu=0                        # applied when the option is not given

An option given to the launcher with no rule in the conf is an error. Option names are
written with underscores in the conf (`num_threads`); `--num-threads` on the command line.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from jsertk.utils.errors import InputError

DEFAULT_CONF = """\
command sbatch --export=ALL --ntasks=1
option time=* --time $0
option mem=* --mem $0
option mem=0
option num_threads=* --cpus-per-task $0
option num_threads=1 --cpus-per-task 1
option gpu=* --gres=gpu:$0
option gpu=0
option partition=* --partition $0
option account=* --account $0
default gpu=0
"""


def option_key(name: str) -> str:
    """`--num-threads` or `num-threads` -> `num_threads`."""
    return name.lstrip("-").replace("-", "_")


@dataclass
class SlurmConf:
    command: list[str]
    rules: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # option -> value or "*" -> flags
    defaults: dict[str, str] = field(default_factory=dict)
    source: str = "built-in Slurm conf"

    @classmethod
    def parse(cls, text: str, source: str = "built-in Slurm conf") -> "SlurmConf":
        command: list[str] | None = None
        rules: dict[str, dict[str, list[str]]] = {}
        defaults: dict[str, str] = {}
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            kind, _, rest = line.partition(" ")
            words = shlex.split(rest)
            where = f"{source}:{lineno}"
            if kind == "command":
                if not words:
                    raise InputError(f"{where}: 'command' needs the submit program, e.g. 'command sbatch'")
                command = words
            elif kind in ("option", "default"):
                if not words or "=" not in words[0]:
                    raise InputError(f"{where}: expected '{kind} NAME=VALUE ...', got '{line}'")
                name, value = words[0].split("=", 1)
                if kind == "default":
                    defaults[option_key(name)] = value
                else:
                    rules.setdefault(option_key(name), {})[value] = words[1:]
            else:
                raise InputError(f"{where}: unknown line kind '{kind}' (expected command, option or default)")
        if command is None:
            raise InputError(f"{source}: no 'command' line (e.g. 'command sbatch --export=ALL')")
        for name in defaults:
            if name not in rules:
                raise InputError(f"{source}: default for '{name}' but no 'option {name}=...' rule")
        return cls(command, rules, defaults, source)

    @classmethod
    def load(cls, path: str | os.PathLike | None) -> "SlurmConf":
        if path is None:
            return cls.parse(DEFAULT_CONF)
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: Slurm conf not found")
        return cls.parse(p.read_text(encoding="utf-8"), str(p))

    def flags(self, options: dict[str, str]) -> list[str]:
        """sbatch flags for the launcher options (defaults filled in)."""
        merged = {**self.defaults, **{option_key(k): v for k, v in options.items()}}
        out: list[str] = []
        for name, value in merged.items():
            rule = self.rules.get(name, {})
            if value in rule:
                flags = rule[value]
            elif "*" in rule:
                flags = [f.replace("$0", value) for f in rule["*"]]
            else:
                raise InputError(f"{self.source}: no rule for --{name.replace('_', '-')} {value} "
                                 f"(add a line 'option {name}=* <sbatch flags with $0>')")
            out += flags
        return out
