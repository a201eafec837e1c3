"""`jsertk score-folds` and `jsertk compare-systems` on decode dirs laid out as a fold recipe writes them."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from jsertk.cli.main import app
from jsertk.data.datadir import write_data_dir
from jsertk.infer.score_folds import compare_systems, format_comparison, score_folds
from jsertk.utils.errors import InputError

CLASSES = ["ang", "hap", "neu", "sad"]


def fold_decode(root, k, utts, ref, hyp):
    """exp/fold<k>/jser/decode_test with hyp.emo, classes.txt and a decode.json naming its test data dir."""
    data = write_data_dir(root / "data" / f"fold{k}" / "test", {
        "wav.scp": {u: f"/a/{u}.wav" for u in utts}, "utt2spk": {u: u.split("_")[0] for u in utts},
        "utt2emo": {u: ref[u] for u in utts}})
    dec = root / "exp" / f"fold{k}" / "jser" / "decode_test"
    dec.mkdir(parents=True)
    (dec / "hyp.emo").write_text("".join(f"{u} {hyp[u]}\n" for u in utts if u in hyp))
    (dec / "classes.txt").write_text("".join(f"{c}\n" for c in CLASSES))
    (dec / "decode.json").write_text(json.dumps({"data": str(data.path)}))
    return dec


@pytest.fixture
def folds(tmp_path):
    ref, hyp, decs = {}, {}, []
    for k in (1, 2, 3):
        utts = [f"spk{k}_{i:02d}" for i in range(20)]
        for i, u in enumerate(utts):
            ref[u] = CLASSES[i % 4]
            hyp[u] = ref[u] if i < 5 * k + 2 else CLASSES[(i + 1) % 4]  # fold k: 5k+2 of 20 right
        decs.append(fold_decode(tmp_path, k, utts, ref, hyp))
    return tmp_path, decs, ref, hyp


def test_per_fold_mean_std_and_pooled_scores(folds):
    root, decs, ref, hyp = folds
    r = score_folds(decs, root / "results", num_bootstrap=200, title="toy")
    was = [f["WA"] for f in r["folds"]]
    assert [f["name"] for f in r["folds"]] == ["fold1", "fold2", "fold3"]
    assert was == pytest.approx([7 / 20, 12 / 20, 17 / 20])
    assert r["mean"]["WA"] == pytest.approx(0.6) and r["std"]["WA"] == pytest.approx(0.25)  # sample std
    assert r["pooled"]["WA"] == pytest.approx(36 / 60) and r["pooled"]["utterances"] == 60
    lo, hi = r["pooled"]["ci95"]["UA"]
    assert lo < r["pooled"]["UA"] < hi
    md = (root / "results" / "RESULTS.md").read_text()
    assert "# toy" in md and "| fold2 | 20 |" in md and "60.0 ± 25.0" in md
    for name in ("scores.json", "scores.txt", "confusion.png", "hyp.emo", "ref.emo"):
        assert (root / "results" / "pooled" / name).is_file()


def test_a_missing_hypothesis_counts_wrong_and_a_shared_test_utterance_is_refused(folds):
    root, decs, ref, hyp = folds
    lines = (decs[0] / "hyp.emo").read_text().splitlines(keepends=True)
    (decs[0] / "hyp.emo").write_text("".join(lines[1:]))  # spk1_00 (right before) not decoded
    r = score_folds(decs, root / "r2", num_bootstrap=50)
    assert r["folds"][0]["WA"] == pytest.approx(6 / 20)
    with pytest.raises(InputError, match="utterance 'spk1_00' is tested in both"):
        score_folds([decs[0], decs[0]], root / "r3", num_bootstrap=10)


def test_compare_systems_finds_the_better_one(folds, tmp_path):
    root, decs, ref, hyp = folds
    score_folds(decs, root / "a", num_bootstrap=10)
    worse = {u: CLASSES[(CLASSES.index(v) + 1) % 4] if u.endswith(("3", "4", "5")) else v for u, v in hyp.items()}
    decs_b = [fold_decode(root / "b", k, [u for u in ref if u.startswith(f"spk{k}")], ref, worse) for k in (1, 2, 3)]
    score_folds(decs_b, root / "b" / "results", num_bootstrap=10)
    c = compare_systems(root / "a", root / "b" / "results", num_bootstrap=300)
    assert c["utterances"] == 60 and c["paired_bootstrap"]["WA"]["diff"] > 0
    assert c["mcnemar"]["a_only"] > 0 and c["mcnemar"]["b_only"] == 0
    res = CliRunner().invoke(app, ["compare-systems", str(root / "a"), str(root / "a"), "--bootstrap", "50"])
    assert res.exit_code == 0 and "exact p = 1.000" in res.output


def test_systems_on_different_utterances_are_not_compared(folds):
    root, decs, ref, hyp = folds
    score_folds(decs, root / "a", num_bootstrap=10)
    score_folds(decs[:2], root / "b", num_bootstrap=10)
    with pytest.raises(InputError, match="not scored on the same utterances: 20 differ"):
        compare_systems(root / "a", root / "b")


def test_cli_score_folds_with_one_corpus_ref_and_speaker_bootstrap(folds):
    root, decs, ref, hyp = folds
    corpus = write_data_dir(root / "corpus", {"wav.scp": {u: "/a.wav" for u in ref},
                                              "utt2spk": {u: u.split("_")[0] for u in ref}, "utt2emo": ref})
    res = CliRunner().invoke(app, ["score-folds", *map(str, decs), "--out", str(root / "r"), "--ref",
                                   str(corpus.path), "--bootstrap", "100", "--bootstrap-unit", "speaker"])
    assert res.exit_code == 0, res.output
    assert "mean ± std over folds" in res.output
    assert json.loads((root / "r" / "results.json").read_text())["bootstrap"]["unit"] == "speaker"


def test_an_undecoded_utterance_counts_wrong_in_the_comparison_as_in_score_folds(folds):
    root, decs, ref, hyp = folds
    a = score_folds(decs, root / "a", num_bootstrap=10)
    lines = (decs[2] / "hyp.emo").read_text().splitlines(keepends=True)
    (decs[2] / "hyp.emo").write_text("".join(lines[1:]))  # spk3_00, right before, now not decoded in B
    b = score_folds(decs, root / "b", num_bootstrap=10)
    c = compare_systems(root / "a", root / "b", num_bootstrap=100)
    assert c["utterances"] == 60
    assert c["paired_bootstrap"]["WA"]["a"] == pytest.approx(a["pooled"]["WA"])
    assert c["paired_bootstrap"]["WA"]["b"] == pytest.approx(b["pooled"]["WA"])
    assert c["mcnemar"] == {"a_only": 1, "b_only": 0, "p": 1.0}


def test_repeated_runs_pool_every_run_and_resample_an_utterance_with_its_runs(folds):
    root, decs, ref, hyp = folds
    better = {u: ref[u] if u.endswith(("7", "8")) else v for u, v in hyp.items()}
    decs_2 = [fold_decode(root / "run2", k, [u for u in ref if u.startswith(f"spk{k}")], ref, better)
              for k in (1, 2, 3)]
    r = score_folds(decs + decs_2, root / "rep", num_bootstrap=200, repeats=2)
    one = score_folds(decs, root / "one", num_bootstrap=10)
    two = score_folds(decs_2, root / "two", num_bootstrap=10)
    assert len(r["folds"]) == 6 and r["folds"][3]["name"] == "r2-fold1" and r["pooled"]["utterances"] == 120
    assert r["pooled"]["WA"] == pytest.approx((one["pooled"]["WA"] + two["pooled"]["WA"]) / 2)
    assert r["run_mean"]["WA"] == pytest.approx([one["mean"]["WA"], two["mean"]["WA"]])
    items = (root / "rep" / "pooled" / "item2utt").read_text().splitlines()
    assert "r2-spk3_07 spk3_07" in items and len(items) == 120
    assert "2 runs of 3 folds" in (root / "rep" / "RESULTS.md").read_text()
    # a one-run system is the same in every run; the pairs are (run, utterance) items
    c = compare_systems(root / "rep", root / "one", num_bootstrap=200)
    assert c["utterances"] == 120 and c["runs"] == 2
    assert c["paired_bootstrap"]["WA"]["diff"] == pytest.approx(r["pooled"]["WA"] - one["pooled"]["WA"])
    # an utterance is resampled with all its runs: two identical runs give one run's interval, not
    # the narrower one of 120 independent items
    same = score_folds(decs + decs, root / "same", num_bootstrap=200, repeats=2)
    single = score_folds(decs, root / "single", num_bootstrap=200)
    assert same["pooled"]["ci95"] == pytest.approx(single["pooled"]["ci95"])


def test_repeats_must_divide_the_decode_dirs_and_a_run_must_not_test_an_utterance_twice(folds):
    root, decs, ref, hyp = folds
    with pytest.raises(InputError, match="--repeats 2: 3 decode dirs are not 2 runs"):
        score_folds(decs, root / "r", num_bootstrap=10, repeats=2)
    with pytest.raises(InputError, match="utterance 'spk1_00' is tested in both .* the folds of run 1"):
        score_folds([decs[0], decs[0], decs[1], decs[2]], root / "r", num_bootstrap=10, repeats=2)
    score_folds(decs + decs, root / "rep", num_bootstrap=10, repeats=2)
    score_folds(decs[:2] + decs[:2], root / "rep_b", num_bootstrap=10, repeats=2)
    with pytest.raises(InputError, match="repeated cross-validations of different runs"):
        compare_systems(root / "rep", root / "rep_b")


def test_repeated_runs_must_test_the_same_utterances_and_get_no_mcnemar(folds):
    root, decs, ref, hyp = folds
    other = [f"spk4_{i:02d}" for i in range(20)]
    fold4 = fold_decode(root / "other", 4, other, {u: "ang" for u in other}, {u: "ang" for u in other})
    with pytest.raises(InputError, match="run 2 .* does not test the utterances of run 1: 40 differ"):
        score_folds(decs + [decs[0], decs[1], fold4], root / "r", num_bootstrap=10, repeats=2)
    score_folds(decs + decs, root / "rep", num_bootstrap=10, repeats=2)
    score_folds(decs[:2], root / "two_folds", num_bootstrap=10)
    with pytest.raises(InputError, match="not scored on the same utterances: 20 differ"):
        compare_systems(root / "rep", root / "two_folds")  # a one-run system of other utterances
    c = compare_systems(root / "rep", root / "rep", num_bootstrap=20)
    assert c["mcnemar"] is None and "McNemar: not for repeated runs" in format_comparison(c)


def test_speaker_bootstrap_of_repeated_runs_and_a_rescoring_leaves_no_stale_files(folds):
    root, decs, ref, hyp = folds
    r = score_folds(decs + decs, root / "rep", num_bootstrap=100, unit="speaker", repeats=2)
    single = score_folds(decs, root / "single", num_bootstrap=100, unit="speaker")
    assert r["pooled"]["ci95"] == pytest.approx(single["pooled"]["ci95"])  # a speaker with all its runs
    assert (root / "rep" / "pooled" / "item2utt").is_file()
    again = score_folds(decs, root / "rep", num_bootstrap=10)
    assert not (root / "rep" / "pooled" / "item2utt").exists() and "repeats" not in again


def test_paired_t_over_folds_and_over_runs(folds):
    root, decs, ref, hyp = folds
    one = score_folds(decs, root / "one", num_bootstrap=10)
    better = {u: ref[u] if u.endswith(("7", "8")) else v for u, v in hyp.items()}
    decs_2 = [fold_decode(root / "run2", k, [u for u in ref if u.startswith(f"spk{k}")], ref, better)
              for k in (1, 2, 3)]
    rep = score_folds(decs + decs_2, root / "rep", num_bootstrap=10, repeats=2)
    c = compare_systems(root / "rep", root / "one", num_bootstrap=10)
    # over folds: each fold's UA averaged over its two runs, minus the one-run system's
    gains = [(rep["folds"][k]["UA"] + rep["folds"][k + 3]["UA"]) / 2 - one["folds"][k]["UA"] for k in range(3)]
    fold_t = c["paired_t_UA"]["fold"]
    assert fold_t["n"] == 3 and fold_t["mean"] == pytest.approx(sum(gains) / 3)
    # over runs: run 1 is the one-run system itself, run 2 gains
    run_t = c["paired_t_UA"]["run"]
    two = score_folds(decs_2, root / "two", num_bootstrap=10)
    assert run_t["n"] == 2 and run_t["mean"] == pytest.approx((two["pooled"]["UA"] - one["pooled"]["UA"]) / 2)
    text = format_comparison(c)
    assert "Paired t over the 3 folds" in text and "Paired t over the 2 runs" in text
    # one-run systems: no runs to test over; other folds: no fold test
    assert compare_systems(root / "one", root / "two", num_bootstrap=10)["paired_t_UA"]["run"] is None
    score_folds(decs[:2], root / "two_folds", num_bootstrap=10)
    score_folds(decs_2[:2], root / "two_folds_b", num_bootstrap=10)
    assert compare_systems(root / "two_folds", root / "two_folds_b", num_bootstrap=10)["paired_t_UA"]["fold"]["n"] == 2
    assert compare_systems(decs[0], decs_2[0], ref=root / "data" / "fold1" / "test",
                           num_bootstrap=10)["paired_t_UA"] == {"fold": None, "run": None}
