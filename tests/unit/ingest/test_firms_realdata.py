"""NASA FIRMS reader on the real files in ../shared/data/firms/ (counts checked against Python's csv/json readers)."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from ingest.readers.firms import read_firms

pytestmark = pytest.mark.realdata

ARCHIVE = "fire_archive_J1V-C2_618777_LosAngeles_2024-05_2025-01.csv"
NRT = "fire_nrt_J1V-C2_618777_LosAngeles_2025-02_2025-04.csv"
KOREA = "nasa_firms_korea_viirs_snpp_2025-03.json"


def test_los_angeles_viirs_archive_ingests_completely(shared_data):
    path = shared_data / "firms" / ARCHIVE
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = read_firms(path)
    assert len(rows) == 7253
    assert len(result.hotspots) == 7253 and result.skipped == []
    assert {h.source_id for h in result.hotspots} == {"VIIRS-NOAA-20"}
    assert Counter(h.extra["type"] for h in result.hotspots) == Counter(int(r["type"]) for r in rows)
    masked = Counter(h.mask_name for h in result.hotspots if h.masked)
    assert masked == {"FIRMS type 2 (other static land source)": sum(r["type"] == "2" for r in rows),
                      "FIRMS type 3 (offshore)": sum(r["type"] == "3" for r in rows)}
    assert sum(h.frp_kw for h in result.hotspots) == pytest.approx(1000 * sum(float(r["frp"]) for r in rows))
    assert len(result.passes()) == len({(r["acq_date"], r["acq_time"]) for r in rows})


def test_los_angeles_nrt_file_without_type_column(shared_data):
    result = read_firms(shared_data / "firms" / NRT)
    assert len(result.hotspots) == 763 and result.skipped == []
    assert all(h.extra["type"] is None and not h.masked for h in result.hotspots)


def test_korea_json_with_string_values(shared_data):
    path = shared_data / "firms" / KOREA
    records = json.loads(path.read_text())
    assert all(isinstance(v, str) for r in records for v in r.values())
    result = read_firms(path)
    assert result.format == "json" and len(result.hotspots) == len(records) == 223 and result.skipped == []
    for record, hotspot in zip(records, result.hotspots):
        assert hotspot.lat == float(record["latitude"]) and hotspot.lon == float(record["longitude"])
        assert hotspot.max_temp_k == float(record["bright_ti4"])
        assert hotspot.frp_kw == pytest.approx(float(record["frp"]) * 1000)
        hhmm = record["acq_time"].zfill(4)
        assert hotspot.time.strftime("%Y-%m-%d %H%M") == f"{record['acq_date']} {hhmm}"
    assert {h.source_id for h in result.hotspots} == {"VIIRS-SNPP"}
