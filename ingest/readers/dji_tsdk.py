"""DJI Thermal SDK (``libdirp``) through ctypes: exact temperatures of DJI R-JPEGs.

The SDK is DJI's closed library (https://www.dji.com/downloads/softwares/dji-thermal-sdk); Firewatch does not ship
it. Calls follow its documented C API (``dirp_api.h``)::

    int32_t dirp_create_from_rjpeg(const uint8_t *data, int32_t size, DIRP_HANDLE *ph);
    int32_t dirp_get_rjpeg_resolution(DIRP_HANDLE h, dirp_resolution_t *resolution);   // {int32 width, height}
    int32_t dirp_measure_ex(DIRP_HANDLE h, float *temp_image, int32_t size);           // °C, size in bytes
    int32_t dirp_destroy(DIRP_HANDLE h);

Every call returns ``DIRP_SUCCESS`` (0) on success. The measurement parameters (distance, humidity, emissivity,
reflected temperature) are the ones stored in the file.

From any working directory: the SDK's ``libdirp`` loads its camera plug-ins (``libv_dirp.so``, ``libv_iirp.so`` …,
listed in ``libv_list.ini``) by bare name, which only works when the process runs inside the SDK folder with
``LD_LIBRARY_PATH`` set. So the SDK's own libraries are loaded first from the folder of the configured ``libdirp``
(``RTLD_GLOBAL``, so the plug-ins' names resolve to them), and each decode runs with that folder as the working
directory (under a lock: the working directory is per process). DJI's SDK is closed and not available on the
machines Firewatch is tested on, so this path is exercised only up to loading (tests/unit/ingest/test_readers_dji.py);
the pure-Python port (:mod:`ingest.readers.dji_port`) is the tested decoder.
"""

from __future__ import annotations

import ctypes
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ingest.errors import UndecodableRadiometry

DIRP_SUCCESS = 0
_CWD_LOCK = threading.Lock()


class _Resolution(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int32), ("height", ctypes.c_int32)]


@contextmanager
def _inside(folder: Path):
    """Run with ``folder`` as the working directory (where libdirp looks for ``libv_list.ini``), then restore it."""
    with _CWD_LOCK:
        before = os.getcwd()
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(before)


def _load(library_path: str, path: Path) -> ctypes.CDLL:
    folder = Path(library_path).resolve().parent
    for companion in sorted(folder.glob("lib*.so*")):
        if companion.name != Path(library_path).name:
            try:  # the SDK's own plug-ins and helpers, so libdirp's bare-name loads find them
                ctypes.CDLL(str(companion), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                pass  # not every file there is loadable on its own; libdirp reports what it misses
    try:
        lib = ctypes.CDLL(library_path, mode=ctypes.RTLD_GLOBAL)
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
    with _inside(Path(library_path).resolve().parent):
        return _measure(lib, data, path)


def _measure(lib: ctypes.CDLL, data: bytes, path: Path) -> np.ndarray:
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
