"""Feeds that are broken, hostile or unidentifiable: clear errors, no network, no files."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsbridge.formats.errors import FormatError
from newsbridge.formats.feeds import (
    FORMAT_ATOM,
    FORMAT_JSONFEED,
    FORMAT_RSS,
    JSONFEED_VERSION,
    FeedError,
    parse_feed,
    sniff_feed,
    to_jsonfeed,
)
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3, validate

from tests.formats.test_feeds import ATOM, JSONFEED, MOSCOW, RSS, one


def test_entry_without_id_or_link_is_left_for_the_hub_to_identify() -> None:
    data = """<rss version="2.0"><channel><title>t</title>
<item><title>Без ссылки</title><pubDate>Wed, 26 Apr 2023 09:00:00 +0300</pubDate></item>
</channel></rss>""".encode("utf-8")

    [item] = parse_feed(data)

    assert item.uri is None  # ingest derives urn:newsbridge:<org>:<hash of date and headline>
    assert item.headline == "Без ссылки"
    assert item.firstcreated == datetime(2023, 4, 26, 9, 0, tzinfo=MOSCOW)


@pytest.mark.parametrize("data, field", [
    (b'<rss version="2.0"><channel><title>t</title><item><guid>a</guid></item>'
     b"<item><description>Only a description</description></item></channel></rss>", "entries[1]"),
    (json.dumps({"version": JSONFEED_VERSION, "title": "t", "items": [{"content_text": "x"}]}).encode(),
     "$.items[0].id"),
])
def test_entry_that_nothing_identifies_is_refused(data: bytes, field: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(data)

    assert caught.value.kind == "invalid"
    assert caught.value.field == field
    assert "nothing identifies it" in caught.value.message


# errors

@pytest.mark.parametrize("data, line, what", [
    (b'<?xml version="1.0"?>\n<rss version="2.0"><channel>\n<title>t</title>\n'
     b"<item><title>Tom & Jerry</title></item>\n</channel></rss>", 4, "EntityRef"),
    (b'<rss version="2.0"><channel>\n<title>t</title>\n<item><title>a & b</title></item>\n</channel></rss>',
     3, "EntityRef"),  # no XML declaration: feedparser's own count would be one too high
    (b'<?xml version="1.0"?>\n<rss version="2.0"><channel>\n<item><title>a</title>\n</channel></rss>',
     4, "tag mismatch"),
    (b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<entry><dc:title>t</dc:title>'
     b"</entry>\n</feed>", 3, "Namespace prefix dc"),
    ('<?xml version="1.0" encoding="windows-1251"?>\n<rss version="2.0"><channel>\n'
     "<item><title>Курс & цены</title></item>\n</channel></rss>".encode("cp1251"), 3, "EntityRef"),
    (b"<rss>", 1, "Premature end"),
], ids=["ampersand", "ampersand-no-declaration", "unclosed", "undeclared-prefix", "windows-1251", "truncated"])
def test_broken_xml_is_malformed_and_names_the_line(data: bytes, line: int, what: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(data)

    error = caught.value
    assert isinstance(error, FormatError)
    assert error.kind == "malformed"
    assert (error.field or "").startswith(f"line {line}, column ")
    assert error.format in (FORMAT_RSS, FORMAT_ATOM)
    assert f"not well-formed XML at line {line}, column " in error.message
    assert what in error.message
    assert "escape & and <" in error.message


def test_wrong_declared_encoding_is_tolerated() -> None:
    data = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            "<item><guid>cafe-1</guid><title>Café in Almaty</title></item></channel></rss>").encode("cp1252")

    [item] = parse_feed(data)

    assert item.headline == "Café in Almaty"


def test_windows_1251_declared_is_read() -> None:
    data = ('<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><language>ru</language>'
            "<item><guid>kurs-1</guid><title>Курс тенге укрепился</title></item></channel></rss>").encode("cp1251")

    [item] = parse_feed(data)

    assert (item.headline, item.language) == ("Курс тенге укрепился", "ru")


@pytest.mark.parametrize("data, words", [
    (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY secret SYSTEM "file:///etc/hostname">\n]>\n'
     b'<rss version="2.0"><channel>\n<title>&secret;</title>\n</channel></rss>', "external entity 'secret'"),
    (b'<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
     b'<rss version="2.0"><channel><title>&b;</title></channel></rss>', "billion laughs"),
    (b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>t</title><item><title>Caf&eacute;</title></item></channel></rss>""",
     "external DTD"),
    (b'<!DOCTYPE rss SYSTEM "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
     b'<rss version="0.91"><channel><title>t</title><item><title>x</title></item></channel></rss>', "external DTD"),
    (b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]><rss version="2.0"><channel><item><guid>g</guid>'
     b"<title>a&nbsp;b</title></item></channel></rss>", "declares the entity 'nbsp'"),
], ids=["external-entity", "entity-expansion", "rss-0.91-dtd", "dtd-unused", "harmless-looking-entity"])
def test_doctypes_follow_the_hubs_xml_rule(data: bytes, words: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_feed(data)

    assert (caught.value.kind, caught.value.field, caught.value.format) == ("malformed", "DOCTYPE", FORMAT_RSS)
    assert words in caught.value.message
    assert "remove it" in caught.value.message


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that notices whether anything tried to connect."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def test_parsing_never_touches_the_network_or_files(listener: socket.socket, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    port = listener.getsockname()[1]
    external = [
        f'<!DOCTYPE rss SYSTEM "http://127.0.0.1:{port}/rss.dtd"><rss version="2.0"/>'.encode(),
        f'<!DOCTYPE rss [<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e">]><rss version="2.0">&e;</rss>'.encode(),
        f'<rss version="2.0"><channel><item><guid>g</guid><link>http://127.0.0.1:{port}/a</link>'
        f'<description>&lt;img src="http://127.0.0.1:{port}/i.png"&gt;</description></item></channel></rss>'.encode(),
    ]
    # Given bytes, feedparser would read a file of that name; these bytes name one.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "<rss>").write_bytes(RSS)

    for data in external:
        try:
            parse_feed(data)
        except FormatError:
            pass
    with pytest.raises(FeedError):
        parse_feed(b"<rss>")
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected


@pytest.mark.parametrize("data, kind, field", [
    (b"<html><body>Not a feed</body></html>", "malformed", "body"),
    (b"", "malformed", "body"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [}', "malformed", "line 1"),
    (b'["version", "https://jsonfeed.org/version/1.1"]', "malformed", "body"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t"}', "invalid", "$.items"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": ["x"]}', "invalid", "$.items[0]"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "date_published": "2023-04-26 09:00"}]}',
     "invalid", "$.items[0].date_published"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "date_modified": "yesterday"}]}',
     "invalid", "$.items[0].date_modified"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "tags": "news"}]}',
     "invalid", "$.items[0].tags"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "title": 5}]}',
     "invalid", "$.items[0].title"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a", "attachments": [{"title": "t"}]}]}',
     "invalid", "$.items[0].attachments[0]"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "a"}], "language": 7}',
     "invalid", "$.language"),
])
def test_feed_errors_say_where(data: bytes, kind: str, field: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(data)

    assert (caught.value.kind, caught.value.field) == (kind, field)
    assert str(caught.value) == caught.value.message


# everything read is a valid ninjs 3.x item

@pytest.mark.parametrize("data", [RSS, ATOM, JSONFEED], ids=["rss", "atom", "jsonfeed"])
def test_every_entry_becomes_valid_ninjs3(data: bytes) -> None:
    for item in parse_feed(data):
        assert validate(to_ninjs3(item)) == 3


# JSON Feed out
