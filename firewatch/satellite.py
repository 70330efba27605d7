"""Satellite detections (NASA FIRMS) into the store through the same fusion as the drone and camera hotspots.

One satellite **pass** (satellite + acquisition time, :func:`ingest.readers.firms.pass_id`) is handled like one
frame: its hotspots are fused (:func:`detection.incidents.fuse_hotspots`), the alerts of the transitions are built
(:func:`alerts.events.alerts_for_transitions`) and everything is written in one transaction
(:meth:`Store.apply_frame_result`). Passes of all the files given are taken in acquisition-time order. A pass is
identified by ``sha256(file hash + pass id)``, so re-running the same file skips what is stored; a pass already
stored from another file (an archive and a near-real-time download overlap) is skipped too.

Keeping non-fires apart: hotspots ``masked`` by the reader (FIRMS type 1 volcano, 2 static land source, 3 offshore)
or lying inside an accepted static heat-source mask (``[masks] files``) are fused **only with masked incidents**;
unmasked (vegetation) hotspots only with unmasked incidents. So a steelworks or an oil platform never creates,
confirms, grows or escalates a vegetation-fire incident; it gets its own ``masked`` incident (no alerts: fusion
never confirms a masked-only incident and alerts skip masked incidents).

Satellite cadence (a polar orbiter sees a place about twice a day) is fusion's business: its quiet and close delays
depend on the slowest source kind that saw an incident (:class:`detection.fusion_config.FusionConfig`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alerts.events import alerts_for_transitions
from detection.fusion_config import FusionConfig
from detection.incidents import FusionResult, Transition, fuse_hotspots
from detection.masks import StaticMasks
from firewatch.config import FirewatchConfig
from firewatch.model import Hotspot, Incident
from firewatch.pipeline import file_sha256, load_masks
from firewatch.store import FusionTransaction, Store
from ingest.readers.firms import FirmsResult, read_firms

__all__ = ["PassOutcome", "SatelliteReport", "fuse_apart", "ingest_firms"]


@dataclass
class PassOutcome:
    """One pass: ``status`` accepted or skipped (already stored), counts and the incident transitions."""

    pass_id: str
    path: Path
    time: datetime
    status: str
    hotspot_count: int = 0
    masked_count: int = 0
    transitions: list[Transition] = field(default_factory=list)
    alert_count: int = 0


@dataclass
class SatelliteReport:
    """What :func:`ingest_firms` did: per file the reader's result, per pass the outcome."""

    files: list[FirmsResult] = field(default_factory=list)
    passes: list[PassOutcome] = field(default_factory=list)

    @property
    def skipped_rows(self) -> list[tuple[Path, int, str]]:
        return [(result.path, line, reason) for result in self.files for line, reason in result.skipped]


def _pass_sha256(file_sha: str, pass_id: str) -> str:
    return hashlib.sha256(f"{file_sha}\x1f{pass_id}".encode()).hexdigest()


def _apply_masks(hotspots: list[Hotspot], masks: StaticMasks | None) -> None:
    """Mark unmasked hotspots inside an accepted static heat-source mask (in place)."""
    if masks is None:
        return
    for hotspot in hotspots:
        if not hotspot.masked:
            name = masks.mask_for(hotspot.lon, hotspot.lat)
            if name is not None:
                hotspot.masked, hotspot.mask_name = True, name


def fuse_apart(hotspots: list[Hotspot], open_incidents: list[Incident], *, config: FusionConfig,
               now: datetime) -> FusionResult:
    """Fuse masked hotspots with masked incidents only and unmasked with unmasked only; one merged result."""
    merged = FusionResult()
    for masked in (False, True):
        part = fuse_hotspots([h for h in hotspots if h.masked == masked],
                             [inc for inc in open_incidents if inc.masked == masked], config=config, now=now)
        merged.incidents += part.incidents
        merged.assignments.update(part.assignments)
        merged.transitions += part.transitions
        merged.history += part.history
        merged.merges.update(part.merges)
    return merged


def ingest_firms(paths: Iterable[str | Path], config: FirewatchConfig, store: Store, *,
                 on_start: Callable[[int], None] | None = None,
                 on_pass: Callable[[PassOutcome], None] | None = None) -> SatelliteReport:
    """Read FIRMS files and put their passes, in time order, through fusion into ``store``.

    Raises :class:`~ingest.errors.UnreadableDetections` for a file that is not FIRMS (before anything is stored);
    malformed rows are skipped and listed in the report. ``on_start`` gets the number of passes once the files are
    read, ``on_pass`` each pass's outcome (progress).
    """
    fusion_config = config.fusion
    masks = load_masks(config.masks.files)
    report = SatelliteReport()
    work = []
    for path in paths:
        result = read_firms(path)
        report.files.append(result)
        file_sha = file_sha256(result.path)
        work += [(hotspots[0].time, pass_id, result.path, file_sha, hotspots) for pass_id, hotspots in result.passes()]
    work.sort(key=lambda item: (item[0], item[1], str(item[2])))
    if on_start is not None:
        on_start(len(work))
    for time, pass_id, path, file_sha, hotspots in work:
        sha = _pass_sha256(file_sha, pass_id)
        # One serialised unit per pass, like a frame commit (Pipeline.commit): concurrent writers fuse against what
        # the previous one stored, so a fire seen by a satellite and a drone at once still gets one incident.
        with store.fusion_transaction() as unit:
            # the same pass may come in two files (an archive and a near-real-time download overlap): once is enough
            if unit.has_frame(sha) or unit.hotspots(frame_id=pass_id, limit=1):
                outcome = PassOutcome(pass_id, path, time, "skipped")
            else:
                outcome = _ingest_pass(pass_id, path, time, sha, hotspots, config, unit, fusion_config, masks)
        report.passes.append(outcome)
        if on_pass is not None:
            on_pass(outcome)
    return report


def _ingest_pass(pass_id: str, path: Path, time: datetime, sha: str, hotspots: list[Hotspot],
                 config: FirewatchConfig, unit: FusionTransaction, fusion_config: FusionConfig,
                 masks: StaticMasks | None) -> PassOutcome:
    _apply_masks(hotspots, masks)
    open_incidents = unit.open_incidents(reignite_window_s=fusion_config.reignite_window_s, now=time)
    fusion = fuse_apart(hotspots, open_incidents, config=fusion_config, now=time)
    by_id = {inc.incident_id: inc for inc in fusion.incidents}
    alerts = alerts_for_transitions(fusion.transitions, by_id, policy=config.alerts.policy,
                                    endpoints=config.alerts.endpoints, now=time, cap=config.alerts.cap)
    first = hotspots[0]
    meta = {"frame_id": pass_id, "content_sha256": sha, "path": str(path), "source_id": first.source_id,
            "source_kind": "satellite", "time": time, "width_px": None, "height_px": None, "footprint": None,
            "camera": None, "pose": None,
            "satellite": {"instrument": first.extra.get("instrument"), "platform": first.extra.get("satellite"),
                          "daynight": first.extra.get("daynight"), "version": first.extra.get("version")}}
    unit.apply_frame_result(meta, hotspots, fusion, alerts)
    return PassOutcome(pass_id, path, time, "accepted", hotspot_count=len(hotspots),
                       masked_count=sum(1 for h in hotspots if h.masked), transitions=list(fusion.transitions),
                       alert_count=len(alerts))
