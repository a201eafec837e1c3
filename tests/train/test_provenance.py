"""Every experiment dir says where it came from: the command line, versions, git revision, host."""
from __future__ import annotations

import json
import socket

from helpers import make_data_dir
from jser_helpers import ACOUSTIC_ONLY, fbank_dir, write_jser_config

from jsertk.train import run_training
from jsertk.utils.provenance import collect, record


def test_collect_names_the_run():
    p = collect()
    assert p["host"] == socket.gethostname() and p["python"] and "torch" in p["packages"]
    assert p["git"] is None or (len(p["git"]["revision"]) == 40 and isinstance(p["git"]["dirty"], bool))


def test_each_run_is_appended_and_training_records_one(tmp_path):
    record(tmp_path)
    record(tmp_path)
    assert len(json.loads((tmp_path / "provenance.json").read_text())["runs"]) == 2
    (tmp_path / "provenance.json").write_text("{not json")
    record(tmp_path)  # a damaged file is replaced
    assert len(json.loads((tmp_path / "provenance.json").read_text())["runs"]) == 1
    data = make_data_dir(tmp_path / "data", speakers=("spkA", "spkB"))
    feats = fbank_dir(data, tmp_path / "dump")
    run_training(write_jser_config(tmp_path / "c.yaml", None, None, **ACOUSTIC_ONLY), [feats], [feats],
                 tmp_path / "exp")
    runs = json.loads((tmp_path / "exp" / "provenance.json").read_text())["runs"]
    assert len(runs) == 1 and runs[0]["cwd"] and "jsertk" in runs[0]["packages"]
    assert runs[0]["config"]["model"] == "jser" and runs[0]["config"]["input_dim"] == 20  # the resolved config


def test_decode_pack_and_pseudolabel_dirs_record_their_runs(tmp_path):
    from typer.testing import CliRunner

    from jsertk.cli.main import app
    from jsertk.infer.pack import verify

    data = make_data_dir(tmp_path / "data", speakers=("spkA", "spkB"))
    feats = fbank_dir(data, tmp_path / "dump")
    exp = tmp_path / "exp"
    run_training(write_jser_config(tmp_path / "c.yaml", None, None, **ACOUSTIC_ONLY), [feats], [feats], exp)
    runs = {}
    for name, args in {"dec": ["decode", feats, "--model-dir", exp, "--outdir", tmp_path / "dec"],
                       "packed": ["pack", exp, "--out", tmp_path / "packed", "--fbank-config", feats / "fbank.yaml"],
                       "pl": ["pseudolabel", "--model", exp, "--data", feats, "--labels-from", data, "--out",
                              tmp_path / "pl", "--threshold", 0.0, "--agreement", "any", "--no-balance"]}.items():
        res = CliRunner().invoke(app, [str(a) for a in args])
        assert res.exit_code == 0, res.output
        runs[name] = json.loads((tmp_path / name / "provenance.json").read_text())["runs"]
        assert len(runs[name]) == 1 and runs[name][0]["command"] and runs[name][0]["host"] == socket.gethostname()
    assert runs["packed"][0]["config"]["model"] == "jser"
    verify(tmp_path / "packed")  # the record is part of the checksummed pack
