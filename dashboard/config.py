"""Tunables of the operations map, as data (the ``[dashboard]`` table of ``firewatch.toml``).

Environment overrides (the launcher and a reverse proxy set these): ``FIREWATCH_DASHBOARD_READ_ONLY`` (``1``/``true``
makes the session read-only), ``FIREWATCH_VWORLD_KEY`` (VWorld WMTS key), ``FIREWATCH_DASHBOARD_LANGUAGE``
(``ko``/``en``). Relative paths in the file are resolved against the file's folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from dashboard.errors import DashboardConfigError


class DashboardConfig(BaseModel):
    """Options of the Streamlit operations map. Every default says why it is what it is."""

    #: Live refresh period of the map and alert feed. 10 s: an operator notices a new incident within one glance
    #: cycle, while one tick (< 0.5 s measured by bench/dashboard_load.py) keeps the 2-core server below ~5 % busy.
    refresh_s: float = Field(10.0, ge=1.0, le=3600.0)
    #: A read-only session sees everything but cannot acknowledge alerts or upload missions (wall displays, guests).
    read_only: bool = False
    #: Interface language at start (switchable in the sidebar). Korean first: the operations centre is Korean.
    language: Literal["ko", "en"] = "ko"
    #: Operator's time zone for display; inside everything is UTC (DESIGN.md §3 "Time").
    timezone: str = "Asia/Seoul"
    #: Where the time filter ends at start: "now" (wall clock, operations) or "latest" (the newest frame in the
    #: store: replaying a recorded or synthetic scenario such as the demo's). Switchable in the sidebar.
    time_anchor: Literal["now", "latest"] = "now"
    #: Length of the "shift" time filter. 12 h: a two-shift day/night rota, the usual operations-centre pattern.
    shift_hours: float = Field(12.0, gt=0.0, le=72.0)
    #: Above this many hotspots in view, draw them clustered (Leaflet.markercluster): Leaflet keeps panning smooth
    #: with a few hundred vector markers; thousands need clustering (bench/dashboard_load.py: 10,000 hotspots).
    hotspot_cluster_threshold: int = Field(300, ge=0)
    #: Hard cap on hotspots loaded per refresh (newest first), so a season of data cannot stall a tick.
    max_hotspots: int = Field(20000, ge=1)
    #: Length of a fixed camera's field-of-view wedge when the frame has no ground footprint to measure it from.
    #: 10 km: the middle of the 5-15 km tower-to-fire distances of the demo scenario and of Korean tower cameras.
    fov_range_m: float = Field(10000.0, gt=0.0)
    #: Colour scale of the orthorectified thermal overlay in °C. Fixed (not per-frame) so colours mean the same
    #: temperature on every frame; -10..200 °C resolves terrain and sun-heated surfaces (≤ ~75 °C, DESIGN.md §4)
    #: while every flaming pixel (> 200 °C) takes the top colour.
    overlay_range_c: tuple[float, float] = (-10.0, 200.0)
    #: An incident confirmed within this many seconds is "new": red banner and a thick outline. 15 min: longer than
    #: a break away from the screen, short enough that the banner does not become wallpaper.
    new_incident_window_s: float = Field(900.0, gt=0.0)
    #: DEM GeoTIFF for the offline hillshade base layer (None: no hillshade).
    dem_path: Path | None = None
    #: GeoJSON files of no-fly zones and of static heat-source masks (shown as map layers).
    no_fly_zones: list[Path] = Field(default_factory=list)
    heat_masks: list[Path] = Field(default_factory=list)
    #: VWorld WMTS key (https://www.vworld.kr); None hides the VWorld layer.
    vworld_api_key: str | None = None
    #: Require Streamlit OIDC login (``[auth]`` in .streamlit/secrets.toml, see docs/dashboard.md).
    require_login: bool = False
    #: When login is required: e-mail addresses allowed to act (acknowledge, upload). Everyone else is read-only.
    #: Empty: every logged-in user may act.
    operators: list[str] = Field(default_factory=list)
    #: Default take-off point for flight plans as (lat, lon) in WGS 84 degrees; None: ask the operator.
    home_latlon: tuple[float, float] | None = None

    @field_validator("overlay_range_c")
    @classmethod
    def _range_increasing(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not value[0] < value[1]:
            raise ValueError(f"overlay_range_c must be (low, high) with low < high, got {value}")
        return value

    @model_validator(mode="after")
    def _home_in_range(self) -> "DashboardConfig":
        if self.home_latlon is not None:
            lat, lon = self.home_latlon
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                raise ValueError(f"home_latlon must be (lat, lon) in degrees, got {self.home_latlon}")
        return self


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _env_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise DashboardConfigError(f"environment variable {name}={value!r} is not a boolean; use 1/0 or true/false")


def with_environment(config: DashboardConfig, *, environ: dict[str, str] | None = None) -> DashboardConfig:
    """``config`` with the environment overrides applied (see the module docstring)."""
    env = os.environ if environ is None else environ
    update: dict = {}
    if "FIREWATCH_DASHBOARD_READ_ONLY" in env:
        update["read_only"] = _env_bool("FIREWATCH_DASHBOARD_READ_ONLY", env["FIREWATCH_DASHBOARD_READ_ONLY"])
    if env.get("FIREWATCH_VWORLD_KEY"):
        update["vworld_api_key"] = env["FIREWATCH_VWORLD_KEY"]
    if env.get("FIREWATCH_DASHBOARD_LANGUAGE"):
        update["language"] = env["FIREWATCH_DASHBOARD_LANGUAGE"]
    try:
        return DashboardConfig.model_validate({**config.model_dump(), **update})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise DashboardConfigError(f"environment overrides of the dashboard are invalid: {problems}") from exc


def load_dashboard_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> DashboardConfig:
    """The dashboard's settings from a firewatch.toml plus environment overrides.

    The file is read by :func:`firewatch.config.load_config`, so relative paths resolve against the file's folder
    and unset dashboard paths fall back to the shared ones (``dem_path`` ← ``[terrain] dem``, ``no_fly_zones`` ←
    ``[flightplans.safety] no_fly_zone_files``, ``heat_masks`` ← ``[masks] files``). ``path`` None means
    ``$FIREWATCH_CONFIG``, else ``./firewatch.toml`` when present, else defaults. Raises
    :class:`DashboardConfigError` naming the file and the bad key.
    """
    from firewatch.config import load_config  # firewatch.config composes this module's model: import late
    from firewatch.errors import ConfigError

    env = os.environ if environ is None else environ
    try:
        composed = load_config(path, environ=env)
    except ConfigError as exc:
        raise DashboardConfigError(str(exc)) from exc
    return with_environment(composed.dashboard, environ=env)
