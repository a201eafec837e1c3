"""Shared fixtures: small valid Kaldi data dirs with real (synthetic) audio (see helpers.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import SHARED, make_data_dir, make_segmented_dir, write_tone  # noqa: F401  (re-exported)

if os.environ.get("PYTEST_XDIST_WORKER"):
    # parallel test workers (make test): one torch thread each, and in the jobs they start, so that
    # two workers share the cores instead of fighting over them (set before torch is imported)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path / "data" / "train")


@pytest.fixture
def segmented_dir(tmp_path: Path) -> Path:
    return make_segmented_dir(tmp_path / "data" / "seg")
