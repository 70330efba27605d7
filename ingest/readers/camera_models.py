"""Known thermal cameras: sensor size and pixel pitch, to turn an EXIF focal length into intrinsics.

Values are the manufacturers' published specifications (DJI product pages and user manuals, "Thermal Camera"
sections); each is cross-checked against the file's own EXIF ``FocalLengthIn35mmFormat`` in
``tests/unit/ingest/test_readers_dji.py`` (the horizontal field of view from both agrees within a few degrees).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ingest.camera import Camera

#: Width of a 35 mm film frame, mm: the reference of ``FocalLengthIn35mmFormat`` (ExifTool's field of view uses it).
FILM_35MM_WIDTH_MM = 36.0


@dataclass(frozen=True)
class ThermalCameraSpec:
    """A thermal camera's radiometric raster size (pixels) and detector pixel pitch (µm)."""

    name: str
    width_px: int
    height_px: int
    pixel_pitch_um: float
    #: Focal length (mm) to use when the file's EXIF has none.
    default_focal_length_mm: float | None = None


#: Keyed by EXIF ``Model`` (upper case). Sources: DJI Zenmuse H20 series specs (H20T: 640×512 VOx, 12 µm,
#: 13.5 mm; H20N: 640×512, 12 µm), Matrice 30T specs (640×512, 12 µm, 9.1 mm), Mavic 3T specs (640×512, 12 µm,
#: 9.1 mm / 40 mm equivalent), Mavic 2 Enterprise Advanced specs (640×512, 12 µm, 9 mm / 38 mm equivalent),
#: Matrice 4T specs (640×512, 12 µm, 53 mm equivalent), Zenmuse XT2 and XT S specs (640×512, 17 µm; 19 mm
#: lens ⇒ 32°×26° field of view, as DJI lists for the 19 mm models).
KNOWN_CAMERAS: dict[str, ThermalCameraSpec] = {
    "ZH20T": ThermalCameraSpec("DJI Zenmuse H20T", 640, 512, 12.0),
    "ZH20N": ThermalCameraSpec("DJI Zenmuse H20N", 640, 512, 12.0),
    "M30T": ThermalCameraSpec("DJI Matrice 30T", 640, 512, 12.0),
    "M3T": ThermalCameraSpec("DJI Mavic 3T", 640, 512, 12.0),
    "MAVIC2-ENTERPRISE-ADVANCED": ThermalCameraSpec("DJI Mavic 2 Enterprise Advanced", 640, 512, 12.0,
                                                    default_focal_length_mm=9.0),
    "M4T": ThermalCameraSpec("DJI Matrice 4T", 640, 512, 12.0),
    "XT S": ThermalCameraSpec("DJI Zenmuse XT S", 640, 512, 17.0),
    # The Zenmuse XT/XT2 writes EXIF Make "DJI", Model "FLIR".
    "FLIR": ThermalCameraSpec("DJI Zenmuse XT/XT2", 640, 512, 17.0),
}


def lookup(model: str | None) -> ThermalCameraSpec | None:
    """The spec for an EXIF model string, or None when unknown."""
    return KNOWN_CAMERAS.get((model or "").strip().upper())


def hfov_from_35mm_deg(focal_length_35mm: float) -> float:
    """Horizontal field of view (degrees) implied by a 35 mm-equivalent focal length (36 mm frame width)."""
    return math.degrees(2.0 * math.atan(FILM_35MM_WIDTH_MM / (2.0 * focal_length_35mm)))


def camera_from_exif(model: str | None, focal_length_mm: float | None, focal_length_35mm: float | None, *,
                     width_px: int | None, height_px: int | None,
                     saturation_k: float | None = None) -> tuple[Camera | None, str]:
    """Intrinsics of a known thermal camera from its EXIF focal length (or the spec's default) and pixel pitch.

    For unknown models the 35 mm-equivalent focal length gives the horizontal field of view. Returns the camera
    (None when nothing is known) and a sentence saying where the intrinsics came from, including the
    35 mm-equivalent cross-check when both are available. ``width_px``/``height_px`` are the radiometric raster's
    size when the caller knows it (else the spec's).
    """
    spec = lookup(model)
    if spec is not None:
        width, height = width_px or spec.width_px, height_px or spec.height_px
        focal = focal_length_mm or spec.default_focal_length_mm
        if focal is not None:
            camera = Camera.from_focal_length(width, height, focal_length_mm=focal, pixel_pitch_um=spec.pixel_pitch_um,
                                              model=spec.name, saturation_k=saturation_k)
            origin = "EXIF FocalLength" if focal_length_mm else "specified focal length (no EXIF FocalLength)"
            sentence = (f"{origin} {focal:g} mm with the {spec.name} pixel pitch {spec.pixel_pitch_um:g} µm "
                        f"({width}×{height} px): HFOV {camera.hfov_deg:.1f}°")
            if focal_length_35mm:
                sentence += (f"; cross-check: 35 mm-equivalent {focal_length_35mm:g} mm ⇒ HFOV "
                             f"{hfov_from_35mm_deg(focal_length_35mm):.1f}°")
            return camera, sentence
    if focal_length_35mm and width_px and height_px:
        hfov = hfov_from_35mm_deg(focal_length_35mm)
        camera = Camera.from_fov(width_px, height_px, hfov_deg=hfov, model=model or "unknown",
                                 saturation_k=saturation_k)
        return camera, (f"unknown camera {model!r}: HFOV {hfov:.1f}° from the EXIF 35 mm-equivalent focal length "
                        f"{focal_length_35mm:g} mm (square pixels, centred principal point)")
    return None, f"camera {model!r} unknown and no field of view recorded: supply the camera in a sidecar JSON"
