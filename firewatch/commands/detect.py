"""``firewatch detect``: find hotspots in thermal frames and print them (GeoJSON or CSV), without the store."""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from pathlib import Path

import numpy as np
import typer

from firewatch.errors import FirewatchError
from firewatch.model import Hotspot, to_json

HELP = """Detect hotspots in thermal frames and print them; nothing is written to the store.

열화상 프레임에서 열점(화점)을 탐지해 출력합니다. 저장소에는 아무것도 쓰지 않습니다.

Each hotspot is an 8-connected cluster of pixels hotter than their surroundings (contextual test after MODIS/VIIRS).
Printed properties: row, col (pixel centroid, 0-based, row down), bbox_px (row_min col_min row_max col_max),
pixel_count, max_temp_c and background_temp_c (°C), area_m2 (m² on the ground), frp_kw (fire radiative power, kW;
frp_lower_bound when pixels are saturated), confidence (0–1) and confidence_class (low / nominal / high), frame_id,
time (UTC). With --dem (or --ground-elevation) and a pose in the file or its sidecar JSON, hotspots get lon/lat
(WGS 84), a GeoJSON Point geometry and a ground footprint; without, geometry is null and a warning is printed.

표시 항목: 픽셀 위치(행, 열), 최고/배경 온도(°C), 지상 면적(m²), 화재복사에너지 FRP(kW), 신뢰도(low/nominal/high).
DEM과 자세 정보가 있으면 위경도(WGS 84)와 지상 범위가 추가됩니다.

Examples / 예시:

  firewatch detect frame.tif --units C

  firewatch detect DJI_0001_R.JPG --dem dem.tif --format geojson > hotspots.geojson

  firewatch detect a.tif b.tif --format csv --mask labels.tif

  firewatch detect frame.tif --dem dem.tif --known-heat steelworks.geojson
"""


#: Columns of ``--format csv`` (the GeoJSON properties, same names; bbox_px as "row_min col_min row_max col_max").
CSV_FIELDS = ("hotspot_id", "frame_id", "source_id", "path", "time", "row", "col", "bbox_px", "pixel_count",
              "max_temp_c", "mean_temp_c", "background_temp_c", "saturated_fraction", "area_m2", "frp_kw",
              "frp_lower_bound", "confidence", "confidence_class", "lon", "lat", "elevation_m", "location_method",
              "location_uncertainty_m", "masked", "mask_name")


def register(app: typer.Typer) -> None:
    """Add the ``detect`` command to the Firewatch CLI."""
    app.command("detect", help=HELP)(detect_command)


def detect_command(
    frames: list[Path] = typer.Argument(..., exists=True, dir_okay=False,
                                        help="Thermal frames (radiometric TIFF, R-JPEG ...). 열화상 프레임 파일."),
    units: str = typer.Option("auto", "--units",
                              help="Unit of the file's values: C (°C), K (kelvin) or auto (decide from values). "
                                   "파일 값의 단위: C, K, auto."),
    dem: Path | None = typer.Option(None, "--dem", exists=True, dir_okay=False,
                                    help="DEM GeoTIFF (m above mean sea level) to georeference on. 수치표고모델."),
    ground_elevation: float | None = typer.Option(
        None, "--ground-elevation", help="Flat ground at this elevation, metres AMSL (instead of --dem). 평지 표고 (m)."),
    mask: Path | None = typer.Option(
        None, "--mask", dir_okay=False,
        help="Write cluster labels (uint32, 0 = none, k = k-th hotspot of the frame) as a GeoTIFF; with several "
             "frames, one file per frame named OUT_<frame>.tif. 클러스터 라벨 GeoTIFF 출력."),
    known_heat: Path | None = typer.Option(
        None, "--known-heat", exists=True, dir_okay=False,
        help="GeoJSON polygons (lon, lat) of known static heat sources: hotspots inside are marked masked. "
             "알려진 고정 열원(공장 등) 폴리곤."),
    output_format: str = typer.Option("geojson", "--format", help="geojson or csv. 출력 형식."),
) -> None:
    from detection import detect
    from detection.masks import StaticMasks
    from ingest.readers import read_frame

    if output_format not in ("geojson", "csv"):
        raise typer.BadParameter(f"--format must be geojson or csv, got {output_format!r} (geojson 또는 csv)")
    if units not in ("C", "K", "auto", "cK"):
        raise typer.BadParameter(f"--units must be C, K or auto, got {units!r} (단위는 C, K, auto 중 하나)")
    if dem is not None and ground_elevation is not None:
        raise typer.BadParameter("give at most one of --dem or --ground-elevation (둘 중 하나만 지정하세요)")
    terrain = None
    if dem is not None:
        from ingest.terrain import Terrain

        terrain = Terrain.from_geotiff(dem)
    static_masks = StaticMasks.from_geojson(known_heat) if known_heat is not None else None

    rows: list[tuple[Hotspot, dict]] = []
    failures = 0
    for path in frames:
        try:
            frame = read_frame(path, units=units)
            frame = _georeference(frame, path, terrain, ground_elevation)
            result = detect(frame, masks=static_masks)
        except FirewatchError as exc:
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
            failures += 1
            continue
        if mask is not None:
            _write_labels(result.labels, frame, _mask_path(mask, path, len(frames)))
        for hotspot in result.hotspots:
            rows.append((hotspot, {"path": str(path), "time": frame.attrs.get("time") or None}))
    typer.echo(_as_csv(rows) if output_format == "csv" else _as_geojson(rows), nl=False)
    if failures:
        raise typer.Exit(code=2)


def _georeference(frame, path: Path, terrain, ground_elevation: float | None):
    """The frame georeferenced when ground and a pose are available; else unchanged with a warning."""
    if terrain is None and ground_elevation is None:
        typer.secho(f"warning: {path}: no --dem or --ground-elevation: pixel positions only, geometry null "
                    "(DEM이 없어 픽셀 좌표만 출력합니다)", err=True, fg=typer.colors.YELLOW)
        return frame
    if not frame.attrs.get("pose") or not frame.attrs.get("camera"):
        typer.secho(f"warning: {path}: the frame has no pose/camera (no GPS and gimbal metadata, no sidecar JSON): "
                    "pixel positions only, geometry null (자세 정보가 없어 위치를 계산할 수 없습니다)",
                    err=True, fg=typer.colors.YELLOW)
        return frame
    from ingest.georef import georeference

    if terrain is not None:
        # Pixels the DEM does not cover stay unlocated (NaN) rather than failing the frame, as in the pipeline.
        frame = georeference(frame, terrain, partial_ok=True)
    else:
        frame = georeference(frame, ground_elevation_m=ground_elevation)
    georef = frame.attrs.get("georef")
    uncovered = float(georef.get("uncovered_fraction") or 0.0) if isinstance(georef, dict) else 0.0
    if uncovered > 0:
        typer.secho(f"warning: {path}: {uncovered:.0%} of the ground seen lies outside the DEM; hotspots there have "
                    "no lon/lat (DEM 범위 밖의 열점은 위치가 없습니다)", err=True, fg=typer.colors.YELLOW)
    return frame


def _mask_path(mask: Path, frame_path: Path, frame_count: int) -> Path:
    if frame_count == 1:
        return mask
    return mask.with_name(f"{mask.stem}_{frame_path.stem}{mask.suffix or '.tif'}")


def _write_labels(labels: np.ndarray, frame, out: Path) -> None:
    """Write (y, x) labels as a uint32 GeoTIFF, with the frame's CRS and transform when it has them."""
    import rasterio
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
    from rioxarray.exceptions import RioXarrayError

    profile = {"driver": "GTiff", "width": labels.shape[1], "height": labels.shape[0], "count": 1,
               "dtype": "uint32", "nodata": None, "compress": "deflate"}
    crs = frame.rio.crs
    if crs is not None:
        try:
            profile.update(crs=crs, transform=frame.rio.transform())
        except RioXarrayError:  # a CRS but no regular x/y grid: labels stay in pixel space
            pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # pixel-space labels are intended
            with rasterio.open(out, "w", **profile) as dst:
                dst.write(labels.astype(np.uint32), 1)
                dst.set_band_description(1, "hotspot cluster label (0 = none)")
    except RasterioIOError as exc:
        raise typer.BadParameter(f"--mask {out}: cannot write the GeoTIFF: {exc}") from exc


def _properties(hotspot: Hotspot, context: dict) -> dict:
    def celsius(kelvin: float) -> float | None:
        return round(kelvin - 273.15, 2) if math.isfinite(kelvin) else None

    return {
        "hotspot_id": hotspot.hotspot_id, "frame_id": hotspot.frame_id, "source_id": hotspot.source_id,
        "path": context["path"], "time": context["time"], "row": round(hotspot.row, 3), "col": round(hotspot.col, 3),
        "bbox_px": list(hotspot.bbox_px), "pixel_count": hotspot.pixel_count,
        "max_temp_c": celsius(hotspot.max_temp_k), "mean_temp_c": celsius(hotspot.mean_temp_k),
        "background_temp_c": celsius(hotspot.background_temp_k),
        "saturated_fraction": round(hotspot.saturated_fraction, 4),
        "area_m2": None if hotspot.area_m2 is None else round(hotspot.area_m2, 3),
        "frp_kw": None if hotspot.frp_kw is None else round(hotspot.frp_kw, 3),
        "frp_lower_bound": hotspot.frp_lower_bound, "confidence": hotspot.confidence,
        "confidence_class": hotspot.confidence_class, "lon": hotspot.lon, "lat": hotspot.lat,
        "elevation_m": hotspot.elevation_m, "location_method": hotspot.location_method,
        "location_uncertainty_m": hotspot.location_uncertainty_m, "masked": hotspot.masked,
        "mask_name": hotspot.mask_name,
    }


def _as_geojson(rows: list[tuple[Hotspot, dict]]) -> str:
    features = []
    for hotspot, context in rows:
        properties = _properties(hotspot, context)
        properties["footprint"] = hotspot.footprint
        geometry = {"type": "Point", "coordinates": [hotspot.lon, hotspot.lat]} if hotspot.is_located else None
        features.append({"type": "Feature", "id": hotspot.hotspot_id, "geometry": geometry,
                         "properties": properties})
    return json.dumps(json.loads(to_json({"type": "FeatureCollection", "features": features})),
                      ensure_ascii=False, indent=1) + "\n"


def _as_csv(rows: list[tuple[Hotspot, dict]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for hotspot, context in rows:
        properties = _properties(hotspot, context)
        properties["bbox_px"] = " ".join(str(v) for v in properties["bbox_px"])
        writer.writerow({k: "" if v is None else v for k, v in properties.items()})
    return buffer.getvalue()
