"""Photo metadata: what a photographer's camera and editor wrote into the file (IPTC, XMP, EXIF).

:func:`read_photo_metadata` reads the fields a news item needs, XMP first (IPTC Photo
Metadata's current form), then the legacy IPTC IIM record, then EXIF: caption, creators,
credit line, copyright notice, keywords, city and country, date taken, and whether the file
carries GPS coordinates. :func:`write_photo_metadata` puts the editorial fields back into a
derivative, which the hub writes without any metadata (re-encoded by Pillow), so nothing a
camera recorded (GPS, serial numbers, the owner's name) travels unless put back on purpose:
GPS only when the caller says an agreement allows it.

pyexiv2 (libexiv2) reads and writes; it is given files the probe has already accepted as
pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyexiv2

from newsbridge.errors import MediaUnreadable

_LANG_DEFAULT = 'lang="x-default"'


@dataclass(frozen=True)
class PhotoMetadata:
    caption: str | None = None
    creators: tuple[str, ...] = ()
    credit: str | None = None
    copyright: str | None = None
    keywords: tuple[str, ...] = ()
    city: str | None = None
    country: str | None = None
    date_taken: str | None = None  # ISO 8601, as precise as the file says
    gps: dict[str, str] = field(default_factory=dict)  # the raw Exif.GPSInfo tags, kept for agreements that allow it

    def ninjs_fields(self) -> dict[str, Any]:
        """The ninjs 3.x fields these fill (what the API merges into an item the partner left them out of):
        the caption as the main description, the creators as ``by``, the credit as an info source of role
        ``credit`` (as the desk writes it), ``copyrightNotice``, the keywords as subjects of ``rel: keyword``
        (ninjs 3 has no ``keywords``; formats/nitf.py reads NITF's the same way) and the place as ``located``."""
        fields: dict[str, Any] = {}
        if self.caption:
            fields["descriptions"] = [{"role": "main", "value": self.caption}]
        if self.creators:
            fields["by"] = ", ".join(self.creators)
        if self.credit:
            fields["infoSources"] = [{"name": self.credit, "role": CREDIT_ROLE}]
        if self.copyright:
            fields["copyrightNotice"] = self.copyright
        if self.keywords:
            fields["subjects"] = [{"name": k, "literal": k, "rel": KEYWORD_REL} for k in self.keywords]
        if located := self.located():
            fields["located"] = located
        return fields

    def located(self) -> str | None:
        """The place as "City, Country" (either alone when the other is missing); None when neither is known."""
        return ", ".join(part for part in (self.city, self.country) if part) or None


CREDIT_ROLE = "credit"  # the info source role of a credit line: the one the desk writes (web/media.py)
KEYWORD_REL = "keyword"  # the subject relation of a keyword


def _text(value: Any) -> str | None:
    """One string from what pyexiv2 returns: a string, a list (first), or a lang-alt dict (default first)."""
    if isinstance(value, dict):
        value = value.get(_LANG_DEFAULT) or next(iter(value.values()), None)
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _texts(value: Any) -> tuple[str, ...]:
    """Several strings (creators, keywords), each once, in order."""
    values = value if isinstance(value, list) else [value]
    seen: list[str] = []
    for text in map(_text, values):
        if text and text not in seen:
            seen.append(text)
    return tuple(seen)


def _first(*values: Any) -> str | None:
    for value in values:
        text = _text(value)
        if text:
            return text
    return None


def _date_taken(xmp: dict[str, Any], iptc: dict[str, Any], exif: dict[str, Any]) -> str | None:
    if text := _text(xmp.get("Xmp.photoshop.DateCreated")):
        return text
    if day := _text(iptc.get("Iptc.Application2.DateCreated")):
        clock = _text(iptc.get("Iptc.Application2.TimeCreated"))
        return f"{day}T{clock}" if clock else day
    if taken := _text(exif.get("Exif.Photo.DateTimeOriginal")):
        day, _, clock = taken.partition(" ")  # EXIF writes 2024:05:01 10:11:12
        return day.replace(":", "-") + (f"T{clock}" if clock else "")
    return None


def _read(image: Any, method: str) -> dict[str, Any]:
    # Old IPTC records are often Latin-1, not UTF-8: read them as they are rather than refuse the photo.
    for encoding in ("utf-8", "latin-1"):
        try:
            return getattr(image, method)(encoding=encoding)
        except UnicodeDecodeError:
            continue
    return {}


def read_photo_metadata(path: Path) -> PhotoMetadata:
    """The editorial metadata embedded in the picture at ``path`` (empty fields when there is none)."""
    try:
        with pyexiv2.Image(str(path)) as image:
            xmp, iptc, exif = _read(image, "read_xmp"), _read(image, "read_iptc"), _read(image, "read_exif")
    except RuntimeError as exc:  # libexiv2's errors
        raise MediaUnreadable(f"the picture's metadata cannot be read: {exc}", field="file") from None
    return PhotoMetadata(
        caption=_first(xmp.get("Xmp.dc.description"), iptc.get("Iptc.Application2.Caption"),
                       exif.get("Exif.Image.ImageDescription")),
        creators=_texts(xmp.get("Xmp.dc.creator")) or _texts(iptc.get("Iptc.Application2.Byline"))
        or _texts(exif.get("Exif.Image.Artist")),
        credit=_first(xmp.get("Xmp.photoshop.Credit"), iptc.get("Iptc.Application2.Credit")),
        copyright=_first(xmp.get("Xmp.dc.rights"), iptc.get("Iptc.Application2.Copyright"),
                         exif.get("Exif.Image.Copyright")),
        keywords=_texts(xmp.get("Xmp.dc.subject")) or _texts(iptc.get("Iptc.Application2.Keywords")),
        city=_first(xmp.get("Xmp.photoshop.City"), iptc.get("Iptc.Application2.City")),
        country=_first(xmp.get("Xmp.photoshop.Country"), xmp.get("Xmp.iptc.CountryCode"),
                       iptc.get("Iptc.Application2.CountryName")),
        date_taken=_date_taken(xmp, iptc, exif),
        gps={k: v for k, v in exif.items() if k.startswith("Exif.GPSInfo.") and isinstance(v, str)},
    )


GPS_XMP = ("Xmp.exif.GPS",)  # XMP's copy of the EXIF GPS tags (Xmp.exif.GPSLatitude...)


def strip_gps(path: Path) -> bool:
    """Delete every GPS tag (EXIF GPSInfo, and XMP's copy of them) from the picture at ``path`` in
    place, nothing else: the pixels and the other metadata stay byte for byte. False when libexiv2
    cannot write this file (then the copy must not be used)."""
    try:
        with pyexiv2.Image(str(path)) as image:
            exif, xmp = _read(image, "read_exif"), _read(image, "read_xmp")
            gone_exif = {k: None for k in exif if k.startswith("Exif.GPSInfo.")}
            gone_xmp = {k: None for k in xmp if k.startswith(GPS_XMP)}
            if gone_exif:
                image.modify_exif(gone_exif)
            if gone_xmp:
                image.modify_xmp(gone_xmp)
        with pyexiv2.Image(str(path)) as image:  # read back: a tag left behind is a failure, not a copy
            left = [k for k in _read(image, "read_exif") if k.startswith("Exif.GPSInfo.")]
            left += [k for k in _read(image, "read_xmp") if k.startswith(GPS_XMP)]
    except RuntimeError:
        return False
    return not left


def write_photo_metadata(path: Path, meta: PhotoMetadata, *, keep_gps: bool = False) -> None:
    """Write the editorial fields of ``meta`` into the derivative at ``path`` (XMP and IPTC, so
    every newsroom system finds them); GPS only when ``keep_gps``."""
    xmp: dict[str, Any] = {}
    iptc: dict[str, Any] = {}
    if meta.caption:
        xmp["Xmp.dc.description"] = {_LANG_DEFAULT: meta.caption}
        iptc["Iptc.Application2.Caption"] = meta.caption
    if meta.creators:
        xmp["Xmp.dc.creator"] = list(meta.creators)
        iptc["Iptc.Application2.Byline"] = list(meta.creators)
    if meta.credit:
        xmp["Xmp.photoshop.Credit"] = meta.credit
        iptc["Iptc.Application2.Credit"] = meta.credit
    if meta.copyright:
        xmp["Xmp.dc.rights"] = {_LANG_DEFAULT: meta.copyright}
        iptc["Iptc.Application2.Copyright"] = meta.copyright
    if meta.keywords:
        xmp["Xmp.dc.subject"] = list(meta.keywords)
        iptc["Iptc.Application2.Keywords"] = list(meta.keywords)
    if meta.city:
        xmp["Xmp.photoshop.City"] = meta.city
        iptc["Iptc.Application2.City"] = meta.city
    if meta.country:
        xmp["Xmp.photoshop.Country"] = meta.country
        iptc["Iptc.Application2.CountryName"] = meta.country
    if meta.date_taken:
        xmp["Xmp.photoshop.DateCreated"] = meta.date_taken
    if not (xmp or (keep_gps and meta.gps)):
        return
    with pyexiv2.Image(str(path)) as image:
        if xmp:
            image.modify_xmp(xmp)
            image.modify_iptc(iptc)
        if keep_gps and meta.gps:
            image.modify_exif(meta.gps)
