"""Config files with dotted overrides; unknown keys and wrong types are named by their path."""
from __future__ import annotations

import pytest
import yaml

from jsertk.utils.config import ConfigError, OpenSection, load_config, save_config

DEFAULTS = {
    "encoder": {"num_blocks": 12, "output_size": 256, "dropout": 0.1},
    "optim": {"lr": 1e-3, "betas": [0.9, 0.98]},
    "espnet_conf": OpenSection({"macaron_style": True}),
    "use_amp": False,
    "init": None,
}


def test_defaults_file_then_overrides(tmp_path):
    conf = tmp_path / "train.yaml"
    conf.write_text("encoder:\n  num_blocks: 6\noptim:\n  lr: 0.002\n")
    cfg = load_config(DEFAULTS, conf, ["encoder.num_blocks=4", "use_amp=true", "optim.betas=[0.8, 0.9]",
                                       "init=exp/asr"])
    assert cfg["encoder"] == {"num_blocks": 4, "output_size": 256, "dropout": 0.1}
    assert cfg["optim"] == {"lr": 0.002, "betas": [0.8, 0.9]}
    assert cfg["use_amp"] is True and cfg["init"] == "exp/asr"
    assert DEFAULTS["encoder"]["num_blocks"] == 12


def test_unknown_key_in_file_is_named_with_its_path(tmp_path):
    conf = tmp_path / "train.yaml"
    conf.write_text("encoder:\n  num_blok: 6\n")
    with pytest.raises(ConfigError, match=r"train.yaml: unknown config key 'encoder.num_blok'.*num_blocks"):
        load_config(DEFAULTS, conf)


def test_unknown_key_in_override_is_named():
    with pytest.raises(ConfigError, match=r"--set optim.momentum=0.9: unknown config key 'optim.momentum'"):
        load_config(DEFAULTS, None, ["optim.momentum=0.9"])


def test_wrong_type_is_an_error():
    with pytest.raises(ConfigError, match=r"'encoder.num_blocks' expects int, got str 'four'"):
        load_config(DEFAULTS, None, ["encoder.num_blocks=four"])
    assert load_config(DEFAULTS, None, ["optim.lr=1"])["optim"]["lr"] == 1


def test_open_sections_accept_new_keys():
    cfg = load_config(DEFAULTS, None, ["espnet_conf.cnn_module_kernel=15"])
    assert cfg["espnet_conf"] == {"macaron_style": True, "cnn_module_kernel": 15}


def test_malformed_override_and_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not of the form"):
        load_config(DEFAULTS, None, ["encoder.num_blocks"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("encoder: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_config(DEFAULTS, bad)


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(DEFAULTS, None, ["encoder.num_blocks=3", "espnet_conf.x=1"])
    save_config(cfg, tmp_path / "exp" / "config.yaml")
    again = yaml.safe_load((tmp_path / "exp" / "config.yaml").read_text())
    assert again == cfg
    assert load_config(DEFAULTS, tmp_path / "exp" / "config.yaml") == cfg


# ---------------------------------------------------------------- training configs: ESPnet option sections
# encoder_conf, decoder_conf and frontend.specaug are passed straight to ESPnet classes; their keys are
# checked against those classes' constructors when the config is loaded, before anything is read or built.

def test_component_options_are_checked_when_the_training_config_is_loaded(tmp_path):
    from jsertk.tasks.config import load_train_config

    with pytest.raises(ConfigError, match=r"config key 'encoder_conf.num_blok' is not an option of ConformerEncoder; "
                                          r"did you mean 'num_blocks'\? \(options: output_size, "):
        load_train_config(None, ["encoder_conf.num_blok=4"])
    conf = tmp_path / "train.yaml"
    conf.write_text("encoder: transformer\nencoder_conf:\n  cnn_module_kernel: 15\n")
    with pytest.raises(ConfigError, match=r"'encoder_conf.cnn_module_kernel' is not an option of TransformerEncoder"):
        load_train_config(conf)
    with pytest.raises(ConfigError, match=r"'decoder_conf.num_block' is not an option of TransformerDecoder"):
        load_train_config(None, ["decoder=transformer", "decoder_conf.num_block=2"])
    with pytest.raises(ConfigError, match=r"'frontend.specaug.num_freq_masks' is not an option of SpecAug; "
                                          r"did you mean 'num_freq_mask'"):
        load_train_config(None, ["frontend.specaug.num_freq_masks=3"])
    with pytest.raises(ConfigError, match=r"'encoder_conf.input_size' .* jsertk sets it itself"):
        load_train_config(None, ["encoder_conf.input_size=80"])
    with pytest.raises(ConfigError, match=r"config key 'encoder': 'lstm' is not one of conformer, transformer"):
        load_train_config(None, ["encoder=lstm"])
    # the joint model has the same sections
    with pytest.raises(ConfigError, match=r"'encoder_conf.num_blok' is not an option of ConformerEncoder"):
        load_train_config(None, ["model=jser", "encoder_conf.num_blok=4"])
    # real options load; without a decoder, decoder_conf is not used and not checked
    cfg = load_train_config(None, ["encoder_conf.num_blocks=4", "encoder_conf.cnn_module_kernel=15",
                                   "frontend.specaug.num_freq_mask=1", "decoder_conf.unused=1"])
    assert cfg["encoder_conf"]["num_blocks"] == 4 and cfg["frontend"]["specaug"] == {"num_freq_mask": 1}


def test_train_cli_fails_on_a_mistyped_encoder_key_before_training(tmp_path, monkeypatch, capsys):
    from asr_helpers import make_feats_dir, make_tokenizer, write_config
    from typer.testing import CliRunner

    from jsertk.cli import main as cli

    data = make_feats_dir(tmp_path / "train", n_utts=4)
    cfg = write_config(tmp_path / "c.yaml", make_tokenizer(tmp_path / "tok"), data / "cmvn.ark")
    out = tmp_path / "exp"
    args = ["train", str(data), "--config", str(cfg), "--outdir", str(out), "--set", "encoder_conf.num_blok=4"]
    res = CliRunner().invoke(cli.app, args)
    assert res.exit_code != 0
    assert isinstance(res.exception, ConfigError) and "'encoder_conf.num_blok'" in str(res.exception)
    assert not out.exists()  # nothing written: the config failed before the trainer started
    # as installed (`jsertk` runs main()): one line naming the key, exit code 1
    monkeypatch.setattr("sys.argv", ["jsertk", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "error: config key 'encoder_conf.num_blok' is not an option of ConformerEncoder" in err
    assert "did you mean 'num_blocks'" in err and not out.exists()
