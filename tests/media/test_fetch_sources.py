"""The `fetch_media` switch of a source over the API (create, show, PATCH, bad values) and the CLI
(`newsbridge source add --fetch-media`)."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from newsbridge.cli import app as cli_app
from newsbridge.db.tables import sources

pytestmark = pytest.mark.anyio
MANAGE = ("publish", "read", "manage")


async def test_fetch_media_is_set_shown_and_switched(client: httpx.AsyncClient, make_partner) -> None:
    alpha = make_partner("alpha", scopes=MANAGE)
    stranger = make_partner("stranger", scopes=MANAGE)
    created = await client.post("/api/v1/sources", headers=alpha.headers,
                                json={"url": "https://93.184.216.34/wire.xml", "fetch_media": True})
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["fetch_media"] is True
    plain = await client.post("/api/v1/sources", headers=alpha.headers, json={"url": "https://93.184.216.34/b.xml"})
    assert plain.json()["fetch_media"] is False  # off unless asked for
    off = await client.patch(f"/api/v1/sources/{source['id']}", headers=alpha.headers, json={"fetch_media": False})
    assert off.status_code == 200 and off.json()["fetch_media"] is False and off.json()["enabled"] is True
    both = await client.patch(f"/api/v1/sources/{source['id']}", headers=alpha.headers,
                              json={"fetch_media": True, "enabled": False})
    assert (both.json()["fetch_media"], both.json()["enabled"]) == (True, False)
    shown = await client.get(f"/api/v1/sources/{source['id']}", headers=alpha.headers)
    assert shown.json()["fetch_media"] is True
    bad = await client.post("/api/v1/sources", headers=alpha.headers,
                            json={"url": "https://93.184.216.34/c.xml", "fetch_media": "yes"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "fetch_media"
    wrong = await client.patch(f"/api/v1/sources/{source['id']}", headers=alpha.headers, json={"fetch_media": 1})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "fetch_media"
    nothing = await client.patch(f"/api/v1/sources/{source['id']}", headers=alpha.headers, json={})
    assert nothing.status_code == 422
    foreign = await client.patch(f"/api/v1/sources/{source['id']}", headers=stranger.headers,
                                 json={"fetch_media": False})
    assert foreign.status_code == 404


def test_source_add_fetch_media_on_the_command_line(engine: Engine, make_partner) -> None:
    make_partner("silkway")
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["--database-url", url, "source", "add", "silkway",
                                     "https://93.184.216.34/silkway/ninjs.json", "--fetch-media"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    source_id = result.stdout.strip()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sources.c.fetch_media).where(sources.c.id == source_id)).scalar_one() is True
