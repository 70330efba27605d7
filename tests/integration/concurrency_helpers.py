"""What concurrent writers into one store must agree on with a single-process oracle (issue 8).

Writers that commit frames in a different order than the oracle may end with different incident *states* (the state
machine sees the looks in another order), so only what does not depend on the commit order is compared: how many
incidents exist, which hotspots each one holds and which frames it was seen in (a lost update drops a frame), and the
number of ``incident.confirmed`` alerts (one per fire: a duplicated incident alerts the same fire twice).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from firewatch.store import Store


def incident_summary(store: Store) -> dict:
    """The commit-order-independent outcome of fusion in ``store`` (see the module docstring)."""
    incidents = store.list_incidents()
    groups = {inc.incident_id: frozenset(h.hotspot_id for h in store.hotspots(incident_id=inc.incident_id))
              for inc in incidents}
    alerts = store.alerts()
    return {
        "incidents": len(incidents),
        "hotspots_per_incident": sorted(sorted(group) for group in groups.values() if group),
        "frames_per_incident": sorted(sorted(inc.extra.get("frame_ids", [])) for inc in incidents),
        "confirmed_alerts": len([a for a in alerts if a["event_type"] == "incident.confirmed"]),
        "alerts_per_transition_max": max(Counter(a["transition_key"] for a in alerts).values(), default=0),
    }


#: Seconds each frame's fusion is slowed down by in :func:`install_slow_fusion`. A frame's own fusion takes 1–3 ms
#: (bench/pipeline.py "fuse"), so two writers' read→write windows rarely overlap on 6 frames: the race of issue 8
#: showed in 1 run out of 3 of the PostgreSQL test on the unserialised commit (measured). 0.3 s opens a window longer
#: than the writers' start-up spread, so the race is hit on every run (3 of 3), while the serialised commit only
#: takes 0.3 s per accepted frame longer.
FUSION_DELAY_S = 0.3


def install_slow_fusion() -> None:
    """Delay every call of :func:`detection.incidents.fuse_hotspots` made by :mod:`firewatch.pipeline` by
    :data:`FUSION_DELAY_S` in this process (a loaded machine), to make the interleaving of concurrent writers
    reproducible. Nothing else is changed: fusion's result is the real one."""
    from firewatch import pipeline

    fuse = pipeline.fuse_hotspots

    def slow_fuse(*args, **kwargs):
        time.sleep(FUSION_DELAY_S)
        return fuse(*args, **kwargs)

    pipeline.fuse_hotspots = slow_fuse


#: ``[sys.executable, "-c", SLOW_FUSION_LAUNCHER, "ingest", ...]`` runs the real ``firewatch`` CLI after
#: :func:`install_slow_fusion`.
SLOW_FUSION_LAUNCHER = (f"import sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                        "from concurrency_helpers import install_slow_fusion\n"
                        "install_slow_fusion()\n"
                        "from firewatch.cli import main\n"
                        "main()\n")
