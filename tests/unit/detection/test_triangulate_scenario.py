"""Issue 7 acceptance, end to end: the synthetic scenario's two towers, real frames, real detector, store pairing.

Frames are read (TIFF + sidecar), a **+0.1° tilt error** is put into every reported pose, georeferenced on the
scenario DEM, run through the detector, given bearings (:func:`firewatch.bearings.triangulate_frame_hotspots`)
and stored in time order with fusion, so each tower frame pairs with the other tower's stored hotspots as in the
pipeline. Oracle: the scenario's fire polygons at the hotspot's time (fire truth, independent of Firewatch).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from detection import detect
from detection.fusion_config import FusionConfig
from detection.incidents import fuse_hotspots
from firewatch.bearings import triangulate_frame_hotspots
from firewatch.pipeline import frame_meta
from firewatch.store import Store
from ingest.georef import georeference
from ingest.readers import read_frame
from ingest.terrain import Terrain

TILT_ERROR_DEG = 0.1


@pytest.fixture(scope="module")
def two_tower_scenario(tmp_path_factory):
    from firewatch.scenario import ScenarioConfig, generate_scenario

    config = ScenarioConfig.small(tower_count=2, drone_passes=0, fire_count=3, tower_sweeps=2, tower_presets_max=2,
                                  duration_min=120.0)
    return generate_scenario(tmp_path_factory.mktemp("two-towers"), config)


@pytest.mark.slow
def test_two_tower_scenario_triangulates_every_fire_inside_its_perimeter(two_tower_scenario, tmp_path):
    scenario = two_tower_scenario
    terrain = Terrain.from_geotiff(scenario.dem_path)
    to_scene = Transformer.from_crs("EPSG:4326", scenario.crs, always_xy=True)
    store = Store(f"sqlite:///{tmp_path / 'fw.db'}")
    located = []
    for record in sorted((r for r in scenario.frames if r.source_kind == "fixed"), key=lambda r: r.time):
        frame = read_frame(record.path)
        frame.attrs["pose"] = {**frame.attrs["pose"], "pitch_deg": frame.attrs["pose"]["pitch_deg"] + TILT_ERROR_DEG}
        frame = georeference(frame, terrain, partial_ok=True)
        hotspots = triangulate_frame_hotspots(frame, detect(frame).hotspots, store)
        fusion = fuse_hotspots(hotspots, store.open_incidents(), config=FusionConfig(), now=record.time)
        store.apply_frame_result(frame_meta(frame, None), hotspots, fusion, [])
        located += hotspots

    def distance_to_fire(lon, lat, time):
        point = shapely.Point(*to_scene.transform(lon, lat))
        return min((point.distance(shapely.union_all([p for _, p, _ in fire.polygons_at(time)])), fire.fire_id)
                   for fire in scenario.fires if fire.polygons_at(time))

    triangulated = [h for h in located if h.location_method == "triangulation"]
    errors, dem_errors, fires = [], [], set()
    for h in triangulated:
        error, fire_id = distance_to_fire(h.lon, h.lat, h.time)
        dem_lon, dem_lat, _ = h.extra["triangulation"]["dem_location"]
        errors.append(error)
        dem_errors.append(distance_to_fire(dem_lon, dem_lat, h.time)[0])
        fires.add(fire_id)
        assert h.extra["triangulation"]["partner_source_id"] != h.source_id
    print(f"\n{len(triangulated)} of {len(located)} tower hotspots triangulated; fires {sorted(fires)}; distance to "
          f"the burning area m: max {max(errors):.1f}; their DEM locations (0.1° tilt error): median "
          f"{np.median(dem_errors):.0f}, max {max(dem_errors):.0f}")
    # the second tower of each sweep pairs with the first one's stored hotspots; every fire burning is fixed
    assert fires == {f.fire_id for f in scenario.fires if f.ignition_time <= max(h.time for h in triangulated)}
    assert max(errors) < 50.0
    assert max(dem_errors) > 200.0  # what a single camera would have said with the same tilt error
    for h in located:
        if h.location_method != "triangulation" and "bearing" in h.extra:
            assert h.extra["triangulation"]["fallback"]
            assert h.location_uncertainty_m >= h.extra["triangulation"]["dem_uncertainty_m"] > 0
