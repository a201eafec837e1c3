"""The cross-validated emotion recipes end to end with tiny models: on fixture trees in the layouts
of RAVDESS, CREMA-D, IEMOCAP (joint model), MELD and a manifest, and on the real EmoDB and URDU
under ../shared/corpora (skipped when absent). Each runs data preparation, features, folds,
training, decoding and scoring for some folds, then aggregates them; a rerun skips what is done."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from corpora_fixtures import cremad_tree, emodb_subset, iemocap_tree, librispeech_tree, meld_tree, ravdess_tree
from helpers import SHARED, write_tone

from jsertk.data.datadir import DataDir
from jsertk.features.io import load_scp

pytestmark = pytest.mark.slow  # trains models

EGS = Path(__file__).resolve().parents[2] / "egs"
# the TDNN of conf/train_ser_tdnn.yaml at a quarter of its width, one epoch: the recipe runs, not the model
TINY_TDNN = "--set train.max_epochs=1 --set encoder_conf.channels=32 --set encoder_conf.output_size=32"
TINY = ("--set train.max_epochs=1 --set encoder_conf.output_size=32 --set encoder_conf.num_blocks=1 "
        "--set encoder_conf.linear_units=64 --set encoder_conf.attention_heads=2 --set heads.hidden=16")
TINY_ASR = ("--set encoder_conf.num_blocks=1 --set encoder_conf.output_size=32 --set encoder_conf.linear_units=64 "
            "--set encoder_conf.attention_heads=2 --set decoder_conf.num_blocks=1 --set decoder_conf.linear_units=64 "
            "--set decoder_conf.attention_heads=2 --set train.max_epochs=1")
TINY_JOINT = TINY + " --set lexical.dim=16 --set fusion.dim=16"
# EmoDB's run.sh defaults to fbank + pitch, four speed factors and three seeds: these turn them off
PLAIN_FBANK = ("--fbank-opts", "", "--speed-perturb-factors", "", "--nseeds", "1")


def run_recipe(recipe: str, root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    cmd = ["./run.sh", "--nj", "2", "--datadir", str(root / "data"), "--dumpdir", str(root / "dump"),
           "--expdir", str(root / "exp"), *args]
    env = {**os.environ, "cmd_backend": "local", "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, cwd=EGS / recipe / "jser1", env=env, capture_output=True, text=True, timeout=timeout)


def check_results(root: Path, corpus: str, folds: list[str], name: str = "ser", features: str = "fbank"):
    fold_root = root / "dump" / features / corpus / "folds"
    for k in folds:
        spk = {p: set(DataDir(fold_root / k / p).spk2utt()) for p in ("train", "dev", "test")}
        assert not (spk["test"] & (spk["train"] | spk["dev"])) and not spk["train"] & spk["dev"]
    every = len(folds) == len(json.loads((fold_root / "folds.json").read_text())["folds"])
    results = root / "exp" / (f"{name}_folds" if every else f"{name}_folds_" + "_".join(k[4:] for k in folds))
    r = json.loads((results / "results.json").read_text())
    assert [f["name"] for f in r["folds"]] == folds
    assert 0 <= r["pooled"]["ci95"]["UA"][0] <= r["pooled"]["UA"] <= r["pooled"]["ci95"]["UA"][1] <= 1
    assert (results / "RESULTS.md").is_file() and (results / "pooled" / "confusion.png").is_file()
    return r


FIXTURES = {
    "ravdess": (lambda p: ravdess_tree(p, actors=tuple(range(1, 13)), sr=48000), ["fold1", "fold2"], "ser", ()),
    "cremad": (lambda p: cremad_tree(p), ["fold1", "fold2"], "ser", ("--baselines", "egemaps egemaps+spk")),
    "iemocap": (lambda p: iemocap_tree(p), ["fold1", "fold2"], "ser_joint",
                ("--token-type", "char", "--asr-args", TINY_ASR)),
}


@pytest.mark.parametrize("recipe", sorted(FIXTURES))
def test_recipe_on_its_fixture_tree(recipe, tmp_path):
    build, folds, name, extra = FIXTURES[recipe]
    tree = build(tmp_path / "corpus")
    ser_args = TINY_JOINT if name == "ser_joint" else TINY
    args = ["--corpus-root", str(tree), "--folds", " ".join(k[4:] for k in folds), "--ser-args", ser_args, *extra]
    first = run_recipe(recipe, tmp_path, *args)
    assert first.returncode == 0, first.stderr[-4000:]
    check_results(tmp_path, recipe, folds, name)
    if "--baselines" in extra:  # stage 8: the baselines on the same folds, in one table with the model
        for b in ("baseline_egemaps", "baseline_egemaps_spknorm"):
            r = json.loads((tmp_path / "exp" / f"{b}_folds_1_2" / "results.json").read_text())
            assert [f["name"] for f in r["folds"]] == folds
        table = (tmp_path / "exp" / "RESULTS_1_2.md").read_text()
        assert "| ser_folds_1_2 |" in table and "| baseline_egemaps_spknorm_folds_1_2 |" in table and "(p " in table
    again = run_recipe(recipe, tmp_path, *args, "--stop-stage", "5")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "training" not in again.stderr and "skipped" in again.stderr


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed: MELD's audio is read from mp4")
def test_meld_recipe_on_its_fixture_tree(tmp_path):
    tree = meld_tree(tmp_path / "MELD.Raw")
    res = run_recipe("meld", tmp_path, "--corpus-root", str(tree), "--token-type", "char", "--asr-args", TINY_ASR,
                     "--ser-args", TINY_JOINT + " --set heads.dimensional=0")
    assert res.returncode == 0, res.stderr[-4000:]
    r = json.loads((tmp_path / "exp" / "ser_joint_folds" / "results.json").read_text())
    assert [f["name"] for f in r["folds"]] == ["fold1"] and r["pooled"]["utterances"] == 6  # the official test split
    assert "ffmpeg" in (tmp_path / "data" / "meld" / "wav.scp").read_text()


def test_manifest_recipe_brings_a_corpus_of_its_own(tmp_path):
    rows = ["file,label,who"]
    for s in range(4):
        for i, emo in enumerate(("happy", "sad", "happy", "sad")):
            rel = f"wavs/s{s}_{i}.wav"
            write_tone(tmp_path / "corpus" / rel, 0.5, sr=22050, freq=180 + 60 * i)  # not 16 kHz: resampled
            rows.append(f"{rel},{emo},spk{s}")
    (tmp_path / "corpus" / "meta.csv").write_text("\n".join(rows) + "\n")
    res = run_recipe("manifest", tmp_path, "--manifest", str(tmp_path / "corpus" / "meta.csv"),
                     "--manifest-opts", "--column path=file --column emotion=label --column speaker=who",
                     "--corpus", "mine", "--folds", "1", "--ser-args", TINY)
    assert res.returncode == 0, res.stderr[-4000:]
    r = check_results(tmp_path, "mine", ["fold1"])
    folds = json.loads((tmp_path / "dump" / "fbank" / "mine" / "folds" / "folds.json").read_text())["folds"]
    assert len(folds) == 4 and r["pooled"]["utterances"] == 4  # auto: leave one speaker out


EMODB, URDU = SHARED / "corpora" / "emodb", SHARED / "corpora" / "urdu"
EMODB_MISSING = pytest.mark.skipif(not (EMODB / "wav").is_dir(), reason=f"the real EmoDB is not at {EMODB}")


@pytest.fixture(scope="module")
def emodb_cut(tmp_path_factory) -> Path:
    """Two files per speaker and emotion of the real EmoDB (135 of 535): every speaker and class, a
    quarter of the features to compute."""
    return emodb_subset(tmp_path_factory.mktemp("emodb"), EMODB)


def speaker_files(cut: Path, speaker: str = "03") -> int:
    """How many of the cut's files one speaker has (speaker 03 is fold 1's test speaker)."""
    return sum(1 for wav in (cut / "wav").iterdir() if wav.name.startswith(speaker))


def test_recipe_with_an_upstream_dumps_its_states_and_runs_the_probe(tmp_path):
    """--upstream DIR: stage 1 dumps the encoder's states (a tiny random Whisper here), the folds and
    the model read them (conf/train_ser_upstream.yaml), stage 8 scores the linear probe beside."""
    pytest.importorskip("transformers")
    pytest.importorskip("sklearn")
    from upstream_helpers import make_upstream

    up = make_upstream(tmp_path / "tiny-whisper", "whisper")
    tree = ravdess_tree(tmp_path / "corpus", actors=tuple(range(1, 13)), sr=48000)
    res = run_recipe("ravdess", tmp_path, "--corpus-root", str(tree), "--folds", "1", "--upstream", str(up),
                     "--baselines", "probe", "--ser-args", "--set train.max_epochs=1 --set encoder_conf.output_size=16")
    assert res.returncode == 0, res.stderr[-4000:]
    dump = tmp_path / "dump" / "upstream_tiny-whisper" / "ravdess"
    assert (dump / "upstream.yaml").is_file() and (dump / "folds" / "fold1" / "train" / "upstream.yaml").is_file()
    check_results(tmp_path, "ravdess", ["fold1"], name="ser_upstream", features="upstream_tiny-whisper")
    assert (tmp_path / "exp" / "baseline_probe_tiny-whisper_folds_1" / "results.json").is_file()
    assert "baseline_probe_tiny-whisper" in (tmp_path / "exp" / "RESULTS_1.md").read_text()


@EMODB_MISSING
def test_emodb_recipe_on_the_real_corpus_one_fold(tmp_path, emodb_cut):
    """The recipe's defaults: three seeds of the TDNN with random crops over fbank + pitch (84 columns,
    a dump dir of their own), trained on the training speakers and their copies at four speeds."""
    res = run_recipe("emodb", tmp_path, "--corpus-root", str(emodb_cut), "--folds", "1", "--ser-args", TINY_TDNN)
    assert res.returncode == 0, res.stderr[-4000:]
    r = check_results(tmp_path, "emodb", ["fold1"], name="ser_tdnn_crop_pitch_sp_ens3", features="fbank_pitch")
    assert r["folds"][0]["utterances"] == speaker_files(emodb_cut)
    assert r["classes"] == ["anger", "boredom", "disgust", "fear", "happiness", "neutral", "sadness"]
    fold = tmp_path / "dump" / "fbank_pitch" / "emodb" / "folds" / "fold1"
    first = next(iter(load_scp(fold / "test" / "feats.scp").values()))
    assert first.shape[1] == 84
    speakers = set(DataDir(fold / "train").spk2utt())
    assert set(DataDir(fold / "train_sp").spk2utt()) == {f"sp{f}-{s}" for f in ("0.8", "0.9", "1.1", "1.2")
                                                          for s in speakers}
    exp = tmp_path / "exp" / "fold1" / "ser_tdnn_crop_pitch_sp"
    config = (exp / "config.yaml").read_text()
    assert "random_crop:\n  - 150\n  - 300" in config and "input_dim: 84" in config
    members = json.loads((exp / "decode_ens3_test" / "decode.json").read_text())["model_dir"]
    assert [Path(m).name for m in members] == [exp.name, f"{exp.name}_seed1", f"{exp.name}_seed2"]


@pytest.mark.parametrize("upstream, defaults", [((), True), (("--upstream", "/models/w"), False),
                                                (("--upstream=/models/w",), False), (("--upstream", ""), True)])
def test_emodb_defaults_give_way_to_an_upstream(upstream, defaults):
    """run.sh's fbank system (its config, pitch, speed copies, three seeds) is left out with an
    upstream, given as --upstream DIR or --upstream=DIR, and kept with an empty --upstream."""
    res = subprocess.run(["./run.sh", *upstream, "--help"], cwd=EGS / "emodb" / "jser1", capture_output=True,
                         text=True, timeout=60)
    shown = {line.split()[0]: line.rsplit("[", 1)[1].rstrip("]") for line in (res.stdout + res.stderr).splitlines()
             if line.startswith("  --") and line.rstrip().endswith("]")}
    expected = ({"--ser-config": "conf/train_ser_tdnn_crop.yaml", "--fbank-opts": "--pitch",
                 "--speed-perturb-factors": "0.8 0.9 1.1 1.2", "--nseeds": "3"} if defaults else
                {"--ser-config": "", "--fbank-opts": "", "--speed-perturb-factors": "", "--nseeds": "1"})
    assert {k: shown[k] for k in expected} == expected


@EMODB_MISSING
def test_emodb_tdnn_with_speed_perturbed_training_speakers(tmp_path, emodb_cut):
    """conf/train_ser_tdnn.yaml and --speed-perturb-factors: each fold trains on its training
    speakers plus their perturbed copies, never on dev or test speakers' copies; --tta true decodes
    the test speaker's copies too and scores each utterance's posteriors averaged over the three."""
    res = run_recipe("emodb", tmp_path, "--corpus-root", str(emodb_cut), "--folds", "1", *PLAIN_FBANK,
                     "--speed-perturb-factors", "0.9 1.1", "--tta", "true", "--ser-config", "conf/train_ser_tdnn.yaml",
                     "--ser-args", "--set train.max_epochs=1")
    assert res.returncode == 0, res.stderr[-4000:]
    r = check_results(tmp_path, "emodb", ["fold1"], name="ser_tdnn_sp_tta")
    assert r["folds"][0]["utterances"] == speaker_files(emodb_cut)
    fold = tmp_path / "dump" / "fbank" / "emodb" / "folds" / "fold1"
    speakers = {p: set(DataDir(fold / p).spk2utt()) for p in ("train", "train_sp", "dev", "test", "test_sp")}
    assert speakers["train_sp"] == {f"sp{f}-{s}" for f in ("0.9", "1.1") for s in speakers["train"]}
    assert speakers["test_sp"] == {f"sp{f}-{s}" for f in ("0.9", "1.1") for s in speakers["test"]}
    exp = tmp_path / "exp" / "fold1" / "ser_tdnn_sp"
    assert "train_sp" in (exp / "train.log").read_text() and "tdnn" in (exp / "config.yaml").read_text()
    plain, copies = load_scp(exp / "decode_test" / "emo_post.scp"), load_scp(exp / "decode_test_sp" / "emo_post.scp")
    fused = load_scp(exp / "decode_tta_test" / "emo_post.scp")
    utt = sorted(plain.keys())[0]
    np.testing.assert_allclose(fused[utt], (plain[utt] + copies[f"sp0.9-{utt}"] + copies[f"sp1.1-{utt}"]) / 3,
                               atol=1e-6)


@EMODB_MISSING
def test_emodb_noisy_training_copies_and_a_seed_ensemble(tmp_path, emodb_cut):
    """--noise-aug generated: each fold trains on its training speakers plus their noisy copies,
    never dev or test speakers'; --nseeds 2 trains two models per fold and scores their ensemble."""
    res = run_recipe("emodb", tmp_path, "--corpus-root", str(emodb_cut), "--folds", "1", *PLAIN_FBANK, "--noise-aug",
                     "generated", "--nseeds", "2", "--ser-config", "conf/train_ser_tdnn.yaml", "--ser-args", TINY_TDNN)
    assert res.returncode == 0, res.stderr[-4000:]
    r = check_results(tmp_path, "emodb", ["fold1"], name="ser_tdnn_noise_ens2")
    assert r["folds"][0]["utterances"] == speaker_files(emodb_cut)
    fold = tmp_path / "dump" / "fbank" / "emodb" / "folds" / "fold1"
    speakers = {p: set(DataDir(fold / p).spk2utt()) for p in ("train", "train_noise", "dev", "test")}
    assert speakers["train_noise"] == {f"noise1-{s}" for s in speakers["train"]}
    exp = tmp_path / "exp" / "fold1" / "ser_tdnn_noise"
    assert "train_noise" in (exp / "train.log").read_text()
    seed1 = (tmp_path / "exp" / "fold1" / "ser_tdnn_noise_seed1" / "config.yaml").read_text()
    assert "seed: 1" in seed1
    members = json.loads((exp / "decode_ens2_test" / "decode.json").read_text())["model_dir"]
    assert [Path(m).name for m in members] == ["ser_tdnn_noise", "ser_tdnn_noise_seed1"]
    noisy = DataDir(tmp_path / "data" / "emodb_noise").raw("wav.scp")
    assert len(noisy) == len(list((emodb_cut / "wav").iterdir()))
    assert all("jsertk noise-audio" in v and "generated:" in v for v in noisy.values())


@EMODB_MISSING
def test_emodb_semi_supervised_stage_with_three_labelled_speakers(tmp_path, emodb_cut):
    """Stage 9: per fold, 3 training speakers keep their labels, the other 5 are the unlabelled pool
    (labels moved to .ref/, where only the pseudo labels' scoring reads them); every system trains on
    its dirs, is scored over the folds and tabled against the supervised-only one."""
    res = run_recipe("emodb", tmp_path, "--corpus-root", str(emodb_cut), "--folds", "1", "--stop-stage", "2",
                     *PLAIN_FBANK)
    assert res.returncode == 0, res.stderr[-4000:]
    res = run_recipe("emodb", tmp_path, "--folds", "1", "--ser-config", "conf/train_ser_tdnn.yaml", *PLAIN_FBANK,
                     "--ser-args", TINY_TDNN, "--stage", "9", "--ssl-labelled-speakers", "3",
                     "--ssl-pseudolabel-opts", "--agreement any --threshold 0.0")
    assert res.returncode == 0, res.stderr[-4000:]
    fold = tmp_path / "dump" / "fbank" / "emodb" / "folds" / "fold1"
    lab, unlab = DataDir(fold / "ssl3" / "lab"), DataDir(fold / "ssl3" / "unlab")
    train = set(DataDir(fold / "train").spk2utt())
    assert len(lab.spk2utt()) == 3 and set(lab.spk2utt()) | set(unlab.spk2utt()) == train
    assert not set(lab.spk2utt()) & set(unlab.spk2utt())
    assert not (unlab.path / "utt2emo").exists() and (unlab.path / ".ref" / "utt2emo").is_file()
    pl = json.loads((fold / "ssl3" / "unlab_pl" / "pseudolabel.json").read_text())
    assert "accuracy" in json.dumps(pl)  # scored against the pool's true labels
    exp = tmp_path / "exp" / "fold1"
    logs = {s: (exp / f"ser_tdnn_ssl3_{s}" / "train.log").read_text() for s in ("sup", "pseudo", "aae", "aux", "all")}
    assert "unlab" not in logs["sup"] and "unlab_pl" in logs["pseudo"] and "ssl3/unlab" in logs["aae"]
    cfg = {s: (exp / f"ser_tdnn_ssl3_{s}" / "config.yaml").read_text() for s in logs}
    assert "- unlab" in cfg["aae"] and "- aux" in cfg["aux"] and "gender: 0.3" in cfg["all"]
    table = (tmp_path / "exp" / "RESULTS_ser_tdnn_ssl3_1.md").read_text()
    assert all(f"ser_tdnn_ssl3_{s}_folds_1" in table for s in logs) and table.count("(p ") == 4
    # pseudo-label rounds (--ssl-rounds 2, the default): round 2's teacher is round 1's student; the
    # pseudo system is the round with the best dev UA, and its test decode is what was scored
    assert "unlab_pl_r2" in (exp / "ser_tdnn_ssl3_pseudo_r2" / "train.log").read_text()
    assert "ser_tdnn_ssl3_pseudo" in (fold / "ssl3" / "unlab_pl_r2" / "pseudolabel.json").read_text()
    rounds = exp / "ser_tdnn_ssl3_pseudo_rounds"
    rows = [line.split("\t") for line in (rounds / "rounds.tsv").read_text().splitlines()]
    assert rows[0][:3] == ["round", "model", "dev_UA"] and [r[0] for r in rows[1:]] == ["1", "2"]
    chosen = max(rows[1:], key=lambda r: (float(r[2]), -int(r[0])))[1]
    assert (rounds / "final_model").read_text().strip() == chosen
    scored = json.loads((tmp_path / "exp" / "ser_tdnn_ssl3_pseudo_folds_1" / "results.json").read_text())
    assert scored["folds"][0]["decode_dir"] == f"{chosen}/decode_test"
    # --ssl-draws 2: a second draw of 3 labelled speakers (another set), its own split and experiments;
    # draw 1's are kept, not trained again; both scored as one repeated cross-validation
    trained = (exp / "ser_tdnn_ssl3_sup" / "model.pth").stat().st_mtime
    res = run_recipe("emodb", tmp_path, "--folds", "1", "--ser-config", "conf/train_ser_tdnn.yaml", *PLAIN_FBANK,
                     "--ser-args", TINY_TDNN, "--stage", "9", "--ssl-labelled-speakers", "3", "--ssl-draws", "2",
                     "--ssl-systems", "sup pseudo", "--ssl-pseudolabel-opts", "--agreement any --threshold 0.0")
    assert res.returncode == 0, res.stderr[-4000:]
    assert (exp / "ser_tdnn_ssl3_sup" / "model.pth").stat().st_mtime == trained
    lab2 = DataDir(fold / "ssl3_draw2" / "lab")
    assert len(lab2.spk2utt()) == 3 and set(lab2.spk2utt()) != set(lab.spk2utt()) and set(lab2.spk2utt()) <= train
    assert "ssl3_draw2/lab" in (exp / "ser_tdnn_ssl3_draw2_sup" / "train.log").read_text()
    repeated = json.loads((tmp_path / "exp" / "ser_tdnn_ssl3_draws2_sup_folds_1" / "results.json").read_text())
    assert repeated["repeats"] == 2 and [f["name"] for f in repeated["folds"]] == ["r1-fold1", "r2-fold1"]
    assert repeated["pooled"]["utterances"] == 2 * scored["pooled"]["utterances"]
    table = (tmp_path / "exp" / "RESULTS_ser_tdnn_ssl3_draws2_1.md").read_text()
    # pseudo against sup: the bootstrap and the t over the 2 draws (one fold: no t over folds)
    assert "| ser_tdnn_ssl3_draws2_pseudo_folds_1 | 2 x 1 |" in table and table.count("(p ") == 2
    assert "t over runs" in table


@pytest.mark.skipif(not (URDU / "Angry").is_dir(), reason=f"the real URDU is not at {URDU}")
def test_urdu_recipe_on_the_real_corpus_one_fold(tmp_path):
    res = run_recipe("urdu", tmp_path, "--corpus-root", str(URDU), "--folds", "2", "--ser-args", TINY)
    assert res.returncode == 0, res.stderr[-4000:]
    r = check_results(tmp_path, "urdu", ["fold2"])
    assert r["folds"][0]["utterances"] == 80


def test_a_wrong_corpus_root_fails_in_stage_0_naming_the_layout(tmp_path):
    (tmp_path / "empty").mkdir()
    res = run_recipe("ravdess", tmp_path, "--corpus-root", str(tmp_path / "empty"), "--stop-stage", "0")
    assert res.returncode != 0 and "Actor_01 ... Actor_24" in res.stderr
    res = run_recipe("emodb", tmp_path, "--stop-stage", "0")
    assert res.returncode != 0 and "--corpus-root" in res.stderr


def test_cross_corpus_stage_trains_on_one_corpus_and_tests_on_another(tmp_path):
    cremad = run_recipe("cremad", tmp_path / "b", "--corpus-root", str(cremad_tree(tmp_path / "cremad")),
                        "--stop-stage", "1")
    assert cremad.returncode == 0, cremad.stderr[-3000:]
    target = tmp_path / "b" / "dump" / "fbank" / "cremad"
    res = run_recipe("ravdess", tmp_path / "a", "--corpus-root",
                     str(ravdess_tree(tmp_path / "ravdess", actors=tuple(range(1, 13)))),
                     "--stage", "0", "--stop-stage", "2")
    assert res.returncode == 0, res.stderr[-3000:]
    res = run_recipe("ravdess", tmp_path / "a", "--stage", "7", "--cross-test-sets", str(target),
                     "--ser-args", TINY)
    assert res.returncode == 0, res.stderr[-4000:]
    results = tmp_path / "a" / "exp" / "cross_ser" / "results_cremad"
    r = json.loads((results / "results.json").read_text())
    # shared classes: CREMA-D's angry, happy, neutral and sad (disgust and fear left out)
    assert r["classes"] == ["angry", "happy", "neutral", "sad"] and r["pooled"]["utterances"] == 40
    trained = set(DataDir(tmp_path / "a" / "dump" / "fbank" / "ravdess_shared" / "cross" / "train").load(
        "utt2emo").values())
    assert trained == {"angry", "happy", "neutral", "sad"}  # RAVDESS's calm left out
    # --cross-ssl: the target corpus's speech (never its labels) is the unlabelled pool
    res = run_recipe("ravdess", tmp_path / "a", "--stage", "7", "--cross-test-sets", str(target), "--ser-args", TINY,
                     "--cross-ssl", "true", "--ssl-systems", "sup aae")
    assert res.returncode == 0, res.stderr[-4000:]
    pool = DataDir(tmp_path / "a" / "dump" / "fbank" / "cross_cremad_pool")
    assert len(pool.utterances()) == 40 and not (pool.path / "utt2emo").exists()
    ssl = tmp_path / "a" / "exp" / "cross_ser" / "ssl_cremad"
    assert "cross_cremad_pool" in (ssl / "ser_aae" / "train.log").read_text()
    table = (ssl / "RESULTS.md").read_text()
    assert "results_sup" in table and "results_aae" in table and "(p " in table


def test_librispeech_asr_recipe_on_its_fixture_tree(tmp_path):
    tree = librispeech_tree(tmp_path / "LibriSpeech")
    cmd = ["./run.sh", "--nj", "2", "--datadir", str(tmp_path / "data"), "--dumpdir", str(tmp_path / "dump"),
           "--expdir", str(tmp_path / "exp"), "--corpus-root", str(tree), "--token-type", "char",
           "--asr-args", TINY_ASR,
           "--asr-decode-opts", "--method joint --beam-size 3 --ctc-weight 0.5 --maxlenratio 0.3"]
    env = {**os.environ, "cmd_backend": "local", "OMP_NUM_THREADS": "1"}
    res = subprocess.run(cmd, cwd=EGS / "librispeech" / "asr1", env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    scores = json.loads((tmp_path / "exp" / "asr_asr" / "decode_test_clean" / "scores.json").read_text())
    assert scores["wer"] >= 0 and "results test_clean: ASR WER" in res.stderr
    assert not (tmp_path / "exp" / "jser_jser").exists()  # --asr-only: no emotion stages
