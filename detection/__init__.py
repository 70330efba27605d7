"""Hotspot detection on thermal frames (MODIS/VIIRS contextual algorithms adapted to one LWIR band).

``detect(frame, config, masks=...)`` → :class:`DetectionResult` (hotspots, cluster labels, stats). See
:mod:`detection.detector` for the flow, :mod:`detection.config` for every threshold and its reason.
"""

from detection.config import DetectorConfig
from detection.detector import DetectionResult, detect

__all__ = ["DetectionResult", "DetectorConfig", "detect"]
