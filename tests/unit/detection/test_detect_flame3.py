"""Real fire: FLAME 3 Willamette prescribed burn, 640×512 float32 °C TIFFs saturated at 500 °C.

Oracle: the real data itself, read with rasterio (not the detector): connected regions above 150 °C of ≥ 5 pixels
must be inside detected hotspots, saturation must be reported, and nothing detected may be below 40 °C.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from scipy import ndimage

from detection import detect
from scenes import frame_of

pytestmark = pytest.mark.realdata


def read_celsius(path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            return src.read(1)


def test_flame3_fire_regions_are_detected(shared_data):
    paths = sorted((shared_data / "flame3" / "willamette" / "TIFF").glob("*.TIFF"))
    if not paths:
        pytest.skip("FLAME 3 TIFFs not found under flame3/willamette/TIFF")
    for path in paths:
        celsius = read_celsius(path)
        saturated = celsius >= 500.0  # the camera's ceiling (PROVENANCE.md)
        result = detect(frame_of(celsius.astype(np.float64) + 273.15, frame_id=path.stem, saturated=saturated))
        regions, count = ndimage.label(celsius > 150.0, structure=np.ones((3, 3)))
        sizes = np.bincount(regions.ravel())
        big = [k for k in range(1, count + 1) if sizes[k] >= 5]
        assert big, path
        for k in big:
            assert (result.labels[regions == k] > 0).all(), f"{path.name}: region {k} ({sizes[k]} px) missed"
        assert not (result.labels[celsius < 40.0] > 0).any(), path.name
        assert all(h.max_temp_k - 273.15 >= 40.0 for h in result.hotspots)
        burning = [h for h in result.hotspots if h.saturated_fraction > 0]
        assert burning and all(h.frp_lower_bound for h in burning)
        assert max(h.pixel_count for h in result.hotspots) > 3000  # the fire line is one cluster
        assert burning[0].confidence_class == "high"
