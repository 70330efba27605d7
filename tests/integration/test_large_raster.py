"""Chunked detection on a GeoTIFF (detection.chunked) equals the whole-array detector, fires across chunk borders.

The oracle is :func:`detection.detect` on the whole raster in memory: the chunked path re-implements the scene level,
the halos and the cluster merging, the whole-array path does none of that.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from detection import DetectorConfig, detect
from detection.candidates import scene_stats
from detection.chunked import detect_large, raster_frame
from detection.errors import InvalidFrame, InvalidValue

CHUNK_PX = 256
TIME = "2026-04-05T04:00:00Z"


def _blob(temperature: np.ndarray, row: float, col: float, sigma_px: float, peak_k: float) -> None:
    """Add a Gaussian hot spot of ``peak_k`` kelvin above the local level at (row, col)."""
    r = np.arange(temperature.shape[0])[:, None]
    c = np.arange(temperature.shape[1])[None, :]
    temperature += (peak_k * np.exp(-((r - row) ** 2 + (c - col) ** 2) / (2 * sigma_px ** 2))).astype(np.float32)


def _border_trap(t: np.ndarray) -> None:
    """A candidate on the last column (255) of a chunk whose background window must reach across the border.

    Left of it is nodata; right of it cols 256–258 are cool and cols 259+ warm (below the candidate threshold). The
    full 11 px window (cols 250–260) sees both: its mean absolute deviation makes the contextual test fail. A
    window clipped at the chunk border (a halo narrower than 5 px) would see only the cool columns and call it fire.
    """
    threshold = scene_stats(t, DetectorConfig(), "trap").threshold_k
    t[300:331, 230:281] = np.nan
    t[300:331, 256:259] = threshold - 3.7
    t[300:331, 259:281] = threshold - 1.2
    t[315, 255] = threshold + 0.8


def write_raster(path, *, units: str = "K", nodata: float | None = -9999.0, crs: str | None = "EPSG:5186",
                 height: int = 1100, width: int = 1200) -> None:
    """A 0.5 m orthomosaic of a 295 K slope with 0.3 K noise, fires on and across the 256 px chunk borders."""
    rng = np.random.default_rng(8)
    t = (295.0 + 0.002 * np.arange(width)[None, :] + rng.normal(0.0, 0.3, (height, width))).astype(np.float32)
    _blob(t, 256.0, 256.0, 2.0, 400.0)      # on a four-chunk corner: one cluster, counted once
    _blob(t, 100.0, 511.5, 1.2, 60.0)       # straddling a column border
    _blob(t, 767.5, 900.0, 3.5, 500.0)      # straddling a row border, large
    _blob(t, 600.0, 300.0, 0.7, 25.0)       # sub-pixel, one chunk
    _blob(t, 3.0, 1195.0, 1.0, 40.0)        # at the raster corner (windows clipped by the raster border)
    _blob(t, 520.0, 250.0, 1.0, 12.0)       # weak: decided by the contextual test within 15 px of a border
    t[900:905, 505:520] = 330.0             # a flat sun-heated roof across a border: rejected as a plateau
    if height > 331 and width > 281:
        _border_trap(t)
    if nodata is not None:
        t[40:60, 700:800] = nodata          # a nodata hole: invalid, never background
    if units == "C":
        t = t - np.float32(273.15)
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32", tiled=True,
                   blockxsize=256, blockysize=256, nodata=nodata,
                   transform=from_origin(200000.0, 550000.0, 0.5, 0.5), crs=crs)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(t, 1)


def as_comparable(hotspot) -> dict:
    record = dataclasses.asdict(hotspot)
    return json.loads(json.dumps(record, default=str))


@pytest.fixture(scope="module")
def raster(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "ortho.tif"
    write_raster(path)
    return path


def test_chunked_equals_whole_array(raster):
    whole = detect(raster_frame(raster, time=TIME))
    chunked = detect_large(raster, chunk_px=CHUNK_PX, time=TIME)
    assert len(whole.hotspots) >= 6  # every blob above became a hotspot
    assert [as_comparable(h) for h in chunked.hotspots] == [as_comparable(h) for h in whole.hotspots]
    assert [as_comparable(h) for h in chunked.rejected] == [as_comparable(h) for h in whole.rejected]
    assert len(chunked.rejected) == 1
    assert not any(h.bbox_px[:2] == (315, 255) for h in whole.hotspots)  # the border trap is background-tested
    for key in ("candidate_count", "fire_pixel_count", "cluster_count", "scene_median_k", "candidate_threshold_k"):
        assert chunked.stats[key] == whole.stats[key], key
    assert chunked.stats["chunk_count"] == 5 * 5


def test_cluster_on_a_chunk_corner_is_one_hotspot(raster):
    chunked = detect_large(raster, chunk_px=CHUNK_PX, time=TIME)
    corner = [h for h in chunked.hotspots if h.bbox_px[0] < 256 <= h.bbox_px[2] and h.bbox_px[1] < 256 <= h.bbox_px[3]]
    assert len(corner) == 1
    assert abs(corner[0].row - 256.0) < 0.5 and abs(corner[0].col - 256.0) < 0.5
    # 0.5 m pixels in EPSG:5186: every pixel is 0.25 m²; the point lies inside the footprint's bounds
    assert corner[0].area_m2 == pytest.approx(0.25 * corner[0].pixel_count)
    lons = [p[0] for p in corner[0].footprint["coordinates"][0]]
    assert min(lons) <= corner[0].lon <= max(lons)


def test_chunk_size_does_not_change_results(raster):
    small = detect_large(raster, chunk_px=64, time=TIME)
    large = detect_large(raster, chunk_px=4096, time=TIME)
    assert [as_comparable(h) for h in small.hotspots] == [as_comparable(h) for h in large.hotspots]


def test_celsius_raster_without_crs_gives_pixel_hotspots(tmp_path):
    path = tmp_path / "celsius.tif"
    write_raster(path, units="C", crs=None, height=300, width=300)
    whole = detect(raster_frame(path, units="C", time=TIME))
    chunked = detect_large(path, units="C", chunk_px=64, time=TIME)
    assert chunked.hotspots and [as_comparable(h) for h in chunked.hotspots] == \
        [as_comparable(h) for h in whole.hotspots]
    assert all(h.lon is None and h.frp_kw is None for h in chunked.hotspots)


def test_celsius_read_as_kelvin_is_refused(tmp_path):
    path = tmp_path / "celsius.tif"
    write_raster(path, units="C", height=200, width=200)
    with pytest.raises(InvalidFrame, match="looks like °C"):
        detect_large(path, units="K", chunk_px=64)


def test_bad_inputs_are_named(tmp_path, raster):
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff" * 10)
    with pytest.raises(InvalidFrame, match="junk.tif"):
        detect_large(junk)
    with pytest.raises(InvalidValue, match="chunk_px 16"):
        detect_large(raster, chunk_px=16)
    with pytest.raises(InvalidValue, match="units"):
        detect_large(raster, units="F")
    geographic = tmp_path / "wgs84.tif"
    with rasterio.open(geographic, "w", driver="GTiff", width=64, height=64, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(127.0, 37.5, 1e-5, 1e-5)) as dst:
        dst.write(np.full((64, 64), 295.0, np.float32), 1)
    with pytest.raises(InvalidFrame, match="not projected"):
        detect_large(geographic)


def test_cli_writes_geojson(raster, tmp_path):
    out = tmp_path / "hotspots.geojson"
    result = subprocess.run([sys.executable, "-m", "firewatch", "detect-large", str(raster), "-o", str(out),
                             "--chunk", str(CHUNK_PX), "--time", TIME], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    collection = json.loads(out.read_text())
    whole = detect(raster_frame(raster, time=TIME))
    assert [f["id"] for f in collection["features"]] == [h.hotspot_id for h in whole.hotspots]
    first = collection["features"][0]
    assert first["geometry"]["coordinates"] == pytest.approx([whole.hotspots[0].lon, whole.hotspots[0].lat])


@pytest.mark.parametrize("seed", range(5))
def test_sparse_labels_match_ndimage_label(seed):
    """The sparse 8-connected labelling numbers clusters like scipy.ndimage.label (raster order of first pixel)."""
    from scipy import ndimage

    from detection.chunked import _label_sparse

    rng = np.random.default_rng(seed)
    mask = rng.random((60, 70)) < 0.25
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    rows, cols = np.nonzero(mask)
    shuffle = rng.permutation(rows.size)
    rows, cols = rows[shuffle], cols[shuffle]
    clusters = _label_sparse(rows, cols, mask.shape[1])
    assert len(clusters) == count
    for label, members in enumerate(clusters, start=1):
        assert set(zip(rows[members].tolist(), cols[members].tolist())) == \
            set(zip(*[a.tolist() for a in np.nonzero(labels == label)]))
        linear = rows[members] * mask.shape[1] + cols[members]
        assert np.all(np.diff(linear) > 0)  # raster order inside the cluster
