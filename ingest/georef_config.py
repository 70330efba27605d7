"""Tunables of terrain georeferencing (composed into ``firewatch.config`` by the lead).

Each default carries the reason it is what it is. Pass them on with ``georeference(frame, terrain,
**config.georeference_kwargs())``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class GeorefConfig(BaseModel):
    """How whole frames are georeferenced on terrain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Exact rays every this many pixels, interpolated in between. 16 keeps the coarse rays at 0.4 % of a 640×512
    #: frame's pixels, and the blocks (a few metres on the ground for a drone at 120 m) small enough that smooth
    #: terrain interpolates within a tenth of a pixel footprint; blocks that do not are refined or cast exactly.
    grid_step_px: int = Field(16, ge=2, le=128)

    #: Rays are followed this far (slant metres). Tower cameras see smoke and flames 20–30 km away in clear air
    #: (ALERTWildfire / Seoul tower cameras); beyond, thermal pixels are hundreds of metres wide anyway.
    max_range_m: float = Field(30_000.0, gt=0.0)

    #: Coefficient of atmospheric refraction for lines of sight near the ground: 0.13 (Gauss; standard geodetic
    #: value, Hirt et al. 2010). It reduces the earth-curvature drop of a ray to (1 − k)·d²/2R.
    refraction_k: float = Field(0.13, ge=0.0, lt=1.0)

    #: Interpolated pixels land within this many pixel footprints of their exact rays (others are refined or cast
    #: exactly). 0.1: the brief's bound, negligible next to the half-footprint accuracy the system promises; raise
    #: it (≤ 0.5) to buy speed on rough DEMs (bench/georef.py shows the trade).
    tolerance_footprints: float = Field(0.1, gt=0.0, le=1.0)

    #: Pixels whose rays leave the DEM become NaN instead of raising TerrainError. False by default: a DEM that does
    #: not cover the frame is a configuration error the operator should see; the pipeline opts in per call.
    partial_ok: bool = False

    def georeference_kwargs(self) -> dict:
        """Keyword arguments for :func:`ingest.georef.georeference`."""
        return self.model_dump()
