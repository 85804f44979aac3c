"""E-mail digests: each member's unread alerts raised since their last digest, in one message.

The words are the desk's (the edge that calls :func:`send_digests` passes ``compose``, which
writes the message in the member's language); this module decides who gets what and keeps
track, so a member is never sent the same alert twice and a failed send is retried next time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.members import Member, get_member
from newsbridge.accounts.organizations import Organization, get_organization_by_id
from newsbridge.alerts.feed import Alert, alerts_for
from newsbridge.alerts.mail import Mailer
from newsbridge.alerts.settings import get_settings, record_digest
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import members
from newsbridge.ids import utcnow

Compose = Callable[[Member, Organization, list[Alert]], EmailMessage]


@dataclass(frozen=True)
class Sent:
    email: str
    alerts: int


def due_alerts(alerts: list[Alert], last_digest_at: datetime | None) -> list[Alert]:
    """The unread alerts raised since the last digest (all unread ones before the first)."""
    return [a for a in alerts if not a.read and (last_digest_at is None or a.at > last_digest_at)]


def send_digests(engine: Engine, mailer: Mailer, compose: Compose, now: datetime | None = None,
                 dry_run: bool = False) -> list[Sent]:
    """Send each member with digests on (the default) one message of their new unread alerts;
    members with nothing new get nothing. Returns who was sent how many alerts."""
    now = now or utcnow()
    with reading(engine) as conn:
        member_ids = list(conn.execute(sa.select(members.c.id).order_by(members.c.email)).scalars())
    done = []
    for member_id in member_ids:
        with reading(engine) as conn:
            member = get_member(conn, member_id)
            settings = get_settings(conn, member_id)
            if member is None or not settings.digest:
                continue
            org = get_organization_by_id(conn, member.organization_id)
            alerts = due_alerts(alerts_for(conn, org, member, now), settings.last_digest_at)
        if not alerts:
            continue
        if not dry_run:
            mailer.send(compose(member, org, alerts))  # a failure stops here: nothing recorded, sent again next run
            with writing(engine) as conn:
                record_digest(conn, member_id, now)
        done.append(Sent(member.email, len(alerts)))
    return done
