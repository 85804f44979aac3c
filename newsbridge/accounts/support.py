"""Support access: an organization's admin lets the hub operator read the organization's own items for a while.

The operator sees no organization's items by default. A grant holds until a time at most
:data:`MAX_DAYS` days ahead; the admin may revoke it at once. While it holds, the operator reads the
organization's *own* items (never what partners delivered to it: that is other organizations'
content), newest first, and each item's versions. Granting, revoking and every read are on the
organization's audit log (``support.granted``, ``support.revoked``, ``support.items_listed``,
``support.item_viewed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.db.operator_tables import support_grants
from newsbridge.db.tables import item_versions, items
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import utcnow

MAX_DAYS = 30
LIST_LIMIT = 50


@dataclass(frozen=True)
class SupportGrant:
    organization_id: str
    granted_by: str
    granted_at: datetime
    until: datetime

    def holds(self, now: datetime | None = None) -> bool:
        return self.until > (now or utcnow())


@dataclass(frozen=True)
class OwnItem:
    id: str
    headline: str | None
    language: str | None
    version: int
    published_at: datetime


@dataclass(frozen=True)
class OwnVersion:
    version: int
    pubstatus: str
    headline: str | None
    language: str | None
    body_text: str | None
    received_at: datetime


def until_from_form(text: str, today: date | None = None) -> datetime:
    """The end (UTC) of the day named ``YYYY-MM-DD``: today at the earliest, :data:`MAX_DAYS` days ahead at most."""
    today = today or utcnow().date()
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"until {text.strip()[:40]!r} is not a date like {today.isoformat()}; pick a day",
                           field="until") from None
    if day < today:
        raise InvalidInput("until is in the past; pick today or a later day", field="until")
    if day > today + timedelta(days=MAX_DAYS):
        raise InvalidInput(f"until may be at most {MAX_DAYS} days ahead (by "
                           f"{(today + timedelta(days=MAX_DAYS)).isoformat()}); pick an earlier day", field="until")
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone.utc)


def grant_of(conn: Connection, organization_id: str) -> SupportGrant | None:
    """The organization's grant as stored, whether or not it still holds."""
    row = conn.execute(sa.select(support_grants)
                       .where(support_grants.c.organization_id == organization_id)).first()
    return SupportGrant(row.organization_id, row.granted_by, row.granted_at, row.until) if row else None


def active_grant(conn: Connection, organization_id: str, now: datetime | None = None) -> SupportGrant:
    """The grant that holds now; NotFound otherwise (the operator's pages answer 404 like any unseen page)."""
    found = grant_of(conn, organization_id)
    if found is None or not found.holds(now):
        raise NotFound("no such page", field=None)
    return found


def grant_support(conn: Connection, organization_id: str, until: datetime, *, actor: str,
                  address: str | None = None) -> SupportGrant:
    """Grant (or extend, or shorten) the operator's read access to the organization's own items until ``until``."""
    now = utcnow()
    if until <= now or until > now + timedelta(days=MAX_DAYS + 1):
        raise InvalidInput(f"until must be ahead and at most {MAX_DAYS} days away", field="until")
    values = {"granted_by": actor[:320], "granted_at": now, "until": until}
    updated = conn.execute(support_grants.update()
                           .where(support_grants.c.organization_id == organization_id).values(**values))
    if updated.rowcount == 0:
        conn.execute(support_grants.insert().values(organization_id=organization_id, **values))
    audit.record(conn, "support.granted", organization_id=organization_id, actor=actor, address=address,
                 detail={"until": until.isoformat()}, at=now)
    return SupportGrant(organization_id, actor[:320], now, until)


def revoke_support(conn: Connection, organization_id: str, *, actor: str, address: str | None = None) -> bool:
    """End the grant at once; False when there was none (nothing recorded then)."""
    gone = conn.execute(support_grants.delete().where(support_grants.c.organization_id == organization_id))
    if gone.rowcount == 0:
        return False
    audit.record(conn, "support.revoked", organization_id=organization_id, actor=actor, address=address)
    return True


def own_items(conn: Connection, organization_id: str, *, operator: str, address: str | None = None,
              limit: int = LIST_LIMIT) -> list[OwnItem]:
    """The organization's own items, newest first, for the operator under a grant that holds (NotFound without one);
    the read is recorded on the organization's log."""
    active_grant(conn, organization_id)
    rows = conn.execute(sa.select(items.c.id, items.c.headline, items.c.language, items.c.latest_version,
                                  items.c.updated_at)
                        .where(items.c.organization_id == organization_id)
                        .order_by(items.c.updated_at.desc(), items.c.id.desc()).limit(limit))
    found = [OwnItem(r.id, r.headline, r.language, r.latest_version, r.updated_at) for r in rows]
    audit.record(conn, "support.items_listed", organization_id=organization_id, actor=operator, address=address,
                 detail={"items": len(found)})
    return found


def own_item(conn: Connection, organization_id: str, item_id: str, *, operator: str,
             address: str | None = None) -> tuple[OwnItem, list[OwnVersion]]:
    """One of the organization's own items and its versions (newest first) under a grant that holds; NotFound for
    no grant or an item of another organization. The read is recorded on the organization's log."""
    active_grant(conn, organization_id)
    row = conn.execute(sa.select(items).where(items.c.id == item_id,
                                              items.c.organization_id == organization_id)).first()
    if row is None:
        raise NotFound("no such page", field=None)
    versions = [OwnVersion(v.version, v.pubstatus, v.headline, v.language, v.body_text, v.received_at)
                for v in conn.execute(sa.select(item_versions).where(item_versions.c.item_id == item_id)
                                      .order_by(item_versions.c.version.desc()))]
    audit.record(conn, "support.item_viewed", organization_id=organization_id, actor=operator, target=item_id,
                 address=address)
    return OwnItem(row.id, row.headline, row.language, row.latest_version, row.updated_at), versions
