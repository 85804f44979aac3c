"""Withdrawn items: the one rule that decides when an organization sees only a withdrawal notice.

Once an item is withdrawn, its recipients may see only the notice of every version (which
item, that it is withdrawn, its metadata), on every channel. The rule is a SQL condition that
every reader in ``items/queries.py`` puts beside the version it reads, so each
:class:`~newsbridge.items.queries.ItemVersion` already knows whether its content may be shown:
no channel can forget it. The item's source always sees its own content.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from newsbridge.db.planning import unindexed
from newsbridge.db.tables import deliveries, items

# What a withdrawal leaves of a version for its recipients (ninjs 3.x and 2.x spellings).
NOTICE_KEYS = ("uri", "type", "version", "versionCreated", "versioncreated", "pubStatus", "pubstatus", "headlines",
               "language")


def withdrawal_notice(document: dict[str, Any]) -> dict[str, Any]:
    """What a recipient keeps of a stored (ninjs 3.x) version of a withdrawn item: its metadata,
    marked canceled, so that a machine reading any version takes the content down."""
    return {**{k: v for k, v in document.items() if k in NOTICE_KEYS}, "pubStatus": "canceled"}


def notice_only(recipients: Any, now: Any, owner: str | None = None) -> sa.ColumnElement[bool]:
    """Whether ``recipients`` (organization ids, a bound list, or a column) may see only the
    withdrawal notice of the row's item (the query must have ``items``). True when the item is
    withdrawn: the hub's newest version of it is a withdrawal, or the newest version that reached
    the recipients (available at ``now``) is one. Published again after a withdrawal, an item
    shows again once the new version reaches them. Never for ``owner``, the source, which
    always sees its own content. One index lookup per row."""
    newest = deliveries.alias("newest")
    # looked up by item (the item's deliveries are a handful), not among every delivery of the recipient's
    newest_event = (sa.select(newest.c.event)
                    .where(newest.c.item_id == items.c.id,
                           unindexed(newest.c.recipient_id).in_(recipients),
                           newest.c.available_from <= now)
                    .order_by(newest.c.version.desc()).limit(1).scalar_subquery())
    withdrawn = sa.or_(items.c.pubstatus == "canceled", sa.func.coalesce(newest_event == "item.withdrawn", False))
    if owner is not None:
        withdrawn = sa.and_(items.c.organization_id != owner, withdrawn)
    return withdrawn
