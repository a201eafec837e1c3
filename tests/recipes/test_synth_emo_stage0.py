"""The synth_emo recipe, stage 0 on a tiny corpus, and the option parsing every recipe uses."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from jsertk.data import validate

pytestmark = pytest.mark.xdist_group("synth_emo_stage0")  # the module fixture is built once, in one test worker

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "egs" / "synth_emo" / "jser1"
PARSE_OPTIONS = ROOT / "tools" / "utils" / "parse_options.sh"
SETS = ("train_labeled", "train_unlabeled", "asr_train", "dev", "test")


def run(args: list[str], cwd: Path = RECIPE) -> subprocess.CompletedProcess:
    env = {**os.environ, "cmd_backend": "local"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stage0(tmp_path_factory):
    datadir = tmp_path_factory.mktemp("recipe") / "data"
    args = ["./run.sh", "--stop-stage", "0", "--nj", "2", "--datadir", str(datadir),
            "--local-data-opts", "--size tiny"]
    first = run(args)
    return datadir, args, first


@pytest.mark.slow
def test_stage0_makes_valid_sets_and_marks_them_done(stage0):
    datadir, _, first = stage0
    assert first.returncode == 0, first.stderr
    for name in SETS:
        assert validate(datadir / name) == [], name
        assert (datadir / name / ".done.stage0").read_text() == "local/data.sh --size tiny\n"
    assert (datadir / "local" / "synth_emo" / "corpus.json").is_file()


@pytest.mark.slow
def test_rerun_skips_finished_stage(stage0):
    datadir, args, first = stage0
    assert first.returncode == 0, first.stderr
    wav = next((datadir / "local" / "synth_emo" / "wav").rglob("*.wav"))
    stamps = {name: (datadir / name / "wav.scp").stat().st_mtime_ns for name in SETS}
    again = run(args)
    assert again.returncode == 0, again.stderr
    assert "skipped" in again.stderr and "synth-corpus" not in again.stderr
    assert {name: (datadir / name / "wav.scp").stat().st_mtime_ns for name in SETS} == stamps
    assert wav.is_file()


@pytest.mark.slow
def test_other_corpus_options_into_the_same_dirs_are_refused(stage0):
    datadir, args, _ = stage0
    # Quoted values inside --local-data-opts reach jsertk synth-corpus as single words.
    other = run(args[:-1] + ['--size tiny --seed 9 --synth-opts "--lexical-fraction 0.2 --num-dev 4"'])
    assert other.returncode != 0
    assert "other options (seed 0 -> 9, counts" in other.stderr and "lexical_fraction 0.5 -> 0.2" in other.stderr
    assert validate(datadir / "dev") == [] and (datadir / "dev" / ".done.stage0").is_file()


def test_help_lists_every_option_with_value_and_comment():
    result = run(["./run.sh", "--help"])
    assert result.returncode == 0
    for option in ("--stage", "--stop-stage", "--nj", "--datadir", "--train-set", "--unlab-set", "--asr-train-set",
                   "--dev-set", "--test-sets", "--local-data-opts"):
        line = next((ln for ln in result.stdout.splitlines() if ln.strip().startswith(option + " ")), None)
        assert line is not None, option
        assert line.rstrip().endswith("]") and len(line.split()) > 2, line
    assert "--train-set" in result.stdout and "[train_labeled]" in result.stdout
    data_help = run(["local/data.sh", "--help"])
    assert data_help.returncode == 0 and "--size" in data_help.stdout and "[demo]" in data_help.stdout


@pytest.mark.parametrize("args, message", [
    (["--bogus", "1"], "unknown option --bogus"),
    (["--stage"], "option --stage needs a value"),
    (["--nj", "zero"], "--nj must be a positive integer"),
    (["--test-sets", ""], "--test-sets is required"),
    (["extra"], "unexpected argument 'extra'"),
])
def test_bad_options_fail_with_a_message(args, message, tmp_path):
    result = run(["./run.sh", "--stop-stage", "0", "--datadir", str(tmp_path / "data")] + args)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "data").exists()


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "script.sh"
    path.write_text(f"""#!/usr/bin/env bash
set -euo pipefail
help_message="Usage: script.sh [options] [args]"
stage=0            # first stage
test_sets="dev test"   # sets, space separated
flag=false         # a switch
. {PARSE_OPTIONS}
{body}
""")
    path.chmod(0o755)
    return path


def test_parse_options_forms_and_positional_rest(tmp_path):
    script = _script(tmp_path, 'echo "stage=$stage sets=$test_sets flag=$flag rest=$*"')
    out = run([str(script), "--stage=3", "--test_sets", "a b", "--flag", "true", "pos", "--not-parsed"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "stage=3 sets=a b flag=true rest=pos --not-parsed"


def test_parse_options_rejects_bad_booleans_and_undeclared_variables(tmp_path):
    script = _script(tmp_path, "echo ok")
    bad_bool = run([str(script), "--flag", "yes"], cwd=tmp_path)
    assert bad_bool.returncode == 1 and "takes true or false" in bad_bool.stderr
    for name in ("--PATH", "--help-message", "--path"):
        out = run([str(script), name, "x"], cwd=tmp_path)
        assert out.returncode == 1 and "unknown option" in out.stderr, name
    helped = run([str(script), "--stage", "4", "--help"], cwd=tmp_path)
    assert helped.returncode == 0
    assert helped.stdout.startswith("Usage: script.sh")
    assert "--stage" in helped.stdout and "first stage [4]" in helped.stdout
    assert "--test-sets" in helped.stdout and "[dev test]" in helped.stdout


def _source_cmd_sh(**env: str) -> subprocess.CompletedProcess:
    probe = f'. {RECIPE}/cmd.sh && echo "$train_cmd|$decode_cmd|$feats_cmd"'
    return subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env={**os.environ, **env})


def test_cmd_sh_selects_the_launcher_backend():
    local = _source_cmd_sh(cmd_backend="local")
    assert local.stdout.strip() == "|".join(["jsertk launch --backend local"] * 3)
    slurm = _source_cmd_sh(cmd_backend="slurm", cmd_max_jobs="8")
    assert slurm.stdout.strip().split("|")[0] == "jsertk launch --backend slurm --max-jobs 8"
    bad = _source_cmd_sh(cmd_backend="sge")
    assert bad.returncode != 0 and "must be local or slurm" in bad.stderr
