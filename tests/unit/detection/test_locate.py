"""`locate` (pixel-mode detection, then ground fields once the hotspot boxes are georeferenced) gives the same
hotspots as detecting again on the georeferenced frame — the oracle is the full second detection."""

from __future__ import annotations

from detection import detect, locate
from ingest.georef import georeference_regions
from ingest.readers import read_frame
from ingest.terrain import Terrain


def test_locate_equals_a_second_detection(small_scenario):
    terrain = Terrain.from_geotiff(small_scenario.dem_path)
    checked = 0
    for record in small_scenario.frames:
        frame = read_frame(record.path)
        first = detect(frame)
        if not first.hotspots:
            continue
        ground = georeference_regions(frame, terrain, [h.bbox_px for h in first.hotspots], partial_ok=True)
        again = detect(ground).hotspots
        located = locate(ground, first).hotspots
        assert [h.to_dict() for h in located] == [h.to_dict() for h in again]
        assert all(h.lat is not None and h.footprint for h in located)
        checked += 1
    assert checked >= 3
