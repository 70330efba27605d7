"""JPEG container layout: the APPn segments before the scan, and integrity checks (truncation).

Thermal JPEGs keep their radiometry in application segments: FLIR in APP1 ``FLIR\\0`` chunks, DJI R-JPEG in APP3
(and APP4/APP5 calibration). A file is whole when every segment fits in the file, the main image's scan ends
with an EOI marker (checked by the readers that require it: the Zenmuse XT S writes none), and the images listed
in an MPF index (DJI's main image and appended preview) lie inside the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UnreadableFrame

SOI, SOS, EOI = 0xD8, 0xDA, 0xD9
APP1, APP2 = 0xE1, 0xE2
#: Markers that stand alone, without a length field (TEM, RST0–7, SOI, EOI).
_STANDALONE = {0x01, *range(0xD0, 0xD8), SOI, EOI}
XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_PREFIX = b"Exif\x00\x00"
MPF_PREFIX = b"MPF\x00"
_FIX = "copy the file again from the camera card or drone"


@dataclass(frozen=True)
class Segment:
    """One marker segment: ``marker`` (e.g. 0xE1), ``offset`` of its 0xFF byte, ``payload`` after the length."""

    marker: int
    offset: int
    payload: bytes


@dataclass(frozen=True)
class JpegLayout:
    """The segments before the first scan, the offset of that scan's SOS and of the main image's EOI (-1: none)."""

    segments: tuple[Segment, ...]
    sos_offset: int
    eoi_offset: int

    def app(self, marker: int, prefix: bytes = b"") -> list[Segment]:
        """Segments with this marker whose payload starts with ``prefix``, in file order."""
        return [s for s in self.segments if s.marker == marker and s.payload.startswith(prefix)]

    @property
    def has_mpf(self) -> bool:
        return bool(self.app(APP2, MPF_PREFIX))

    @property
    def exif(self) -> bytes | None:
        """The EXIF APP1 payload (starting with ``Exif\\0\\0``), or None."""
        found = self.app(APP1, EXIF_PREFIX)
        return found[0].payload if found else None

    @property
    def xmp(self) -> bytes | None:
        """The XMP packet (XML bytes) of the first XMP APP1 segment, or None."""
        found = self.app(APP1, XMP_PREFIX)
        return found[0].payload[len(XMP_PREFIX):] if found else None


def parse_jpeg(data: bytes, path: Path) -> JpegLayout:
    """Walk the marker segments of a JPEG held in ``data`` and check it is whole.

    Raises :class:`UnreadableFrame` naming ``path`` when a segment runs past the end of the file, when there is no
    scan, or when an MPF-listed image (the main one included) is cut off.
    """
    size = len(data)
    if data[:2] != b"\xff\xd8":
        raise UnreadableFrame(f"{path}: not a JPEG (no SOI marker)")
    segments: list[Segment] = []
    pos = 2
    while True:
        if pos + 2 > size:
            raise UnreadableFrame(f"{path}: JPEG is truncated at byte {size} before its image data; {_FIX}")
        if data[pos] != 0xFF:
            raise UnreadableFrame(f"{path}: JPEG is corrupt: expected a marker at byte {pos}, found "
                                  f"0x{data[pos]:02X}; {_FIX}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if pos + 4 > size:
            raise UnreadableFrame(f"{path}: JPEG is truncated inside the header of segment 0x{marker:02X} at "
                                  f"byte {pos}; {_FIX}")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > size:
            raise UnreadableFrame(f"{path}: JPEG is truncated: segment 0x{marker:02X} at byte {pos} needs "
                                  f"{length} bytes but the file ends at byte {size}; {_FIX}")
        segments.append(Segment(marker, pos, data[pos + 4:end]))
        if marker == SOS:
            sos = pos
            break
        pos = end
    # No EOI is not fatal here: the Zenmuse XT S writes whole files without one. Readers decide (FLIR files
    # always end with EOI; DJI files carry an MPF index checked below).
    eoi = data.find(b"\xff\xd9", sos)
    layout = JpegLayout(tuple(segments), sos, eoi)
    _check_mpf(layout, size, path)
    return layout


def _check_mpf(layout: JpegLayout, size: int, path: Path) -> None:
    """Check the images listed in an MPF (CIPA DC-007) index lie inside the file (DJI appends a preview)."""
    found = layout.app(APP2, MPF_PREFIX)
    if not found:
        return
    seg = found[0]
    tiff = seg.payload[len(MPF_PREFIX):]
    base = seg.offset + 4 + len(MPF_PREFIX)  # offsets in the MP index count from the MPF TIFF header
    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd,) = struct.unpack_from(endian + "I", tiff, 4)
        (count,) = struct.unpack_from(endian + "H", tiff, ifd)
        for i in range(count):
            tag, _type, n, value = struct.unpack_from(endian + "HHII", tiff, ifd + 2 + 12 * i)
            if tag == 0xB002:  # MPEntry: 16 bytes per image
                for k in range(n // 16):
                    _attr, img_size, img_offset = struct.unpack_from(endian + "III", tiff, value + 16 * k)
                    start = 0 if img_offset == 0 else base + img_offset  # offset 0: the main image at SOI
                    if start + img_size > size:
                        raise UnreadableFrame(
                            f"{path}: JPEG is truncated: its MPF index lists image {k + 1} at bytes {start}–"
                            f"{start + img_size} but the file ends at byte {size}; {_FIX}")
    except (KeyError, struct.error):
        return  # an unreadable MPF index only concerns the preview image; the thermal data is checked elsewhere
