"""The pipeline end to end through the real CLI: ingest, quarantine, once-only processing, scoring vs truth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from firewatch.evaluation import evaluate_store
from firewatch.store import Store


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "firewatch", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


@pytest.fixture()
def inbox(small_scenario, tmp_path) -> Path:
    """A copy of the small scenario's frames plus bad files: a truncated TIFF, an empty file, random bytes, an absurd
    pose sidecar, an altitude above take-off given as AMSL."""
    folder = tmp_path / "inbox"
    shutil.copytree(small_scenario.frames_dir, folder)
    good = sorted(folder.rglob("*.tif"))[0]
    (folder / "truncated.tif").write_bytes(good.read_bytes()[:5000])
    (folder / "noise.jpg").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.tif").write_bytes(b"")  # an interrupted copy
    absurd = folder / "absurd.tif"  # a different image (its own content hash) whose sidecar puts it at lat 1000
    with rasterio.open(good) as src:
        profile, data = src.profile, src.read(1)
    with rasterio.open(absurd, "w", **profile) as dst:
        dst.write(data[::-1], 1)
    sidecar = json.loads(good.with_name(good.name + ".json").read_text())
    sidecar["pose"]["lat_deg"] = 1000.0
    sidecar.pop("frame_id", None)
    absurd.with_name("absurd.tif.json").write_text(json.dumps(sidecar))
    underground = folder / "underground.tif"  # a drone frame whose altitude is above take-off, not AMSL
    with rasterio.open(underground, "w", **profile) as dst:
        dst.write(data[:, ::-1], 1)
    sidecar = json.loads(good.with_name(good.name + ".json").read_text())
    sidecar["pose"]["alt_amsl_m"] = 20.0
    sidecar.pop("frame_id", None)
    underground.with_name("underground.tif.json").write_text(json.dumps(sidecar))
    return folder


def test_ingest_quarantines_bad_frames_and_processes_each_file_once(small_scenario, inbox, tmp_path):
    db = f"sqlite:///{tmp_path / 'fw.db'}"
    first = run_cli("ingest", str(inbox), "--dem", str(small_scenario.dem_path), "--db", db, "--no-progress")
    assert first.returncode == 3, first.stderr  # 3 = some frames quarantined, the rest accepted
    store = Store(db)
    frames = store.frames()
    by_status = {}
    for row in frames:
        by_status.setdefault(row["status"], []).append(row)
    assert len(by_status["accepted"]) == len(small_scenario.frames)
    reasons = {Path(row["path"]).name: row["reason"] for row in by_status["quarantined"]}
    assert set(reasons) == {"truncated.tif", "empty.tif", "noise.jpg", "absurd.tif", "underground.tif"}
    assert "empty" in reasons["empty.tif"]
    assert "truncated.tif" in reasons["truncated.tif"] or "truncat" in reasons["truncated.tif"].lower()
    assert "1000" in reasons["absurd.tif"]  # the bad latitude is named
    assert "below the ground" in reasons["underground.tif"]
    hotspots_before = {h.hotspot_id for h in store.hotspots()}
    assert hotspots_before

    again = run_cli("ingest", str(inbox), "--dem", str(small_scenario.dem_path), "--db", db, "--no-progress")
    assert again.returncode == 0, again.stderr
    assert f"0 accepted, {len(small_scenario.frames) + 5} already processed" in again.stdout
    assert {h.hotspot_id for h in store.hotspots()} == hotspots_before
    assert len(store.frames()) == len(frames)


def test_small_scenario_fire_confirmed_and_located(small_scenario, tmp_path):
    db = f"sqlite:///{tmp_path / 'fw.db'}"
    # the scenario's own firewatch.toml (its DEM, its tower cameras) is a valid configuration
    result = run_cli("ingest", str(small_scenario.frames_dir), "--config", str(small_scenario.paths.config_toml),
                     "--db", db, "--no-progress")
    assert result.returncode == 0, result.stderr
    store = Store(db)
    evaluation = evaluate_store(small_scenario, store)
    print(evaluation.table())
    assert evaluation.all_fires_confirmed_within_two_looks
    assert (evaluation.max_error_m("drone", first=2) or 0.0) <= 10.0
    assert (evaluation.max_error_m("fixed", first=2) or 0.0) <= 50.0
    assert evaluation.spurious_incidents == []
    assert {target: ids for target, ids in evaluation.false_target_incidents.items() if ids} == {}


def test_ingest_writes_orthophotos_of_drone_frames_with_hotspots(small_scenario, tmp_path):
    db = f"sqlite:///{tmp_path / 'fw.db'}"
    ortho = tmp_path / "ortho"
    result = run_cli("ingest", str(small_scenario.frames_dir), "--dem", str(small_scenario.dem_path), "--db", db,
                     "--ortho", str(ortho), "--no-progress")
    assert result.returncode == 0, result.stderr
    rows = [row for row in Store(db).frames() if (row.get("extra") or {}).get("ortho_path")]
    assert rows and all(row["source_kind"] == "drone" and row["hotspot_count"] > 0 for row in rows)
    with rasterio.open(rows[0]["extra"]["ortho_path"]) as src:
        assert src.crs.is_projected and src.dtypes[0] == "float32"
        hottest_k = float(np.nanmax(src.read(1)))
    assert hottest_k > 600.0  # the fire is on the orthophoto (kelvin)
