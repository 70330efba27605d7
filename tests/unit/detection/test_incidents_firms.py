"""Fusion on real satellite detections: NASA FIRMS VIIRS (NOAA-20, 375 m) over Los Angeles, January 2025.

Oracle: the CAL FIRE final perimeters of the Palisades fire (23,448 acres = 94.9 km²) and the Eaton fire
(14,021 acres = 56.7 km²), 45 km apart, both burning from 7–8 January 2025.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import Point, shape

from detection.incidents import FusionConfig, fuse_hotspots
from firewatch.model import Hotspot, stable_id

ACRE_M2 = 4046.8564224
#: FIRMS confidence letters → (0–1 confidence, class), the VIIRS product's own three levels.
VIIRS_CONFIDENCE = {"l": (0.25, "low"), "n": (0.6, "nominal"), "h": (0.9, "high")}


def read_viirs(path, month: str) -> dict[datetime, list[Hotspot]]:
    """Hotspots per overpass (one overpass = one look). FRP is MW in FIRMS; σ = half the pixel's longer side."""
    looks: dict[datetime, list[Hotspot]] = defaultdict(list)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["acq_date"].startswith(month):
                continue
            time = datetime.strptime(row["acq_date"] + row["acq_time"].zfill(4), "%Y-%m-%d%H%M").replace(
                tzinfo=timezone.utc)
            frame_id = f"viirs-n20-{time:%Y%m%dT%H%M}"
            confidence, class_ = VIIRS_CONFIDENCE[row["confidence"]]
            brightness_k = float(row["brightness"])
            looks[time].append(Hotspot(
                hotspot_id=stable_id(frame_id, row["latitude"], row["longitude"]), frame_id=frame_id,
                source_id="viirs-noaa20", source_kind="satellite", time=time, row=0.0, col=0.0,
                bbox_px=(0, 0, 0, 0), pixel_count=1, max_temp_k=brightness_k, mean_temp_k=brightness_k,
                background_temp_k=float(row["bright_t31"]), background_mad_k=0.0, saturated_fraction=0.0,
                frp_kw=float(row["frp"]) * 1000.0, frp_lower_bound=False, confidence=confidence,
                confidence_class=class_, lat=float(row["latitude"]), lon=float(row["longitude"]),
                location_uncertainty_m=max(float(row["scan"]), float(row["track"])) * 1000.0 / 2.0,
                location_method="satellite"))
    return looks


@pytest.mark.realdata
@pytest.mark.slow  # ~3 s alone, more on a busy machine
def test_palisades_and_eaton_fires_become_two_confirmed_incidents_of_the_right_size(shared_data):
    looks = read_viirs(shared_data / "firms" / "fire_archive_J1V-C2_618777_LosAngeles_2024-05_2025-01.csv",
                       "2025-01")
    config = FusionConfig()
    incidents = {}
    for time in sorted(looks):  # what the pipeline does: each overpass against the incidents the store keeps
        reopenable = [i for i in incidents.values() if i.state != "closed" or (
            i.confirmed_at and (time - i.closed_at).total_seconds() <= config.reignite_window_s)]
        result = fuse_hotspots(looks[time], reopenable, config=config)
        incidents.update({inc.incident_id: inc for inc in result.incidents})

    survivors = [i for i in incidents.values() if "merged_into" not in i.extra]
    # Points inside each burn scar (the hills above Pacific Palisades; Altadena below Eaton Canyon); the fused
    # perimeter (circles around 375 m pixels) has gaps, so "near" is within 0.01° (≈ 1 km). Later flare-ups in the
    # scars after the main fire closed are incidents of their own; the main fire is the largest one there.
    by_name = {}
    for name, (lat, lon) in {"palisades": (34.07, -118.57), "eaton": (34.19, -118.10)}.items():
        near = [i for i in survivors if shape(i.perimeter).distance(Point(lon, lat)) < 0.01]
        by_name[name] = max(near, key=lambda i: i.area_m2)
    palisades, eaton = by_name["palisades"], by_name["eaton"]
    assert palisades.incident_id != eaton.incident_id
    assert sorted(survivors, key=lambda i: i.area_m2)[-2:] == [eaton, palisades]  # the two largest

    for incident, acres in ((palisades, 23_448), (eaton, 14_021)):
        assert incident.area_m2 == pytest.approx(acres * ACRE_M2, rel=0.25)
        # confirmed by the next overpass (VIIRS sees Los Angeles about every 12 h)
        assert incident.confirmed_at is not None
        assert incident.confirmed_at - incident.first_seen <= timedelta(hours=13)
        assert incident.confidence_class == "high" and incident.source_kinds == ["satellite"]
    assert palisades.first_seen == datetime(2025, 1, 7, 19, 46, tzinfo=timezone.utc)
    assert eaton.first_seen == datetime(2025, 1, 8, 9, 49, tzinfo=timezone.utc)
