"""The audit log: every security-relevant action, with who, which organization, when, from where, what.

Append-only: this module records and reads; nothing in the code updates or deletes a row (a test
checks the source), and ``newsbridge purge`` leaves the log alone. An organization's admins read
its entries (``GET /api/v1/audit``, the desk's Account › Audit log); entries about the hub as a whole
(a failed sign-in for an address nobody has) have no organization.

Actions recorded: ``sign_in.succeeded``, ``sign_in.failed``, ``password.changed``, ``password.reset``,
``sessions.ended_others``, ``two_factor.*``, ``sso.configured``, ``sso.removed``, ``key.created``,
``key.revoked``, ``member.invited``, ``member.joined``, ``member.role_changed``, ``member.deactivated``,
``endpoint.created``, ``endpoint.enabled``, ``endpoint.disabled``, ``endpoint.secret_rotated``,
``feed_token.created``, ``feed_token.revoked``, ``agreement.<action>`` (create, propose, sign, amend, decline,
suspend, end)
``media.original_downloaded``, and the hub operator's ``operator.*`` (organization created, suspended,
reactivated, invitation re-sent, media limit set; with no organization: ``hub_entries`` reads them) with
``organization.suspended``, ``organization.reactivated`` and ``organization.media_limit_set`` on the
organization's own log, ``organization.profile_changed``, and
support access (``support.granted``, ``support.revoked``, ``support.items_listed``, ``support.item_viewed``:
accounts/support.py)
(docs/accounts.md has the list with when each is written).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.audit_tables import audit_log
from newsbridge.ids import utcnow

MAX_PAGE = 500
_LARGEST_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL: a larger number must not reach it


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    address: str | None
    detail: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "target": self.target, "address": self.address, "detail": self.detail}


def record(conn: Connection, action: str, *, organization_id: str | None, actor: str, target: str | None = None,
           address: str | None = None, detail: Mapping[str, Any] | None = None, at: datetime | None = None) -> None:
    """Write one entry, in the caller's transaction: the action and its record commit together."""
    conn.execute(audit_log.insert().values(at=at or utcnow(), organization_id=organization_id, actor=actor[:320],
                                           action=action, target=target[:300] if target else None,
                                           address=address[:100] if address else None,
                                           detail=dict(detail) if detail else None))


def _older_than(query: sa.Select[Any], before: int | None) -> sa.Select[Any]:
    """Entries before the id ``before`` (a page's cursor, as a caller sent it: any integer)."""
    if before is None or before > _LARGEST_ID:
        return query  # every entry is older than that
    return query.where(audit_log.c.id < max(before, 0))


def entries(conn: Connection, organization_id: str, *, since: datetime | None = None, until: datetime | None = None,
            action: str | None = None, before: int | None = None, limit: int = 100) -> list[Entry]:
    """An organization's entries, newest first; ``action`` matches a prefix (``key.`` or ``sign_in``);
    ``before`` is the id to page back from."""
    query = sa.select(audit_log).where(audit_log.c.organization_id == organization_id)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    if action:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    query = _older_than(query, before)
    rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(max(1, min(limit, MAX_PAGE))))
    return [Entry(r.id, r.at, r.actor, r.action, r.target, r.address, r.detail) for r in rows]


def hub_entries(conn: Connection, *, organization_id: str | None = None, operator_only: bool = False,
                action: str | None = None, before: int | None = None, limit: int = 100) -> list[Entry]:
    """For the hub operator: entries across the hub, newest first. ``operator_only``: the operators'
    own actions (``operator.*``); ``organization_id``: one organization's entries; ``action`` a prefix."""
    query = sa.select(audit_log)
    if operator_only:
        query = query.where(audit_log.c.action.startswith("operator.", autoescape=True))
    if organization_id is not None:
        query = query.where(audit_log.c.organization_id == organization_id)
    if action:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    query = _older_than(query, before)
    rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(max(1, min(limit, MAX_PAGE))))
    return [Entry(r.id, r.at, r.actor, r.action, r.target, r.address, r.detail) for r in rows]


def json_lines(found: list[Entry]) -> str:
    """One JSON object per line (what log tools ingest)."""
    return "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in found)


def _cell(value: str) -> str:
    """A spreadsheet must not run what an actor typed: a leading = + - @ becomes text."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(found: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor", "action", "target", "address", "detail"])
    for e in found:
        writer.writerow([str(e.id), e.at.isoformat(), _cell(e.actor), e.action, _cell(e.target or ""),
                         e.address or "", "" if e.detail is None else _cell(json.dumps(e.detail, ensure_ascii=False))])
    return out.getvalue()
