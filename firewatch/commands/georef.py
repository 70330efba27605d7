"""``firewatch georef``: where on the ground does a pixel look, and (optionally) write the frame's orthophoto."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from ingest.errors import MissingMetadata, TerrainError

HELP = """Georeference one pixel of a thermal frame on a DEM or on flat ground; optionally write an orthophoto.

열화상 프레임의 픽셀이 지상의 어디를 보는지 계산합니다 (DEM 또는 평지). 선택적으로 정사영상(COG)을 씁니다.

Prints JSON {"row", "col", "lat", "lon" (WGS 84 degrees), "elevation_m" (m above mean sea level), \
"range_m" (slant metres from the camera)} for --pixel ROW COL (default: the image centre, where DJI's laser \
range finder points). Pose and camera come from the file's metadata (DJI XMP / EXIF) or a sidecar JSON \
<frame>.json. A pixel that sees the sky prints a message and exits with status 1.

Examples / 예시:

  firewatch georef H20N_DJI_0006_R.JPG --ground-elevation 47

  firewatch georef frame.tif --dem dem.tif --pixel 100 320

  firewatch georef frame.tif --dem dem.tif --out ortho.tif --resolution-m 0.5
"""


def register(app: typer.Typer) -> None:
    """Add the ``georef`` command to the Firewatch CLI."""
    app.command("georef", help=HELP)(georef_command)


def georef_command(
    frame: Path = typer.Argument(..., exists=True, dir_okay=False,
                                 help="Thermal frame (R-JPEG, radiometric TIFF ...). 열화상 프레임 파일."),
    dem: Path | None = typer.Option(None, "--dem", exists=True, dir_okay=False,
                                    help="DEM GeoTIFF, elevations in metres AMSL, any CRS. 수치표고모델 (m, 해발)."),
    ground_elevation: float | None = typer.Option(
        None, "--ground-elevation", help="Flat ground at this elevation, metres AMSL (instead of --dem). 평지 표고 (m)."),
    pixel: tuple[int, int] | None = typer.Option(
        None, "--pixel", help="ROW COL of the pixel (0-based, row down). Default: image centre. 픽셀 (행 열)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the orthorectified temperatures (K) as a Cloud-Optimized GeoTIFF. 정사영상 출력."),
    resolution_m: float | None = typer.Option(
        None, "--resolution-m", help="Orthophoto cell size in metres (default: median pixel footprint). 해상도 (m)."),
) -> None:
    from ingest.georef import camera_pose_of, georeference, pixel_to_ground
    from ingest.georef_config import GeorefConfig
    from ingest.ortho import orthorectify
    from ingest.readers import read_frame, read_pose_camera
    from ingest.terrain import Terrain

    if (dem is None) == (ground_elevation is None):
        raise typer.BadParameter("give exactly one of --dem DEM.tif or --ground-elevation M "
                                 "(--dem 또는 --ground-elevation 중 하나만 지정하세요)")
    if out is not None and not (out.parent.is_dir() and os.access(out.parent, os.W_OK)):
        raise typer.BadParameter(f"--out {out}: folder {out.parent} does not exist or is not writable; create it "
                                 "or choose another path (출력 폴더가 없거나 쓸 수 없습니다)")
    terrain = Terrain.from_geotiff(dem) if dem is not None else Terrain.flat(ground_elevation)
    frame_data = None
    if out is not None:
        frame_data = read_frame(frame)
        camera, pose = camera_pose_of(frame_data)
    else:
        pose, camera, _ = read_pose_camera(frame)
        if pose is None or camera is None:
            missing = "pose" if pose is None else "camera intrinsics"
            raise MissingMetadata(f"{frame}: no {missing} in the file's metadata; supply a sidecar JSON "
                                  f"{frame.with_suffix('.json').name} with a \"pose\" and a \"camera\" object")
    if pixel is None or pixel[0] is None:
        row, col = (camera.height_px - 1) / 2.0, (camera.width_px - 1) / 2.0
    else:
        row, col = float(pixel[0]), float(pixel[1])
        if not (0 <= row < camera.height_px and 0 <= col < camera.width_px):
            raise typer.BadParameter(f"pixel ({int(row)}, {int(col)}) is outside the {camera.width_px}×"
                                     f"{camera.height_px} image (픽셀이 영상 밖에 있습니다)")
    config = GeorefConfig()
    hits = pixel_to_ground(camera, pose, row, col, terrain, max_range_m=config.max_range_m,
                           refraction_k=config.refraction_k)
    if hits.uncovered:
        bounds = ", ".join(f"{v:.5f}" for v in terrain.bounds_lonlat())
        raise TerrainError(f"DEM {terrain.source} does not cover frame {frame}: the ray of pixel ({row:g}, {col:g}) "
                           f"leaves the DEM (west, south, east, north = {bounds}) before meeting the ground; use a "
                           "larger DEM or --ground-elevation M (DEM 범위 밖)")
    if not hits.hit:
        typer.secho(f"pixel ({row:g}, {col:g}) sees the sky: its ray meets no ground within "
                    f"{config.max_range_m / 1000:g} km "
                    f"(픽셀 ({row:g}, {col:g})은(는) 하늘을 봅니다)", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(1)
    result = {"row": row, "col": col, "lat": round(float(hits.lat_deg), 8), "lon": round(float(hits.lon_deg), 8),
              "elevation_m": round(float(hits.elevation_m), 3), "range_m": round(float(hits.range_m), 3)}
    if out is not None:
        georeferenced = georeference(frame_data, terrain, **config.georeference_kwargs())
        result["ortho"] = str(orthorectify(georeferenced, out, resolution_m=resolution_m))
    typer.echo(json.dumps(result))
