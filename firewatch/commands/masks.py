"""``firewatch masks suggest``: propose static heat-source masks learned from the stored hotspot history."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from firewatch.commands.common import CONFIG_HELP, DB_HELP, config_with_overrides

_SUGGEST_HELP = (
    "Find places hot again and again on distinct days (steelworks, power plants, cement kilns, refineries, landfill "
    "flares) in the stored hotspot history and write them as GeoJSON polygons for an operator to review.\n\n"
    "저장된 화점 이력에서 여러 날에 걸쳐 반복해서 뜨거운 곳(제철소, 발전소, 시멘트 공장 등)을 찾아 고정 열원 "
    "마스크 후보(GeoJSON)로 제안합니다. 운영자가 검토하여 설정 \\[masks] files 에 넣기 전에는 적용되지 않습니다.\n\n"
    "A place is proposed when its detections (linked when closer than 800 m: neighbouring VIIRS pixels) stay within "
    "4 km of their centre and were seen on at least --min-days distinct UTC days spread over at least --min-span "
    "days, or when FIRMS marked some of them type 2 (static land source). Each feature carries name, days_seen, "
    "dates, detections, firms_static_detections, sources, max_frp_kw and evidence. Nothing is masked until you "
    "accept: edit the names, delete what is a real fire, and list the file under \\[masks] files in firewatch.toml.\n\n"
    "Examples:\n\n"
    "  firewatch satellite firms_korea_2025-03.json --db sqlite:///ops.db\n\n"
    "  firewatch masks suggest --db sqlite:///ops.db --min-days 3 -o static_sources_proposed.geojson"
)


def register(app: typer.Typer) -> None:
    """Add ``firewatch masks suggest`` to the CLI."""
    masks_app = typer.Typer(help="Static heat-source masks (고정 열원 마스크).", no_args_is_help=True)
    app.add_typer(masks_app, name="masks")

    @masks_app.command("suggest", help=_SUGGEST_HELP)
    def suggest_command(
        output: Path = typer.Option(..., "--output", "-o", help="GeoJSON file to write (FeatureCollection).",
                                    dir_okay=False),
        db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        min_days: Optional[int] = typer.Option(None, "--min-days", min=1,
                                               help="Distinct UTC days a place must be hot (default 3)."),
        min_span_days: Optional[float] = typer.Option(None, "--min-span", min=0.0, help=(
            "Days between the first and the last of those days (default 7).")),
        since: Optional[datetime] = typer.Option(None, "--since", help="Only hotspots at or after this UTC time."),
    ) -> None:
        from detection.static_sources import StaticSourceConfig, suggest_static_sources, suggestions_geojson
        from firewatch.store import Store

        if not output.parent.is_dir():
            raise typer.BadParameter(f"{output}: folder {output.parent} does not exist; create it or choose another "
                                     "path (출력 폴더가 없습니다)", param_hint="--output")
        settings = config_with_overrides(config, db=db)
        store = Store(settings.store.url)
        hotspots = store.hotspots(since=since)
        overrides = {key: value for key, value in (("min_days", min_days), ("min_span_days", min_span_days))
                     if value is not None}
        suggestions = suggest_static_sources(hotspots, config=StaticSourceConfig(**overrides))
        try:
            output.write_text(json.dumps(suggestions_geojson(suggestions), ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
        except OSError as exc:  # permission denied, disk full: say which file, never a traceback
            raise typer.BadParameter(f"cannot write {output}: {exc.strerror}", param_hint="--output") from exc
        for s in suggestions:
            typer.echo(f"{s.name}: {'; '.join(s.evidence)}")
        typer.echo(f"{len(suggestions)} static heat source(s) proposed from {len(hotspots)} hotspot(s) → {output}. "
                   "Review, then list the file under [masks] files to apply it.")
