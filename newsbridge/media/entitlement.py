"""Whether an organization other than the media's owner may fetch one of its renditions now: the check
every range of a signed media URL makes (``GET /media/{rendition_id}``, media/serving.py).

The rule is :func:`~newsbridge.media.links.entitled_rendition`'s, which goes the general way (the item
access rule of items/queries.py ``get_item`` and ``received`` for each item carrying the media, the
agreement's media rules by exchange/media_rules.py ``offer_for``, the rendition list): about 13 queries
and 5-8 ms of CPU, mostly spent building them, at every range a partner's player asks for. Here the
same decision is one statement, written once as SQL text with bind parameters (on SQLite a Core
select's cache key costs more than such a query), reading for each item that carries the media:

* the version the viewer sees: the newest for the item's source, else the newest delivered to the
  viewer or its holding and available now (``get_item``); none, no row;
* whether the item is withdrawn for the viewer (``items/withdrawal.notice_only``, the same condition),
  or that version canceled: no row;
* that version's document, which must still name the media in a renditions list;
* the delivery of that version (``received``: the viewer's own before its holding's) and, when it came
  by an agreement, the agreement's terms and revision and what the media owner and its holding signed;
* whether the media has a GPS-free copy of its original (``offered``'s rendition names).

Python then applies the agreement's media rules as ``offer_for`` does (the media owner's term, signed
as the terms stand) and :func:`~newsbridge.media.links.offers_rendition` (with the media's GPS look,
``media.gps``, which serving's lookup row carries). Nothing is cached between
requests: a withdrawal, an embargo, a version that drops the media, a change of the rules or of a
signature holds at the very next range. tests/media/test_entitlement.py compares the two paths over
a matrix of cases on both databases.

On SQLite the serving path asks :func:`entitled_on_sqlite`: the same statement on the driver's cursor,
with SQLAlchemy's parameter processing written out (:func:`sqlite_time` for ``now``; the columns are text
and numbers on both paths, the terms read as JSON text), because SQLAlchemy's execution, typed result and
transaction cost several times the statement at every range (about 340 of 400 µs in process). One
statement reads one consistent state, so it needs no transaction of its own.
tests/media/test_entitlement.py compares its rows with SQLAlchemy's field by field. Decoding the
document and the terms and applying the rules are pure functions of the text just read, kept by that
text (:func:`_named_media`, :func:`_offer`): not a cache of decisions, nothing that outlives a change.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection

from newsbridge.db.types import UTCDateTime
from newsbridge.exchange.media_rules import Offer, sharing_term, term_offer
from newsbridge.ids import utcnow
from newsbridge.media.derivatives import WITHOUT_GPS
from newsbridge.media.links import MEDIA_URN, media_ids, offers_rendition

# k: the holdings of the viewer and of the media's owner (items/queries.py ``viewer_ids``: the viewer's
# deliveries and its holding's count). The notice condition is items/withdrawal.py ``notice_only`` with
# ``owner`` (COALESCE over recipient_id keeps SQLite on the item's deliveries, as there).
_CARRYING_SQL = """
SELECT k.viewer_parent, k.owner_parent, CAST(v.document AS TEXT) AS document, d.agreement_id,
       CAST(a.terms AS TEXT) AS terms,
       a.terms_revision,
       (SELECT p.signed_revision FROM agreement_parties p
         WHERE p.agreement_id = d.agreement_id AND p.organization_id = :owner) AS owner_signed,
       (SELECT p.signed_revision FROM agreement_parties p
         WHERE p.agreement_id = d.agreement_id AND p.organization_id = k.owner_parent) AS holding_signed,
       EXISTS (SELECT 1 FROM renditions g WHERE g.media_id = :media AND g.name = :gps_free) AS gps_free_kept
FROM (SELECT (SELECT parent_id FROM organizations WHERE id = :viewer) AS viewer_parent,
             (SELECT parent_id FROM organizations WHERE id = :owner) AS owner_parent) k
JOIN item_media im ON im.media_id = :media
JOIN items i ON i.organization_id = im.organization_id AND i.uri = im.item_uri
JOIN item_versions v ON v.item_id = i.id AND v.version = CASE WHEN i.organization_id = :viewer
     THEN i.latest_version
     ELSE (SELECT max(s.version) FROM deliveries s
            WHERE s.item_id = i.id AND s.recipient_id IN (:viewer, k.viewer_parent) AND s.available_from <= :now) END
LEFT JOIN deliveries d ON d.id = (
     SELECT e.id FROM deliveries e
      WHERE i.organization_id <> :viewer AND e.item_id = i.id AND e.version = v.version
        AND e.recipient_id IN (:viewer, k.viewer_parent)
      ORDER BY CASE WHEN e.recipient_id = :viewer THEN 0 ELSE 1 END LIMIT 1)
LEFT JOIN agreements a ON a.id = d.agreement_id
WHERE v.pubstatus <> 'canceled'
  AND (i.organization_id = :viewer OR NOT (i.pubstatus = 'canceled' OR COALESCE((
       SELECT n.event FROM deliveries n
        WHERE n.item_id = i.id AND COALESCE(n.recipient_id, '') IN (:viewer, k.viewer_parent)
          AND n.available_from <= :now
        ORDER BY n.version DESC LIMIT 1) = 'item.withdrawn', FALSE)))
"""
_CARRYING = sa.text(_CARRYING_SQL).bindparams(sa.bindparam("now", type_=UTCDateTime())).columns(
    sa.column("viewer_parent", sa.String), sa.column("owner_parent", sa.String), sa.column("document", sa.Text),
    sa.column("agreement_id", sa.String), sa.column("terms", sa.Text),
    sa.column("terms_revision", sa.Integer), sa.column("owner_signed", sa.Integer),
    sa.column("holding_signed", sa.Integer))


class Asked(Protocol):
    """The facts of the asked rendition and its media that the rule reads (serving's lookup row)."""

    media_id: str
    organization_id: str  # the media's owner
    name: str
    width: int | None
    height: int | None
    kind: str
    gps: str | None  # media.gps: what the hub's GPS look at the original found (None: not looked yet)


def offer_under(terms: Sequence[Mapping[str, Any]] | None, revision: int | None, signed: Mapping[str | None, Any],
                owner_id: str, owner_parent_id: str | None, viewer_ids: tuple[str, ...]) -> Offer | None:
    """What an agreement with ``terms`` at ``revision`` offers the viewer (``viewer_ids``: it and its
    holding) of media owned by ``owner_id``: exchange/media_rules.py ``offer_for`` once its rows are read (the
    same term and rules: ``sharing_term``, ``term_offer``).
    ``signed`` maps the owner and its holding to the revision each signed. None: nothing (no term of the
    owner, or terms its sharing party has not signed as they stand)."""
    term = sharing_term(terms, owner_id, owner_parent_id)
    if term is None or signed.get(term.get("from_id")) != revision:
        return None
    return term_offer(term, viewer_ids)


class Carrying(NamedTuple):
    """One row of the statement, its values as SQLAlchemy's typed result gives them."""

    viewer_parent: str | None
    owner_parent: str | None
    document: str
    agreement_id: str | None
    terms: str | None  # the agreement's terms, JSON text (decoded by the decision, :func:`_offer`)
    terms_revision: int | None
    owner_signed: int | None
    holding_signed: int | None
    gps_free_kept: Any


def _parameters(viewer_id: str, asked: Asked, now: Any) -> dict[str, Any]:
    return {"viewer": viewer_id, "owner": asked.organization_id, "media": asked.media_id, "gps_free": WITHOUT_GPS,
            "now": now}


def carrying(conn: Connection, viewer_id: str, asked: Asked, now: datetime | None = None) -> list[Carrying]:
    """The statement's rows through SQLAlchemy (any database)."""
    return [Carrying(*row) for row in conn.execute(_CARRYING, _parameters(viewer_id, asked, now or utcnow()))]


_SQLITE = sqlite_dialect.dialect()
# UTCDateTime's whole bind chain on SQLite (its process_bind_param, then the dialect's text), as db/bulk.py binds
_BIND_TIME = UTCDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)


def sqlite_time(moment: datetime) -> str:
    """``moment`` as SQLAlchemy binds a :class:`~newsbridge.db.types.UTCDateTime` on SQLite: UTC, naive, as
    text with six decimals (how every stored time reads, so text comparison orders them); a naive one is
    refused (ValueError), as it is everywhere."""
    return _BIND_TIME(moment)  # type: ignore[misc]


def carrying_on_sqlite(driver: sqlite3.Connection, viewer_id: str, asked: Asked,
                       now: datetime | None = None) -> list[Carrying]:
    """The statement's rows on a SQLite driver connection, as :func:`carrying` reads them (every column is
    text or a number SQLAlchemy leaves as it is; only the time parameter needs processing)."""
    found = driver.execute(_CARRYING_SQL, _parameters(viewer_id, asked, sqlite_time(now or utcnow()))).fetchall()
    return [Carrying(*row) for row in found]


def entitled(conn: Connection, viewer_id: str, asked: Asked, now: datetime | None = None) -> bool:
    """Whether ``viewer_id`` (not the media's owner) may fetch the asked rendition now: an item carrying
    the media that it sees, not withdrawn for it, whose version it sees still names the media, and whose
    delivery's agreement offers the rendition under the media owner's terms (links.entitled_rendition's
    rule; the owner is answered before this is asked). An organization that does not exist sees nothing."""
    return decided(carrying(conn, viewer_id, asked, now), viewer_id, asked)


def entitled_on_sqlite(driver: sqlite3.Connection, viewer_id: str, asked: Asked, now: datetime | None = None) -> bool:
    """:func:`entitled` on a SQLite driver connection (autocommit: the one statement is its own read)."""
    return decided(carrying_on_sqlite(driver, viewer_id, asked, now), viewer_id, asked)


def decided(rows: Sequence[Carrying], viewer_id: str, asked: Asked) -> bool:
    """The media rules over the statement's rows: whether one of them entitles ``viewer_id``."""
    owner = asked.organization_id
    urn = MEDIA_URN + asked.media_id
    for row in rows:
        # the text holds the URN wherever it is; only a renditions list names the media
        if urn not in row.document or asked.media_id not in _named_media(row.document):
            continue
        if row.agreement_id is None:  # the item's own source, or a joint project's delivery without one
            offer: Offer | None = Offer.everything()
        else:
            viewers = (viewer_id, row.viewer_parent) if row.viewer_parent else (viewer_id,)
            offer = _offer(row.terms, row.terms_revision, row.owner_signed, row.holding_signed, owner,
                           row.owner_parent, viewers)
        if offer is not None and offers_rendition(offer, asked.name, asked.width, asked.height, asked.kind,
                                                  asked.gps, bool(row.gps_free_kept)):
            return True
    return False


# Pure functions of the text the statement has just read, kept by that text (and the other values read
# with it): a changed document, terms, revision or signature is another key, so nothing kept can outlive a
# change; what they spare is decoding JSON and the rules at every range (a news item's document can be
# tens of kilobytes).


@functools.lru_cache(maxsize=128)
def _named_media(document: str) -> frozenset[str]:
    """The hub media a version's document names in a renditions list."""
    return frozenset(media_ids(json.loads(document)))


@functools.lru_cache(maxsize=128)
def _offer(terms: str | None, revision: int | None, owner_signed: int | None, holding_signed: int | None,
           owner_id: str, owner_parent_id: str | None, viewer_ids: tuple[str, ...]) -> Offer | None:
    """:func:`offer_under` of an agreement's terms as the statement read them (JSON text)."""
    return offer_under(None if terms is None else json.loads(terms), revision,
                       {owner_id: owner_signed, owner_parent_id: holding_signed}, owner_id, owner_parent_id, viewer_ids)
