"""Four `firewatch ingest` processes writing into one PostgreSQL store at once: no lost, no duplicated rows, and
one incident per fire (issue 8).

Needs a real PostgreSQL: set FIREWATCH_TEST_PG_URL=postgresql://user@host:port/db (.ci/run starts one from Debian's
packages). The database's Firewatch tables are dropped first. The oracle is a single-process run into SQLite.

The writers are deployed as in the field: one ingest worker per camera feed, each feed ingested by two workers
(redundancy). The feeds see the same fire, so their first hotspots race to open its incident: without one
serialised read-fuse-write unit per frame (:meth:`Store.fusion_transaction`) each worker opens its own incident.
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

sys.path.insert(0, os.path.dirname(__file__))
from concurrency_helpers import SLOW_FUSION_LAUNCHER, incident_summary

WRITERS = 4

pytestmark = pytest.mark.slow  # and skipped with the reason without FIREWATCH_TEST_PG_URL (the empty_postgresql fixture)


def ingest_command(files, dem, db) -> list[str]:
    """`firewatch ingest` with a slowed-down fusion step (concurrency_helpers.SLOW_FUSION_LAUNCHER)."""
    return [sys.executable, "-c", SLOW_FUSION_LAUNCHER, "ingest", *map(str, files), "--dem", str(dem), "--db", db,
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
def empty_pg(empty_postgresql) -> str:
    Store(empty_postgresql).close()  # create the schema once, before the writers race
    return empty_postgresql


def test_four_concurrent_writers_lose_and_duplicate_nothing(small_scenario, empty_pg, tmp_path):
    files = sorted(p for p in small_scenario.frames_dir.rglob("*.tif"))
    feeds = sorted({path.parent for path in files})
    assert len(feeds) >= 2  # a drone and a tower: two feeds seeing one fire
    dem = small_scenario.dem_path
    oracle = Store(f"sqlite:///{tmp_path / 'single.db'}")
    pipeline = Pipeline(config_with_overrides(None, db=oracle.url.render_as_string(), dem=dem,
                                              ground_elevation_m=None), oracle)
    assert {pipeline.process(path).status for path in files} == {"accepted"}
    expected_hotspots = {h.hotspot_id for h in oracle.hotspots()}
    expected_frames = {f["frame_id"] for f in oracle.frames()}
    expected_incidents = incident_summary(oracle)
    assert expected_hotspots
    assert expected_incidents["incidents"] == expected_incidents["confirmed_alerts"] == 1  # the scenario's one fire

    # Writer k ingests feed k mod 2, in time order: every frame is contended by two writers (analysed twice, rows
    # written twice as upserts; none may appear twice or vanish), and the feeds race to open the fire's incident.
    writers = [subprocess.Popen(ingest_command([feeds[k % len(feeds)]], dem, empty_pg), stdout=subprocess.PIPE,
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
    # One incident per fire holding the same hotspots and frames as the oracle's (no duplicate, no lost update), and
    # one confirmation alert per fire.
    assert incident_summary(store) == expected_incidents
    accepted = sum(int(out.split(" accepted")[0].rsplit("\n", 1)[-1]) for _, out, _ in results)
    assert accepted == len(expected_frames)  # the frame check is inside the serialised unit: each frame once
    print(f"{WRITERS} writers accepted {accepted} frame(s) for {len(expected_frames)} distinct frames")
    store.close()
