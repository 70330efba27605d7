"""The :class:`Scenario` handle: paths, frames, truth, and the oracle functions other packages test against."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import shapely
from pyproj import Transformer
from shapely.geometry import Polygon

from firewatch.model import format_time, parse_time
from firewatch.scenario.config import ScenarioConfig
from firewatch.scenario.errors import ScenarioError
from firewatch.scenario.fires import FalseTargetTruth, FireTruth
from firewatch.scenario.layout import TowerTruth
from firewatch.scenario.terrain import Terrain, file_terrain, terrain_for
from firewatch.scenario.truth import true_ground_point
from ingest.camera import Camera
from ingest.pose import Pose

SCENARIO_FILE = "scenario.json"
FORMAT_NAME = "firewatch-scenario"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ScenarioPaths:
    """Where a scenario's files are (absolute)."""

    out_dir: Path
    dem_path: Path
    frames_dir: Path
    truth_dir: Path
    scenario_json: Path
    config_toml: Path

    @classmethod
    def under(cls, out_dir: Path) -> ScenarioPaths:
        out_dir = Path(out_dir).resolve()
        return cls(out_dir, out_dir / "dem.tif", out_dir / "frames", out_dir / "truth", out_dir / SCENARIO_FILE,
                   out_dir / "firewatch.toml")


@dataclass(frozen=True)
class FrameRecord:
    """One rendered frame: its TIFF and sidecar (absolute paths), who took it, when, and with which camera/pose.

    ``visible`` maps fire and false-target ids seen in the frame to pixel statistics (``pixels``, ``full_pixels``,
    fraction-weighted ``row``/``col``, ``max_fraction``, ``resolved_3x3``).
    """

    frame_id: str
    path: Path
    sidecar_path: Path
    source_id: str
    source_kind: str
    time: datetime
    camera: Camera
    pose: Pose
    visible: dict = field(default_factory=dict, compare=False)

    def to_dict(self, root: Path) -> dict:
        return {"frame_id": self.frame_id, "path": self.path.relative_to(root).as_posix(),
                "sidecar_path": self.sidecar_path.relative_to(root).as_posix(), "source_id": self.source_id,
                "source_kind": self.source_kind, "time": format_time(self.time), "camera": self.camera.to_dict(),
                "pose": self.pose.to_dict(), "visible": self.visible}

    @classmethod
    def from_dict(cls, data: dict, root: Path) -> FrameRecord:
        return cls(data["frame_id"], root / data["path"], root / data["sidecar_path"], data["source_id"],
                   data["source_kind"], parse_time(data["time"]), Camera.from_dict(data["camera"]),
                   Pose.from_dict(data["pose"]), data.get("visible", {}))


@dataclass
class Scenario:
    """A generated scenario folder and its ground truth."""

    config: ScenarioConfig
    paths: ScenarioPaths
    frames: list[FrameRecord]
    fires: list[FireTruth]
    false_targets: list[FalseTargetTruth]
    towers: list[TowerTruth]
    #: Drone positions at its frames, in flight order: (lon_deg, lat_deg, alt_amsl_m).
    drone_path: list[tuple[float, float, float]]
    crs: str
    _terrain: Terrain | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ convenience paths
    @property
    def dem_path(self) -> Path:
        return self.paths.dem_path

    @property
    def frames_dir(self) -> Path:
        return self.paths.frames_dir

    @property
    def truth_dir(self) -> Path:
        return self.paths.truth_dir

    @property
    def terrain(self) -> Terrain:
        """The scenario's terrain (analytic function rebuilt from the config, or the DEM file)."""
        if self._terrain is None:
            self._terrain = file_terrain(self.paths.dem_path) if self.config.terrain == "file" else \
                terrain_for(self.config)
        return self._terrain

    # ------------------------------------------------------------------ oracles
    def true_ground_point(self, camera: Camera, pose: Pose, rows, cols):
        """``(lon_deg, lat_deg, elevation_m)`` arrays where pixel centres' rays meet the true terrain (NaN: sky).

        Independent of ``ingest.georef``: exact geodesic mapping, analytic heights, bisection root finding, the
        curvature/refraction model ``(1 − k)·d²/(2R)`` with ``k = 0.13``, ``R = 6371 km``.
        """
        return true_ground_point(self.terrain, camera, pose, rows, cols)

    def fire_polygons_at(self, time: datetime | str) -> list[tuple[str, Polygon, str]]:
        """``[(fire_id, polygon in lon/lat, kind)]`` of every burning region at ``time`` (kind flaming|smouldering)."""
        to_lonlat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        result = []
        for fire in self.fires:
            for kind, polygon, _ in fire.polygons_at(parse_time(time)):
                result.append((fire.fire_id, shapely.transform(polygon, to_lonlat.transform, interleaved=False), kind))
        return result

    def frame(self, frame_id: str) -> FrameRecord:
        for record in self.frames:
            if record.frame_id == frame_id:
                return record
        raise ScenarioError(f"scenario {self.paths.out_dir}: no frame {frame_id!r}")

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        root = self.paths.out_dir
        return {
            "format": FORMAT_NAME, "version": FORMAT_VERSION, "seed": self.config.seed,
            "config": self.config.model_dump(mode="json"), "crs": self.crs,
            "dem_path": self.paths.dem_path.relative_to(root).as_posix(),
            "frames": [record.to_dict(root) for record in self.frames],
            "fires": [fire.to_dict() for fire in self.fires],
            "false_targets": [target.to_dict() for target in self.false_targets],
            "towers": [tower.to_dict() for tower in self.towers],
            "drone_path": [list(p) for p in self.drone_path],
        }

    @classmethod
    def load(cls, out_dir: Path | str) -> Scenario:
        """Re-open a generated scenario folder from its ``scenario.json``."""
        paths = ScenarioPaths.under(Path(out_dir))
        try:
            data = json.loads(paths.scenario_json.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ScenarioError(f"{paths.scenario_json}: not found; generate one with "
                                f"`firewatch scenario --out {out_dir}`") from exc
        except json.JSONDecodeError as exc:
            raise ScenarioError(f"{paths.scenario_json}: not valid JSON ({exc}); regenerate the scenario") from exc
        if data.get("format") != FORMAT_NAME or data.get("version") != FORMAT_VERSION:
            raise ScenarioError(f"{paths.scenario_json}: format {data.get('format')!r} version {data.get('version')!r}"
                                f" is not {FORMAT_NAME!r} version {FORMAT_VERSION}; regenerate the scenario")
        try:
            return cls(
                config=ScenarioConfig(**data["config"]), paths=paths,
                frames=[FrameRecord.from_dict(item, paths.out_dir) for item in data["frames"]],
                fires=[FireTruth.from_dict(item) for item in data["fires"]],
                false_targets=[FalseTargetTruth.from_dict(item) for item in data["false_targets"]],
                towers=[TowerTruth.from_dict(item) for item in data["towers"]],
                drone_path=[tuple(p) for p in data["drone_path"]], crs=data["crs"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ScenarioError(f"{paths.scenario_json}: malformed scenario ({type(exc).__name__}: {exc}); "
                                "regenerate the scenario") from exc
