"""Options and helpers shared by several commands (one definition, used everywhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from firewatch.config import FirewatchConfig, load_config

DB_HELP = ("Database URL (default: \\[store] url of the config, $FIREWATCH_DB_URL, or sqlite:///firewatch.db), "
           "e.g. sqlite:///runs/demo.db or postgresql+psycopg://fw@db-host/firewatch.")
CONFIG_HELP = "Configuration file (default: $FIREWATCH_CONFIG, else ./firewatch.toml when present, else defaults)."
DEM_HELP = "DEM GeoTIFF (any CRS) to georeference on; overrides \\[terrain] dem of the config."
UNITS_HELP = ("Unit of radiometric TIFF values: C, K, cK (centikelvin) or auto (decide from the values and say "
              "what was decided).")


def config_with_overrides(config_path: Optional[Path], *, db: Optional[str] = None, dem: Optional[Path] = None,
                          ground_elevation_m: Optional[float] = None) -> FirewatchConfig:
    """Load the configuration and apply the command-line overrides (which win over file and environment)."""
    config = load_config(config_path)
    if db:
        config = config.model_copy(update={"store": config.store.model_copy(update={"url": db})})
    if dem is not None or ground_elevation_m is not None:
        config = config.model_copy(update={"terrain": config.terrain.model_copy(
            update={"dem": dem, "ground_elevation_m": ground_elevation_m})})
    return config


def echo_err(message: str) -> None:
    typer.echo(message, err=True)
