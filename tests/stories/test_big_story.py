"""A story of many items, on both databases: the newest 50 the caller may read, in order, none hidden or
withdrawn, and read in a few statements whatever the story's size (one statement per item took 87 ms for
a story of 54 items on PostgreSQL at 20,000 items; bench/statement_plans.py's stories)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from newsbridge.db.engine import writing
from newsbridge.db.story_tables import stories, story_members
from newsbridge.ids import utcnow
from newsbridge.stories.queries import STORY_LIMIT
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")


def story(uri: str, version: str = "1", **extra: object) -> dict[str, object]:
    return {"uri": uri, "version": version, "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": f"Report {uri}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": "A text."}], **extra}


async def test_a_big_story_lists_the_newest_fifty_readable_in_a_few_statements(  # type: ignore[no-untyped-def]
        client, engine, make_partner) -> None:
    alpha, beta, gamma = (make_partner(slug, scopes=MANAGE) for slug in ("alpha", "beta", "gamma"))
    await active_agreement(client, alpha, beta, {})
    made = []  # oldest first: alpha's (beta reads them) and every fourth gamma's (beta may not)
    for n in range(70):
        slug, partner = ("gamma", gamma) if n % 4 == 3 else ("alpha", alpha)
        answer = await client.post("/api/v1/items", json=story(f"urn:{slug}:{n}"), headers=partner.headers)
        assert answer.status_code == 201, answer.text
        made.append((answer.json()["id"], slug))
    withdrawn = made[-2][0]
    answer = await client.post("/api/v1/items", json=story(f"urn:alpha:{len(made) - 2}", "2", pubStatus="canceled"),
                               headers=alpha.headers)
    assert answer.status_code in (200, 201), answer.text
    now = utcnow()
    with writing(engine) as conn:
        conn.execute(stories.insert().values(id="big", created_at=now, updated_at=now))
        conn.execute(story_members.insert(), [
            {"item_id": item_id, "story_id": "big", "matched_item_id": None, "score": None, "signals": None,
             "joined_at": now - timedelta(minutes=len(made) - n)} for n, (item_id, _) in enumerate(made)])
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    first = made[0][0]
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        found = (await client.get(f"/api/v1/items/{first}/story", headers=beta.headers)).json()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    readable = [item_id for item_id, slug in reversed(made[1:]) if slug == "alpha" and item_id != withdrawn]
    assert [item["id"] for item in found["items"]] == readable[:STORY_LIMIT]
    assert found["count"] == STORY_LIMIT
    assert len(statements) <= 8, statements  # the key, the item, its story, its members, the batches
    page = await client.get(f"/api/v1/items/{first}/story", headers=gamma.headers)
    assert page.status_code == 404  # gamma does not receive alpha's item: the story is not there for it
