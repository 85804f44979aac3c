"""Writing JSON Feed 1.1: valid per the spec, and read back unchanged by the hub's own reader."""

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

from tests.formats.test_feeds import ALMATY, ATOM, JSONFEED, MEDTOP, MOSCOW, RSS, TEHRAN, one


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

FEED_KEYS = {"version", "title", "home_page_url", "feed_url", "description", "user_comment", "next_url", "icon",
             "favicon", "authors", "author", "language", "expired", "hubs", "items"}
ITEM_KEYS = {"id", "url", "external_url", "title", "content_html", "content_text", "summary", "image", "banner_image",
             "date_published", "date_modified", "authors", "author", "tags", "language", "attachments"}


def jsonfeed_problems(doc: Any) -> list[str]:
    """What JSON Feed 1.1 (https://jsonfeed.org/version/1.1) says a feed must be, and this one is not."""
    problems = []
    extension = re.compile(r"^_[A-Za-z]")
    if doc.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append("version")
    if not isinstance(doc.get("title"), str):
        problems.append("title")
    problems += [f"unknown key {k}" for k in doc if k not in FEED_KEYS and not extension.match(k)]
    if not isinstance(doc.get("items"), list):
        return problems + ["items"]
    for n, item in enumerate(doc["items"]):
        where = f"items[{n}]"
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"{where}.id")
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            problems.append(f"{where} has no content_html or content_text")
        problems += [f"{where}.{k}" for k in ("date_published", "date_modified")
                     if k in item and not RFC3339.match(item[k])]
        problems += [f"{where}.{k}" for k in ("url", "title", "summary", "language")
                     if k in item and not isinstance(item[k], str)]
        if "tags" in item and not all(isinstance(t, str) for t in item["tags"]):
            problems.append(f"{where}.tags")
        if "authors" in item and not all(isinstance(a, dict) and isinstance(a.get("name"), str)
                                         for a in item["authors"]):
            problems.append(f"{where}.authors")
        for a in item.get("attachments", []):
            if not (isinstance(a.get("url"), str) and isinstance(a.get("mime_type"), str)):
                problems.append(f"{where}.attachments")
        problems += [f"{where}: unknown key {k}" for k in item if k not in ITEM_KEYS and not extension.match(k)]
    return problems


HUB_ITEM = Item(
    uri="urn:newsbridge:kazinform:5f2c", version="3", firstcreated=date(2023, 4, 26),
    versioncreated=datetime(2023, 4, 26, 10, 5, tzinfo=ALMATY), language="kk",
    headline="Қазақстан мен Иран медиа ынтымақтастығын талқылады",
    body_text="АСТАНА. ҚАЗАҚПАРАТ – Кездесу өтті.", body_html="<p>АСТАНА. ҚАЗАҚПАРАТ – Кездесу өтті.</p>",
    description="Қысқаша.", byline="Айгерім Сапарова", urgency=3,
    subjects=[{"name": "mass media", "uri": MEDTOP + "20000045"}, {"name": "Қоғам", "literal": "Қоғам"}],
    renditions=[{"name": "highres", "href": "https://static.inform.kz/p/1.jpg", "contentType": "image/jpeg",
                 "sizeInBytes": 2450000, "width": 3000}],
    extra={"altIds": [{"role": "link", "value": "https://www.inform.kz/kz/article/1"}]},
)


def test_to_jsonfeed_writes_a_valid_json_feed_1_1() -> None:
    items = parse_feed(RSS) + parse_feed(ATOM) + parse_feed(JSONFEED) + [HUB_ITEM]

    data = to_jsonfeed(items, title="Newsbridge — Kazinform", home_page_url="https://hub.example/",
                       feed_url="https://hub.example/feeds/kazinform.json")
    doc = json.loads(data)

    assert jsonfeed_problems(doc) == []
    assert doc["home_page_url"] == "https://hub.example/"
    assert doc["feed_url"] == "https://hub.example/feeds/kazinform.json"
    assert "language" not in doc  # the items differ; each says its own
    assert sniff_feed(data) == FORMAT_JSONFEED
    assert "Қазақстан" in data.decode("utf-8")  # UTF-8, not \u escapes


def test_to_jsonfeed_item_fields() -> None:
    [written] = json.loads(to_jsonfeed([HUB_ITEM], title="t"))["items"]

    assert written == {
        "id": "urn:newsbridge:kazinform:5f2c",
        "url": "https://www.inform.kz/kz/article/1",
        "title": "Қазақстан мен Иран медиа ынтымақтастығын талқылады",
        "content_html": "<p>АСТАНА. ҚАЗАҚПАРАТ – Кездесу өтті.</p>",
        "content_text": "АСТАНА. ҚАЗАҚПАРАТ – Кездесу өтті.",
        "summary": "Қысқаша.",
        "date_published": "2023-04-26T00:00:00+00:00",  # a day-only date as midnight UTC
        "date_modified": "2023-04-26T10:05:00+05:00",
        "language": "kk",
        "authors": [{"name": "Айгерім Сапарова"}],
        "tags": ["mass media", "Қоғам"],
        "attachments": [{"url": "https://static.inform.kz/p/1.jpg", "mime_type": "image/jpeg",
                         "size_in_bytes": 2450000}],
        "_newsbridge": {"version": "3", "pubstatus": "usable", "urgency": 3, "subjects": HUB_ITEM.subjects},
    }


def test_to_jsonfeed_item_without_body_still_has_content() -> None:
    item = Item(uri="https://e.example/1", headline="Тек тақырып", language="kk")

    [written] = json.loads(to_jsonfeed([item], title="t"))["items"]

    assert written["content_text"] == "Тек тақырып"
    assert written["url"] == "https://e.example/1"  # an http(s) uri is also the url
    assert json.loads(to_jsonfeed([item], title="t"))["language"] == "kk"  # one language: said once for the feed


def test_to_jsonfeed_refuses_an_item_without_uri() -> None:
    with pytest.raises(FeedError) as caught:
        to_jsonfeed([HUB_ITEM, Item(headline="x")], title="t")

    assert (caught.value.kind, caught.value.field) == ("invalid", "$.items[1].id")


ROUND_TRIP = ("uri", "headline", "body_html", "body_text", "description", "firstcreated", "versioncreated",
              "language", "byline", "subjects")


@pytest.mark.parametrize("data", [RSS, ATOM, JSONFEED], ids=["rss", "atom", "jsonfeed"])
def test_jsonfeed_round_trip(data: bytes) -> None:
    items = parse_feed(data)

    again = parse_feed(to_jsonfeed(items, title="t", home_page_url=None, feed_url=None))

    assert [[getattr(i, f) for f in ROUND_TRIP] for i in again] == [[getattr(i, f) for f in ROUND_TRIP] for i in items]
    assert [i.extra for i in again] == [i.extra for i in items]
    assert [[(r["href"], r.get("contentType")) for r in i.renditions] for i in again] == \
        [[(r["href"], r.get("contentType", "application/octet-stream")) for r in i.renditions] for i in items]


def test_jsonfeed_round_trip_of_a_hub_item() -> None:
    [again] = parse_feed(to_jsonfeed([HUB_ITEM], title="t"))

    assert again.version is None  # the hub numbers versions
    assert again.firstcreated == datetime(2023, 4, 26, tzinfo=timezone.utc)
    assert [getattr(again, f) for f in ROUND_TRIP if f != "firstcreated"] == \
        [getattr(HUB_ITEM, f) for f in ROUND_TRIP if f != "firstcreated"]
