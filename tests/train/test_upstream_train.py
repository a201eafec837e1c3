"""Training over an upstream (a tiny random Whisper, loaded by path): from dumped states and from
waveforms (fine-tuning its top layer), decoding both ways, and the same model giving the same
posteriors from dumped states as from the audio they were dumped from."""
from __future__ import annotations

import json

import pytest
import torch
import yaml
from helpers import make_data_dir
from jser_helpers import ACOUSTIC_ONLY, write_jser_config
from typer.testing import CliRunner
from upstream_helpers import make_upstream

from jsertk.cli.main import app
from jsertk.tasks.experiment import load_model
from jsertk.train import run_training
from jsertk.utils.errors import ConfigError

pytest.importorskip("transformers")
pytestmark = pytest.mark.slow


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _config(path, upstream, freeze="frozen"):
    write_jser_config(path, None, None, **ACOUSTIC_ONLY)
    cfg = yaml.safe_load(path.read_text())
    cfg.update(encoder="identity", encoder_conf={"output_size": 16, "dropout_rate": 0.0})
    cfg["frontend"] = {"apply_specaug": False, "upstream": {"path": str(upstream), "freeze": freeze}}
    cfg["data"] = {"max_frames_per_batch": 400, "min_utt_frames": 1}
    cfg["train"].update(max_epochs=2)
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("up_train")
    whisper = make_upstream(root / "whisper", "whisper")
    data = make_data_dir(root / "data" / "train", speakers=("spkA", "spkB", "spkC"), seconds=0.6)
    res = _run("dump-upstream", data, root / "dump" / "train", "--upstream", whisper, "--no-progress")
    assert res.exit_code == 0, res.output
    return root, whisper, data, root / "dump" / "train"


def test_trains_on_dumped_states_and_decodes_them(corpus, tmp_path):
    _, whisper, data, dump = corpus
    exp = tmp_path / "exp"
    run_training(_config(tmp_path / "c.yaml", whisper), [dump], [dump], exp)
    net = load_model(exp)[0]
    assert not any("upstream.model" in k for k in net.state_dict())  # dumped: the upstream is not in the model
    assert "asr.frontend.upstream.layer_sum.weights" in net.state_dict()
    res = _run("decode", dump, "--model-dir", exp, "--outdir", tmp_path / "dec", "--ref", data)
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "dec" / "decode.json").read_text())["utterances"] == 9


def test_fine_tunes_on_waveforms_and_decodes_audio(corpus, tmp_path):
    _, whisper, data, dump = corpus
    exp = tmp_path / "exp"
    run_training(_config(tmp_path / "c.yaml", whisper, freeze="top:1"), [data], [data], exp)
    net = load_model(exp)[0]
    state = net.state_dict()
    up_keys = [k for k in state if k.startswith("asr.frontend.upstream.upstream.model.")]
    assert up_keys, "the fine-tuned upstream is saved with the model"
    from jsertk.tasks.upstream import load_upstream

    fresh = load_upstream(whisper).state_dict()
    prefix = "asr.frontend.upstream.upstream."
    changed = {k[len(prefix):] for k in up_keys if not torch.equal(state[k], fresh[k[len(prefix):]])}
    assert changed and all(k.startswith(("model.layers.1.", "model.layer_norm.")) for k in changed), changed
    res = _run("decode", data, "--model-dir", exp, "--outdir", tmp_path / "dec", "--ref", data)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "dec" / "hyp.emo").read_text().count("\n") == 9


def test_dumped_and_waveform_input_give_the_same_posteriors(corpus, tmp_path):
    """The model trained on dumped states, rebuilt over waveforms with the same upstream, predicts
    the same (up to the float16 storage of the states)."""
    from jsertk.dataset.feats import FeatsDataset, collate
    from jsertk.tasks.upstream import load_upstream

    _, whisper, data, dump = corpus
    exp = tmp_path / "exp"
    run_training(_config(tmp_path / "c.yaml", whisper), [dump], [dump], exp)
    dumped_model = load_model(exp)[0].eval()
    front = dumped_model.asr.frontend.upstream
    front.upstream = load_upstream(whisper).eval()  # now it reads audio
    utts = ["spkA-utt000", "spkC-utt002"]

    def batch(d, audio):
        ds = FeatsDataset([d], {}, label_root=None, audio=audio)
        return collate([ds[ds.utts.index(u)] for u in utts], [])

    wave = batch(data, True)
    from_audio = dumped_model.predict(wave["feats"], wave["feat_lens"])["emotion"]
    front.upstream = None
    states = batch(dump, False)
    from_dump = dumped_model.predict(states["feats"], states["feat_lens"])["emotion"]
    torch.testing.assert_close(from_audio, from_dump, atol=5e-3, rtol=0)


def test_training_refuses_features_of_another_upstream(corpus, tmp_path):
    _, _, _, dump = corpus
    other = make_upstream(tmp_path / "other", "whisper", seed=3)
    with pytest.raises(ConfigError, match="but the config names .*other"):
        run_training(_config(tmp_path / "c.yaml", other), [dump], [dump], tmp_path / "exp")


def test_packed_upstream_model_infers_audio_with_the_upstream_included_or_named(corpus, tmp_path):
    import shutil

    _, whisper, data, dump = corpus
    exp = tmp_path / "exp"
    run_training(_config(tmp_path / "c.yaml", whisper), [dump], [dump], exp)
    wavs = sorted((data / "wav").glob("*.wav"))[:3]
    outputs = {}
    local = shutil.copytree(whisper, tmp_path / "whisper_copy")  # named by path: it must stay unchanged
    cfg = yaml.safe_load((exp / "config.yaml").read_text())
    cfg["frontend"]["upstream"]["path"] = str(local)
    (exp / "config.yaml").write_text(yaml.safe_dump(cfg))
    for mode in ("--include-upstream", "--named"):
        packed = tmp_path / f"packed{mode}"
        res = _run("pack", exp, "--out", packed, *([mode] if mode == "--include-upstream" else []))
        assert res.exit_code == 0, res.output
        assert (packed / "upstream.yaml").is_file() and not (packed / "fbank.yaml").exists()
        assert (packed / "upstream").is_dir() == (mode == "--include-upstream")
        res = _run("infer", packed, *wavs, "--output", tmp_path / f"out{mode}.jsonl")
        assert res.exit_code == 0, res.output
        outputs[mode] = [json.loads(line) for line in (tmp_path / f"out{mode}.jsonl").read_text().splitlines()]
    assert len(outputs["--include-upstream"]) == 3
    for a, b in zip(*outputs.values()):
        assert a["emotion"] == b["emotion"]
        assert all(abs(a["posteriors"][c] - b["posteriors"][c]) < 1e-5 for c in a["posteriors"])
    (local / "config.json").write_text((local / "config.json").read_text() + " ")  # the named upstream changed
    res = _run("infer", tmp_path / "packed--named", wavs[0])
    assert res.exit_code != 0 and "differs from the one it was packed with" in str(res.exception)


def test_wav2vec2_with_ctc_and_emotion_heads_fine_tuned_jointly(tmp_path):
    """Cai et al. (2021): a wav2vec2 upstream fine-tuned with a CTC head and an emotion head together."""
    from asr_helpers import make_tokenizer

    data = make_data_dir(tmp_path / "data", speakers=("spkA", "spkB", "spkC"), seconds=0.6)
    tok = make_tokenizer(tmp_path / "tok", texts=[line.split(" ", 1)[1] for line in
                                                  (data / "text").read_text().splitlines()])
    w2v = make_upstream(tmp_path / "w2v", "wav2vec2")
    cfg = _config(tmp_path / "c.yaml", w2v, freeze="finetune")
    conf = yaml.safe_load(cfg.read_text())
    conf.update(tokenizer=str(tok), asr_weight=0.5)
    cfg.write_text(yaml.safe_dump(conf))
    exp = tmp_path / "exp"
    run_training(cfg, [data], [data], exp)
    history = (exp / "train.log").read_text()
    assert "loss_ctc" in history and "loss_emotion" in history
    res = _run("decode", data, "--model-dir", exp, "--outdir", tmp_path / "dec", "--ref", data)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "dec" / "hyp.text").is_file() and (tmp_path / "dec" / "hyp.emo").is_file()
