"""Sign-in back-off per (client address, e-mail), over the real /login form on both databases.

A guesser pauses only the pair it guesses from: never the member from another address, never
other members from its own address; a right password after the pause signs in and starts the
pair afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.accounts.members import add_member
from newsbridge.accounts.throttle import (FREE_FAILURES, MAX_PAUSE, SPRAY_ACCOUNTS, TooManyAttempts, begin_attempt,
                                          forgive)
from newsbridge.db.engine import reading, writing
from newsbridge.db.signin_tables import sign_in_throttles

pytestmark = pytest.mark.anyio
PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"
ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

Browser = Callable[[str], httpx.AsyncClient]


@pytest.fixture
async def browser(app) -> AsyncIterator[Browser]:  # type: ignore[no-untyped-def]
    """A browser at a client address of our choosing (what the app reads as ``request.client.host``)."""
    opened: list[httpx.AsyncClient] = []

    def at(address: str) -> httpx.AsyncClient:
        opened.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 51000)),
                                        base_url="http://hub.test"))
        return opened[-1]

    yield at
    for http in opened:
        await http.aclose()


@pytest.fixture
def victim(engine: Engine, make_partner) -> str:  # type: ignore[no-untyped-def]
    make_partner("xnews")
    with writing(engine) as conn:
        return add_member(conn, "xnews", "victim@x.example", "Victim", "editor", PASSWORD).email


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> int:
    return (await http.post("/login", data={"email": email, "password": password})).status_code


async def test_30_failures_from_one_address_do_not_stop_the_member_at_another(browser: Browser, victim: str,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # the clock stands still: a slow request under load must not let the 1 s pause run out mid-test
    monkeypatch.setattr("newsbridge.web.views.auth.utcnow", lambda: T0)
    attacker = browser(ATTACKER)
    statuses = [await sign_in(attacker, victim, f"{WRONG} {n}") for n in range(30)]
    assert statuses[:FREE_FAILURES + 1] == [401] * (FREE_FAILURES + 1)
    assert set(statuses) == {401, 429} and statuses.count(429) >= 20  # paused: refused without a check
    refused = await attacker.post("/login", data={"email": victim, "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert await sign_in(browser(OFFICE), victim, PASSWORD) == 303


async def test_a_burst_of_parallel_guesses_is_counted_before_any_is_checked(browser: Browser, victim: str) -> None:
    attacker = browser(ATTACKER)
    statuses = await asyncio.gather(*(sign_in(attacker, victim, f"{WRONG} {n}") for n in range(12)))
    assert sorted(statuses) == [401] * (FREE_FAILURES + 1) + [429] * (12 - FREE_FAILURES - 1)


async def test_spraying_many_accounts_pauses_none_the_sprayer_has_not_failed_for(engine: Engine, browser: Browser,
                                                                                 victim: str) -> None:
    with writing(engine) as conn:
        add_member(conn, "xnews", "colleague@x.example", "Colleague", "editor", PASSWORD)
    sprayer = browser(ATTACKER)
    for n in range(SPRAY_ACCOUNTS + 2):
        assert await sign_in(sprayer, f"member{n}@x.example", WRONG) == 401
    # the members it has not failed for sign in, from elsewhere and from that very address
    assert await sign_in(browser(OFFICE), victim, PASSWORD) == 303
    assert await sign_in(sprayer, "colleague@x.example", PASSWORD) == 303
    # but its first failure for another account now pauses that pair for the longest pause at once
    assert await sign_in(sprayer, "someone@x.example", WRONG) == 401
    again = await sprayer.post("/login", data={"email": "someone@x.example", "password": WRONG})
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) > MAX_PAUSE.total_seconds() - 60


async def test_a_right_password_after_the_pause_signs_in_and_starts_the_pair_afresh(engine: Engine, browser: Browser,
                                                                                    victim: str,
                                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": T0}  # the hub's clock, moved by the test: a slow request cannot outlast the pause
    monkeypatch.setattr("newsbridge.web.views.auth.utcnow", lambda: clock["now"])
    member = browser(OFFICE)
    statuses = [await sign_in(member, victim, WRONG) for _ in range(FREE_FAILURES + 2)]
    assert statuses == [401] * (FREE_FAILURES + 1) + [429]  # the pause after the 4th failure: one second
    clock["now"] += timedelta(seconds=1.1)
    assert await sign_in(member, victim, PASSWORD) == 303
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sign_in_throttles)).scalar_one() == 0
    assert [await sign_in(member, victim, WRONG) for _ in range(FREE_FAILURES)] == [401] * FREE_FAILURES


def _failure(engine: Engine, at: datetime, client: str = ATTACKER, email: str = "victim@x.example") -> timedelta:
    """One counted failure at ``at``; returns the pause it set."""
    with writing(engine) as conn:
        begin_attempt(conn, client, email, at)
        return conn.execute(sa.select(sign_in_throttles.c.paused_until).where(
            sign_in_throttles.c.client == client, sign_in_throttles.c.email == email)).scalar_one() - at


def test_the_pause_doubles_with_each_failure_up_to_the_longest(engine: Engine) -> None:
    at, pauses = T0, []
    for _ in range(FREE_FAILURES + 14):
        pauses.append(_failure(engine, at))
        at += pauses[-1]  # back as soon as allowed
    seconds = [p.total_seconds() for p in pauses]
    assert seconds[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert seconds[FREE_FAILURES:FREE_FAILURES + 6] == [1, 2, 4, 8, 16, 32]
    assert seconds[-1] == MAX_PAUSE.total_seconds() and max(seconds) == MAX_PAUSE.total_seconds()


def test_an_attempt_within_the_pause_is_refused_and_not_counted(engine: Engine) -> None:
    for n in range(FREE_FAILURES + 1):
        _failure(engine, T0 + timedelta(milliseconds=n))
    paused_at = T0 + timedelta(milliseconds=FREE_FAILURES)
    with pytest.raises(TooManyAttempts) as refused:
        with writing(engine) as conn:
            begin_attempt(conn, ATTACKER, "victim@x.example", paused_at + timedelta(milliseconds=500))
    assert refused.value.retry_after == 1 and refused.value.status == 429
    # the refusal counted nothing: the next failure after the pause pauses for 2 s, not 4
    assert _failure(engine, paused_at + timedelta(seconds=1)) == timedelta(seconds=2)


def test_forgiving_and_forgetting_start_the_pair_afresh(engine: Engine) -> None:
    for n in range(FREE_FAILURES + 3):
        _failure(engine, T0 + timedelta(minutes=n))
    with writing(engine) as conn:
        forgive(conn, ATTACKER, " Victim@X.example ")  # e-mails are compared as the members table keeps them
    assert _failure(engine, T0 + timedelta(hours=1)) == timedelta(0)
    for n in range(FREE_FAILURES + 3):
        _failure(engine, T0 + timedelta(hours=2, minutes=n), email="other@x.example")
    assert _failure(engine, T0 + timedelta(hours=5), email="other@x.example") == timedelta(0)  # forgotten


def test_an_attempt_begun_before_a_free_failure_is_counted_not_refused(engine: Engine) -> None:
    """Parallel attempts take their time when they begin and are counted one after the other: a free failure
    recorded at T0 + 1 s does not pause an attempt that began at T0 (stop 31's CI, under load)."""
    assert _failure(engine, T0 + timedelta(seconds=1)) == timedelta(0)
    assert _failure(engine, T0) == timedelta(0)  # the second free failure, counted, not refused
