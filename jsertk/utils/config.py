"""YAML configuration with dotted command-line overrides and key checking.

Each command owns a nested dict of defaults. A config file and `--set a.b=value` overrides are
merged over it; a key the defaults do not have is an error naming its full path, as is a value
of the wrong type. Sections whose defaults are an `OpenSection` accept any keys (for options
passed straight to a component such as ESPnet's encoder). The resolved config is written
beside a command's outputs with `save_config`.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Iterable

import yaml

from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import ConfigError  # noqa: F401 (raised here, imported from here by callers)


class OpenSection(dict):
    """A defaults section that accepts keys it does not list."""


def _type_ok(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, dict):
        return isinstance(value, dict)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


def merge(defaults: dict, update: dict, source: str, prefix: str = "") -> dict:
    """`defaults` updated by `update`, recursively; unknown keys and wrong types raise ConfigError."""
    out = copy.deepcopy(defaults)
    for key, value in update.items():
        path = f"{prefix}{key}"
        if key not in defaults:
            if isinstance(defaults, OpenSection):
                out[key] = copy.deepcopy(value)
                continue
            known = ", ".join(sorted(map(str, defaults))) or "(none)"
            raise ConfigError(f"{source}: unknown config key '{path}' (known keys here: {known})")
        default = defaults[key]
        if not _type_ok(default, value):
            raise ConfigError(f"{source}: config key '{path}' expects {type(default).__name__}, "
                              f"got {type(value).__name__} {value!r}")
        if isinstance(default, dict) and isinstance(value, dict):
            merged = merge(default, value, source, f"{path}.")
            out[key] = OpenSection(merged) if isinstance(default, OpenSection) else merged
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> dict:
    """`a.b.c=4` -> {'a': {'b': {'c': 4}}}; the value is read as YAML (numbers, booleans, lists)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override '{text}' is not of the form key.path=value")
    value = yaml.safe_load(raw) if raw.strip() else ""
    node: dict = {}
    cur = node
    parts = key.strip().split(".")
    for p in parts[:-1]:
        cur[p] = {}
        cur = cur[p]
    cur[parts[-1]] = value
    return node


def load_config(defaults: dict, path: str | os.PathLike | None = None, overrides: Iterable[str] = ()) -> dict:
    """Defaults, then the YAML file at `path`, then each `key.path=value` override."""
    cfg = copy.deepcopy(defaults)
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of keys to values")
        cfg = merge(cfg, loaded, str(path))
    for text in overrides:
        cfg = merge(cfg, parse_override(text), f"--set {text}")
    return cfg


def to_plain(cfg: Any) -> Any:
    if isinstance(cfg, dict):
        return {k: to_plain(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return [to_plain(v) for v in cfg]
    return cfg


def save_config(cfg: dict, path: str | os.PathLike) -> None:
    """Write the resolved config as YAML, atomically."""
    atomic_write_text(path, yaml.safe_dump(to_plain(cfg), sort_keys=False, allow_unicode=True))
