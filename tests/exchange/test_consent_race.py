"""Consent under concurrency: two real hub processes on one database, two parties acting on the
same agreements at the same moment over real HTTP.

Each pair of requests goes to different processes (alpha's to one, beta's to the other) and is
fired together, 15 agreements per race. Whatever the interleaving, an agreement is active only
when every party signed its current terms revision, none is left proposed with every
signature, a stale ``revision`` is refused with ``revision_changed``, and the history replays
to exactly the stored state. Runs on SQLite (one file, WAL, two processes) and PostgreSQL
(READ COMMITTED: without the row lock in ``act()`` these races lose updates).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.delivery.crash_support import HubProcess
from tests.live_server import free_port

pytestmark = pytest.mark.anyio

MANAGE = ("publish", "read", "manage")
AGREEMENTS = 15
POLITICS = {"from": "alpha", "topics": ["medtop:11000000"], "languages": ["en"]}
EVERYTHING = {"from": "beta"}  # "beta shares everything": what must never route unsigned


@pytest.fixture
def hubs(engine: Engine, make_partner, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Alpha and beta (API keys with manage) and two `newsbridge serve` processes on the test's database."""
    parties = {slug: make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta")}
    url = engine.url.render_as_string(hide_password=False)
    env = {"NEWSBRIDGE_IN_PROCESS_WORKER": "false", "NEWSBRIDGE_LOG_LEVEL": "WARNING"}
    processes = [HubProcess(url, free_port(), env, tmp_path / f"hub-{n}.log") for n in (1, 2)]
    try:
        for process in processes:
            process.start()
        yield {"parties": parties, "urls": [p.base_url for p in processes], "processes": processes}
    finally:
        for process in processes:
            process.stop()


def body(*terms: dict[str, Any], revision: int | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"title": "Alpha-Beta exchange", "parties": ["alpha", "beta"], "terms": list(terms)}
    return found if revision is None else {**found, "revision": revision}


class Party:
    """One party's API client, bound to one of the two hub processes."""

    def __init__(self, http: httpx.AsyncClient, key: str) -> None:
        self.http, self.headers = http, {"Authorization": f"Bearer {key}"}

    async def post(self, path: str, json: Any = None) -> httpx.Response:
        return await self.http.post(path, json=json, headers=self.headers)

    async def get(self, path: str) -> dict[str, Any]:
        answer = await self.http.get(path, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()


async def _agreements(alpha: Party, beta: Party, steps: list[tuple[str, str]]) -> list[str]:
    """AGREEMENTS new agreements by alpha, each taken through ``steps`` ((party, action), ...)."""
    ids = []
    for _ in range(AGREEMENTS):
        created = await alpha.post("/api/v1/agreements", body(POLITICS))
        assert created.status_code == 201, created.text
        for who, action in steps:
            done = await (alpha if who == "alpha" else beta).post(f"/api/v1/agreements/{created.json()['id']}:{action}")
            assert done.status_code == 200, done.text
        ids.append(created.json()["id"])
    return ids


async def _race(first: Any, second: Any) -> tuple[httpx.Response, httpx.Response]:
    """Both requests at once, each to its own process."""
    one, two = await asyncio.gather(first, second)
    return one, two


def replay(events: list[dict[str, Any]], parties: set[str]) -> dict[str, Any]:
    """The agreement's state rebuilt from its history alone; asserts every step is one the rules allow."""
    status, revision, signed = None, 0, set()
    for e in events:
        assert e["from_status"] == status, events
        if e["action"] == "create":
            revision = 1
        elif e["action"] == "amend" or (e["action"] == "propose" and status == "suspended"):
            revision += 1
            signed = set()
            if e["action"] == "amend":
                assert e["details"]["revision"] == revision, events
        elif e["action"] == "sign":
            assert e["details"]["revision"] == revision, events  # signed the terms in force at that moment
            assert e["organization"] not in signed, events
            signed.add(e["organization"])
            assert e["to_status"] == ("active" if signed == parties else "proposed"), events
        status = e["to_status"]
    return {"status": status, "revision": revision, "signed": signed}


async def _check(reader: Party, agreement_id: str) -> dict[str, Any]:
    """The invariants of one agreement after a race; returns its stored state."""
    shown = await reader.get(f"/api/v1/agreements/{agreement_id}")
    events = (await reader.get(f"/api/v1/agreements/{agreement_id}/history"))["events"]
    parties = {p["slug"] for p in shown["parties"]}
    signed = {p["slug"] for p in shown["parties"] if p["signed"]}
    if shown["status"] == "active":
        assert signed == parties, f"active at revision {shown['terms_revision']} signed only by {signed}"
    if shown["status"] == "proposed":
        assert signed != parties, f"stuck proposed with every signature of revision {shown['terms_revision']}"
    replayed = replay(events, parties)
    assert replayed == {"status": shown["status"], "revision": shown["terms_revision"], "signed": signed}, events
    return shown


@pytest.fixture
async def clients(hubs) -> Any:  # type: ignore[no-untyped-def]
    """Alpha talks to process 1, beta to process 2 (connections opened before the races)."""
    async with httpx.AsyncClient(base_url=hubs["urls"][0], timeout=60) as one, \
            httpx.AsyncClient(base_url=hubs["urls"][1], timeout=60) as two:
        alpha, beta = Party(one, hubs["parties"]["alpha"].key), Party(two, hubs["parties"]["beta"].key)
        await alpha.get("/api/v1/agreements")
        await beta.get("/api/v1/agreements")
        yield alpha, beta


async def test_amend_racing_the_other_partys_signature(clients) -> None:
    """Alpha signed revision 1; now alpha amends in "beta shares everything" while beta signs.

    Half of beta's signatures say which revision beta read, half do not (older clients).
    """
    alpha, beta = clients
    ids = await _agreements(alpha, beta, [("alpha", "propose"), ("alpha", "sign")])
    answers = {}
    for n, agreement_id in enumerate(ids):
        seen = {"revision": 1} if n % 2 else None
        answers[agreement_id] = await _race(
            alpha.post(f"/api/v1/agreements/{agreement_id}:amend", body(POLITICS, EVERYTHING)),
            beta.post(f"/api/v1/agreements/{agreement_id}:sign", seen))
    outcomes = []
    for n, agreement_id in enumerate(ids):
        amended, signed = answers[agreement_id]
        assert amended.status_code == 200, amended.text
        assert signed.status_code in (200, 409), signed.text
        if signed.status_code == 409:
            assert n % 2 and signed.json()["error"]["code"] == "revision_changed", signed.text
        shown = await _check(alpha, agreement_id)
        assert shown["terms_revision"] == 2 and shown["status"] == "proposed"
        # whatever the order, alpha has not signed "beta shares everything"
        assert [p["signed"] for p in shown["parties"] if p["slug"] == "alpha"] == [False]
        events = (await alpha.get(f"/api/v1/agreements/{agreement_id}/history"))["events"]
        outcomes.append(tuple(e["action"] for e in events[3:]))
    # both orders are fine; a signature that named revision 1 is never counted for revision 2
    assert set(outcomes) <= {("amend",), ("sign", "amend"), ("amend", "sign")}, outcomes


async def test_both_parties_signing_at_the_same_moment(clients) -> None:
    alpha, beta = clients
    ids = await _agreements(alpha, beta, [("alpha", "propose")])
    for agreement_id in ids:
        one, two = await _race(alpha.post(f"/api/v1/agreements/{agreement_id}:sign", {"revision": 1}),
                               beta.post(f"/api/v1/agreements/{agreement_id}:sign"))
        assert (one.status_code, two.status_code) == (200, 200), (one.text, two.text)
    for agreement_id in ids:
        shown = await _check(alpha, agreement_id)
        assert shown["status"] == "active", shown


async def test_two_amendments_of_the_same_revision(clients) -> None:
    """Each party amends what it read (revision 1): exactly one amendment wins, the other is told to read again."""
    alpha, beta = clients
    ids = await _agreements(alpha, beta, [("alpha", "propose")])
    for agreement_id in ids:
        one, two = await _race(
            alpha.post(f"/api/v1/agreements/{agreement_id}:amend", body(POLITICS, revision=1)),
            beta.post(f"/api/v1/agreements/{agreement_id}:amend", body(POLITICS, EVERYTHING, revision=1)))
        assert sorted((one.status_code, two.status_code)) == [200, 409], (one.text, two.text)
        refused = one if one.status_code == 409 else two
        assert refused.json()["error"]["code"] == "revision_changed"
        shown = await _check(alpha, agreement_id)
        assert shown["terms_revision"] == 2
        winner = one if one.status_code == 200 else two
        assert len(shown["terms"]) == len(winner.json()["terms"])  # the stored terms are the winner's, whole
