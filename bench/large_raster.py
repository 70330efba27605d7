"""Benchmark: chunked hotspot detection (detection.chunked.detect_large) on a 20,000 × 20,000 float32 orthomosaic
(1.6 GB) — peak memory must stay under 2 GB — and identity with the in-memory detector on a 3000 × 3000 crop.

    .venv/bin/python bench/large_raster.py [--size 20000] [--chunk 2048] [--keep]

The raster (tiled 512 px, uncompressed GeoTIFF in EPSG:5186 at 0.5 m, the layout of a COG without overviews) is
written window by window in a temp folder: a 295 K slope with 0.3 K noise and 44 Gaussian fires, a quarter of them
on the 2048 px chunk borders, four inside the crop. Memory is the peak RSS (VmHWM) of a fresh interpreter running
only the detection; the numpy baseline is one ``np.greater`` pass over the same raster read tile by tile (the least any
detector must do: read every pixel and compare it once). Results: bench/results/large_raster.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

import common

from detection import detect
from detection.chunked import DEFAULT_CHUNK_PX, detect_large, raster_frame

TILE_PX = 512
TIME = "2026-04-05T04:00:00Z"


def fires(size: int, chunk: int, rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """(row, col, sigma px, peak K) of 44 fires: 40 random ones, every fourth of which sits on a chunk border or
    corner, and four around the first chunk corner, inside the crop compared with the in-memory detector."""
    out = [(chunk + d_row, chunk + d_col, sigma, peak) for d_row, d_col, sigma, peak in
           ((0.0, 0.0, 2.0, 400.0), (-300.0, 0.5, 1.0, 60.0), (0.5, 420.0, 3.0, 300.0), (-700.0, -650.0, 0.7, 25.0))]
    for n in range(40):
        row, col = rng.uniform(20, size - 20, 2)
        if n % 4 == 0 and size > chunk:
            row = float(chunk * rng.integers(1, max(size // chunk, 2)))
            col = float(chunk * rng.integers(1, max(size // chunk, 2))) if n % 8 == 0 else col
        out.append((float(row), float(col), float(rng.uniform(0.6, 4.0)), float(rng.uniform(20.0, 600.0))))
    return out


def write_raster(path: Path, size: int, chunk: int) -> int:
    """Write the synthetic orthomosaic tile row by tile row (memory: one band of TILE_PX rows); return fire count."""
    rng = np.random.default_rng(20000)
    noise = rng.normal(0.0, 0.3, (TILE_PX, 2 * TILE_PX)).astype(np.float32)
    spots = fires(size, chunk, rng)
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32", "tiled": True,
               "blockxsize": TILE_PX, "blockysize": TILE_PX, "BIGTIFF": "YES", "nodata": None,
               "transform": from_origin(200000.0, 560000.0, 0.5, 0.5), "crs": "EPSG:5186"}
    cols = np.arange(size, dtype=np.float32)[None, :]
    with rasterio.open(path, "w", **profile) as dst:
        for row0 in range(0, size, TILE_PX):
            height = min(TILE_PX, size - row0)
            shift = (row0 // TILE_PX * 97) % TILE_PX  # a different noise phase per band of rows
            band = np.tile(np.roll(noise, shift, axis=1), (1, size // (2 * TILE_PX) + 1))[:height, :size]
            band = band + np.float32(295.0) + np.float32(1e-4) * cols
            rows = np.arange(row0, row0 + height, dtype=np.float32)[:, None]
            for r, c, sigma, peak in spots:
                if row0 - 6 * sigma <= r <= row0 + height + 6 * sigma:
                    c0, c1 = max(int(c - 6 * sigma), 0), min(int(c + 6 * sigma) + 1, size)
                    d2 = (rows - r) ** 2 + (cols[:, c0:c1] - c) ** 2
                    band[:, c0:c1] += (peak * np.exp(-d2 / (2 * sigma ** 2))).astype(np.float32)
            dst.write(band, 1, window=Window(0, row0, size, height))
    return len(spots)


def numpy_baseline_s(path: Path) -> float:
    """One ``np.greater`` over the raster, read tile row by tile row (s)."""
    started = time.perf_counter()
    with rasterio.open(path) as src:
        for row0 in range(0, src.height, TILE_PX * 4):
            block = src.read(1, window=Window(0, row0, src.width, min(TILE_PX * 4, src.height - row0)))
            np.greater(block, np.float32(300.0))
    return time.perf_counter() - started


_CHILD = """
import json, resource, sys, time
from detection.chunked import detect_large


def peak_mb():
    # VmHWM: this process's own peak; ru_maxrss keeps the parent's peak across fork + exec on Linux
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


t0 = time.perf_counter()
result = detect_large(sys.argv[1], chunk_px=int(sys.argv[2]), time=sys.argv[3])
print(json.dumps({"detect_s": time.perf_counter() - t0, "hotspots": len(result.hotspots),
                  "rejected": len(result.rejected), "timings_s": result.stats["timings_s"],
                  "peak_rss_mb": peak_mb()}))
"""


def detect_in_child(path: Path, chunk_px: int) -> dict:
    """Run detect_large in a fresh interpreter, so its peak RSS (VmHWM) is the detection's alone (with Python,
    numpy, GDAL and dask loaded), not this script's raster writing."""
    done = subprocess.run([sys.executable, "-P", "-W", "ignore", "-c", _CHILD, str(path), str(chunk_px), TIME],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"detect_large failed on {path}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def crop(src_path: Path, dst_path: Path, row0: int, col0: int, size: int) -> None:
    with rasterio.open(src_path) as src:
        window = Window(col0, row0, size, size)
        profile = src.profile | {"width": size, "height": size, "transform": src.window_transform(window),
                                 "BIGTIFF": "NO"}
        with rasterio.open(dst_path, "w", **profile) as dst:
            dst.write(src.read(1, window=window), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000, help="raster side, px (default 20000 = 1.6 GB)")
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK_PX, help="chunk side, px")
    parser.add_argument("--crop", type=int, default=3000, help="side of the crop compared with in-memory")
    parser.add_argument("--keep", action="store_true", help="keep the temp raster")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="firewatch-bench-large-"))
    try:
        path = workdir / "ortho.tif"
        t0 = time.perf_counter()
        fire_count = write_raster(path, args.size, args.chunk)
        write_s = time.perf_counter() - t0
        common.log(f"wrote {path} ({path.stat().st_size / 2 ** 30:.2f} GiB) in {write_s:.0f} s")
        baseline_s = numpy_baseline_s(path)
        result = detect_in_child(path, args.chunk)
        detect_s, rss_after = result["detect_s"], result["peak_rss_mb"]

        # Identity on a crop across chunk borders (a chunk corner at its centre when the raster is large enough).
        centre = min(args.chunk, max(args.size - args.crop, 0) + args.crop // 2)
        row0 = col0 = max(min(centre - args.crop // 2, args.size - args.crop), 0)
        crop_path = workdir / "crop.tif"
        crop(path, crop_path, row0, col0, min(args.crop, args.size))
        whole = detect(raster_frame(crop_path, time=TIME))
        chunked = detect_large(crop_path, chunk_px=min(args.chunk, 1024), time=TIME)
        identical = [h.__dict__ for h in chunked.hotspots] == [h.__dict__ for h in whole.hotspots]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    payload = {"machine": common.machine(), "size_px": args.size, "chunk_px": args.chunk,
               "raster_gib": args.size ** 2 * 4 / 2 ** 30, "fires_planted": fire_count,
               "hotspots": result["hotspots"], "rejected": result["rejected"], "detect_s": detect_s,
               "timings_s": result["timings_s"], "numpy_pass_s": baseline_s,
               "ratio_to_numpy_pass": detect_s / baseline_s, "megapixels_per_s": args.size ** 2 / detect_s / 1e6,
               "memory": {"peak_rss_mb": rss_after, "limit_mb": 2048, "under_limit": rss_after < 2048},
               "crop": {"size_px": args.crop, "row0": row0, "col0": col0, "hotspots": len(whole.hotspots)},
               "identical_to_in_memory": identical}
    previous = common.write_results("large_raster", payload) or {}
    rows = [("detect_large", f"{detect_s:.1f}", f"{payload['megapixels_per_s']:.1f}",
             f"{payload['ratio_to_numpy_pass']:.1f}", f"{rss_after:.0f}",
             common.delta(detect_s, previous.get("detect_s"))),
            ("numpy pass (read + compare)", f"{baseline_s:.1f}", f"{args.size ** 2 / baseline_s / 1e6:.1f}", "1.0",
             "", "")]
    print(f"{args.size}×{args.size} float32 ({payload['raster_gib']:.2f} GiB), chunks {args.chunk} px: "
          f"{result['hotspots']} hotspots ({fire_count} fires planted), "
          f"load {payload['machine']['load_average_1_5_15']}")
    print(common.table(rows, ("run", "s", "Mpx/s", "× numpy pass", "peak RSS MiB", "time vs last")))
    print(f"peak memory {rss_after:.0f} MiB (limit 2048); crop {args.crop}² at ({row0}, {col0}): "
          f"{len(whole.hotspots)} hotspots, identical to in-memory: {identical}")
    print(f"json: {common.RESULTS_DIR / 'large_raster.json'}")


if __name__ == "__main__":
    main()
