"""What every panel needs to know about this session: language, time window, operator, rights, selection."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.config import DashboardConfig
from dashboard.summaries import TimeWindow


@dataclass(frozen=True)
class Context:
    """One rerun's view of the session. ``operator`` is '' until the operator types a name."""

    config: DashboardConfig
    db_url: str
    lang: str
    window: TimeWindow
    operator: str
    read_only: bool
