"""Shared helpers of the bench/ scripts: timing, the numpy baseline, memory peaks, JSON results and tables.

Bench scripts run as ``python bench/x.py`` (bench/ is then first on sys.path; no script is named like a package of
the project, so none can shadow one) and ``import common``.

Results go to ``bench/results/<name>.json`` (git-ignored); each write returns the previous run's payload so scripts
can print the change.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: The drone frame every figure is normalised to (DJI M30T / H20T thermal: 640×512).
FRAME_SHAPE = (512, 640)


def best_time_s(func: Callable[[], object], repeat: int = 5) -> float:
    """Best per-call wall time (s) over ``repeat`` rounds, each long enough (≥ 0.2 s) to be measurable."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def best_call_s(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall time (s) of ``repeat`` single calls, and the last call's result: for work long enough to time one
    call at a time (the least disturbed call is the closest to the machine's own speed)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def numpy_pass_s(shape: tuple[int, int] = FRAME_SHAPE, repeat: int = 5) -> float:
    """Time (s) of ONE numpy pass over a float32 frame: ``np.greater(frame, t)`` into a preallocated mask.

    This is the unit every stage is compared with (DESIGN.md §4 "Cost"): the cheapest thing that touches every pixel
    once, measured in the same process and run as the stage, so ratios hold across machines and loads.
    """
    rng = np.random.default_rng(0)
    frame = (295.0 + rng.normal(0.0, 1.0, shape)).astype(np.float32)
    out = np.empty(shape, dtype=bool)
    threshold = np.float32(300.0)
    return best_time_s(lambda: np.greater(frame, threshold, out=out), repeat)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB; Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine() -> dict:
    """Where and under what load the figures were measured."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"python": platform.python_version(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "load_average_1_5_15": load,
            "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_results(name: str, payload: dict) -> dict | None:
    """Write ``payload`` to bench/results/<name>.json; return the previous run's payload (None when first)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    previous = None
    if path.is_file():
        try:
            previous = json.loads(path.read_text())
        except json.JSONDecodeError:
            previous = None
    path.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    return previous


def delta(current: float | None, previous: float | None) -> str:
    """'+12.3 %' style change of a figure vs the previous run ('' when either is missing)."""
    if current is None or previous is None or previous == 0:
        return ""
    return f"{100.0 * (current - previous) / previous:+.1f} %"


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain fixed-width text table (first column left-aligned, the others right-aligned)."""
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return "" if value is None else str(value)


def log(message: str) -> None:
    """Progress line on stderr (stdout carries the table)."""
    print(message, file=sys.stderr, flush=True)


def spectral_terrain(size_cells: int, cell_m: float, relief_m: float, seed: int, *, lon0_deg: float,
                     lat0_deg: float, exponent: float = 2.5):
    """Fractal terrain (an :class:`ingest.terrain.Terrain` in UTM 52N) centred on ``lon0_deg, lat0_deg``: Gaussian
    noise with amplitude spectrum k^-exponent, scaled to ``relief_m`` above 100 m AMSL.

    exponent 2.5 with 400 m relief on a 5 m grid gives median slope 16 % and median curvature 0.002 /m, like a
    contour- or lidar-derived terrain model (DTM); 2.0 has white-noise curvature down to the cell size (median
    0.02 /m, like a surface model with trees and rocks).
    """
    import pyproj
    from rasterio.transform import from_origin

    from ingest.terrain import Terrain

    rng = np.random.default_rng(seed)
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(size_cells), np.fft.fftfreq(size_cells)))
    k[0, 0] = 1.0
    spectrum = (rng.normal(size=k.shape) + 1j * rng.normal(size=k.shape)) * k ** -exponent
    spectrum[0, 0] = 0.0
    field = np.real(np.fft.ifft2(spectrum))
    field = (field - field.min()) / (field.max() - field.min()) * relief_m + 100.0
    x0, y0 = pyproj.Transformer.from_crs(4326, 32652, always_xy=True).transform(lon0_deg, lat0_deg)
    half = size_cells * cell_m / 2.0
    return Terrain.from_array(field, transform=from_origin(x0 - half, y0 + half, cell_m, cell_m), crs=32652,
                              source=f"synthetic {cell_m:g} m DEM")
