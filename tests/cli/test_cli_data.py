"""The `jsertk` command line: help everywhere, version, and data commands end to end."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jsertk import __version__


def jsertk(*args, check=False):
    proc = subprocess.run([sys.executable, "-m", "jsertk.cli.main", *map(str, args)], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


def test_version_and_help():
    assert jsertk("--version").stdout.strip() == f"jsertk {__version__}"
    top = jsertk("--help")
    assert top.returncode == 0 and "data" in top.stdout


@pytest.mark.parametrize("cmd", ["validate", "fix", "split", "subset", "combine", "info"])
def test_every_data_command_has_help(cmd):
    out = jsertk("data", cmd, "--help")
    assert out.returncode == 0 and "Usage" in out.stdout


def test_validate_lists_every_problem_and_exits_1(data_dir):
    (data_dir / "spk2gender").write_text("spkA m\nspkB x\nspkC f\n")
    (data_dir / "utt2emo_conf").write_text("spkA-utt000 2\n")
    out = jsertk("data", "validate", data_dir)
    assert out.returncode == 1
    assert f"{data_dir}/spk2gender:2: 'spkB': gender must be 'm' or 'f'" in out.stderr
    assert f"{data_dir}/utt2emo_conf:1: 'spkA-utt000': confidence 2.0 is outside [0, 1]" in out.stderr
    assert "2 problems" in out.stderr


def test_fix_then_validate_then_split_and_info(data_dir, tmp_path):
    (data_dir / "spk2utt").unlink()
    assert jsertk("data", "validate", data_dir).returncode == 1
    fixed = jsertk("data", "fix", data_dir, check=True)
    assert "kept 9 of 9 utterances" in fixed.stdout
    assert jsertk("data", "validate", data_dir, check=True).stdout.strip() == f"{data_dir}: ok"
    assert "3 parts" in jsertk("data", "split", data_dir, 3, check=True).stdout
    info = json.loads(jsertk("data", "info", "--json", data_dir, check=True).stdout)
    assert info["utterances"] == 9
    assert "utt2emo: 9 utterances (100.0%)" in jsertk("data", "info", data_dir, check=True).stdout


def test_errors_are_clear_and_non_zero(data_dir, tmp_path):
    out = jsertk("data", "split", data_dir, 5)
    assert out.returncode == 1 and "cannot split 3 speakers into 5 parts" in out.stderr
    assert "Traceback" not in out.stderr
    out = jsertk("data", "info", tmp_path / "nothing")
    assert out.returncode == 1 and "not a directory" in out.stderr


def test_subset_and_combine(data_dir, tmp_path):
    jsertk("data", "subset", data_dir, tmp_path / "a", "--first", 2, check=True)
    jsertk("data", "subset", data_dir, tmp_path / "b", "--random", 3, "--seed", 1, check=True)
    out = jsertk("data", "combine", tmp_path / "ab", tmp_path / "a", tmp_path / "b", check=True)
    assert "utterances from 2 dirs" in out.stdout
