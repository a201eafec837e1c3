"""What the `jsertk` command does with errors: a known user error is one line naming the file and
exit code 1; a bug keeps its traceback; --debug / JSERTK_DEBUG=1 show the traceback of every error."""
from __future__ import annotations

import sys

import pytest

from jsertk.cli import main as cli_main


def _run(monkeypatch, *argv):
    monkeypatch.setattr(sys, "argv", ["jsertk", *map(str, argv)])
    with pytest.raises(SystemExit) as e:
        cli_main.main()
    return e.value.code


def test_a_user_error_is_one_line_naming_the_file(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(cli_main.DEBUG_ENV, raising=False)
    code = _run(monkeypatch, "decode", tmp_path, "--model-dir", tmp_path / "nope")
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == (f"error: {tmp_path / 'nope' / 'config.yaml'}: not found; is {tmp_path / 'nope'} an "
                           "experiment dir written by `jsertk train`?")


def test_debug_prints_the_traceback_of_a_user_error(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(cli_main.DEBUG_ENV, raising=False)
    code = _run(monkeypatch, "--debug", "decode", tmp_path, "--model-dir", tmp_path / "nope")
    err = capsys.readouterr().err
    assert code == 1 and "Traceback (most recent call last)" in err and "InputError" in err
    monkeypatch.setenv(cli_main.DEBUG_ENV, "1")
    assert _run(monkeypatch, "decode", tmp_path, "--model-dir", tmp_path / "nope") == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_bug_is_not_hidden_behind_a_one_line_message(monkeypatch, tmp_path):
    import jsertk.infer.ser

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(jsertk.infer.ser, "decode_ser_dir", broken)
    monkeypatch.setattr(sys, "argv", ["jsertk", "decode", str(tmp_path), "--model-dir", str(tmp_path)])
    with pytest.raises(KeyError, match="a bug"):
        cli_main.main()


def test_a_data_dir_error_lists_every_problem_with_its_line(monkeypatch, capsys, data_dir):
    (data_dir / "utt2spk").write_text((data_dir / "utt2spk").read_text() + "spkA-utt000 spkA\n")
    code = _run(monkeypatch, "data", "split", data_dir, "2")
    err = capsys.readouterr().err
    assert code == 1 and "duplicate key 'spkA-utt000'" in err and f"{data_dir / 'utt2spk'}:" in err
