"""Tunables of the operations map, as data (the ``[dashboard]`` table of ``firewatch.toml``).

Environment overrides (the launcher and a reverse proxy set these): ``FIREWATCH_DASHBOARD_READ_ONLY`` (``1``/``true``
makes the session read-only), ``FIREWATCH_VWORLD_KEY`` (VWorld WMTS key), ``FIREWATCH_DASHBOARD_LANGUAGE``
(``ko``/``en``). Relative paths in the file are resolved against the file's folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from dashboard.errors import DashboardConfigError


class DashboardConfig(BaseModel):
    """Options of the Streamlit operations map. Every default says why it is what it is."""

    #: Live refresh period of the map and alert feed. 10 s: an operator notices a new incident within one glance
    #: cycle, while one tick (< 0.5 s measured by bench/dashboard.py) keeps the 2-core server below ~5 % busy.
    refresh_s: float = Field(10.0, ge=1.0, le=3600.0)
    #: A read-only session sees everything but cannot acknowledge alerts or upload missions (wall displays, guests).
    read_only: bool = False
    #: Interface language at start (switchable in the sidebar). Korean first: the operations centre is Korean.
    language: Literal["ko", "en"] = "ko"
    #: Operator's time zone for display; inside everything is UTC (DESIGN.md §3 "Time").
    timezone: str = "Asia/Seoul"
    #: Length of the "shift" time filter. 12 h: a two-shift day/night rota, the usual operations-centre pattern.
    shift_hours: float = Field(12.0, gt=0.0, le=72.0)
    #: Above this many hotspots in view, draw them clustered (Leaflet.markercluster): Leaflet keeps panning smooth
    #: with a few hundred vector markers; thousands need clustering (bench/dashboard.py: 10,000 hotspots).
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


def load_dashboard_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> DashboardConfig:
    """Read the ``[dashboard]`` table of a firewatch.toml (or defaults when ``path`` is None) plus env overrides.

    Raises :class:`DashboardConfigError` naming the file and the bad key when the file is unreadable or invalid.
    """
    env = os.environ if environ is None else environ
    table: dict = {}
    base = Path.cwd()
    if path is not None:
        path = Path(path)
        base = path.resolve().parent
        try:
            with path.open("rb") as fh:
                document = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise DashboardConfigError(f"{path}: configuration file not found; pass --config FILE or omit it") from exc
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DashboardConfigError(f"{path}: not a readable TOML file ({exc})") from exc
        table = dict(document.get("dashboard", {}))
    if "FIREWATCH_DASHBOARD_READ_ONLY" in env:
        table["read_only"] = _env_bool("FIREWATCH_DASHBOARD_READ_ONLY", env["FIREWATCH_DASHBOARD_READ_ONLY"])
    if env.get("FIREWATCH_VWORLD_KEY"):
        table["vworld_api_key"] = env["FIREWATCH_VWORLD_KEY"]
    if env.get("FIREWATCH_DASHBOARD_LANGUAGE"):
        table["language"] = env["FIREWATCH_DASHBOARD_LANGUAGE"]
    try:
        config = DashboardConfig.model_validate(table)
    except ValidationError as exc:
        where = str(path) if path is not None else "environment"
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise DashboardConfigError(f"{where}: invalid [dashboard] settings: {problems}") from exc
    return config.model_copy(update={
        "dem_path": _resolve(base, config.dem_path),
        "no_fly_zones": [_resolve(base, p) for p in config.no_fly_zones],
        "heat_masks": [_resolve(base, p) for p in config.heat_masks],
    })


def _resolve(base: Path, value: Path | None) -> Path | None:
    if value is None:
        return None
    return value if value.is_absolute() else (base / value)
