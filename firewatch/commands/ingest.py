"""``firewatch ingest`` and ``firewatch watch``: run frames through the pipeline into the store."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Optional

import typer
from tqdm import tqdm

from firewatch.commands.common import CONFIG_HELP, DB_HELP, DEM_HELP, UNITS_HELP, config_with_overrides

_INGEST_HELP = (
    "Read → georeference → detect → fuse → store, for files or folders (recursively), in acquisition-time order.\n\n"
    "프레임 처리: 읽기 → 지리참조 → 화점 탐지 → 사건 융합 → 저장.\n\n"
    "Each file is processed once (identified by its content hash, so re-running is safe). Bad frames are "
    "quarantined with their reason (see `firewatch incidents` and the frames table) and the batch goes on. Alerts "
    "of confirmed incidents are written to the outbox; deliver them with `firewatch alerts deliver` or run "
    "`firewatch watch`.\n\n"
    "Examples:\n\n"
    "  firewatch ingest demo-out/frames --dem demo-out/dem.tif\n\n"
    "  firewatch ingest flight42/*.JPG --ground-elevation 120 --db sqlite:///ops.db\n\n"
    "  firewatch ingest archive/2026-04 --dem dem.tif --workers 2   (Dask, 2 processes)"
)

_WATCH_HELP = (
    "Run as a service: process frames as they land in DIR, deliver alerts, advance incident states.\n\n"
    "감시 모드: 폴더에 들어오는 프레임을 즉시 처리하고 경보를 전송합니다.\n\n"
    "Writers should put the sidecar JSON first, then move the frame in atomically (write NAME.tif.part, rename to "
    "NAME.tif). Partial and hidden files are ignored; a file is read once it has been unchanged for --settle "
    "seconds. A restart neither loses nor double-counts a frame. Bad frames go to DIR/quarantine/ with a "
    "NAME.reason.txt. One log line per frame. Stop with Ctrl-C (SIGINT) or SIGTERM.\n\n"
    "Example:\n\n"
    "  firewatch watch /srv/firewatch/inbox --dem dem.tif --db sqlite:///ops.db"
)


def _pipeline(config_path, db, dem, ground_elevation_m, units, ortho_dir=None):
    from firewatch.pipeline import Pipeline
    from firewatch.store import Store

    config = config_with_overrides(config_path, db=db, dem=dem, ground_elevation_m=ground_elevation_m)
    return Pipeline(config, Store(config.store.url), units=units, ortho_dir=ortho_dir)


ORTHO_HELP = ("Write an orthophoto (Cloud-Optimized GeoTIFF, kelvin) of every drone frame with hotspots into DIR; "
              "the map shows the latest one. Costs a full-frame georeferencing per such frame. 정사영상 폴더.")


# The options `ingest` and `watch` share (one definition, one help text).
_DEM = typer.Option(None, "--dem", help=DEM_HELP, exists=True, dir_okay=False)
_GROUND_ELEVATION = typer.Option(None, "--ground-elevation", metavar="M",
                                 help="Flat ground at M metres AMSL instead of a DEM.")
_DB = typer.Option(None, "--db", help=DB_HELP)
_CONFIG = typer.Option(None, "--config", help=CONFIG_HELP)
_UNITS = typer.Option("auto", "--units", help=UNITS_HELP)


def register(app: typer.Typer) -> None:
    """Add ``firewatch ingest`` and ``firewatch watch`` to the CLI."""

    @app.command("ingest", help=_INGEST_HELP)
    def ingest_command(
        inputs: list[Path] = typer.Argument(..., help="Frame files and/or folders.", exists=True),
        dem: Optional[Path] = _DEM,
        ground_elevation_m: Optional[float] = _GROUND_ELEVATION,
        db: Optional[str] = _DB,
        config: Optional[Path] = _CONFIG,
        units: str = _UNITS,
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
        workers: Optional[int] = typer.Option(
            None, "--workers", min=1, metavar="N",
            help="Analyse and commit frames on a local Dask cluster of N processes; results are identical to the "
                 "single-process run (commits stay in time order). 로컬 Dask 작업자 N개로 병렬 처리."),
        scheduler: Optional[str] = typer.Option(
            None, "--scheduler", metavar="tcp://HOST:PORT",
            help="Analyse and commit frames on an existing Dask cluster: its workers must see the same file paths "
                 "and the store (the same SQLite file, or PostgreSQL); start them with `dask worker tcp://HOST:PORT "
                 "--nthreads 2 --resources firewatch_analysis=1`. 기존 Dask 클러스터 주소 (작업자가 같은 파일과 "
                 "데이터베이스에 접근할 수 있어야 함)."),
        ortho: Optional[Path] = typer.Option(None, "--ortho", metavar="DIR", file_okay=False, help=ORTHO_HELP),
    ) -> None:
        from firewatch.pipeline import expand_inputs

        pipeline = _pipeline(config, db, dem, ground_elevation_m, units, ortho)
        files = expand_inputs(inputs)
        if not files:
            typer.echo("no frame files found (looked for .tif/.tiff/.jpg/.jpeg)", err=True)
            raise typer.Exit(1)
        counts = {"accepted": 0, "skipped": 0, "quarantined": 0}
        hotspots = 0
        if workers is not None and scheduler is not None:
            raise typer.BadParameter("give --workers or --scheduler, not both (둘 중 하나만 지정하세요)")
        batch = None
        if workers is not None or scheduler is not None:
            from firewatch.batch import analyse_distributed

            batch = analyse_distributed(pipeline, files, workers=workers, scheduler=scheduler)
        with tqdm(files, unit="frame", desc="ingest", disable=not progress) as bar:
            for path in bar:
                outcome = pipeline.process(path) if batch is None else next(batch)
                counts[outcome.status] += 1
                hotspots += outcome.hotspot_count
                if outcome.status != "accepted":
                    tqdm.write(outcome.line())
                for transition in outcome.transitions:
                    if transition.kind in ("confirmed", "escalated", "reignited"):
                        tqdm.write(f"incident {transition.incident_id} {transition.kind}: {transition.reason}")
        if batch is not None:
            batch.close()  # stops the local Dask cluster
        typer.echo(f"{counts['accepted']} accepted, {counts['skipped']} already processed, "
                   f"{counts['quarantined']} quarantined; {hotspots} hotspot(s). "
                   f"Store: {pipeline.store.display_url}. Next: `firewatch incidents`.")
        if counts["quarantined"]:
            raise typer.Exit(3)

    @app.command("watch", help=_WATCH_HELP)
    def watch_command(
        folder: Path = typer.Argument(..., help="Folder to watch (created if missing).", file_okay=False),
        dem: Optional[Path] = _DEM,
        ground_elevation_m: Optional[float] = _GROUND_ELEVATION,
        db: Optional[str] = _DB,
        config: Optional[Path] = _CONFIG,
        units: str = _UNITS,
        poll_s: float = typer.Option(0.25, "--poll", min=0.01, help="Seconds between folder scans."),
        settle_s: float = typer.Option(0.5, "--settle", min=0.0,
                                       help="Seconds a file must stay unchanged before it is read."),
        tick_s: float = typer.Option(30.0, "--tick", min=0.1,
                                     help="Seconds between incident-state updates (quiet, closed)."),
        deliver: bool = typer.Option(True, "--deliver/--no-deliver", help="Deliver alerts in this process."),
    ) -> None:
        from firewatch.watch import Watcher

        folder.mkdir(parents=True, exist_ok=True)
        pipeline = _pipeline(config, db, dem, ground_elevation_m, units)
        watcher = Watcher(pipeline, folder, poll_s=poll_s, settle_s=settle_s, tick_s=tick_s, deliver=deliver)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        logging.getLogger("firewatch").setLevel(logging.INFO)
        handled = watcher.run(stop)
        typer.echo(f"stopped after {handled} file(s)", err=True)
