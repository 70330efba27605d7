"""Scene statistics from a strided subsample and the candidate test.

This is the whole cost of a fire-free frame (DESIGN.md §4 "Cost"): a median and a MAD over every n-th row and column,
one NaN-ignoring maximum over the frame (cheaper than a comparison pass: it writes no mask) and a check of the
saturation mask; the comparison itself runs only when something is hotter than the threshold. Plausibility is checked
on the way: the scene median (°C passed as kelvin, raw counts), the frame maximum (absurdly hot), and negative kelvin
on the subsample and — by the detector — on every pixel a background window reads; an isolated negative pixel far
from every candidate cannot change a detection and costs no extra pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from detection.config import DetectorConfig
from detection.errors import InvalidFrame

#: Scale from the median absolute deviation to the standard deviation of a normal distribution.
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class SceneStats:
    """Robust scene level of one frame (kelvin), from the strided subsample.

    ``median_k`` and ``mad_k`` (median absolute deviation) are NaN when the subsample held no valid pixel.
    ``threshold_k`` is the candidate threshold actually applied (≤ the certain-fire temperature).
    """

    median_k: float
    mad_k: float
    threshold_k: float
    sample_count: int


def frame_arrays(frame: xr.Dataset) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The frame's ``temperature`` (float32 K, shape (y, x)), ``saturated`` (bool or None) and a name for messages.

    Raises :class:`InvalidFrame` when the frame is not a Dataset with a 2-D ``(y, x)`` temperature in kelvin.
    """
    if not isinstance(frame, xr.Dataset):
        raise InvalidFrame(f"detect: expected an xarray.Dataset frame, got {type(frame).__name__}; build one with "
                           "firewatch.model.make_frame or ingest.readers.read_frame")
    name = str(frame.attrs.get("path") or frame.attrs.get("frame_id") or "<frame>")
    variables = frame.variables
    if "temperature" not in variables:
        raise InvalidFrame(f"{name}: frame has no 'temperature' variable (has {sorted(frame.data_vars)}); "
                           "readers must provide temperature in kelvin")
    temperature = variables["temperature"]
    if temperature.dims != ("y", "x"):
        raise InvalidFrame(f"{name}: temperature dims are {temperature.dims}, expected ('y', 'x')")
    units = str(temperature.attrs.get("units", "K")).strip()
    if units not in ("K", "kelvin", "Kelvin"):
        raise InvalidFrame(f"{name}: temperature units are {units!r}; the detector needs kelvin — convert at the "
                           "reader (read_frame(..., units=...)) so attrs['units'] == 'K'")
    values = temperature.values
    if values.size == 0:
        raise InvalidFrame(f"{name}: frame is empty (shape {values.shape}); a thermal frame needs pixels")
    if values.dtype != np.float32:
        values = values.astype(np.float32)
    saturated = None
    if "saturated" in variables:
        saturated = variables["saturated"].values
        if saturated.shape != values.shape:
            raise InvalidFrame(f"{name}: saturated mask shape {saturated.shape} differs from temperature "
                               f"{values.shape}")
        if saturated.dtype != np.bool_:
            saturated = saturated.astype(bool)
    return values, saturated, name


def scene_stats(temperature_k: np.ndarray, config: DetectorConfig, name: str) -> SceneStats:
    """Median and MAD of every ``scene_stride_px``-th pixel, with the unit and plausibility checks.

    Raises :class:`InvalidFrame` when the scene median is below ``min_scene_median_k`` (°C passed as kelvin) or a
    sampled value is above ``max_plausible_k`` (raw counts).
    """
    stride = config.scene_stride_px
    sample = temperature_k[::stride, ::stride].ravel()
    nan = np.isnan(sample)
    if nan.any():
        sample = sample[~nan]
        if sample.size == 0:  # sparse valid pixels missed by the stride: fall back to all of them
            sample = temperature_k[~np.isnan(temperature_k)]
    n = sample.size
    if n == 0:
        return SceneStats(float("nan"), float("nan"), config.certain_fire_k, 0)
    check_not_negative(sample, name)
    median = float(np.partition(sample, n // 2)[n // 2])
    mad = float(np.partition(np.abs(sample - np.float32(median)), n // 2)[n // 2])
    if median < config.min_scene_median_k:
        raise InvalidFrame(
            f"{name}: scene median {median:.1f} K is below {config.min_scene_median_k:.0f} K — looks like °C (or °F) "
            "values labelled kelvin; read the frame with units='C' (or convert: K = °C + 273.15)")
    if median > config.max_plausible_k:
        raise InvalidFrame(
            f"{name}: scene median {median:.0f} K is above {config.max_plausible_k:.0f} K — looks like raw sensor "
            "counts or centikelvin, not temperatures; decode radiometry at the reader")
    excess = max(config.scene_k_sigma * MAD_TO_SIGMA * mad, config.scene_min_excess_k)
    threshold = min(median + excess, config.certain_fire_k)
    return SceneStats(median, mad, threshold, n)


def candidate_mask(temperature_k: np.ndarray, saturated: np.ndarray | None, stats: SceneStats,
                   config: DetectorConfig, name: str) -> np.ndarray | None:
    """Boolean (y, x) mask of candidates (T > threshold, or saturated), or None when there is none.

    One NaN-ignoring maximum decides a fire-free frame (cheaper than the comparison: no output array); the
    comparison runs only when something is hotter than the threshold. Raises :class:`InvalidFrame` when the hottest
    pixel is above ``max_plausible_k``.
    """
    hottest = float(np.fmax.reduce(temperature_k, axis=None))
    if hottest > config.max_plausible_k:
        row, col = np.argwhere(temperature_k == np.float32(hottest))[0]
        raise InvalidFrame(f"{name}: temperature {hottest:.4g} K at pixel (row {row}, col {col}) is above "
                           f"{config.max_plausible_k:.0f} K — not a temperature (raw counts or a decode error)")
    any_saturated = saturated is not None and bool(saturated.any())
    if not hottest > stats.threshold_k and not any_saturated:
        return None
    mask = temperature_k > np.float32(stats.threshold_k)
    if any_saturated:
        mask |= saturated
    return mask


def check_not_negative(temperature_k: np.ndarray, name: str) -> None:
    """Raise :class:`InvalidFrame` when any (non-NaN) value of the array is below 0 K."""
    coldest = float(np.fmin.reduce(temperature_k, axis=None)) if temperature_k.size else float("nan")
    if coldest < 0:
        raise InvalidFrame(f"{name}: temperature {coldest:.1f} K is negative — impossible in kelvin; the reader "
                           "mislabelled the unit or the radiometric decode is wrong")
