"""NewsML-G2 as agencies really send it: bent values read with a warning (refused only in strict mode),
zone-less times in the source's zone, agency namespaces, every rendition attribute kept."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from newsbridge.formats.detect import parse_document
from newsbridge.formats.errors import FormatError
from newsbridge.formats.newsml_g2 import NAR, parse_newsml
from newsbridge.formats.ninjs import to_ninjs3, validate
from tests.formats.test_newsml_g2 import news_item


@pytest.mark.parametrize(("inner", "field", "code", "read"), [
    ("<itemMeta><firstCreated>2016-10-18T13:12:21</firstCreated></itemMeta>", "newsItem/itemMeta/firstCreated",
     "time_zone_assumed", lambda i: i.firstcreated == datetime(2016, 10, 18, 13, 12, 21, tzinfo=timezone.utc)),
    ("<itemMeta><versionCreated>yesterday</versionCreated></itemMeta>", "newsItem/itemMeta/versionCreated",
     "time_unreadable", lambda i: i.versioncreated is None),
    ("<itemMeta><embargoed>2018-10-23</embargoed></itemMeta>", "newsItem/itemMeta/embargoed", "time_day_only",
     lambda i: i.embargoed == datetime(2018, 10, 23, tzinfo=timezone.utc)),
    ("<itemMeta><versionCreated></versionCreated></itemMeta>", "newsItem/itemMeta/versionCreated", "time_empty",
     lambda i: i.versioncreated is None),
    ("<contentMeta><contentCreated>2016-02-09T09:17:00</contentCreated></contentMeta>",
     "newsItem/contentMeta/contentCreated", "time_zone_assumed",
     lambda i: i.extra["contentCreated"] == "2016-02-09T09:17:00+00:00"),
    ('<itemMeta><pubStatus qcode="stat:draft"/></itemMeta>', "newsItem/itemMeta/pubStatus", "code_unknown",
     lambda i: i.pubstatus == "usable"),
    ('<itemMeta><pubStatus qcode="agencystat:canceled"/></itemMeta>', "newsItem/itemMeta/pubStatus", "code_mapped",
     lambda i: i.pubstatus == "canceled"),
    ('<itemMeta><itemClass qcode="ninat:interactive"/></itemMeta>', "newsItem/itemMeta/itemClass", "code_unknown",
     lambda i: i.type == "text"),
    ('<itemMeta><itemClass qcode="icls:picture"/></itemMeta>', "newsItem/itemMeta/itemClass", "code_mapped",
     lambda i: i.type == "picture"),
    ('<itemMeta><itemClass uri="http://example.com/classes/photo"/></itemMeta>', "newsItem/itemMeta/itemClass",
     "code_mapped", lambda i: i.type == "picture"),
    ("<contentMeta><urgency>12</urgency></contentMeta>", "newsItem/contentMeta/urgency", "value_invalid",
     lambda i: i.urgency is None),
    ("<contentMeta><urgency></urgency></contentMeta>", "newsItem/contentMeta/urgency", "value_empty",
     lambda i: i.urgency is None),
    ('<contentSet><remoteContent href="a.jpg" width="wide" height="20"/></contentSet>',
     "newsItem/contentSet/remoteContent[1]@width", "value_invalid",
     lambda i: i.renditions == [{"name": "rendition1", "href": "a.jpg", "height": 20}]),
    ('<contentSet><inlineData contenttype="text/plain"><![CDATA[<p>Rome - it said.</p>]]></inlineData></contentSet>',
     "newsItem/contentSet/inlineData", "text_is_html",
     lambda i: (i.body_html, i.body_text) == ("<p>Rome - it said.</p>", None)),
])
def test_bent_values_are_read_with_a_warning(inner: str, field: str, code: str, read) -> None:  # type: ignore[no-untyped-def]
    # Real agency files bend the standard in these ways (STT, Scoop, ANSA, Reuters): the hub reads them, says
    # what it assumed, and refuses them only in strict mode.
    [item] = parse_newsml(news_item(inner))

    assert [(w.code, w.field) for w in item.warnings] == [(code, field)]
    assert read(item)
    with pytest.raises(FormatError) as caught:
        parse_document(news_item(inner), strict=True)
    assert (caught.value.kind, caught.value.field) == ("invalid", field)
    assert caught.value.message.startswith("strict mode: ") and code in caught.value.message


def test_times_without_a_zone_take_the_sources_zone() -> None:
    data = news_item("<itemMeta><versionCreated>2019-04-15T11:12:24</versionCreated></itemMeta>")

    [helsinki] = parse_newsml(data, zone="Europe/Helsinki")
    [utc] = parse_newsml(data)

    assert helsinki.versioncreated.isoformat() == "2019-04-15T11:12:24+03:00"  # type: ignore[union-attr]
    assert utc.versioncreated.isoformat() == "2019-04-15T11:12:24+00:00"  # type: ignore[union-attr]
    assert "Europe/Helsinki" in helsinki.warnings[0].message


def test_agency_namespaces_and_unknown_children_are_ignored_and_named() -> None:
    data = news_item('<itemMeta xmlns:rtr="http://www.reuters.com/ns/2003/08/content"><itemClass qcode="ninat:text" '
                     'rtr:msgType="S"/><rtr:versionedId guid="x"/><fileName>a.xml</fileName></itemMeta>'
                     "<contentMeta><headline>H</headline><widget/></contentMeta>")

    [item] = parse_newsml(data)

    assert (item.type, item.headline, item.warnings) == ("text", "H", [])
    assert item.extra["edNote"] == ("Newsbridge could not carry these NewsML-G2 parts over to ninjs: "
                                    "itemMeta/versionedId, itemMeta/fileName, contentMeta/widget.")


def test_remote_content_keeps_every_attribute_ninjs_can_hold() -> None:
    data = news_item('<itemMeta><itemClass qcode="ninat:video"/></itemMeta><contentSet><remoteContent '
                     'rendition="rnd:highRes" href="https://x.example/v.mp4" contenttype="video/mp4" size="12345" '
                     'width="1920" height="1080" duration="61.5" format="fmt:mp4" videocodec="vcdc:c015" '
                     'videoframerate="25" aspectratio="16:9" videoavgbitrate="4000000" videoscan="videoscan:progressive" '
                     'colourspace="colsp:AdobeRGB"/></contentSet>')

    [item] = parse_newsml(data)

    assert item.renditions == [{"name": "highRes", "href": "https://x.example/v.mp4", "contentType": "video/mp4",
                                "sizeInBytes": 12345, "width": 1920, "height": 1080, "duration": 61.5,
                                "format": "fmt:mp4", "videoCodec": "vcdc:c015", "frameRate": 25.0,
                                "aspectRatio": "16:9", "bitrate": "4000000 bps", "scanType": "progressive"}]
    assert item.extra["edNote"].endswith("contentSet/remoteContent@colourspace.")
    validate(to_ninjs3(item))  # every key is one ninjs 3.x renditions allow


def test_warnings_inside_a_news_message_name_the_item() -> None:
    bad = "<itemMeta><versionCreated>2018-10-19T11:17:00</versionCreated></itemMeta>"
    data = (f'<newsMessage xmlns="{NAR}"><header/><itemSet><newsItem guid="a"/><newsItem guid="b">{bad}</newsItem>'
            "</itemSet></newsMessage>").encode()

    first, second = parse_newsml(data)

    assert first.warnings == []
    assert [w.field for w in second.warnings] == ["newsMessage/itemSet/newsItem[2]/itemMeta/versionCreated"]


def test_a_version_that_is_no_number_is_ignored() -> None:
    [item] = parse_newsml(news_item("", attrs='guid="urn:x" version="v2"'))

    assert item.version is None
    assert [(w.code, w.field) for w in item.warnings] == [("value_invalid", "newsItem/@version")]


def test_an_item_without_guid_says_its_uri_is_derived() -> None:
    [item] = parse_newsml(news_item("<contentMeta><headline>H</headline></contentMeta>", attrs='version="1"'))

    assert item.uri is None
    assert [w.code for w in item.warnings] == ["uri_derived"]
