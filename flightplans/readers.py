"""Read mission files back into MAVLink items (for upload): QGC ``.plan`` and ``QGC WPL 110``.

Returns the planned home (lat, lon, alt AMSL; None when the file has none) and the mission items *without* home.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from flightplans.errors import FlightPlanError
from flightplans.mission import Home, MavItem


def _plan(path: Path, text: str) -> tuple[Home | None, list[MavItem]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError: a truncated or hand-edited file
        raise FlightPlanError(f"{path}: not a QGroundControl .plan (not valid JSON: {exc}); export it again") from exc
    try:
        mission = doc["mission"]
        raw_items = mission["items"]
    except (KeyError, TypeError) as exc:
        raise FlightPlanError(f"{path}: not a QGroundControl .plan (missing {exc}); export it again") from exc
    if doc.get("fileType") != "Plan":
        raise FlightPlanError(f"{path}: fileType is {doc.get('fileType')!r}, expected 'Plan'")
    items = []
    for index, entry in enumerate(raw_items):
        if entry.get("type") != "SimpleItem":
            raise FlightPlanError(f"{path}: mission item {index} is a {entry.get('type')} (e.g. a QGC survey); "
                                  "only simple items can be uploaded — plan it with `firewatch plan` instead")
        try:
            params = [math.nan if p is None else float(p) for p in entry["params"]]
            items.append(MavItem(int(entry["command"]), int(entry["frame"]), tuple(params[:4]),
                                 params[4], params[5], params[6], int(bool(entry.get("autoContinue", True)))))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise FlightPlanError(f"{path}: mission item {index} is malformed ({exc})") from exc
    home_pos = mission.get("plannedHomePosition")
    home = Home(float(home_pos[0]), float(home_pos[1]), float(home_pos[2])) if home_pos else None
    return home, items


def _wpl(path: Path, text: str) -> tuple[Home | None, list[MavItem]]:
    lines = [line for line in text.splitlines() if line.strip()]
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 12:
            raise FlightPlanError(f"{path}, line {number}: {len(fields)} tab-separated fields, expected 12")
        try:
            values = [float(v) for v in fields]
        except ValueError as exc:
            raise FlightPlanError(f"{path}, line {number}: {exc}") from exc
        rows.append(MavItem(int(values[3]), int(values[2]), tuple(values[4:8]), values[8], values[9], values[10],
                            int(values[11])))
    if not rows:
        raise FlightPlanError(f"{path}: no mission rows after the header")
    home = Home(rows[0].x, rows[0].y, rows[0].z)
    return home, rows[1:]


def read_mission_file(path: str | Path) -> tuple[Home | None, list[MavItem]]:
    """Home and items of a ``.plan`` or ``QGC WPL 110`` file, chosen by content (not by suffix)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlightPlanError(f"cannot read mission file {path}: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _plan(path, text)
    if stripped.startswith("QGC WPL 110"):
        return _wpl(path, text)
    raise FlightPlanError(f"{path}: neither a QGroundControl .plan (JSON) nor a 'QGC WPL 110' file")
