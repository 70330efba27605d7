"""detect(): clusters, centroids, FRP, ground fields, masks, plateaus — expected values by hand calculation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from detection import DetectionResult, DetectorConfig, detect
from detection.masks import StaticMasks
from firewatch.model import Hotspot, stable_id, to_json
from scenes import frame_of

SIGMA = 5.670374419e-8  # W m⁻² K⁻⁴ (CODATA 2018)


def quiet_background(shape=(64, 80), mean_k=300.0, seed=0) -> np.ndarray:
    """Flat 300 K with 50 mK NETD noise."""
    return mean_k + np.random.default_rng(seed).normal(0.0, 0.05, shape)


def linear_grid(shape, lon0=127.0, lat0=37.5, step_deg=1e-5):
    """lon grows with col, lat falls with row: lon = lon0 + col·step, lat = lat0 − row·step."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return lon0 + cols * step_deg, lat0 - rows * step_deg


def test_fire_free_frame_has_nothing():
    result = detect(frame_of(quiet_background()))
    assert isinstance(result, DetectionResult)
    assert result.hotspots == [] and result.candidate_count == 0
    assert result.labels.dtype == np.int32 and result.labels.shape == (64, 80) and not result.labels.any()
    assert abs(result.stats["scene_median_k"] - 300.0) < 0.02
    assert "total" in result.stats["timings_ms"]


def test_resolved_fire_patch_pixel_mode():
    t = quiet_background()
    t[20:23, 30:33] = 800.0
    result = detect(frame_of(t, frame_id="f-1"))
    assert len(result.hotspots) == 1
    h = result.hotspots[0]
    assert isinstance(h, Hotspot)
    assert h.hotspot_id == stable_id("f-1", 1)
    assert h.bbox_px == (20, 30, 22, 32) and h.pixel_count == 9
    assert h.row == pytest.approx(21.0, abs=1e-4) and h.col == pytest.approx(31.0, abs=1e-4)
    assert h.max_temp_k == pytest.approx(800.0) and h.mean_temp_k == pytest.approx(800.0)
    assert h.background_temp_k == pytest.approx(300.0, abs=0.02)
    assert h.background_mad_k == pytest.approx(0.05 * math.sqrt(2 / math.pi), abs=0.01)  # mean |dev| of N(0, σ)
    assert h.confidence_class == "high" and h.confidence >= 0.8
    assert h.frp_kw is None and not h.frp_lower_bound and h.lat is None and h.footprint is None
    assert h.location_method == "none" and h.time.isoformat() == "2026-04-05T03:12:00+00:00"
    assert set(np.unique(result.labels)) == {0, 1}
    assert np.array_equal(np.argwhere(result.labels == 1).min(0), [20, 30])
    assert (result.labels == 1).sum() == 9


def test_centroid_is_excess_weighted():
    t = np.full((40, 40), 300.0)
    t[10, 10], t[10, 11] = 320.0, 340.0  # excesses 20 K and 40 K
    (h,) = detect(frame_of(t)).hotspots
    assert h.row == pytest.approx(10.0)
    assert h.col == pytest.approx(10 + 40 / 60)  # (20·10 + 40·11) / 60
    assert h.pixel_count == 2 and h.max_temp_k == pytest.approx(340.0) and h.mean_temp_k == pytest.approx(330.0)


def test_ground_fields_frp_footprint_area():
    shape_ = (50, 60)
    t = np.full(shape_, 300.0)
    t[20:23, 30:33] = 600.0
    lon, lat = linear_grid(shape_)
    area = np.full(shape_, 0.25)
    frame = frame_of(t, frame_id="g", lon=lon, lat=lat, pixel_area_m2=area, georef={"method": "dem"})
    (h,) = detect(frame).hotspots
    # FRP by hand: 9 px × 0.25 m² × ε 0.98 × σ (600⁴ − 300⁴) = 15.19 kW
    assert h.frp_kw == pytest.approx(9 * 0.25 * 0.98 * SIGMA * (600.0 ** 4 - 300.0 ** 4) / 1000.0, rel=1e-6)
    assert h.frp_kw == pytest.approx(15.19, abs=0.01)
    assert h.lon == pytest.approx(127.0 + 31 * 1e-5, abs=1e-9) and h.lat == pytest.approx(37.5 - 21 * 1e-5, abs=1e-9)
    assert h.elevation_m == pytest.approx(120.0)
    assert h.area_m2 == pytest.approx(2.25)
    assert h.location_method == "dem"
    assert h.location_uncertainty_m == pytest.approx(0.5)  # √0.25 m²: one pixel footprint
    # Footprint: pixels 20..22 × 30..32 → corners at rows 19.5..22.5, cols 29.5..32.5 on the linear grid.
    expected = shapely.box(127.0 + 29.5e-5, 37.5 - 22.5e-5, 127.0 + 32.5e-5, 37.5 - 19.5e-5)
    got = shape(h.footprint)
    assert h.footprint["type"] == "Polygon" and got.exterior.is_ccw
    assert got.symmetric_difference(expected).area < 1e-6 * expected.area
    # The store keeps hotspots as JSON: everything must survive the round trip.
    again = Hotspot.from_dict(json.loads(to_json(h.to_dict())))
    assert again.footprint["coordinates"] == json.loads(json.dumps(h.footprint))["coordinates"]
    assert again.frp_kw == h.frp_kw and again.bbox_px == h.bbox_px and again.extra == h.extra


def test_georef_attrs_uncertainty_and_json_string():
    shape_ = (30, 30)
    t = np.full(shape_, 300.0)
    t[10, 10] = 700.0
    lon, lat = linear_grid(shape_)
    frame = frame_of(t, lon=lon, lat=lat, georef='{"method": "flat", "location_uncertainty_m": 7.5}')
    (h,) = detect(frame).hotspots
    assert h.location_method == "flat" and h.location_uncertainty_m == 7.5
    assert h.frp_kw is None  # no pixel_area: FRP unknown
    assert h.area_m2 == pytest.approx(1.11 * 0.88, rel=0.02)  # ~1.11 m (lat) × 0.88 m (lon at 37.5°) geodesic


def test_sky_pixels_are_invalid_not_fire():
    t = quiet_background((48, 48))
    t[:12, :] = np.nan  # sky
    t[14, 20] = 700.0  # a fire just below the horizon
    result = detect(frame_of(t))
    assert [h.bbox_px for h in result.hotspots] == [(14, 20, 14, 20)]


def test_saturated_pixel_is_fire_and_frp_lower_bound():
    shape_ = (40, 40)
    t = np.full(shape_, 300.0)
    saturated = np.zeros(shape_, dtype=bool)
    t[15, 15:17] = 423.15  # high-gain ceiling 150 °C
    saturated[15, 15:17] = True
    t[15, 17] = 380.0
    lon, lat = linear_grid(shape_)
    frame = frame_of(t, saturated=saturated, lon=lon, lat=lat, pixel_area_m2=np.full(shape_, 1.0))
    (h,) = detect(frame).hotspots
    assert h.saturated_fraction == pytest.approx(2 / 3)
    assert h.frp_lower_bound and h.frp_kw > 0
    assert h.confidence_class == "high"


def test_saturated_below_context_still_candidate():
    t = np.full((30, 30), 300.0)
    saturated = np.zeros((30, 30), dtype=bool)
    saturated[5, 5] = True  # flagged by the reader even though the value is unremarkable
    (h,) = detect(frame_of(t, saturated=saturated)).hotspots
    assert h.bbox_px == (5, 5, 5, 5) and h.saturated_fraction == 1.0


def test_static_mask_flags_hotspot_and_leaves_others():
    shape_ = (40, 60)
    t = np.full(shape_, 300.0)
    t[10, 10] = 700.0
    t[30, 50] = 700.0
    lon, lat = linear_grid(shape_)
    mask = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "steelworks"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [127.0 + 5e-5, 37.5 - 15e-5], [127.0 + 15e-5, 37.5 - 15e-5], [127.0 + 15e-5, 37.5 - 5e-5],
            [127.0 + 5e-5, 37.5 - 5e-5], [127.0 + 5e-5, 37.5 - 15e-5]]]}}]}
    result = detect(frame_of(t, lon=lon, lat=lat), masks=StaticMasks.from_geojson(mask))
    by_row = {round(h.row): h for h in result.hotspots}
    assert by_row[10].masked and by_row[10].mask_name == "steelworks"
    assert not by_row[30].masked and by_row[30].mask_name is None
    assert result.stats["masked_hotspot_count"] == 1


def test_masked_pixels_leave_the_background():
    """A warm masked area next to a fire (warm, but below the candidate threshold) must not bias its background."""
    shape_ = (60, 60)
    t = np.full(shape_, 300.0) + np.random.default_rng(3).normal(0, 0.05, shape_)
    t[20:40, 29:40] = 302.5  # factory yard at +2.5 K (scene threshold is +3 K): not a candidate
    t[30, 27] = 450.0
    lon, lat = linear_grid(shape_)
    west, east = 127.0 + 28.5e-5, 127.0 + 39.5e-5
    north, south = 37.5 - 19.5e-5, 37.5 - 39.5e-5
    mask = {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north],
                                                [west, south]]]}
    frame = frame_of(t, lon=lon, lat=lat)
    (plain,) = detect(frame).hotspots
    (masked,) = detect(frame, masks=StaticMasks.from_geojson(mask)).hotspots
    # 11×11 window around col 27 spans cols 22..32: 4 yard columns × 11 rows of 120 pixels → +2.5·44/120 = +0.92 K
    assert plain.background_temp_k == pytest.approx(300.0 + 2.5 * 44 / 120, abs=0.05)
    assert masked.background_temp_k == pytest.approx(300.0, abs=0.05)
    assert not masked.masked  # the fire itself is outside the mask


def test_sun_heated_plateau_is_rejected_and_counted():
    t = quiet_background((64, 64))
    t[10:18, 10:18] = 335.0  # 8×8 roof at 62 °C
    t[40, 40] = 700.0  # a real fire elsewhere
    result = detect(frame_of(t))
    assert [h.bbox_px for h in result.hotspots] == [(40, 40, 40, 40)]
    assert len(result.rejected) == 1 and result.rejected[0].extra["rejected"] == "sun_heated_plateau"
    assert result.rejected[0].pixel_count == 64
    assert result.stats["rejected_plateau_count"] == 1
    assert not result.labels[10:18, 10:18].any() and result.labels[40, 40] == 1


def test_hot_resolved_surface_above_sun_ceiling_is_kept():
    t = quiet_background((64, 64))
    t[10:20, 10:20] = 420.0  # flat, resolved, but no sun makes 147 °C
    (h,) = detect(frame_of(t)).hotspots
    assert h.pixel_count == 100 and h.confidence_class == "high"


def test_small_warm_spot_below_sun_ceiling_is_at_most_nominal():
    t = quiet_background((64, 64))
    t[30, 30] = 345.0  # +45 K, huge z-score, but a sun-heated pebble could do it
    (h,) = detect(frame_of(t)).hotspots
    assert h.confidence_class == "nominal" and h.confidence < 0.8


def test_config_is_validated():
    with pytest.raises(ValueError):
        DetectorConfig(window_sizes_px=(11, 10))
    with pytest.raises(ValueError):
        DetectorConfig(certain_fire_k=340.0)  # below the sun ceiling
    assert DetectorConfig().context_k_mad == 3.5
