"""Saturation: pixels at the sensor's radiometric ceiling, whose true temperature is higher.

Either the ceiling is stated (sidecar ``saturation_k``/``saturation_c``, or the file's own calibration, e.g. FLIR
CameraInfo "Camera Temperature Max Saturated") and a pixel within ``saturation_tolerance_k`` of it is saturated;
or no ceiling is known and a *plateau* reveals it: at least ``plateau_min_pixels`` pixels hotter than
``plateau_min_k`` sharing exactly the frame maximum (a clipped sensor pins every over-range pixel to one value).
"""

from __future__ import annotations

import numpy as np

from ingest.readers.config import ReaderConfig


def saturation_mask(temperature_k: np.ndarray, *, ceiling_k: float | None, ceiling_source: str,
                    config: ReaderConfig) -> tuple[np.ndarray, str, float | None]:
    """``(mask, decision sentence, ceiling in K or None)`` for a float32 kelvin raster (rows × cols)."""
    if ceiling_k is not None:
        with np.errstate(invalid="ignore"):
            mask = temperature_k >= ceiling_k - config.saturation_tolerance_k
        return mask, (f"saturated where T >= {ceiling_k:.2f} K ({ceiling_k - 273.15:.2f} °C) − "
                      f"{config.saturation_tolerance_k} K, the ceiling stated by {ceiling_source}; "
                      f"{int(mask.sum())} pixel(s)"), ceiling_k
    if not np.isfinite(temperature_k).any():
        return np.zeros(temperature_k.shape, bool), "no finite temperatures: nothing saturated", None
    top = temperature_k.dtype.type(np.nanmax(temperature_k))
    if top > config.plateau_min_k:
        mask = temperature_k == top
        count = int(mask.sum())
        if count >= config.plateau_min_pixels:
            return mask, (f"no ceiling stated; saturation plateau detected: {count} pixels share exactly the frame "
                          f"maximum {float(top):.2f} K ({float(top) - 273.15:.2f} °C), above "
                          f"{config.plateau_min_k:.2f} K: flagged saturated (true temperatures are higher)"), \
                float(top)
    return np.zeros(temperature_k.shape, bool), ("no ceiling stated and no saturation plateau (fewer than "
                                                 f"{config.plateau_min_pixels} pixels above {config.plateau_min_k:.2f}"
                                                 " K at exactly the frame maximum): nothing flagged"), None
