"""``newsbridge demo`` for a newcomer (issue 11): its first command shows something, it says where
the desk is and who signs in, its roadmaps are under way today, and the README's upload example
does not make a second version of the demo's source article."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from newsbridge.cli import app
from newsbridge.db.engine import reading
from newsbridge.accounts.organizations import get_organization
from newsbridge.db.tables import item_media, item_versions, items
from newsbridge.db.tables import media as media_table
from newsbridge.items.queries import get_item
from newsbridge.media.records import list_renditions
from newsbridge.web.media import read_shotlist
from newsbridge.demo.cooperations import cooperations
from newsbridge.exchange.roadmap import progress
from tests.test_cli import cli  # noqa: F401 (fixture)

README = Path(__file__).resolve().parents[1] / "README.md"
pytestmark = pytest.mark.anyio


def test_the_try_line_uses_a_key_with_something_to_show_and_the_desk_is_named(cli) -> None:  # type: ignore[no-untyped-def]
    output = cli("demo", "--no-serve").stdout
    desk = re.search(r"Desk: http://127\.0\.0\.1:8000/desk — sign in as (\S+) with the password (\S+)", output)
    assert desk and desk[1] == "editor@irna.example"
    assert re.search(rf"editor@irna\.example\s+│\s+editor\s+│\s+{re.escape(desk[2])}", output)
    tried = re.search(r"Try: curl -H 'Authorization: Bearer (nb_\S+)' http://127\.0\.0\.1:8000(/api/v1/\S+)", output)
    assert tried and tried[2] == "/api/v1/inbox"
    irna = re.search(r"irna\s+│\s+(nb_\S+)", output)
    assert irna and irna[1] == tried[1]  # IRNA's key: its inbox holds the source articles


def test_the_demo_roadmaps_are_under_way_today() -> None:
    today = date.today()
    for body in cooperations(today):
        dues = [date.fromisoformat(c["due"]) for c in body["roadmap"]]
        assert any(d > today for d in dues) and any(c["status"] == "done" for c in body["roadmap"])
    assert cooperations(today) != cooperations(date(2020, 1, 1))  # relative to the day it is built


async def test_the_readme_upload_example_stores_no_new_version(cli, app, engine) -> None:  # type: ignore[no-untyped-def]
    output = cli("demo", "--no-serve").stdout
    kazinform = re.search(r"kazinform\s+│\s+(nb_\S+)", output)
    assert kazinform
    example = re.search(r'--data-binary @(\S+) \\\n\s+"http://127\.0\.0\.1:8000(/api/v1/items:upload\?[^"]+)"',
                        README.read_text())
    assert example, "the README's upload example moved"
    data = (README.parent / example[1]).read_bytes()
    with reading(engine) as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(item_versions)).scalar_one()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
        response = await http.post(example[2], content=data, headers={"Authorization": f"Bearer {kazinform[1]}"})
    assert response.status_code in (200, 201), response.text
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(item_versions)).scalar_one() == before


@pytest.fixture(autouse=True)
def media_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's media store in the test's own folder, not ./var/media."""
    monkeypatch.setenv("NEWSBRIDGE_MEDIA_DIR", str(tmp_path / "media"))
    return tmp_path / "media"


def test_the_demo_has_a_video_report_and_a_tagged_photo_with_their_renditions(cli, engine, media_dir) -> None:  # type: ignore[no-untyped-def]
    output = cli("demo", "--no-serve").stdout
    assert "video report with a shot list" in output and "photo with IPTC metadata" in output
    with reading(engine) as conn:
        irna = get_organization(conn, "irna")
        found = {}
        for uri in ("urn:silkway:demo:video:caravan", "urn:kazinform:demo:photo:grain-train"):
            item_id = conn.execute(sa.select(items.c.id).where(items.c.uri == uri)).scalar_one()
            found[uri] = get_item(conn, irna, item_id)  # delivered to IRNA under the Kazakhstan–Iran agreement
        media = {uri: conn.execute(sa.select(media_table).join(item_media, item_media.c.media_id == media_table.c.id)
                                   .where(item_media.c.item_uri == uri)).one() for uri in found}
        names = {uri: {r.name for r in list_renditions(conn, [m.id])[m.id]} for uri, m in media.items()}
    video, photo = found["urn:silkway:demo:video:caravan"], found["urn:kazinform:demo:photo:grain-train"]
    assert media["urn:silkway:demo:video:caravan"].status == media["urn:kazinform:demo:photo:grain-train"].status \
        == "ready"
    assert {"original", "proxy", "poster", "thumbnail", "storyboard"} <= names["urn:silkway:demo:video:caravan"]
    assert {"original", "preview", "thumbnail"} <= names["urn:kazinform:demo:photo:grain-train"]
    assert len(read_shotlist(video.latest.document)) == 4
    doc = photo.latest.document  # the photo's item says what its IPTC says
    assert (doc["by"], doc["copyrightNotice"], doc["located"]) == ("Aigerim Nurlanova", "© Kazinform 2026",
                                                                   "Khorgos, Kazakhstan")
    assert doc["infoSources"] == [{"name": "Kazinform", "role": "credit"}]
    assert doc["descriptions"][0]["value"].startswith("Grain is loaded")
    assert any(media_dir.rglob("*")), "the media went to the configured store"
