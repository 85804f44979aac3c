"""Where a video container keeps a position besides its tags, and how the copy without GPS leaves it out.

``media/derivatives.py`` finds location *tags* through ffprobe (a phone's ``location``, QuickTime's ``©xyz``
and ISO 6709 key, ``GPS...`` names) and makes ``original-nogps`` by a stream copy without metadata. Two more
places are covered here:

* **telemetry tracks** in MP4/MOV: GoPro's GPMF (a data track of codec tag ``gpmd``, handler "GoPro MET",
  with ``GPS5``/``GPS9`` records) and Google's camera motion metadata (``camm``, whose packet types 5 and 6 are
  positions). Any such track counts as carrying a position; the stream copy keeps no data track.
* **AVI** (RIFF): ffmpeg cannot write an AVI with every stream copied unchanged and nothing else (it rewrites
  the headers and keeps a stream's ``strd`` bytes as codec data), so the copy is made in place: the
  original's bytes, with every ``strd`` chunk holding EXIF (``AVIF`` first, where cameras put it, GPS
  included: ffprobe shows its tags as ``GPSLatitude``...) and every ``INFO`` entry whose id names a
  position turned into ``JUNK`` chunks of the same size, zeroed. Nothing moves, so every packet and index stays as it was.

Pure: paths and ffprobe's description in, bytes out; no database.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import Any

POSITION_TRACK_TAGS = frozenset({"gpmd", "camm"})
POSITION_HANDLERS = ("gopro met", "cameramotionmetadata", "camera motion metadata")
_LOCATION_IDS = (b"GPS", b"LOC", b"GEO")  # parts of an INFO entry's id that name a position (IGPS, ILOC...)
_RIFF_LISTS = {b"RIFF", b"LIST"}
_HEADERS_READ = 64 * 1024 * 1024
EXIF_BLOCK = b"AVIF"  # how a strd chunk holding EXIF starts; other strd chunks are a codec's settings: kept


def position_tracks(described: dict[str, Any]) -> list[dict[str, Any]]:
    """The streams of ffprobe's description that are telemetry tracks with positions (GPMF, camm)."""
    found = []
    for stream in described.get("streams", []):
        tag = str(stream.get("codec_tag_string", "")).lower()
        handler = str((stream.get("tags") or {}).get("handler_name", "")).lower()
        if tag in POSITION_TRACK_TAGS or any(name in handler for name in POSITION_HANDLERS):
            found.append(stream)
    return found


def _chunks(data: bytearray, start: int, end: int, inside: bytes = b"") -> list[tuple[int, bytes, int, bytes]]:
    """(offset, id, size, list type) of every chunk of RIFF ``data`` between ``start`` and ``end``, lists
    walked into (but not ``movi``, the packets); ``inside`` is the type of the list they are in."""
    found = []
    position = start
    while position + 8 <= end:
        chunk_id = bytes(data[position:position + 4])
        size = struct.unpack_from("<I", data, position + 4)[0]
        if position + 8 + size > len(data):
            break  # a truncated file: the rest is not ours to read
        found.append((position, chunk_id, size, inside))
        if chunk_id in _RIFF_LISTS and size >= 4:
            kind = bytes(data[position + 8:position + 12])
            if kind != b"movi":
                found += _chunks(data, position + 12, position + 8 + size, kind)
        position += 8 + size + (size & 1)
    return found


def _blank(data: bytearray, offset: int, size: int) -> None:
    data[offset:offset + 4] = b"JUNK"
    data[offset + 8:offset + 8 + size] = bytes(size)


def avi_without_location(source: Path, out: Path) -> bool:
    """Copy the AVI at ``source`` to ``out`` with its EXIF ``strd`` chunks and position ``INFO`` entries blanked
    (same size, ``JUNK``, zeroed); False (and no file) when there was nothing to blank or it is not RIFF."""
    with source.open("rb") as handle:  # the headers come before the packets: the rest is copied as it is
        data = bytearray(handle.read(_HEADERS_READ))
    if data[:4] != b"RIFF" or data[8:12] not in (b"AVI ", b"AVIX"):
        return False
    blanked = [(offset, size) for offset, chunk_id, size, inside in _chunks(data, 12, len(data))
               if (chunk_id == b"strd" and data[offset + 8:offset + 12] == EXIF_BLOCK)
               or (inside == b"INFO" and any(part in chunk_id.upper() for part in _LOCATION_IDS))]
    if not blanked:
        return False
    for offset, size in blanked:
        _blank(data, offset, size)
    shutil.copyfile(source, out)
    with out.open("r+b") as handle:
        for offset, size in blanked:
            handle.seek(offset)
            handle.write(data[offset:offset + 8 + size])
    return True
