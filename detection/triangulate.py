"""Two or more fixed cameras seeing one fire: bearing intersection instead of a grazing ray on the DEM.

A fixed camera's hotspot is a **bearing**: from the camera's position (WGS 84 degrees, m AMSL), an azimuth (degrees
clockwise from true north) and an elevation angle (degrees above the horizon), with a 1-σ angular uncertainty from
the pixel IFOV and the pan/tilt calibration. The pipeline computes the bearing from the hotspot's pixel with
:func:`ingest.georef.ray_enu` (see :mod:`firewatch.bearings`) and stores it in ``hotspot.extra["bearing"]``; this
module only does geometry on those plain numbers (DESIGN.md layering: detection imports only ``firewatch.model``).

Why: at 10 km a 0.1° tilt error moves a single camera's DEM intersection by ``d·δθ/(sin α cos α)`` along the line
of sight (α the depression angle: ~1–3° from a ridge-top mast, so several hundred metres), while two azimuths
intersect to ``≈ R·δθ / sin γ`` (γ the crossing angle) and a tilt error barely moves an azimuth.

Method (:func:`triangulate`): the camera positions and bearing directions are put on the local tangent plane (an
azimuthal equidistant projection centred between the cameras, from WGS 84 geodesics; each bearing direction
projected through a point 1 km along its geodesic so meridian convergence is accounted for); the fix minimises the
weighted sum of squared perpendicular distances to the bearing lines, weights ``1/(σ_θ·r)²`` with ``r`` the range
to the fix (iterated), so ``A⁻¹`` of the normal equations is the fix covariance; its eigen-decomposition gives the
1-σ error ellipse.
The fix is used only when the geometry is good: the widest crossing angle ≥ ``min_crossing_deg``, every camera
looking forward to the fix at a plausible range, the cameras' elevation angles agreeing on the fix height, and
(with a DEM location) the fix within reach of each single-camera DEM location. Otherwise the hotspot keeps its
DEM location with the stated single-camera uncertainty (:func:`dem_uncertainty_m`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import shapely
import shapely.affinity
from pydantic import BaseModel, ConfigDict, Field
from pyproj import Geod

from detection.errors import InvalidValue
from firewatch.model import Hotspot

__all__ = ["Bearing", "Fix", "TriangulationConfig", "bearing_of", "bearing_sigma_deg", "dem_uncertainty_m",
           "locate_by_triangulation", "triangulate"]

_GEOD = Geod(ellps="WGS84")
#: Mean Earth radius (m) and the standard refraction coefficient used by ingest.terrain for sight lines (k = 0.13).
EARTH_RADIUS_M = 6_371_008.8
REFRACTION_K = 0.13


class TriangulationConfig(BaseModel):
    """Tunables of multi-camera triangulation (lead: section ``[triangulation]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Bearings of one fire from different cameras must be this close in time: a tower sweeps its presets every
    #: few minutes and a spring fire's head moves 2–4 m/min, so 5 min keeps the fire within ~20 m between looks.
    window_s: float = Field(300.0, gt=0)
    #: Smallest crossing angle worth intersecting: the error grows as 1/sin γ, so below 20° it is ≥ 2.9× the
    #: single-bearing cross-range error and nearly parallel bearings are better left to the DEM.
    min_crossing_deg: float = Field(20.0, gt=0, lt=90)
    #: Plausible ranges from a camera to the fire: the mast's own foot (100 m) to the 30 km reach of tower cameras
    #: in clear air (ALERTWildfire; ingest.georef.DEFAULT_MAX_RANGE_M).
    min_range_m: float = Field(100.0, gt=0)
    max_range_m: float = Field(30_000.0, gt=0)
    #: Gate on the fix height implied by each camera's elevation angle: the heights must agree within this many σ
    #: (a ghost intersection of two different fires' bearings usually implies very different heights).
    height_gate_sigma: float = Field(3.0, gt=0)
    #: Gate on the distance from the fix to each camera's DEM location, in that location's stated 1-σ uncertainty
    #: (3σ: 99.7 % of true pairs pass; it rejects ghost pairs of different fires).
    dem_gate_sigma: float = Field(3.0, gt=0)


@dataclass(frozen=True)
class Bearing:
    """A direction from a fixed camera: position (WGS 84 degrees, m AMSL), azimuth (degrees clockwise from true
    north), elevation (degrees above the horizon), 1-σ angular uncertainty (degrees)."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    azimuth_deg: float
    elevation_deg: float
    sigma_deg: float

    def to_dict(self) -> dict:
        return {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_amsl_m": self.alt_amsl_m,
                "azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg, "sigma_deg": self.sigma_deg}

    @classmethod
    def from_dict(cls, data: dict) -> "Bearing":
        try:
            bearing = cls(**{key: float(data[key]) for key in ("lat_deg", "lon_deg", "alt_amsl_m", "azimuth_deg",
                                                               "elevation_deg", "sigma_deg")})
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValue(f"bearing {data!r} lacks or has a bad value ({exc}); need lat_deg, lon_deg, "
                               "alt_amsl_m, azimuth_deg, elevation_deg, sigma_deg") from exc
        bearing.validate()
        return bearing

    def validate(self) -> None:
        values = self.to_dict()
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad or not -90 <= self.lat_deg <= 90 or not -180 <= self.lon_deg <= 180 \
                or not -90 <= self.elevation_deg <= 90 or self.sigma_deg <= 0:
            raise InvalidValue(f"bearing {values}: position, elevation or σ out of range (lat ±90, lon ±180, "
                               "elevation ±90 deg, σ > 0)")


@dataclass(frozen=True)
class Fix:
    """An intersection of bearings: position (WGS 84, m AMSL), 1-σ error ellipse (semi-axes m, major axis azimuth
    degrees clockwise from north), widest crossing angle (degrees), ranges from each camera (m)."""

    lat_deg: float
    lon_deg: float
    elevation_m: float
    semi_major_m: float
    semi_minor_m: float
    major_azimuth_deg: float
    crossing_deg: float
    ranges_m: tuple[float, ...]
    height_spread_m: float

    @property
    def uncertainty_m(self) -> float:
        """Scalar 1-σ horizontal uncertainty: the semi-major axis (conservative for fusion radii)."""
        return self.semi_major_m


def bearing_sigma_deg(ifov_deg: float, calibration_sigma_deg: float) -> float:
    """1-σ bearing uncertainty (degrees): the pixel quantisation ``IFOV/√12`` (a point uniform within one pixel)
    added in quadrature to the pan/tilt calibration σ. Not reduced for large clusters: two cameras see an extended
    fire from different sides, so its centroid is no sharper than a pixel."""
    if not ifov_deg > 0 or not calibration_sigma_deg >= 0:
        raise InvalidValue(f"bearing σ: IFOV {ifov_deg} deg must be > 0 and calibration σ {calibration_sigma_deg} "
                           "deg ≥ 0")
    return math.hypot(ifov_deg / math.sqrt(12.0), calibration_sigma_deg)


def dem_uncertainty_m(range_m: float, elevation_deg: float, sigma_deg: float) -> float:
    """1-σ horizontal uncertainty (m) of a single camera's DEM intersection at horizontal range ``range_m`` seen at
    ``elevation_deg`` (negative below the horizon), for an angular σ: along the line of sight a tilt error moves the
    point ``d·δθ/(sin α cos α)`` over flat ground (α the depression angle), across it ``d·δθ``; the two added in
    quadrature. Depressions under 0.1° are treated as 0.1° (a ray that grazes the ground has no stable fix)."""
    alpha = math.radians(max(abs(elevation_deg), 0.1))
    delta = math.radians(sigma_deg)
    along = range_m * delta / (math.sin(alpha) * math.cos(alpha))
    return math.hypot(along, range_m * delta)


def bearing_of(hotspot: Hotspot) -> Bearing | None:
    """The bearing stored in ``hotspot.extra["bearing"]`` by the pipeline, or None."""
    data = hotspot.extra.get("bearing") if hotspot.extra else None
    return Bearing.from_dict(data) if data else None


def _to_plane(lon0: float, lat0: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Azimuthal equidistant coordinates (east, north metres) of points around ``(lon0, lat0)``: each point's
    geodesic distance and azimuth from the centre (WGS 84), shape ``(n, 2)``."""
    azimuth, _, distance = _GEOD.inv(np.full(len(lons), lon0), np.full(len(lons), lat0), lons, lats)
    azimuth = np.radians(azimuth)
    return np.column_stack([distance * np.sin(azimuth), distance * np.cos(azimuth)])


def _from_plane(lon0: float, lat0: float, east_m: float, north_m: float) -> tuple[float, float]:
    """Inverse of :func:`_to_plane` for one point: ``(lon, lat)``."""
    lon, lat, _ = _GEOD.fwd(lon0, lat0, math.degrees(math.atan2(east_m, north_m)), math.hypot(east_m, north_m))
    return float(lon), float(lat)


def _plane(bearings: Sequence[Bearing]) -> tuple[tuple[float, float], np.ndarray, np.ndarray]:
    """Local tangent plane (azimuthal equidistant, centred between the cameras): its centre (lon, lat), the camera
    positions (n, 2) m and the unit bearing directions (n, 2), each through a point 1 km along its geodesic."""
    lons = np.array([b.lon_deg for b in bearings])
    lats = np.array([b.lat_deg for b in bearings])
    centre = (float(lons.mean()), float(lats.mean()))
    ahead_lon, ahead_lat, _ = _GEOD.fwd(lons, lats, np.array([b.azimuth_deg for b in bearings]),
                                        np.full(len(bearings), 1000.0))
    origins = _to_plane(*centre, lons, lats)
    directions = _to_plane(*centre, np.asarray(ahead_lon), np.asarray(ahead_lat)) - origins
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return centre, origins, directions


def _crossing_deg(directions: np.ndarray) -> float:
    best = 0.0
    for i in range(len(directions)):
        for j in range(i + 1, len(directions)):
            sine = abs(directions[i, 0] * directions[j, 1] - directions[i, 1] * directions[j, 0])
            best = max(best, math.degrees(math.asin(min(sine, 1.0))))
    return best


def triangulate(bearings: Sequence[Bearing], *, config: TriangulationConfig | None = None
                ) -> tuple[Fix | None, str]:
    """Intersect two or more bearings. Returns ``(fix, "ok")`` or ``(None, reason)`` when the geometry is not good
    enough (one bearing, crossing angle too small, the fix behind a camera or at an implausible range, the
    elevation angles disagreeing on the fix height)."""
    config = config or TriangulationConfig()
    if len(bearings) < 2:
        return None, "one camera only"
    for b in bearings:
        b.validate()
    centre, origins, directions = _plane(bearings)
    crossing = _crossing_deg(directions)
    if crossing < config.min_crossing_deg:
        return None, f"bearings nearly parallel (crossing {crossing:.1f}° < {config.min_crossing_deg:.0f}°)"
    sigma_rad = np.radians([b.sigma_deg for b in bearings])
    ranges = np.ones(len(bearings))
    point = np.zeros(2)
    for _ in range(4):  # weights depend on the ranges to the fix: converges in 2–3 rounds
        weights = 1.0 / (sigma_rad * ranges) ** 2
        a = np.zeros((2, 2))
        rhs = np.zeros(2)
        for w, p, u in zip(weights, origins, directions):
            projector = np.eye(2) - np.outer(u, u)
            a += w * projector
            rhs += w * projector @ p
        point = np.linalg.solve(a, rhs)
        ranges = np.maximum(np.einsum("ij,ij->i", point - origins, directions), 1.0)
    along = np.einsum("ij,ij->i", point - origins, directions)
    if np.any(along <= 0):
        return None, "the bearings meet behind a camera"
    ranges = np.linalg.norm(point - origins, axis=1)
    if np.any(ranges < config.min_range_m) or np.any(ranges > config.max_range_m):
        return None, (f"fix at implausible range(s) {', '.join(f'{r:.0f}' for r in ranges)} m "
                      f"(plausible {config.min_range_m:.0f}–{config.max_range_m:.0f} m)")
    covariance = np.linalg.inv(a)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    major = eigenvectors[:, 1]
    # Heights implied by each elevation angle (curvature and refraction as in ingest.terrain).
    heights = np.array([b.alt_amsl_m + r * math.tan(math.radians(b.elevation_deg))
                        + (1.0 - REFRACTION_K) * r * r / (2.0 * EARTH_RADIUS_M) for b, r in zip(bearings, ranges)])
    height_sigma = np.array([r * math.radians(b.sigma_deg) for b, r in zip(bearings, ranges)])
    spread = float(heights.max() - heights.min())
    allowed = config.height_gate_sigma * float(np.hypot(*np.sort(height_sigma)[-2:]))
    if spread > allowed:
        return None, (f"elevation angles disagree on the fix height by {spread:.0f} m (> {allowed:.0f} m): "
                      "not the same fire")
    lon, lat = _from_plane(*centre, float(point[0]), float(point[1]))
    weights_h = 1.0 / height_sigma ** 2
    elevation_m = float(np.sum(weights_h * heights) / weights_h.sum())
    return Fix(lat_deg=float(lat), lon_deg=float(lon), elevation_m=elevation_m,
               semi_major_m=float(math.sqrt(eigenvalues[1])), semi_minor_m=float(math.sqrt(max(eigenvalues[0], 0.0))),
               major_azimuth_deg=float(math.degrees(math.atan2(major[0], major[1])) % 180.0), crossing_deg=crossing,
               ranges_m=tuple(float(r) for r in ranges), height_spread_m=spread), "ok"


def _dem_sigma(hotspot: Hotspot, bearing: Bearing) -> float | None:
    if not hotspot.is_located:
        return None
    range_m = _GEOD.inv(bearing.lon_deg, bearing.lat_deg, hotspot.lon, hotspot.lat)[2]
    return dem_uncertainty_m(range_m, bearing.elevation_deg, bearing.sigma_deg)


def _pair(a: Hotspot, b: Hotspot, bearings: dict[str, Bearing],
          config: TriangulationConfig) -> tuple[Fix | None, float, str]:
    """The fix of two hotspots' bearings, its cost (sum of distances to the DEM locations in their σ) and a reason."""
    fix, reason = triangulate([bearings[a.hotspot_id], bearings[b.hotspot_id]], config=config)
    if fix is None:
        return None, math.inf, reason
    cost = 0.0
    for h in (a, b):
        sigma = _dem_sigma(h, bearings[h.hotspot_id])
        if sigma is None:
            continue
        normalised = _GEOD.inv(h.lon, h.lat, fix.lon_deg, fix.lat_deg)[2] / max(sigma, fix.uncertainty_m)
        if normalised > config.dem_gate_sigma:
            return None, math.inf, (f"the fix is {normalised:.1f} σ from {h.source_id}'s DEM location: not the same "
                                    "fire")
        cost += normalised
    return fix, cost, "ok"


def locate_by_triangulation(hotspots: Sequence[Hotspot], others: Sequence[Hotspot], *,
                            config: TriangulationConfig | None = None) -> list[Hotspot]:
    """Relocate fixed-camera ``hotspots`` (with ``extra["bearing"]``) by intersecting their bearings with those of
    ``others`` (hotspots of *other* cameras within ``window_s``, e.g. recent ones from the store).

    Returns new copies in input order. A hotspot paired with another camera's hotspot on good geometry gets the fix:
    ``lat``/``lon``/``elevation_m``, ``location_uncertainty_m`` = the ellipse's semi-major axis,
    ``location_method = "triangulation"``, its footprint translated with it, and ``extra["triangulation"]`` (partner
    hotspot and source, crossing angle, ellipse, ranges, the DEM location it replaced). Each hotspot takes the
    partner whose fix has the smallest sum of normalised distances to both DEM locations (ghost intersections of two
    different fires' bearings are far from both, and the height and DEM gates of :func:`triangulate` reject most).
    A partner may serve several hotspots: one fire can break into two clusters in one camera and one in the other.
    Any other hotspot with a bearing keeps its DEM location with ``location_uncertainty_m`` set to the stated
    single-camera uncertainty :func:`dem_uncertainty_m` and ``extra["triangulation"] = {"fallback": reason}``.
    Hotspots without a bearing are returned unchanged.
    """
    config = config or TriangulationConfig()
    bearings: dict[str, Bearing] = {}
    for h in list(hotspots) + list(others):
        bearing = bearing_of(h)
        if bearing is not None:
            bearings[h.hotspot_id] = bearing
    best: dict[str, tuple[float, str, Hotspot, Fix]] = {}
    reasons: dict[str, str] = {}
    for a in hotspots:
        if a.hotspot_id not in bearings:
            continue
        for b in others:
            if b.hotspot_id not in bearings or b.source_id == a.source_id or b.hotspot_id == a.hotspot_id:
                continue
            if abs((a.time - b.time).total_seconds()) > config.window_s:
                continue
            fix, cost, reason = _pair(a, b, bearings, config)
            if fix is None:
                reasons.setdefault(a.hotspot_id, f"with {b.source_id} {b.hotspot_id}: {reason}")
            elif a.hotspot_id not in best or (cost, b.hotspot_id) < best[a.hotspot_id][:2]:
                best[a.hotspot_id] = (cost, b.hotspot_id, b, fix)
    out = []
    for h in hotspots:
        bearing = bearings.get(h.hotspot_id)
        if bearing is None:
            out.append(h)
        elif h.hotspot_id in best:
            out.append(_relocated(h, *best[h.hotspot_id][2:]))
        else:
            reason = reasons.get(h.hotspot_id, f"no other camera saw it within {config.window_s:.0f} s")
            out.append(_fallback(h, bearing, reason))
    return out


def _relocated(hotspot: Hotspot, partner: Hotspot, fix: Fix) -> Hotspot:
    footprint = hotspot.footprint
    if footprint and hotspot.is_located:
        geom = shapely.geometry.shape(footprint)
        footprint = shapely.geometry.mapping(shapely.affinity.translate(
            geom, xoff=fix.lon_deg - hotspot.lon, yoff=fix.lat_deg - hotspot.lat))
        footprint = {"type": footprint["type"], "coordinates": footprint["coordinates"]}
    extra = dict(hotspot.extra)
    extra["triangulation"] = {
        "partner_hotspot_id": partner.hotspot_id, "partner_source_id": partner.source_id,
        "crossing_deg": round(fix.crossing_deg, 2), "semi_major_m": round(fix.semi_major_m, 2),
        "semi_minor_m": round(fix.semi_minor_m, 2), "major_azimuth_deg": round(fix.major_azimuth_deg, 2),
        "ranges_m": [round(r, 1) for r in fix.ranges_m], "height_spread_m": round(fix.height_spread_m, 1),
        "dem_location": ([hotspot.lon, hotspot.lat, hotspot.elevation_m] if hotspot.is_located else None),
        "dem_method": hotspot.location_method}
    return replace(hotspot, lat=fix.lat_deg, lon=fix.lon_deg, elevation_m=fix.elevation_m, footprint=footprint,
                   location_uncertainty_m=fix.uncertainty_m, location_method="triangulation", extra=extra)


def _fallback(hotspot: Hotspot, bearing: Bearing, reason: str) -> Hotspot:
    extra = dict(hotspot.extra)
    sigma = _dem_sigma(hotspot, bearing)
    extra["triangulation"] = {"fallback": reason, "dem_uncertainty_m": sigma}
    if sigma is None:
        return replace(hotspot, extra=extra)
    return replace(hotspot, location_uncertainty_m=max(sigma, hotspot.location_uncertainty_m or 0.0), extra=extra)
