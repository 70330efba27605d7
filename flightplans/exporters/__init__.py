"""Mission exporters, one module per format, registered like plug-ins.

Each exporter turns one flight (:class:`flightplans.mission.Mission` without sorties) — or, for formats that can hold
several (``multi_flight``), a whole plan — into bytes. :func:`export_mission` checks the plan with
:func:`flightplans.safety.check_mission` first and never writes an unsafe plan; a multi-sortie plan in a single-flight
format becomes one file per sortie (``NAME-sortie2.plan``...).

Third parties add a format with :func:`register_exporter`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flightplans.config import FlightPlanConfig
from flightplans.errors import FlightPlanError
from flightplans.mission import Mission
from flightplans.safety import SafetyReport, check_mission


@dataclass(frozen=True)
class Exporter:
    """A file format: ``write(mission, config) -> bytes``."""

    name: str
    suffix: str
    description: str
    write: Callable[[Mission, FlightPlanConfig], bytes]
    multi_flight: bool = False


_REGISTRY: dict[str, Exporter] = {}
_BUILTINS = ("flightplans.exporters.qgc_plan", "flightplans.exporters.qgc_wpl", "flightplans.exporters.dji_wpml",
             "flightplans.exporters.geojson")


def register_exporter(exporter: Exporter) -> Exporter:
    """Add (or replace) a format under ``exporter.name``."""
    _REGISTRY[exporter.name] = exporter
    return exporter


def _load_builtins() -> None:
    for module in _BUILTINS:
        importlib.import_module(module)


def available_formats() -> dict[str, Exporter]:
    """Registered formats by name."""
    _load_builtins()
    return dict(_REGISTRY)


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name`` (``plan``, ``waypoints``, ``kmz``, ``geojson``...)."""
    formats = available_formats()
    if name not in formats:
        raise FlightPlanError(f"unknown flight-plan format {name!r}; choose one of {', '.join(sorted(formats))}")
    return formats[name]


def format_for_path(path: str | Path) -> str:
    """Format name from a file suffix (``.plan`` → ``plan``)."""
    suffix = Path(path).suffix.lower()
    for exporter in available_formats().values():
        if exporter.suffix == suffix:
            return exporter.name
    raise FlightPlanError(f"cannot tell the format of {path} from its suffix {suffix!r}; give --format "
                          f"({', '.join(sorted(available_formats()))})")


def export_mission(mission: Mission, path: str | Path, *, terrain, fmt: str | None = None,
                   config: FlightPlanConfig | None = None) -> tuple[list[Path], SafetyReport]:
    """Check ``mission`` against the safety rules and write it; returns the files written and the report.

    Raises :class:`flightplans.errors.UnsafePlan` (nothing written) when a rule fails.
    """
    config = config or FlightPlanConfig()
    path = Path(path)
    exporter = get_exporter(fmt or format_for_path(path))
    report = check_mission(mission, terrain, config)
    flights = mission.flights()
    if exporter.multi_flight or len(flights) == 1:
        targets = [(path, mission if exporter.multi_flight else flights[0])]
    else:
        targets = [(path.with_name(f"{path.stem}-sortie{k}{path.suffix}"), flight)
                   for k, flight in enumerate(flights, start=1)]
    written = []
    for target, flight in targets:
        data = exporter.write(flight, config)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise FlightPlanError(f"cannot write flight plan {target}: {exc}") from exc
        written.append(target)
    return written, report
