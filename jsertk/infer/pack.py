"""A packed model: one self-contained folder that `jsertk infer` and `Recognizer` load.

Contents: config.yaml (resources pointing inside the folder), model.pth, tokenizer/, classes.txt,
speakers.txt, fbank.yaml (the feature options the model was trained with), cmvn.ark (when the
training used one; the weights carry the same statistics) and checksums.sha256 over all of them.

A model over an upstream is packed to read audio: its model.pth holds the upstream's weights as
well (taken from the upstream folder when the model was trained on dumped states), upstream.yaml
records the upstream's identity (digest), and the upstream folder itself is either copied into
the pack (`include_upstream`, self-contained) or named by its absolute path (then it must be
there, unchanged, where the pack is loaded: its digest is checked).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import yaml

from jsertk.tasks.experiment import weights_path
from jsertk.utils import provenance
from jsertk.utils.errors import JsertkError

CHECKSUMS = "checksums.sha256"
FBANK_CONFIG = "fbank.yaml"
UPSTREAM_DIR = "upstream"  # the copied upstream folder inside a pack
UPSTREAM_PREFIX = "asr.frontend.upstream.upstream."  # its weights in the model's state dict


class PackError(JsertkError):
    """A model dir that cannot be packed, or a packed folder that is incomplete or damaged."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != CHECKSUMS)


def pack_model(expdir: str | os.PathLike, out: str | os.PathLike, fbank_config: str | os.PathLike | None = None,
               checkpoint: str = "model.pth", include_upstream: bool = False) -> Path:
    """Write the packed folder `out` from the experiment dir (atomically: all of it or nothing)."""
    from jsertk.features.fbank import FbankConfig
    from jsertk.utils import checkpoint as ckpt
    from jsertk.utils.atomic import atomic_dir

    expdir, out = Path(expdir), Path(out)
    cfg_path = expdir / "config.yaml"
    if not cfg_path.is_file():
        raise PackError(f"{cfg_path}: not found; is {expdir} an experiment dir written by `jsertk train`?")
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    if cfg.get("model") != "jser":
        raise PackError(f"{expdir}: a '{cfg.get('model')}' model; only jser models are packed for `jsertk infer`")
    upstream = ((cfg.get("frontend") or {}).get("upstream") or {}).get("path")
    fbank = FbankConfig(**(yaml.safe_load(Path(fbank_config).read_text()) if fbank_config else {}))
    if not upstream and fbank.dim != cfg["input_dim"]:
        raise PackError(f"fbank options give {fbank.dim}-dim features but the model takes {cfg['input_dim']}-dim "
                        "features: pass --fbank-config <feature dir>/fbank.yaml of the training features")
    state = ckpt.load_weights(weights_path(expdir, checkpoint))
    identity = None
    if upstream:
        state, identity = _with_upstream_weights(state, cfg)
    with atomic_dir(out) as tmp:
        tmp.chmod(0o755)
        ckpt.save(state, tmp / "model.pth")
        has_tokenizer = (expdir / "tokenizer").is_dir()  # acoustic-only models have none
        if has_tokenizer:
            shutil.copytree(expdir / "tokenizer", tmp / "tokenizer")
        for name in ("classes.txt", "speakers.txt"):
            shutil.copy2(expdir / name, tmp / name)
        if (expdir / "lexical.yaml").is_file():  # the Whisper whose dumped states the lexical view reads
            shutil.copy2(expdir / "lexical.yaml", tmp / "lexical.yaml")
        if cfg.get("cmvn") and Path(cfg["cmvn"]).is_file():
            shutil.copy2(cfg["cmvn"], tmp / "cmvn.ark")
        if upstream:
            if include_upstream:
                shutil.copytree(upstream, tmp / UPSTREAM_DIR)
            cfg["frontend"]["upstream"]["path"] = UPSTREAM_DIR if include_upstream else str(Path(upstream).resolve())
            cfg["input_dim"] = 1  # a packed upstream model reads audio
            (tmp / "upstream.yaml").write_text(yaml.safe_dump(identity, sort_keys=False))
        else:
            (tmp / FBANK_CONFIG).write_text(yaml.safe_dump(fbank.as_dict(), sort_keys=False))
        # the weights already hold CMVN and the init
        cfg.update(tokenizer="tokenizer" if has_tokenizer else "", cmvn="", init="")
        (tmp / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        provenance.record(tmp, cfg)
        (tmp / CHECKSUMS).write_text("".join(f"{_sha256(p)}  {p.relative_to(tmp)}\n" for p in _files(tmp)))
    return out


def _with_upstream_weights(state: dict, cfg: dict) -> tuple[dict, dict]:
    """The model's weights with its upstream's (from the upstream folder when it was trained on dumped
    states), and the upstream's identity."""
    from jsertk.tasks.upstream import dump_identity, load_upstream

    conf = cfg["frontend"]["upstream"]
    if not Path(conf["path"]).is_dir():
        raise PackError(f"the model's upstream {conf['path']} (frontend.upstream.path) is not there; it is needed to "
                        "pack the model")
    identity = dump_identity(conf["path"], conf["whisper_input"])
    if not any(k.startswith(UPSTREAM_PREFIX) for k in state):
        module = load_upstream(conf["path"], conf["dtype"], conf["whisper_input"])
        state = {**state, **{UPSTREAM_PREFIX + k: v for k, v in module.state_dict().items()}}
    return state, identity


def verify(packed: str | os.PathLike) -> None:
    """Raise PackError naming the first file that is missing or differs from checksums.sha256."""
    packed = Path(packed)
    sums = packed / CHECKSUMS
    if not sums.is_file():
        raise PackError(f"{sums}: not found; is {packed} a folder written by `jsertk pack`?")
    listed = set()
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        path = packed / name
        listed.add(name)
        if not path.is_file():
            raise PackError(f"{path}: missing from the packed model")
        if _sha256(path) != digest:
            raise PackError(f"{path}: checksum differs from {CHECKSUMS}; the packed model is damaged or was changed")
    for path in _files(packed):
        name = str(path.relative_to(packed))
        if name != CHECKSUMS and name not in listed:
            raise PackError(f"{path}: not part of the packed model (not in {CHECKSUMS}); remove it, or pack again")
