"""Fixtures for flight-plan tests (terrains from fp_terrain)."""

from __future__ import annotations

import pytest
from fp_terrain import grid_terrain, hill

from ingest.terrain import Terrain


@pytest.fixture(scope="session")
def hill_terrain() -> Terrain:
    return grid_terrain(hill)


@pytest.fixture(scope="session")
def flat_terrain() -> Terrain:
    return Terrain.flat(50.0)
