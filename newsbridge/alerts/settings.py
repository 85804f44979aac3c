"""Each member's alert settings: which kinds, which partners and topics, and e-mail digests.

A member who never saved settings gets every kind, every partner and topic, and digests on.
Withdrawals of items the organization picked up cannot be turned off: a republication of a
withdrawn story must come down, whatever a member filtered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from newsbridge.accounts.members import Member
from newsbridge.db.tables import alert_settings
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow
from newsbridge.vocab.mediatopics import is_known

# Every kind of alert, loudest first (alerts/feed.py raises them).
KINDS = ("withdrawn", "corrected", "signature", "roadmap", "endpoint", "source", "search")
ALWAYS = frozenset({"withdrawn"})
MAX_CHOICES = 200


@dataclass(frozen=True)
class AlertSettings:
    kinds: frozenset[str] = frozenset(KINDS)
    partners: frozenset[str] = frozenset()  # organization slugs; empty: every partner
    topics: frozenset[str] = frozenset()  # Media Topic qcodes, narrower topics included; empty: every topic
    digest: bool = True
    last_digest_at: datetime | None = None
    saved: bool = field(default=False, compare=False)  # the member saved settings once


def get_settings(conn: Connection, member_id: str) -> AlertSettings:
    row = conn.execute(sa.select(alert_settings).where(alert_settings.c.member_id == member_id)).first()
    if row is None:
        return AlertSettings()
    return AlertSettings(frozenset(row.kinds) | ALWAYS, frozenset(row.partners), frozenset(row.topics), row.digest,
                         row.last_digest_at, saved=True)


def _upsert(conn: Connection, member_id: str, values: dict[str, object]) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    defaults = {"kinds": list(KINDS), "partners": [], "topics": [], "digest": True, "updated_at": utcnow()}
    statement = insert(alert_settings).values(member_id=member_id, **{**defaults, **values})
    conn.execute(statement.on_conflict_do_update(index_elements=[alert_settings.c.member_id], set_=values))


def save_settings(conn: Connection, member: Member, kinds: Iterable[str], partners: Iterable[str],
                  topics: Iterable[str], digest: bool) -> AlertSettings:
    """Store the member's choices (unknown kinds and topics are refused; withdrawals stay on)."""
    chosen = {k for k in kinds if k}
    unknown = chosen - set(KINDS)
    if unknown:
        raise InvalidInput(f"unknown alert kind {sorted(unknown)[0]!r}; choose among {', '.join(KINDS)}", field="kinds")
    topic_set = {t for t in topics if t}
    wrong = sorted(t for t in topic_set if not is_known(t))
    if wrong:
        raise InvalidInput(f"{wrong[0]!r} is not an IPTC Media Topic", field="topics")
    partner_set = {p.strip() for p in partners if p.strip()}
    if len(partner_set) > MAX_CHOICES or len(topic_set) > MAX_CHOICES:
        raise InvalidInput(f"choose at most {MAX_CHOICES} partners and topics", field="partners")
    _upsert(conn, member.id, {"kinds": sorted(chosen | ALWAYS), "partners": sorted(partner_set),
                              "topics": sorted(topic_set), "digest": bool(digest), "updated_at": utcnow()})
    return get_settings(conn, member.id)


def record_digest(conn: Connection, member_id: str, at: datetime) -> None:
    """The member was sent a digest of the alerts raised up to ``at``."""
    _upsert(conn, member_id, {"last_digest_at": at})
