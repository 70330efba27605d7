"""Tunables of incident fusion (:mod:`detection.incidents`), as data, each with the reason for its default.

Distances are metres on the ground, times seconds. The lead composes :class:`FusionConfig` into
``firewatch/config.py`` (section ``[fusion]``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detection.config import DetectorConfig

from firewatch.model import SOURCE_KINDS


class FusionConfig(BaseModel):
    """How hotspots fuse into incidents and how incidents move through their states."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- where: the fusion radius ---------------------------------------------------------------------------------
    #: A hotspot joins an incident whose perimeter lies within radius_factor × the worse of the two 1-σ location
    #: uncertainties: 3σ holds 99.7 % of a normal location error, so two looks at one fire nearly always fuse.
    radius_factor: float = Field(3.0, gt=0)
    #: Floor of the radius. DESIGN.md §4: at 120 m above ground 1° of pitch error moves a drone fix 8 m at 30°
    #: depression and 31 m at 15°; 30 m keeps one fire from splitting when a reported σ is optimistic.
    min_radius_m: float = Field(30.0, gt=0)
    #: Cap of the radius. A VIIRS I-band pixel is 375 m at nadir and ~800 m at the scan edge (Schroeder et al.
    #: 2014); 1500 m still fuses satellite detections of one fire but stops a chain of pixels merging separate fires.
    max_radius_m: float = Field(1500.0, gt=0)
    #: 1-σ location uncertainty assumed for a hotspot that reports none: the same 30 m as the floor (the worst
    #: drone case of the error budget above); also the radius of the circle that stands in for a missing footprint.
    default_location_uncertainty_m: float = Field(30.0, gt=0)
    #: Two incidents merge only when one hotspot's footprint comes within this gap of both perimeters (the fires
    #: grew into one). A tower hotspot located on the DEM is uncertain by 100–400 m along its line of sight (0.05°
    #: of tilt at 8 km and 3° grazing, DESIGN.md §4), enough to reach several separate fires: it joins the
    #: likeliest and leaves them apart. 30 m = the radius floor above.
    merge_max_gap_m: float = Field(30.0, ge=0)

    # --- when: confirmation ---------------------------------------------------------------------------------------
    #: Distinct looks (frames) needed to confirm: persistence over ≥ 2 looks at the same ground removed about half
    #: of the false positives in published airborne work (DESIGN.md §4).
    confirm_min_looks: int = Field(2, ge=2)
    #: Looks needed when every look was `low` confidence (a barely-significant excess, ≤ the sun ceiling). One LWIR
    #: band cannot tell a sub-pixel sun-heated panel from a 0.3 % fire (detection/config.py), and a fixed camera
    #: sees the same panel at the same pixel on every sweep, so two such looks are not independent evidence.
    #: VIIRS marks its weakest daytime detections `low` for the same reason (sun glint, hot bare surfaces;
    #: Schroeder et al. 2014) and operational users drop them. A real fire grows: its next look is usually
    #: `nominal` and confirms at once; a third `low` look still confirms so a smouldering spot is not lost.
    confirm_min_looks_low_only: int = Field(3, ge=2)
    #: Hottest a surface gets in the sun (the detector's ceiling, detection/config.py: ~75 °C, DESIGN.md §4).
    sun_ceiling_k: float = Field(DetectorConfig.model_fields["sun_ceiling_k"].default, gt=0)
    #: An incident seen only by fixed cameras and never beyond the sun ceiling confirms by persistence only when it
    #: grows: its radiant signal (FRP) reaches this factor × its first look's. A sun-heated roof or panel changes by
    #: a few kelvin over tens of minutes (the diurnal surface cycle is ~20–30 K over six hours), a ~1.1–1.3× change
    #: in excess radiance; a spreading fire's area, and so its FRP, grows several-fold in the same time.
    sun_only_growth_factor: float = Field(1.5, gt=1)
    #: Distinct sources (source_id) that confirm at once: two independent sensors agreeing on one spot.
    confirm_min_sources: int = Field(2, ge=2)
    #: One look confirms only a high-confidence cluster at least this large: 3×3 pixels is the smallest resolved
    #: fire whose centre pixel is not a PSF mixture (the detector's resolved-plateau rule uses the same size) ...
    single_look_min_pixels: int = Field(9, ge=1)
    #: ... with at least this fraction of its pixels pinned at the sensor ceiling (≥ 135 °C even in high gain,
    #: DESIGN.md §4: no sun reaches it); one in ten rules out a lone hot or stuck pixel.
    single_look_min_saturated_fraction: float = Field(0.1, gt=0, le=1)

    # --- state timeline (per source kind: an incident uses its slowest-revisiting source's delays) -----------------
    #: An incident with no hotspot for this long turns quiet — and a candidate not seen again this long closes
    #: unconfirmed (its first look was transient: glint, vehicle, noise). It is the longest normal gap between two
    #: looks at the same ground: a drone sortie revisits within minutes and a tower camera rescans its sector every
    #: few minutes (30 min is generous); one VIIRS satellite sees a mid-latitude point about twice a day, ~12 h
    #: apart (sun-synchronous orbit, 01:30/13:30 crossings; Schroeder et al. 2014), so 14 h.
    quiet_after_s: dict[str, float] = {"drone": 1800.0, "fixed": 1800.0, "satellite": 50400.0}
    #: ... and a quiet incident closes this long after its last hotspot: for ground sensors 6 h of sorties and
    #: hundreds of tower scans that found nothing; for satellites three missed overpasses (36 h).
    close_after_s: dict[str, float] = {"drone": 21600.0, "fixed": 21600.0, "satellite": 129600.0}
    #: A new hotspot within the radius of a quiet incident, or of a confirmed incident closed less than 24 h ago,
    #: re-opens it (reignited): holdover fires commonly rekindle with the next afternoon's heating and wind.
    reignite_window_s: float = Field(86400.0, gt=0)

    # --- escalation -----------------------------------------------------------------------------------------------
    #: Escalate when the area or the FRP has at least doubled since the last confirmation/escalation: both vary by
    #: tens of percent between looks with viewing geometry and sub-pixel mixing, so a factor 2 reports real growth
    #: without an alert storm from noise. A new source seeing a confirmed incident also escalates.
    escalate_area_factor: float = Field(2.0, gt=1)
    escalate_frp_factor: float = Field(2.0, gt=1)

    @model_validator(mode="after")
    def _consistent(self) -> "FusionConfig":
        if self.min_radius_m > self.max_radius_m:
            raise ValueError(f"fusion: min_radius_m ({self.min_radius_m}) exceeds max_radius_m ({self.max_radius_m})")
        for kind in SOURCE_KINDS:
            if kind not in self.quiet_after_s or kind not in self.close_after_s:
                raise ValueError(f"fusion: quiet_after_s and close_after_s need a value for every source kind "
                                 f"{SOURCE_KINDS}; {kind!r} is missing")
            if self.close_after_s[kind] <= self.quiet_after_s[kind]:
                raise ValueError(f"fusion: close_after_s[{kind!r}] ({self.close_after_s[kind]}) must be longer than "
                                 f"quiet_after_s[{kind!r}] ({self.quiet_after_s[kind]}): an incident turns quiet "
                                 "before it closes")
        if any(v <= 0 for v in (*self.quiet_after_s.values(), *self.close_after_s.values())):
            raise ValueError("fusion: quiet_after_s and close_after_s must be positive seconds")
        return self
