"""Speaker normalisation (frontend.normalize: speaker): each speaker's statistics over their own
utterances, carried by the batch, applied by the frontend (the global statistics when a batch has
none); decoding parts use the statistics of their whole dir; a model trains and decodes with it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from asr_helpers import make_feats_dir

from jsertk.data.problems import DataDirError
from jsertk.dataset.feats import FeatsDataset, collate
from jsertk.features.io import load_scp
from jsertk.infer.merge import split_for_decoding
from jsertk.models.frontend import Frontend
from jsertk.utils.errors import ConfigError


def _speaker_frames(d, spk):
    feats = load_scp(d / "feats.scp")
    utts = [line.split()[0] for line in (d / "utt2spk").read_text().splitlines() if line.split()[1] == spk]
    return np.concatenate([feats[u] for u in utts]).astype(np.float64)


def test_each_utterance_carries_its_speakers_statistics(tmp_path):
    d = make_feats_dir(tmp_path / "f", n_utts=9, speakers=("spkA", "spkB", "spkC"))
    ds = FeatsDataset([d], {}, label_root=None, speaker_stats=True)
    x = _speaker_frames(d, "spkB")
    item = ds[ds.utts.index("spkB-u001")]
    np.testing.assert_allclose(item["spk_stats"][0], x.mean(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(item["spk_stats"][1], np.sqrt(x.var(0) + 1e-5), rtol=1e-4)
    batch = collate([ds[0], ds[1]], [])
    assert batch["spk_mean"].shape == (2, 20) and batch["spk_std"].shape == (2, 20)
    assert "spk_stats" not in FeatsDataset([d], {}, label_root=None)[0]  # only when asked


def test_decoding_parts_use_the_statistics_of_the_whole_dir(tmp_path):
    d = make_feats_dir(tmp_path / "f", n_utts=12, speakers=("spkA", "spkB"))
    whole = FeatsDataset([d], {}, label_root=None, speaker_stats=True)
    parts = split_for_decoding(d, tmp_path / "split", 3, max_frames_per_batch=200)
    assert len(parts) > 1
    for part in parts:
        ds = FeatsDataset([part], {}, label_root=None, speaker_stats=True)
        for i, utt in enumerate(ds.utts):
            np.testing.assert_allclose(ds[i]["spk_stats"][0], whole[whole.utts.index(utt)]["spk_stats"][0], rtol=1e-6)


def test_a_dir_without_speakers_is_refused(tmp_path):
    d = make_feats_dir(tmp_path / "f", n_utts=4)
    (d / "utt2spk").unlink()
    with pytest.raises(DataDirError, match="utt2spk.*needs each utterance's speaker"):
        FeatsDataset([d], {}, label_root=None, speaker_stats=True)


def test_frontend_applies_speaker_statistics_and_falls_back_to_global():
    mean, std = np.full(4, 1.0, np.float32), np.full(4, 2.0, np.float32)
    front = Frontend(4, (mean, std), normalize="speaker").eval()
    x = torch.randn(2, 5, 4) * 3 + 7
    lens = torch.tensor([5, 3])
    spk_mean, spk_std = x.mean(1), x.std(1)
    y, _ = front(x, lens, (spk_mean, spk_std))
    torch.testing.assert_close(y[0], (x[0] - spk_mean[0]) / spk_std[0])
    assert y[1, 3:].abs().sum() == 0
    g, _ = front(x, lens)  # no speaker statistics (a single file): the global ones
    torch.testing.assert_close(g[0], (x[0] - 1.0) / 2.0)
    u, _ = Frontend(4, (mean, std), normalize="utterance").eval()(x, lens)
    torch.testing.assert_close(u[0].mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    with pytest.raises(ConfigError, match="frontend.normalize.*'speakers' is not one of global, speaker, utterance"):
        Frontend(4, normalize="speakers")


@pytest.mark.slow
def test_a_speaker_normalised_model_trains_and_decodes(tmp_path):
    import json

    from helpers import make_data_dir
    from jser_helpers import ACOUSTIC_ONLY, fbank_dir, write_jser_config
    from typer.testing import CliRunner

    from jsertk.cli.main import app
    from jsertk.train import run_training

    data = make_data_dir(tmp_path / "data", speakers=("spkA", "spkB", "spkC"))
    feats = fbank_dir(data, tmp_path / "dump")
    cfg = write_jser_config(tmp_path / "c.yaml", None, None, **ACOUSTIC_ONLY, frontend={"normalize": "speaker"})
    run_training(cfg, [feats], [feats], tmp_path / "exp")
    res = CliRunner().invoke(app, ["decode", str(feats), "--model-dir", str(tmp_path / "exp"), "--outdir",
                                   str(tmp_path / "dec"), "--ref", str(data)])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "dec" / "decode.json").read_text())["utterances"] == 9
