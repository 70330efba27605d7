"""Batch ingest on a real dask.distributed LocalCluster (2 worker processes) equals the single-process run."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from firewatch.batch import BatchError, analyse_distributed, dask_client
from firewatch.commands.common import config_with_overrides
from firewatch.model import to_json
from firewatch.pipeline import Pipeline, expand_inputs
from firewatch.store import Store


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "firewatch", *args], capture_output=True, text=True, timeout=300)


def snapshot(db: str) -> dict:
    """Everything the run decided, from the store: hotspots and incidents (every field), frames (status, reason)."""
    store = Store(db)
    hotspots = sorted(to_json(dataclasses.asdict(h)) for h in store.hotspots())
    incidents = sorted(to_json(dataclasses.asdict(i)) for i in store.list_incidents())
    frames = sorted((f["frame_id"], f["status"], f["reason"], f["hotspot_count"]) for f in store.frames())
    store.close()
    return {"hotspots": hotspots, "incidents": incidents, "frames": frames}


@pytest.fixture()
def inbox(small_scenario, tmp_path) -> Path:
    """The small scenario's frames plus one corrupt frame (must be quarantined, not stop the batch)."""
    folder = tmp_path / "inbox"
    shutil.copytree(small_scenario.frames_dir, folder)
    good = min(folder.rglob("*.tif"))
    (folder / "truncated.tif").write_bytes(good.read_bytes()[:5000])
    return folder


def pipeline_for(db: str, dem: Path) -> Pipeline:
    """The pipeline `firewatch ingest --dem DEM --db DB` builds."""
    config = config_with_overrides(None, db=db, dem=dem, ground_elevation_m=None)
    return Pipeline(config, Store(config.store.url))


@pytest.mark.slow
def test_two_worker_cluster_gives_identical_results(small_scenario, inbox, tmp_path):
    files = expand_inputs([inbox])
    single = pipeline_for(f"sqlite:///{tmp_path / 'single.db'}", small_scenario.dem_path)
    expected_outcomes = [single.process(path) for path in files]
    on_dask = pipeline_for(f"sqlite:///{tmp_path / 'dask.db'}", small_scenario.dem_path)
    with dask_client(workers=2) as client:
        outcomes = list(analyse_distributed(on_dask, files, client=client))
        again = list(analyse_distributed(on_dask, files, client=client))

    assert [(o.path, o.status, o.frame_id, o.hotspot_count) for o in outcomes] == \
        [(o.path, o.status, o.frame_id, o.hotspot_count) for o in expected_outcomes]
    assert [o.status for o in outcomes].count("quarantined") == 1  # the truncated frame, the batch went on
    assert [[(t.incident_id, t.kind) for t in o.transitions] for o in outcomes] == \
        [[(t.incident_id, t.kind) for t in o.transitions] for o in expected_outcomes]
    expected, got = snapshot(single.store.url), snapshot(on_dask.store.url)
    assert expected["hotspots"] and expected["incidents"]
    assert got == expected
    # A re-run over the same store: every file is recognised by its hash and skipped, nothing is analysed again.
    assert [o.status for o in again] == ["skipped"] * len(files)
    assert snapshot(on_dask.store.url) == expected


@pytest.mark.slow
def test_cli_workers_option(small_scenario, tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run_cli("ingest", str(small_scenario.frames_dir), "--dem", str(small_scenario.dem_path), "--db", db,
                     "--no-progress", "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert f"{len(small_scenario.frames)} accepted, 0 already processed, 0 quarantined" in result.stdout


def test_workers_and_scheduler_are_exclusive(small_scenario, tmp_path):
    result = run_cli("ingest", str(small_scenario.frames_dir), "--ground-elevation", "100", "--db",
                     f"sqlite:///{tmp_path / 'x.db'}", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert result.returncode != 0
    assert "not both" in result.stderr


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(BatchError, match="tcp://127.0.0.1:9"), \
            dask_client(scheduler="tcp://127.0.0.1:9", connect_timeout_s=1.0):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def external_scheduler():
    """A real `dask scheduler` and `dask worker` (2 processes × 1 thread) on loopback; stopped afterwards."""
    dask_cli = Path(sys.executable).with_name("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    scheduler = subprocess.Popen([str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port",
                                  address.rsplit(":", 1)[1], "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(dask_cli), "worker", address, "--nthreads", "1", "--nworkers", "2",
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
def test_cli_on_an_external_scheduler(small_scenario, external_scheduler, tmp_path):
    single = pipeline_for(f"sqlite:///{tmp_path / 'single.db'}", small_scenario.dem_path)
    for path in expand_inputs([small_scenario.frames_dir]):
        single.process(path)
    db = f"sqlite:///{tmp_path / 'remote.db'}"
    result = run_cli("ingest", str(small_scenario.frames_dir), "--dem", str(small_scenario.dem_path), "--db", db,
                     "--no-progress", "--scheduler", external_scheduler)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert snapshot(db) == snapshot(single.store.url)


def test_a_chunk_whose_task_failed_is_quarantined_with_the_error(small_scenario, tmp_path):
    """A task that failed for good (here: it raised; in life a worker killed twice) quarantines its frames, each
    with the error and its content hash, so the batch goes on and a re-run skips them."""
    from firewatch.batch import _quarantined
    from firewatch.pipeline import file_sha256

    paths = [str(p) for p in sorted(small_scenario.frames_dir.rglob("*.tif"))[:2]] + [str(tmp_path / "gone.tif")]
    with dask_client(workers=1) as client:
        failed = client.submit(lambda: 1 / 0, pure=False)
        failed.exception()  # wait for it
        analyses = _quarantined(paths, failed)
    assert [a.path for a in analyses] == [Path(p) for p in paths]
    assert all("ZeroDivisionError" in a.reason for a in analyses)
    assert [a.content_sha256 for a in analyses] == [file_sha256(Path(paths[0])), file_sha256(Path(paths[1])), None]


def test_workers_get_an_absolute_sqlite_path_and_no_in_memory_store(tmp_path, monkeypatch):
    from firewatch.batch import shared_store_url

    monkeypatch.chdir(tmp_path)
    store = Store("sqlite:///relative.db")
    assert shared_store_url(store) == f"sqlite:///{tmp_path / 'relative.db'}"  # workers may run elsewhere
    store.close()
    with pytest.raises(BatchError, match="in-memory"):
        shared_store_url(Store("sqlite://"))


@pytest.mark.slow
def test_two_workers_commit_into_postgresql_as_one_process_would(small_scenario, empty_postgresql, tmp_path):
    """The workers open the store themselves: on PostgreSQL (a real server, .ci/run) the result equals a
    single-process run into SQLite."""
    files = expand_inputs([small_scenario.frames_dir])
    single = pipeline_for(f"sqlite:///{tmp_path / 'single.db'}", small_scenario.dem_path)
    for path in files:
        single.process(path)
    on_dask = pipeline_for(empty_postgresql, small_scenario.dem_path)
    with dask_client(workers=2) as client:
        outcomes = list(analyse_distributed(on_dask, files, client=client, frames_per_task=2))
    assert [o.status for o in outcomes] == ["accepted"] * len(files)
    assert snapshot(on_dask.store.url.render_as_string(hide_password=False)) == snapshot(single.store.url)
