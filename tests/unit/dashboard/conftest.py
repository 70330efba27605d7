"""Fixtures of the dashboard tests: a real SQLite store filled through the store API, a small DEM."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from dashboard.sample import seed_store
from firewatch.model import utc_now
from firewatch.store import Store

CENTER = (37.66, 126.98)


@pytest.fixture()
def seeded(tmp_path: Path) -> dict:
    """A store with 6 recent incidents (incl. one without perimeter, a frame without footprint) and 6 five hours
    old; returns ``{"url", "store", "recent", "old"}``."""
    url = f"sqlite:///{tmp_path / 'firewatch.db'}"
    store = Store(url)
    now = utc_now()
    recent = seed_store(store, incident_count=6, hotspots_per_incident=4, center=CENTER, now=now, seed=1)
    old = seed_store(store, incident_count=6, hotspots_per_incident=4, center=(CENTER[0] + 0.01, CENTER[1]),
                     now=now - timedelta(hours=5), seed=2, bad_records=False)
    return {"url": url, "store": store, "recent": recent, "old": old}


@pytest.fixture()
def dem_path(tmp_path: Path) -> Path:
    """A 9 km × 9 km DEM (30 m cells, EPSG:32652) of gentle hills around :data:`CENTER`."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True).transform(CENTER[1], CENTER[0])
    n, cell = 300, 30.0
    rows, cols = np.mgrid[0:n, 0:n]
    elevation = 200.0 + 0.02 * cols * cell + 50.0 * np.sin(rows / 40.0)
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:32652",
                       transform=from_origin(x - n * cell / 2, y + n * cell / 2, cell, cell), nodata=-9999.0) as dst:
        dst.write(elevation.astype(np.float32), 1)
    return path
