"""Routing tables kept between publishes (exchange/rule_cache.py): never routing on a stale one.

Two engines on the same database stand for two hub processes: each keeps its own tables, and a
change made through one must route right through the other at its next publish. Every test
runs on SQLite and PostgreSQL, and publishes through the real pipeline, so "routes" means
delivery rows were written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.accounts.suspension import OrganizationSuspended, reactivate, suspend
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.tables import deliveries
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.deliveries import load_rules
from newsbridge.exchange.lifecycle import Action
from newsbridge.exchange.rule_cache import forget, read_stamp
from newsbridge.formats.item import Item
from newsbridge.ids import utcnow
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.vocab.mediatopics import topic_subject


@pytest.fixture
def other(engine: Engine) -> Iterator[Engine]:
    """A second engine on the test's database: another hub process."""
    second = create_engine(engine.url.render_as_string(hide_password=False))
    yield second
    second.dispose()


@pytest.fixture
def orgs(make_partner) -> dict[str, Organization]:  # type: ignore[no-untyped-def]
    return {slug: make_partner(slug).org for slug in ("alpha", "beta", "gamma")}


def agree(engine: Engine, orgs: dict[str, Organization], *, parties: tuple[str, ...] = ("alpha", "beta"),
          **extra: Any) -> str:
    """An active agreement in which alpha shares everything (``extra`` adds terms fields or dates)."""
    dates = {k: extra.pop(k) for k in ("valid_from", "valid_until") if k in extra}
    data = {"title": "Alpha shares", "parties": list(parties), "terms": [{"from": "alpha", **extra}], **dates}
    with writing(engine) as conn:
        agreement = create_agreement(conn, orgs["alpha"], "editor@alpha", data)
        act(conn, agreement.id, Action.PROPOSE, orgs["alpha"], "editor@alpha")
        for slug in parties:
            act(conn, agreement.id, Action.SIGN, orgs[slug], f"editor@{slug}")
    return agreement.id


def publish(engine: Engine, settings, org: Organization, uri: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Publish one English item through ``engine``; the ids of the organizations it was delivered to."""
    item = Item(uri=uri, version="1", language="en", headline="Astana hosts a media forum",
                subjects=[topic_subject("medtop:20000045")])
    stored = Ingestor(engine, settings).ingest_item(org, item)
    with reading(engine) as conn:
        return set(conn.execute(sa.select(deliveries.c.recipient_id)
                                .where(deliveries.c.item_id == stored.item_id)).scalars())


def statements(engine: Engine, run: Callable[[], object]) -> int:
    """How many statements ``run`` sends to the database through ``engine``."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_an_unchanged_table_is_used_again_after_one_small_query(engine: Engine, orgs) -> None:  # type: ignore[no-untyped-def]
    agree(engine, orgs)
    today = utcnow().date()
    forget(engine)
    with reading(engine) as conn:
        first = load_rules(conn, orgs["alpha"], today)
        again = statements(engine, lambda: load_rules(conn, orgs["alpha"], today))
        assert load_rules(conn, orgs["alpha"], today) is first
    assert again == 1
    with reading(engine) as conn:
        forget(engine)
        assert statements(engine, lambda: load_rules(conn, orgs["alpha"], today)) > 1  # read again once forgotten


@pytest.mark.parametrize("change, beta_receives", [
    ("nothing", True),
    ("amend to Persian only", False),
    ("suspend the agreement", False),
    ("end the agreement", False),
    ("amend, then sign again", True),
])
def test_an_agreement_changed_by_another_process_routes_right_at_once(
        engine: Engine, other: Engine, settings, orgs, change: str, beta_receives: bool) -> None:  # type: ignore[no-untyped-def]
    agreement_id = agree(engine, orgs)
    assert publish(engine, settings, orgs["alpha"], "urn:alpha:1") == {orgs["beta"].id}  # kept by this process now
    with writing(other) as conn:
        if change.startswith("amend"):
            terms = {"title": "Alpha shares", "terms": [{"from": "alpha", "languages": ["fa"] if "Persian" in change
                                                          else ["en"]}]}
            act(conn, agreement_id, Action.AMEND, orgs["alpha"], "editor@alpha", terms)
            if change.endswith("sign again"):
                act(conn, agreement_id, Action.SIGN, orgs["alpha"], "editor@alpha")
                act(conn, agreement_id, Action.SIGN, orgs["beta"], "editor@beta")
        elif change == "suspend the agreement":
            act(conn, agreement_id, Action.SUSPEND, orgs["beta"], "editor@beta")
        elif change == "end the agreement":
            act(conn, agreement_id, Action.END, orgs["beta"], "editor@beta")

    assert publish(engine, settings, orgs["alpha"], "urn:alpha:2") == ({orgs["beta"].id} if beta_receives else set())


def test_a_new_agreement_made_elsewhere_routes_at_once(engine: Engine, other: Engine, settings, orgs) -> None:  # type: ignore[no-untyped-def]
    agree(engine, orgs)
    assert publish(engine, settings, orgs["alpha"], "urn:alpha:1") == {orgs["beta"].id}
    agree(other, orgs, parties=("alpha", "gamma"))

    assert publish(engine, settings, orgs["alpha"], "urn:alpha:2") == {orgs["beta"].id, orgs["gamma"].id}


def test_an_agreement_expires_with_the_day(engine: Engine, orgs) -> None:  # type: ignore[no-untyped-def]
    today = utcnow().date()
    agree(engine, orgs, valid_until=today.isoformat())
    with reading(engine) as conn:
        assert load_rules(conn, orgs["alpha"], today).by_source[orgs["alpha"].id]
        tomorrow = load_rules(conn, orgs["alpha"], today + timedelta(days=1))
        assert load_rules(conn, orgs["alpha"], today) is not tomorrow
    assert [rule.agreement.status.value for rule in tomorrow.by_source[orgs["alpha"].id]] == ["expired"]


def test_suspensions_made_elsewhere_count_at_once(engine: Engine, other: Engine, settings, orgs) -> None:  # type: ignore[no-untyped-def]
    agree(engine, orgs)
    assert publish(engine, settings, orgs["alpha"], "urn:alpha:1") == {orgs["beta"].id}
    with writing(other) as conn:
        suspend(conn, orgs["beta"], "unpaid invoices", actor="operator@hub")
    assert publish(engine, settings, orgs["alpha"], "urn:alpha:2") == set()  # a suspended party receives nothing
    with writing(other) as conn:
        reactivate(conn, orgs["beta"], actor="operator@hub")
        suspend(conn, orgs["alpha"], "unpaid invoices", actor="operator@hub")
    with pytest.raises(OrganizationSuspended):  # and a suspended source publishes nothing
        publish(engine, settings, orgs["alpha"], "urn:alpha:3")
    with writing(other) as conn:
        reactivate(conn, orgs["alpha"], actor="operator@hub")
    assert publish(engine, settings, orgs["alpha"], "urn:alpha:4") == {orgs["beta"].id}


ACTIONS = [  # (actions before, the action whose write must change the stamp)
    ([], Action.PROPOSE), ([Action.PROPOSE], Action.SIGN), ([Action.PROPOSE], Action.DECLINE),
    ([], Action.AMEND), ([Action.PROPOSE], Action.AMEND), ([], Action.END), ([Action.PROPOSE], Action.END),
]


@pytest.mark.parametrize("before, action", ACTIONS, ids=lambda v: v.value if isinstance(v, Action) else "")
def test_every_agreement_action_changes_the_stamp(engine: Engine, orgs, before, action: Action) -> None:  # type: ignore[no-untyped-def]
    with writing(engine) as conn:
        agreement = create_agreement(conn, orgs["beta"], "editor@beta", {
            "title": "Beta shares", "parties": ["alpha", "beta"], "terms": [{"from": "beta"}]})
        for step in before:
            act(conn, agreement.id, step, orgs["beta"], "editor@beta")
    sides, day = [orgs["alpha"].id], date(2026, 12, 5)
    with reading(engine) as conn:
        stamp = read_stamp(conn, sides, day)
    with writing(engine) as conn:
        data = {"title": "Beta shares", "terms": [{"from": "beta", "languages": ["kk"]}]} \
            if action is Action.AMEND else None
        act(conn, agreement.id, action, orgs["beta"] if action is not Action.SIGN else orgs["alpha"],
            "editor", data)
    with reading(engine) as conn:
        assert read_stamp(conn, sides, day) != stamp


def test_bulk_first_versions_route_through_the_holding_and_not_without_terms(engine, settings, make_partner,
                                                                            orgs) -> None:  # type: ignore[no-untyped-def]
    outlet = make_partner("alpha-outlet", parent="alpha").org
    agree(engine, orgs)  # alpha's term carries its outlets' items
    items = [Item(uri=f"urn:bulk:{n}", version="1", language="en", headline=f"Report {n}") for n in range(30)]
    for source, expected in ((outlet, {orgs["beta"].id}), (orgs["gamma"], set())):
        outcomes = Ingestor(engine, settings).ingest_items(source, items)
        with reading(engine) as conn:
            for outcome in outcomes:
                assert outcome.stored is not None
                assert set(conn.execute(sa.select(deliveries.c.recipient_id).where(
                    deliveries.c.item_id == outcome.stored.item_id)).scalars()) == expected
