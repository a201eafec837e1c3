"""Global CMVN statistics in Kaldi's format, and feats-info's checks."""
from __future__ import annotations

import subprocess
import sys

import kaldi_native_fbank as knf
import kaldiio
import numpy as np
import pytest

from jsertk.features.cmvn import (
    apply_cmvn,
    compute_stats,
    read_mean_std,
    read_stats,
    write_stats,
)
from jsertk.features.info import feats_info
from jsertk.features.io import ArkScpWriter


def _feats(tmp_path, mats, frames_file=True):
    with ArkScpWriter(tmp_path / "feats.ark", tmp_path / "feats.scp") as w:
        for key, m in mats.items():
            w.write(key, m)
    if frames_file:
        (tmp_path / "utt2num_frames").write_text("".join(f"{k} {len(m)}\n" for k, m in mats.items()))
    return tmp_path / "feats.scp"


def _random_mats(dim=5):
    rng = np.random.default_rng(1)
    return {f"u{i}": (rng.standard_normal((10 + 7 * i, dim)) * (i + 1) + i).astype(np.float32) for i in range(4)}


def test_stats_match_kaldi_layout_and_normalise(tmp_path):
    mats = _random_mats()
    scp = _feats(tmp_path, mats)
    stats = compute_stats(scp, progress=False)
    expected = sum(knf.compute_cmvn_stats(m) for m in mats.values())  # Kaldi's AccCmvnStats
    np.testing.assert_allclose(stats[:, :-1], expected[:, :-1], rtol=1e-9)
    assert stats[0, -1] == sum(len(m) for m in mats.values())
    write_stats(tmp_path / "cmvn.ark", stats)
    raw = (tmp_path / "cmvn.ark").read_bytes()
    assert raw.startswith(b"\x00BDM ")  # Kaldi binary double matrix, as compute-cmvn-stats writes
    np.testing.assert_array_equal(read_stats(tmp_path / "cmvn.ark"), stats)
    normed = np.concatenate([apply_cmvn(m, stats) for m in mats.values()])
    np.testing.assert_allclose(normed.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(normed.std(axis=0), 1, atol=1e-4)
    opts = knf.CmvnOptions()
    opts.norm_vars = True
    np.testing.assert_allclose(apply_cmvn(mats["u2"], stats), knf.apply_cmvn(stats, opts, mats["u2"]), atol=1e-5)


def test_nan_and_dimension_errors_name_the_utterance(tmp_path):
    mats = _random_mats()
    mats["u2"][3, 1] = np.nan
    with pytest.raises(ValueError, match="'u2' holds NaN or Inf"):
        compute_stats(_feats(tmp_path, mats), progress=False)
    mats = _random_mats()
    mats["u3"] = mats["u3"][:, :4]
    with pytest.raises(ValueError, match="'u3' has dimension 4"):
        compute_stats(_feats(tmp_path, mats), progress=False)


def test_feats_info_reports_and_flags_problems(tmp_path):
    mats = _random_mats()
    info = feats_info(_feats(tmp_path, mats))
    assert info["utterances"] == 4 and info["dim"] == 5 and info["problems"] == []
    assert info["frames"] == {"total": 10 + 17 + 24 + 31, "min": 10, "mean": 20.5, "max": 31}
    mats["u1"][0, 0] = np.inf
    scp = _feats(tmp_path, mats)
    (tmp_path / "utt2num_frames").write_text("u0 10\nu1 17\nu2 99\nu3 31\n")
    problems = feats_info(scp)["problems"]
    assert problems == ["'u1': 1 NaN/Inf values", "'u2': 24 frames, utt2num_frames says 99"]


def test_cli_cmvn_and_info(tmp_path):
    _feats(tmp_path, _random_mats())
    run = lambda *a: subprocess.run([sys.executable, "-m", "jsertk.cli.main", *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True)
    proc = run("compute-cmvn", tmp_path, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert read_stats(tmp_path / "cmvn.ark")[0, -1] == 82
    ok = run("feats-info", tmp_path)
    assert ok.returncode == 0 and "4 utterances, dim 5" in ok.stdout
    (tmp_path / "utt2num_frames").write_text("u0 11\n")
    bad = run("feats-info", tmp_path)
    assert bad.returncode == 1 and "'u0': 10 frames, utt2num_frames says 11" in bad.stdout


def _stats(x: np.ndarray) -> np.ndarray:
    return np.stack([np.append(x.sum(0), len(x)), np.append((x**2).sum(0), 0.0)])


def test_kaldi_cmvn_matrix_and_per_speaker_ark(tmp_path):
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 4))
    kaldiio.save_mat(str(tmp_path / "cmvn.ark"), _stats(x))
    mean, std = read_mean_std(tmp_path / "cmvn.ark")
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(std, x.std(0), rtol=1e-4)
    with kaldiio.WriteHelper(f"ark:{tmp_path / 'spk.ark'}") as w:  # per-speaker stats sum to global
        w("spk1", _stats(x[:200]))
        w("spk2", _stats(x[200:]))
    mean2, std2 = read_mean_std(tmp_path / "spk.ark")
    np.testing.assert_allclose(mean2, mean, rtol=1e-6)
    np.testing.assert_allclose(std2, std, rtol=1e-6)


def test_bad_cmvn_file_is_named(tmp_path):
    (tmp_path / "junk.ark").write_bytes(b"not a matrix")
    with pytest.raises(ValueError, match="junk.ark"):
        read_mean_std(tmp_path / "junk.ark")
    kaldiio.save_mat(str(tmp_path / "wrong.ark"), np.ones((3, 5)))
    with pytest.raises(ValueError, match="2 x \\(D\\+1\\)"):
        read_mean_std(tmp_path / "wrong.ark")
