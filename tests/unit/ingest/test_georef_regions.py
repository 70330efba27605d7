"""The lazy path: georeferencing only some boxes gives the same ground points as the whole frame there."""

from __future__ import annotations

import numpy as np
from pyproj import Geod

from ingest.georef import georeference, georeference_regions
from ingest.readers import read_frame
from ingest.terrain import Terrain

_GEOD = Geod(ellps="WGS84")


def test_regions_match_the_whole_frame_and_leave_the_rest_nan(small_scenario):
    terrain = Terrain.from_geotiff(small_scenario.dem_path)
    for record in small_scenario.frames[:1] + small_scenario.frames[-1:]:  # a drone frame and a tower frame
        frame = read_frame(record.path)
        height, width = frame.sizes["y"], frame.sizes["x"]
        boxes = [(height // 2, width // 2, height // 2 + 4, width // 2 + 6), (height - 1, 0, height - 1, 0)]
        full = georeference(frame, terrain, partial_ok=True)
        lazy = georeference_regions(frame, terrain, boxes, partial_ok=True)
        inside = np.zeros((height, width), bool)
        for r0, c0, r1, c1 in boxes:  # grown by the default one-pixel margin, clipped at the border
            inside[max(r0 - 1, 0):r1 + 2, max(c0 - 1, 0):c1 + 2] = True
        assert np.isnan(lazy["lat"].values[~inside]).all()
        ok = inside & np.isfinite(full["lat"].values)
        assert ok.sum() >= 30
        error_m = _GEOD.inv(full["lon"].values[ok], full["lat"].values[ok],
                            lazy["lon"].values[ok], lazy["lat"].values[ok])[2]
        footprint_m = np.sqrt(full["pixel_area"].values[ok])
        assert np.max(error_m / footprint_m) < 0.2  # each is within 0.1 footprint of the exact rays
        np.testing.assert_allclose(lazy["pixel_area"].values[ok], full["pixel_area"].values[ok], rtol=0.05)
        assert lazy.attrs["georef"]["regions"] == 2
