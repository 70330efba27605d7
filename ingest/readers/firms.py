"""NASA FIRMS satellite active-fire detections (MODIS and VIIRS, CSV and JSON) → :class:`firewatch.model.Hotspot`.

Public API::

    read_firms(path) -> FirmsResult            # hotspots + skipped (line, reason)
    sniff_firms(data: bytes) -> "csv" | "json" | None

The format is chosen by signature (the CSV header or the JSON keys), never by the file name. Column sets and codes:
:mod:`ingest.readers.firms_rows`. A malformed record (missing columns or values, a bad date or time, coordinates out
of range, an unknown confidence) is reported with its line (CSV: the physical line, header = line 1; JSON: the
1-based record number) and skipped; the rest ingests. A file whose header lacks a required column is refused as a
whole with :class:`~ingest.errors.UnreadableDetections`.

Each detection becomes one hotspot:

* ``source_kind = "satellite"``, ``source_id`` = instrument + platform (``VIIRS-NOAA-20``, ``VIIRS-SNPP``,
  ``MODIS-Aqua``), ``frame_id`` = the pass id ``<source_id>-<YYYYMMDD>T<HHMM>Z`` (satellite + acquisition time:
  FIRMS stamps every detection of one granule with the same HHMM);
* ``lat``/``lon`` the pixel centre; ``footprint`` the pixel's ``scan × track`` rectangle on the WGS 84 ellipsoid,
  **oriented with the track along true north–south and the scan east–west**. The real along-track direction of
  these sun-synchronous orbits (inclination 98.7°) is tilted 8–15° from north at mid-latitudes; the approximation
  moves a 375 m pixel's corners by at most ~50 m, well inside the location uncertainty below;
* ``area_m2 = scan × track × 10⁶``; ``frp_kw`` = FIRMS FRP (MW) × 1000; ``max_temp_k = mean_temp_k`` = the fire
  channel (VIIRS I4 / MODIS band 21/22) brightness temperature; ``background_temp_k`` = the 11 µm channel of the
  same pixel (VIIRS I5 / MODIS band 31: for a sub-pixel fire it is dominated by the background; FIRMS publishes no
  background), ``background_mad_k = 0`` (not published);
* ``location_uncertainty_m`` = ``sqrt((scan² + track²) / 12)``: the fire can be anywhere in the pixel, and a point
  uniform in a ``s × t`` rectangle lies ``sqrt((s² + t²)/12)`` (RMS) from its centre (375 m pixel → 153 m);
* ``location_method = "satellite"``; ``row = col = 0`` and ``pixel_count = 1`` (one pixel of a swath FIRMS does not
  index); ``extra``: ``type`` (0–3 or None), ``type_name``, ``daynight``, ``version``, ``instrument``,
  ``satellite`` (platform name), ``scan_km``, ``track_km``, ``frp_mw``, ``confidence_raw``, ``thermal_band_k``,
  ``line``, ``acquired``.

FIRMS types 1 (volcano), 2 (static land source) and 3 (offshore) are **not vegetation fires**: their hotspots are
``masked`` with ``mask_name`` ``"FIRMS type N (name)"``, so fusion never lets them create or confirm a vegetation-fire
incident (the satellite command fuses masked and unmasked detections apart).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pyproj import Geod

from firewatch.model import Hotspot, format_time, stable_id
from ingest.errors import UnreadableDetections
from ingest.readers.firms_rows import (FIRE_BAND_COLUMNS, FIRE_TYPES, REQUIRED_COLUMNS, THERMAL_BAND_COLUMNS,
                                       FirmsRecord, RecordError, parse_record)

__all__ = ["NON_VEGETATION_TYPES", "FirmsResult", "footprints", "pass_id", "read_firms", "sniff_firms"]

_GEOD = Geod(ellps="WGS84")
#: FIRMS types kept apart from vegetation fires (masked): volcano, static land source, offshore.
NON_VEGETATION_TYPES = (1, 2, 3)
#: Bytes read to sniff a file's signature (a FIRMS CSV header is ~150 bytes; a JSON record ~400).
_SNIFF_BYTES = 4096


@dataclass
class FirmsResult:
    """What :func:`read_firms` read: ``hotspots`` in file order and ``skipped`` ``(line, reason)`` pairs (CSV
    physical line numbers; JSON 1-based record numbers), ``format`` ``"csv"`` or ``"json"``."""

    path: Path
    format: str
    hotspots: list[Hotspot] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def passes(self) -> list[tuple[str, list[Hotspot]]]:
        """``(pass id, hotspots)`` in acquisition-time order (ties by pass id): one "frame" per satellite pass."""
        groups: dict[str, list[Hotspot]] = defaultdict(list)
        for hotspot in self.hotspots:
            groups[hotspot.frame_id].append(hotspot)
        return sorted(groups.items(), key=lambda item: (item[1][0].time, item[0]))


def pass_id(record: FirmsRecord) -> str:
    """The pass (frame) id of a detection: ``<source_id>-<YYYYMMDD>T<HHMM>Z``."""
    return f"{record.source_id}-{record.time:%Y%m%dT%H%M}Z"


def _header_columns(text: str) -> list[str]:
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return [c.strip().lower() for c in next(csv.reader([first]), [])]


def sniff_firms(data: bytes) -> str | None:
    """``"csv"`` or ``"json"`` when the leading bytes look like a FIRMS file (header or keys name latitude,
    longitude, acq_date and acq_time), else None."""
    head = data[:_SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    needed = {"latitude", "longitude", "acq_date", "acq_time"}
    if head.startswith(("[", "{")):
        return "json" if all(f'"{key}"' in head for key in needed) else None
    return "csv" if needed <= set(_header_columns(head)) else None


def _band_columns(columns: set[str], where: str) -> tuple[str, str | None]:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    fire_band = next((c for c in FIRE_BAND_COLUMNS if c in columns), None)
    if fire_band is None:
        missing.append(" or ".join(FIRE_BAND_COLUMNS))
    if missing:
        raise UnreadableDetections(f"{where}: FIRMS header lacks column(s) {', '.join(missing)}; download the file "
                                   "again from FIRMS (CSV or JSON, MODIS or VIIRS) without removing columns")
    thermal_band = next((c for c in THERMAL_BAND_COLUMNS if c in columns), None)
    return fire_band, thermal_band


def _csv_records(text: str, where: str):
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [c.strip().lower() for c in next(reader, [])]
    bands = _band_columns(set(header), where)
    yield bands
    for fields in reader:
        if not fields or all(not f.strip() for f in fields):
            continue
        line = reader.line_num
        if len(fields) != len(header):
            missing = header[len(fields):]
            problem = (f"missing column(s) {', '.join(missing)}" if missing
                       else f"{len(fields) - len(header)} field(s) more than the header")
            yield line, None, f"{problem} (row has {len(fields)} of {len(header)} fields)"
            continue
        yield line, dict(zip(header, fields)), None


def _json_records(text: str, where: str):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableDetections(f"{where}: not valid JSON ({exc})") from exc
    if isinstance(data, dict):  # a single record
        data = [data]
    if not isinstance(data, list):
        raise UnreadableDetections(f"{where}: FIRMS JSON must be a list of detection objects, got "
                                   f"{type(data).__name__}")
    columns = set()
    for item in data:
        if isinstance(item, dict):
            columns |= {str(k).lower() for k in item}
    yield _band_columns(columns, where)
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield number, None, f"record is a {type(item).__name__}, not an object"
            continue
        yield number, {str(k).lower(): v for k, v in item.items()}, None


def read_firms(path: str | Path) -> FirmsResult:
    """Read a NASA FIRMS CSV or JSON file (MODIS or VIIRS) into hotspots; see the module docstring.

    Raises :class:`~ingest.errors.UnreadableDetections` naming the file when it is missing, not FIRMS, or its header
    lacks a required column. Malformed records are skipped and listed in ``FirmsResult.skipped``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDetections(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    kind = sniff_firms(data)
    if kind is None:
        raise UnreadableDetections(f"{path}: not a NASA FIRMS detection file (no latitude, longitude, acq_date, "
                                   "acq_time in the CSV header or JSON keys); download CSV or JSON from "
                                   "https://firms.modaps.eosdis.nasa.gov")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDetections(f"{path}: not UTF-8 text ({exc})") from exc
    records = _csv_records(text, str(path)) if kind == "csv" else _json_records(text, str(path))
    fire_band, thermal_band = next(records)
    result = FirmsResult(path=path, format=kind)
    parsed: list[tuple[int, FirmsRecord]] = []
    seen: dict[tuple, int] = {}
    for line, record, problem in records:
        if problem is None:
            try:
                item = parse_record(record, fire_band=fire_band, thermal_band=thermal_band)
            except RecordError as exc:
                problem = str(exc)
            else:
                key = (item.source_id, item.time, item.lat_deg, item.lon_deg)
                if key in seen:
                    problem = f"duplicate of line {seen[key]} (same satellite, time and position)"
                else:
                    seen[key] = line
                    parsed.append((line, item))
        if problem is not None:
            result.skipped.append((line, problem))
    result.hotspots = _hotspots(parsed)
    return result


def footprints(lon_deg: np.ndarray, lat_deg: np.ndarray, scan_km: np.ndarray, track_km: np.ndarray) -> np.ndarray:
    """Corner rings ``(n, 5, 2)`` (lon, lat; counter-clockwise SW, SE, NE, NW, SW: RFC 7946 right-hand rule) of
    ``scan × track`` km rectangles centred on the points, scan east–west and track north–south, on the WGS 84
    ellipsoid (geodesic offsets from the centre)."""
    half_e = np.asarray(scan_km, dtype=float) * 500.0
    half_n = np.asarray(track_km, dtype=float) * 500.0
    theta = np.degrees(np.arctan2(half_e, half_n))
    reach = np.hypot(half_e, half_n)
    rings = np.empty((len(half_e), 5, 2))
    for k, azimuth in enumerate((180.0 + theta, 180.0 - theta, theta, 360.0 - theta)):
        lon, lat, _ = _GEOD.fwd(lon_deg, lat_deg, azimuth, reach)
        rings[:, k, 0], rings[:, k, 1] = lon, lat
    rings[:, 4] = rings[:, 0]
    return rings


def _hotspots(parsed: list[tuple[int, FirmsRecord]]) -> list[Hotspot]:
    if not parsed:
        return []
    records = [item for _, item in parsed]
    rings = footprints(np.array([r.lon_deg for r in records]), np.array([r.lat_deg for r in records]),
                       np.array([r.scan_km for r in records]), np.array([r.track_km for r in records]))
    hotspots = []
    for (line, r), ring in zip(parsed, rings):
        masked = r.fire_type in NON_VEGETATION_TYPES
        frame_id = pass_id(r)
        hotspots.append(Hotspot(
            hotspot_id="firms-" + stable_id(frame_id, f"{r.lat_deg:.5f}", f"{r.lon_deg:.5f}"),
            frame_id=frame_id, source_id=r.source_id, source_kind="satellite", time=r.time, row=0.0, col=0.0,
            bbox_px=(0, 0, 0, 0), pixel_count=1, max_temp_k=r.fire_band_k, mean_temp_k=r.fire_band_k,
            background_temp_k=r.thermal_band_k if r.thermal_band_k is not None else r.fire_band_k,
            background_mad_k=0.0, saturated_fraction=0.0,
            frp_kw=r.frp_mw * 1000.0 if r.frp_mw is not None else None, frp_lower_bound=False,
            confidence=r.confidence, confidence_class=r.confidence_class, lat=r.lat_deg, lon=r.lon_deg,
            elevation_m=None, area_m2=r.scan_km * r.track_km * 1e6,
            footprint={"type": "Polygon", "coordinates": [ring.tolist()]},
            location_uncertainty_m=1000.0 * math.sqrt((r.scan_km ** 2 + r.track_km ** 2) / 12.0),
            location_method="satellite", masked=masked,
            mask_name=f"FIRMS type {r.fire_type} ({FIRE_TYPES[r.fire_type]})" if masked else None,
            extra={"type": r.fire_type, "type_name": FIRE_TYPES.get(r.fire_type) if r.fire_type is not None else None,
                   "daynight": r.daynight, "version": r.version, "instrument": r.instrument,
                   "satellite": r.platform, "scan_km": r.scan_km, "track_km": r.track_km, "frp_mw": r.frp_mw,
                   "confidence_raw": r.confidence_raw, "thermal_band_k": r.thermal_band_k, "line": line,
                   "acquired": format_time(r.time)},
        ))
    return hotspots
