"""One reader per format behind one registry, chosen by file signature (magic bytes, embedded segments).

A reader is three functions over a :class:`~ingest.readers.source.Source`: ``claims`` (cheap signature test),
``read_metadata`` (pose, camera, time without decoding pixels) and ``read_radiometry`` (temperatures in kelvin).
Built-in readers register themselves like plug-ins; the first reader that claims a file wins, so specific
signatures (FLIR segments) are registered before general ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingest.errors import UnreadableFrame
from ingest.readers.source import FrameMetadata, Radiometry, Source


@dataclass(frozen=True)
class Reader:
    """A format reader: its ``name`` and the three functions described in the module docstring.

    ``read_radiometry(source, metadata, *, units, units_source, config)`` receives the unit request (``"auto"``,
    ``"K"``, ``"C"``, ``"cK"``) and where it came from (for messages); a format with its own unit refuses others
    with :class:`~ingest.errors.UnitsError`.
    """

    name: str
    description: str
    claims: Callable[[Source], bool]
    read_metadata: Callable[[Source], FrameMetadata]
    read_radiometry: Callable[..., Radiometry]


_READERS: list[Reader] = []
_BUILTINS_LOADED = False


def register(reader: Reader) -> Reader:
    """Add a reader (at the end of the claim order); registering a name twice replaces the earlier reader."""
    for i, existing in enumerate(_READERS):
        if existing.name == reader.name:
            _READERS[i] = reader
            return reader
    _READERS.append(reader)
    return reader


def readers() -> tuple[Reader, ...]:
    """The registered readers in claim order."""
    _ensure_builtins()
    return tuple(_READERS)


def reader_for(source: Source) -> Reader:
    """The first reader that claims ``source``; :class:`UnreadableFrame` naming the file when none does."""
    for reader in readers():
        if reader.claims(source):
            return reader
    head = source.data[:4]
    if source.jpeg is not None:
        raise UnreadableFrame(f"{source.path}: a JPEG without thermal data (no FLIR APP1 'FLIR' segments, no DJI "
                              "APP3 ThermalData): a rendered palette or visible photo, not a radiometric frame; "
                              "use the camera's radiometric R-JPEG or a radiometric TIFF")
    raise UnreadableFrame(f"{source.path}: unknown file signature {head.hex(' ')!r}: not a radiometric TIFF, "
                          "FLIR radiometric JPEG or DJI R-JPEG (formats: "
                          + ", ".join(r.name for r in readers()) + ")")


def _ensure_builtins() -> None:
    """Put the built-in readers first in the claim order (imported lazily: they import this module)."""
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    from ingest.readers import dji_rjpeg, flir, tiff

    replaced = {r.name for r in _READERS}  # a plug-in registered under a built-in's name replaces it
    _READERS[:] = [r for r in (flir.READER, dji_rjpeg.READER, tiff.READER) if r.name not in replaced] + _READERS
    _BUILTINS_LOADED = True
