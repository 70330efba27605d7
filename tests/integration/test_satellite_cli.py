"""``firewatch satellite`` and ``firewatch masks suggest`` through the real CLI on the real FIRMS files.

Oracles: the fires' known locations (Palisades near 34.07 N, 118.54 W; Eaton near 34.19 N, 118.10 W; the Pohang,
Gwangyang and Dangjin steelworks), FIRMS's own ``type`` column read with Python's csv module, and the detection
counts of the files.
"""

from __future__ import annotations

import csv
import json

import pytest
import shapely
from pyproj import Geod
from shapely.ops import nearest_points
from typer.testing import CliRunner

from firewatch.cli import app
from firewatch.store import Store
from ingest.errors import UnreadableDetections

_GEOD = Geod(ellps="WGS84")
ARCHIVE = "fire_archive_J1V-C2_618777_LosAngeles_2024-05_2025-01.csv"
KOREA = "nasa_firms_korea_viirs_snpp_2025-03.json"
PALISADES = (-118.54, 34.07)
EATON = (-118.10, 34.19)
#: The brief's approximate plant positions (lon, lat), given to a tenth of a degree (Dangjin's plant is at about
#: 36.98 N 126.70 E): a proposal within 15 km (0.1° of latitude and longitude ≈ 11 × 9 km) counts.
STEELWORKS = {"Pohang": (129.4, 36.0), "Gwangyang": (127.7, 34.9), "Dangjin": (126.6, 36.9)}


def _run(*args):
    return CliRunner().invoke(app, [*args], catch_exceptions=True)


def _distance_to_area_m(point, geometry: dict) -> float:
    """Geodesic distance (m) from a lon/lat point to the nearest point of a lon/lat geometry (0 inside)."""
    shape = shapely.geometry.shape(geometry)
    if shape.contains(shapely.Point(point)):
        return 0.0
    nearest = nearest_points(shape, shapely.Point(point))[0]
    return _GEOD.inv(point[0], point[1], nearest.x, nearest.y)[2]


@pytest.fixture(scope="module")
def la_january(shared_data, tmp_path_factory):
    """The archive's 7–8 January 2025 rows (the Palisades fire started on the 7th, Eaton that evening)."""
    path = tmp_path_factory.mktemp("firms") / "la_2025-01-07_08.csv"
    with (shared_data / "firms" / ARCHIVE).open(newline="") as src, path.open("w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
        writer.writeheader()
        rows = [r for r in reader if r["acq_date"] in ("2025-01-07", "2025-01-08")]
        writer.writerows(rows)
    return path, rows


@pytest.mark.realdata
def test_january_8_detections_become_incidents_including_palisades_and_eaton(la_january, tmp_path):
    path, rows = la_january
    db = f"sqlite:///{tmp_path / 'la.db'}"
    result = _run("satellite", str(path), "--db", db, "--no-progress")
    assert result.exit_code == 0, result.output
    store = Store(db)
    hotspots = store.hotspots()
    assert len(hotspots) == len(rows)
    incidents = {inc.incident_id: inc for inc in store.list_incidents()}
    # kept apart: a masked (type 2 / 3) detection is never in a vegetation-fire incident and vice versa
    for incident in incidents.values():
        members = store.hotspots(incident_id=incident.incident_id)
        assert all(h.masked == incident.masked for h in members), incident.incident_id
    type_of = {r["type"] for r in rows}
    assert {"2", "0"} <= type_of
    masked = [h for h in hotspots if h.masked]
    assert len(masked) == sum(r["type"] in ("1", "2", "3") for r in rows)
    jan8 = [inc for inc in incidents.values() if not inc.masked and inc.last_seen.date().isoformat() == "2025-01-08"]
    for name, point in (("Palisades", PALISADES), ("Eaton", EATON)):
        near = [inc for inc in jan8 if _distance_to_area_m(point, inc.perimeter) < 2000.0]
        assert near, f"no vegetation-fire incident of 8 January near the {name} fire {point}"
        best = max(near, key=lambda inc: inc.hotspot_count)
        assert best.confirmed_at is not None, f"{name}: {best.state} {best.extra.get('confirmed_by')}"
        assert best.sources == ["VIIRS-NOAA-20"] and best.source_kinds == ["satellite"]
        print(f"{name}: {best.incident_id} {best.state} {best.hotspot_count} detections, "
              f"{best.area_m2 / 1e6:.1f} km², max FRP {best.max_frp_kw / 1000:.0f} MW, "
              f"confirmed by {best.extra.get('confirmed_by')}")
    # re-running the same file stores nothing twice
    again = _run("satellite", str(path), "--db", db, "--no-progress")
    assert again.exit_code == 0 and "0 pass(es) ingested" in again.output
    assert len(Store(db).hotspots()) == len(rows)


@pytest.mark.realdata
def test_korea_steelworks_are_proposed_as_static_sources_and_masked_once_accepted(shared_data, tmp_path):
    korea = shared_data / "firms" / KOREA
    db = f"sqlite:///{tmp_path / 'korea.db'}"
    result = _run("satellite", str(korea), "--db", db, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "223 detection(s)" in result.output
    proposed = tmp_path / "proposed.geojson"
    result = _run("masks", "suggest", "--db", db, "-o", str(proposed))
    assert result.exit_code == 0, result.output
    collection = json.loads(proposed.read_text())
    features = collection["features"]
    for name, point in STEELWORKS.items():
        near = [f for f in features if _distance_to_area_m(point, f["geometry"]) < 15_000.0]
        assert near, f"{name} steelworks {point} not proposed"
        assert near[0]["properties"]["days_seen"] == 3
    # accepted into the config, the masks apply: a fresh store sees those detections masked
    config = tmp_path / "firewatch.toml"
    config.write_text(f'[masks]\nfiles = ["{proposed.name}"]\n', encoding="utf-8")
    db2 = f"sqlite:///{tmp_path / 'korea2.db'}"
    result = _run("satellite", str(korea), "--db", db2, "--config", str(config), "--no-progress")
    assert result.exit_code == 0, result.output
    inside = [h for h in Store(db2).hotspots()
              if any(shapely.geometry.shape(f["geometry"]).intersects(shapely.Point(h.lon, h.lat)) for f in features)]
    assert inside and all(h.masked and h.mask_name.startswith("static heat source") for h in inside)
    assert not any(inc.confirmed_at for inc in Store(db2).list_incidents() if inc.masked)


def test_malformed_rows_are_reported_by_line_and_the_rest_ingests(tmp_path):
    header = ("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,"
              "bright_ti5,frp,daynight")
    good = "37.0,127.0,340.0,0.4,0.4,2025-03-10,0446,N,VIIRS,n,2.0NRT,290.0,5.0,D"
    path = tmp_path / "detections.csv"
    path.write_text("\n".join([header, good, good.replace("2025-03-10", "2025-13-01"),
                               good.replace("37.0", "37.2")]) + "\n")
    db = f"sqlite:///{tmp_path / 'fw.db'}"
    result = CliRunner().invoke(app, ["satellite", str(path), "--db", db, "--no-progress"])
    assert result.exit_code == 3
    assert f"{path}:3: skipped: acq_date='2025-13-01'" in result.stderr
    assert len(Store(db).hotspots()) == 2


def test_a_file_that_is_not_firms_is_refused(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n")
    result = _run("satellite", str(path), "--db", f"sqlite:///{tmp_path / 'fw.db'}", "--no-progress")
    assert isinstance(result.exception, UnreadableDetections)
    assert "notes.csv: not a NASA FIRMS" in str(result.exception)
