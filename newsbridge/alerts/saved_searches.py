"""Saved desk searches: a member keeps a query (words and filters) and may be alerted of new matches.

A saved search belongs to the member who saved it; anyone else asking for its id is told it
does not exist (404), like every id on the hub.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.db.tables import saved_searches
from newsbridge.errors import InvalidInput, NotFound
from newsbridge.ids import new_id, utcnow

FIELDS = ("q", "partner", "topic", "language")  # the desk filters a search keeps (status and days change meaning)
MAX_SEARCHES = 50


@dataclass(frozen=True)
class SavedSearch:
    id: str
    member_id: str
    name: str
    query: dict[str, str]
    alerts: bool
    created_at: datetime


def _from_row(row: sa.Row) -> SavedSearch:
    return SavedSearch(row.id, row.member_id, row.name, dict(row.query), row.alerts, row.created_at)


def save_search(conn: Connection, member: Member, name: str, query: Mapping[str, Any], alerts: bool = True) \
        -> SavedSearch:
    """Keep the member's desk query under ``name``; new arrivals matching it raise alerts when ``alerts``."""
    kept = {k: str(query.get(k) or "").strip()[:500] for k in FIELDS if str(query.get(k) or "").strip()}
    if not kept:
        raise InvalidInput("search for words or choose a filter before saving the search", field="q")
    name = (name or "").strip()[:200] or kept.get("q") or ", ".join(kept.values())
    count = conn.execute(sa.select(sa.func.count()).select_from(saved_searches)
                         .where(saved_searches.c.member_id == member.id)).scalar_one()
    if count >= MAX_SEARCHES:
        raise InvalidInput(f"you have {MAX_SEARCHES} saved searches; delete one first", field="name")
    search = SavedSearch(new_id(), member.id, name, kept, bool(alerts), utcnow())
    conn.execute(saved_searches.insert().values(id=search.id, member_id=member.id, name=name, query=kept,
                                                alerts=search.alerts, created_at=search.created_at))
    return search


def list_searches(conn: Connection, member_id: str) -> list[SavedSearch]:
    rows = conn.execute(sa.select(saved_searches).where(saved_searches.c.member_id == member_id)
                        .order_by(saved_searches.c.created_at, saved_searches.c.id))
    return [_from_row(r) for r in rows]


def get_search(conn: Connection, member: Member, search_id: str) -> SavedSearch:
    row = conn.execute(sa.select(saved_searches).where(saved_searches.c.id == search_id,
                                                       saved_searches.c.member_id == member.id)).first()
    if row is None:
        raise NotFound(f"no saved search {search_id!r}", field="id")
    return _from_row(row)


def set_search_alerts(conn: Connection, member: Member, search_id: str, alerts: bool) -> SavedSearch:
    get_search(conn, member, search_id)
    conn.execute(saved_searches.update().where(saved_searches.c.id == search_id).values(alerts=bool(alerts)))
    return get_search(conn, member, search_id)


def delete_search(conn: Connection, member: Member, search_id: str) -> None:
    get_search(conn, member, search_id)
    conn.execute(saved_searches.delete().where(saved_searches.c.id == search_id))
