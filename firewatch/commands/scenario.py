"""``firewatch scenario``: generate the synthetic thermal scenario (thin shell over :mod:`firewatch.scenario`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from firewatch.model import format_time

HELP = (
    "Generate a synthetic wildfire scenario: terrain, thermal frames, sidecars and ground truth.\n\n"
    "합성 산불 시나리오 생성: 지형, 열화상 프레임, 메타데이터, 정답 자료.\n\n"
    "Writes into OUT: dem.tif (UTM 52N, 10 m cells, metres AMSL); frames/<source>/<NNNNNN>.tif (float32 kelvin, "
    "no georeferencing) each with a .tif.json sidecar (camera intrinsics in pixels, pose in degrees and metres AMSL, "
    "time in UTC); truth/fires.geojson, truth/false_targets.geojson, truth/cameras.geojson; scenario.json; and a "
    "demo firewatch.toml.\n\n"
    "The same --seed gives byte-identical files. The default scenario (46 frames of 640x512 from one drone at 110 m "
    "above ground and two towers 5-6 km away; three fires; sun-heated rocks, roofs and a solar field at 55-70 °C) "
    "takes about a minute of CPU; --small makes 6 frames of 160x128 in a few seconds.\n\n"
    "Examples:\n\n"
    "  firewatch scenario --out demo-out\n\n"
    "  firewatch scenario --out /tmp/tiny --seed 3 --small"
)


def scenario_command(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; an earlier scenario there is "
                                                        "replaced). 출력 폴더."),
    seed: int = typer.Option(7, "--seed", min=0,
                             help="Random seed: terrain noise, fire parameters, sensor noise. 난수 시드."),
    small: bool = typer.Option(False, "--small", help="Tiny scenario (6 frames of 160x128) for quick checks. "
                                                      "작은 시나리오."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar. 진행 표시 없음."),
) -> None:
    from firewatch.scenario import ScenarioConfig, generate_scenario

    config = ScenarioConfig.small(seed=seed) if small else ScenarioConfig(seed=seed)
    scenario = generate_scenario(out, config=config, progress=not quiet)
    counts = Counter(record.source_id for record in scenario.frames)
    first, last = scenario.frames[0].time, scenario.frames[-1].time
    typer.echo(f"Scenario written to {scenario.paths.out_dir} (seed {config.seed})")
    typer.echo(f"  시나리오 저장 위치: {scenario.paths.out_dir}")
    per_source = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    fires = ", ".join(f"{f.fire_id} ignites {format_time(f.ignition_time)}" for f in scenario.fires)
    targets = ", ".join(f"{t.target_id} ({t.kind}, {t.temperature_k - 273.15:.0f} °C)" for t in scenario.false_targets)
    typer.echo(f"  frames / 프레임: {len(scenario.frames)} ({per_source}), "
               f"{format_time(first)} .. {format_time(last)}")
    typer.echo(f"  fires / 산불: {fires}")
    typer.echo(f"  false targets / 오탐 유발 열원: {targets}")
    typer.echo(f"  DEM: {scenario.dem_path}")
    typer.echo(f"  frames: {scenario.frames_dir}")
    typer.echo(f"  truth: {scenario.truth_dir}")
    typer.echo(f"  config: {scenario.paths.config_toml}")


def register(app: typer.Typer) -> None:
    """Add ``scenario`` to the ``firewatch`` CLI."""
    app.command("scenario", help=HELP)(scenario_command)
