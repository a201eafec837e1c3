"""`jsertk fuse-posteriors`: test-time augmentation (an utterance and its speed-perturbed copies) and
system fusion average every posterior vector once; bad inputs are named and nothing is written."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.features.io import ArkScpWriter, load_scp
from jsertk.infer.fuse import fuse_decode_dirs, original_of
from jsertk.utils.errors import InputError

CLASSES = ["ang", "hap", "neu"]


def _data(root, labels):
    root.mkdir(parents=True)
    (root / "utt2spk").write_text("".join(f"{u} {u.split('_')[0]}\n" for u in sorted(labels)))
    (root / "utt2emo").write_text("".join(f"{u} {e}\n" for u, e in sorted(labels.items())))
    return root


def _decode(root, posteriors, classes=CLASSES):
    root.mkdir(parents=True)
    with ArkScpWriter(root / "emo_post.ark", root / "emo_post.scp") as w:
        for utt, p in posteriors.items():
            w.write(utt, np.asarray(p, dtype=np.float32))
    (root / "classes.txt").write_text("".join(f"{c}\n" for c in classes))
    return root


def test_copies_count_towards_their_original_and_every_vector_counts_once(tmp_path):
    data = _data(tmp_path / "test", {"s1_a": "ang", "s1_b": "hap"})
    plain = _decode(tmp_path / "plain", {"s1_a": [0.4, 0.5, 0.1], "s1_b": [0.1, 0.8, 0.1]})
    # one dir with both factors' copies: s1_a's two copies say ang, outvoting the original
    copies = _decode(tmp_path / "sp", {"sp0.9-s1_a": [0.9, 0.05, 0.05], "sp1.1-s1_a": [0.8, 0.1, 0.1],
                                       "sp0.9-s1_b": [0.1, 0.7, 0.2], "sp1.1-s1_b": [0.2, 0.6, 0.2]})
    res = CliRunner().invoke(app, ["fuse-posteriors", str(tmp_path / "tta"), str(plain), str(copies),
                                   "--data", str(data), "--ref", str(data)])
    assert res.exit_code == 0, res.output
    post = load_scp(tmp_path / "tta" / "emo_post.scp")
    np.testing.assert_allclose(post["s1_a"], [0.7, 0.2166667, 0.0833333], atol=1e-6)
    np.testing.assert_allclose(post["s1_b"], [0.1333333, 0.7, 0.1666667], atol=1e-6)
    assert (tmp_path / "tta" / "hyp.emo").read_text() == "s1_a ang\ns1_b hap\n"
    decode = json.loads((tmp_path / "tta" / "decode.json").read_text())
    assert decode["data"] == str(data) and decode["vectors_per_utterance"] == 3
    assert json.loads((tmp_path / "tta" / "summary.json").read_text())["UA"] == 1.0


def test_an_utterance_id_with_dashes_maps_to_the_longest_known_suffix():
    known = {"spk-1-u1", "u1"}
    assert original_of("sp0.9-spk-1-u1", known) == "spk-1-u1"
    assert original_of("spk-1-u1", known) == "spk-1-u1"
    assert original_of("noise1-u1", known) == "u1"
    assert original_of("sp0.9-u2", known) is None


@pytest.mark.parametrize("case, message", [
    ("missing", "no posteriors for 1 utterances"),
    ("stranger", "'sp0.9-s9_z' is neither an utterance"),
    ("classes", "over the same classes"),
    ("width", "has 2 posteriors for 3 classes"),
])
def test_bad_decodes_are_named_and_nothing_is_written(tmp_path, case, message):
    data = _data(tmp_path / "test", {"s1_a": "ang", "s1_b": "hap"})
    good = _decode(tmp_path / "good", {"s1_a": [0.4, 0.5, 0.1], "s1_b": [0.1, 0.8, 0.1]})
    other = {"missing": ({"s1_a": [1, 0, 0]}, CLASSES),
             "stranger": ({"s1_a": [1, 0, 0], "s1_b": [0, 1, 0], "sp0.9-s9_z": [0, 1, 0]}, CLASSES),
             "classes": ({"s1_a": [1, 0, 0], "s1_b": [0, 1, 0]}, ["hap", "ang", "neu"]),
             "width": ({"s1_a": [1, 0], "s1_b": [0, 1]}, CLASSES)}[case]
    bad = _decode(tmp_path / "bad", *other)
    with pytest.raises(InputError, match=message) as err:
        fuse_decode_dirs(tmp_path / "out", [good, bad], data)
    assert str(bad) in str(err.value)
    assert not (tmp_path / "out").exists()
