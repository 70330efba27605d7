"""Firewatch configuration: one TOML file (``firewatch.toml``) validated by pydantic, with environment overrides.

Sections (each owned by its package, composed here)::

    [store]        url = "sqlite:///firewatch.db"        # or postgresql+psycopg://user@host/db
    [terrain]      dem = "dem.tif"                        # or ground_elevation_m = 120.0
    [detection]    … detection.config.DetectorConfig
    [fusion]       … detection.fusion_config.FusionConfig
    [masks]        files = ["static_heat_sources.geojson"]  # accepted static heat-source masks (GeoJSON, lon/lat)
    [[cameras]]    … firewatch.bearings.FixedCameraConfig (tower cameras: surveyed position, lens, pan/tilt offsets)
    [triangulation] … detection.triangulate.TriangulationConfig
    [static_sources] … detection.static_sources.StaticSourceConfig (`firewatch masks suggest`)
    [alerts]       … alerts.config.AlertsConfig  ([[alerts.endpoints]] tables)
    [flightplans]  … flightplans.config.FlightPlanConfig (aircraft, camera, safety, pattern)
    [dashboard]    … dashboard.config.DashboardConfig

Relative paths are resolved against the folder of the TOML file. Environment overrides: ``FIREWATCH_CONFIG`` (the
file), ``FIREWATCH_DB_URL`` (store URL), ``FIREWATCH_DEM`` (DEM path).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.config import AlertsConfig
from dashboard.config import DashboardConfig
from detection.config import DetectorConfig
from detection.fusion_config import FusionConfig
from detection.static_sources import StaticSourceConfig
from detection.triangulate import TriangulationConfig
from firewatch.bearings import FixedCameraConfig
from firewatch.errors import ConfigError
from flightplans.config import FlightPlanConfig

DEFAULT_CONFIG_NAME = "firewatch.toml"
DEFAULT_DB_URL = "sqlite:///firewatch.db"


class StoreSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: SQLAlchemy URL. SQLite (WAL) by default: one file, one writer and many readers (DESIGN.md §3).
    url: str = DEFAULT_DB_URL


class TerrainSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: DEM GeoTIFF (any CRS) used to georeference frames and to keep flight plans above the ground.
    dem: Path | None = None
    #: Flat-ground elevation (m AMSL) used when no DEM is given; None means frames without a DEM stay
    #: un-georeferenced (hotspots are stored with pixel positions only).
    ground_elevation_m: float | None = None


class MasksSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: Accepted static heat-source masks (GeoJSON polygons, lon/lat). `firewatch masks suggest` only proposes.
    files: list[Path] = Field(default_factory=list)


class FirewatchConfig(BaseModel):
    """The whole configuration. Every section has working defaults, so an empty file is valid."""

    model_config = ConfigDict(extra="forbid")

    store: StoreSection = Field(default_factory=StoreSection)
    terrain: TerrainSection = Field(default_factory=TerrainSection)
    detection: DetectorConfig = Field(default_factory=DetectorConfig)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    masks: MasksSection = Field(default_factory=MasksSection)
    cameras: list[FixedCameraConfig] = Field(default_factory=list)
    triangulation: TriangulationConfig = Field(default_factory=TriangulationConfig)
    static_sources: StaticSourceConfig = Field(default_factory=StaticSourceConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    flightplans: FlightPlanConfig = Field(default_factory=FlightPlanConfig)
    dashboard: DashboardConfig = Field(default_factory=DashboardConfig)
    #: The file this configuration was read from (None for defaults).
    source: Path | None = None


def _resolve_paths(config: FirewatchConfig, base: Path) -> FirewatchConfig:
    def fix(path: Path | None) -> Path | None:
        if path is None:
            return None
        path = Path(path).expanduser()
        return path if path.is_absolute() else base / path

    terrain = config.terrain.model_copy(update={"dem": fix(config.terrain.dem)})
    masks = config.masks.model_copy(update={"files": [fix(p) for p in config.masks.files]})
    safety = config.flightplans.safety.model_copy(
        update={"no_fly_zone_files": [fix(p) for p in config.flightplans.safety.no_fly_zone_files]})
    flightplans = config.flightplans.model_copy(update={"safety": safety})
    dashboard = config.dashboard.model_copy(update={
        "dem_path": fix(config.dashboard.dem_path) or terrain.dem,
        "no_fly_zones": [fix(p) for p in config.dashboard.no_fly_zones] or list(safety.no_fly_zone_files),
        "heat_masks": [fix(p) for p in config.dashboard.heat_masks] or list(masks.files),
    })
    return config.model_copy(update={"terrain": terrain, "masks": masks, "flightplans": flightplans,
                                     "dashboard": dashboard})


def validate_config(data: dict, *, source: str = "configuration") -> FirewatchConfig:
    """Validate a parsed configuration mapping (the TOML document) into a :class:`FirewatchConfig`.

    Errors become one :class:`ConfigError` naming ``source`` and every bad key with its reason, never the bad value
    itself: pydantic's own message repeats each input, which would print a webhook secret or a URL's password.
    """
    try:
        return FirewatchConfig.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(f"  [{'.'.join(str(p) for p in err['loc'])}] {err['msg']}"
                              for err in exc.errors(include_input=False, include_url=False))
        raise ConfigError(f"{source}: invalid configuration:\n{problems}") from None


def load_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> FirewatchConfig:
    """Read and validate the configuration.

    ``path`` None means ``$FIREWATCH_CONFIG``, else ``./firewatch.toml`` when it exists, else the defaults.
    Raises :class:`ConfigError` naming the file and every bad key (see :func:`validate_config`).
    """
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get("FIREWATCH_CONFIG") or (DEFAULT_CONFIG_NAME if Path(DEFAULT_CONFIG_NAME).is_file() else None)
    data: dict = {}
    base = Path.cwd()
    if path is not None:
        path = Path(path)
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: configuration file not found (pass --config FILE, set FIREWATCH_CONFIG, "
                              f"or run without one for the defaults)") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        base = path.resolve().parent
    config = validate_config({**data, "source": path}, source=str(path or "defaults"))
    if env.get("FIREWATCH_DB_URL"):
        config = config.model_copy(update={"store": StoreSection(url=env["FIREWATCH_DB_URL"])})
    if env.get("FIREWATCH_DEM"):
        config = config.model_copy(update={"terrain": config.terrain.model_copy(
            update={"dem": Path(env["FIREWATCH_DEM"])})})
    return _resolve_paths(config, base)
