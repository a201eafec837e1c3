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
