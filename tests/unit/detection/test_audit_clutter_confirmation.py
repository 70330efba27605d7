"""Audit (issue 3): sun-heated clutter seen TWICE must not become a confirmed incident.

tests/unit/detection/test_detect_false_alarms.py counts single-look hotspots on 1000 clutter frames; the acceptance
aim is "0 confirmed incidents", which needs persistence: the same rock, roof or panel seen in a second look. Here
each of 60 fire-free scenes (1–4 objects at 55–70 °C, 3–20 px, PSF-blurred, on a natural ~300 K background; the
generator of tests/unit/detection/scenes.py) is looked at twice, 60 s apart, with independent NETD noise — the worst
case for persistence, because the clutter does not move. 120 frames (an eighth of the issue's 1000, to stay fast).
Every pixel carries lon/lat on a 0.3 m grid (a drone at ~110 m AGL), scenes 2 km apart so they cannot fuse with
each other. Oracle: the scene itself has no fire, so the expected number of confirmed incidents is 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from detection import detect
from detection.incidents import FusionConfig, fuse_hotspots
from firewatch.model import format_time
from scenes import NETD_K, frame_of, make_scene, natural_background

SCENES = 60
SHAPE = (128, 160)
PIXEL_M = 0.3
LAT0, LON0 = 37.66, 126.90
M_PER_DEG_LAT = 111_000.0
M_PER_DEG_LON = 111_000.0 * np.cos(np.radians(LAT0))


def test_persistent_sun_heated_clutter_is_never_confirmed():
    rng = np.random.default_rng(2026)
    pool = natural_background((1024, 1024), rng)
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    start = datetime(2026, 4, 5, 4, 0, tzinfo=timezone.utc)
    hotspots, objects = [], 0
    for index in range(SCENES):
        r0, c0 = rng.integers(0, pool.shape[0] - SHAPE[0]), rng.integers(0, pool.shape[1] - SHAPE[1])
        scene = make_scene(SHAPE, rng, background_k=pool[r0:r0 + SHAPE[0], c0:c0 + SHAPE[1]],
                           clutter_count=int(rng.integers(1, 5)), netd_k=0.0)
        objects += len(scene.clutter)
        lon = LON0 + index * 0.02 + cols * PIXEL_M / M_PER_DEG_LON
        lat = LAT0 - rows * PIXEL_M / M_PER_DEG_LAT
        for look in range(2):
            temperature = scene.temperature_k + rng.normal(0.0, NETD_K, SHAPE).astype(np.float32)
            time = format_time(start + timedelta(seconds=3600 * index + 60 * look))
            frame = frame_of(temperature, frame_id=f"clutter-{index}-{look}", lon=lon, lat=lat,
                             pixel_area_m2=np.full(SHAPE, PIXEL_M ** 2), time=time)
            hotspots += detect(frame).hotspots
    result = fuse_hotspots(hotspots, [], config=FusionConfig())
    confirmed = [inc for inc in result.incidents if inc.confirmed_at is not None]
    print(f"\n{SCENES} scenes x 2 looks, {objects} sun-heated objects: {len(hotspots)} single-look hotspots, "
          f"{len(result.incidents)} incidents, {len(confirmed)} confirmed")
    assert objects >= SCENES  # every scene holds clutter
    assert confirmed == [], [(inc.incident_id, inc.extra.get("confirmed_by")) for inc in confirmed]
