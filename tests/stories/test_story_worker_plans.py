"""On PostgreSQL the story worker plans each of its statements for its parameters.

It runs the same statements all day on one connection: psycopg prepares each after 5 runs, and PostgreSQL then
chose a generic plan for them. The pickup candidates' generic plan read every item (4-6 ms against 1.6 at
20,000 items, growing with the hub: bench/statement_plans.py). A fixed embedder stands in for the model: what
is tested is the session the statements run in."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from newsbridge.stories.worker import StoryWorker
from tests.conftest import active_agreement

pytestmark = pytest.mark.anyio
PLANNING = "plan_cache_mode"


class Fixed:
    name = "fixed"

    def embed(self, texts: list[str]) -> np.ndarray:
        vector = np.zeros(384, dtype=np.float32)
        vector[0] = 1.0
        return np.tile(vector, (len(texts), 1))


def story(uri: str, headline: str) -> dict[str, object]:
    return {"uri": uri, "version": "1", "type": "text", "language": "en",
            "headlines": [{"role": "main", "value": headline}],
            "bodies": [{"role": "main", "contentType": "text/plain",
                        "value": f"{headline}. Officials met in Astana on Tuesday and signed 12 agreements."}]}


async def test_on_postgresql_every_statement_of_a_round_is_planned_for_its_parameters(  # type: ignore[no-untyped-def]
        client, engine, make_partner) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    alpha, beta = (make_partner(slug, scopes=("publish", "read", "manage")) for slug in ("alpha", "beta"))
    await active_agreement(client, alpha, beta, {})
    for partner, uri in ((alpha, "urn:alpha:1"), (beta, "urn:beta:1")):  # beta's own item: pickup candidates read
        made = await client.post("/api/v1/items", json=story(uri, "Ministers sign a media accord"),
                                 headers=partner.headers)
        assert made.status_code == 201, made.text
    seen: list[tuple[str, str]] = []

    def planning(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if "set_config" not in statement:
            mode = conn.connection.dbapi_connection.execute(f"SELECT current_setting('{PLANNING}')").fetchone()[0]
            seen.append((" ".join(statement.split())[:60], mode))

    sa.event.listen(engine, "before_cursor_execute", planning)
    try:
        worker = StoryWorker(engine, Fixed())
        while worker.run_once():
            pass
    finally:
        sa.event.remove(engine, "before_cursor_execute", planning)
    assert any("story_bands" in statement for statement, _ in seen)  # the rounds ran
    assert [statement for statement, mode in seen if mode != "force_custom_plan"] == []
