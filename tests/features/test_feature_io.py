"""ark/scp writing is atomic: a failed or killed writer leaves no scp behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from jsertk.features.io import ArkScpWriter, load_scp, read_scp


def test_round_trip(tmp_path):
    mats = {f"utt{i}": np.random.default_rng(i).standard_normal((5 + i, 8)).astype(np.float32) for i in range(4)}
    with ArkScpWriter(tmp_path / "feats.ark", tmp_path / "feats.scp") as w:
        for k, m in mats.items():
            w.write(k, m)
    got = dict(read_scp(tmp_path / "feats.scp"))
    assert list(got) == list(mats)
    for k in mats:
        np.testing.assert_array_equal(got[k], mats[k])
    np.testing.assert_array_equal(load_scp(tmp_path / "feats.scp")["utt2"], mats["utt2"])


def test_error_leaves_nothing_and_keeps_the_old_scp(tmp_path):
    with ArkScpWriter(tmp_path / "feats.ark", tmp_path / "feats.scp") as w:
        w.write("old", np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="written twice"):
        with ArkScpWriter(tmp_path / "feats.ark", tmp_path / "feats.scp") as w:
            w.write("a", np.zeros((2, 3), np.float32))
            w.write("a", np.zeros((2, 3), np.float32))
    assert sorted(os.listdir(tmp_path)) == ["feats.ark", "feats.scp"]
    assert [k for k, _ in read_scp(tmp_path / "feats.scp")] == ["old"]


def test_killed_writer_leaves_no_scp(tmp_path):
    code = (
        "import time, numpy as np\n"
        "from jsertk.features.io import ArkScpWriter\n"
        f"w = ArkScpWriter(r'{tmp_path}/feats.ark', r'{tmp_path}/feats.scp')\n"
        "w.write('a', np.zeros((100, 80), np.float32))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "feats.scp").exists() and not (tmp_path / "feats.ark").exists()


def test_keys_with_spaces_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="whitespace"):
        with ArkScpWriter(tmp_path / "f.ark", tmp_path / "f.scp") as w:
            w.write("a b", np.zeros((1, 1), np.float32))
