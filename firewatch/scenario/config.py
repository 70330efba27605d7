"""Tunables of the synthetic scenario (pydantic, so the lead can compose them into ``firewatch.toml``).

Defaults make the demo scenario: ~30 drone frames plus two towers × 8 frames at 640×512 on a Bukhansan-like massif
north of Seoul on a spring afternoon. :meth:`ScenarioConfig.small` is the tiny variant the tests use (6 frames of
160×128, a few seconds).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ScenarioConfig(BaseModel):
    """Everything that decides a scenario; the same config (and seed) gives byte-identical outputs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(7, ge=0, description="Seeds terrain noise, fire parameters, sensor noise.")
    # Bukhansan National Park (summit Baegundae 836 m) north of Seoul: the brief's reference terrain.
    centre_lat_deg: float = Field(37.66, ge=-80.0, le=84.0)
    centre_lon_deg: float = Field(126.98, ge=-180.0, le=180.0)
    #: "analytic" (procedural massif), "flat" (constant height: closed-form checks), "file" (``dem_path``).
    terrain: Literal["analytic", "flat", "file"] = "analytic"
    #: Flat terrain height, m AMSL (terrain == "flat").
    flat_elevation_m: float = 200.0
    #: Any DEM GeoTIFF in a projected metric CRS (terrain == "file"); the layout is placed around its centre.
    dem_path: Path | None = None
    #: Side of the square DEM, metres (the brief's ~12 × 12 km) and its cell size (10 m like the Korean NGII DEM).
    extent_m: float = Field(12000.0, gt=2000.0, le=40000.0)
    dem_cell_m: float = Field(10.0, gt=0.5, le=100.0)
    #: Scenario start (2026-04-05 13:00 KST) and duration; sun, fires and frame times follow from them.
    start_time: datetime = datetime(2026, 4, 5, 4, 0, tzinfo=UTC)
    duration_min: float = Field(120.0, gt=5.0, le=720.0)
    #: Frame size of every camera. The drone keeps its field of view (coarser pixels when smaller); towers keep
    #: their pixel IFOV (narrower field when smaller) so far targets stay resolved.
    width_px: int = Field(640, ge=32, le=4096)
    height_px: int = Field(512, ge=32, le=4096)
    #: Drone passes over the route; each pass takes 2 frames per point of interest (one oblique, one nadir).
    drone_passes: int = Field(3, ge=0, le=20)
    #: Limit the drone route to its first N points of interest (None: all five).
    drone_route_points: int | None = Field(None, ge=1)
    #: Flight height above ground, m: the brief's 100–120 m band (DJI M30T wildfire practice).
    drone_height_agl_m: float = Field(110.0, ge=30.0, le=500.0)
    #: Ground speed, m/s (M30T cruise for mapping ~10 m/s).
    drone_speed_mps: float = Field(10.0, gt=0.0, le=25.0)
    #: Number of towers used (0–2) and sweeps each makes; a sweep visits every preset once, 10 s apart. Eight sweeps
    #: over the default 2 h is a look every 15 min, a usual patrol cycle of pan-tilt fire-watch cameras.
    tower_count: int = Field(2, ge=0, le=2)
    tower_sweeps: int = Field(8, ge=0, le=50)
    tower_presets_max: int = Field(2, ge=1, le=8)
    #: Number of fires (1–3).
    fire_count: int = Field(3, ge=1, le=3)
    #: Optics blur (Gaussian PSF sigma, pixels): the brief's 0.5–0.7 px for diffraction-limited f/1.0 LWIR lenses.
    psf_sigma_px: float = Field(0.6, ge=0.0, le=3.0)
    #: Sensor noise, kelvin: NETD ≤ 50 mK is the DJI M30T datasheet value.
    netd_k: float = Field(0.05, ge=0.0, le=2.0)
    #: Radiometric ceiling, kelvin: DJI low-gain range −20…500 °C (M30T datasheet), chosen for fire work so flames
    #: saturate at 500 °C rather than the 150 °C high-gain ceiling.
    saturation_k: float = Field(773.15, gt=300.0, le=2000.0)
    #: LWIR extinction along horizontal paths, per km: clear spring air transmits ~0.7–0.9 over 10 km in the
    #: 8–14 µm window (LOWTRAN-class mid-latitude models); 0.03 km⁻¹ gives τ ≈ 0.84 at the towers' ~6 km.
    atmosphere_extinction_per_km: float = Field(0.03, ge=0.0, le=1.0)
    #: Air temperature at 100 m AMSL, K: Seoul's April mean daily maximum is ~18 °C (KMA 1991–2020 normals).
    air_temperature_k: float = Field(291.0, ge=230.0, le=330.0)

    @field_validator("start_time")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @classmethod
    def small(cls, **overrides) -> ScenarioConfig:
        """Tiny scenario for tests: 4 drone frames + 2 tower frames of 160×128, one fire (< ~3 s)."""
        values = dict(width_px=160, height_px=128, drone_passes=1, drone_route_points=2, tower_count=1,
                      tower_sweeps=2, tower_presets_max=1, fire_count=1, duration_min=30.0)
        values.update(overrides)
        return cls(**values)
