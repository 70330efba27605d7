"""Thermal frame readers: one module per format behind one registry, chosen by file signature.

Public API::

    read_frame(path, *, units="auto", sidecar=None, source_kind=None, config=None) -> xarray.Dataset
    read_metadata(path, *, sidecar=None, source_kind=None) -> dict
    read_pose_camera(path, *, sidecar=None) -> (Pose | None, Camera | None, dict)
    detect_format(path) -> str

Formats: radiometric TIFF/GeoTIFF (:mod:`.tiff`), FLIR-format radiometric JPEG (:mod:`.flir`), DJI R-JPEG
(:mod:`.dji_rjpeg`, temperatures via the DJI Thermal SDK only), and a JSON sidecar for any of them
(:mod:`.sidecar`). Add a format with :func:`register`.
"""

from ingest.readers.config import ReaderConfig
from ingest.readers.frame import detect_format, read_frame, read_metadata, read_pose_camera
from ingest.readers.registry import Reader, readers, register

__all__ = ["Reader", "ReaderConfig", "detect_format", "read_frame", "read_metadata", "read_pose_camera",
           "readers", "register"]
