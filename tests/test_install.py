"""The environment tools/install.sh builds: every module the architecture relies on imports, and
every package jsertk imports is declared (setup.py install_requires, tools/requirements.txt)."""
from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# Python sources that run in the installed environment: the library and the recipes' scripts.
SOURCES = sorted((ROOT / "jsertk").rglob("*.py")) + sorted((ROOT / "egs").glob("*/*/local/*.py"))
TORCH_VERSION = os.environ.get("TORCH_VERSION", "2.13.0")

ESPNET_MODULES = [
    "espnet2.asr.encoder.conformer_encoder",
    "espnet2.asr.encoder.transformer_encoder",
    "espnet2.asr.decoder.transformer_decoder",
    "espnet2.asr.ctc",
    "espnet.nets.beam_search",
    "espnet.nets.scorers.ctc",
    "espnet.nets.pytorch_backend.transformer.label_smoothing_loss",
]
OTHER_MODULES = ["torch", "kaldiio", "kaldi_native_fbank", "soundfile", "sentencepiece", "jiwer", "typer", "yaml",
                 "matplotlib", "espeakng_loader", "scipy.signal", "rapidfuzz.distance", "tqdm",
                 "torch.utils.tensorboard"]

# Import name -> distribution name, where the two differ.
IMPORT_TO_DIST = {
    "yaml": "pyyaml",
    "kaldi_native_fbank": "kaldi-native-fbank",
    "espeakng_loader": "espeakng-loader",
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "cv2": "opencv-python",
    "skimage": "scikit-image",
    "google": "protobuf",
    "espnet2": "espnet",
    "espnetez": "espnet",
    "torchgen": "torch",
}
# Installed by tools/install.sh with `pip install --no-deps` (its metadata pins setuptools<74, which
# clashes with torch), so it cannot be an install_requires entry; what it imports must be declared.
NO_DEPS = {"espnet"}


def _norm(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _dist_of(import_name: str) -> str:
    return _norm(IMPORT_TO_DIST.get(import_name, import_name))


def _setup_requirements() -> tuple[list[Requirement], dict[str, list[Requirement]]]:
    """install_requires and extras_require of setup.py, read without running it (literals only)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    kw = {k.arg: k.value for k in call.keywords}

    def value(key, default):
        node = kw.get(key)
        if node is None:
            return default
        if isinstance(node, ast.Name):
            node = assigned[node.id]
        return ast.literal_eval(node)

    install = [Requirement(r) for r in value("install_requires", [])]
    extras = {k: [Requirement(r) for r in v] for k, v in value("extras_require", {}).items()}
    return install, extras


def _requirements_txt() -> list[Requirement]:
    lines = (ROOT / "tools" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(s) for s in (ln.split("#", 1)[0].strip() for ln in lines) if s]


def _optional(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """True for an import inside `try:` whose handler catches ImportError (an optional dependency)."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Try) and node in parent.body:
            for h in parent.handlers:
                names = [h.type] if not isinstance(h.type, ast.Tuple) else list(h.type.elts)
                if h.type is None or any(getattr(n, "id", "") in ("ImportError", "ModuleNotFoundError")
                                         for n in names):
                    return True
        node = parent
    return False


def _third_party_imports() -> dict[str, list[tuple[str, bool]]]:
    """Top-level import name -> [(file:line, optional)] of every non-stdlib, non-jsertk import,
    including imports inside functions."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "jsertk":
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(top, []).append((where, _optional(node, parents)))
    return found


def _espnet_modules_used() -> list[str]:
    """Every espnet/espnet2 module named by an import under jsertk/."""
    mods = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods.update(a.name for a in node.names if a.name.split(".")[0] in ("espnet", "espnet2"))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.split(".")[0] in ("espnet", "espnet2"):
                mods.add(node.module)
    return sorted(mods)


@pytest.mark.parametrize("name", ESPNET_MODULES + OTHER_MODULES)
def test_module_imports(name):
    importlib.import_module(name)


@pytest.mark.parametrize("name", _espnet_modules_used())
def test_espnet_module_used_by_jsertk_imports(name):
    importlib.import_module(name)


def test_torch_is_the_pinned_version():
    import torch

    assert torch.__version__.split("+")[0] == TORCH_VERSION


def test_every_imported_package_is_declared():
    """A module imported under jsertk/ (or by a recipe script) whose distribution setup.py does not
    declare fails here: `pip install -e .` would give a CLI that breaks at run time."""
    install, extras = _setup_requirements()
    required = {_norm(r.name) for r in install}
    optional = {_norm(r.name) for k, reqs in extras.items() if k != "dev" for r in reqs}
    missing = []
    for top, uses in sorted(_third_party_imports().items()):
        dist = _dist_of(top)
        if dist in NO_DEPS or dist in required:
            continue
        if dist in optional and all(opt for _, opt in uses):
            continue
        where = ", ".join(w for w, _ in uses[:3])
        hint = " (only an optional import may be an extras_require entry)" if dist in optional else ""
        missing.append(f"`import {top}` ({where}): distribution {dist!r} is not in install_requires{hint}")
    assert not missing, "undeclared runtime imports (add them to setup.py and tools/requirements.txt; " \
                        "map the import name in IMPORT_TO_DIST if it differs):\n" + "\n".join(missing)


def test_setup_and_requirements_txt_agree():
    """tools/install.sh installs requirements.txt, then `-e .[dev]`: both must list the same packages
    with the same specifiers. torch is installed first by install.sh, so only setup.py names it."""
    install, extras = _setup_requirements()
    setup_reqs = {_norm(r.name): str(r.specifier) for r in install + extras.get("dev", []) if _norm(r.name) != "torch"}
    txt_reqs = {_norm(r.name): str(r.specifier) for r in _requirements_txt()}
    assert "torch" not in txt_reqs, "torch belongs in setup.py (a range) and tools/install.sh (the pin)"
    assert setup_reqs.keys() - txt_reqs.keys() == set(), "in setup.py only"
    assert txt_reqs.keys() - setup_reqs.keys() == set(), "in tools/requirements.txt only"
    differ = {k: (setup_reqs[k], txt_reqs[k]) for k in setup_reqs if setup_reqs[k] != txt_reqs[k]}
    assert not differ, f"specifiers differ (setup.py, requirements.txt): {differ}"


def test_torch_requirement_is_a_bounded_range_that_admits_the_pin():
    """An open `torch` lets pip pull the newest release with several GB of CUDA wheels."""
    install, _ = _setup_requirements()
    (torch_req,) = [r for r in install if _norm(r.name) == "torch"]
    assert torch_req.specifier.contains(Version(TORCH_VERSION)), (str(torch_req), TORCH_VERSION)
    assert any(s.operator in ("<", "<=", "==", "~=", "===") for s in torch_req.specifier), \
        f"{torch_req} has no upper bound"
    assert not torch_req.specifier.contains(Version("99.0"))


def test_espnet_is_not_an_install_requirement():
    install, extras = _setup_requirements()
    names = {_norm(r.name) for r in install} | {_norm(r.name) for reqs in extras.values() for r in reqs}
    assert not names & NO_DEPS, "espnet pins setuptools<74; it is installed with --no-deps"


def _allowed_distributions(roots: set[str]) -> set[str]:
    """roots and everything their installed metadata requires, transitively (no extras)."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for spec in reqs:
            r = Requirement(spec)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(_norm(r.name))
    return seen


def test_espnet_runtime_imports_are_declared():
    """espnet comes with --no-deps, so what its modules import (in a clean interpreter: jsertk's
    modules and the espnet ones jsertk uses) must come from install_requires or their dependencies."""
    modules = ESPNET_MODULES + _espnet_modules_used()
    code = ("import importlib, json, pkgutil, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "import jsertk\n"
            "for _, n, _ in pkgutil.walk_packages(jsertk.__path__, 'jsertk.'): importlib.import_module(n)\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    install, _ = _setup_requirements()
    allowed = _allowed_distributions({_norm(r.name) for r in install}) | NO_DEPS
    owners = importlib.metadata.packages_distributions()
    missing = []
    for top in loaded:
        if top in sys.stdlib_module_names or top == "jsertk" or top not in owners:
            continue
        dists = {_norm(d) for d in owners[top]}
        if not dists & allowed:
            missing.append(f"{top} (from {', '.join(sorted(dists))})")
    assert not missing, "imported at run time but brought by nothing in install_requires: " + ", ".join(missing)


def test_license_is_declared():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0" in text
    assert re.search(r'license\s*=\s*"Apache-2\.0"', (ROOT / "setup.py").read_text(encoding="utf-8"))


def test_espnet_conformer_builds_and_runs():
    import torch
    from espnet2.asr.encoder.conformer_encoder import ConformerEncoder

    enc = ConformerEncoder(input_size=80, output_size=32, attention_heads=2, linear_units=64, num_blocks=1,
                           input_layer="conv2d")
    out, lens, _ = enc(torch.randn(2, 50, 80), torch.tensor([50, 40]))
    assert out.shape[0] == 2 and out.shape[2] == 32
    assert lens.tolist()[0] > lens.tolist()[1]
