"""EXIF (via Pillow) and XMP (via lxml) fields that thermal readers need: make, model, lens, time, GPS, DJI angles.

Conventions of the sources:

* EXIF GPS is degrees/minutes/seconds rationals with N/S, E/W references; altitude with a 0 = above / 1 = below
  sea-level reference. EXIF ``DateTimeOriginal`` is the camera's local clock; ``OffsetTimeOriginal`` (EXIF 2.31)
  gives its zone when present.
* DJI writes its flight record in XMP under ``drone-dji`` (``http://www.dji.com/drone-dji/1.0/``; the Zenmuse XT S
  uses ``http://www.dji.com``): ``GpsLatitude``/``GpsLongitude`` (decimal degrees, more digits than EXIF),
  ``AbsoluteAltitude``/``RelativeAltitude`` (m), ``Gimbal*/Flight*Degree`` (degrees), ``LRFTarget*``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree
from PIL import Image

from ingest.errors import UnreadableFrame

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME = 0x010F, 0x0110, 0x0132
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _SUBSEC_ORIGINAL = 0x9003, 0x9011, 0x9291
_FOCAL_LENGTH, _FOCAL_35MM, _BODY_SERIAL = 0x920A, 0xA405, 0xA431
_EXIF_WIDTH, _EXIF_HEIGHT = 0xA002, 0xA003
DJI_XMP_NAMESPACES = ("http://www.dji.com/drone-dji/1.0/", "http://www.dji.com", "http://www.dji.com/FLIR/1.0/")
#: The XMP basic namespace: ``CreateDate`` carries a time zone on recent DJI firmware; kept as ``xmp:CreateDate``.
XMP_BASIC_NAMESPACE = "http://ns.adobe.com/xap/1.0/"


@dataclass
class ExifInfo:
    """The EXIF fields thermal readers use; None where the file has no such tag."""

    make: str | None = None
    model: str | None = None
    serial: str | None = None
    focal_length_mm: float | None = None
    focal_length_35mm: float | None = None
    width_px: int | None = None
    height_px: int | None = None
    time: datetime | None = None
    time_source: str = ""
    gps: dict = field(default_factory=dict)  # lat_deg, lon_deg, alt_amsl_m (those present)


def read_exif(payload: bytes | None, path: Path) -> ExifInfo:
    """Parse an EXIF APP1 payload (``Exif\\0\\0`` + TIFF structure) into :class:`ExifInfo`."""
    info = ExifInfo()
    if not payload:
        return info
    exif = Image.Exif()
    try:
        exif.load(payload)
        sub = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except (SyntaxError, ValueError, OSError, KeyError, TypeError, IndexError) as exc:
        raise UnreadableFrame(f"{path}: EXIF block is corrupt ({exc}); copy the file again") from exc
    info.make = _text(exif.get(_MAKE))
    info.model = _text(exif.get(_MODEL))
    info.serial = _text(sub.get(_BODY_SERIAL))
    info.focal_length_mm = _positive(sub.get(_FOCAL_LENGTH))
    info.focal_length_35mm = _positive(sub.get(_FOCAL_35MM))
    info.width_px = _int(sub.get(_EXIF_WIDTH))
    info.height_px = _int(sub.get(_EXIF_HEIGHT))
    info.time, info.time_source = _exif_time(sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME),
                                             _text(sub.get(_SUBSEC_ORIGINAL)), _text(sub.get(_OFFSET_TIME_ORIGINAL)))
    info.gps = _gps(gps)
    return info


def read_xmp_dji(xmp: bytes | None, path: Path) -> dict[str, str]:
    """DJI XMP fields by local name (``GimbalYawDegree`` → ``"-106.60"``), from attributes and simple elements.

    XMP basic fields are included as ``xmp:<name>`` (e.g. ``xmp:CreateDate``).

    DJI packets are not always well-formed (the XT S declares its namespace twice), so the parser recovers; it
    never resolves entities nor touches the network.
    """
    if not xmp:
        return {}
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xmp.strip(b"\x00 \r\n\t"), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UnreadableFrame(f"{path}: XMP metadata is not XML ({exc})") from exc
    if root is None:
        return {}
    fields: dict[str, str] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            qname = etree.QName(name)
            if qname.namespace in DJI_XMP_NAMESPACES:
                fields.setdefault(qname.localname, value.strip())
            elif qname.namespace == XMP_BASIC_NAMESPACE:
                fields.setdefault("xmp:" + qname.localname, value.strip())
        qname = etree.QName(element)
        if qname.namespace in DJI_XMP_NAMESPACES:
            text = " ".join(t.strip() for t in element.itertext() if t.strip())
            fields.setdefault(qname.localname, text)
    return fields


def xmp_float(fields: dict[str, str], name: str) -> float | None:
    """A DJI XMP number (``"+90.337"``) as float, None when absent, empty or not finite."""
    value = fields.get(name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).strip("\x00 ").strip()
    return value or None


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _positive(value) -> float | None:
    number = _float(value)
    return number if number is not None and number > 0 else None


def _int(value) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number > 0 else None


def _exif_time(value, subsec: str | None, offset: str | None) -> tuple[datetime | None, str]:
    text = _text(value)
    if not text:
        return None, ""
    try:
        local = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, ""
    if subsec and subsec.isdigit():
        local += timedelta(seconds=float("0." + subsec))
    if offset and len(offset) == 6 and offset[0] in "+-":
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        return local.replace(tzinfo=zone).astimezone(timezone.utc), "EXIF DateTimeOriginal with OffsetTimeOriginal"
    return (local.replace(tzinfo=timezone.utc),
            "EXIF DateTimeOriginal (camera clock, time zone not recorded: taken as UTC; a sidecar 'time' fixes it)")


def _dms(value, ref) -> float | None:
    try:
        degrees, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    number = degrees + minutes / 60.0 + seconds / 3600.0
    if not math.isfinite(number):
        return None
    return -number if _text(ref) in ("S", "W") else number


def _gps(gps: dict) -> dict:
    out: dict = {}
    lat, lon = _dms(gps.get(2), gps.get(1)), _dms(gps.get(4), gps.get(3))
    if lat is not None and lon is not None and not (lat == 0.0 and lon == 0.0):
        out["lat_deg"], out["lon_deg"] = lat, lon
    alt = _float(gps.get(6))
    if alt is not None:
        ref = gps.get(5)
        below = (ref[:1] == b"\x01") if isinstance(ref, bytes) else ref == 1
        out["alt_amsl_m"] = -alt if below else alt
    return out
