"""Four writer processes ingesting into one SQLite file (WAL) at once: one incident per fire, nothing lost or
duplicated (issue 8, the SQLite twin of test_postgres_concurrency.py).

Writers are forked from the test process (the modules are already imported: a writer starts in milliseconds), one
per camera feed and two per feed, each running :meth:`Pipeline.process` over its feed in time order with fusion
slowed down (concurrency_helpers.install_slow_fusion) so the feeds' first hotspots race to open the fire's incident.
The oracle is a single-process run of the same frames.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from firewatch.commands.common import config_with_overrides
from firewatch.pipeline import Pipeline, expand_inputs
from firewatch.store import Store

sys.path.insert(0, os.path.dirname(__file__))
from concurrency_helpers import incident_summary, install_slow_fusion

WRITERS = 4


def pipeline_for(url: str, dem) -> Pipeline:
    store = Store(url)
    return Pipeline(config_with_overrides(None, db=url, dem=dem, ground_elevation_m=None), store)


def writer(url: str, dem, feed, accepted) -> None:
    """One writer process: ingest one feed's frames in time order; count the frames it accepted."""
    install_slow_fusion()
    pipeline = pipeline_for(url, dem)
    outcomes = [pipeline.process(path) for path in expand_inputs([feed])]
    assert {o.status for o in outcomes} <= {"accepted", "skipped"}, [o.line() for o in outcomes]
    with accepted.get_lock():
        accepted.value += sum(o.status == "accepted" for o in outcomes)
    pipeline.store.close()


def test_four_writer_processes_into_one_sqlite_file_make_one_incident_per_fire(small_scenario, tmp_path):
    dem = small_scenario.dem_path
    files = expand_inputs([small_scenario.frames_dir])
    feeds = sorted({path.parent for path in files})
    assert len(feeds) >= 2  # a drone and a tower: two feeds seeing one fire

    oracle = pipeline_for(f"sqlite:///{tmp_path / 'single.db'}", dem)
    assert {oracle.process(path).status for path in files} == {"accepted"}
    expected = incident_summary(oracle.store)
    assert expected["incidents"] == expected["confirmed_alerts"] == 1  # the scenario's one fire

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    Store(url).close()  # create the schema once, before the writers race
    context = multiprocessing.get_context("fork")
    accepted = context.Value("i", 0)
    processes = [context.Process(target=writer, args=(url, dem, feeds[k % len(feeds)], accepted))
                 for k in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * WRITERS

    store = Store(url)
    assert incident_summary(store) == expected
    assert {h.hotspot_id for h in store.hotspots()} == {h.hotspot_id for h in oracle.store.hotspots()}
    assert sorted(f["frame_id"] for f in store.frames()) == sorted(f["frame_id"] for f in oracle.store.frames())
    assert accepted.value == len(files)  # the frame check is inside the serialised unit: each frame once
    store.close()
    oracle.store.close()
