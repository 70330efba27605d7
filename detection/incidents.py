"""Incident fusion: hotspots from every frame and source become incidents with a state machine.

Pure functions over :mod:`firewatch.model` types (no database, no ingest). The store persists what they return.

States: ``candidate`` → ``confirmed`` → ``active`` → ``quiet`` → ``closed``; a new hotspot near a quiet incident,
or near a confirmed incident closed within the re-ignition window, re-opens it (``reignited`` → ``active``). A
candidate not seen again within its sources' revisit time closes unconfirmed (its ``confirmed_at`` stays None, so no
alert follows). Quiet and close delays depend on the slowest source kind that saw the incident (a satellite passes
twice a day, a drone or a tower looks again within minutes: :class:`FusionConfig`).

Confirmation (evidence from unmasked hotspots only): ≥ 2 distinct looks (a look is a distinct ``frame_id``), or
≥ 2 distinct sources, or one high-confidence look of a large saturated cluster. An incident made only of masked
hotspots (known heat sources) stays ``masked`` and never confirms.

Fusion radius: a located hotspot joins the incident whose perimeter is nearest, if within
``clamp(radius_factor × max(σ_hotspot, σ_incident), min_radius_m, max_radius_m)`` (σ: 1-σ location uncertainty,
the incident's being its best member's). The incident's location (lat, lon) is where the fire is now: the centroid
of its latest look's hotspots, weighted by ground area over location variance. When a hotspot reaches several
incidents they are one fire: the others are
merged into the most advanced one (closed with reason "merged into …"; :attr:`FusionResult.merges`). Hotspots
without lat/lon never fuse. Transition and history times are event times (hotspot times, or ``last_seen`` + the
configured delay), so re-running the same input gives the same result.

Bookkeeping that must survive between calls lives in ``Incident.extra`` (JSON): ``frame_ids``,
``unmasked_frame_ids``, ``unmasked_source_ids``, ``location_uncertainty_m``, ``centroid_weights`` (weighted sums of
the latest look's member positions and that look's time), ``extent_m``, ``utm_epsg``, ``member_confidence`` /
``member_class`` (best unmasked member; ``masked_``-prefixed twins for masked ones), ``escalation_baseline``,
``transition_counts``, ``confirmed_by``, ``merged`` / ``merged_into``.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from detection.fusion_config import FusionConfig
from detection.fusion_engine import Fuser, HotspotShape
from detection.fusion_types import TRANSITION_KINDS, FusionResult, Transition, history_rows
from firewatch.model import Hotspot, Incident, parse_time

__all__ = ["TRANSITION_KINDS", "FusionConfig", "FusionResult", "Transition", "advance_time", "fuse_hotspots",
           "history_rows"]


def fuse_hotspots(hotspots: list[Hotspot], open_incidents: list[Incident], *, config: FusionConfig,
                  now: datetime | None = None) -> FusionResult:
    """Fuse hotspots (any frames and sources) into the open incidents; return what changed.

    Hotspots are taken in time order (ties by id), one look (one acquisition time) after the other: before each
    look the incidents are advanced to its time (quiet, closed); after it, perimeters are settled and growth is
    checked once. Unlocated hotspots are left out (not in ``assignments``). With ``now``, the incidents are advanced to
    it at the end as well. ``open_incidents`` should hold the store's unclosed incidents plus those closed within
    ``config.reignite_window_s``; they are copied, never mutated.
    """
    fuser = Fuser(open_incidents, config)
    located = sorted((h for h in hotspots if h.is_located), key=lambda h: (parse_time(h.time), h.hotspot_id))
    for time, look in itertools.groupby(located, key=lambda h: parse_time(h.time)):
        fuser.advance(time)
        for hotspot in look:
            shape = HotspotShape(hotspot, config)
            found = fuser.matches(hotspot, shape)
            if not found:
                incident = fuser.create(hotspot, shape)
            else:
                # Merge only incidents the hotspot's own footprint bridges (the fires grew together); an uncertain
                # hotspot within reach of several separate fires joins the likeliest one (smallest gap relative to
                # the pair's radius) and does not glue them together.
                bridged = [inc for inc, gap_m, _radius in found if gap_m <= config.merge_max_gap_m]
                if len(bridged) > 1:
                    incident = bridged[0]
                    fuser.merge(incident, bridged[1:], time)
                else:
                    incident = min(found, key=lambda m: m[1] / m[2])[0]
                fuser.join(incident, hotspot, shape)
            fuser.assignments[hotspot.hotspot_id] = incident.incident_id
        fuser.end_look(time)
    if now is not None:
        fuser.advance(parse_time(now))
    return fuser.finish()


def advance_time(open_incidents: list[Incident], now: datetime, *,
                 config: FusionConfig) -> tuple[list[Incident], list[Transition]]:
    """Time tick without hotspots: active/confirmed → quiet, quiet → closed, unconfirmed candidates closed, after
    the delays of the incident's source kinds (:class:`FusionConfig`). Returns new copies of the incidents that
    changed and the transitions (history rows: :func:`history_rows`)."""
    fuser = Fuser(open_incidents, config)
    fuser.advance(parse_time(now))
    result = fuser.finish()
    return result.incidents, result.transitions
