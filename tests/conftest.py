"""Shared fixtures: the real reference data folder, the small scenario and the test PostgreSQL database."""

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
def dji_decoder() -> str:
    """The pure-Python DJI decoder's version; skips the test with the reason when it cannot run here (Python < 3.12
    or the 'dji' extra not installed). CI sets FIREWATCH_REQUIRE_DJI=1 (.ci/run): there the same reason fails."""
    from ingest.readers import dji_port

    reason = dji_port.unavailable_reason()
    if reason is not None:
        if os.environ.get("FIREWATCH_REQUIRE_DJI") == "1":
            pytest.fail(f"FIREWATCH_REQUIRE_DJI=1 but {reason}")
        pytest.skip(reason)
    return dji_port.port_version()


@pytest.fixture(scope="session")
def small_scenario(tmp_path_factory):
    """A tiny synthetic scenario (``ScenarioConfig.small()``: one fire, a drone and a tower), generated once."""
    from firewatch.scenario import ScenarioConfig, generate_scenario

    return generate_scenario(tmp_path_factory.mktemp("small-scenario"), ScenarioConfig.small())


#: A real PostgreSQL database for the store tests (.ci/run starts one from Debian's packages); unset: those skip.
PG_URL = os.environ.get("FIREWATCH_TEST_PG_URL")
NO_PG = "no PostgreSQL: set FIREWATCH_TEST_PG_URL=postgresql://user@host/db (.ci/run starts one from Debian's packages)"


@pytest.fixture()
def empty_postgresql() -> str:
    """The test PostgreSQL database's URL with every Firewatch table dropped (each test starts from nothing);
    skips the test with the reason when FIREWATCH_TEST_PG_URL is not set."""
    if not PG_URL:
        pytest.skip(NO_PG)
    from sqlalchemy import create_engine, text

    from firewatch.store.engine import parse_url
    from firewatch.store.schema import metadata

    engine = create_engine(parse_url(PG_URL))
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS schema_version"))
    engine.dispose()
    return PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A fresh store's URL, once as a SQLite file and once as the emptied test PostgreSQL database (skipped with the
    reason when FIREWATCH_TEST_PG_URL is not set): the store tests run on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'firewatch.db'}"
    return request.getfixturevalue("empty_postgresql")
