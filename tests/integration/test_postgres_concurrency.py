"""Four `firewatch ingest` processes writing into one PostgreSQL store at once: no lost, no duplicated rows.

Needs a real PostgreSQL: set FIREWATCH_TEST_PG_URL=postgresql://user@host:port/db (.ci/run starts one from Debian's
packages). The database's Firewatch tables are dropped first. The oracle is a single-process run into SQLite.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from firewatch.commands.common import config_with_overrides
from firewatch.pipeline import Pipeline
from firewatch.store import Store
from firewatch.store.engine import parse_url
from firewatch.store.schema import metadata

PG_URL = os.environ.get("FIREWATCH_TEST_PG_URL")
WRITERS = 4

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="no PostgreSQL: set FIREWATCH_TEST_PG_URL=postgresql://user@host:port/db "
                                          "(.ci/run starts one from Debian's postgresql package)"),
]


def ingest_command(files, dem, db) -> list[str]:
    return [sys.executable, "-m", "firewatch", "ingest", *map(str, files), "--dem", str(dem), "--db", db,
            "--no-progress"]


def table_counts(url: str) -> dict:
    engine = create_engine(parse_url(url))
    with engine.connect() as conn:
        counts = {
            "frames": conn.execute(text("SELECT count(*), count(DISTINCT frame_id), "
                                        "count(DISTINCT content_sha256) FROM frames")).one(),
            "hotspots": conn.execute(text("SELECT count(*), count(DISTINCT hotspot_id) FROM hotspots")).one(),
        }
    engine.dispose()
    return counts


@pytest.fixture()
def empty_pg() -> str:
    engine = create_engine(parse_url(PG_URL))
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS schema_version"))
    engine.dispose()
    Store(PG_URL).close()  # create the schema once, before the writers race
    return PG_URL


def test_four_concurrent_writers_lose_and_duplicate_nothing(small_scenario, empty_pg, tmp_path):
    files = sorted(p for p in small_scenario.frames_dir.rglob("*.tif"))
    dem = small_scenario.dem_path
    oracle = Store(f"sqlite:///{tmp_path / 'single.db'}")
    pipeline = Pipeline(config_with_overrides(None, db=oracle.url.render_as_string(), dem=dem,
                                              ground_elevation_m=None), oracle)
    assert {pipeline.process(path).status for path in files} == {"accepted"}
    expected_hotspots = {h.hotspot_id for h in oracle.hotspots()}
    expected_frames = {f["frame_id"] for f in oracle.frames()}
    assert expected_hotspots

    # Every writer ingests every frame, each starting at a different frame: all frames are contended, some are
    # analysed by several writers at once and their rows written twice (upserts), none may appear twice or vanish.
    writers = [subprocess.Popen(ingest_command(files[k:] + files[:k], dem, empty_pg), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for k in range(WRITERS)]
    results = [(w.wait(timeout=600), *w.communicate()) for w in writers]
    for code, out, err in results:
        assert code == 0, err[-2000:]

    counts = table_counts(empty_pg)
    assert counts["frames"] == (len(expected_frames),) * 3
    assert counts["hotspots"] == (len(expected_hotspots),) * 2
    store = Store(empty_pg)
    assert {h.hotspot_id for h in store.hotspots()} == expected_hotspots
    assert {f["frame_id"] for f in store.frames(status="accepted")} == expected_frames
    accepted = sum(int(out.split(" accepted")[0].rsplit("\n", 1)[-1]) for _, out, _ in results)
    assert accepted >= len(expected_frames)  # each frame accepted at least once (twice when writers raced)
    print(f"{WRITERS} writers accepted {accepted} frame(s) for {len(expected_frames)} distinct frames")
    store.close()
