"""DJI flight metadata (XMP ``drone-dji`` + EXIF) → pose fields, laser range finder target, time, source id.

Shared by the DJI R-JPEG reader and the FLIR-format reader (the Zenmuse XT/XT2 writes FLIR radiometry with DJI's
XMP). Angles are DJI's absolute gimbal angles, used as they are (see :mod:`ingest.pose`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from ingest.readers.exif import ExifInfo, xmp_float


def is_dji(exif: ExifInfo, xmp: dict[str, str]) -> bool:
    """True for files written by a DJI aircraft or payload."""
    return (exif.make or "").strip().upper() == "DJI" or "GimbalYawDegree" in xmp


def pose_fields(exif: ExifInfo, xmp: dict[str, str]) -> dict:
    """Whatever pose values the file holds, as :class:`ingest.pose.Pose` keys (degrees, metres AMSL).

    XMP ``GpsLatitude``/``GpsLongitude`` win over EXIF GPS (they carry more decimals; older firmware spells the
    longitude ``GpsLongtitude``); ``AbsoluteAltitude`` wins over EXIF ``GPSAltitude``.
    """
    fields: dict = {}
    lat = xmp_float(xmp, "GpsLatitude")
    lon = xmp_float(xmp, "GpsLongitude")
    if lon is None:
        lon = xmp_float(xmp, "GpsLongtitude")
    if lat is not None and lon is not None and not (lat == 0.0 and lon == 0.0):
        fields["lat_deg"], fields["lon_deg"] = lat, lon
    elif "lat_deg" in exif.gps:
        fields["lat_deg"], fields["lon_deg"] = exif.gps["lat_deg"], exif.gps["lon_deg"]
    alt = xmp_float(xmp, "AbsoluteAltitude")
    if alt is None:
        alt = exif.gps.get("alt_amsl_m")
    if alt is not None:
        fields["alt_amsl_m"] = alt
    for key, name in (("yaw_deg", "GimbalYawDegree"), ("pitch_deg", "GimbalPitchDegree"),
                      ("roll_deg", "GimbalRollDegree"), ("alt_above_takeoff_m", "RelativeAltitude")):
        value = xmp_float(xmp, name)
        if value is not None:
            fields[key] = value
    if "yaw_deg" in fields or "pitch_deg" in fields:
        fields["kind"] = "gimbal"
    return fields


def laser_target(xmp: dict[str, str]) -> dict | None:
    """The laser range finder target (``distance_m``, ``lat_deg``, ``lon_deg``, ``abs_alt_m``), or None.

    A zero distance (the Mavic 3T writes all zeros when the laser saw nothing) means no target.
    """
    distance = xmp_float(xmp, "LRFTargetDistance")
    lat, lon = xmp_float(xmp, "LRFTargetLat"), xmp_float(xmp, "LRFTargetLon")
    if not distance or distance <= 0 or lat is None or lon is None:
        return None
    return {"distance_m": distance, "lat_deg": lat, "lon_deg": lon, "abs_alt_m": xmp_float(xmp, "LRFTargetAbsAlt")}


def flight_attitude(xmp: dict[str, str]) -> dict | None:
    """The aircraft's own attitude in degrees (kept for the record; gimbal angles are already absolute)."""
    values = {key: xmp_float(xmp, name) for key, name in (("yaw_deg", "FlightYawDegree"),
                                                          ("pitch_deg", "FlightPitchDegree"),
                                                          ("roll_deg", "FlightRollDegree"))}
    return values if any(v is not None for v in values.values()) else None


def xmp_time(xmp: dict[str, str]) -> tuple[datetime | None, str]:
    """Acquisition time from ``UTCAtExposure`` (UTC) or a zoned ``xmp:CreateDate``; (None, "") otherwise."""
    utc = (xmp.get("UTCAtExposure") or "").strip()
    if utc:
        for fmt in ("%Y:%m:%d %H:%M:%S.%f", "%Y:%m:%d %H:%M:%S"):
            try:
                return (datetime.strptime(utc, fmt).replace(tzinfo=timezone.utc),
                        "XMP drone-dji:UTCAtExposure (UTC)")
            except ValueError:
                continue
    created = (xmp.get("xmp:CreateDate") or "").strip()
    if len(created) > 19 and (created[19:20] in "+-Z" or created.endswith("Z")):
        try:
            stamp = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            return None, ""
        if stamp.tzinfo is not None:
            return stamp.astimezone(timezone.utc), "XMP xmp:CreateDate (with its time zone)"
    return None, ""


def source_id(exif: ExifInfo, xmp: dict[str, str]) -> str | None:
    """``<model>-<serial>`` of the aircraft (or camera), or the model alone, or None."""
    model = xmp.get("DroneModel") or exif.model
    serial = xmp.get("DroneSerialNumber") or exif.serial
    parts = [p.strip().replace(" ", "_") for p in (model, serial) if p and p.strip() and p.strip() != "0"]
    return "-".join(parts) or None
