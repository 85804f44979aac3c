"""``newsbridge demo`` tells one event through several partners in several languages (issue 16):
IRNA (fa), Kazinform (kk), RIA Novosti (ru) and Silk Way TV (en) are one story, IRNA's snowfall
report the same day is not, and Kazinform's credited translation of IRNA's report is a detected
pickup that IRNA sees on its item; IRNA's desk shows the story as one grouped row."""

from __future__ import annotations

import re

import httpx
import pytest
import sqlalchemy as sa

from newsbridge.accounts.organizations import get_organization
from newsbridge.db.engine import reading
from newsbridge.db.story_tables import story_members
from newsbridge.db.tables import items
from newsbridge.demo.stories import CORRIDOR_STORY
from newsbridge.desk.pickups import pickups_by_partners
from newsbridge.stories.queries import story_of
from tests.test_cli import cli  # noqa: F401 (fixture)

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEWSBRIDGE_MEDIA_DIR", str(tmp_path / "media"))


async def test_the_demo_story_is_grouped_and_its_translation_detected(cli, engine, app) -> None:  # type: ignore[no-untyped-def]
    output = cli("demo", "--no-serve").stdout
    with reading(engine) as conn:
        ids = {uri: conn.execute(sa.select(items.c.id).where(items.c.uri == uri)).scalar_one()
               for uri in (item.uri for _, item in CORRIDOR_STORY)}
        stories = dict(conn.execute(sa.select(story_members.c.item_id, story_members.c.story_id)
                                    .where(story_members.c.item_id.in_(list(ids.values())))).all())
        irna, kazinform = get_organization(conn, "irna"), get_organization(conn, "kazinform")
        original = ids["urn:irna:demo:corridor"]
        [picked] = pickups_by_partners(conn, irna, [original])[original]
        seen_by_irna = story_of(conn, irna, original)
        seen_by_kazinform = story_of(conn, kazinform, ids["urn:kazinform:demo:corridor"])
    corridor = {stories[ids[uri]] for uri in ("urn:irna:demo:corridor", "urn:kazinform:demo:corridor",
                                              "urn:ria:demo:corridor", "urn:silkway:demo:corridor")}
    assert len(corridor) == 1 and stories[ids["urn:irna:demo:snow"]] not in corridor
    assert (picked.kind, picked.method) == ("detected", "translation")
    assert picked.organization == "Kazinform International News Agency"
    # IRNA reads every other item of the story; Kazinform was sent only IRNA's (RIA's and its sibling
    # Silk Way TV's went to IRNA alone), so the others are neither listed nor counted
    assert {i.language for i in seen_by_irna.items} == {"kk", "ru", "en"}
    assert {i.source_slug for i in seen_by_kazinform.items} == {"irna"}
    desk_line = re.search(r"sign in as editor@irna\.example with the password (\S+)", output)
    assert desk_line
    password = desk_line[1]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        signed_in = await http.post("/login", data={"email": "editor@irna.example", "password": password})
        assert signed_in.status_code in (200, 303), signed_in.text
        desk = (await http.get("/desk")).text
        page = (await http.get(f"/items/{original}")).text
    assert desk.count('class="story-group"') == 1 and "3 items · 3 languages · 3 partners" in desk
    assert "Detected" in page and "credited translation or rewrite" in page
