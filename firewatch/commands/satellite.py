"""``firewatch satellite``: NASA FIRMS detections (MODIS/VIIRS, CSV/JSON) into the store through fusion."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from firewatch.commands.common import CONFIG_HELP, DB_HELP, config_with_overrides

_HELP = (
    "Ingest NASA FIRMS satellite fire detections (VIIRS 375 m, MODIS 1 km; CSV or JSON as downloaded from "
    "https://firms.modaps.eosdis.nasa.gov) and fuse them with the drone and camera hotspots into incidents.\n\n"
    "위성 화점(NASA FIRMS, VIIRS/MODIS) 자료를 읽어 드론·카메라 화점과 함께 산불 사건으로 융합합니다.\n\n"
    "Each detection is one hotspot: its pixel footprint (scan × track km, e.g. 0.375 × 0.375 km for VIIRS at "
    "nadir), FRP in kW (FIRMS MW × 1000), brightness temperature in K, FIRMS confidence (l/n/h or 0–100 %), "
    "location uncertainty sqrt((scan² + track²)/12) (VIIRS nadir: 153 m). A satellite pass (satellite + acquisition "
    "date/time, UTC) is one look; passes are fused in time order, and a second pass or a second source (drone, "
    "tower camera) confirms an incident. FIRMS type 1 (volcano), 2 (static land source: steelworks, refineries) "
    "and 3 (offshore) detections, and detections inside accepted \\[masks] files, are stored masked and fused only "
    "with each other: they never create or confirm a vegetation-fire incident.\n\n"
    "형식은 파일 이름이 아니라 내용(CSV 머리글, JSON 키)으로 판별합니다. 잘못된 행은 줄 번호와 이유를 알리고 "
    "건너뜁니다(종료 코드 3). 같은 파일을 다시 넣어도 이미 저장된 패스는 건너뜁니다.\n\n"
    "The format is sniffed from the content (CSV header / JSON keys), not the file name. Malformed rows are "
    "reported by line (JSON: record number) and skipped; the rest ingests (exit status 3 when rows were skipped). "
    "Re-running a file skips the passes already stored.\n\n"
    "Examples:\n\n"
    "  firewatch satellite fire_archive_J1V-C2_618777.csv --db sqlite:///ops.db\n\n"
    "  firewatch satellite firms_korea_viirs.json firms_modis.csv --config firewatch.toml"
)


def register(app: typer.Typer) -> None:
    """Add ``firewatch satellite`` to the CLI."""

    @app.command("satellite", help=_HELP)
    def satellite_command(
        files: list[Path] = typer.Argument(..., help="FIRMS CSV or JSON files (MODIS or VIIRS).", exists=True,
                                           dir_okay=False),
        db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
        config: Optional[Path] = typer.Option(None, "--config", help=CONFIG_HELP),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar (per pass)."),
    ) -> None:
        from firewatch.satellite import ingest_firms
        from firewatch.store import Store

        settings = config_with_overrides(config, db=db)
        store = Store(settings.store.url)
        with tqdm(unit="pass", desc="satellite", disable=not progress) as bar:
            def on_pass(outcome) -> None:
                bar.update(1)
                for transition in outcome.transitions:
                    if transition.kind in ("confirmed", "escalated", "reignited"):
                        tqdm.write(f"incident {transition.incident_id} {transition.kind} ({outcome.pass_id}): "
                                   f"{transition.reason}")

            def on_start(total: int) -> None:
                bar.reset(total=total)

            report = ingest_firms(files, settings, store, on_start=on_start, on_pass=on_pass)
        for path, line, reason in report.skipped_rows:
            typer.echo(f"{path}:{line}: skipped: {reason}", err=True)
        accepted = [p for p in report.passes if p.status == "accepted"]
        skipped_passes = len(report.passes) - len(accepted)
        detections = sum(p.hotspot_count for p in accepted)
        masked = sum(p.masked_count for p in accepted)
        alerts = sum(p.alert_count for p in accepted)
        typer.echo(f"{len(accepted)} pass(es) ingested, {skipped_passes} already stored; {detections} detection(s) "
                   f"({masked} masked: static/offshore/volcano or accepted masks), {alerts} alert(s); "
                   f"{len(report.skipped_rows)} malformed row(s) skipped. Store: {store.display_url}. "
                   "Next: `firewatch incidents`.")
        if report.skipped_rows:
            raise typer.Exit(3)
