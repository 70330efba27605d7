"""Tunables of the frame readers (composed into ``firewatch.config`` by the lead).

Each default carries the reason it is what it is.
"""

from __future__ import annotations

import os

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Environment variable naming the DJI Thermal SDK library (``libdirp.so`` on Linux, ``libdirp.dll`` on Windows).
DJI_TSDK_ENV = "FIREWATCH_DJI_TSDK"


class ReaderConfig(BaseModel):
    """How readers decide units, saturation and where the DJI Thermal SDK lives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Path of DJI's ``libdirp`` shared library. None: use the ``FIREWATCH_DJI_TSDK`` environment variable.
    dji_tsdk_path: str | None = None
    #: Which exact DJI R-JPEG decoder to use. ``auto``: DJI's SDK when a library is configured, else the pure-Python
    #: port (``dji-thermal-cli``, the 'dji' extra). Both give the SDK's temperatures bit for bit
    #: (../shared/data/thermal/dji_tsdk_reference/); ``port`` ignores a configured SDK, ``sdk`` refuses to run
    #: without one. With no decoder available DJI temperatures are refused with instructions (never guessed).
    dji_decoder: Literal["auto", "port", "sdk"] = "auto"

    #: A saturation plateau needs at least this many pixels sharing exactly the frame maximum. Real sensor noise
    #: (tens of mK NETD) makes exact ties at the hottest value vanishingly rare in float data, so a handful of them
    #: is already a clipped ceiling. 5, not 20: the FLAME 3 Willamette frame 00003.TIFF has only 9 pixels pinned at
    #: its 500.0 °C ceiling and must still be flagged (measured on ../shared/data/flame3/willamette/TIFF).
    plateau_min_pixels: int = Field(5, ge=2)

    #: A plateau only counts above 373.15 K (100 °C): no sunlit natural surface reaches it (DESIGN §4: about 75 °C
    #: is the solar ceiling), while every thermal camera's gain ceiling lies above it (DJI high gain ≈ 135–150 °C,
    #: low gain ≈ 500–550 °C).
    plateau_min_k: float = 373.15

    #: Physically plausible brightness temperatures after unit conversion, kelvin. Below 150 K nothing on Earth's
    #: surface radiates (the record low is 184 K); above 2500 K no vegetation fire burns (flames peak near 1600 K),
    #: so values outside mean the unit is wrong.
    plausible_min_k: float = 150.0
    plausible_max_k: float = 2500.0

    #: Saturation tolerance: a pixel within this many kelvin of the stated ceiling is at the ceiling (float32
    #: rounding of a ceiling near 800 K is about 6e-5 K; 0.01 K is the centikelvin quantum of integer exports).
    saturation_tolerance_k: float = 0.01

    def tsdk_path(self) -> str | None:
        """The configured DJI Thermal SDK library path, else the environment variable, else None."""
        return self.dji_tsdk_path or os.environ.get(DJI_TSDK_ENV) or None
