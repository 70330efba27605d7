"""NASA FIRMS reader on small hand-written files: both instruments, both formats, every malformed-row case.

Expected values are hand calculations from the rows written here (FRP MW × 1000, uniform-in-rectangle RMS radius,
HHMM times) and pyproj geodesics for the footprint sides.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest
from pyproj import Geod

from ingest.errors import UnreadableDetections
from ingest.readers.firms import read_firms, sniff_firms

_GEOD = Geod(ellps="WGS84")

MODIS_HEADER = ("latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,"
                "bright_t31,frp,daynight,type")
VIIRS_HEADER = ("latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,"
                "bright_ti5,frp,daynight")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_modis_csv_numeric_confidence_and_types(tmp_path):
    path = _write(tmp_path, "modis.csv", "\n".join([
        MODIS_HEADER,
        "36.0123,129.3811,330.5,1.2,1.1,2025-03-10,0446,Aqua,MODIS,85,6.1NRT,295.2,12.5,D,2",
        "37.5000,127.0000,315.0,1.0,1.0,2025-03-10,0446,Aqua,MODIS,45,6.1NRT,290.0,3.0,D,0",
        "37.6000,127.1000,312.0,1.0,1.0,2025-03-10,0446,A,MODIS,12,6.1NRT,289.0,,D,0",
    ]) + "\n")
    result = read_firms(path)
    assert result.format == "csv" and result.skipped == []
    static, nominal, low = result.hotspots
    assert static.source_id == "MODIS-Aqua" and static.source_kind == "satellite"
    assert static.frame_id == "MODIS-Aqua-20250310T0446Z"
    assert static.time == datetime(2025, 3, 10, 4, 46, tzinfo=timezone.utc)
    assert static.frp_kw == pytest.approx(12500.0)
    assert static.max_temp_k == pytest.approx(330.5) and static.background_temp_k == pytest.approx(295.2)
    assert (static.confidence_class, static.confidence) == ("high", pytest.approx(0.85))
    assert static.masked and static.mask_name == "FIRMS type 2 (other static land source)"
    assert static.extra["type"] == 2 and static.extra["daynight"] == "D" and static.extra["version"] == "6.1NRT"
    assert static.area_m2 == pytest.approx(1.2 * 1.1 * 1e6)
    assert static.location_uncertainty_m == pytest.approx(1000 * math.sqrt((1.2**2 + 1.1**2) / 12))
    assert static.location_method == "satellite"
    assert nominal.confidence_class == "nominal" and not nominal.masked
    assert low.confidence_class == "low" and low.frp_kw is None and low.source_id == "MODIS-Aqua"


def test_viirs_json_with_string_values_and_unpadded_time(tmp_path):
    records = [{"latitude": "34.92", "longitude": "127.75", "bright_ti4": "344.89", "scan": "0.51", "track": "0.49",
                "acq_date": "2025-03-20", "acq_time": "446", "satellite": "N", "instrument": "VIIRS",
                "confidence": "h", "version": "2.0NRT", "bright_ti5": "278.68", "frp": "7.44", "daynight": "D"},
               {"latitude": 34.93, "longitude": 127.76, "bright_ti4": 340.0, "scan": 0.5, "track": 0.5,
                "acq_date": "2025-03-20", "acq_time": 1734, "satellite": "N20", "confidence": "l",
                "bright_ti5": 280.0, "frp": 1.0, "daynight": "N"}]
    path = _write(tmp_path, "korea.txt", json.dumps(records))  # the name says nothing: the content decides
    result = read_firms(path)
    assert result.format == "json" and result.skipped == []
    first, second = result.hotspots
    assert first.source_id == "VIIRS-SNPP" and first.frame_id == "VIIRS-SNPP-20250320T0446Z"
    assert first.time == datetime(2025, 3, 20, 4, 46, tzinfo=timezone.utc)
    assert (first.confidence_class, first.frp_kw, first.max_temp_k) == ("high", pytest.approx(7440.0), 344.89)
    assert first.extra["type"] is None and not first.masked
    assert second.source_id == "VIIRS-NOAA-20" and second.confidence_class == "low"
    assert second.time == datetime(2025, 3, 20, 17, 34, tzinfo=timezone.utc)
    assert [p for p, _ in result.passes()] == ["VIIRS-SNPP-20250320T0446Z", "VIIRS-NOAA-20-20250320T1734Z"]


def test_viirs_archive_uses_modis_column_names_and_letter_confidence(tmp_path):
    path = _write(tmp_path, "archive.csv", MODIS_HEADER + "\n"
                  "34.07,-118.54,367.0,0.39,0.36,2025-01-08,0949,N20,VIIRS,h,2,300.1,150.2,N,0\n")
    (hotspot,) = read_firms(path).hotspots
    assert hotspot.source_id == "VIIRS-NOAA-20" and hotspot.confidence_class == "high"
    assert hotspot.frp_kw == pytest.approx(150200.0)


def test_footprint_is_scan_by_track_rectangle_on_the_ellipsoid(tmp_path):
    path = _write(tmp_path, "one.csv", VIIRS_HEADER + "\n"
                  "37.0,127.0,340.0,0.6,0.4,2025-03-10,0446,N,VIIRS,n,2.0NRT,290.0,5.0,D\n")
    (hotspot,) = read_firms(path).hotspots
    ring = hotspot.footprint["coordinates"][0]
    assert hotspot.footprint["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    (sw, se, ne, nw) = ring[:4]
    assert _GEOD.inv(*sw, *se)[2] == pytest.approx(600.0, rel=1e-3)  # scan, east-west
    assert _GEOD.inv(*se, *ne)[2] == pytest.approx(400.0, rel=1e-3)  # track, north-south
    assert se[0] > sw[0] and ne[1] > se[1]  # counter-clockwise (RFC 7946 right-hand rule)
    assert sum(c[0] for c in ring[:4]) / 4 == pytest.approx(127.0, abs=1e-6)
    assert sum(c[1] for c in ring[:4]) / 4 == pytest.approx(37.0, abs=1e-5)


def test_malformed_rows_are_reported_by_line_and_skipped(tmp_path):
    good = "37.0,127.0,340.0,0.4,0.4,2025-03-10,0446,N,VIIRS,n,2.0NRT,290.0,5.0,D"
    lines = [VIIRS_HEADER, good,
             "37.0,127.0,340.0,0.4,0.4,2025-03-10,0446",  # line 3: missing columns
             good.replace("2025-03-10", "2025-02-30"),  # line 4: no such date
             good.replace("37.0,127.0", "95.0,127.0"),  # line 5: latitude out of range
             good.replace("127.0", "-181.5"),  # line 6: longitude out of range
             good.replace(",0446,", ",2460,"),  # line 7: bad time
             good.replace(",n,", ",maybe,"),  # line 8: unknown confidence
             good.replace("37.0", "", 1),  # line 9: empty latitude
             "",  # blank line 10 is ignored
             good.replace("37.0", "37.1")]  # line 11: good
    result = read_firms(_write(tmp_path, "bad.csv", "\n".join(lines) + "\n"))
    assert len(result.hotspots) == 2
    reasons = dict(result.skipped)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "missing column(s) satellite, instrument, confidence" in reasons[3] and "7 of 14 fields" in reasons[3]
    assert "acq_date='2025-02-30'" in reasons[4]
    assert "latitude=95" in reasons[5] and "longitude=-181.5" in reasons[6]
    assert "acq_time='2460'" in reasons[7] and "confidence='maybe'" in reasons[8]
    assert "latitude" in reasons[9]


def test_duplicate_rows_are_skipped_once(tmp_path):
    row = "37.0,127.0,340.0,0.4,0.4,2025-03-10,0446,N,VIIRS,n,2.0NRT,290.0,5.0,D"
    result = read_firms(_write(tmp_path, "dup.csv", "\n".join([VIIRS_HEADER, row, row]) + "\n"))
    assert len(result.hotspots) == 1 and result.skipped == [(3, "duplicate of line 2 (same satellite, time and "
                                                                 "position)")]


def test_json_bad_records_are_reported_by_record_number(tmp_path):
    good = {"latitude": "37.0", "longitude": "127.0", "bright_ti4": "340", "scan": "0.4", "track": "0.4",
            "acq_date": "2025-03-10", "acq_time": "446", "satellite": "N", "confidence": "n"}
    records = [good, "not an object", {**good, "acq_date": "10/03/2025"}, {**good, "latitude": "north"}]
    result = read_firms(_write(tmp_path, "bad.json", json.dumps(records)))
    assert len(result.hotspots) == 1
    assert [line for line, _ in result.skipped] == [2, 3, 4]
    assert "not an object" in result.skipped[0][1] and "latitude='north'" in result.skipped[2][1]


def test_header_without_a_required_column_is_refused(tmp_path):
    header = VIIRS_HEADER.replace("scan,track,", "")
    path = _write(tmp_path, "noscan.csv", header + "\n")
    with pytest.raises(UnreadableDetections, match=r"noscan\.csv.*scan, track"):
        read_firms(path)


def test_not_firms_is_refused_naming_the_file(tmp_path):
    path = _write(tmp_path, "fires.csv", "lat,lon,when\n1,2,3\n")
    with pytest.raises(UnreadableDetections, match=r"fires\.csv: not a NASA FIRMS"):
        read_firms(path)
    with pytest.raises(UnreadableDetections, match="cannot read"):
        read_firms(tmp_path / "missing.csv")
    broken = _write(tmp_path, "broken.json", '[{"latitude": "1", "longitude": "2", "acq_date": "x", "acq_time"')
    with pytest.raises(UnreadableDetections, match="not valid JSON"):
        read_firms(broken)


def test_sniff_by_content():
    assert sniff_firms(b"\xef\xbb\xbf" + VIIRS_HEADER.encode() + b"\n") == "csv"
    assert sniff_firms(b'[{"latitude": "1", "longitude": "2", "acq_date": "d", "acq_time": "t"}]') == "json"
    assert sniff_firms(b"II*\x00") is None
    assert sniff_firms(b'{"type": "FeatureCollection"}') is None
