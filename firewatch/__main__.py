"""``python -m firewatch`` runs the CLI."""

from firewatch.cli import main

main()
