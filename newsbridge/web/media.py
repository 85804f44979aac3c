"""Media as desk pages show it: the signed renditions of an item's media for the viewer's
organization, the thumbnails of the lists, shot lists (timecoded lines) and the item page's media block.

Every media URL a page shows is a signed hub URL for the viewer's organization (``media/links.py``),
relative to the page, so the browser fetches it from the hub that served the page; the hub checks
at each request that the organization may still see an item carrying the media.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.config import Settings
from newsbridge.errors import InvalidInput
from newsbridge.exchange.media_rules import Offer, offer_for
from newsbridge.items.queries import ItemRecord, received
from newsbridge.media.derivatives import WITHOUT_GPS
from newsbridge.media.links import MEDIA_URN, ORIGINAL, Signer, lent_media, offered, signing_key
from newsbridge.media.provenance import public
from newsbridge.media.records import Media, Rendition, list_renditions, media_by_id
from newsbridge.web.context import Viewer
from newsbridge.web.i18n import gettext_for, number

SHOTLIST_ROLE, SCRIPT_ROLE = "shotlist", "script"
CREDIT_ROLE = "credit"
# what a list shows for an item, best first: a picture's thumbnail, a video's poster-sized frame, a
# recording's waveform (only pictures: an audio item's "preview" is a recording)
THUMBNAIL_NAMES = ("thumbnail", "poster", "preview", "waveform")
_TIMECODE = re.compile(r"^(?:(\d{1,2}):)?(?:(\d{1,2}):)?(\d{1,2})(?:[.,](\d{1,3}))?$")
_SHOT_LINE = re.compile(r"^\s*(\d{1,2}(?::\d{1,2}){0,2}(?:[.,]\d{1,3})?)\s*[-–—|]?\s*(.*)$")


# -- shot lists -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shot:
    """One line of a shot list: where it starts (seconds) and what it shows."""

    seconds: float
    text: str

    @property
    def timecode(self) -> str:
        whole = int(self.seconds)
        hours, rest = divmod(whole, 3600)
        return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def parse_timecode(value: str) -> float | None:
    """Seconds from ``HH:MM:SS``, ``MM:SS`` or ``SS`` (fractions after ``.``); None when it is not one."""
    match = _TIMECODE.match(value.strip())
    if not match:
        return None
    first, second, seconds, fraction = match.groups()
    hours, minutes = (int(first), int(second)) if second is not None else (0, int(first or 0))
    if minutes > 59 or int(seconds) > 59:
        return None
    return hours * 3600 + minutes * 60 + int(seconds) + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def shots_from_form(times: list[str], texts: list[str]) -> list[Shot]:
    """The shot-list rows of the form (timecode, description), in time order; empty rows are skipped,
    a row with a description but no valid timecode is an error the form shows."""
    shots = []
    for index, (raw_time, raw_text) in enumerate(zip(times, texts), start=1):
        raw_time, text = raw_time.strip(), " ".join(raw_text.split())
        if not raw_time and not text:
            continue
        seconds = parse_timecode(raw_time)
        if seconds is None:
            raise InvalidInput(f"shot {index}: write the time as HH:MM:SS (for example 00:01:05)", field="shot_time")
        if not text:
            raise InvalidInput(f"shot {index}: describe what the shot shows", field="shot_text")
        shots.append(Shot(seconds, text))
    return sorted(shots, key=lambda s: s.seconds)


def shotlist_text(shots: list[Shot]) -> str:
    """A shot list as the text body partners receive (one ``HH:MM:SS description`` line per shot, as
    news exchanges write them)."""
    return "\n".join(f"{shot.timecode} {shot.text}" for shot in shots)


def read_shotlist(doc: dict[str, Any]) -> list[Shot]:
    """The shot list of a ninjs document (its ``shotlist`` body), lines without a timecode skipped."""
    body = next((b.get("value") for b in doc.get("bodies") or []
                 if isinstance(b, dict) and b.get("role") == SHOTLIST_ROLE and isinstance(b.get("value"), str)), "")
    shots = []
    for line in body.splitlines():
        match = _SHOT_LINE.match(line)
        seconds = parse_timecode(match[1]) if match else None
        if match and seconds is not None and match[2].strip():
            shots.append(Shot(seconds, match[2].strip()))
    return shots


def _body(doc: dict[str, Any], role: str) -> str:
    return next((b.get("value") for b in doc.get("bodies") or []
                 if isinstance(b, dict) and b.get("role") == role and isinstance(b.get("value"), str)), "")


# -- media of an item, for a viewer --------------------------------------------------------------------------------

def desk_signer(conn_engine: Any, settings: Settings, organization: Organization) -> Signer:
    """Signs rendition URLs for the viewer's organization, relative to the page (the hub that served it)."""
    return Signer(signing_key(conn_engine, settings), "", organization.id, settings.media_url_ttl)


@dataclass(frozen=True)
class Link:
    href: str
    rendition: Rendition


@dataclass(frozen=True)
class MediaView:
    """One media file of an item as a page shows it: its signed renditions by name and what the hub knows."""

    media: Media
    links: dict[str, Link] = field(default_factory=dict)
    c2pa: dict[str, Any] | None = None

    @property
    def kind(self) -> str:
        return self.media.kind

    @property
    def pending(self) -> bool:
        return self.media.status in ("uploaded", "probed")

    @property
    def rejected(self) -> bool:
        return self.media.status == "rejected"

    def href(self, *names: str) -> str | None:
        return next((self.links[n].href for n in names if n in self.links), None)

    @property
    def download(self) -> Link | None:
        """The whole file the viewer may download: the original, or its copy without GPS; None when
        the viewer is offered previews only (proxy only, or an original over its largest resolution)."""
        return next((self.links[n] for n in (ORIGINAL, WITHOUT_GPS) if n in self.links), None)


def _ordered_media(doc: dict[str, Any]) -> list[str]:
    """The hub media a document names, in the order its renditions name them."""
    found: list[str] = []
    for entries in [doc.get("renditions") or []] + [a.get("renditions") or [] for a in doc.get("associations") or []
                                                      if isinstance(a, dict)]:
        for entry in entries:
            href = entry.get("href") if isinstance(entry, dict) else None
            if isinstance(href, str) and href.startswith(MEDIA_URN) and href.removeprefix(MEDIA_URN) not in found:
                found.append(href.removeprefix(MEDIA_URN))
    return found


def _offers(conn: Connection, viewer: Organization, records: list[ItemRecord],
            agreements: Mapping[str, str | None] | None, reached: dict[str, str | None]) -> dict[str, Offer]:
    """What the viewer is offered of each record's media: everything of its own; else what the
    media rules of the agreement the item reached it by allow (``agreements``: item id -> that
    agreement's id, when the caller knows it; otherwise it is looked up, and noted in ``reached``),
    as the media URLs serve it."""
    cache: dict[tuple[str, str], Offer] = {}
    out = {}
    for record in records:
        if record.source.id == viewer.id:
            out[record.id], reached[record.id] = Offer.everything(), None
            continue
        if agreements is not None and record.id in agreements:
            agreement_id = agreements[record.id]
        else:
            how = received(conn, viewer, record.id)
            agreement_id = how.agreement_id if how is not None else None
        reached[record.id] = agreement_id
        out[record.id] = offer_for(conn, viewer, record.source.id, agreement_id, cache)
    return out


def media_views(conn: Connection, sign: Signer, viewer: Organization, records: list[ItemRecord],
                agreements: Mapping[str, str | None] | None = None) -> dict[str, list[MediaView]]:
    """Each record's media (only media of the item's own source: a document cannot lend itself another's;
    a joint project's item carries its co-producers' too, offered by their owners' terms: links.lent_media),
    with the renditions ``viewer`` is offered (``links.offered``, the rule ``/media/`` serves by: kinds
    shared, proxy only, largest resolution, GPS) signed for it; a kind its agreement does not share is
    left out. Withdrawn items show none. One query for all the records' media."""
    wanted = {r.id: _ordered_media(r.latest.document) for r in records
              if not r.latest.notice_only and r.latest.pubstatus != "canceled"}
    every = {m for ids in wanted.values() for m in ids}
    known = list_renditions(conn, every)
    found = media_by_id(conn, every)
    reached: dict[str, str | None] = {}
    offers = _offers(conn, viewer, [r for r in records if wanted.get(r.id)], agreements, reached)
    owners: dict[tuple[str, str], Offer] = {}
    out: dict[str, list[MediaView]] = {}
    for record in records:
        views = []
        ids = wanted.get(record.id, [])
        lent = lent_media(conn, record.source.id, record.uri, ids, found) if ids else set()
        for media_id in ids:
            media = found.get(media_id)
            if media is None or (media.organization_id != record.source.id and media_id not in lent):
                continue
            offer = offers.get(record.id, Offer.everything()) if media_id not in lent else \
                offer_for(conn, viewer, media.organization_id, reached.get(record.id), owners)
            if media.kind not in offer.kinds:
                continue
            renditions = known.get(media_id, [])
            names = {r.name for r in renditions}
            links = {r.name: Link(sign.href(r.id), r) for r in renditions if offered(r, media, offer, names)}
            views.append(MediaView(media, links, public(media.c2pa)))  # what partners see, not the store
        out[record.id] = views
    return out


@dataclass(frozen=True)
class Thumb:
    """What a list row shows for an item with media: a thumbnail, or a placeholder while it is made."""

    item_id: str
    kind: str
    href: str | None
    pending: bool
    rejected: bool = False


def thumbnail_of(item_id: str, views: list[MediaView]) -> Thumb | None:
    if not views:
        return None
    first = views[0]
    href = next((first.links[n].href for n in THUMBNAIL_NAMES if n in first.links
                 and first.links[n].rendition.content_type.startswith("image/")), None) or (first.href("original") if first.kind == "picture" and not first.pending
                                            and not first.rejected and first.media.size < 2_000_000 else None)
    return Thumb(item_id, first.kind, href, pending=href is None and first.pending, rejected=first.rejected)


def thumbnails(request: Request, who: Viewer, conn: Connection, records: list[ItemRecord],
               agreements: Mapping[str, str | None] | None = None) -> dict[str, Thumb]:
    """Item id → thumbnail for the rows of a list (items without media have none); ``agreements``:
    item id → the agreement each reached the viewer by, when the list knows it."""
    hub = request.app.state.hub
    views = media_views(conn, desk_signer(hub.engine, hub.settings, who.organization), who.organization, records,
                        agreements)
    return {item_id: thumb for item_id, found in views.items() if (thumb := thumbnail_of(item_id, found))}


def item_media(request: Request, who: Viewer, conn: Connection, record: ItemRecord) -> dict[str, Any]:
    """The item page's media block: the media views, the shot list, the script and the caption."""
    hub = request.app.state.hub
    views = media_views(conn, desk_signer(hub.engine, hub.settings, who.organization), who.organization,
                        [record]).get(record.id, [])
    doc = record.latest.document
    credit = next((s.get("name") for s in doc.get("infoSources") or []
                   if isinstance(s, dict) and s.get("role") == CREDIT_ROLE and s.get("name")), None)
    caption = next((d.get("value") for d in doc.get("descriptions") or []
                    if isinstance(d, dict) and isinstance(d.get("value"), str)), None)
    locale = who.locale
    _ = gettext_for(locale)

    def duration(seconds: float) -> str:
        minutes, rest = divmod(int(round(seconds)), 60)
        return f"{number(minutes, locale)}:{number(rest // 10, locale)}{number(rest % 10, locale)}"

    main = next((b.get("value") for b in doc.get("bodies") or [] if isinstance(b, dict)
                 and b.get("role") in (None, "main") and b.get("contentType", "text/plain") == "text/plain"), None)
    # the article would only repeat what the media block shows: a picture's caption, the shot list or the
    # script (a document without a main text gets its first text as one: formats/ninjs.py)
    repeats = bool(views) and ((views[0].kind in ("picture", "graphic") and main == caption and bool(caption))
                               or (bool(main) and main in (_body(doc, SHOTLIST_ROLE), _body(doc, SCRIPT_ROLE))))
    return {"media": views, "shots": read_shotlist(doc) if views else [], "script": _body(doc, SCRIPT_ROLE),
            "article_repeats_media": repeats,
            "media_credit": credit, "caption": caption, "duration": duration, "parse_time": _parse_time,
            "megabytes": lambda size: _("%(size)s MB", size=number(size_in_megabytes(size), locale))}


def size_in_megabytes(size: int) -> float:
    """Megabytes to one decimal, or to the first digit that is not zero for a file under 0.1 MB (a
    48 kB clip is "0.05 MB", not "0 MB")."""
    mb = size / 1_000_000
    digits = 1
    while digits < 3 and 0 < mb < 10 ** -digits:
        digits += 1
    return max(round(mb, digits), 0.001 if size else 0.0)  # the desk's numbers show three decimals at most


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
