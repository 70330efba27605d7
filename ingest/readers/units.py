"""Deciding the unit of a temperature raster that does not state it, and converting to kelvin.

Rules for ``units="auto"`` (median of a strided subsample of the finite values; the ranges are those of Earth
surface scenes, whose bulk lies between about −60 °C and +80 °C even when a fire is in view):

* float data, median in [−60, 80] → degrees Celsius;
* median in [200, 350] → kelvin (200 K = −73 °C, 350 K = 77 °C);
* integer data (or float holding whole numbers) with median in [20000, 40000] → centikelvin (DJI/FLIR integer
  exports store K × 100 in uint16/int32);
* anything else is ambiguous → :class:`UnitsError` asking for ``--units``.

Whatever the unit, the result must be physically plausible (:class:`ReaderConfig` ``plausible_min_k`` /
``plausible_max_k``), else :class:`UnitsError` names the file and the offending values.
"""

from __future__ import annotations

import numpy as np

from ingest.errors import UnitsError
from ingest.readers.config import ReaderConfig

UNITS = ("auto", "K", "C", "cK")
_OFFSET_C_TO_K = 273.15
_CELSIUS_RANGE = (-60.0, 80.0)
_KELVIN_RANGE = (200.0, 350.0)
_CENTIKELVIN_RANGE = (20000.0, 40000.0)
#: Stride of the subsample the median is taken from: 1/16 of a 640×512 frame is still 20 480 values.
_STRIDE = 4
_FIX = "pass the unit explicitly (--units C|K|cK, or \"units\" in the sidecar JSON)"


def check_units_name(units: str, where: str) -> str:
    """Validate a unit name; :class:`UnitsError` naming ``where`` when it is not one of :data:`UNITS`."""
    if units not in UNITS:
        raise UnitsError(f"{where}: unknown unit {units!r}; use one of {', '.join(UNITS)}")
    return units


def to_kelvin(values: np.ndarray, *, units: str, integer_data: bool, path, config: ReaderConfig,
              units_source: str = "requested") -> tuple[np.ndarray, str]:
    """Convert ``values`` (2-D float32 or float64, NaN where no data) to float32 kelvin; return it and a decision
    sentence. Arithmetic (°C → K, cK → K) is done in float64 and rounded to float32 once."""
    check_units_name(units, str(path))
    if not np.isfinite(values).any():
        raise UnitsError(f"{path}: every pixel is NaN or nodata: the file holds no temperatures")
    if units == "auto":
        units, decision = _decide(values, integer_data, path)
    else:
        decision = f"unit {units} {units_source}"
    if units == "C":
        kelvin = values.astype(np.float64) + _OFFSET_C_TO_K
    elif units == "cK":
        kelvin = values.astype(np.float64) / 100.0
    else:
        kelvin = values
    _check_plausible(kelvin, units, path, config)
    return kelvin.astype(np.float32, copy=False), decision


def _decide(values: np.ndarray, integer_data: bool, path) -> tuple[str, str]:
    sample = values[::_STRIDE, ::_STRIDE]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        sample = values[np.isfinite(values)]
    median = float(np.median(sample))
    whole = integer_data or bool(np.all(sample == np.round(sample)))
    kind = "integer" if integer_data else "float"
    if whole and _CENTIKELVIN_RANGE[0] <= median <= _CENTIKELVIN_RANGE[1]:
        return "cK", (f"auto: {kind} values with median {median:.0f} in {_CENTIKELVIN_RANGE[0]:.0f}–"
                      f"{_CENTIKELVIN_RANGE[1]:.0f} read as centikelvin (K × 100)")
    if _KELVIN_RANGE[0] <= median <= _KELVIN_RANGE[1]:
        return "K", (f"auto: {kind} values with median {median:.2f} in {_KELVIN_RANGE[0]:.0f}–"
                     f"{_KELVIN_RANGE[1]:.0f} read as kelvin")
    if not integer_data and _CELSIUS_RANGE[0] <= median <= _CELSIUS_RANGE[1]:
        return "C", (f"auto: float values with median {median:.2f} in {_CELSIUS_RANGE[0]:.0f}–"
                     f"{_CELSIUS_RANGE[1]:.0f} read as degrees Celsius")
    raise UnitsError(f"{path}: cannot tell the temperature unit: {kind} values with median {median:.4g} fit none "
                     f"of °C ({_CELSIUS_RANGE[0]:.0f}..{_CELSIUS_RANGE[1]:.0f}, float), K ({_KELVIN_RANGE[0]:.0f}.."
                     f"{_KELVIN_RANGE[1]:.0f}) or cK ({_CENTIKELVIN_RANGE[0]:.0f}..{_CENTIKELVIN_RANGE[1]:.0f}, "
                     f"whole numbers); {_FIX}")


def _check_plausible(kelvin: np.ndarray, units: str, path, config: ReaderConfig) -> None:
    lo, hi = float(np.fmin.reduce(kelvin, axis=None)), float(np.fmax.reduce(kelvin, axis=None))  # NaN ignored
    if lo < config.plausible_min_k or hi > config.plausible_max_k:
        with np.errstate(invalid="ignore"):
            low = int(np.count_nonzero(kelvin < config.plausible_min_k))
            high = int(np.count_nonzero(kelvin > config.plausible_max_k))
        raise UnitsError(f"{path}: read as {units}, {low} pixel(s) fall below {config.plausible_min_k:g} K and "
                         f"{high} rise above {config.plausible_max_k:g} K (range {lo:.6g}..{hi:.6g} K): physically "
                         f"implausible, so the unit is wrong or the data is corrupt; {_FIX}")
