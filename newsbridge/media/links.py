"""Media in items, and the signed URLs partners fetch it by.

An item carries hub media by naming it in a ninjs rendition: ``{"href": "urn:newsbridge:media:<id>"}``
(:func:`resolve_uploads` writes that for ``{"upload": "<upload id>"}``). Stored so, the document
never holds a URL that could go stale or leak; on the way out :func:`expand_media` replaces each
such entry with the media's current renditions (the original, and the previews derivative jobs
added since), each with an ``href`` to the hub signed for the reading organization:

    {public_url}/media/{rendition_id}?org={organization_id}&exp={unix time}&sig={HMAC-SHA256}

The HMAC covers the path, the organization and the expiry, under ``NEWSBRIDGE_MEDIA_URL_SECRET``
(or a key the hub generates once and keeps in the database); expiry is ``NEWSBRIDGE_MEDIA_URL_TTL``
ahead, rounded up to the hour so a feed's links stay the same for an hour. A signature is only a
ticket: :func:`entitled_rendition` asks again, at each request, whether that organization may see
an item carrying the media now (items/queries.py: source, or an available delivery; not withdrawn).
The signed URL route asks it in the one statement of media/entitlement.py, which decides the same
(tests/media/test_entitlement.py); this general form serves the push worker and the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.config import Settings, base_url
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import hub_secrets, item_media, items
from newsbridge.errors import InvalidInput, LinkExpired, LinkInvalid, NotFound
from newsbridge.ids import utcnow
from newsbridge.exchange.media_rules import Offer, offer_for
from newsbridge.items.queries import ItemRecord, ItemVersion, get_item, received
from newsbridge.media.derivatives import WITHOUT_GPS  # the original without its GPS tags
from newsbridge.media.records import (Media, Rendition, get_media, get_rendition, items_carrying, link_item,
                                      list_renditions, media_by_id, own_media)
from newsbridge.media.provenance import public
from newsbridge.media.uploads import upload_media

MEDIA_URN = "urn:newsbridge:media:"
ORIGINAL = "original"
CAN_CARRY_GPS = ("picture", "video", "audio")  # kinds whose originals the hub looks in for location tags
SIZED = ("picture", "video")  # kinds whose originals a maximum resolution judges by their probed size
SECRET_NAME = "media_url_secret"
_KEYS: dict[str, bytes] = {}  # per database: the generated key never changes once made


def known_signing_key(engine: Engine, settings: Settings) -> bytes | None:
    """:func:`signing_key` when it needs no database (the operator's secret, or the hub's key already read by
    this process); None otherwise."""
    if settings.media_url_secret:
        return settings.media_url_secret.encode()
    return _KEYS.get(engine.url.render_as_string(hide_password=True))


def signing_key(engine: Engine, settings: Settings) -> bytes:
    """The operator's NEWSBRIDGE_MEDIA_URL_SECRET, or the key the hub made (once, shared by every process)."""
    known = known_signing_key(engine, settings)
    if known is not None:
        return known
    cache = engine.url.render_as_string(hide_password=True)
    with reading(engine) as conn:
        value = conn.execute(sa.select(hub_secrets.c.value).where(hub_secrets.c.name == SECRET_NAME)).scalar()
    if value is None:
        try:
            with writing(engine) as conn:
                conn.execute(hub_secrets.insert().values(name=SECRET_NAME, value=secrets.token_urlsafe(32),
                                                         created_at=utcnow()))
        except IntegrityError:
            pass  # another process made it first: use theirs
        with reading(engine) as conn:
            value = conn.execute(sa.select(hub_secrets.c.value).where(hub_secrets.c.name == SECRET_NAME)).scalar_one()
    _KEYS[cache] = value.encode()
    return _KEYS[cache]


def _signature(key: bytes, rendition_id: str, organization_id: str, expires: int) -> str:
    message = f"/media/{rendition_id}\n{organization_id}\n{expires}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode().rstrip("=")


@dataclass(frozen=True)
class Signer:
    """Signs rendition URLs for one organization."""

    key: bytes
    base: str
    organization_id: str
    ttl: int

    def href(self, rendition_id: str, now: float | None = None) -> str:
        expires = math.ceil(((now if now is not None else utcnow().timestamp()) + self.ttl) / 3600) * 3600
        # the signature is base64url and the expiry digits: only the organization id needs quoting
        return (f"{self.base}/media/{quote(rendition_id, safe='')}?org={quote(self.organization_id, safe='')}"
                f"&exp={expires}&sig={_signature(self.key, rendition_id, self.organization_id, expires)}")


def signer(engine: Engine, settings: Settings, organization: Organization) -> Signer:
    return Signer(signing_key(engine, settings), base_url(settings), organization.id, settings.media_url_ttl)


def verify_signature(key: bytes, rendition_id: str, organization_id: str, expires: str, signature: str,
                     now: float | None = None) -> None:
    """Raise LinkInvalid for a signature that does not match, LinkExpired for a valid one past its time."""
    if not expires.isdigit() or not hmac.compare_digest(
            _signature(key, rendition_id, organization_id, int(expires)), signature):
        raise LinkInvalid("this media URL's signature does not match (altered, or signed for another "
                          "organization); use the href of the item as the hub sent it", field="sig")
    if int(expires) <= (now if now is not None else utcnow().timestamp()):
        raise LinkExpired("this media URL has expired; read the item again for a fresh href", field="exp")


def _rendition_lists(doc: dict[str, Any]) -> Iterator[list[Any]]:
    """Every ninjs 3.x renditions list of the document: its own and its associations'."""
    if isinstance(doc.get("renditions"), list):
        yield doc["renditions"]
    for association in doc.get("associations") or []:
        if isinstance(association, dict) and isinstance(association.get("renditions"), list):
            yield association["renditions"]


def _in_order(doc: dict[str, Any], ids: set[str]) -> list[str]:
    """``ids`` in the order the document's renditions name them."""
    order: list[str] = []
    for entries in _rendition_lists(doc):
        for entry in entries:
            href = entry.get("href") if isinstance(entry, dict) else None
            named = href.removeprefix(MEDIA_URN) if isinstance(href, str) else None
            if named in ids and named not in order:
                order.append(named)
    return order


def media_ids(doc: dict[str, Any]) -> set[str]:
    """The hub media a ninjs 3.x document names."""
    found = set()
    for entries in _rendition_lists(doc):
        for entry in entries:
            href = entry.get("href") if isinstance(entry, dict) else None
            if isinstance(href, str) and href.startswith(MEDIA_URN):
                found.add(href.removeprefix(MEDIA_URN))
    return found


def rendition_json(rendition: Rendition, href: str, for_newsml: bool = False) -> dict[str, Any]:
    """A ninjs 3.x rendition of hub media (only the keys the closed IPTC rendition object allows;
    ``for_newsml``: the document is for NewsML-G2's writer, so it adds what that format has a place for:
    ``sha256`` for its ``hash``, and the ``audioCodec`` and ``audioChannels`` for its ``audiocodecuri`` and
    ``audiochannelsuri``. The JSON API states each rendition's SHA-256 in ``hub.media[].renditions[]``)."""
    out: dict[str, Any] = {"name": rendition.name, "href": href, "contentType": rendition.content_type,
                           "sizeInBytes": rendition.size}
    for key, value in (("width", rendition.width), ("height", rendition.height), ("duration", rendition.duration),
                       ("frameRate", rendition.frame_rate), ("videoCodec", rendition.video_codec)):
        if value is not None:
            out[key] = value
    if for_newsml:
        out["sha256"] = rendition.sha256
        for key, value in (("audioCodec", rendition.audio_codec), ("audioChannels", rendition.audio_channels)):
            if value is not None:
                out[key] = value
    return out


def offered(rendition: Rendition, media: Media, offer: Offer, names: Iterable[str]) -> bool:
    """Whether a reader with ``offer`` is offered (listed, and served) this rendition of ``media``,
    whose renditions are called ``names`` (:func:`offers_rendition`)."""
    return offers_rendition(offer, rendition.name, rendition.width, rendition.height, media.kind, media.gps,
                            WITHOUT_GPS in names)


def offers_rendition(offer: Offer, name: str, width: int | None, height: int | None, kind: str, gps: str | None,
                     gps_free_kept: bool) -> bool:
    """Whether ``offer`` offers the rendition ``name`` (``width`` x ``height``) of media of ``kind``, whose
    original the hub looked for GPS in with the result ``gps`` (None: not yet; ``none``; ``found``:
    media/records.py ``media.gps``) and has a GPS-free copy of when ``gps_free_kept``: a kind the term shares;
    no original under ``proxy_only``; nothing whose shorter side is over ``max_resolution`` (nor, under it,
    the original of a picture or video before its probe has measured it); without
    ``allow_gps``, the GPS-free copy instead of an original that carries GPS, and the original of a picture,
    video or audio only once the hub has looked and found none (at publish or by the derivative job; an
    original is never altered), whatever the previews' state.
    The rule every output lists by and the signed URL serves by (also media/entitlement.py)."""
    if kind not in offer.kinds:
        return False
    limits = offer.limits
    if name in (ORIGINAL, WITHOUT_GPS):
        if limits.proxy_only:
            return False
        if name == WITHOUT_GPS and limits.allow_gps:
            return False  # the original itself is offered
        if name == ORIGINAL and not limits.allow_gps and (
                gps_free_kept or (kind in CAN_CARRY_GPS and gps != "none")):
            return False
    if limits.max_resolution and width and height and min(width, height) > limits.max_resolution:
        return False
    if limits.max_resolution and not (width and height) and kind in SIZED and name in (ORIGINAL, WITHOUT_GPS):
        return False  # not probed yet (an original offered before its job): its size cannot be checked
    return True


def expand_media(doc: dict[str, Any], owner_id: str, known: dict[str, list[Rendition]], owners: dict[str, Media],
                 sign: Signer, offer: Offer = Offer.everything(), for_newsml: bool = False,
                 lent: Mapping[str, Offer] | None = None) -> dict[str, Any]:
    """``doc`` with each hub media rendition replaced by that media's renditions ``offer`` allows,
    signed. Media that is not the item source's own is dropped (a document cannot lend itself
    another's media), unless its owner lent it to the item: ``lent`` maps such media to what the
    reader is offered of it under its owner's terms (a joint project's item, :func:`lent_media`)."""
    lent = lent or {}

    def expanded(entries: list[Any]) -> list[Any]:
        out: list[Any] = []
        done: set[str] = set()
        for entry in entries:
            href = entry.get("href") if isinstance(entry, dict) else None
            if not (isinstance(href, str) and href.startswith(MEDIA_URN)):
                out.append(entry)
                continue
            media_id = href.removeprefix(MEDIA_URN)
            media = owners.get(media_id)
            if media_id in done or media is None or (media.organization_id != owner_id and media_id not in lent):
                continue
            done.add(media_id)
            renditions = known.get(media_id, [])
            names = {r.name for r in renditions}
            terms = offer if media.organization_id == owner_id else lent[media_id]
            out.extend(rendition_json(r, sign.href(r.id), for_newsml) for r in renditions
                       if offered(r, media, terms, names))
        return out

    result = dict(doc)
    if isinstance(doc.get("renditions"), list):
        result["renditions"] = expanded(doc["renditions"])
        if not result["renditions"]:
            del result["renditions"]  # ninjs: an empty list says nothing a reader could use
    if isinstance(doc.get("associations"), list):
        result["associations"] = [
            {**a, "renditions": expanded(a["renditions"])} if isinstance(a, dict)
            and isinstance(a.get("renditions"), list) else a for a in doc["associations"]]
    return result


NOT_ASKED = "?"  # the agreement a record reached the reader by is looked up (see :func:`with_media`)


def lent_media(conn: Connection, source_id: str, uri: str, ids: Iterable[str], owners: Mapping[str, Media]) -> set[str]:
    """Which of ``ids`` (media of other organizations than the item's source) their owners lent to the
    source's item ``uri``: a joint project's publication links the media co-producers attached to
    its drafts to the lead's item (projects/publication.py); nothing else links another's media."""
    foreign = sorted(m for m in ids if m in owners and owners[m].organization_id != source_id)
    if not foreign:
        return set()
    return set(conn.execute(sa.select(item_media.c.media_id).where(
        item_media.c.organization_id == source_id, item_media.c.item_uri == uri,
        item_media.c.media_id.in_(foreign))).scalars())


def carries_media(version: ItemVersion) -> bool:
    """Whether the version names hub media (cheap on a document still held as JSON text)."""
    if isinstance(version.stored, str):
        return MEDIA_URN in version.stored
    return bool(media_ids(version.document))


def media_versions(conn: Connection, engine: Engine, settings: Settings, viewer: Organization,
                   pairs: Sequence[tuple[ItemRecord, ItemVersion, str | None]], *,
                   for_newsml: bool = False) -> list[ItemVersion]:
    """Each (record, version, agreement id it reached the viewer by, or :data:`NOT_ASKED`) as the
    version to render for ``viewer``: its hub media expanded into the renditions its agreement's media
    rules offer the viewer, each signed for the viewer. Versions without hub media (or withdrawn for the
    viewer: a notice names none) come back as they were; what every output renders from."""
    named = [media_ids(v.document) if carries_media(v) and not v.notice_only else set() for _, v, _ in pairs]
    wanted = set().union(*named) if named else set()
    if not wanted:
        return [v for _, v, _ in pairs]
    known = list_renditions(conn, wanted)
    owners = media_by_id(conn, (m for m in wanted if known.get(m)))
    sign = signer(engine, settings, viewer)
    offers: dict[tuple[str, str], Offer] = {}
    out = []
    for (record, version, agreement_id), ids in zip(pairs, named):
        if not ids:
            out.append(version)
            continue
        if agreement_id == NOT_ASKED:
            how = received(conn, viewer, record.id) if record.source.id != viewer.id else None
            agreement_id = how.agreement_id if how is not None else None
        offer = offer_for(conn, viewer, record.source.id, agreement_id, offers)
        # a co-producer's media in a joint item: offered as its owner's terms under that agreement say
        lent = {m: offer_for(conn, viewer, owners[m].organization_id, agreement_id, offers)
                for m in lent_media(conn, record.source.id, record.uri, ids, owners)}
        doc = expand_media(version.document, record.source.id, known, owners, sign, offer, for_newsml, lent)
        shown = tuple(hub_media_entry(owners[m], known.get(m, ()), lent[m] if m in lent else offer)
                      for m in _in_order(version.document, ids)
                      if m in owners and owners[m].kind in (lent[m] if m in lent else offer).kinds)
        out.append(replace(version, stored=doc, hub_media=shown))
    return out


def hub_media_entry(media: Media, kept: Iterable[Rendition] = (), offer: Offer = Offer.everything()) -> dict[str, Any]:
    """What the hub says of one media beside the ninjs (``hub.media[]``): its kind, its codecs, whether its
    previews are made (``processing`` while the derivative job works: the renditions list holds only what
    is ready so far, as when a feed or webhook sent the item after NEWSBRIDGE_MEDIA_READY_WAIT_SECONDS;
    ``ready``; ``rejected``: the hub refused the file), its C2PA credentials (``provenance.public``), and
    the original's frame rate and audio channels once probed (ninjs renditions have no place for channels),
    ``renditions``: the name, SHA-256 and size of each rendition ``offer`` lists in the ninjs (whose
    closed rendition object has no place for a hash), so a partner can check the bytes it fetched, and
    ``original``: what became of the original for this reader (:func:`original_state`)."""
    previews = "ready" if media.status == "ready" else "rejected" if media.status == "rejected" else "processing"
    entry = {"id": media.id, "kind": media.kind, "previews": previews,
             "codecs": media.codecs.split(",") if media.codecs else [], "c2pa": public(media.c2pa)}
    kept = list(kept)
    names = {r.name for r in kept}
    entry["renditions"] = [{"name": r.name, "sha256": r.sha256, "size": r.size} for r in kept
                           if offered(r, media, offer, names)]
    entry["original"] = original_state(media, kept, offer)
    original = next((r for r in kept if r.name == ORIGINAL), None)
    if original is not None and original.frame_rate is not None:
        entry["frame_rate"] = original.frame_rate
    if original is not None and original.audio_channels is not None:
        entry["channels"] = original.audio_channels
    return entry


def original_state(media: Media, kept: Sequence[Rendition], offer: Offer) -> str:
    """Why a reader with ``offer`` does or does not find the original among the renditions: ``offered``;
    ``gps_free_copy`` (it carries GPS, which the terms do not allow: ``original-nogps`` is listed instead);
    ``awaiting_gps_check`` (not before the hub has looked for GPS in it: at publish, or the derivative job);
    ``awaiting_gps_free_copy`` (the hub found GPS in it and has not made the copy without: a video's or
    audio's is made by the derivative job); ``withheld`` (proxy only, or over the maximum resolution)."""
    names = {r.name for r in kept}
    by_name = {r.name: r for r in kept}
    if ORIGINAL in by_name and offered(by_name[ORIGINAL], media, offer, names):
        return "offered"
    if WITHOUT_GPS in by_name and offered(by_name[WITHOUT_GPS], media, offer, names):
        return "gps_free_copy"
    with_gps = replace(offer, limits=replace(offer.limits, allow_gps=True))
    if ORIGINAL in by_name and WITHOUT_GPS not in names and offered(by_name[ORIGINAL], media, with_gps, names):
        return "awaiting_gps_free_copy" if media.gps == "found" else "awaiting_gps_check"
    return "withheld"


def with_media(conn: Connection, engine: Engine, settings: Settings, viewer: Organization,
               records: list[ItemRecord], *, for_newsml: bool = False) -> list[ItemRecord]:
    """The records with their newest version's hub media expanded for ``viewer`` (see
    :func:`media_versions`; the agreement of each is looked up)."""
    versions = media_versions(conn, engine, settings, viewer, [(r, r.latest, NOT_ASKED) for r in records],
                              for_newsml=for_newsml)
    return [r if v is r.latest else replace(r, latest=v) for r, v in zip(records, versions)]


def resolve_uploads(engine: Engine, organization: Organization, doc: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """A ninjs 3.x document whose renditions may say ``{"upload": "<id>"}`` (a finished upload of the
    organization) or name its media by ``urn:newsbridge:media:<id>``, with each such entry as a hub
    media rendition; and the media ids it names. Another organization's upload or media: NotFound."""
    found: set[str] = set()

    def resolve(entries: list[Any], where: str) -> list[Any]:
        out = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                out.append(entry)
                continue
            href = entry.get("href")
            if "upload" in entry:
                if not isinstance(entry["upload"], str):
                    raise InvalidInput("`upload` is the id of a finished upload", field=f"{where}[{index}].upload")
                media: Media = upload_media(engine, organization.id, entry["upload"])
            elif isinstance(href, str) and href.startswith(MEDIA_URN):
                with reading(engine) as conn:
                    media = own_media(conn, organization.id, href.removeprefix(MEDIA_URN))
            else:
                out.append(entry)
                continue
            found.add(media.id)
            rest = {k: v for k, v in entry.items() if k not in ("upload", "href", "contentType", "sizeInBytes")}
            out.append({"name": "original", **rest, "href": MEDIA_URN + media.id,
                        "contentType": media.content_type, "sizeInBytes": media.size})
        return out

    result = dict(doc)
    if isinstance(doc.get("renditions"), list):
        result["renditions"] = resolve(doc["renditions"], "renditions")
    if isinstance(doc.get("associations"), list):
        result["associations"] = [
            {**a, "renditions": resolve(a["renditions"], f"associations[{i}].renditions")}
            if isinstance(a, dict) and isinstance(a.get("renditions"), list) else a
            for i, a in enumerate(doc["associations"])]
    return result, found


def link_media(engine: Engine, organization: Organization, uri: str, ids: set[str]) -> None:
    """Record that the organization's item ``uri`` carries the media (before the item is stored: a
    crash in between leaves a link to nothing, never media an item cannot reach)."""
    if ids:
        with writing(engine) as conn:
            link_item(conn, organization.id, uri, ids)


def entitled_rendition(conn: Connection, organization_id: str, rendition_id: str) -> tuple[Rendition, Media]:
    """The rendition, when the organization may see, now, an item that carries its media: the media's
    owner always; a recipient while the newest version delivered to it (available, not withdrawn)
    still names the media and the media rules of the agreement it came by offer the rendition
    (:func:`offered`: kinds, proxy only, maximum resolution, GPS). The rules are the media owner's
    terms: for a joint project's item carrying a co-producer's media (:func:`lent_media`), that
    co-producer's. Anything else: NotFound, like an id that does not exist, whatever the signature.
    Serving asks the same in one statement (media/entitlement.py ``entitled``): change both together."""
    rendition = get_rendition(conn, rendition_id)
    media = get_media(conn, rendition.media_id)
    try:
        viewer = get_organization_by_id(conn, organization_id)
    except NotFound:
        raise NotFound(f"no media {rendition_id!r}", field="rendition") from None
    if viewer.id == media.organization_id:
        return rendition, media
    for owner_id, uri in items_carrying(conn, media.id):  # the owner's items, and joint items it was lent to
        item_id = conn.execute(sa.select(items.c.id).where(items.c.organization_id == owner_id,
                                                           items.c.uri == uri)).scalar()
        if item_id is None:
            continue
        try:
            record = get_item(conn, viewer, item_id)
        except NotFound:
            continue
        if record.latest.notice_only or record.latest.pubstatus == "canceled" \
                or media.id not in media_ids(record.latest.document):
            continue
        how = received(conn, viewer, item_id) if record.source.id != viewer.id else None
        offer = offer_for(conn, viewer, media.organization_id, how.agreement_id if how is not None else None)
        names = {r.name for r in list_renditions(conn, [media.id])[media.id]}
        if offered(rendition, media, offer, names):
            return rendition, media
    raise NotFound(f"no media {rendition_id!r}", field="rendition")
