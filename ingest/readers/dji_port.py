"""DJI R-JPEG temperatures through ``dji-thermal-cli``, a pure-Python port of the DJI Thermal SDK v1.8.

The port (PyPI ``dji-thermal-cli`` ≥ 1.4.0, AGPL-3.0-only, Python ≥ 3.12, numpy + Pillow) reproduces the SDK's
``dirp_measure_ex`` bit for bit: on the 23 DJI frames of ``../shared/data/thermal/dji_tsdk_reference/`` (H20T, H20N,
M2EA, M30T, M3T, M4T, XT S; the output of DJI's own SDK v1.7 on Linux) the arrays are identical, max |Δ| = 0 K
(tests/unit/ingest/test_readers_dji_port.py). It is an optional extra (``pip install firewatch[dji]``): an
installation that includes it is covered by the AGPL (README, "Licences").

Measurement parameters are the ones stored in each file (distance, humidity, emissivity, reflected temperature),
exactly as the SDK applies them with no overrides — that is what the reference arrays are. The laser range finder's
distance is *not* substituted for the stored distance: nothing here shows it is the better value (the stored distance
is what the pilot set for the scene; the LRF measures one point at the image centre, and on nadir forest flights it
hits the canopy top at 60–80 m, where the atmospheric correction between 5 m and 80 m is a fraction of a kelvin at
30 °C — small against the ±2 °C / ±2 % accuracy DJI states — and no reference decode exists to check it against).
The parameters used are recorded in ``attrs["dji_measurement"]``.
"""

from __future__ import annotations

import struct
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from ingest.errors import UndecodableRadiometry, UnreadableFrame

#: The port's distribution name and the first version whose every camera path is exact (H20T, XT S, iirp, girp, hirp).
PORT_DISTRIBUTION = "dji-thermal-cli"
PORT_MIN_VERSION = (1, 4, 0)

_FIX = ("install the 'dji' extra on Python ≥ 3.12: `pip install 'firewatch[dji]'` (the Makefile does this when it "
        "finds Python 3.12 or newer), or configure DJI's own Thermal SDK (FIREWATCH_DJI_TSDK=/path/to/libdirp.so) / "
        "Python ≥ 3.12와 'dji' 추가 패키지를 설치하거나 DJI Thermal SDK를 지정하십시오")


def port_version() -> str | None:
    """The installed port's version string, or None when it is not installed."""
    try:
        return metadata.version(PORT_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def unavailable_reason() -> str | None:
    """Why the port cannot decode here (too old a Python, not installed, too old a version), or None when it can."""
    if sys.version_info < (3, 12):
        return (f"exact DJI decoding without DJI's SDK needs Python ≥ 3.12 (this is {sys.version.split()[0]}); "
                + _FIX)
    version = port_version()
    if version is None:
        return f"the DJI decoder {PORT_DISTRIBUTION} is not installed; " + _FIX
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    if parts < PORT_MIN_VERSION:
        return (f"{PORT_DISTRIBUTION} {version} is older than {'.'.join(map(str, PORT_MIN_VERSION))}, the first "
                f"exact on every DJI model; upgrade it: `pip install -U '{PORT_DISTRIBUTION}>=1.4'`")
    return None


def measure_celsius(data: bytes, path: Path) -> tuple[np.ndarray, dict]:
    """Temperatures of the R-JPEG held in ``data``: float32 °C (rows × cols) and the measurement parameters used.

    Raises :class:`UndecodableRadiometry` when the port is unavailable or does not know the file's format (a model or
    firmware it has no plugin for), :class:`UnreadableFrame` when the file is damaged (truncated, corrupt segments).
    """
    reason = unavailable_reason()
    if reason is not None:
        raise UndecodableRadiometry(f"{path}: {reason}")
    from dji_thermal_cli import tsdk

    try:
        rjpeg = tsdk.open(data)
        params = rjpeg.get_measurement_params()
        celsius = rjpeg.measure_temperature_c()
    except tsdk.UnsupportedRJpeg as exc:
        raise UndecodableRadiometry(
            f"{path}: a DJI R-JPEG format the DJI decoder ({PORT_DISTRIBUTION} {port_version()}) does not support "
            f"({exc}); upgrade it (`pip install -U {PORT_DISTRIBUTION}`), use DJI's Thermal SDK "
            "(FIREWATCH_DJI_TSDK), or convert the file with DJI Thermal Analysis Tool to a °C TIFF") from exc
    except (tsdk.TsdkError, ValueError, IndexError, KeyError, struct.error, OverflowError, ZeroDivisionError,
            EOFError, OSError) as exc:
        # The port's own refusals (TsdkError: not an R-JPEG, calibration refused) and what a damaged file raises
        # while its segments are sliced and unpacked (short buffers, bad lengths, bad JPEG data in Pillow).
        raise UnreadableFrame(f"{path}: DJI R-JPEG thermal data cannot be decoded ({type(exc).__name__}: {exc}); "
                              "the file is damaged or truncated: copy it again from the aircraft's card") from exc
    celsius = np.asarray(celsius, dtype=np.float32)
    # distance m, humidity %, emissivity 0-1, reflected and ambient temperature °C (the SDK's units)
    used = {name: value for name, value in params.as_dict().items() if np.isfinite(value)}
    return celsius, {"decoder": f"{PORT_DISTRIBUTION} {port_version()}", "plugin": type(rjpeg).__name__, **used}
