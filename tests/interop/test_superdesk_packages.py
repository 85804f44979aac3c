"""Superdesk's own NewsML-G2 parser (superdesk-core 2.5.3's ``NewsMLTwoFeedParser``, in its separate test-client
environment: see test_superdesk.py) reads the hub's standard package of a text with its media: the
composite with its group, whose references (``guid:version``, as Superdesk builds them) are the guids of the
text and media items it reads from the same message, and each media item's renditions with the signed href.
The ``newsml-g2-superdesk`` profile itself stays a single newsItem (docs/formats.md says why)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsbridge.formats.item import Item
from newsbridge.formats.newsml_g2_out import to_newsml
from newsbridge.formats.newsml_g2_package import to_newsml_package
from tests.interop.superdesk_env import ensure
from tests.interop.test_superdesk import run_parser

HREF = "https://hub.example/media/r1?org=o&exp=1&sig=a"
STORY = Item(uri="urn:alpha:story:1", version="2", type="text", language="en", headline="Budget passed",
             body_html="<p>The vote was close.</p>", versioncreated=datetime(2026, 12, 5, tzinfo=timezone.utc),
             associations=[{"name": "photo", "type": "picture", "uri": "urn:alpha:photo:1",
                            "descriptions": [{"role": "caption", "value": "MPs vote"}],
                            "renditions": [{"name": "original", "href": HREF, "contentType": "image/jpeg",
                                            "sizeInBytes": 482113, "width": 1600, "height": 1200,
                                            "sha256": "ab" * 32}]}])


@pytest.fixture(scope="session")
def superdesk() -> Path:
    return ensure()


def test_superdesk_reads_the_standard_package(superdesk: Path, tmp_path: Path) -> None:
    (path := tmp_path / "package.xml").write_bytes(to_newsml_package(STORY))
    entry = run_parser(superdesk, "newsml2", [path])[str(path)]
    assert "error" not in entry, entry
    package, text, photo = entry["items"]
    assert (package["type"], text["type"], photo["type"]) == ("composite", "text", "picture")
    [group] = package["groups"]
    assert [ref["residRef"] for ref in group["refs"]] == [text["guid"], photo["guid"]]
    assert [ref["itemClass"] for ref in group["refs"]] == ["ninat:text", "ninat:picture"]
    assert text["headline"] == "Budget passed" and "The vote was close." in text["body_html"]
    assert photo["description_text"] == "MPs vote"
    assert photo["renditions"]["original"] == {"residRef": None, "sizeinbytes": 482113, "rendition": "original",
                                               "mimetype": "image/jpeg", "href": HREF}


def test_the_superdesk_profile_is_the_single_news_item(superdesk: Path, tmp_path: Path) -> None:
    (path := tmp_path / "item.xml").write_bytes(to_newsml(STORY, profile="superdesk"))
    [text] = run_parser(superdesk, "newsml2", [path])[str(path)]["items"]
    assert (text["type"], text["uri"], text["renditions"]) == ("text", "urn:alpha:story:1", {})
