"""Shared fixtures: small valid Kaldi data dirs with real (synthetic) audio (see helpers.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SHARED, make_data_dir, make_segmented_dir, write_tone  # noqa: F401  (re-exported)

# Slow tests (see the `slow` marker in pytest.ini) in files that do not mark themselves: the
# recipe runs and the model tests that train. Elsewhere tests carry @pytest.mark.slow or a
# module-level `pytestmark`; moving these marks into their files makes this table unnecessary.
# file (relative to tests/) -> test function names ("*": every test of the file)
SLOW_TESTS: dict[str, set[str] | str] = {
    "recipes/test_synth_emo_pipeline.py": "*",  # runs the whole recipe
    "recipes/test_synth_emo_stage0.py": {  # the tests that run stage 0 (synthetic corpus)
        "test_stage0_makes_valid_sets_and_marks_them_done",
        "test_rerun_skips_finished_stage",
        "test_other_corpus_options_into_the_same_dirs_are_refused",
    },
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        try:
            rel = item.path.resolve().relative_to(tests).as_posix()
        except ValueError:
            continue
        names = SLOW_TESTS.get(rel)
        if names is not None and (names == "*" or getattr(item, "originalname", item.name) in names):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path / "data" / "train")


@pytest.fixture
def segmented_dir(tmp_path: Path) -> Path:
    return make_segmented_dir(tmp_path / "data" / "seg")
