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

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import deliveries, item_versions, items, organizations
from newsbridge.ids import utcnow
from newsbridge.items.queries import _inbox_page, viewer_values

COUNTED_ENTRIES = 1_000  # inbox entries a desk's total, unread counts and languages are counted over, at most


def newest_entries(viewer: Organization, now: Any, limit: int) -> sa.Subquery:
    """The ids of the viewer's newest ``limit`` deliveries, available and arrived by ``now`` (a
    value or a bound parameter)."""
    return (sa.select(deliveries.c.id)
            .where(deliveries.c.recipient_id.in_(viewer_values(viewer)), deliveries.c.available_from <= now,
                   deliveries.c.arrives_at <= now)
            .order_by(deliveries.c.arrives_at.desc(), deliveries.c.id.desc()).limit(limit).subquery("newest"))


def inbox_total(conn: Connection, viewer: Organization, *, where: Sequence[sa.ColumnElement[bool]] = (),
                up_to: int | None = None) -> tuple[int, bool]:
    """How many items the inbox lists with these conditions, counted over its newest ``up_to``
    entries that meet them (default :data:`COUNTED_ENTRIES`), and whether there were more (the
    count is then a lower bound)."""
    up_to = COUNTED_ENTRIES if up_to is None else up_to
    page = (_inbox_page(viewer, utcnow(), None).where(*where).add_columns(deliveries.c.item_id.label("counted_item"))
            .order_by(deliveries.c.arrives_at.desc(), deliveries.c.id.desc()).limit(up_to + 1).subquery())
    counted, entries = conn.execute(sa.select(sa.func.count(sa.distinct(page.c.counted_item)), sa.func.count())
                                    .select_from(page)).one()
    return min(int(counted), up_to), entries > up_to


def unread_by_source(conn: Connection, viewer: Organization, read: sa.ColumnElement[bool],
                     up_to: int | None = None) -> tuple[list[tuple[str, str, int]], bool]:
    """(slug, name, count) per source of the received items with a delivered version for which
    ``read`` (a condition on the ``deliveries`` row) is false, among the newest ``up_to``
    deliveries (default :data:`COUNTED_ENTRIES`): an item counts until its newest version the
    viewer received is read. And whether there were more deliveries (the counts are then lower
    bounds)."""
    up_to = COUNTED_ENTRIES if up_to is None else up_to
    newest = newest_entries(viewer, utcnow(), up_to)
    query = (sa.select(organizations.c.slug, organizations.c.name, sa.func.count(sa.distinct(items.c.id)))
             .select_from(newest).join(deliveries, deliveries.c.id == newest.c.id)
             .join(items, items.c.id == deliveries.c.item_id)
             .join(organizations, organizations.c.id == items.c.organization_id)
             .where(sa.not_(read))
             .group_by(organizations.c.slug, organizations.c.name).order_by(organizations.c.name))
    counts = [(slug, name, count) for slug, name, count in conn.execute(query)]
    return counts, more_entries(conn, viewer, up_to)


def more_entries(conn: Connection, viewer: Organization, up_to: int | None = None) -> bool:
    """Whether the viewer's inbox holds more than ``up_to`` deliveries (default
    :data:`COUNTED_ENTRIES`): counts over the newest are then lower bounds."""
    up_to = COUNTED_ENTRIES if up_to is None else up_to
    newest = newest_entries(viewer, utcnow(), up_to + 1)
    return int(conn.execute(sa.select(sa.func.count()).select_from(newest)).scalar_one()) > up_to


def received_languages(conn: Connection, viewer: Organization, up_to: int | None = None) -> list[str]:
    """The languages of what the viewer received, for a filter's choices: of its newest ``up_to``
    deliveries (default :data:`COUNTED_ENTRIES`)."""
    newest = newest_entries(viewer, utcnow(), COUNTED_ENTRIES if up_to is None else up_to)
    query = (sa.select(item_versions.c.language).distinct()
             .select_from(newest).join(deliveries, deliveries.c.id == newest.c.id)
             .join(item_versions, sa.and_(item_versions.c.item_id == deliveries.c.item_id,
                                          item_versions.c.version == deliveries.c.version))
             .where(item_versions.c.language.is_not(None)))
    return sorted({language.split("-")[0] for language in conn.execute(query).scalars()})
