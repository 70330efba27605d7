"""Shared fixtures: the real reference data folder and temporary stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FIREWATCH_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real reference data); skips the test with a reason when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real reference data not found at {SHARED_DATA} (set FIREWATCH_SHARED_DATA to its folder)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def small_scenario(tmp_path_factory):
    """A tiny synthetic scenario (``ScenarioConfig.small()``: one fire, a drone and a tower), generated once."""
    from firewatch.scenario import ScenarioConfig, generate_scenario

    return generate_scenario(tmp_path_factory.mktemp("small-scenario"), ScenarioConfig.small())
