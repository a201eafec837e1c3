"""SER scores against hand-computed values; score-ser writes json, text and PNG."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from jsertk.metrics.ser import ccc, classification_scores, dimensional_scores

REF = {"u1": "ang", "u2": "ang", "u3": "ang", "u4": "ang", "u5": "sad", "u6": "sad", "u7": "neu", "u8": "neu"}
HYP = {"u1": "ang", "u2": "ang", "u3": "ang", "u4": "sad", "u5": "sad", "u6": "neu", "u7": "neu", "u9": "ang"}


def test_ua_wa_f1_by_hand():
    s = classification_scores(REF, HYP)
    # recalls: ang 3/4, neu 1/2 (u8 missing counts wrong), sad 1/2
    assert s["classes"] == ["ang", "neu", "sad"]
    assert s["UA"] == pytest.approx((0.75 + 0.5 + 0.5) / 3)
    assert s["WA"] == pytest.approx(5 / 8)
    assert s["per_class"]["ang"]["precision"] == pytest.approx(1.0)
    assert s["per_class"]["sad"]["precision"] == pytest.approx(0.5)
    f1 = {"ang": 2 * 0.75 / 1.75, "neu": 2 * 0.5 * 0.5 / 1.0, "sad": 0.5}
    assert s["macro_F1"] == pytest.approx(np.mean(list(f1.values())))
    assert s["weighted_F1"] == pytest.approx((4 * f1["ang"] + 2 * f1["neu"] + 2 * f1["sad"]) / 8)
    assert s["confusion"] == [[3, 0, 1], [0, 1, 0], [0, 1, 1]]
    assert s["missing_hypotheses"] == ["u8"] and s["ignored_hypotheses"] == 1


def test_class_list_orders_and_rejects_unknown_reference_classes():
    s = classification_scores(REF, HYP, ["neu", "ang", "sad", "hap"])
    assert s["classes"] == ["neu", "ang", "sad", "hap"] and s["per_class"]["hap"]["support"] == 0
    assert s["UA"] == pytest.approx((0.75 + 0.5 + 0.5) / 3)  # classes absent from the reference do not count
    with pytest.raises(ValueError, match="not in the class list"):
        classification_scores(REF, HYP, ["ang", "sad"])


def test_ccc():
    x = np.array([0.1, 0.4, 0.3, 0.9])
    assert ccc(x, x) == pytest.approx(1.0)
    assert ccc(x, x + 1.0) < 0.5  # a bias is penalised, unlike Pearson correlation
    assert ccc(x - x.mean(), x.mean() - x) == pytest.approx(-1.0)
    d = dimensional_scores({"a": (1, 2, 3), "b": (2, 3, 4), "c": (0, 0, 0)}, {"a": (1, 2, 3), "b": (2, 3, 4)})
    assert d["CCC_arousal"] == pytest.approx(1.0) and d["missing_hypotheses"] == ["c"]


def test_score_ser_cli(tmp_path):
    ref, hyp = tmp_path / "data", tmp_path / "decode"
    ref.mkdir()
    hyp.mkdir()
    (ref / "utt2emo").write_text("".join(f"{u} {c}\n" for u, c in sorted(REF.items())))
    (ref / "utt2dim").write_text("u1 0.1 0.2 0.3\nu2 0.5 0.1 0.9\nu3 0.2 0.2 0.2\n")
    (hyp / "hyp.emo").write_text("".join(f"{u} {c}\n" for u, c in sorted(HYP.items())))
    (hyp / "hyp.dim").write_text("u1 0.1 0.3 0.3\nu2 0.4 0.1 0.8\nu3 0.3 0.2 0.1\n")
    out = subprocess.run([sys.executable, "-m", "jsertk.cli.main", "score-ser", str(ref), str(hyp)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "UA 58.33%" in out.stdout and "WA 62.50%" in out.stdout and "unweighted average recall" in out.stdout
    scores = json.loads((hyp / "scores.json").read_text())
    assert scores["UA"] == pytest.approx(7 / 12) and "CCC_valence" in scores["dimensional"]
    assert (hyp / "confusion.png").read_bytes()[:4] == b"\x89PNG"


def test_score_ser_bad_hypothesis_line_is_named(tmp_path):
    (tmp_path / "ref").write_text("u1 ang\n")
    (tmp_path / "hyp").write_text("u1 ang sad\n")
    out = subprocess.run([sys.executable, "-m", "jsertk.cli.main", "score-ser", str(tmp_path / "ref"),
                          str(tmp_path / "hyp")], capture_output=True, text=True)
    assert out.returncode == 1 and f"{tmp_path / 'hyp'}:1: 'u1': expected one class name" in out.stderr
