"""``newsbridge purge`` deletes only what its retention settings let go, and never what the metrics, a
partner's feed or a replay still need: the agreement's figures read the same before and after."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from newsbridge.accounts import audit
from newsbridge.accounts.members import add_member
from newsbridge.accounts.sessions import start_session
from newsbridge.cli import app as cli_app
from newsbridge.db.audit_tables import audit_log
from newsbridge.db.engine import writing
from newsbridge.db.tables import deliveries, outbox, sessions, source_polls, sources
from newsbridge.delivery.outbox import sequence
from newsbridge.ids import utcnow
from newsbridge.ingest.sources import add_source
from newsbridge.ops.purge import purge
from tests.conftest import active_agreement, count_rows

pytestmark = pytest.mark.anyio
HOOK = "https://93.184.216.34/hooks/newsbridge"


async def test_purge_keeps_what_metrics_feeds_and_replays_need(client, engine, settings, make_partner) -> None:
    kazinform = make_partner("kazinform", scopes=("publish", "read", "manage"))
    irna = make_partner("irna", scopes=("publish", "read", "manage"))
    agreement = await active_agreement(client, kazinform, irna, {})
    assert (await client.post("/api/v1/endpoints", json={"url": HOOK}, headers=irna.headers)).status_code == 201
    for n in range(6):
        sent = await client.post("/api/v1/items", headers=kazinform.headers, json={
            "uri": f"urn:kazinform:purge:{n}", "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Item {n}"}]})
        assert sent.status_code == 201, sent.text
    now = utcnow()
    with writing(engine) as conn:
        sequence(conn, now)
        ids = conn.execute(sa.select(outbox.c.id).order_by(outbox.c.id)).scalars().all()
        assert len(ids) == 6
        long_ago = now - timedelta(days=200)
        states = ["delivered", "delivered", "dead", "failed", "retrying", "delivered"]
        for message_id, state in zip(ids, states):
            old = message_id != ids[-1]  # the last one was delivered yesterday
            conn.execute(outbox.update().where(outbox.c.id == message_id).values(
                state=state, created_at=long_ago if old else now,
                delivered_at=(long_ago if old else now - timedelta(days=1)) if state == "delivered" else None))
        member = add_member(conn, "irna", "editor@irna.example", "Editor", "editor", "correct horse battery")
        stale = start_session(conn, member.id)
        fresh = start_session(conn, member.id)
        conn.execute(sessions.update().where(sessions.c.token_hash != _hash(fresh))
                     .values(expires_at=now - timedelta(days=30)))
        source = add_source(conn, kazinform.org, "https://93.184.216.34/feed.xml")
        for days in (90, 60, 45):
            conn.execute(source_polls.insert().values(source_id=source.id, at=now - timedelta(days=days), outcome="ok",
                                                      stored=0, unchanged=0, rejected=0, duration_ms=5))
    assert stale
    period = "from=2020-01-01&to=2030-12-31&granularity=month"
    before = (await client.get(f"/api/v1/agreements/{agreement['id']}/metrics?{period}", headers=irna.headers)).json()

    report = purge(engine, settings, now)

    assert report.delivered_messages == 2 and report.sessions == 1 and report.source_polls == 2
    with engine.connect() as conn:
        left = dict(conn.execute(sa.select(outbox.c.id, outbox.c.state)).all())
        assert sorted(left.values()) == ["dead", "delivered", "failed", "retrying"]
        assert conn.execute(sa.select(sa.func.count()).select_from(deliveries)).scalar_one() == 6
        assert conn.execute(sa.select(sessions.c.token_hash)).scalars().all() == [_hash(fresh)]
        assert conn.execute(sa.select(sa.func.count()).select_from(source_polls)).scalar_one() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(sources)).scalar_one() == 1
    after = (await client.get(f"/api/v1/agreements/{agreement['id']}/metrics?{period}", headers=irna.headers)).json()
    assert after == before  # the figures do not move: nothing they count was deleted
    feed = (await client.get("/api/v1/feed", headers=irna.headers)).json()
    assert len(feed["items"]) == 6
    again = purge(engine, settings, now)
    assert again.delivered_messages == again.sessions == again.source_polls == 0


def test_retention_zero_keeps_every_delivered_message(engine, settings) -> None:
    kept = settings.replace(retention_delivered_days=0)
    assert purge(engine, kept, media=False).delivered_messages == 0
    assert count_rows(engine, outbox) == 0


def test_the_audit_log_is_kept_for_ever_unless_a_retention_is_set(engine, settings) -> None:
    now = utcnow()
    with writing(engine) as conn:
        for days in (800, 400, 10):
            audit.record(conn, "sign_in.succeeded", organization_id=None, actor="cli", target=f"{days}",
                         at=now - timedelta(days=days))
    assert purge(engine, settings, now, media=False).audit_entries == 0  # the default: nothing goes
    assert count_rows(engine, audit_log) == 3
    assert purge(engine, settings.replace(retention_audit_days=365), now, media=False).audit_entries == 2
    with engine.connect() as conn:
        assert conn.execute(sa.select(audit_log.c.target)).scalars().all() == ["10"]


def test_purge_from_the_command_line(engine, settings) -> None:
    url = engine.url.render_as_string(hide_password=False)
    answer = CliRunner().invoke(cli_app, ["--database-url", url, "purge"], env={"NEWSBRIDGE_MEDIA_DIR": settings.media_dir})
    assert answer.exit_code == 0, answer.output
    assert "webhook messages delivered: 0 deleted" in answer.output


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # how sessions are keyed (accounts/sessions.py)
