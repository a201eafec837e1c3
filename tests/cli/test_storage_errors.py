"""A full disk or a read-only output: a clear error naming the file, exit code 1, and neither a
partial file nor a lost old one."""
from __future__ import annotations

import errno
import os
import sys

import numpy as np
import pytest

from jsertk.cli.main import main
from jsertk.features.io import ArkScpWriter
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import OutputError


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "out" / "table"
    atomic_write_text(target, "old\n")
    monkeypatch.setattr(os, "fsync", _no_space)
    with pytest.raises(OutputError, match=r"table: cannot write it: No space left on device"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n" and sorted(p.name for p in target.parent.iterdir()) == ["table"]


def test_full_disk_while_writing_features_leaves_no_ark_or_scp(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "fsync", _no_space)
    with pytest.raises(OutputError, match="feats.ark: cannot write it: No space left"):
        with ArkScpWriter(tmp_path / "feats.ark", tmp_path / "feats.scp") as w:
            w.write("u1", np.zeros((3, 4), dtype=np.float32))
    assert list(tmp_path.iterdir()) == []


def test_the_cli_prints_one_line_and_exits_1(tmp_path, monkeypatch, capsys):
    from helpers import make_data_dir

    data = make_data_dir(tmp_path / "data", speakers=("a",), utts_per_spk=2)
    monkeypatch.delenv("JSERTK_DEBUG", raising=False)  # an earlier test's --debug sets it
    monkeypatch.setattr(os, "fsync", _no_space)
    monkeypatch.setattr(sys, "argv", ["jsertk", "compute-fbank", str(data), str(tmp_path / "feats"),
                                      "--no-progress"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "error: " in err and "No space left on device" in err and "Traceback" not in err
    assert not list((tmp_path / "feats").rglob("feats.scp")) and not list((tmp_path / "feats").rglob(".*tmp*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only dirs; run as another user")
def test_read_only_output_dir(tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            atomic_write_text(out / "table", "x\n")
    finally:
        out.chmod(0o700)
