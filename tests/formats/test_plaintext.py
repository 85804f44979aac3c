"""Golden tests for the plain-text agency wires over the real seed files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbridge.formats.plaintext import (
    FORMAT_NAME,
    Article,
    Block,
    PlainTextError,
    article_to_item,
    looks_like_plaintext,
    parse_article,
    parse_plaintext,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = REPO_ROOT.parent / "shared" / "fixtures" / "seeds"
KAZINFORM = SEEDS / "kazinform-2023-04-26.txt"
PARSTODAY = SEEDS / "parstoday-2018-07-12.txt"


def test_format_name() -> None:
    assert FORMAT_NAME == "plaintext"


def test_kazinform_seed() -> None:
    article = parse_article(KAZINFORM.read_bytes())

    assert article.style == "kazinform"
    assert article.headline == "TV and Radio Complex of Kazakh President develops coop with Iranian media companies"
    assert article.published == date(2023, 4, 26)
    assert not isinstance(article.published, datetime)
    assert article.dateline_place == "Astana"
    assert article.dateline_source == "Kazinform"
    assert len(article.paragraphs) == 8
    assert article.subheadings == []
    # The dateline stays in the text: it is part of what the agency wrote.
    assert article.paragraphs[0].startswith("ASTANA. KAZINFORM – A meeting between officials")
    assert article.paragraphs[2].startswith("«Cultural ties serve")
    assert article.paragraphs[-1].endswith("Center for Documentary Films.")


def test_parstoday_seed() -> None:
    article = parse_article(PARSTODAY.read_bytes())

    assert article.style == "parstoday"
    assert article.headline == "Iran eyes enhanced media cooperation with Russia"
    assert article.published == datetime(2018, 7, 12, 7, 8, tzinfo=ZoneInfo("Asia/Tehran"))
    assert article.published.isoformat() == "2018-07-12T07:08:00+04:30"
    assert article.dateline_place is None
    assert article.dateline_source is None
    assert article.subheadings == ["Iran-Russia joint media cooperation"]
    assert len(article.paragraphs) == 8
    assert [block.kind for block in article.blocks[:4]] == ["paragraph", "paragraph", "subheading", "paragraph"]
    assert "Wednesday\u00a0complained" in article.paragraphs[0]
    assert article.paragraphs[-1].startswith('"The universities of the littoral countries')


def test_kazinform_item() -> None:
    item = parse_plaintext(KAZINFORM.read_bytes())

    assert item.uri is None
    assert item.type == "text"
    assert item.headline == "TV and Radio Complex of Kazakh President develops coop with Iranian media companies"
    assert item.firstcreated == date(2023, 4, 26)
    assert item.versioncreated is None
    assert item.located == "Astana"
    assert item.language is None
    assert item.extra == {"infoSources": [{"name": "Kazinform", "role": "originator"}]}
    assert item.body_text is not None and item.body_text.count("\n\n") == 7
    assert item.body_html is not None and item.body_html.count("<p>") == 8
    assert "<h2>" not in item.body_html


def test_parstoday_item() -> None:
    item = parse_plaintext(PARSTODAY.read_bytes())

    assert item.firstcreated == item.versioncreated
    assert isinstance(item.versioncreated, datetime)
    assert item.versioncreated.utcoffset() == timedelta(hours=4, minutes=30)
    assert item.located is None
    assert "infoSources" not in item.extra
    assert item.body_html is not None
    assert item.body_html.count("<p>") == 8
    assert "<h2>Iran-Russia joint media cooperation</h2>" in item.body_html
    assert item.body_text is not None
    assert "\n\nIran-Russia joint media cooperation\n\nReferring to" in item.body_text


def test_body_html_is_escaped() -> None:
    article = Article(
        style="parstoday",
        headline="H",
        published=date(2024, 1, 1),
        blocks=[Block("subheading", "Tom & <Jerry>"), Block("paragraph", "a < b & c")],
    )

    item = article_to_item(article)

    assert item.body_html == "<h2>Tom &amp; &lt;Jerry&gt;</h2>\n<p>a &lt; b &amp; c</p>"
    assert item.body_text == "Tom & <Jerry>\n\na < b & c"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbf date 2023-04-26 Headline\r\n\r\nFirst.\r\n\r\nSecond.\r\n", ["First.", "Second."]),
        (b"\n\n date 2023-04-26 Headline  \n\nOne\nwrapped paragraph.   \n", ["One wrapped paragraph."]),
        (b"Jul 12, 2018 07:08 Asia/Tehran\r\n  \xe2\x80\xa2 Headline\r\n\r\nOnly paragraph\r\n", ["Only paragraph"]),
    ],
)
def test_tolerated_layouts(data: bytes, expected: list[str]) -> None:
    article = parse_article(data)

    assert article.headline == "Headline"
    assert article.paragraphs == expected
    assert article.subheadings == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "data"),
        (b" \r\n\n\t\n", "data"),
        (b"\xff\xfe\xfa", "encoding"),
        (b"Breaking news\n\nSomething happened.", "header"),
        (b'{"uri": "x"}', "header"),
        (b" date 2023-04-26\n\nBody.", "headline"),
        (b" date 2023-04-26   \n\nBody.", "headline"),
        (b"Jul 12, 2018 07:08 Asia/Tehran\n\nBody without bullet.", "headline"),
        (b"Jul 12, 2018 07:08 Asia/Tehran\n  \xe2\x80\xa2   \n\nBody.", "headline"),
        (b"Jul 12, 2018 07:08 Mars/Olympus\n  \xe2\x80\xa2 Headline\n\nBody.", "published"),
        (b"Jul 12, 2018 07:08\n  \xe2\x80\xa2 Headline\n\nBody.", "published"),
        (b"Jul 32, 2018 07:08 Asia/Tehran\n  \xe2\x80\xa2 Headline\n\nBody.", "published"),
        (b" date 2023-02-30 Headline\n\nBody.", "published"),
        (b" date 2023-04-26 Headline\n\n", "body"),
    ],
)
def test_errors(data: bytes, field: str) -> None:
    with pytest.raises(PlainTextError) as excinfo:
        parse_article(data)

    assert excinfo.value.field == field
    # Every message tells the sender what a good file looks like.
    assert "expected" in str(excinfo.value) or "must" in str(excinfo.value)


def test_unknown_header_message_names_both_styles() -> None:
    with pytest.raises(PlainTextError, match="Kazinform style.*Pars Today style"):
        parse_article(b"Breaking news\n\nSomething happened.")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (KAZINFORM.read_bytes(), True),
        (PARSTODAY.read_bytes(), True),
        (b"\xef\xbb\xbf\r\n date 2023-04-26 Headline", True),
        (b'{"uri": "x"}', False),
        (b'<?xml version="1.0"?><a/>', False),
        (b"", False),
        (b"\xff\xfe\xfa", False),
    ],
)
def test_looks_like_plaintext(data: bytes, expected: bool) -> None:
    assert looks_like_plaintext(data) is expected
