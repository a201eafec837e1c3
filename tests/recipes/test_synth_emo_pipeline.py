"""The synth_emo recipe end to end on a tiny corpus with tiny models: every stage runs, writes
its outputs, a rerun skips what is done, decoding in one job writes what two jobs wrote, and on
a real Slurm cluster (where one answers) the job stages write what the local backend wrote."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from slurm_cluster import cluster_missing

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("synth_emo_pipeline")]  # runs the whole recipe
SLURM_MISSING = cluster_missing()

RECIPE = Path(__file__).resolve().parents[2] / "egs" / "synth_emo" / "jser1"
TINY_ASR = ("--set encoder_conf.num_blocks=1 --set encoder_conf.output_size=32 --set encoder_conf.linear_units=64 "
            "--set encoder_conf.attention_heads=2 --set decoder_conf.num_blocks=1 --set decoder_conf.linear_units=64 "
            "--set decoder_conf.attention_heads=2 --set train.max_epochs=1")
TINY_JSER = "--set train.max_epochs=1 --set lexical.dim=32 --set lexical.num_layers=1 --set fusion.dim=32"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    args = ["./run.sh", "--nj", "2", "--datadir", str(root / "data"), "--dumpdir", str(root / "dump"),
            "--expdir", str(root / "exp"), "--local-data-opts", "--size tiny", "--token-type", "char",
            "--asr-args", TINY_ASR, "--jser-args", TINY_JSER,
            # joint search with the stage-2 LM, kept short: an untrained decoder rarely ends a hypothesis
            "--asr-decode-opts", "--method joint --beam-size 3 --ctc-weight 0.5 --maxlenratio 0.3",
            # two utterances per decoding batch, so that the 8 test utterances decode in 2 jobs
            "--decode-max-frames", "600",
            # one semi-supervised round; a 1-epoch teacher is not confident, so keep every pseudo label
            "--ssl-rounds", "1", "--ssl-args", TINY_JSER, "--pseudolabel-opts", "--threshold 0 --agreement any"]
    env = {**os.environ, "cmd_backend": "local"}
    first = subprocess.run(args, cwd=RECIPE, env=env, capture_output=True, text=True, timeout=900)
    return root, args, env, first


def test_every_stage_writes_its_outputs(pipeline):
    root, _, _, first = pipeline
    assert first.returncode == 0, first.stderr[-3000:]
    assert (root / "dump" / "fbank" / "asr_train" / "cmvn.ark").is_file()
    assert (root / "data" / "token_list" / "char" / "tokens.txt").is_file()
    asr_scores = json.loads((root / "exp" / "asr_asr" / "decode_test" / "scores.json").read_text())
    assert 0.0 <= asr_scores["wer"]
    ser = json.loads((root / "exp" / "jser_jser" / "decode_test" / "scores.json").read_text())
    assert 0.0 <= ser["UA"] <= 1.0 and ser["num_utterances"] > 0
    # stage 5: round 1's pseudo labels, student and rounds table; stages 6 and 7 use the best round
    pl = json.loads((root / "data" / "train_unlabeled_pl_jser_jser_ssl_r1" / "pseudolabel.json").read_text())
    assert pl["counts"]["kept_emotion"] > 0 and "reference_emotion" in pl
    rounds = root / "exp" / "jser_jser_ssl_rounds"
    table = json.loads((rounds / "rounds.json").read_text())
    assert [r["round"] for r in table] == [0, 1] and table[1]["emotion_kept"] == pl["counts"]["kept_emotion"]
    assert table[1]["test_ua"] is not None and "| round |" in (rounds / "rounds.md").read_text()
    final = Path((rounds / "final_model").read_text().strip())
    assert final.name in ("jser_jser", "jser_jser_ssl_r1")
    assert (final / "decode_test" / "confusion.png").is_file() and (final / "packed").is_dir()
    assert "results test: ASR WER" in first.stderr
    decode_info = json.loads((root / "exp" / "asr_asr" / "decode_test" / "decode.json").read_text())
    assert decode_info["lm"] == str(root / "exp" / "lm_char_o8" / "lm.arpa") and decode_info["lm_weight"] == 1.0


def test_rerun_skips_finished_stages(pipeline):
    root, args, env, first = pipeline
    assert first.returncode == 0
    again = subprocess.run(args[:1] + ["--stop-stage", "5"] + args[1:], cwd=RECIPE, env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    for stage in ("stage 0: data ready", "stage 2: tokenizer", "stage 2: LM", "stage 3: ", "stage 4: ",
                  "stage 5: round 1: pseudo labels"):
        assert any(stage in line and "skipped" in line for line in again.stderr.splitlines()), stage
    assert "training" not in again.stderr


# What one decoding job writes and two must write alike (decode.json's times differ).
SAME_OUTPUTS = {"asr": ("hyp.text", "hyp.score", "scores.json", "result.txt"),
                "jser": ("hyp.text", "hyp.emo", "hyp_acoustic.emo", "hyp_lexical.emo", "hyp.dim", "classes.txt",
                         "scores.json", "summary.json", "acoustic/scores.json", "wer/scores.json")}


def _posteriors(dec: Path) -> dict:
    import kaldiio

    return {utt: post.tolist() for utt, post in kaldiio.load_scp_sequential(str(dec / "emo_post.scp"))}


def test_one_decoding_job_writes_what_two_jobs_wrote(pipeline):
    root, args, env, first = pipeline
    assert first.returncode == 0
    final = Path((root / "exp" / "jser_jser_ssl_rounds" / "final_model").read_text().strip())
    decs = {"asr": root / "exp" / "asr_asr" / "decode_test", "jser": final / "decode_test"}
    for dec in decs.values():  # stage 6 ran --nj 2: two jobs, merged
        assert (dec / "log" / "decode.2.log").is_file()
        assert len(json.loads((dec / "decode.json").read_text())["parts"]) == 2
    two = {kind: {name: (dec / name).read_bytes() for name in SAME_OUTPUTS[kind]} for kind, dec in decs.items()}
    info_two = {kind: json.loads((dec / "decode.json").read_text()) for kind, dec in decs.items()}
    scp_two = (decs["jser"] / "emo_post.scp").read_text().splitlines()
    assert [line.split()[0] for line in scp_two] == sorted(line.split()[0] for line in scp_two)
    assert all("/split/" in line for line in scp_two)  # into the jobs' arks
    post_two = _posteriors(decs["jser"])

    again = subprocess.run(args[:1] + ["--stage", "6", "--stop-stage", "6"] + args[1:] + ["--decode-nj", "1"],
                           cwd=RECIPE, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    for kind, dec in decs.items():
        assert not (dec / "log" / "decode.2.log").exists() and not (dec / "split").exists()  # one job this time
        for name, content in two[kind].items():
            assert (dec / name).read_bytes() == content, f"{kind}: {name}"
        info = json.loads((dec / "decode.json").read_text())
        for key in ("utterances", "too_short", "model_dir", "checkpoint", "data"):
            assert info[key] == info_two[kind][key], key
        assert abs(info["audio_seconds"] - info_two[kind]["audio_seconds"]) <= 0.02
    # the jobs ran with one torch thread each, the single job with two: sums in another order
    one = _posteriors(decs["jser"])
    assert sorted(one) == sorted(post_two)
    assert all(abs(a - b) <= 1e-6 for utt in one for a, b in zip(one[utt], post_two[utt]))


def _matrices(feat_dir: Path) -> dict:
    import kaldiio

    return {utt: m.tobytes() for utt, m in kaldiio.load_scp_sequential(str(feat_dir / "feats.scp"))}


@pytest.mark.skipif(SLURM_MISSING is not None, reason=SLURM_MISSING or "")
def test_feature_decoding_and_pseudolabel_stages_on_slurm_match_the_local_backend(pipeline):
    """cmd.sh's slurm backend on a real (one-node) cluster: stage 1's features, stage 6's decodes
    and the pseudo labels of stage 5's teacher are byte-identical to the local backend's."""
    root, args, env, first = pipeline
    assert first.returncode == 0
    slurm = {**env, "cmd_backend": "slurm"}
    dump_slurm = root / "dump_slurm"
    res = subprocess.run(args[:1] + ["--stage", "1", "--stop-stage", "1"] + args[1:] + ["--dumpdir", str(dump_slurm)],
                         cwd=RECIPE, env=slurm, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    for local_dir in sorted((root / "dump" / "fbank").iterdir()):
        other = dump_slurm / "fbank" / local_dir.name
        assert _matrices(other) == _matrices(local_dir), local_dir.name
        assert (other / "utt2num_frames").read_bytes() == (local_dir / "utt2num_frames").read_bytes()
        if (local_dir / "cmvn.ark").is_file():
            assert (other / "cmvn.ark").read_bytes() == (local_dir / "cmvn.ark").read_bytes()
    assert list((dump_slurm / "fbank" / "test" / "log" / "q").glob("*.status"))  # the jobs went through sbatch

    final = Path((root / "exp" / "jser_jser_ssl_rounds" / "final_model").read_text().strip())
    decs = {"asr": root / "exp" / "asr_asr" / "decode_test", "jser": final / "decode_test"}
    local = {kind: {name: (dec / name).read_bytes() for name in SAME_OUTPUTS[kind]} for kind, dec in decs.items()}
    res = subprocess.run(args[:1] + ["--stage", "6", "--stop-stage", "6"] + args[1:], cwd=RECIPE, env=slurm,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    for kind, dec in decs.items():
        assert list((dec / "log" / "q").glob("*.status")), kind
        for name, content in local[kind].items():
            assert (dec / name).read_bytes() == content, f"{kind}: {name}"

    pl_local = root / "data" / "train_unlabeled_pl_jser_jser_ssl_r1"
    out = root / "pl_slurm"
    res = subprocess.run([sys.executable, "-m", "jsertk.cli.main", "pseudolabel", "--model",
                          str(root / "exp" / "jser_jser"), "--data",
                          str(root / "dump" / "fbank" / "train_unlabeled"), "--labels-from",
                          str(root / "data" / "train_unlabeled"), "--out", str(out), "--nj", "2", "--backend", "slurm",
                          "--threshold", "0", "--agreement", "any"], cwd=RECIPE, env=slurm, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    for name in ("utt2emo", "utt2emo_conf", "text", "utt2text_conf", "feats.scp", "utt2spk"):
        assert (out / name).read_bytes() == (pl_local / name).read_bytes(), name
