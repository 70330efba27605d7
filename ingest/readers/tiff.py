"""Radiometric TIFF / GeoTIFF (rasterio): one band of temperatures in °C, K or centikelvin.

The unit is decided by :mod:`ingest.readers.units` unless given; nodata and NaN become NaN. A GeoTIFF's CRS and
transform are kept so the frame is georeferenced in plan (rioxarray convention: ``x``/``y`` pixel-centre
coordinates, ``spatial_ref``). Claims files starting with a TIFF or BigTIFF header.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import numpy as np
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.io import MemoryFile

from ingest.errors import UnreadableFrame
from ingest.readers.config import ReaderConfig
from ingest.readers.registry import Reader
from ingest.readers.source import FrameMetadata, Radiometry, Source
from ingest.readers.units import to_kelvin

TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_FIX = "copy the file again or re-export it"


def claims(source: Source) -> bool:
    return source.data[:4] in TIFF_MAGIC


def _open(source: Source):
    memfile = MemoryFile(source.data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            dataset = memfile.open()
    except RasterioError as exc:
        memfile.close()
        raise UnreadableFrame(f"{source.path}: TIFF cannot be opened ({exc}); it is truncated or corrupt; "
                              f"{_FIX}") from exc
    return memfile, dataset


def _check_band(dataset, source: Source) -> None:
    if dataset.count != 1:
        raise UnreadableFrame(f"{source.path}: TIFF has {dataset.count} bands; a radiometric TIFF has one band "
                              "of temperatures (a 3-band image is a rendered palette, not temperatures)")
    dtype = np.dtype(dataset.dtypes[0])
    if dtype.kind not in "fiu" or dtype.itemsize < 2:
        raise UnreadableFrame(f"{source.path}: TIFF pixels are {dtype.name}; temperatures need at least 16 bits "
                              "(float32 °C/K or uint16/int32 centikelvin): an 8-bit image is a rendering")


def read_metadata(source: Source) -> FrameMetadata:
    memfile, dataset = _open(source)
    with memfile, dataset:
        _check_band(dataset, source)
        tags = dataset.tags()
        meta = FrameMetadata(format="tiff", width_px=dataset.width, height_px=dataset.height)
        stamp = tags.get("TIFFTAG_DATETIME")
        if stamp:
            try:
                meta.time = datetime.strptime(stamp.strip()[:19], "%Y:%m:%d %H:%M:%S").replace(tzinfo=timezone.utc)
                meta.time_source = "TIFF DateTime tag (zone not recorded: taken as UTC; a sidecar 'time' fixes it)"
            except ValueError:
                pass
        if dataset.crs is not None:
            meta.attrs["crs"] = dataset.crs.to_string()
        for key in ("TIFFTAG_SOFTWARE", "TIFFTAG_MAKE", "TIFFTAG_MODEL"):
            if tags.get(key):
                meta.attrs[key.removeprefix("TIFFTAG_").lower()] = tags[key]
    return meta


def read_radiometry(source: Source, metadata: FrameMetadata, *, units: str = "auto", units_source: str = "requested",
                    config: ReaderConfig) -> Radiometry:
    memfile, dataset = _open(source)
    with memfile, dataset:
        _check_band(dataset, source)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                band = dataset.read(1, masked=True)
        except RasterioError as exc:
            raise UnreadableFrame(f"{source.path}: TIFF pixel data cannot be read ({exc}); the file is truncated "
                                  f"or corrupt; {_FIX}") from exc
        integer = np.dtype(dataset.dtypes[0]).kind in "iu"
        # float32 kelvin/°C stays float32 (the frame's own type); integers and float64 go through float64
        values = band.astype(np.float32 if band.dtype == np.float32 else np.float64, copy=False).filled(np.nan)
        crs = dataset.crs
        transform = dataset.transform if crs is not None else None
    kelvin, decision = to_kelvin(values, units=units, integer_data=integer, path=source.path, config=config,
                                 units_source=units_source)
    return Radiometry(kelvin, decision, crs=crs, transform=transform)


READER = Reader(
    name="tiff",
    description="radiometric TIFF/GeoTIFF, one band of temperatures in °C, K or centikelvin",
    claims=claims,
    read_metadata=read_metadata,
    read_radiometry=read_radiometry,
)
