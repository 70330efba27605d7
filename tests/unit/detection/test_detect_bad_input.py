"""detect() on bad or extreme frames: typed InvalidFrame errors with clear messages, or a defined empty answer."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from detection import detect
from detection.errors import DetectionError, InvalidFrame
from firewatch.errors import FirewatchError
from scenes import frame_of


def test_empty_frame_is_invalid():
    with pytest.raises(InvalidFrame, match="empty"):
        detect(frame_of(np.zeros((0, 0))))


def test_all_nan_frame_has_no_hotspots():
    result = detect(frame_of(np.full((32, 40), np.nan)))
    assert result.hotspots == [] and result.candidate_count == 0
    assert result.stats["scene_sample_count"] == 0
    assert result.labels.shape == (32, 40)


def test_constant_frame_has_no_hotspots():
    result = detect(frame_of(np.full((32, 40), 300.0)))
    assert result.hotspots == [] and result.stats["scene_mad_k"] == 0.0
    assert result.stats["candidate_threshold_k"] == pytest.approx(303.0)  # median + the 3 K floor


def test_frame_that_is_all_fire():
    result = detect(frame_of(np.full((32, 40), 1000.0)))
    (h,) = result.hotspots
    assert h.pixel_count == 32 * 40 and h.confidence_class == "high"
    assert h.extra["background_source"] == "frame_minimum" and h.frp_lower_bound
    assert result.stats["fire_pixel_count"] == 32 * 40  # all by the absolute test: no window needed
    assert (result.labels == 1).all()


def test_mostly_fire_frame_uses_scene_background():
    t = np.full((64, 64), 1000.0)
    t[:, :40] = 300.0  # the sampled scene still has a cool part
    result = detect(frame_of(t))
    assert len(result.hotspots) == 1
    assert result.hotspots[0].background_temp_k == pytest.approx(300.0)


@pytest.mark.parametrize("value, words", [(1e6, "above 2500 K"), (-5.0, "negative")])
def test_absurd_temperatures_are_invalid(value, words):
    t = np.full((32, 40), 300.0)
    t[20, 21] = value  # one pixel, off the scene subsample grid, next to a fire
    t[20, 20] = 700.0
    with pytest.raises(InvalidFrame, match=words) as info:
        detect(frame_of(t, frame_id="bad-frame"))
    assert "bad-frame" in str(info.value)


def test_negative_kelvin_in_the_scene_sample_is_invalid():
    t = np.full((32, 40), 300.0)
    t[8, 16] = -1.0  # on the 8-pixel subsample grid, no candidate anywhere
    with pytest.raises(InvalidFrame, match="negative"):
        detect(frame_of(t))


def test_celsius_passed_as_kelvin_is_invalid():
    t = 25.0 + np.random.default_rng(0).normal(0, 2, (48, 64))  # a summer scene in °C
    with pytest.raises(InvalidFrame, match="looks like °C"):
        detect(frame_of(t))


def test_raw_counts_are_invalid():
    t = np.full((48, 64), 7400.0)  # 14-bit radiometric counts
    with pytest.raises(InvalidFrame, match="raw sensor counts"):
        detect(frame_of(t))


def test_units_attribute_other_than_kelvin_is_invalid():
    frame = frame_of(np.full((8, 8), 300.0))
    frame["temperature"].attrs["units"] = "degC"
    with pytest.raises(InvalidFrame, match="'degC'"):
        detect(frame)


def test_wrong_structure_is_invalid():
    frame = frame_of(np.full((8, 8), 300.0))
    with pytest.raises(InvalidFrame, match="dims"):
        detect(frame.transpose("x", "y"))
    with pytest.raises(InvalidFrame, match="no 'temperature'"):
        detect(frame.drop_vars("temperature"))
    with pytest.raises(InvalidFrame, match="xarray.Dataset"):
        detect(np.full((8, 8), 300.0))
    with pytest.raises(InvalidFrame, match="saturated mask shape"):
        detect(frame.assign(saturated=xr.DataArray(np.zeros((4, 4), bool), dims=("v", "u"))))


def test_invalid_frame_is_typed():
    assert issubclass(InvalidFrame, DetectionError) and issubclass(InvalidFrame, FirewatchError)
    assert issubclass(InvalidFrame, ValueError)
