"""media/serving.py's ways of answering a range decide alike: ``serve`` (the driver's cursor for the lookup on
SQLite) and ``serve_at_once`` (on the calling thread's own connection, as the event loop makes it) give what
``served_rendition`` gives, the same rendition or the same error, for the owner, partners (everything, proxy
only), a stranger, a withdrawn item, an id that does not exist, and a suspended partner and owner. SQLite and
PostgreSQL (where nothing is made at once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import test_entitlement as cases
from pictures import picture

from newsbridge.accounts.suspension import suspend
from newsbridge.db.engine import create_engine, reading, writing
from newsbridge.db.tables import renditions
from newsbridge.media.serving import serve, serve_at_once, served_rendition
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
SCOPES = ("publish", "read", "manage")


@pytest.fixture
def storage(tmp_path: Path) -> dict[str, str]:
    return {"media_dir": str(tmp_path / "media")}


def outcome(decide: Any) -> Any:
    try:
        return decide()
    except Exception as exc:  # the error is the outcome: its type and code
        return type(exc).__name__, getattr(exc, "code", None)


def compared(engine: Any, orgs: dict[str, Any], ids: list[str]) -> dict[tuple[str, str], Any]:
    found = {}
    for slug, who in orgs.items():
        for rendition_id in ids:
            with reading(engine) as conn:
                general = outcome(lambda: served_rendition(conn, who.org.id, rendition_id))
            assert outcome(lambda: serve(engine, who.org.id, rendition_id)) == general, (slug, rendition_id)
            at_once = outcome(lambda: serve_at_once(engine, who.org.id, rendition_id))
            assert at_once == (general if engine.dialect.name == "sqlite" else None), (slug, rendition_id)
            found[(slug, rendition_id)] = general if isinstance(general, tuple) else "served"
    return found


async def test_every_way_decides_as_served_rendition(client, make_partner, engine) -> None:
    alpha, beta, gamma = (make_partner(slug, scopes=SCOPES) for slug in ("alpha", "beta", "gamma"))
    orgs = {"alpha": alpha, "beta": beta, "gamma": gamma, "stranger": make_partner("stranger")}
    await active_agreement(client, alpha, beta, {"media": {"allow_gps": True}}, title="Alpha-beta")
    await active_agreement(client, alpha, gamma, {"media": {"proxy_only": True}}, title="Alpha-gamma")
    shown = await cases.photo(client, alpha, picture(size=(800, 600)))
    gone = await cases.photo(client, alpha, picture(size=(640, 480), colour=(4, 5, 6)))
    cases.process(client)  # preview and thumbnail
    await cases.publish(client, alpha, "urn:alpha:shown", upload_id=shown)
    await cases.publish(client, alpha, "urn:alpha:gone", upload_id=gone)
    await cases.publish(client, alpha, "urn:alpha:gone", 2, gone, pubStatus="canceled")
    with reading(engine) as conn:
        ids = list(conn.execute(sa.select(renditions.c.id).order_by(renditions.c.id)).scalars())
    assert len(ids) >= 6
    ids.append("r_doesnotexist")
    found = compared(engine, orgs, ids)
    assert {key for key, value in found.items() if value == "served"} >= {("alpha", i) for i in ids[:-1]}
    assert ("NotFound", "not_found") in found.values() and "served" in {found[("beta", i)] for i in ids}
    assert [found[(slug, i)] for slug in ("stranger", "alpha") for i in ids[-1:]] == [("NotFound", "not_found")] * 2
    assert {found[("stranger", i)] for i in ids} == {("NotFound", "not_found")}
    served_to = {slug: sum(found[(slug, i)] == "served" for i in ids) for slug in orgs}
    assert served_to["alpha"] > served_to["beta"] > served_to["gamma"] > 0  # gamma: no original; none withdrawn
    with writing(engine) as conn:
        suspend(conn, beta.org, "unpaid invoices", actor="operator@hub")
        suspend(conn, alpha.org, "unpaid invoices", actor="operator@hub")
    suspended = compared(engine, orgs, ids)
    assert {suspended[("beta", i)] for i in ids[:-1]} == {("OrganizationSuspended", "organization_suspended")}
    assert {suspended[("alpha", i)] for i in ids[:-1]} == {("OrganizationSuspended", "organization_suspended")}


async def test_at_once_only_on_a_sqlite_file_that_answers(engine, tmp_path) -> None:
    assert outcome(lambda: serve_at_once(engine, "o_someone", "r_doesnotexist")) == (
        ("NotFound", "not_found") if engine.dialect.name == "sqlite" else None)
    in_memory = sa.create_engine("sqlite://")
    assert serve_at_once(in_memory, "o_someone", "r_doesnotexist") is None
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: the worker thread's path answers
    with empty.connect():
        pass
    assert serve_at_once(empty, "o_someone", "r_doesnotexist") is None
