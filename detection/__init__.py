"""Hotspot detection on thermal frames (MODIS/VIIRS contextual algorithms adapted to one LWIR band).

``detect(frame, config, masks=...)`` → :class:`DetectionResult` (hotspots, cluster labels, stats). See
:mod:`detection.detector` for the flow, :mod:`detection.config` for every threshold and its reason,
:mod:`detection.masks` for known static heat sources and :mod:`detection.confidence` for the confidence classes.
"""

from detection.config import DetectorConfig
from detection.detector import DetectionResult, detect, locate
from detection.masks import StaticMasks

__all__ = ["DetectionResult", "DetectorConfig", "StaticMasks", "detect", "locate"]
