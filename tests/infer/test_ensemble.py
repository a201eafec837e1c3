"""`jsertk decode --model-dir A --model-dir B`: the models' posteriors averaged; class lists must agree."""
from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import make_data_dir
from jser_helpers import ACOUSTIC_ONLY, fbank_dir, write_jser_config
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.features.io import load_scp
from jsertk.train import run_training

pytestmark = pytest.mark.slow  # trains two tiny models


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_an_ensemble_averages_its_members_posteriors(tmp_path):
    data = make_data_dir(tmp_path / "data", speakers=("spkA", "spkB", "spkC"))
    feats = fbank_dir(data, tmp_path / "dump")
    exps = []
    for seed in (1, 2):
        cfg = write_jser_config(tmp_path / f"c{seed}.yaml", None, None, **ACOUSTIC_ONLY, seed=seed)
        run_training(cfg, [feats], [feats], tmp_path / f"exp{seed}")
        exps.append(tmp_path / f"exp{seed}")
    for k, exp in enumerate(exps):
        assert _run("decode", feats, "--model-dir", exp, "--outdir", tmp_path / f"dec{k}").exit_code == 0
    res = _run("decode", feats, "--model-dir", exps[0], "--model-dir", exps[1], "--outdir", tmp_path / "ens",
               "--ref", data)
    assert res.exit_code == 0, res.output
    posts = [load_scp(tmp_path / d / "emo_post.scp") for d in ("dec0", "dec1", "ens")]
    for utt in posts[2].keys():
        np.testing.assert_allclose(posts[2][utt], (posts[0][utt] + posts[1][utt]) / 2, atol=1e-6)
    assert json.loads((tmp_path / "ens" / "decode.json").read_text())["model_dir"] == [str(e) for e in exps]
    (exps[1] / "classes.txt").write_text("angry\nhappy\nsad\nneutral\n")  # another order
    res = _run("decode", feats, "--model-dir", exps[0], "--model-dir", exps[1], "--outdir", tmp_path / "bad")
    assert res.exit_code != 0 and "same classes" in str(res.exception)
