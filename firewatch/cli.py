"""The ``firewatch`` command line: a thin shell over library functions.

Each command lives in its own module under :mod:`firewatch.commands` and registers itself on :data:`app`.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from firewatch.errors import FirewatchError

app = typer.Typer(
    name="firewatch",
    help=(
        "Firewatch: wildfire monitoring from thermal drones and fixed thermal cameras.\n\n"
        "산불 감시: 열화상 드론과 고정식 열화상 카메라로 산불을 탐지합니다.\n\n"
        "Typical flow: `firewatch scenario --out DIR` (synthetic data) → `firewatch ingest DIR` "
        "(read, georeference, detect, fuse, store) → `firewatch incidents` → `firewatch dashboard`. "
        "`firewatch demo` does all of it."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: Command modules, each with a ``register(app)`` function. Order is the order of ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "firewatch.commands.demo",
    "firewatch.commands.scenario",
    "firewatch.commands.ingest",
    "firewatch.commands.georef",
    "firewatch.commands.dashboard",
    "firewatch.commands.incidents",
    "firewatch.commands.detect",
    "firewatch.commands.alerts",
    "firewatch.commands.plan",
    "firewatch.commands.upload",
    "firewatch.commands.satellite",
    "firewatch.commands.masks",
    "firewatch.commands.detect_large",
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages to stderr.")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # httpx logs every request at INFO; the alert worker already logs each delivery with its outcome.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console-script entry point: FirewatchError becomes a one-line message and exit status 2."""
    try:
        app()
    except FirewatchError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise SystemExit(2) from None
