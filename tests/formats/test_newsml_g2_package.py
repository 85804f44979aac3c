"""A text with media associations written as NewsML-G2: a newsMessage holding the packageItem, the text's
newsItem and one newsItem per media object, each valid against IPTC's 2.35 XSD; read back by the hub's
own reader as the text with its associations. What a reader was offered nothing of is not written."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from lxml import etree

from newsbridge.formats.item import Item
from newsbridge.formats.newsml_g2 import NAR, parse_newsml
from newsbridge.formats.newsml_g2_out import SHA256_URI, to_newsml
from newsbridge.formats.newsml_g2_package import NEWSITEM_TYPE, NEWSMESSAGE_TYPE, media_type, to_newsml_package
from newsbridge.formats.packages import fold_packages
from tests.formats.outputs import IPTC_LISTINGS, newsml_errors

CREATED = datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc)
NS = {"g": NAR}
PHOTO = [{"name": "original", "href": "https://hub.example/media/r1?org=o&exp=1&sig=a", "contentType": "image/jpeg",
          "sizeInBytes": 482113, "width": 1600, "height": 1200, "sha256": "ab" * 32},
         {"name": "thumbnail", "href": "https://hub.example/media/r2?org=o&exp=1&sig=b", "contentType": "image/webp",
          "sizeInBytes": 5120, "width": 320, "height": 240, "sha256": "cd" * 32}]
CLIP = [{"name": "proxy", "href": "https://hub.example/media/r3?org=o&exp=1&sig=c", "contentType": "video/mp4",
         "sizeInBytes": 9000000, "width": 1280, "height": 720, "duration": 42.5, "frameRate": 25.0,
         "videoCodec": "h264", "audioCodec": "aac", "audioChannels": 2, "sha256": "ef" * 32}]


def story(*associations: dict[str, Any], **fields: Any) -> Item:
    return Item(**{"uri": "urn:alpha:story:1", "version": "3", "type": "text", "language": "en",
                   "headline": "Parliament passes the budget", "body_html": "<p>The vote was close.</p>",
                   "versioncreated": CREATED, "associations": list(associations), **fields})


def photo(**fields: Any) -> dict[str, Any]:
    return {"name": "photo", "type": "picture", "uri": "urn:alpha:photo:1", "version": "2", "renditions": PHOTO,
            "headlines": [{"role": "main", "value": "MPs vote"}],
            "descriptions": [{"role": "caption", "value": "Members raise their hands in Astana"}],
            "creditline": "Alpha News / A. Photographer", **fields}


def clip(**fields: Any) -> dict[str, Any]:
    return {"name": "clip", "renditions": CLIP, **fields}  # no type, no uri: told by the content type, named by the text


def written(item: Item, created: datetime | None = CREATED) -> etree._Element:
    data = to_newsml_package(item, created=created)
    assert newsml_errors(data) == []
    return etree.fromstring(data)


def test_a_text_with_media_is_a_news_message_with_its_package_and_every_item() -> None:
    root = written(story(photo(), clip()))
    assert etree.QName(root).localname == "newsMessage"
    members = root.findall("g:itemSet/*", NS)
    assert [(etree.QName(m).localname, m.get("guid")) for m in members] == [
        ("packageItem", "urn:alpha:story:1:package"), ("newsItem", "urn:alpha:story:1"),
        ("newsItem", "urn:alpha:photo:1"), ("newsItem", "urn:alpha:story:1:clip")]
    package, text, picture, video = members
    assert package.find("g:itemMeta/g:itemClass", NS).get("qcode") == "ninat:composite"
    assert package.get("version") == "3"
    assert [m.find("g:itemMeta/g:itemClass", NS).get("qcode") for m in members[1:]] == [
        "ninat:text", "ninat:picture", "ninat:video"]
    [group] = package.findall("g:groupSet/g:group", NS)
    assert package.find("g:groupSet", NS).get("root") == group.get("id")
    refs = group.findall("g:itemRef", NS)
    assert [r.get("residref") for r in refs] == [m.get("guid") for m in members[1:]]
    assert [r.get("version") for r in refs] == ["3", "2", "1"]  # each item's own; 1 is NewsML-G2's default
    assert {r.get("contenttype") for r in refs} == {NEWSITEM_TYPE}
    assert [r.findtext("g:title", namespaces=NS) for r in refs] == ["Parliament passes the budget", "photo", "clip"]
    assert refs[1].find("g:description", NS).get("role") == "drol:caption"
    assert refs[1].findtext("g:description", namespaces=NS) == "Members raise their hands in Astana"
    assert refs[1].findtext("g:creditline", namespaces=NS) == "Alpha News / A. Photographer"
    # the text is the newsItem it is alone, and carries no media
    alone = etree.fromstring(to_newsml(story(), created=CREATED))
    assert etree.tostring(text) == etree.tostring(alone)
    assert text.find("g:contentSet/g:remoteContent", NS) is None
    # each media object's remoteContent, as a media item's own
    original, thumbnail = picture.findall("g:contentSet/g:remoteContent", NS)
    assert dict(original.attrib) == {"href": PHOTO[0]["href"], "contenttype": "image/jpeg", "width": "1600",
                                     "height": "1200", "size": "482113", "rendition": "rnd:original"}
    assert original.find("g:hash", NS).text == "ab" * 32 and original.find("g:hash", NS).get("hashtypeuri") == SHA256_URI
    assert thumbnail.get("rendition") == "rnd:thumbnail"
    assert picture.findtext("g:contentMeta/g:creditline", namespaces=NS) == "Alpha News / A. Photographer"
    [proxy] = video.findall("g:contentSet/g:remoteContent", NS)
    assert {k: proxy.get(k) for k in ("duration", "videoframerate", "videocodecuri", "audiocodecuri",
                                      "audiochannelsuri", "size")} == {
        "duration": "42.5", "videoframerate": "25.0",
        "videocodecuri": "https://www.iana.org/assignments/media-types/video/H264",
        "audiocodecuri": "https://www.iana.org/assignments/media-types/audio/aac",
        "audiochannelsuri": "urn:mpeg:dash:23003:3:audio_channel_configuration:2011:2", "size": "9000000"}
    # what the media does not say itself comes from the text
    assert video.findtext("g:itemMeta/g:versionCreated", namespaces=NS) == CREATED.isoformat()
    assert video.find("g:contentMeta/g:language", NS).get("tag") == "en"


def test_our_reader_reads_the_package_back_as_the_text_with_its_associations() -> None:
    data = to_newsml_package(story(photo(), clip()), created=CREATED)
    [item] = parse_newsml(data)
    assert (item.uri, item.type, item.version, item.headline) == ("urn:alpha:story:1", "text", "3",
                                                                 "Parliament passes the budget")
    assert item.body_html == "<p>The vote was close.</p>"
    first, second = item.associations
    assert {k: first[k] for k in ("name", "uri", "type", "version")} == {
        "name": "photo", "uri": "urn:alpha:photo:1", "type": "picture", "version": "2"}
    assert first["headlines"] == [{"role": "main", "value": "MPs vote"}]
    assert first["descriptions"][0]["value"] == "Members raise their hands in Astana"
    assert {"name": "Alpha News / A. Photographer", "role": "creditline"} in first["infoSources"]
    assert [(r["name"], r["href"], r["contentType"], r["sizeInBytes"], r["width"], r["height"])
            for r in first["renditions"]] == [(r["name"], r["href"], r["contentType"], r["sizeInBytes"], r["width"],
                                              r["height"]) for r in PHOTO]
    assert {k: second[k] for k in ("name", "uri", "type")} == {"name": "clip", "uri": "urn:alpha:story:1:clip",
                                                               "type": "video"}
    [proxy] = second["renditions"]
    assert {k: proxy[k] for k in ("duration", "frameRate", "videoCodec")} == {"duration": 42.5, "frameRate": 25.0,
                                                                            "videoCodec": "h264"}


def test_without_media_to_carry_the_item_is_the_single_news_item() -> None:
    plain = to_newsml(story(), created=CREATED)
    assert to_newsml_package(story(), created=CREATED) == plain
    # an association the reader was offered nothing of (its renditions emptied by the media rules), one
    # that is only a reference, one whose kind cannot be told, and one that is not an object: none written
    nothing = story(photo(renditions=[]), {"name": "related", "uri": "urn:alpha:story:0"},
                    {"name": "file", "renditions": [{"href": "https://x.example/f", "contentType": "application/pdf"}]},
                    "junk")  # type: ignore[arg-type]
    data = to_newsml_package(nothing, created=CREATED)
    assert data == plain and media_type(data) == NEWSITEM_TYPE
    assert to_newsml_package(story(photo(pubStatus="held-by-legal")), created=CREATED) == plain
    # with one media object among them, only that one is packaged
    root = written(story(photo(renditions=[]), clip()))
    assert [m.get("guid") for m in root.findall("g:itemSet/g:newsItem", NS)] == ["urn:alpha:story:1",
                                                                                 "urn:alpha:story:1:clip"]
    assert media_type(etree.tostring(root, xml_declaration=True, encoding="UTF-8")) == NEWSMESSAGE_TYPE


def test_every_guid_in_the_message_is_unique() -> None:
    same = photo(uri="urn:alpha:story:1")  # the text's own uri
    twice = [photo(name="a"), photo(name="b"), clip(name="b", uri="")]  # the same uri, then the same name
    guids = [m.get("guid") for m in written(story(same)).findall("g:itemSet/g:newsItem", NS)]
    assert guids == ["urn:alpha:story:1", "urn:alpha:story:1:photo"]
    guids = [m.get("guid") for m in written(story(*twice)).findall("g:itemSet/g:newsItem", NS)]
    assert guids == ["urn:alpha:story:1", "urn:alpha:photo:1", "urn:alpha:story:1:b", "urn:alpha:story:1:media3"]
    [item] = parse_newsml(to_newsml_package(story(*twice), created=CREATED))
    assert [a["name"] for a in item.associations] == ["a", "b", "b"]


@pytest.mark.parametrize("fields", [
    {"pubstatus": "withheld"},
    {"embargoed": datetime(2026, 12, 6, 6, 0, tzinfo=timezone.utc)},
    {"version": None, "versioncreated": None, "language": None, "headline": None},
    {"versioncreated": None, "firstcreated": datetime(2026, 12, 4, tzinfo=timezone.utc).date()},  # a wire's day
])
def test_the_package_follows_the_texts_status_and_times_and_stays_valid(fields: dict[str, Any]) -> None:
    root = written(story(photo(), clip(), **fields), created=None if "firstcreated" in fields else CREATED)
    package, text = root.findall("g:itemSet/*", NS)[:2]
    for name in ("pubStatus", "embargoed", "versionCreated"):
        got, want = (el.find(f"g:itemMeta/g:{name}", NS) for el in (package, text))
        assert (got is None and want is None) or etree.tostring(got) == etree.tostring(want), name
    assert package.get("version") == text.get("version")
    for media in root.findall("g:itemSet/g:newsItem", NS)[1:]:  # the media say no embargo of their own
        got, want = (el.find("g:itemMeta/g:embargoed", NS) for el in (media, text))
        assert (got is None and want is None) or got.text == want.text


def test_packages_the_hub_did_not_write_are_read_as_before() -> None:
    # IPTC's LISTING 6: a package alone, naming items it does not carry
    listing = (IPTC_LISTINGS / "LISTING_6_Simple_NewsML-G2_Package.xml").read_bytes()
    [package] = parse_newsml(listing)
    assert package.type == "composite" and len(package.associations) == 2
    # a message whose package names several texts (IPTC's LISTING 24), or an item it does not carry
    texts = [Item(uri=u, type="text") for u in ("N1", "N2")]
    several = Item(uri="P", type="composite", associations=[{"uri": "N1"}, {"uri": "N2"}])
    assert fold_packages([several, *texts]) == [several, *texts]
    missing = Item(uri="P", type="composite", associations=[{"uri": "N1"}, {"uri": "M9"}])
    assert fold_packages([missing, texts[0]]) == [missing, texts[0]]
    media = Item(uri="M1", type="picture", renditions=[{"href": "https://x.example/1"}])
    folded = fold_packages([Item(uri="P", type="composite", associations=[{"uri": "N1"}, {"uri": "M1", "name": "pic"}]),
                            texts[0], media])
    assert [(i.uri, [a["name"] for a in i.associations]) for i in folded] == [("N1", ["pic"])]


def test_the_header_says_when_the_message_was_sent() -> None:
    sent = datetime(2026, 12, 6, 3, 0, 1, tzinfo=timezone.utc)
    root = etree.fromstring(to_newsml_package(story(photo()), created=CREATED, sent=sent))
    assert root.findtext("g:header/g:sent", namespaces=NS) == sent.isoformat()
    # without one the writer reads no clock: the text's versionCreated, so the same input gives the same bytes
    assert written(story(photo())).findtext("g:header/g:sent", namespaces=NS) == CREATED.isoformat()
    assert to_newsml_package(story(photo()), created=CREATED) == to_newsml_package(story(photo()), created=CREATED)
