"""Ground truth of heat sources: growing fires and sun-heated false targets, as polygons in the scene CRS.

A fire is a wind-driven ellipse (Van Wagner 1969; Alexander 1985) growing from an ignition circle of radius 1 m
(≈ 3 m²): the head advances at ``head_rate_m_per_min``, the back at ``head / HB``, the flanks so that the ellipse has
length-to-breadth ratio ``LB = 1 + 8.729·(1 − exp(−0.030·U))^2.155`` (U the 10 m open wind in km/h) and
``HB = (LB + √(LB²−1)) / (LB − √(LB²−1))`` (Alexander 1985). The flaming front is a band of depth
``rate × residence time`` (Anderson 1969: ~45 s for forest litter) inside the perimeter; the interior smoulders.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
from shapely.geometry import Polygon

from firewatch.model import format_time, parse_time

IGNITION_RADIUS_M = 1.0
#: Flame residence time, minutes (Anderson 1969, litter and fine fuels: 30–60 s).
RESIDENCE_TIME_MIN = 0.75
#: Flame depth bounds, metres: spring litter fires in Korean pine/oak stands burn in a 0.5–5 m deep front.
FLAME_DEPTH_RANGE_M = (0.5, 5.0)
_VERTICES = 72


def length_to_breadth(wind_kmh: float) -> float:
    """Alexander (1985) fire-ellipse length-to-breadth ratio for a 10 m open wind in km/h."""
    return 1.0 + 8.729 * (1.0 - math.exp(-0.030 * wind_kmh)) ** 2.155


def head_to_back(lb: float) -> float:
    """Alexander (1985) head-to-back spread-rate ratio for a length-to-breadth ratio ``lb``."""
    root = math.sqrt(max(lb * lb - 1.0, 0.0))
    return (lb + root) / (lb - root)


def _ellipse(cx: float, cy: float, a: float, b: float, azimuth_deg: float) -> np.ndarray:
    theta = np.linspace(0.0, 2.0 * math.pi, _VERTICES, endpoint=False)
    u, v = a * np.cos(theta), b * np.sin(theta)  # u along the major axis (azimuth), v across
    az = math.radians(azimuth_deg)
    x = cx + u * math.sin(az) + v * math.cos(az)
    y = cy + u * math.cos(az) - v * math.sin(az)
    ring = np.column_stack([x, y])
    return ring[::-1] if Polygon(ring).exterior.is_ccw is False else ring


@dataclass(frozen=True)
class FireTruth:
    """One fire: ignition point (scene CRS metres and WGS 84), time and growth parameters."""

    fire_id: str
    ignition_time: datetime
    x: float
    y: float
    lon_deg: float
    lat_deg: float
    elevation_m: float
    #: Grid azimuth the head runs toward (downwind), degrees clockwise from grid north.
    head_azimuth_deg: float
    head_rate_m_per_min: float
    wind_kmh: float
    flaming_k: float
    smouldering_k: float

    @property
    def length_to_breadth(self) -> float:
        return length_to_breadth(self.wind_kmh)

    def shape_at(self, time: datetime) -> tuple[float, float, float, float, float] | None:
        """``(centre_x, centre_y, a_m, b_m, flame_depth_m)`` of the perimeter ellipse at ``time``; None before
        ignition."""
        minutes = (parse_time(time) - self.ignition_time).total_seconds() / 60.0
        if minutes < 0:
            return None
        lb = self.length_to_breadth
        head = IGNITION_RADIUS_M + self.head_rate_m_per_min * minutes
        back = IGNITION_RADIUS_M + self.head_rate_m_per_min / head_to_back(lb) * minutes
        a = 0.5 * (head + back)
        b = max(a / lb, IGNITION_RADIUS_M)
        shift = 0.5 * (head - back)
        az = math.radians(self.head_azimuth_deg)
        depth = min(max(self.head_rate_m_per_min * RESIDENCE_TIME_MIN, FLAME_DEPTH_RANGE_M[0]), FLAME_DEPTH_RANGE_M[1])
        return self.x + shift * math.sin(az), self.y + shift * math.cos(az), a, b, depth

    def polygons_at(self, time: datetime) -> list[tuple[str, Polygon, float]]:
        """``[(kind, polygon in scene CRS, temperature_k)]`` at ``time``: the flaming band and, once the fire is
        deeper than its flame, the smouldering interior. Empty before ignition."""
        shape = self.shape_at(time)
        if shape is None:
            return []
        cx, cy, a, b, depth = shape
        outer = _ellipse(cx, cy, a, b, self.head_azimuth_deg)
        if a - depth <= 0.2 or b - depth <= 0.2:
            return [("flaming", Polygon(outer), self.flaming_k)]
        inner = _ellipse(cx, cy, a - depth, b - depth, self.head_azimuth_deg)
        return [("flaming", Polygon(outer, [inner[::-1]]), self.flaming_k),
                ("smouldering", Polygon(inner), self.smouldering_k)]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ignition_time"] = format_time(self.ignition_time)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> FireTruth:
        data = dict(data)
        data["ignition_time"] = parse_time(data["ignition_time"])
        return cls(**data)


@dataclass(frozen=True)
class FalseTargetTruth:
    """A sun-heated surface (rock outcrop, roof, solar field): a rectangle in the scene CRS at a fixed temperature."""

    target_id: str
    kind: str  # rock | roof | solar
    x: float
    y: float
    lon_deg: float
    lat_deg: float
    elevation_m: float
    width_m: float
    length_m: float
    azimuth_deg: float
    temperature_k: float

    def polygon(self) -> Polygon:
        """Rectangle ``width_m`` (across) × ``length_m`` (along ``azimuth_deg``) centred on ``(x, y)``, scene CRS."""
        az = math.radians(self.azimuth_deg)
        along = np.array([math.sin(az), math.cos(az)]) * self.length_m / 2.0
        across = np.array([math.cos(az), -math.sin(az)]) * self.width_m / 2.0
        centre = np.array([self.x, self.y])
        ring = [centre - along - across, centre - along + across, centre + along + across, centre + along - across]
        polygon = Polygon(ring)
        return polygon if polygon.exterior.is_ccw else Polygon(ring[::-1])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FalseTargetTruth:
        return cls(**data)
