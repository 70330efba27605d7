"""``firewatch incidents``: list the incidents in the store (a thin shell over :class:`firewatch.store.Store`)."""

from __future__ import annotations

import unicodedata
import zoneinfo
from datetime import datetime
from typing import Optional

import typer

from firewatch.errors import StoreInputError
from firewatch.model import Incident, format_time, to_json

STATES = ("candidate", "confirmed", "active", "quiet", "closed")
_STATE_KO = {"candidate": "후보", "confirmed": "확인", "active": "진행", "quiet": "소강", "closed": "종료"}

_HELP = (
    "List incidents (fires fused from hotspots across frames, sources and time), most recently seen first.\n\n"
    "산불 사건 목록: 여러 프레임·센서·시간에 걸쳐 융합된 화점, 최근 탐지순.\n\n"
    "Times are shown in the operator's zone (--tz, default Asia/Seoul) and in UTC; area in m², fire radiative power "
    "(FRP) in kW, confidence 0–1 with its class (low / nominal / high).\n\n"
    "Examples:\n\n"
    "  firewatch incidents\n\n"
    "  firewatch incidents --state confirmed --state active\n\n"
    "  firewatch incidents --db sqlite:///runs/demo.db --json > incidents.json"
)


def _when(value: datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({format_time(value.replace(microsecond=0))})"


def incident_table(incidents: list[Incident], *, tz: str = "Asia/Seoul") -> str:
    """The incidents as a fixed-width text table (Korean and English headers); times in ``tz`` and UTC."""
    zone = zoneinfo.ZoneInfo(tz)
    header = ("ID", "상태 state", "최초 first seen", "최근 last seen", "위치 lat, lon", "면적 area m²",
              "최대 FRP kW", "신뢰도 confidence", "센서 sources")
    rows = []
    for inc in incidents:
        state = f"{_STATE_KO.get(inc.state, inc.state)} {inc.state}" + (" (masked)" if inc.masked else "")
        rows.append((inc.incident_id, state, _when(inc.first_seen, zone), _when(inc.last_seen, zone),
                     f"{inc.lat:.6f}, {inc.lon:.6f}", f"{inc.area_m2:,.0f}", f"{inc.max_frp_kw:,.1f}",
                     f"{inc.confidence:.2f} {inc.confidence_class}",
                     ", ".join(inc.sources) + f" [{', '.join(inc.source_kinds)}]"))
    widths = [max(_width(cell) for cell in column) for column in zip(header, *rows)]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(line, widths)).rstrip() for line in (header, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: Hangul and other East Asian wide characters take two terminal columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def register(app: typer.Typer) -> None:
    """Add ``firewatch incidents`` to the CLI."""

    @app.command("incidents", help=_HELP)
    def incidents_command(
        db: Optional[str] = typer.Option(None, "--db", help="Database URL (default: $FIREWATCH_DB_URL or "
                                         "sqlite:///firewatch.db), e.g. postgresql://fw@db-host/firewatch."),
        state: Optional[list[str]] = typer.Option(None, "--state", "-s", help="Only incidents in this state "
                                                  f"({' | '.join(STATES)}); repeat for several."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many incidents."),
        as_json: bool = typer.Option(False, "--json", help="Print a JSON array of incidents (perimeter as "
                                     "GeoJSON lon/lat, times ISO 8601 UTC) instead of the table."),
        tz: str = typer.Option("Asia/Seoul", "--tz", help="Time zone for the table (IANA name, e.g. UTC)."),
    ) -> None:
        from firewatch.store import Store, default_url

        bad = [s for s in state or [] if s not in STATES]
        if bad:
            raise StoreInputError(f"--state {bad[0]!r} is not one of {', '.join(STATES)}")
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise StoreInputError(f"--tz {tz!r} is not a known IANA time zone; try Asia/Seoul or UTC") from exc
        with Store.open(db or default_url(), create=False) as store:
            found = store.list_incidents(states=state or None, limit=limit)
        if as_json:
            typer.echo(to_json([inc.to_dict() for inc in found]))
        elif not found:
            typer.echo("사건 없음 / no incidents" + (f" in state {', '.join(state)}" if state else ""))
        else:
            typer.echo(incident_table(found, tz=tz))
