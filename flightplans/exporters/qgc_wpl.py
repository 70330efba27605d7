"""``QGC WPL 110`` text missions (Mission Planner / ArduPilot): tab-separated, LF, row 0 = home.

Columns: seq, current, frame, command, param1..param4, lat, lon, alt, autocontinue. Parameters and coordinates are
written with 8 decimals (≈ 1 mm in latitude), altitudes with 6.
"""

from __future__ import annotations

from flightplans.config import FlightPlanConfig
from flightplans.exporters import Exporter, register_exporter
from flightplans.mission import Mission, mav_items

HEADER = "QGC WPL 110"


def write_wpl(mission: Mission, config: FlightPlanConfig) -> bytes:
    rows = [HEADER]
    for seq, item in enumerate(mav_items(mission, include_home=True)):
        fields = [str(seq), "1" if seq == 0 else "0", str(item.frame), str(item.command)]
        fields += [f"{p:.8f}" for p in item.params] + [f"{item.x:.8f}", f"{item.y:.8f}", f"{item.z:.6f}",
                                                       str(item.autocontinue)]
        rows.append("\t".join(fields))
    return ("\n".join(rows) + "\n").encode("ascii")


register_exporter(Exporter("waypoints", ".waypoints", "QGC WPL 110 text mission (Mission Planner)", write_wpl))
