"""Audit (issue 7, operator commands on bad input): ``firewatch masks suggest -o`` into a folder that does not exist
is a usage error naming the path, before the store is read, never a FileNotFoundError traceback. Oracle: the path
given in the test; no file or folder may be created."""

from __future__ import annotations

from typer.testing import CliRunner

from firewatch.cli import app


def test_masks_suggest_into_a_missing_folder_is_a_usage_error(tmp_path):
    missing = tmp_path / "no-such-folder" / "masks.geojson"
    db = f"sqlite:///{tmp_path / 'fw.db'}"
    result = CliRunner().invoke(app, ["masks", "suggest", "--db", db, "-o", str(missing)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    flat = "".join(result.output.replace("│", "").split())  # undo the rich error box's line folding
    assert "doesnotexist" in flat and str(missing.parent).replace(" ", "") in flat
    assert not missing.parent.exists()
