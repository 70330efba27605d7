"""Audit (issue 2, CLI bad input): ``firewatch georef --out`` into a folder that does not exist is a clear usage
error naming the path, not a rasterio CPLE_OpenFailedError traceback. Oracle: the path given in the test."""

from __future__ import annotations

import json

import numpy as np
import rasterio
from typer.testing import CliRunner

from firewatch.cli import app


def test_out_into_a_missing_folder_is_a_usage_error(tmp_path):
    frame = tmp_path / "frame.tif"
    with rasterio.open(frame, "w", driver="GTiff", width=16, height=12, count=1, dtype="float32") as dst:
        dst.write(np.full((12, 16), 290.0, np.float32), 1)
    (tmp_path / "frame.json").write_text(json.dumps({
        "source_id": "drone-1", "source_kind": "drone", "time": "2026-04-05T03:00:00Z", "units": "K",
        "camera": {"model": "test", "width_px": 16, "height_px": 12, "fx_px": 20.0, "fy_px": 20.0},
        "pose": {"lat_deg": 37.66, "lon_deg": 126.98, "alt_amsl_m": 200.0, "yaw_deg": 0.0, "pitch_deg": -90.0,
                 "roll_deg": 0.0}}))
    missing = tmp_path / "no-such-folder" / "ortho.tif"
    result = CliRunner().invoke(app, ["georef", str(frame), "--ground-elevation", "100", "--out", str(missing)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    flat = "".join(result.output.replace("│", "").split())  # undo the rich error box's line folding
    assert "doesnotexist" in flat and str(missing.parent).replace(" ", "") in flat
    assert not missing.parent.exists()
