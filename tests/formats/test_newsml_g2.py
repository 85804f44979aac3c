"""NewsML-G2 over IPTC's own examples: golden values read by eye, round trips, and errors (what agencies bend: test_newsml_g2_lenient.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item
from newsbridge.formats.newsml_g2 import FORMAT_NAME, MEDTOP, NAR, looks_like_newsml, parse_newsml, to_newsml
from newsbridge.formats.ninjs import to_ninjs3, validate

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared/fixtures/newsml-g2"
NEWS_ITEM = "LISTING_1_A_NewsML-G2_News_Item.xml"
TEXT = "LISTING_2_NewsML-G2_Text_Document.xml"
PHOTO = "LISTING_3_Photo_in_NewsML-G2.xml"
PACKAGE = "LISTING_6_Simple_NewsML-G2_Package.xml"
MESSAGE = "LISTING_24_News_Message_conveying_a_complete_News_Package.xml"
NITF_FRAGMENT = "LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml"
DATELINE_FRAGMENT = "LISTING_28_Illustrating_Located_Subject_and_Dateline.xml"
HOPS = "LISTING_29_Hop_History.xml"
LICENSE = "LICENSE-IPTC.txt"
# Every file in the directory, and whether it is a whole NewsML-G2 document (two listings are
# fragments: a contentSet and a contentMeta, read here inside a minimal newsItem).
SNIFF = {NEWS_ITEM: True, TEXT: True, PHOTO: True, PACKAGE: True, MESSAGE: True, HOPS: True,
         NITF_FRAGMENT: False, DATELINE_FRAGMENT: False, LICENSE: False}
ROUND_TRIP_FIELDS = ("uri", "type", "version", "firstcreated", "versioncreated", "embargoed", "pubstatus", "language",
                     "headline", "body_text", "body_html", "description", "byline", "located", "subjects", "genres",
                     "urgency", "copyrightholder", "copyrightnotice", "usageterms", "renditions")
UTC = timezone.utc
CDT = timezone(timedelta(hours=-5))
STORED = datetime(2026, 3, 22, 8, 0, tzinfo=UTC)  # when the hub stored a version: its versionCreated if none


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def one(name: str) -> Item:
    [item] = parse_newsml(fixture(name))
    return item


def wrapped(name: str) -> bytes:
    """A fragment listing inside the smallest newsItem, so its own values can be read."""
    return (f'<newsItem xmlns="{NAR}" guid="urn:newsbridge:test:{name[:10]}" version="1">'.encode()
            + fixture(name) + b"</newsItem>")


def news_item(inner: str, *, attrs: str = 'guid="urn:test:1" version="2"') -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<newsItem xmlns="{NAR}" {attrs}>{inner}</newsItem>'.encode()


def raised(data: bytes) -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse_newsml(data)
    assert caught.value.format == FORMAT_NAME
    return caught.value


def medtop(code: str, name: str) -> dict[str, str]:
    return {"name": name, "uri": MEDTOP + code, "rel": "about"}


def test_every_fixture_file_is_covered() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_file()) == sorted(SNIFF)  # xsd/ is the schema


@pytest.mark.parametrize("name", sorted(SNIFF))
def test_sniff_claims_whole_documents_only(name: str) -> None:
    assert looks_like_newsml(fixture(name)) is SNIFF[name]


def test_news_item_listing_1() -> None:
    item = one(NEWS_ITEM)

    assert item.uri == "urn:newsml:acmenews.com:20161018:US-FINANCE-FED"
    assert (item.type, item.version, item.pubstatus, item.language) == ("text", "11", "usable", "en-GB")
    assert item.headline == 'Fed to halt QE to avert "bubble"'
    assert item.firstcreated.isoformat() == "2016-10-18T13:12:21-05:00"  # type: ignore[union-attr]
    assert item.versioncreated.isoformat() == "2018-10-21T16:25:32-05:00"  # type: ignore[union-attr]
    assert item.embargoed.isoformat() == "2018-10-23T12:00:00+00:00"  # type: ignore[union-attr]
    assert (item.located, item.byline) == ("Berlin", "Meredith Jameson")
    assert item.subjects == [medtop("04000000", "economy, business and finance"), medtop("20000523", "labour market")]
    assert item.genres == [{"name": "Interview", "literal": "genre:interview"}]
    assert item.copyrightholder == "Example Enews LLP"
    assert item.copyrightnotice == "Copyright 2017-18 Example Enews LLP, all rights reserved"
    assert item.usageterms == "Not for use outside the United States"
    assert item.body_html is None and item.body_text is None  # its inlineXML holds only a comment
    assert item.urgency is None and item.description is None
    assert item.extra["slugline"] == "US-Finance-Fed"
    assert item.extra["contentCreated"] == "2016-10-18T11:12:00-05:00"
    assert item.extra["infoSources"] == [{"literal": "nprov:REUTERS", "role": "provider"},
                                         {"uri": "http://www.example.com"}]
    assert item.extra["edNote"] == (
        "Note to editors: STRICTLY EMBARGOED. Not for public release until 12noon on Friday, October 23, 2018."
        "\n\nNewsbridge could not carry these NewsML-G2 parts over to ninjs: itemMeta/service, itemMeta/signal, "
        "itemMeta/link, contentMeta/contentModified.")
    assert item.extra["representationType"] == "partial"


def test_text_document_listing_2_reads_the_nitf_body() -> None:
    item = one(TEXT)

    assert item.uri == "urn:newsml:acmenews.com:20161121:US-FINANCE-FED"
    assert (item.type, item.version, item.pubstatus, item.language) == ("text", "11", "usable", "en-US")
    assert item.headline == 'Fed to halt QE to avert "bubble"'
    assert item.firstcreated is None  # the listing has contentCreated only
    assert item.versioncreated == datetime(2018, 11, 21, 16, 25, 32, tzinfo=CDT)
    assert item.versioncreated.isoformat() == "2018-11-21T16:25:32-05:00"  # type: ignore[union-attr]
    assert item.body_html.startswith(  # type: ignore[union-attr]
        "<p>(New York, NY - October 21) Et, sent luptat luptat, commy\n")
    assert item.body_html.endswith("esto cons dolutpat, si.\n                       </p>")  # type: ignore[union-attr]
    assert item.body_html.count("<p>") == 2  # type: ignore[union-attr]
    assert "xmlns" not in item.body_html and "hedline" not in item.body_html  # type: ignore[operator]
    assert item.body_text is None
    assert (item.located, item.byline) == ("New York, NY", "Meredith Jameson")
    assert item.subjects == [medtop("04000000", "economy, business and finance"), medtop("20000350", "central bank"),
                             medtop("20000379", "money and monetary policy")]
    assert item.copyrightholder == "Acme News and Media LLC"
    assert item.copyrightnotice == "Copyright 2017-18 Acme News and Media LLC"
    assert item.extra["infoSources"] == [{"uri": "http://www.acmenews.com/about/", "role": "provider"},
                                         {"name": "Associated Press", "literal": "is:AP"}]
    assert item.extra["edNote"].endswith("to ninjs: contentMeta/contentModified.")


def test_photo_listing_3_has_renditions() -> None:
    item = one(PHOTO)

    assert (item.uri, item.type, item.version) == ("tag:gettyimages.com,2010:GYI0062134533", "picture", "11")
    assert (item.pubstatus, item.language) == ("usable", "en-US")  # no pubStatus: NewsML-G2 says usable
    assert item.headline == "Variety Of Recessionary Forces Leave Las Vegas Economy Scarred"
    assert item.versioncreated.isoformat() == "2018-10-12T06:42:04+00:00"  # type: ignore[union-attr]
    assert item.firstcreated.isoformat() == "2010-10-20T20:58:00+00:00"  # type: ignore[union-attr]
    assert item.description.startswith(  # type: ignore[union-attr]
        "A general view of part of downtown, including Las Vegas Boulevard, on October 20, 2010 in Las Vegas,")
    assert item.description.endswith("(Photo by Spencer Platt/Getty Images)")  # type: ignore[union-attr]
    assert item.byline == "Spencer Platt"
    assert item.body_html is None and item.located is None
    assert item.renditions == [
        {"name": "highRes", "href": "./GYI0062134533.jpg", "contentType": "image/jpeg", "width": 1500,
         "height": 1001, "sizeInBytes": 346071},
        {"name": "web", "href": "file:///./ GYI0062134533-web.jpg", "contentType": "image/jpeg", "width": 480,
         "height": 320, "sizeInBytes": 28972},
        {"name": "thumb", "href": "file:///./GYI0062134533-thumb.gif", "contentType": "image/gif", "width": 80,
         "height": 53, "sizeInBytes": 6381},
    ]
    assert item.subjects == [
        {"literal": "gyimeid:104530187", "rel": "about"},
        medtop("20000523", "labour market"),  # the en-GB name for an en-US item, not the German one
        medtop("20000533", "unemployment"),
        {"name": "Las Vegas Boulevard", "rel": "about"},
        {"name": "Las Vegas", "literal": "gycon:89109", "rel": "about"},
    ]
    assert item.copyrightholder == "Getty Images North America"
    assert item.copyrightnotice == ("Copyright 2010 Getty Images. -- "
                                    "http://www.gettyimages.com/Corporate/LicenseInfo.aspx")
    assert item.usageterms.startswith(  # type: ignore[union-attr]
        "Contact your local office for all commercial or promotional uses.")
    assert {"name": "Getty Images", "role": "creditline"} in item.extra["infoSources"]
    # ninjs 3.x renditions are closed: the remoteContent attributes they cannot hold are named
    assert item.extra["edNote"] == ("Newsbridge could not carry these NewsML-G2 parts over to ninjs: "
                                    "contentMeta/contributor, contentMeta/keyword (7), contentSet/remoteContent@version "
                                    "(3), contentSet/remoteContent@colourspace (3), contentSet/remoteContent@orientation "
                                    "(3), contentSet/remoteContent@layoutorientation (3).")


def test_package_listing_6_is_a_composite_with_associations() -> None:
    item = one(PACKAGE)

    assert (item.uri, item.type, item.version) == ("tag:example.com,2008:UK-NEWS-TOPTEN:UK20081220098658",
                                                   "composite", "11")
    assert item.headline == "UK"
    assert item.language is None  # only the headline carries xml:lang
    assert item.versioncreated == datetime(2018, 11, 17, 12, 30, tzinfo=UTC)
    assert item.firstcreated == datetime(2008, 12, 20, 12, 25, 35, tzinfo=UTC)
    assert [(a["uri"], a["name"], a["type"], a["rel"], a["pubStatus"]) for a in item.associations] == [
        ("urn:newsml:iptc.org:20081007:tutorial-item-A", "Obama annonce son équipe", "text", "group:main", "usable"),
        ("urn:newsml:iptc.org:20081007:tutorial—item-B", "Barack Obama arrive à Washington", "picture",
         "group:main", "usable"),
    ]
    assert item.associations[1]["descriptions"] == [
        {"role": "drol:caption", "value": "Si nous avons aujourd'hui un afro-américain et une femme dans la course "
                                          "à la présidence."}]
    assert (item.extra["title"], item.extra["profile"]) == ("UK-TOPNEWS", "simple_text_with_picture.xsl")
    assert item.extra["edNote"].startswith("Updates the previous version\n\n")


def test_news_message_listing_24_gives_every_item() -> None:
    items = parse_newsml(fixture(MESSAGE))

    assert len(items) == 5
    package, *members = items
    assert package.type == "composite" and package.uri is None
    assert [a["uri"] for a in package.associations] == ["N1", "N2", "N3", "N4"]
    assert [(m.uri, m.type) for m in members] == [("N1", "text"), ("N2", "text"), ("N3", "text"), ("N4", "text")]
    # IPTC abbreviated the members to " ..... ": that text has no home, and says so
    assert all(m.extra["edNote"].endswith("to ninjs: text in newsItem.") for m in members)


def test_hop_history_listing_29() -> None:
    item = one(HOPS)

    assert (item.uri, item.version, item.language) == (
        "urn:newsml:acmenews.com:20161019T1205:HOP-HISTORY-EXAMPLE", "11", "en-US")
    assert item.versioncreated.isoformat() == "2018-10-19T20:15:00+00:00"  # type: ignore[union-attr]
    assert item.copyrightholder == "http://www.thomsonreuters.com"  # a holder without a name is named by its URI
    assert item.headline is None
    assert item.extra["edNote"] == "Newsbridge could not carry these NewsML-G2 parts over to ninjs: hopHistory."


def test_nitf_fragment_listing_25() -> None:
    error = raised(fixture(NITF_FRAGMENT))
    assert (error.kind, error.field) == ("unknown", "/contentSet")
    assert "<contentSet> without a namespace" in error.message

    [item] = parse_newsml(wrapped(NITF_FRAGMENT))
    assert item.body_html.startswith(  # type: ignore[union-attr]
        "<p>(Sports Network) - With the Philadelphia Phillies picking\n")
    assert item.body_html.endswith("looks set to be a clash of the Titans.</p>")  # type: ignore[union-attr]
    # without NewsML-G2 metadata, NITF's body.head fills headline, byline and description
    assert item.headline == "Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05p.m."
    assert item.byline == "Sports Network"
    assert item.description.startswith("A pair of teams coming off big weekend sweeps")  # type: ignore[union-attr]


def test_dateline_fragment_listing_28_puts_the_dateline_in_located() -> None:
    error = raised(fixture(DATELINE_FRAGMENT))
    assert (error.kind, error.field) == ("unknown", "/contentMeta")

    [item] = parse_newsml(wrapped(DATELINE_FRAGMENT))
    assert item.located == "MOSCOW, Monday (Reuters)"  # located has a qcode but no name
    assert item.language == "en-US"
    assert item.byline == "Thomson Reuters"
    assert item.subjects == [{"literal": "city:Tskhinvali", "rel": "about"}, {"literal": "city:Tblisi", "rel": "about"}]
    assert item.extra["contentCreated"] == "2016-02-09T09:17:00+03:00"
    assert "edNote" not in item.extra


def test_license_text_is_not_xml() -> None:
    error = raised(fixture(LICENSE))
    assert (error.kind, error.field) == ("malformed", "line 1, column 1")
    assert error.message.startswith("not well-formed XML at line 1, column 1")


def fixture_items() -> list[Item]:
    """Every item of every fixture, the fragments read inside a newsItem."""
    documents = [fixture(n) for n in sorted(SNIFF) if SNIFF[n]] + [wrapped(NITF_FRAGMENT), wrapped(DATELINE_FRAGMENT)]
    return [item for data in documents for item in parse_newsml(data)]


def item_id(item: Item) -> str:
    return f"{item.type}:{item.uri}"


@pytest.mark.parametrize("item", fixture_items(), ids=item_id)
def test_fixture_items_are_valid_ninjs_3(item: Item) -> None:
    # edNote and representationType report what was left out: both are ninjs 3.x keys
    assert validate(to_ninjs3(replace(item, uri=item.uri or "urn:newsbridge:test"))) == 3


@pytest.mark.parametrize("item", [i for i in fixture_items() if i.uri and i.type != "composite"], ids=item_id)
def test_fixture_items_round_trip(item: Item) -> None:
    [back] = parse_newsml(to_newsml(item, created=STORED))

    # NewsML-G2 requires versionCreated: an item without one is written with the time the hub stored it
    expected = replace(item, versioncreated=item.versioncreated or STORED)
    assert {f: getattr(back, f) for f in ROUND_TRIP_FIELDS} == {f: getattr(expected, f) for f in ROUND_TRIP_FIELDS}
    for key in ("slugline", "contentCreated", "edNote", "title", "profile"):
        assert back.extra.get(key) == item.extra.get(key)


def rich_item() -> Item:
    tehran = timezone(timedelta(hours=3, minutes=30))
    return Item(
        uri="urn:newsbridge:irna:2026:4471", type="text", version="3", firstcreated=date(2026, 3, 20),
        versioncreated=datetime(2026, 3, 21, 9, 30, 15, tzinfo=tehran),
        embargoed=datetime(2026, 3, 21, 12, 0, tzinfo=UTC), pubstatus="withheld", language="fa-IR",
        headline="نوروز & <بهار>", body_text="بند اول\n\nبند دوم < سوم",
        body_html='<p lang="fa">بند اول &amp; <b>پررنگ</b></p>\n<p>بند دوم &lt; سوم</p>',
        description="A spring story", byline="Sara Karimi", located="Tehran",
        subjects=[medtop("20000523", "labour market"), {"literal": "geo:Tehran", "rel": "about"},
                  {"name": "spring", "rel": "about"}, {"uri": "http://example.com/topics/nowruz", "rel": "about"}],
        genres=[{"name": "Feature", "literal": "genre:feature"}], urgency=2, copyrightholder="IRNA",
        copyrightnotice="(c) 2026 IRNA", usageterms="Partners only",
        renditions=[{"name": "thumb", "href": "https://example.com/t.jpg", "contentType": "image/jpeg", "width": 80,
                     "height": 53, "sizeInBytes": 6381}],
        extra={"slugline": "NOWRUZ", "edNote": "First note.\n\nSecond note.",
               "headlines": [{"role": "hlrole:short", "value": "Nowruz"}]},
    )


def test_item_round_trips_through_newsml() -> None:
    item = rich_item()
    data = to_newsml(item)
    [back] = parse_newsml(data)

    assert {f: getattr(back, f) for f in ROUND_TRIP_FIELDS} == {
        f: getattr(replace(item, firstcreated=datetime(2026, 3, 20, tzinfo=UTC)), f) for f in ROUND_TRIP_FIELDS}
    assert back.versioncreated.isoformat() == "2026-03-21T09:30:15+03:30"  # type: ignore[union-attr]
    # firstCreated is an xs:dateTime: a day alone is written as its start, UTC
    assert back.firstcreated == datetime(2026, 3, 20, tzinfo=UTC)
    assert {k: back.extra[k] for k in ("slugline", "edNote", "headlines")} == item.extra
    assert looks_like_newsml(data)


def test_written_newsml_uses_the_iptc_vocabularies() -> None:
    root = etree.fromstring(to_newsml(rich_item()))
    ns = {"n": NAR, "h": "http://www.w3.org/1999/xhtml"}

    assert root.tag == f"{{{NAR}}}newsItem"
    assert (root.get("guid"), root.get("version"), root.get("standard")) == ("urn:newsbridge:irna:2026:4471", "3",
                                                                             "NewsML-G2")
    assert root.xpath("n:itemMeta/n:itemClass/@qcode", namespaces=ns) == ["ninat:text"]
    assert root.xpath("n:itemMeta/n:pubStatus/@qcode", namespaces=ns) == ["stat:withheld"]
    assert root.xpath("n:contentMeta/n:subject/@qcode", namespaces=ns) == ["medtop:20000523", "geo:Tehran"]
    assert root.xpath("n:contentMeta/n:subject/@uri", namespaces=ns) == ["http://example.com/topics/nowruz"]
    assert root.xpath("n:contentSet/n:inlineXML/h:html/h:body/h:p/h:b/text()", namespaces=ns) == ["پررنگ"]
    assert root.xpath("n:contentSet/n:remoteContent/@rendition", namespaces=ns) == ["rnd:thumb"]


def test_text_only_body_is_written_as_paragraphs() -> None:
    item = Item(uri="urn:test:text", headline="H", body_text="One\nstill one\n\nTwo")
    [back] = parse_newsml(to_newsml(item, created=STORED))

    assert back.body_text == "One\nstill one\n\nTwo"
    assert back.body_html == "<p>One\nstill one</p><p>Two</p>"


def test_html_that_is_not_xml_is_written_well_formed() -> None:
    item = Item(uri="urn:test:html", body_html="<p>a<br>b&nbsp;c <x:y z:w='1'>d</x:y>\x0b<!-- gone --></p><p>e")
    [back] = parse_newsml(to_newsml(item, created=STORED))

    assert back.body_html == "<p>a<br/>b\u00a0c d</p><p>e</p>"


@pytest.mark.parametrize(("item", "field"), [
    (Item(uri=None), "uri"),
    (Item(uri="urn:test:event", type="event"), "type"),
    (Item(uri="urn:test:package", type="composite"), "type"),
    (Item(uri="urn:test:status", pubstatus="draft"), "pubstatus"),
    (Item(uri="urn:test:timeless"), "versionCreated"),  # required by the schema, and no time to write
])
def test_items_newsml_cannot_carry_are_refused(item: Item, field: str) -> None:
    with pytest.raises(FormatError) as caught:
        to_newsml(item)
    assert (caught.value.kind, caught.value.field, caught.value.format) == ("invalid", field, FORMAT_NAME)


@pytest.mark.parametrize(("data", "kind", "field"), [
    (b"not xml at all", "malformed", "line 1, column 1"),
    (b'{"uri": "urn:x"}', "malformed", "line 1, column 1"),
    (b"", "malformed", "file"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><item/></channel></rss>', "unknown", "/rss"),
    (b'<newsItem guid="urn:x"><itemMeta/></newsItem>', "unknown", "/newsItem"),
    (b'<NewsML xmlns="http://iptc.org/std/NewsML/2003-10-10/"/>', "unknown", "/NewsML"),
    (b"<newsItem xmlns='http://iptc.org/std/nar/2006-10-01/'>\n  <unclosed>\n</newsItem>", "malformed",
     "line 3, column 12"),
    (f'<newsMessage xmlns="{NAR}"><itemSet/></newsMessage>'.encode(), "invalid", "newsMessage/itemSet"),
    (f'<newsMessage xmlns="{NAR}"><itemSet><conceptItem/></itemSet></newsMessage>'.encode(), "invalid",
     "newsMessage/itemSet/conceptItem[1]"),
])
def test_documents_that_are_not_newsml_g2(data: bytes, kind: str, field: str) -> None:
    error = raised(data)

    assert (error.kind, error.field) == (kind, field)


def test_language_and_headline_choices() -> None:
    [item] = parse_newsml(news_item(
        '<contentMeta><language tag="de"/><subject qcode="medtop:20000523"><name xml:lang="en">labour market</name>'
        '<name xml:lang="de-CH">Arbeitsmarkt</name></subject><headline role="hlrole:short">Kurz</headline>'
        '<headline>Die Hauptzeile</headline><located qcode="geo:1"><name>Bern</name></located>'
        "<dateline>BERN, 3. Mai</dateline></contentMeta>"
        '<contentSet xml:lang="fr"><inlineData contenttype="text/plain"> Le texte. </inlineData></contentSet>',
        attrs='guid="urn:x" xml:lang="en"'))

    assert item.language == "de"  # contentMeta/language before the content's and the item's xml:lang
    assert item.subjects == [medtop("20000523", "Arbeitsmarkt")]
    assert item.headline == "Die Hauptzeile"
    assert item.extra["headlines"] == [{"role": "hlrole:short", "value": "Kurz"}]
    assert item.body_text == "Le texte."
    assert item.located == "Bern"  # a located name wins; the dateline is reported, not lost silently
    assert item.extra["edNote"].endswith("to ninjs: contentMeta/dateline.")


def test_content_language_and_bare_first_day() -> None:
    [item] = parse_newsml(news_item(
        "<itemMeta><firstCreated>2023-04-26</firstCreated></itemMeta>"
        '<contentSet xml:lang="kk"><inlineData>Мәтін</inlineData></contentSet>', attrs='guid="urn:x" xml:lang="ru"'))

    assert item.firstcreated == date(2023, 4, 26)
    assert item.language == "kk"
