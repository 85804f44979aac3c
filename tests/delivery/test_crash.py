"""Crash safety end to end: `newsbridge serve` (in-process worker) is SIGKILLed again and again
while a partner publishes over HTTP; after a last restart every acknowledged item is stored and
reached each recipient's webhook, nothing reached an organization without an agreement, and a
message sent twice kept its webhook-id (at-least-once, never two different messages).

Real processes, real HTTP, a real SQLite file and a real PostgreSQL database. The kill moments
are seeded, so a failure replays. Messages a killed worker had claimed wait for their lease to
expire before they go again: the hub runs with a 6 s lease (NEWSBRIDGE_WEBHOOK_LEASE_SECONDS,
60 s by default) and a 2 s webhook timeout, so each database's run takes well under a minute.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.api_keys import create_api_key
from newsbridge.accounts.organizations import create_organization
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.migrate import upgrade
from newsbridge.db.tables import deliveries, items, organizations, outbox
from newsbridge.delivery.endpoints import create_endpoint
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action

try:  # tests/delivery may or may not become a package; the helpers sit beside this file either way
    from .crash_support import HubProcess, Publisher, Receiver, free_port, postgres_database
except ImportError:
    from crash_support import HubProcess, Publisher, Receiver, free_port, postgres_database

SEED = 1123
KILLS = 20
ACKS_PER_LIFE = 6  # the kills must interrupt real traffic: > 100 items acknowledged over 20 lives
ALLOW = ("127.0.0.0/8",)
RECIPIENTS = ("beta", "gamma")  # party to A's agreement
OUTSIDER = "delta"  # an endpoint on the same receiver, but no agreement
POSTGRES_URL = os.environ.get("NEWSBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LEASE_SECONDS = 6.0


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    with postgres_database(POSTGRES_URL) as url:
        yield url


def _set_up(engine: Engine, receiver: Receiver) -> str:
    """Orgs A (publisher), B and C (recipients), D (no agreement), their endpoints; returns A's API key."""
    with writing(engine) as conn:
        alpha = create_organization(conn, "alpha", "Alpha Agency")
        others = {slug: create_organization(conn, slug, slug.title()) for slug in (*RECIPIENTS, OUTSIDER)}
        _key, raw = create_api_key(conn, "alpha", ("publish", "read"))
        agreement = create_agreement(conn, alpha, "test", {
            "title": "Alpha shares economy news", "parties": ["alpha", *RECIPIENTS],
            "terms": [{"from": "alpha", "topics": ["medtop:04000000"], "languages": ["en"]}]})
        act(conn, agreement.id, Action.PROPOSE, alpha, "test")
        for org in (alpha, *(others[s] for s in RECIPIENTS)):
            act(conn, agreement.id, Action.SIGN, org, "test")
        for slug, org in others.items():
            path = f"/hook/{slug}"
            _endpoint, secret = create_endpoint(conn, org, receiver.url(path), None, "3", ALLOW)
            receiver.secrets[path] = secret
    return raw


def _backlog(engine: Engine) -> dict[str, int]:
    """What is still to do: unsequenced deliveries, and outbox messages by state (delivered left out)."""
    with reading(engine) as conn:
        waiting = {"unsequenced": conn.execute(sa.select(sa.func.count()).select_from(deliveries)
                                               .where(deliveries.c.position.is_(None))).scalar_one()}
        waiting.update(conn.execute(sa.select(outbox.c.state, sa.func.count())
                                    .where(outbox.c.state != "delivered").group_by(outbox.c.state)).all())
    return {k: v for k, v in waiting.items() if v}


def _stuck(engine: Engine) -> list[tuple[object, ...]]:
    """The messages not delivered, with why (for the failure message)."""
    with reading(engine) as conn:
        return [tuple(r) for r in conn.execute(sa.select(outbox.c.message_id, outbox.c.state, outbox.c.attempts,
                                                         outbox.c.last_status, outbox.c.last_error)
                                               .where(outbox.c.state != "delivered").limit(20))]


def _wait_drained(engine: Engine, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while (left := _backlog(engine)) and time.monotonic() < deadline:
        time.sleep(0.25)
    return left


def test_no_acknowledged_item_is_lost_or_sent_twice_under_sigkill(crash_database: str, tmp_path: Path) -> None:
    engine = create_engine(crash_database)
    upgrade(engine)
    rng = random.Random(SEED)
    with Receiver() as receiver:
        api_key = _set_up(engine, receiver)
        hub = HubProcess(crash_database, free_port(), {"NEWSBRIDGE_ALLOW_PRIVATE_TARGETS": ",".join(ALLOW),
                                                       "NEWSBRIDGE_IN_PROCESS_WORKER": "true",
                                                       "NEWSBRIDGE_WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
                                                       "NEWSBRIDGE_WEBHOOK_TIMEOUT_SECONDS": "2",
                                                       "NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE": "0",
                                                       "NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE": "0",
                                                       "NEWSBRIDGE_LOG_LEVEL": "WARNING"}, tmp_path / "hub.log")
        began = time.monotonic()
        try:
            with Publisher(hub.base_url, api_key) as publisher:
                for _ in range(KILLS):
                    hub.start()
                    # a few items through each life of the hub, however loaded the machine (then a seeded moment)
                    wanted, until = len(publisher.acked) + ACKS_PER_LIFE, time.monotonic() + 30
                    while len(publisher.acked) < wanted and time.monotonic() < until:
                        time.sleep(0.05)
                    time.sleep(rng.uniform(0.1, 1.0))
                    hub.kill()
            killed_at = time.monotonic()
            hub.start()
            left = _wait_drained(engine, LEASE_SECONDS + 60)
            drained_in = time.monotonic() - killed_at
            hub.stop()
        finally:
            hub.kill()  # a no-op unless something above failed half-way

    stuck = _stuck(engine)
    with reading(engine) as conn:
        alpha_id = conn.execute(sa.select(organizations.c.id).where(organizations.c.slug == "alpha")).scalar_one()
        stored = set(conn.execute(sa.select(items.c.uri).where(items.c.organization_id == alpha_id)).scalars())
        positions = conn.execute(sa.select(deliveries.c.position)).scalars().all()
        queued = conn.execute(sa.select(outbox.c.delivery_id, outbox.c.endpoint_id)).all()
    engine.dispose()
    got = receiver.by_path()
    messages = sum(len(ids) for per_uri in got.values() for ids in per_uri.values())
    print(f"\n{KILLS} SIGKILLs in {killed_at - began:.1f} s (start-ups {min(hub.startups):.1f}-"
          f"{max(hub.startups):.1f} s); {len(publisher.acked)} items acknowledged, {len(publisher.unacked)} "
          f"unanswered ({len(set(publisher.unacked) & stored)} of them stored anyway), {len(stored)} stored; "
          f"{len(receiver.received)} webhook requests for {messages} messages, {receiver.cut_off} cut off by a "
          f"kill; drained {drained_in:.1f} s after the last kill")

    assert left == {}, f"the outbox did not drain: {left}: {stuck}"
    assert len(publisher.acked) > 100, "too few items went through for the kills to mean anything"
    assert publisher.acked - stored == set(), "acknowledged items were lost"
    for slug in RECIPIENTS:
        delivered = set(got[f"/hook/{slug}"])
        assert stored - delivered == set(), f"stored items never reached {slug}"
        assert delivered - stored == set(), f"{slug} received items that are not stored"
    assert f"/hook/{OUTSIDER}" not in got, "an organization without an agreement received items"
    twice = {(path, uri): ids for path, per_uri in got.items() for uri, ids in per_uri.items() if len(ids) > 1}
    assert twice == {}, "an item reached a recipient as two different messages"
    assert receiver.refused == [], "messages whose signature did not verify"
    assert len(positions) == len(set(positions)) == 2 * len(stored), "feed positions repeated or missing"
    assert len(queued) == len(set(queued)) == 2 * len(stored), "a delivery was queued for an endpoint twice"


def test_a_lease_shorter_than_the_webhook_timeout_is_refused() -> None:
    from newsbridge.config import load_settings
    from newsbridge.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        load_settings(env={"NEWSBRIDGE_WEBHOOK_LEASE_SECONDS": "5", "NEWSBRIDGE_WEBHOOK_TIMEOUT_SECONDS": "10"})
    assert refused.value.field == "NEWSBRIDGE_WEBHOOK_LEASE_SECONDS"


def test_a_short_lease_claims_batches_it_can_send_in_time(tmp_path: Path) -> None:
    from newsbridge.config import load_settings
    from newsbridge.delivery.worker import Worker

    settings = load_settings(env={"NEWSBRIDGE_WEBHOOK_LEASE_SECONDS": "6", "NEWSBRIDGE_WEBHOOK_TIMEOUT_SECONDS": "2"},
                             database_url=f"sqlite:///{tmp_path / 'hub.db'}")
    worker = Worker(create_engine(settings.database_url), settings, concurrency=20)
    assert worker.batch * settings.webhook_timeout_seconds / 20 < settings.webhook_lease_seconds
    defaults = load_settings(env={})
    roomy = Worker(create_engine(settings.database_url), defaults, concurrency=20)
    assert 100 <= roomy.batch and roomy.batch * defaults.webhook_timeout_seconds / 20 < defaults.webhook_lease_seconds
