"""Tunables of the hotspot detector, as data (pydantic), each with the reason for its default.

Temperatures are kelvin, sizes are pixels. The detector follows the shape of the MODIS (Giglio et al. 2003, RSE 87;
Giglio et al. 2016, RSE 178) and VIIRS 375 m (Schroeder et al. 2014, RSE 143) contextual active-fire algorithms,
adapted to one long-wave infrared (8–14 µm) band: candidate pass → growing-window background → contextual test →
8-connected clusters → confidence. The lead composes :class:`DetectorConfig` into ``firewatch/config.py``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DetectorConfig(BaseModel):
    """Thresholds of :func:`detection.detect` (kelvin unless the name says otherwise)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- physical anchors -------------------------------------------------------------------------------------
    #: Hottest a surface gets in the sun: about 75 °C (DESIGN.md §4; sun-heated rock, asphalt, roofs and solar
    #: panels measure 55–75 °C in summer). A non-saturated cluster no hotter than this can be a hot rock.
    sun_ceiling_k: float = 348.15
    #: Certain fire (absolute test). MODIS day uses T4 > 360 K (Giglio 2003 §2.2.2). In LWIR the sun ceiling is
    #: 348 K; 360 K leaves 12 K, more than twice the ±5 K / ±5 % accuracy of DJI low-gain radiometry at 75 °C, so
    #: a pixel above it is a candidate whatever the scene and is fire even when no background can be measured.
    certain_fire_k: float = 360.0
    #: A temperature no sun can reach: 400 K (127 °C) is 50 K above the sun ceiling and well above the 80–90 °C a
    #: dark metal roof can reach in full sun. Only this, saturation or a second look lifts a single look to `high`.
    no_sun_k: float = 400.0

    # --- input sanity -------------------------------------------------------------------------------------------
    #: A scene whose median is below 150 K is not a terrestrial scene in kelvin: the coldest snow surface ever
    #: measured is ~175 K (−98 °C, East Antarctic plateau, Scambos et al. 2018). Such frames are °C (or °F) values
    #: labelled kelvin.
    min_scene_median_k: float = 150.0
    #: Above 2500 K nothing burns in the open (flames peak ~1400–1600 K, Wooster et al. 2005): larger values are raw
    #: counts or a wrong scale (centikelvin), not temperatures.
    max_plausible_k: float = 2500.0

    # --- candidate pass (one pass over the frame) -------------------------------------------------------------
    #: Scene statistics (median, MAD) come from every n-th row and column: 1/64 of a 640×512 frame is 5120 samples,
    #: whose median has a standard error of 1.25·σ/√n ≈ 0.02 σ — plenty — at ~1/60 of a full-frame statistic's cost.
    scene_stride_px: int = Field(8, ge=1)
    #: Candidate: T > median + k·σ with σ = 1.4826·MAD. k = 4 keeps Gaussian-tail candidates at 3e-5 of the pixels
    #: (~10 on a 640×512 frame), so fire-free frames stay nearly free (DESIGN.md §4 "Cost"). The price is paid in
    #: strongly varied scenes: on a background with 3 K smooth variation the 1 % fire recall falls from 99.5 % to
    #: 45 % (fires in the cool parts never become candidates); k = 2 brings it back to 94 % but costs ~40 ms and
    #: ~3700 candidates on every fire-free 640×512 frame of that kind (measured with tests/unit/detection/scenes.py).
    scene_k_sigma: float = Field(4.0, gt=0)
    #: ... and T > median + 3 K: the same floor as the contextual minimum excess (a pixel that cannot beat the
    #: scene level by the contextual floor is not worth a background window).
    scene_min_excess_k: float = Field(3.0, ge=0)

    # --- background windows (per candidate) ---------------------------------------------------------------------
    #: Window sides grow 11 → 31 px (DESIGN.md §4; MODIS grows 3×3 → 21×21 on 1 km pixels; our pixels are
    #: decimetres to metres, so the window starts larger to see past a resolved fire's PSF halo).
    window_sizes_px: tuple[int, ...] = (11, 15, 19, 23, 27, 31)
    #: The window is usable when ≥ 25 % of it and ≥ 8 pixels are valid (Giglio 2003 §2.2.3).
    window_min_valid_fraction: float = Field(0.25, gt=0, le=1)
    window_min_valid_count: int = Field(8, ge=1)

    # --- contextual test -----------------------------------------------------------------------------------------
    #: Excess over the background mean > k·(mean absolute deviation): MODIS uses 3.5 (Giglio 2003 test 4), VIIRS
    #: 2 with a 10 K floor (Schroeder 2014); our LWIR backgrounds are quieter than 1 km MIR, so MODIS' k.
    context_k_mad: float = Field(3.5, gt=0)
    #: ... and > 3 K. A 1 % sub-pixel 1000 K fire on 300 K raises a pixel by 20 K in 8–14 µm (Planck), but a PSF
    #: with σ ≈ 0.6 px keeps only 22–35 % of it in the brightest pixel (+4.4 K at the worst sub-pixel phase); 3 K
    #: keeps ≥ 1.4 K margin there and is 60× the 50 mK NETD of current microbolometers.
    context_min_excess_k: float = Field(3.0, ge=0)
    #: Floor of the background deviation used in z-scores: twice a 50 mK NETD, so a synthetic flat background does
    #: not give infinite z.
    mad_floor_k: float = Field(0.1, gt=0)

    # --- sun-heated plateau rejection ---------------------------------------------------------------------------
    #: A cluster is a *resolved* warm surface when its half-maximum core (pixels whose excess over the background is
    #: ≥ 50 % of the peak excess) holds ≥ 7 pixels. A point source (any sub-pixel fire) blurred by a Gaussian PSF
    #: has at most 4 such pixels at σ = 0.6 px and 6 at σ = 0.8 px over all sub-pixel phases (7 at σ = 1 px: for
    #: such soft optics raise this to 8); the smallest resolved surface, a 3 px wide disc, has 7
    #: (tests/unit/detection/test_detect_plateau.py measures both).
    plateau_min_core_px: int = Field(7, ge=1)
    plateau_core_level: float = Field(0.5, gt=0, lt=1)
    #: ... with a flat top: (max − core mean) ≤ 0.35·(max − background). PSF-blurred sun-heated surfaces of 3–20 px
    #: at 55–70 °C measured ≤ 0.28 over 1000 clutter frames (test_detect_false_alarms.py); a peaked multi-pixel source
    #: (hot centre, warm halo) stands higher above its core.
    plateau_max_flatness: float = Field(0.35, gt=0, le=1)

    # --- fire radiative power -------------------------------------------------------------------------------------
    #: Grey-body emissivity in FRP = Σ εσ(T⁴ − T_bg⁴)·A. Wooster et al. 2003 (RSE 86) / 2005 (JGR 110, D24311)
    #: treat the fire as a grey body; LWIR emissivities of vegetation, ash and soil are 0.95–0.99, so 0.98.
    emissivity: float = Field(0.98, gt=0, le=1)

    # --- confidence (ramps, MODIS C6 style: Giglio 2016 §2.3) -----------------------------------------------------
    #: Ramp of the hottest pixel: 0 at a typical 300 K surface, 1 at the no-sun temperature.
    confidence_temp_ramp_k: tuple[float, float] = (300.0, 400.0)
    #: Ramp of the contextual z-score: 0 at the contextual k, 1 at 10 (well beyond any texture outlier).
    confidence_z_ramp: tuple[float, float] = (3.5, 10.0)
    #: Ramp of the excess over background: 0 at the contextual floor, 1 at +20 K (a 1 % 1000 K fire, unblurred).
    confidence_excess_ramp_k: tuple[float, float] = (3.0, 20.0)
    #: Ramp of the cluster size: one pixel is the weakest evidence, a resolved 3×3 cluster the strongest.
    confidence_size_ramp_px: tuple[float, float] = (1.0, 9.0)
    #: Weights of the four ramps above (temperature counts double: it is the one physical discriminant of LWIR).
    confidence_weights: tuple[float, float, float, float] = (0.4, 0.2, 0.2, 0.2)
    #: Class limits of MODIS Collection 6 / FIRMS: low < 30 %, nominal < 80 %, high ≥ 80 % (Giglio 2016).
    nominal_min_confidence: float = 0.3
    high_min_confidence: float = 0.8

    @model_validator(mode="after")
    def _check_order(self) -> "DetectorConfig":
        if not self.sun_ceiling_k < self.certain_fire_k <= self.no_sun_k:
            raise ValueError("detector config: need sun_ceiling_k < certain_fire_k <= no_sun_k, got "
                             f"{self.sun_ceiling_k}, {self.certain_fire_k}, {self.no_sun_k}")
        sizes = self.window_sizes_px
        if not sizes or any(s < 3 or s % 2 == 0 for s in sizes) or list(sizes) != sorted(sizes):
            raise ValueError(f"detector config: window_sizes_px must be odd sizes ≥ 3 in increasing order, "
                             f"got {sizes}")
        if not 0 < self.nominal_min_confidence < self.high_min_confidence <= 1:
            raise ValueError("detector config: need 0 < nominal_min_confidence < high_min_confidence <= 1")
        for name in ("confidence_temp_ramp_k", "confidence_z_ramp", "confidence_excess_ramp_k",
                     "confidence_size_ramp_px"):
            lo, hi = getattr(self, name)
            if not lo < hi:
                raise ValueError(f"detector config: {name} must rise (low < high), got {(lo, hi)}")
        if abs(sum(self.confidence_weights) - 1.0) > 1e-6:
            raise ValueError(f"detector config: confidence_weights must sum to 1, got {self.confidence_weights}")
        return self
