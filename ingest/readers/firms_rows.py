"""One NASA FIRMS record (CSV row or JSON object, values as strings or numbers) → a checked :class:`FirmsRecord`.

FIRMS column sets (FIRMS "Attributes" pages for MODIS C6.1 and VIIRS 375 m):

* VIIRS: ``bright_ti4`` (I4, 3.74 µm, K), ``bright_ti5`` (I5, 11.45 µm, K), confidence ``l``/``n``/``h``; the FIRMS
  *archive* download of VIIRS uses the MODIS names ``brightness``/``bright_t31`` for the same two channels.
* MODIS: ``brightness`` (band 21/22, 4 µm, K), ``bright_t31`` (band 31, 11 µm, K), confidence 0–100 %.
* Both: ``latitude``, ``longitude`` (WGS 84 degrees, pixel centre), ``scan``, ``track`` (pixel size along scan and
  along track, km), ``acq_date`` (YYYY-MM-DD, UTC), ``acq_time`` (HHMM, UTC; the JSON API drops leading zeros:
  ``"446"`` is 04:46), ``satellite``, ``instrument`` (optional), ``version``, ``frp`` (MW), ``daynight`` (D/N) and,
  in archive files only, ``type`` (0 vegetation fire, 1 active volcano, 2 other static land source, 3 offshore).

A bad record raises :class:`RecordError` with a reason naming the column and the bad value; the reader reports it
by line and goes on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

#: Columns every FIRMS file has, whichever instrument.
REQUIRED_COLUMNS = ("latitude", "longitude", "scan", "track", "acq_date", "acq_time", "satellite", "confidence")
#: The fire channel brightness temperature: VIIRS API name first, then the MODIS (and VIIRS archive) name.
FIRE_BAND_COLUMNS = ("bright_ti4", "brightness")
#: The 11 µm channel of the same pixel.
THERMAL_BAND_COLUMNS = ("bright_ti5", "bright_t31")

#: FIRMS ``satellite`` codes → platform names used in source ids ("VIIRS-NOAA-20"). FIRMS writes N (Suomi NPP),
#: N20 or 1 (NOAA-20 / JPSS-1), N21 or 2 (NOAA-21 / JPSS-2), Terra/T and Aqua/A (MODIS).
PLATFORMS = {
    "N": "SNPP", "NPP": "SNPP", "SNPP": "SNPP", "SUOMI-NPP": "SNPP", "SUOMI NPP": "SNPP",
    "N20": "NOAA-20", "1": "NOAA-20", "J1": "NOAA-20", "NOAA-20": "NOAA-20", "NOAA20": "NOAA-20",
    "N21": "NOAA-21", "2": "NOAA-21", "J2": "NOAA-21", "NOAA-21": "NOAA-21", "NOAA21": "NOAA-21",
    "T": "Terra", "TERRA": "Terra", "A": "Aqua", "AQUA": "Aqua",
}
_MODIS_PLATFORMS = {"Terra", "Aqua"}

#: VIIRS confidence letters → (class, 0–1 value). The value is the middle of the class's band on the 0–1 scale the
#: detector uses (low < 0.3 ≤ nominal < 0.8 ≤ high, the MODIS C6 limits: Giglio et al. 2016), so a FIRMS class and
#: a camera class mean the same thing in fusion.
VIIRS_CONFIDENCE = {"l": ("low", 0.15), "low": ("low", 0.15), "n": ("nominal", 0.55), "nominal": ("nominal", 0.55),
                    "h": ("high", 0.9), "high": ("high", 0.9)}
#: MODIS C6 confidence percent limits (Giglio et al. 2016, MODIS active fire user guide §2.2.5): low 0–29 %,
#: nominal 30–79 %, high 80–100 %.
MODIS_NOMINAL_MIN_PERCENT = 30.0
MODIS_HIGH_MIN_PERCENT = 80.0

#: FIRMS ``type`` codes (archive files).
FIRE_TYPES = {0: "vegetation fire", 1: "active volcano", 2: "other static land source", 3: "offshore"}

#: Plausible pixel sizes, km: VIIRS I-band 0.375 km at nadir to ~0.8 km at the scan edge, MODIS 1 km at nadir to
#: ~4.8 km (scan) at the edge (Wolfe et al. 2002); 10 km rejects a value given in metres or a corrupt one.
PIXEL_SIZE_RANGE_KM = (0.1, 10.0)
#: Brightness temperatures outside this range (K) are not a FIRMS value (the saturation of VIIRS I4 is 367 K, of
#: MODIS band 21 ~500 K; folded pixels go higher but below 1000 K).
BRIGHTNESS_RANGE_K = (150.0, 1500.0)


class RecordError(ValueError):
    """A FIRMS record is unusable; the message names the column and the value (internal: the reader reports it)."""


@dataclass(frozen=True)
class FirmsRecord:
    """One checked detection. Angles WGS 84 degrees, sizes km, temperatures K, FRP MW, time aware UTC."""

    lat_deg: float
    lon_deg: float
    time: datetime
    instrument: str  # "VIIRS" | "MODIS"
    platform: str  # "NOAA-20", "SNPP", "Aqua", ...
    scan_km: float
    track_km: float
    fire_band_k: float
    thermal_band_k: float | None
    frp_mw: float | None
    confidence: float
    confidence_class: str
    confidence_raw: str
    fire_type: int | None
    daynight: str | None
    version: str | None

    @property
    def source_id(self) -> str:
        return f"{self.instrument}-{self.platform}"


def _text(record: Mapping, column: str) -> str | None:
    value = record.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(record: Mapping, column: str) -> str:
    text = _text(record, column)
    if text is None:
        raise RecordError(f"missing value in column {column!r}")
    return text


def _number(record: Mapping, column: str, *, required: bool = True) -> float | None:
    text = _required(record, column) if required else _text(record, column)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RecordError(f"{column}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise RecordError(f"{column}={text!r} is not a finite number")
    return value


def _in_range(column: str, value: float, low: float, high: float, unit: str) -> float:
    if not low <= value <= high:
        raise RecordError(f"{column}={value:g} is outside [{low:g}, {high:g}] {unit}")
    return value


def parse_time(record: Mapping) -> datetime:
    """``acq_date`` (YYYY-MM-DD) + ``acq_time`` (HHMM, leading zeros optional, ``HH:MM`` accepted) → aware UTC."""
    date_text = _required(record, "acq_date")
    time_text = _required(record, "acq_time").replace(":", "")
    try:
        day = datetime.strptime(date_text, "%Y-%m-%d")
    except ValueError:
        raise RecordError(f"acq_date={date_text!r} is not a date YYYY-MM-DD") from None
    if not time_text.isdigit() or len(time_text) > 4:
        raise RecordError(f"acq_time={time_text!r} is not a UTC time HHMM")
    hhmm = time_text.zfill(4)
    hour, minute = int(hhmm[:2]), int(hhmm[2:])
    if hour > 23 or minute > 59:
        raise RecordError(f"acq_time={time_text!r} is not a UTC time HHMM (hour {hour}, minute {minute})")
    return day.replace(hour=hour, minute=minute, tzinfo=timezone.utc)


def _instrument(record: Mapping, platform: str, confidence_text: str) -> str:
    named = (_text(record, "instrument") or "").upper()
    if named in ("VIIRS", "MODIS"):
        return named
    if named:
        raise RecordError(f"instrument={named!r} is neither VIIRS nor MODIS")
    if _text(record, "bright_ti4") is not None:
        return "VIIRS"
    if platform in _MODIS_PLATFORMS or confidence_text.isdigit():
        return "MODIS"
    return "VIIRS"


def _confidence(text: str) -> tuple[str, float]:
    letter = VIIRS_CONFIDENCE.get(text.lower())
    if letter is not None:
        return letter[0], letter[1]
    try:
        percent = float(text)
    except ValueError:
        raise RecordError(f"confidence={text!r} is neither l/n/h (VIIRS) nor a percentage 0–100 (MODIS)") from None
    if not 0.0 <= percent <= 100.0:
        raise RecordError(f"confidence={text!r} is outside 0–100 %")
    if percent >= MODIS_HIGH_MIN_PERCENT:
        return "high", percent / 100.0
    if percent >= MODIS_NOMINAL_MIN_PERCENT:
        return "nominal", percent / 100.0
    return "low", percent / 100.0


def parse_record(record: Mapping, *, fire_band: str, thermal_band: str | None) -> FirmsRecord:
    """Check and convert one record; ``fire_band``/``thermal_band`` are the file's brightness column names."""
    lat = _in_range("latitude", _number(record, "latitude"), -90.0, 90.0, "degrees")
    lon = _in_range("longitude", _number(record, "longitude"), -180.0, 180.0, "degrees")
    time = parse_time(record)
    satellite = _required(record, "satellite")
    platform = PLATFORMS.get(satellite.upper(), satellite)
    confidence_text = _required(record, "confidence")
    instrument = _instrument(record, platform, confidence_text)
    confidence_class, confidence = _confidence(confidence_text)
    scan = _in_range("scan", _number(record, "scan"), *PIXEL_SIZE_RANGE_KM, "km")
    track = _in_range("track", _number(record, "track"), *PIXEL_SIZE_RANGE_KM, "km")
    fire_band_k = _in_range(fire_band, _number(record, fire_band), *BRIGHTNESS_RANGE_K, "K")
    thermal_band_k = None
    if thermal_band is not None:
        thermal_band_k = _number(record, thermal_band, required=False)
        if thermal_band_k is not None:
            _in_range(thermal_band, thermal_band_k, *BRIGHTNESS_RANGE_K, "K")
    frp = _number(record, "frp", required=False)
    if frp is not None and frp < 0:
        raise RecordError(f"frp={frp:g} MW is negative")
    type_value = _number(record, "type", required=False)
    fire_type = None
    if type_value is not None:
        if type_value not in FIRE_TYPES:
            raise RecordError(f"type={type_value:g} is not a FIRMS type (0 vegetation, 1 volcano, 2 static land "
                              "source, 3 offshore)")
        fire_type = int(type_value)
    daynight = _text(record, "daynight")
    if daynight is not None and daynight.upper() not in ("D", "N"):
        raise RecordError(f"daynight={daynight!r} is neither D nor N")
    return FirmsRecord(lat_deg=lat, lon_deg=lon, time=time, instrument=instrument, platform=platform, scan_km=scan,
                       track_km=track, fire_band_k=fire_band_k, thermal_band_k=thermal_band_k, frp_mw=frp,
                       confidence=confidence, confidence_class=confidence_class, confidence_raw=confidence_text,
                       fire_type=fire_type, daynight=daynight.upper() if daynight else None,
                       version=_text(record, "version"))
