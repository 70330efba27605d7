"""Static heat-source learning on hand-made hotspot histories (distances from pyproj geodesics)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pyproj import Geod

from detection.errors import InvalidValue
from detection.masks import StaticMasks
from detection.static_sources import StaticSourceConfig, suggest_static_sources, suggestions_geojson
from firewatch.model import Hotspot

_GEOD = Geod(ellps="WGS84")
T0 = datetime(2025, 3, 1, 4, 30, tzinfo=timezone.utc)


def _hotspot(i, lon, lat, day, *, fire_type=0, source_kind="satellite", located=True):
    return Hotspot(hotspot_id=f"h{i}", frame_id=f"f{i}", source_id="VIIRS-SNPP", source_kind=source_kind,
                   time=T0 + timedelta(days=day), row=0.0, col=0.0, bbox_px=(0, 0, 0, 0), pixel_count=1,
                   max_temp_k=340.0, mean_temp_k=340.0, background_temp_k=290.0, background_mad_k=0.0,
                   saturated_fraction=0.0, frp_kw=5000.0, frp_lower_bound=False, confidence=0.55,
                   confidence_class="nominal", lat=lat if located else None, lon=lon if located else None,
                   location_uncertainty_m=150.0, extra={"type": fire_type})


def _offset(lon, lat, east_m, north_m):
    lon2, lat2, _ = _GEOD.fwd(lon, lat, 90.0, east_m)
    return _GEOD.fwd(lon2, lat2, 0.0, north_m)[:2]


def test_chimney_hot_on_three_days_over_three_weeks_is_proposed():
    chimney = [_hotspot(i, *_offset(129.38, 36.01, 100 * (i % 3), 80 * (i % 2)), day)
               for i, day in enumerate([0, 0, 10, 10, 20, 20])]
    (suggestion,) = suggest_static_sources(chimney)
    assert suggestion.days_seen == 3 and suggestion.detections == 6
    assert suggestion.static_type_detections == 0
    assert _GEOD.inv(suggestion.lon, suggestion.lat, 129.38, 36.01)[2] < 200
    assert suggestion.polygon.contains(suggestion.polygon.centroid)
    feature = suggestion.to_feature()
    assert feature["properties"]["days_seen"] == 3 and feature["properties"]["detections"] == 6
    assert feature["properties"]["dates"] == ["2025-03-01", "2025-03-11", "2025-03-21"]
    assert "3 distinct days" in feature["properties"]["evidence"][0]


def test_three_day_wildfire_is_not_a_static_source():
    fire = [_hotspot(i, *_offset(128.0, 36.5, 300 * i, 0), day) for i, day in enumerate([0, 1, 2])]
    assert suggest_static_sources(fire) == []  # 3 days but over 2 days: a fire still burning


def test_large_recurring_fire_complex_is_not_proposed():
    # hot on 5 days over 10 days but spread over ~12 km (a chain of adjacent pixels): too large for an industrial site
    spread = [_hotspot(i, *_offset(-118.54, 34.07, 600 * i, 0), i // 4 * 2.5) for i in range(20)]
    assert suggest_static_sources(spread) == []


def test_firms_type_two_counts_as_evidence_even_on_one_day():
    refinery = [_hotspot(i, *_offset(-118.41, 33.91, 200 * i, 0), 0, fire_type=2) for i in range(2)]
    (suggestion,) = suggest_static_sources(refinery)
    assert suggestion.static_type_detections == 2
    assert any("type 2" in e for e in suggestion.evidence)


def test_separate_sites_stay_separate_and_unlocated_hotspots_are_ignored():
    a = [_hotspot(i, 126.70, 36.98, day) for i, day in enumerate([0, 10, 20])]
    b = [_hotspot(10 + i, 127.75, 34.92, day) for i, day in enumerate([0, 10, 20])]
    ghost = [_hotspot(99, 0.0, 0.0, 5, located=False)]
    suggestions = suggest_static_sources(a + b + ghost)
    assert len(suggestions) == 2
    assert {round(s.lat, 2) for s in suggestions} == {36.98, 34.92}


def test_min_days_option():
    two_days = [_hotspot(i, 126.70, 36.98, day) for i, day in enumerate([0, 14])]
    assert suggest_static_sources(two_days) == []
    assert len(suggest_static_sources(two_days, config=StaticSourceConfig(min_days=2))) == 1


def test_geojson_reads_back_as_masks():
    chimney = [_hotspot(i, 129.38, 36.01, day) for i, day in enumerate([0, 10, 20])]
    collection = suggestions_geojson(suggest_static_sources(chimney))
    masks = StaticMasks.from_geojson(collection)
    assert masks.mask_for(129.38, 36.01) == collection["features"][0]["properties"]["name"]
    assert masks.mask_for(129.50, 36.01) is None


def test_bad_coordinates_are_refused():
    with pytest.raises(InvalidValue, match="h0"):
        suggest_static_sources([_hotspot(0, 200.0, 36.0, 0)])
