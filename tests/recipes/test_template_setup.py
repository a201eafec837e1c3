"""egs/TEMPLATE/jser1: setup.sh makes a working recipe dir, its conf/ holds the synth recipe's
configs (with comments), and every shell script of egs/ and tools/ passes shellcheck."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "egs" / "TEMPLATE" / "jser1"
# The lint of `make lint`: every shell script under egs/ and tools/ (not the venv), sourced files followed.
SHELLCHECK = ("find egs tools -path tools/venv -prune -o -type f -name '*.sh' -print0 "
              "| xargs -0 shellcheck -x -P SCRIPTDIR -P SCRIPTDIR/..")


@pytest.fixture
def repo(tmp_path):
    """A copy of the parts of the repository setup.sh and a recipe's --help need (the venv linked)."""
    root = tmp_path / "repo"
    shutil.copytree(TEMPLATE, root / "egs" / "TEMPLATE" / "jser1", symlinks=True)
    shutil.copytree(ROOT / "tools" / "utils", root / "tools" / "utils")
    (root / "tools" / "venv").symlink_to(ROOT / "tools" / "venv")
    return root


def setup(repo: Path, target: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(repo / "egs" / "TEMPLATE" / "jser1" / "setup.sh"), target], cwd=cwd or repo,
                          capture_output=True, text=True, timeout=60)


def test_setup_makes_a_recipe_whose_run_sh_help_works(repo):
    made = setup(repo, "egs/mycorpus/jser1")
    assert made.returncode == 0, made.stderr
    recipe = repo / "egs" / "mycorpus" / "jser1"
    links = {p.name: os.readlink(p) for p in recipe.iterdir() if p.is_symlink()}
    assert links == {"jser.sh": "../../TEMPLATE/jser1/jser.sh", "cmd.sh": "../../TEMPLATE/jser1/cmd.sh",
                     "path.sh": "../../TEMPLATE/jser1/path.sh", "steps": "../../TEMPLATE/jser1/steps",
                     "utils": "../../../tools/utils"}
    assert all((recipe / name).exists() for name in links)  # none dangles
    for name in ("train_asr.yaml", "train_jser.yaml", "train_jser_ssl.yaml"):
        assert (recipe / "conf" / name).read_bytes() == (TEMPLATE / "conf" / name).read_bytes()
        assert not (recipe / "conf" / name).is_symlink()  # a copy, to tune
    assert os.access(recipe / "run.sh", os.X_OK) and os.access(recipe / "local" / "data.sh", os.X_OK)
    help_ = subprocess.run(["./run.sh", "--help"], cwd=recipe, capture_output=True, text=True, timeout=60)
    assert help_.returncode == 0, help_.stderr
    assert "--train-set" in help_.stdout and "[train]" in help_.stdout and "--decode-nj" in help_.stdout
    data_help = subprocess.run(["local/data.sh", "--help"], cwd=recipe, capture_output=True, text=True, timeout=60)
    assert data_help.returncode == 0 and "--corpus-root" in data_help.stdout
    # the skeleton stops stage 0 with a message instead of pretending to prepare data
    stage0 = subprocess.run(["./run.sh", "--stop-stage", "0", "--local-data-opts", f"--corpus-root {repo}"],
                            cwd=recipe, capture_output=True, text=True, timeout=60)
    assert stage0.returncode != 0 and "local/data.sh: not written yet" in stage0.stderr
    if shutil.which("shellcheck"):
        lint = subprocess.run("shellcheck -x -P SCRIPTDIR -P SCRIPTDIR/.. run.sh local/data.sh", shell=True,
                              cwd=recipe, capture_output=True, text=True, timeout=120)
        assert lint.returncode == 0, lint.stdout


def test_setup_refuses_an_existing_dir_and_a_dir_elsewhere(repo, tmp_path):
    existing = repo / "egs" / "mycorpus" / "jser1"
    existing.mkdir(parents=True)
    (existing / "run.sh").write_text("mine\n")
    again = setup(repo, "egs/mycorpus/jser1")
    assert again.returncode == 1 and "already exists; refusing to overwrite" in again.stderr
    assert (existing / "run.sh").read_text() == "mine\n" and sorted(os.listdir(existing)) == ["run.sh"]
    elsewhere = setup(repo, str(tmp_path / "other" / "jser1"))
    assert elsewhere.returncode == 1 and "must be" in elsewhere.stderr and not (tmp_path / "other").exists()
    assert sorted(os.listdir(repo / "egs" / "mycorpus")) == ["jser1"]  # no temporary dir left


def test_template_configs_are_the_synth_recipe_configs():
    """The same configs, but for the epochs: the demo trains fewer to stay within its time budget."""
    for name in ("train_asr.yaml", "train_jser.yaml", "train_jser_ssl.yaml"):
        template = (TEMPLATE / "conf" / name).read_text()
        synth = ROOT / "egs" / "synth_emo" / "jser1" / "conf" / name
        a, b = yaml.safe_load(template), yaml.safe_load(synth.read_text())
        assert a["train"].pop("max_epochs") >= b["train"].pop("max_epochs"), name
        assert a == b, name
        assert "TUNE" in template


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_every_shell_script_passes_shellcheck():
    lint = subprocess.run(SHELLCHECK, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout + lint.stderr
