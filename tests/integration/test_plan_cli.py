"""`firewatch plan` end to end through the real CLI: DEM GeoTIFF in, files out, refusals with reasons."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import affine
import numpy as np
import pyproj
import pytest

from typer.testing import CliRunner

from firewatch.cli import app
from firewatch.model import Incident, utc_now
from flightplans.errors import FlightPlanError
from ingest.terrain import Terrain

LON0, LAT0 = 127.30, 37.60


def run(*args, timeout=120):
    """The real console entry point in a child process (exit status 2 and one line on stderr for errors)."""
    return subprocess.run([sys.executable, "-m", "firewatch", "plan", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def invoke(*args):
    """The same typer app in-process (faster on a shared machine); library errors stay as exceptions."""
    return CliRunner().invoke(app, ["plan", *map(str, args)])


@pytest.fixture(scope="module")
def dem(tmp_path_factory):
    """A 4 km DEM GeoTIFF (UTM 52N, 10 m cells) with a 200 m hill, written by ingest.terrain."""
    crs = pyproj.CRS.from_epsg(32652)
    cx, cy = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(LON0, LAT0)
    offsets = -2000.0 + 10.0 * (np.arange(400) + 0.5)
    dx, dy = np.meshgrid(offsets, -offsets)
    elevation = 120.0 + 200.0 * np.exp(-((dx - 300) ** 2 + (dy - 300) ** 2) / (2 * 400.0 ** 2))
    terrain = Terrain.from_array(elevation, transform=affine.Affine(10.0, 0, cx - 2000, 0, -10.0, cy + 2000), crs=crs)
    path = tmp_path_factory.mktemp("dem") / "dem.tif"
    terrain.to_geotiff(path)
    return path


def test_orbit_plan_file_and_summary(dem, tmp_path):
    out = tmp_path / "orbit.plan"
    done = run("--at", f"{LAT0 + 0.003},{LON0 + 0.003}", "--pattern", "orbit", "--home",
               f"{LAT0 - 0.005},{LON0 - 0.006}",
               "--dem", dem, "-o", out)
    assert done.returncode == 0, done.stderr
    for label in ("distance / 비행 거리", "duration / 비행 시간", "max height above ground", "min clearance",
                  "sorties / 비행 횟수"):
        assert label in done.stdout
    doc = json.loads(out.read_text())
    assert doc["fileType"] == "Plan" and doc["mission"]["items"][0]["command"] == 22


def test_survey_kmz_from_a_stored_incident(dem, tmp_path):
    from firewatch.store import Store

    url = f"sqlite:///{tmp_path / 'fw.db'}"
    now = utc_now()
    perimeter = {"type": "Polygon", "coordinates": [[[LON0, LAT0], [LON0 + 0.002, LAT0], [LON0 + 0.002, LAT0 + 0.001],
                                                     [LON0, LAT0 + 0.001], [LON0, LAT0]]]}
    incident = Incident("inc-1", "confirmed", now, now, LAT0 + 0.0005, LON0 + 0.001, perimeter, 17000.0, 900.0,
                        700.0, 0.9, "high", ["drone-1"], ["drone"], 3, 5)
    with Store.open(url) as store:
        store.apply_transitions([incident], [], [], [])
    out = tmp_path / "survey.kmz"
    done = invoke("--incident", "inc-1", "--db", url, "--pattern", "survey", "--home",
                  f"{LAT0 - 0.004},{LON0 - 0.004}", "--dem", dem, "--format", "kmz", "-o", out, "--json")
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["pattern"] == "survey" and summary["min_clearance_m"] >= 30.0
    with zipfile.ZipFile(out) as kmz:
        assert {"wpmz/template.kml", "wpmz/waylines.wpml"} <= set(kmz.namelist())
    missing = invoke("--incident", "nope", "--db", url, "--pattern", "orbit", "--home", f"{LAT0},{LON0}", "--dem", dem)
    assert isinstance(missing.exception, FlightPlanError) and "incident 'nope' is not in" in str(missing.exception)


@pytest.mark.realdata
def test_refusals_say_why(shared_data, tmp_path):
    p73a = shared_data / "airspace" / "RK_P73A_from_vworld_LT_C_AISPRHC.geojson"
    inside = run("--at", "37.533,126.990", "--pattern", "orbit", "--home", "37.545,126.925", "--ground-elevation", 20,
                 "--no-fly", p73a, "-o", tmp_path / "x.plan")
    assert inside.returncode == 2 and "inside no-fly zone RK P73A" in inside.stderr
    assert not (tmp_path / "x.plan").exists()
    no_terrain = invoke("--at", f"{LAT0},{LON0}", "--pattern", "orbit", "--home", f"{LAT0},{LON0 + 0.01}")
    assert no_terrain.exit_code == 2 and "--dem" in no_terrain.output
    swapped = invoke("--at", f"{LON0},{LAT0}", "--pattern", "orbit", "--home", f"{LAT0},{LON0}", "--ground-elevation",
                     5)
    assert swapped.exit_code == 2 and "swap" in swapped.output


def test_route_sorties_are_written_separately(dem, tmp_path):
    out = tmp_path / "route.waypoints"
    done = invoke("--at", f"{LAT0 + 0.01},{LON0 + 0.012}", "--at", f"{LAT0 - 0.012},{LON0 + 0.01}", "--at",
                  f"{LAT0 + 0.012},{LON0 - 0.012}", "--pattern", "route", "--home", f"{LAT0},{LON0}", "--dem", dem,
                  "-o", out, "--config", _short_battery_config(tmp_path))
    assert done.exit_code == 0, done.output
    files = sorted(tmp_path.glob("route-sortie*.waypoints"))
    assert len(files) >= 2 and all(f.read_text().startswith("QGC WPL 110\n") for f in files)


def _short_battery_config(tmp_path):
    path = tmp_path / "firewatch.toml"
    path.write_text("[flightplans.aircraft]\nbattery_minutes = 11.0\n")
    return path
