"""Detection confidence (0–1) and its FIRMS-style class (low / nominal / high).

Like MODIS Collection 6 (Giglio et al. 2016 §2.3) confidence is built from linear ramps ``S(x; lo, hi)`` (0 below
``lo``, 1 above ``hi``) of the evidence: the hottest pixel's temperature, the contextual z-score, the excess over the
background and the cluster size, combined as a weighted mean (weights in :class:`DetectorConfig`). Then the physics
of one LWIR band caps it (DESIGN.md §4): on a single look, anything the sun could have heated — every non-saturated
cluster below ``no_sun_k`` — is at most ``nominal``; saturation or a temperature no sun can reach earns ``high``.
Persistence over looks is added by the fusion stage through :func:`confidence_with_persistence`.
"""

from __future__ import annotations

from detection.config import DetectorConfig
from detection.errors import InvalidValue
from firewatch.model import ConfidenceClass


def ramp(value: float, low: float, high: float) -> float:
    """Linear ramp: 0 at or below ``low``, 1 at or above ``high`` (``low < high``)."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def confidence_class(confidence: float, config: DetectorConfig = DetectorConfig()) -> ConfidenceClass:
    """FIRMS class of a 0–1 confidence: low < 0.3 ≤ nominal < 0.8 ≤ high (MODIS C6 limits, in the config)."""
    if confidence >= config.high_min_confidence:
        return "high"
    if confidence >= config.nominal_min_confidence:
        return "nominal"
    return "low"


def single_look_confidence(*, max_temp_k: float, z_score: float, excess_k: float, pixel_count: int,
                           saturated: bool, config: DetectorConfig) -> float:
    """Confidence (0–1) of one cluster seen once.

    ``max_temp_k`` is the hottest pixel (K), ``z_score`` and ``excess_k`` the hottest pixel's excess over its
    background in background deviations and in kelvin, ``pixel_count`` the cluster size, ``saturated`` whether any
    pixel is at the sensor ceiling.
    """
    temp_score = 1.0 if saturated else ramp(max_temp_k, *config.confidence_temp_ramp_k)
    scores = (temp_score, ramp(z_score, *config.confidence_z_ramp), ramp(excess_k, *config.confidence_excess_ramp_k),
              ramp(float(pixel_count), *config.confidence_size_ramp_px))
    confidence = sum(w * s for w, s in zip(config.confidence_weights, scores))
    beyond_sun = saturated or max_temp_k >= config.no_sun_k
    if beyond_sun:
        # No sun-heated surface reaches this: certain fire even on one look.
        return max(confidence, config.high_min_confidence)
    # Could be a hot rock or roof: at most nominal until a second look or a second source (DESIGN.md §4).
    return min(confidence, _just_below(config.high_min_confidence))


def confidence_with_persistence(confidence: float, looks: int) -> float:
    """Confidence after ``looks`` ≥ 1 independent looks at the same ground, each of single-look ``confidence``.

    Noisy-OR: ``1 − (1 − c)^looks``. Published airborne work found persistence over ≥ 2 looks removes about half of
    the false positives (DESIGN.md §4); with a nominal-capped single look (0.79) two looks give 0.96 (`high`), a
    low one (0.25) gives 0.44 (`nominal`). Persistent sun-heated surfaces are not independent looks: the fusion stage
    should count looks that differ in time or viewpoint.
    """
    if looks < 1:
        raise InvalidValue(f"confidence_with_persistence: looks must be ≥ 1, got {looks}")
    if not 0.0 <= confidence <= 1.0:
        raise InvalidValue(f"confidence_with_persistence: confidence must be within 0–1, got {confidence}")
    return 1.0 - (1.0 - confidence) ** looks


def _just_below(limit: float) -> float:
    """The largest round confidence below ``limit`` (0.79 for 0.8), so the cap reads naturally."""
    return round(limit - 0.01, 2)
