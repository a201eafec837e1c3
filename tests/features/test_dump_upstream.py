"""`jsertk dump-upstream`: the stored states equal the upstream run on the fly, jobs merge like
fbank's, other rates are resampled, bad audio is named, and dumped features are tied to their upstream."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from helpers import make_data_dir, write_tone
from typer.testing import CliRunner
from upstream_helpers import make_upstream

from jsertk.cli.main import app
from jsertk.features.io import load_scp
from jsertk.tasks.upstream import check_dumped_features, load_upstream
from jsertk.utils.errors import ConfigError

pytest.importorskip("transformers")


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _message(res) -> str:
    return res.output + str(res.exception or "")


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    return make_upstream(tmp_path_factory.mktemp("up") / "whisper", "whisper")


def _on_the_fly(folder, wav_path, mode="crop"):
    import soundfile as sf

    up = load_upstream(folder, whisper_input=mode).eval()
    x, _ = sf.read(wav_path, dtype="float32")
    with torch.no_grad():
        states, lens = up(torch.from_numpy(x)[None], torch.tensor([x.size]))
    return states[0, : int(lens[0])].reshape(int(lens[0]), -1).numpy()


def test_dumped_states_equal_the_upstream_on_the_fly(tmp_path, whisper):
    data = make_data_dir(tmp_path / "data", speakers=("spkA", "spkB"), utts_per_spk=2, seconds=0.7)
    res = _run("dump-upstream", data, tmp_path / "dump", "--upstream", whisper, "--no-progress")
    assert res.exit_code == 0, res.output
    ident = yaml.safe_load((tmp_path / "dump" / "upstream.yaml").read_text())
    assert ident["model_type"] == "whisper" and ident["num_states"] == 3 and ident["dim"] == 32
    assert ident["whisper_input"] == "crop" and len(ident["digest"]) == 64
    feats = load_scp(tmp_path / "dump" / "feats.scp")
    wav = dict(line.split() for line in (data / "wav.scp").read_text().splitlines())
    for utt in ("spkA-utt000", "spkB-utt001"):
        got = feats[utt]
        assert got.dtype == np.float16 and got.shape == (35, 96)  # 0.7 s at 50 frames/s, 3 states of 32
        np.testing.assert_allclose(got.astype(np.float32), _on_the_fly(whisper, wav[utt]), atol=2e-2, rtol=2e-3)
    frames = dict(line.split() for line in (tmp_path / "dump" / "utt2num_frames").read_text().splitlines())
    assert frames["spkA-utt000"] == "35"
    # two jobs, merged, give the same features
    assert _run("data", "split", data, "2").exit_code == 0
    for job in (1, 2):
        res = _run("dump-upstream", data, tmp_path / "dump2", "--upstream", whisper, "--job", job, "--nj", 2,
                   "--no-progress")
        assert res.exit_code == 0, res.output
    assert _run("merge-feats", data, tmp_path / "dump2", "--nj", 2).exit_code == 0
    two = load_scp(tmp_path / "dump2" / "feats.scp")
    assert sorted(two.keys()) == sorted(feats.keys())
    np.testing.assert_array_equal(two["spkB-utt001"], feats["spkB-utt001"])
    assert (tmp_path / "dump2" / "upstream.yaml").read_text() == (tmp_path / "dump" / "upstream.yaml").read_text()


def test_other_rates_are_resampled_and_bad_audio_is_named(tmp_path, whisper, caplog):
    data = make_data_dir(tmp_path / "data", speakers=("spkA",), utts_per_spk=3, seconds=0.5)
    write_tone(data / "wav" / "spkA-utt000.wav", 0.5, sr=8000)  # 8 kHz: resampled
    write_tone(data / "wav" / "spkA-utt002.wav", 0.5, sr=8000)
    with caplog.at_level("INFO", logger="jsertk.features"):
        res = _run("dump-upstream", data, tmp_path / "dump", "--upstream", whisper, "--no-progress")
    assert res.exit_code == 0, res.output
    assert caplog.text.count("resampling 8000 Hz audio to 16000 Hz") == 1  # logged once
    assert load_scp(tmp_path / "dump" / "feats.scp")["spkA-utt000"].shape == (25, 96)
    (data / "wav" / "spkA-utt001.wav").write_bytes(b"not audio at all")
    res = _run("dump-upstream", data, tmp_path / "bad", "--upstream", whisper, "--no-progress")
    assert res.exit_code != 0
    assert "spkA-utt001" in _message(res) and not (tmp_path / "bad" / "feats.scp").exists()
    res = _run("dump-upstream", data, tmp_path / "nope", "--upstream", tmp_path / "no-model", "--no-progress")
    assert res.exit_code != 0 and "not a folder" in _message(res)


def test_features_of_another_upstream_or_fbank_are_refused(tmp_path, whisper):
    other = make_upstream(tmp_path / "other", "whisper", seed=1)
    data = make_data_dir(tmp_path / "data", speakers=("spkA",), utts_per_spk=1)
    assert _run("dump-upstream", data, tmp_path / "dump", "--upstream", whisper, "--no-progress").exit_code == 0
    conf = {"path": str(whisper), "whisper_input": "crop"}
    check_dumped_features([tmp_path / "dump"], conf)  # the same upstream: accepted
    with pytest.raises(ConfigError, match=f"from the upstream {whisper}.*but the config names {other}"):
        check_dumped_features([tmp_path / "dump"], {**conf, "path": str(other)})
    with pytest.raises(ConfigError, match="whisper_input crop.*whisper_input pad"):
        check_dumped_features([tmp_path / "dump"], {**conf, "whisper_input": "pad"})
    (tmp_path / "fbank").mkdir()
    with pytest.raises(ConfigError, match="holds no upstream features"):
        check_dumped_features([tmp_path / "fbank"], conf)
