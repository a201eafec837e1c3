"""Shared fixtures: small valid Kaldi data dirs with real (synthetic) audio (see helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SHARED, make_data_dir, make_segmented_dir, write_tone  # noqa: F401  (re-exported)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path / "data" / "train")


@pytest.fixture
def segmented_dir(tmp_path: Path) -> Path:
    return make_segmented_dir(tmp_path / "data" / "seg")
