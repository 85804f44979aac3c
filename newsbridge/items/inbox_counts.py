"""What a desk counts of an inbox: its total, the unread items per source and the languages,
over the newest entries at most.

A hub's history grows without end, and counting all of it for every desk page cost seconds at
1,000,000 items received (the total 1.8 s, the unread items per partner 1.5 s, the languages
1.9 s: docs/benchmarks.md). As a search counts its hits (desk/search.py), these count the newest
:data:`COUNTED_ENTRIES` entries of the inbox, read backwards along its index, and say when there
were more: the figures are then lower bounds ("1,000+", as a broad search's). The same access
rule as every reader: deliveries to the viewer or its holding, available and arrived by now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import deliveries, item_versions, items, organizations
from newsbridge.ids import utcnow
from newsbridge.items.queries import _inbox_page, viewer_values

COUNTED_ENTRIES = 1_000  # inbox entries a desk's total, unread counts and languages are counted over, at most
NOW = sa.bindparam("counted_now", type_=deliveries.c.available_from.type)  # a kept statement's time, given each run
# the read test of :func:`unread_by_source`: a condition that a reader (a member's id) read a delivered version
# (its item id and version); a module's function, so that a statement built with it can be kept
ReadTest = Callable[[str, sa.ColumnElement[Any], sa.ColumnElement[Any]], sa.ColumnElement[bool]]


def newest_entries(viewer: Organization, now: Any, limit: int, described: bool = False) -> sa.Subquery:
    """The ids of the viewer's newest ``limit`` deliveries, available and arrived by ``now`` (a
    value or a bound parameter); ``described``: with their item ids and versions too (read from the
    rows the walk visits anyway: no second lookup of each delivery)."""
    columns = (deliveries.c.item_id, deliveries.c.version) if described else ()
    return (sa.select(deliveries.c.id, *columns)
            .where(deliveries.c.recipient_id.in_(viewer_values(viewer)), deliveries.c.available_from <= now,
                   deliveries.c.arrives_at <= now)
            .order_by(deliveries.c.arrives_at.desc(), deliveries.c.id.desc()).limit(limit).subquery("newest"))


def inbox_total(conn: Connection, viewer: Organization, *, where: Sequence[sa.ColumnElement[bool]] = (),
                up_to: int | None = None) -> tuple[int, bool]:
    """How many items the inbox lists with these conditions, counted over its newest ``up_to``
    entries that meet them (default :data:`COUNTED_ENTRIES`), and whether there were more (the
    count is then a lower bound). Without conditions (a desk's first page) the statement is kept
    per viewer and reads the deliveries alone."""
    up_to = COUNTED_ENTRIES if up_to is None else up_to
    if where:
        statement, now = _total_statement(viewer, utcnow(), up_to, where), {}
    else:
        statement, now = _kept_total_statement(viewer, up_to), {"counted_now": utcnow()}
    counted, entries = conn.execute(statement, now).one()
    return min(int(counted), up_to), entries > up_to


def _total_statement(viewer: Organization, now: Any, up_to: int, where: Sequence[sa.ColumnElement[bool]],
                     joined: bool = True) -> sa.Select:
    page = (_inbox_page(viewer, now, None, joined=joined).where(*where)
            .add_columns(deliveries.c.item_id.label("counted_item"))
            .order_by(deliveries.c.arrives_at.desc(), deliveries.c.id.desc()).limit(up_to + 1).subquery())
    return sa.select(sa.func.count(sa.distinct(page.c.counted_item)), sa.func.count()).select_from(page)


@lru_cache(maxsize=256)
def _kept_total_statement(viewer: Organization, up_to: int) -> sa.Select:
    return _total_statement(viewer, NOW, up_to, (), joined=False)  # deliveries alone


def unread_by_source(conn: Connection, viewer: Organization, reader: str, read: ReadTest,
                     up_to: int | None = None) -> tuple[list[tuple[str, str, int]], bool]:
    """(slug, name, count) per source of the received items with a delivered version that
    ``read(reader, item id, version)`` does not say ``reader`` read,
    among the newest ``up_to`` deliveries (default :data:`COUNTED_ENTRIES`): an item counts until
    its newest version the viewer received is read. And whether there were more deliveries (the
    counts are then lower bounds). The statement is kept per viewer and reader."""
    up_to = COUNTED_ENTRIES if up_to is None else up_to
    rows = conn.execute(_unread_statement(viewer, read, reader, up_to), {"counted_now": utcnow()})
    return [(slug, name, count) for slug, name, count in rows], more_entries(conn, viewer, up_to)


@lru_cache(maxsize=256)
def _unread_statement(viewer: Organization, read: ReadTest, reader: str, up_to: int) -> sa.Select:
    newest = newest_entries(viewer, NOW, up_to, described=True)
    return (sa.select(organizations.c.slug, organizations.c.name, sa.func.count(sa.distinct(items.c.id)))
            .select_from(newest).join(items, items.c.id == newest.c.item_id)
            .join(organizations, organizations.c.id == items.c.organization_id)
            .where(sa.not_(read(reader, newest.c.item_id, newest.c.version)))
            .group_by(organizations.c.slug, organizations.c.name).order_by(organizations.c.name))


def more_entries(conn: Connection, viewer: Organization, up_to: int | None = None) -> bool:
    """Whether the viewer's inbox holds more than ``up_to`` deliveries (default
    :data:`COUNTED_ENTRIES`): counts over the newest are then lower bounds."""
    up_to = COUNTED_ENTRIES if up_to is None else up_to
    return int(conn.execute(_more_statement(viewer, up_to), {"counted_now": utcnow()}).scalar_one()) > up_to


@lru_cache(maxsize=256)
def _more_statement(viewer: Organization, up_to: int) -> sa.Select:
    return sa.select(sa.func.count()).select_from(newest_entries(viewer, NOW, up_to + 1))


def received_languages(conn: Connection, viewer: Organization, up_to: int | None = None) -> list[str]:
    """The languages of what the viewer received, for a filter's choices: of its newest ``up_to``
    deliveries (default :data:`COUNTED_ENTRIES`)."""
    statement = _languages_statement(viewer, COUNTED_ENTRIES if up_to is None else up_to)
    return sorted({language.split("-")[0] for language in conn.execute(statement, {"counted_now": utcnow()}).scalars()})


@lru_cache(maxsize=256)
def _languages_statement(viewer: Organization, up_to: int) -> sa.Select:
    newest = newest_entries(viewer, NOW, up_to, described=True)
    return (sa.select(item_versions.c.language).distinct()
            .select_from(newest)
            .join(item_versions, sa.and_(item_versions.c.item_id == newest.c.item_id,
                                         item_versions.c.version == newest.c.version))
            .where(item_versions.c.language.is_not(None)))
