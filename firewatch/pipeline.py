"""The flow, one frame at a time: read → georeference → detect → fuse → alerts outbox → store.

Each arrow is a plain function call of the package that owns it (DESIGN.md §1); this module only wires them and
decides what happens to a bad frame: it is **quarantined** (a ``frames`` row with status ``quarantined`` and the
reason, the file moved aside in watch mode) and the pipeline goes on. Nothing accepted is ever lost: a frame's
hotspots, incident changes and alerts are written in one transaction, serialised with every other writer's
(:meth:`Store.fusion_transaction`).

Frames are identified by the SHA-256 of their bytes, so a file is processed once even across restarts and renames.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time as _time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Literal

import xarray as xr

from alerts.events import alerts_for_transitions
from detection import detect, locate
from detection.errors import DetectionError
from detection.incidents import Transition, advance_time, fuse_hotspots, history_rows
from detection.masks import StaticMasks
from firewatch.bearings import attach_bearings, calibrated_frame, relocate_with_store
from firewatch.config import FirewatchConfig
from firewatch.model import Hotspot, Incident, parse_time, utc_now
from firewatch.store import FusionTransaction, Store
from ingest.errors import IngestError, InvalidPose, MissingMetadata, TerrainError, UnreadableFrame
from ingest.georef import frame_footprint, georeference, georeference_regions
from ingest.ortho import orthorectify
from ingest.readers import read_frame, read_metadata
from ingest.readers.source import Source
from ingest.terrain import Terrain

log = logging.getLogger(__name__)

#: File name endings the pipeline treats as frames when given a folder (the readers choose by signature; these
#: only keep sidecars, notes and partial uploads out of the scan).
FRAME_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg")
#: Partial uploads: ignored until renamed (atomic move) to their final name.
PARTIAL_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart")

Status = Literal["accepted", "quarantined", "skipped"]
#: Rays per image edge for a frame's ground outline. A drone frame looks down: its outline is the image border
#: bent by the terrain, and 16 samples (one every 40 px of a 640 px edge, ~20 m on the ground at 120 m) follow the
#: relief of a 5–30 m DEM. A tower frame's outline follows the horizon across the image: 32.
OUTLINE_SAMPLES_PER_EDGE = {"drone": 16, "fixed": 32}


@dataclass
class FrameOutcome:
    """What happened to one file. ``reason`` explains a quarantine; ``timings_s`` per stage."""

    path: Path
    status: Status
    frame_id: str | None = None
    reason: str | None = None
    hotspot_count: int = 0
    transitions: list[Transition] = field(default_factory=list)
    alert_count: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        """One log line for this outcome (operators read these in `firewatch watch`)."""
        if self.status == "accepted":
            events = ", ".join(f"{t.incident_id} {t.kind}" for t in self.transitions if t.kind != "updated")
            total_ms = 1000.0 * sum(self.timings_s.values())
            return (f"accepted {self.path.name} ({self.frame_id}): {self.hotspot_count} hotspot(s)"
                    f"{'; ' + events if events else ''}{f'; {self.alert_count} alert(s)' if self.alert_count else ''}"
                    f" [{total_ms:.0f} ms]")
        if self.status == "skipped":
            return f"skipped {self.path.name}: already processed ({self.frame_id or 'same content'})"
        return f"QUARANTINED {self.path.name}: {self.reason}"


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (the frame's identity in the store)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_or_none(path: Path) -> str | None:
    """:func:`file_sha256`, or None when the file cannot be read (the identity of a frame being quarantined)."""
    try:
        return file_sha256(path)
    except OSError:
        return None


def load_masks(files: Iterable[Path]) -> StaticMasks | None:
    """All accepted static heat-source masks merged into one :class:`StaticMasks` (None when there are none)."""
    names: list[str] = []
    geometries: list = []
    for path in files:
        masks = StaticMasks.from_geojson(path)
        names.extend(masks.names)
        geometries.extend(masks.geometries)
    return StaticMasks(names=tuple(names), geometries=tuple(geometries)) if names else None


def frame_meta(frame: xr.Dataset, footprint: dict | None) -> dict:
    """The ``frames`` row of an accepted frame."""
    return {
        "frame_id": frame.attrs["frame_id"], "content_sha256": frame.attrs.get("content_sha256"),
        "path": frame.attrs.get("path"), "source_id": frame.attrs.get("source_id"),
        "source_kind": frame.attrs.get("source_kind"), "time": frame.attrs.get("time") or None,
        "width_px": int(frame.sizes["x"]), "height_px": int(frame.sizes["y"]), "footprint": footprint,
        "camera": frame.attrs.get("camera") or None, "pose": frame.attrs.get("pose") or None,
    }


@dataclass
class FrameAnalysis:
    """The stateless half of processing one file (read → georeference → detect), picklable for worker processes.

    ``reason`` is set (and ``meta``/``hotspots`` describe what was known) when the file must be quarantined.
    """

    path: Path
    content_sha256: str | None
    meta: dict | None = None
    hotspots: list[Hotspot] = field(default_factory=list)
    reason: str | None = None
    timings_s: dict[str, float] = field(default_factory=dict)


class FrameAnalyser:
    """Read → georeference → detect for one file at a time; holds what is loaded once (terrain, masks).

    It touches no store, so many analysers may run in parallel (threads, processes, Dask workers).
    ``units`` is the readers' unit choice for radiometric TIFFs (``auto``, ``C``, ``K``, ``cK``).
    ``ortho_dir``: write an orthophoto (Cloud-Optimized GeoTIFF, kelvin) of every drone frame that has hotspots
    there, for the map's thermal overlay; its path goes into the frame's metadata as ``ortho_path``. This costs a
    full-frame georeferencing, so it is off by default.
    """

    def __init__(self, config: FirewatchConfig, *, terrain: Terrain | None = None, units: str = "auto",
                 ortho_dir: Path | None = None) -> None:
        self.config = config
        self.units = units
        self.ortho_dir = Path(ortho_dir) if ortho_dir is not None else None
        if terrain is None and config.terrain.dem is not None:
            terrain = Terrain.from_geotiff(config.terrain.dem)
        if terrain is None and config.terrain.ground_elevation_m is not None:
            terrain = Terrain.flat(config.terrain.ground_elevation_m)
        self.terrain = terrain
        self.masks = load_masks(config.masks.files)
        # What exists now (modules, terrain, masks, configuration) lives as long as the process: collect the garbage
        # once and move the rest out of the cyclic collector's reach (gc.freeze), so its full collections scan only
        # per-frame objects. Unfrozen, a full collection over the ~170 000 import-time objects stalled a frame by
        # ~60 ms every few frames (bench/pipeline.py); after the first analyser this costs ~1 ms.
        gc.collect()
        gc.freeze()

    def analyse(self, path: str | Path, *, source: Source | None = None) -> FrameAnalysis:
        """Analyse one file. Never raises for bad input: a quarantine reason is returned instead.

        ``source``: the file already opened (its bytes read and hashed once, by :meth:`Pipeline.process` or a batch
        worker, to skip files already stored).
        """
        path = Path(path)
        timings: dict[str, float] = {}
        started = _time.perf_counter()
        try:
            source = source or Source.open(path)
        except UnreadableFrame as exc:  # missing, unreadable or empty; an empty file is hashed so it is seen once
            return FrameAnalysis(path, sha256_or_none(path), reason=str(exc))
        sha = source.sha256
        try:
            frame = read_frame(source, units=self.units)
        except IngestError as exc:
            return FrameAnalysis(path, sha, reason=str(exc))
        timings["read"] = _time.perf_counter() - started

        t0 = _time.perf_counter()
        try:
            result = detect(frame, self.config.detection, masks=self.masks)
        except DetectionError as exc:
            return FrameAnalysis(path, sha, meta=frame_meta(frame, None), reason=str(exc), timings_s=timings)
        timings["detect"] = _time.perf_counter() - t0

        # Georeference lazily (DESIGN.md §4 "Cost"): the frame outline, and the hotspots' pixels only when there are
        # hotspots, which then get their ground footprints, areas, FRP and static masks (detection.locate).
        t0 = _time.perf_counter()
        footprint = None
        if self.terrain is not None and frame.attrs.get("pose"):
            try:
                frame = calibrated_frame(frame, self.config.cameras)
                footprint = frame_footprint(frame, self.terrain, samples_per_edge=OUTLINE_SAMPLES_PER_EDGE.get(
                    frame.attrs.get("source_kind"), 32))
                if result.hotspots:
                    frame = georeference_regions(frame, self.terrain, [h.bbox_px for h in result.hotspots],
                                                 partial_ok=True)
                    result = locate(frame, result, self.config.detection, masks=self.masks)
            except InvalidPose as exc:  # an absurd pose would put every hotspot in the wrong place
                return FrameAnalysis(path, sha, meta=frame_meta(frame, None), reason=str(exc), timings_s=timings)
            except (MissingMetadata, TerrainError) as exc:
                # The temperatures are still good: keep the pixel-space hotspots, stored unlocated, and say why.
                log.warning("%s: not georeferenced (%s); hotspots will have pixel positions only", path, exc)
        timings["georef"] = _time.perf_counter() - t0
        hotspots = result.hotspots
        if frame.attrs.get("pose"):
            # bearings of fixed-camera hotspots, for triangulation with the other towers at commit time
            hotspots = attach_bearings(frame, hotspots, cameras=self.config.cameras)
        meta = frame_meta(frame, footprint)
        if self.ortho_dir is not None and hotspots and footprint and frame.attrs.get("source_kind") == "drone":
            t0 = _time.perf_counter()
            meta["ortho_path"] = str(self._orthophoto(frame))
            timings["ortho"] = _time.perf_counter() - t0
        return FrameAnalysis(path, sha, meta=meta, hotspots=hotspots, timings_s=timings)

    def _orthophoto(self, frame: xr.Dataset) -> Path:
        self.ortho_dir.mkdir(parents=True, exist_ok=True)
        full = georeference(frame, self.terrain, partial_ok=True)
        return orthorectify(full, self.ortho_dir / f"{frame.attrs['frame_id']}.tif")


class Pipeline:
    """Runs frames through the flow into one store: :class:`FrameAnalyser` then :meth:`commit` (fuse → alerts →
    store, in one transaction per frame). Frames must be committed in acquisition-time order.

    ``on_alerts`` is called after a frame stored new alerts (the watch loop wakes its delivery worker with it).
    """

    def __init__(self, config: FirewatchConfig, store: Store, *, terrain: Terrain | None = None,
                 units: str = "auto", on_alerts: Callable[[], None] | None = None,
                 ortho_dir: Path | None = None) -> None:
        self.config = config
        self.store = store
        self.on_alerts = on_alerts
        self.analyser = FrameAnalyser(config, terrain=terrain, units=units, ortho_dir=ortho_dir)

    # ------------------------------------------------------------------------------------------- one frame
    def process(self, path: str | Path) -> FrameOutcome:
        """Process one file end to end. Never raises for bad input: accepted, skipped or quarantined."""
        path = Path(path)
        try:
            source = Source.open(path)  # the bytes are read and hashed once, for the check and the reader
        except UnreadableFrame:
            return self.commit(self.analyser.analyse(path))  # quarantined there, with the reason
        if self.store.has_frame(source.sha256):
            return FrameOutcome(path, "skipped")
        return self.commit(self.analyser.analyse(path, source=source))

    def commit(self, analysis: FrameAnalysis) -> FrameOutcome:
        """Fuse an analysed frame's hotspots into incidents and store everything (or quarantine it).

        The frame check, the reads fusion needs (open incidents, other towers' hotspots), fusion and the write are
        ONE serialised unit (:meth:`Store.fusion_transaction`): writers in other threads, processes or hosts commit
        one frame at a time, each against what the previous one stored, so a fire gets one incident and one alert
        per transition. Timings: ``lock`` waiting for the unit, ``fuse`` reads + fusion + alerts, ``store`` the
        writes and the commit."""
        path, timings = analysis.path, dict(analysis.timings_s)
        t0 = _time.perf_counter()
        with self.store.fusion_transaction() as unit:
            timings["lock"] = _time.perf_counter() - t0
            if analysis.content_sha256 is not None and unit.has_frame(analysis.content_sha256):
                return FrameOutcome(path, "skipped")
            if analysis.reason is not None:
                meta = analysis.meta or {"content_sha256": analysis.content_sha256, "path": str(path)}
                frame_id = unit.record_quarantine(meta, analysis.reason)
            else:
                t0 = _time.perf_counter()
                now = parse_time(analysis.meta["time"]) if analysis.meta.get("time") else utc_now()
                hotspots = relocate_with_store(analysis.hotspots, unit, config=self.config.triangulation)
                fusion = fuse_hotspots(hotspots, self._open_incidents(unit, now), config=self.config.fusion,
                                       now=now)
                alerts = self._alerts(fusion.transitions, fusion.incidents, now)
                timings["fuse"] = _time.perf_counter() - t0
                t0 = _time.perf_counter()
                unit.apply_frame_result(analysis.meta, hotspots, fusion, alerts)
        if analysis.reason is not None:
            log.warning("quarantined %s: %s", path, analysis.reason)
            return FrameOutcome(path, "quarantined", frame_id=frame_id, reason=analysis.reason, timings_s=timings)
        timings["store"] = _time.perf_counter() - t0  # the writes and the COMMIT
        if alerts and self.on_alerts is not None:
            self.on_alerts()
        return FrameOutcome(path, "accepted", frame_id=analysis.meta["frame_id"],
                            hotspot_count=len(hotspots), transitions=list(fusion.transitions),
                            alert_count=len(alerts), timings_s=timings)

    def tick(self, now: datetime | None = None) -> list[Transition]:
        """Advance incident states to ``now`` (quiet, closed, expired candidates) and store the changes."""
        now = now or utc_now()
        with self.store.fusion_transaction() as unit:  # serialised with frame commits (see commit)
            changed, transitions = advance_time(self._open_incidents(unit, now), now, config=self.config.fusion)
            alerts = self._alerts(transitions, changed, now) if transitions else []
            if transitions:
                unit.apply_transitions(changed, transitions, history_rows(changed, transitions), alerts)
        if alerts and self.on_alerts is not None:
            self.on_alerts()
        return transitions

    # ------------------------------------------------------------------------------------------- helpers
    def _open_incidents(self, unit: FusionTransaction, now: datetime) -> list[Incident]:
        return unit.open_incidents(reignite_window_s=self.config.fusion.reignite_window_s, now=now)

    def _alerts(self, transitions: list[Transition], incidents: list[Incident], now: datetime) -> list[dict]:
        alerts_config = self.config.alerts
        return alerts_for_transitions(transitions, {inc.incident_id: inc for inc in incidents},
                                      policy=alerts_config.policy, endpoints=alerts_config.endpoints, now=now,
                                      cap=alerts_config.cap)


# ----------------------------------------------------------------------------------------------- batches
def is_frame_candidate(path: Path) -> bool:
    """True for a file that may be a frame: not hidden, not partial, not a sidecar, a frame-like suffix."""
    name = path.name.lower()
    if name.startswith(".") or name.endswith(PARTIAL_SUFFIXES):
        return False
    return name.endswith(FRAME_SUFFIXES)


def expand_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files and folders (recursively) → frame files, in acquisition-time order when the metadata says it.

    Fusion windows are in time, so frames from several sources are interleaved by their timestamps; files without
    a readable time keep their name order after the timed ones.
    """
    files: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            files.extend(p for p in sorted(item.rglob("*")) if p.is_file() and is_frame_candidate(p)
                         and "quarantine" not in p.relative_to(item).parts)
        else:
            files.append(item)
    return sorted(files, key=_time_key)


def _time_key(path: Path) -> tuple[int, str, str]:
    try:
        value = read_metadata(path).get("time") or ""
    except (IngestError, OSError):
        value = ""
    return (0 if value else 1, str(value), str(path))
