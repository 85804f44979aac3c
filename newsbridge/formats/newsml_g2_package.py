"""IPTC NewsML-G2 out, a text with its media: a newsMessage holding a packageItem and its newsItems.

A ninjs text item carries its photos, video and audio as ``associations``, each with its own
``renditions``. NewsML-G2 has no such nesting: a story with its media is a *package*. IPTC's
guidelines (and LISTING 24 of the NewsML-G2 2.35 examples) send it as one ``newsMessage`` whose
``itemSet`` holds the ``packageItem`` (``itemClass ninat:composite``, a ``groupSet`` whose root group
references each member by ``itemRef residref`` = its guid) and every member's ``newsItem``.

:func:`to_newsml_package` writes, for an item with media associations:

- the ``packageItem``: guid ``<item uri>:package``, the text's version, provider, times, embargo and
  publishing status; one group ``G1`` (``role="group:main"``) with an ``itemRef`` to the text (its
  ``itemClass``, ``pubStatus`` and headline as ``title``) and one per media object (``itemClass``,
  ``pubStatus``, the association's ``name`` as ``title``, its caption as ``description
  role="drol:caption"``, its credit as ``creditline``);
- the text's ``newsItem``, as :func:`newsbridge.formats.newsml_g2_out.to_newsml` writes it alone;
- one ``newsItem`` per media object, written by the same function from the association (so its
  ``remoteContent`` carry href, content type, size, SHA-256 ``hash``, width, height, duration, frame
  rate, codecs and audio channels exactly as a media item's own do): guid the association's ``uri``
  (else ``<item uri>:<name>``), ``itemClass`` its type (else what its renditions' content type says),
  its version (else 1, NewsML-G2's default, written out), and what it does not say itself (language,
  versionCreated, pubStatus, embargo) taken from the text.

An association with no rendition (nothing a reader was offered of it, or a bare reference), one
whose kind cannot be told and one NewsML-G2 cannot hold (a publishing status it has no code for) is not
written. An item without any such association is written as a
single newsItem, as before. The hub's reader puts the package back together
(:mod:`newsbridge.formats.packages`): the text with its associations. Every document validates
against IPTC's NewsML-G2 2.35 XSD (tests/formats/test_newsml_g2_package.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import etree

from newsbridge.formats import ninjs
from newsbridge.formats.item import PUBSTATUSES, Item
from newsbridge.formats.newsml_g2_names import NAR, NewsmlError
from newsbridge.formats.newsml_g2_names import q as _q
from newsbridge.formats.newsml_g2_names import sub as _sub
from newsbridge.formats.newsml_g2_out import CATALOG, to_newsml
from newsbridge.formats.packages import MEDIA_NATURES

NEWSITEM_TYPE = "application/vnd.iptc.g2.newsitem+xml"
NEWSMESSAGE_TYPE = "application/vnd.iptc.g2.newsmessage+xml"
_BY_MAJOR_TYPE = {"image": "picture", "video": "video", "audio": "audio"}
_ROOT_GROUP = "G1"


def _kind(association: dict[str, Any], renditions: list[dict[str, Any]]) -> str | None:
    """The association's media kind: its ninjs ``type``, else its renditions' content type's."""
    if association.get("type") in MEDIA_NATURES:
        return association["type"]  # type: ignore[no-any-return]
    for rendition in renditions:
        major = str(rendition.get("contentType") or "").split("/")[0].strip().lower()
        if major in _BY_MAJOR_TYPE:
            return _BY_MAJOR_TYPE[major]
    return None


def _credit(association: dict[str, Any], media: Item) -> str | None:
    """The credit line: ``creditline`` (the hub's photo metadata), else an infoSource in that role."""
    if isinstance(association.get("creditline"), str) and association["creditline"].strip():
        return association["creditline"].strip()  # type: ignore[no-any-return]
    return next((s["name"] for s in media.extra.get("infoSources", [])
                 if isinstance(s, dict) and s.get("role") == "creditline" and s.get("name")), None)


def _caption(media: Item) -> str | None:
    if media.description:
        return media.description
    return next((d.get("value") for d in media.extra.get("descriptions", []) if isinstance(d, dict)
                 and d.get("role") in ("caption", "drol:caption") and d.get("value")), None)


def _carried(association: Any) -> tuple[list[dict[str, Any]], str | None]:
    """An association's renditions with a web address and its media kind, when a package carries it (else
    the kind is None): an object naming at least one such rendition, of a kind NewsML-G2 names."""
    if not isinstance(association, dict):
        return [], None
    renditions = [r for r in association.get("renditions") or [] if isinstance(r, dict) and r.get("href")]
    return renditions, _kind(association, renditions) if renditions else None


def package_members(item: Item, created: datetime | None = None) -> list[tuple[str, Item, str | None, str | None]]:
    """The media associations of ``item`` that a package carries, as (name, item to write as a newsItem,
    caption, credit), in the association order; see the module's docstring for what is left out."""
    members: list[tuple[str, Item, str | None, str | None]] = []
    guids = {item.uri}
    for index, association in enumerate(item.associations, start=1):
        renditions, kind = _carried(association)
        if kind is None:
            continue
        name = str(association.get("name") or f"media{index}")
        media = ninjs.item_from_ninjs({k: v for k, v in association.items() if k not in ("name", "associations")})
        guid = media.uri if isinstance(media.uri, str) and media.uri.strip() and media.uri not in guids \
            else f"{item.uri}:{name}"
        if guid in guids:
            guid = f"{item.uri}:media{index}"
        guids.add(guid)
        credit = _credit(association, media)
        extra = dict(media.extra)
        if credit and not any(s.get("role") == "creditline" for s in extra.get("infoSources", []) if isinstance(s, dict)):
            extra["infoSources"] = [*extra.get("infoSources", []), {"name": credit, "role": "creditline"}]
        # NewsML-G2's default version is 1: said outright, as readers that need the attribute (Superdesk's) want
        version = media.version if media.version and str(media.version).isdigit() else "1"
        media = replace(media, uri=guid, type=kind, renditions=renditions, associations=[], extra=extra,
                        version=version, language=media.language or item.language,
                        pubstatus=media.pubstatus if "pubStatus" in association else item.pubstatus,
                        versioncreated=media.versioncreated or item.versioncreated or created,
                        embargoed=media.embargoed or item.embargoed)  # never out before the story it illustrates
        members.append((name, media, _caption(media), credit))
    return members


def _item_ref(group: etree._Element, member: Item, title: str | None, caption: str | None = None,
              credit: str | None = None) -> None:
    ref = _sub(group, "itemRef", residref=member.uri, contenttype=NEWSITEM_TYPE,
               version=member.version if member.version and str(member.version).isdigit() else None)
    _sub(ref, "itemClass", qcode=f"ninat:{member.type}")
    if member.pubstatus in PUBSTATUSES:
        _sub(ref, "pubStatus", qcode=f"stat:{member.pubstatus}")
    if title:
        _sub(ref, "title", title)
    if caption:
        _sub(ref, "description", caption, role="drol:caption")
    if credit:
        _sub(ref, "creditline", credit)


def _package(item: Item, text_root: etree._Element, members: list[tuple[str, Item, str | None, str | None]]
             ) -> etree._Element:
    """The packageItem: the text's identity and times (read from its written newsItem), and the group."""
    package = etree.Element(_q("packageItem"), nsmap={None: NAR})
    for key in ("version", "standard", "standardversion", "conformance", "{http://www.w3.org/XML/1998/namespace}lang"):
        if text_root.get(key):
            package.set(key, text_root.get(key))  # type: ignore[arg-type]
    package.set("guid", f"{item.uri}:package")
    _sub(package, "catalogRef", href=CATALOG)
    meta = _sub(package, "itemMeta")
    _sub(meta, "itemClass", qcode="ninat:composite")
    text_meta = text_root.find(_q("itemMeta"))
    for name in ("provider", "versionCreated", "firstCreated", "embargoed", "pubStatus"):
        found = text_meta.find(_q(name)) if text_meta is not None else None
        if found is not None:
            meta.append(_copy(found))
    content_meta = _sub(package, "contentMeta")  # always there: Superdesk's parser reads one in every item
    if item.headline:
        _sub(content_meta, "headline", item.headline)
    group = _sub(_sub(package, "groupSet", root=_ROOT_GROUP), "group", id=_ROOT_GROUP, role="group:main")
    _item_ref(group, item, item.headline)
    for name, media, caption, credit in members:
        _item_ref(group, media, name, caption, credit)
    return package


def _copy(el: etree._Element) -> etree._Element:
    copied = etree.fromstring(etree.tostring(el))
    copied.tail = None
    return copied


def to_newsml_package(item: Item, *, created: datetime | None = None, sent: datetime | None = None) -> bytes:
    """``item`` as NewsML-G2: a newsMessage with its package when it has media associations to carry, else
    the single newsItem :func:`~newsbridge.formats.newsml_g2_out.to_newsml` writes. ``created`` is when
    the hub stored the version (the versionCreated of last resort); ``sent`` the header's transmission
    time (the hub passes now; without one, the text's versionCreated: the writer reads no clock)."""
    text = to_newsml(item, created=created)
    if not (members := package_members(item, created)):
        return text
    text_root = etree.fromstring(text)
    # what the text was written with (its own, else when stored, else its first-created day)
    written = datetime.fromisoformat(_version_created(text_root))
    media_roots = []
    for member in list(members):
        try:
            media_roots.append(etree.fromstring(to_newsml(member[1], created=written)))
        except NewsmlError:  # an association NewsML-G2 cannot hold (a pubStatus of its own it has no code for)
            members.remove(member)
    if not members:
        return text
    message = etree.Element(_q("newsMessage"), nsmap={None: NAR})
    _sub(_sub(message, "header"), "sent", sent.isoformat() if sent else _version_created(text_root))
    item_set = _sub(message, "itemSet")
    package = _package(item, text_root, members)
    etree.indent(package, space="  ")
    item_set.append(package)
    item_set.append(text_root)
    item_set.extend(media_roots)
    return etree.tostring(message, xml_declaration=True, encoding="UTF-8")


def _version_created(root: etree._Element) -> str:
    found = root.find(f"{_q('itemMeta')}/{_q('versionCreated')}")
    return found.text if found is not None and found.text else ""


def carries_package(document: dict[str, Any]) -> bool:
    """Whether a ninjs document (its media expanded for the reader) comes out as a newsMessage with its package:
    it has an association with a web address that a package carries (:func:`package_members`), without
    writing anything. Feeds name the media type of an item's NewsML-G2 link by it."""
    associations = document.get("associations")
    return isinstance(associations, list) and any(_carried(a)[1] is not None for a in associations)


def media_type(document: bytes) -> str:
    """The IANA media type of a document :func:`to_newsml_package` wrote: a newsMessage or a newsItem."""
    return NEWSMESSAGE_TYPE if b"<newsMessage" in document[:200] else NEWSITEM_TYPE
