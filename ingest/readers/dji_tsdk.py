"""DJI Thermal SDK (``libdirp``) through ctypes: exact temperatures of DJI R-JPEGs.

The SDK is DJI's closed library (https://www.dji.com/downloads/softwares/dji-thermal-sdk); Firewatch does not ship
it. Calls follow its documented C API (``dirp_api.h``)::

    int32_t dirp_create_from_rjpeg(const uint8_t *data, int32_t size, DIRP_HANDLE *ph);
    int32_t dirp_get_rjpeg_resolution(DIRP_HANDLE h, dirp_resolution_t *resolution);   // {int32 width, height}
    int32_t dirp_measure_ex(DIRP_HANDLE h, float *temp_image, int32_t size);           // °C, size in bytes
    int32_t dirp_destroy(DIRP_HANDLE h);

Every call returns ``DIRP_SUCCESS`` (0) on success. The measurement parameters (distance, humidity, emissivity,
reflected temperature) are the ones stored in the file.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from ingest.errors import UndecodableRadiometry

DIRP_SUCCESS = 0


class _Resolution(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int32), ("height", ctypes.c_int32)]


def _load(library_path: str, path: Path) -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(library_path)
    except OSError as exc:
        raise UndecodableRadiometry(
            f"{path}: cannot load the DJI Thermal SDK library {library_path!r} ({exc}); set FIREWATCH_DJI_TSDK to "
            "the full path of libdirp.so (keep the SDK's other .so files and libv_list.ini beside it)") from exc
    try:
        lib.dirp_create_from_rjpeg.argtypes = [ctypes.POINTER(ctypes.c_uint8), ctypes.c_int32,
                                               ctypes.POINTER(ctypes.c_void_p)]
        lib.dirp_get_rjpeg_resolution.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Resolution)]
        lib.dirp_measure_ex.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int32]
        lib.dirp_destroy.argtypes = [ctypes.c_void_p]
    except AttributeError as exc:
        raise UndecodableRadiometry(
            f"{path}: {library_path!r} is not the DJI Thermal SDK (missing {exc.args[0] if exc.args else 'dirp_*'}); "
            "point FIREWATCH_DJI_TSDK at libdirp.so from the DJI Thermal SDK") from exc
    for name in ("dirp_create_from_rjpeg", "dirp_get_rjpeg_resolution", "dirp_measure_ex", "dirp_destroy"):
        getattr(lib, name).restype = ctypes.c_int32
    return lib


def measure_celsius(data: bytes, library_path: str, path: Path) -> np.ndarray:
    """Temperatures of the R-JPEG held in ``data`` in degrees Celsius, float32 (rows × cols), via the SDK."""
    lib = _load(library_path, path)
    buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    handle = ctypes.c_void_p()
    status = lib.dirp_create_from_rjpeg(buffer, len(data), ctypes.byref(handle))
    if status != DIRP_SUCCESS:
        raise UndecodableRadiometry(f"{path}: the DJI Thermal SDK refused the file (dirp_create_from_rjpeg "
                                    f"returned {status}): this camera model or firmware is not supported by it")
    try:
        resolution = _Resolution()
        status = lib.dirp_get_rjpeg_resolution(handle, ctypes.byref(resolution))
        if status != DIRP_SUCCESS or resolution.width <= 0 or resolution.height <= 0:
            raise UndecodableRadiometry(f"{path}: the DJI Thermal SDK gave no image size (status {status})")
        temperature_c = np.empty((resolution.height, resolution.width), dtype=np.float32)
        status = lib.dirp_measure_ex(handle, temperature_c.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                     temperature_c.nbytes)
        if status != DIRP_SUCCESS:
            raise UndecodableRadiometry(f"{path}: the DJI Thermal SDK could not measure temperatures "
                                        f"(dirp_measure_ex returned {status})")
    finally:
        lib.dirp_destroy(handle)
    return temperature_c
