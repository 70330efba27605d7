"""``firewatch demo`` and ``firewatch scenario``-independent demo run: the whole system on synthetic data."""

from __future__ import annotations

from pathlib import Path

import typer

_HELP = (
    "Generate the synthetic Bukhansan scenario, run every frame through the pipeline, deliver the alerts to a "
    "local signed-webhook receiver, score the incidents against the truth, then open the operations map.\n\n"
    "데모: 합성 시나리오 생성 → 전체 처리 → 경보 전송 → 정답 대비 평가 → 상황도 실행.\n\n"
    "Examples:\n\n"
    "  firewatch demo                       # outputs in ./demo-out, then the dashboard on :8501\n\n"
    "  firewatch demo --small --no-dashboard --out /tmp/fw   # a quick look, no server"
)


def register(app: typer.Typer) -> None:
    """Add ``firewatch demo`` to the CLI."""

    @app.command("demo", help=_HELP)
    def demo_command(
        out: Path = typer.Option(Path("demo-out"), "--out", file_okay=False, help="Folder for every output."),
        seed: int = typer.Option(7, "--seed", min=0, help="Scenario seed (same seed, same data)."),
        small: bool = typer.Option(False, "--small", help="Tiny scenario (seconds instead of a minute)."),
        dashboard: bool = typer.Option(True, "--dashboard/--no-dashboard",
                                       help="Start the operations map after the run (Ctrl-C stops it)."),
        port: int = typer.Option(8501, "--port", min=1, max=65535, help="Dashboard port on 127.0.0.1."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    ) -> None:
        from firewatch.demo import run_demo
        from firewatch.scenario import ScenarioConfig

        out.mkdir(parents=True, exist_ok=True)
        config = ScenarioConfig.small(seed=seed) if small else ScenarioConfig(seed=seed)
        report = run_demo(out, scenario_config=config, progress=progress)
        typer.echo(report.summary())
        if dashboard:
            from firewatch.commands.dashboard import dashboard as run_dashboard

            run_dashboard(db=report.db_url, port=port, config=report.config_path, headless=True, read_only=None)
