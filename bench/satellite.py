"""Benchmark: NASA FIRMS reading, satellite fusion into a store, and bearing triangulation.

Rows print the time, a throughput and the ratio to a numpy baseline measured in the same run, so the numbers compare
across machines and loads:
* ``read_firms`` on the real Los Angeles VIIRS archive (7,253 detections) vs ``numpy.genfromtxt`` parsing the same
  CSV (the cheapest generic CSV → array parse; the reader also checks every value and builds footprints);
* ``ingest_firms`` of its 7–8 January 2025 passes (Palisades and Eaton) into a fresh SQLite store, per detection;
* ``triangulate`` of two bearings vs one ``numpy.linalg.solve`` of a 2×2 system (the arithmetic core).

Needs ../shared/data/firms (skips the real-data rows when absent). Run: ``.venv/bin/python bench/satellite.py``.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path

import numpy as np

import common
from detection.triangulate import Bearing, triangulate
from firewatch.config import FirewatchConfig
from firewatch.satellite import ingest_firms
from firewatch.store import Store
from ingest.readers.firms import read_firms

ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "firms" / \
    "fire_archive_J1V-C2_618777_LosAngeles_2024-05_2025-01.csv"




def bench_read() -> None:
    reader_s = common.best_call_s(lambda: read_firms(ARCHIVE), 3)[0]
    baseline_s = common.best_call_s(lambda: np.genfromtxt(ARCHIVE, delimiter=",", skip_header=1, dtype=None,
                                                   encoding="utf-8"), 3)[0]
    n = len(read_firms(ARCHIVE).hotspots)
    print(f"read_firms      {n} detections: {reader_s * 1000:8.1f} ms  {n / reader_s:10.0f} det/s  "
          f"ratio to numpy.genfromtxt {reader_s / baseline_s:5.1f}")


def bench_ingest() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / "la_jan_7_8.csv"
        with ARCHIVE.open(newline="") as src, subset.open("w", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames)
            writer.writeheader()
            writer.writerows(r for r in reader if r["acq_date"] in ("2025-01-07", "2025-01-08"))
        store = Store(f"sqlite:///{Path(tmp) / 'fw.db'}")
        start = time.perf_counter()
        report = ingest_firms([subset], FirewatchConfig(), store)
        elapsed = time.perf_counter() - start
        n = sum(p.hotspot_count for p in report.passes)
        baseline_s = common.best_call_s(lambda: np.genfromtxt(subset, delimiter=",", skip_header=1, dtype=None,
                                                       encoding="utf-8"), 3)[0]
        print(f"ingest_firms    {n} detections, {len(report.passes)} passes: {elapsed * 1000:8.1f} ms  "
              f"{n / elapsed:8.0f} det/s  ratio to numpy.genfromtxt {elapsed / baseline_s:7.0f}")


def bench_triangulate() -> None:
    bearings = [Bearing(37.627, 126.932, 475.0, 47.0, -1.5, 0.05), Bearing(37.632, 127.033, 445.0, 302.0, -1.8, 0.05)]
    n = 200
    elapsed = common.best_call_s(lambda: [triangulate(bearings) for _ in range(n)], 3)[0] / n
    a, b = np.array([[2.0, 0.3], [0.3, 1.0]]), np.array([1.0, 2.0])
    baseline = common.best_call_s(lambda: [np.linalg.solve(a, b) for _ in range(n)], 3)[0] / n
    print(f"triangulate     2 bearings: {elapsed * 1e6:8.1f} µs/fix  {1 / elapsed:8.0f} fixes/s  "
          f"ratio to one 2×2 numpy solve {elapsed / baseline:6.0f}")


if __name__ == "__main__":
    if ARCHIVE.is_file():
        bench_read()
        bench_ingest()
    else:
        print(f"skipping FIRMS rows: {ARCHIVE} not found")
    bench_triangulate()
