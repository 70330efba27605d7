"""Solar position from time and place (NOAA's "General Solar Position Calculations", Spencer 1971 series).

The series for the declination and the equation of time are accurate to about 0.1° / 1 min, far better than the
land-surface temperature model built on them needs.
"""

from __future__ import annotations

import math
from datetime import datetime

from firewatch.model import parse_time


def solar_position(time: datetime | str, lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Sun ``(elevation_deg, azimuth_deg)`` at ``time`` (UTC) seen from ``lat_deg``, ``lon_deg``.

    Elevation is above the horizon (negative at night, no refraction); azimuth is clockwise from true north.
    """
    t = parse_time(time)
    day_of_year = t.timetuple().tm_yday
    hours = t.hour + t.minute / 60.0 + t.second / 3600.0
    gamma = 2.0 * math.pi / 365.0 * (day_of_year - 1 + (hours - 12.0) / 24.0)
    eqtime_min = 229.18 * (0.000075 + 0.001868 * math.cos(gamma) - 0.032077 * math.sin(gamma)
                           - 0.014615 * math.cos(2 * gamma) - 0.040849 * math.sin(2 * gamma))
    decl = (0.006918 - 0.399912 * math.cos(gamma) + 0.070257 * math.sin(gamma) - 0.006758 * math.cos(2 * gamma)
            + 0.000907 * math.sin(2 * gamma) - 0.002697 * math.cos(3 * gamma) + 0.00148 * math.sin(3 * gamma))
    true_solar_min = hours * 60.0 + eqtime_min + 4.0 * lon_deg
    hour_angle = math.radians(true_solar_min / 4.0 - 180.0)
    lat = math.radians(lat_deg)
    cos_zenith = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(hour_angle)
    elevation = math.degrees(math.asin(max(-1.0, min(1.0, cos_zenith))))
    azimuth = math.degrees(math.atan2(math.sin(hour_angle),
                                      math.cos(hour_angle) * math.sin(lat) - math.tan(decl) * math.cos(lat))) + 180.0
    return elevation, azimuth % 360.0
