"""``firewatch detect-large``: hotspots of a GeoTIFF/COG larger than memory, in chunks (detection.chunked)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

HELP = (
    'Detect hotspots in a large thermal orthomosaic (GeoTIFF / COG, e.g. 20,000 × 20,000 px) in chunks.\n\n'
    '대용량 열화상 정사영상(GeoTIFF/COG)에서 메모리보다 큰 영상도 타일 단위로 열점을 탐지합니다.\n\n'
    'The raster is read in CHUNK × CHUNK pixel tiles with a 15 px halo (the largest background window), so '
    'the result is identical to detecting on the whole image at once, with memory bounded by a few tiles (a '
    '1.6 GB float32 20,000² raster: 0.46 GB peak measured). Values are temperatures in --units (K or C); '
    'nodata pixels are ignored. A projected CRS (metres, e.g. EPSG:5186 or UTM) gives hotspots lon/lat (WGS '
    '84), footprints, areas (m²) and FRP (kW); a raster without CRS gives pixel positions only. Output: '
    'GeoJSON FeatureCollection (same properties as `firewatch detect`).\n\n'
    '결과는 전체 영상을 한 번에 처리한 것과 같습니다. 온도 단위(--units K/C), 투영 좌표계(미터)가 필요합니다.\n\n'
    'Examples / 예시:\n\n'
    '  firewatch detect-large valley_ortho.tif -o hotspots.geojson\n\n'
    '  firewatch detect-large ortho_celsius.tif --units C --time 2026-04-05T04:00:00Z --chunk 4096 -o out.geojson\n'
)


def register(app: typer.Typer) -> None:
    """Add ``firewatch detect-large`` to the CLI."""
    app.command("detect-large", help=HELP)(detect_large_command)


def detect_large_command(
    raster: Path = typer.Argument(..., exists=True, dir_okay=False, help="GeoTIFF/COG of temperatures. 온도 영상."),
    output: Path = typer.Option(..., "-o", "--output", dir_okay=False,
                                help="GeoJSON file to write (lon, lat). 출력 GeoJSON 파일."),
    units: str = typer.Option("K", "--units", help="Unit of the raster values: K or C. 값의 단위 (K 또는 C)."),
    chunk_px: int = typer.Option(2048, "--chunk", min=64, metavar="PX",
                                 help="Tile side in pixels (2048 = 16 MiB float32 per tile). 타일 크기(픽셀)."),
    time: Optional[str] = typer.Option(None, "--time", metavar="ISO8601",
                                       help="Acquisition time (UTC) given to the hotspots. 촬영 시각 (UTC)."),
) -> None:
    from detection.chunked import detect_large
    from firewatch.commands.detect import _as_geojson

    result = detect_large(raster, units=units, chunk_px=chunk_px, time=time)
    context = {"path": str(raster), "time": time}
    output.write_text(_as_geojson([(hotspot, context) for hotspot in result.hotspots]), encoding="utf-8")
    stats = result.stats
    typer.echo(f"{len(result.hotspots)} hotspot(s) ({stats['rejected_plateau_count']} sun-heated surface(s) "
               f"rejected) in {stats['shape'][0]}×{stats['shape'][1]} px, {stats['chunk_count']} tile(s), "
               f"{stats['timings_s']['total']:.1f} s → {output}  / 열점 {len(result.hotspots)}개")
