"""ninjs 2.x and 3.x over IPTC's own examples: validation, reading, writing both versions back."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsbridge.formats.detect import parse_document
from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import (
    NinjsError,
    _validator,
    decode_json,
    item_from_ninjs,
    ninjs_major,
    parse_ninjs,
    schema_document,
    to_ninjs2,
    to_ninjs3,
    validate,
)
from tests.conftest import FIXTURES

EXAMPLES_DIR = FIXTURES / "ninjs" / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.json"))
V2_EXAMPLES = [p for p in EXAMPLES if p.name.startswith(("doc-2.2_", "ex-2.1_"))]
V3_EXAMPLES = [p for p in EXAMPLES if p.name.startswith(("doc-3.1_", "ex-3.0_"))]
# The same story published by IPTC in both versions. The TT text+image pair is left out on
# purpose: the two files really differ (an attribute spelled data-charcount/data-charCount
# inside the HTML body, a ``standard`` object only in 2.1).
SAME_STORY = [(f"doc-2.2_00{n}", f"doc-3.1_00{n}") for n in range(1, 8)] + [
    (f"ex-2.1_{stem}", f"ex-3.0_{stem}") for stem in (
        "dpa_text", "ntb_text", "SIPA_image", "ap_audio", "ap_image", "ap_video",
        "businesswire-newsml-20130605006126", "businesswire-newsml-20130731006140",
        "imageEncodedRights", "imageLinkedRights", "ninjsExSimpleText",
    )
]
ROUND_TRIP_FIELDS = ("uri", "version", "headline", "body_text", "body_html", "versioncreated", "language", "subjects")


def example(stem: str) -> Path:
    """The one example file whose name starts with ``stem``."""
    found = [p for p in EXAMPLES if p.name.startswith(stem)]
    assert len(found) == 1, (stem, found)
    return found[0]


def schema_errors(doc: dict[str, Any], major: int) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in _validator(major).iter_errors(doc)]


def encode(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def test_fixture_set_is_complete() -> None:
    # A glob that matched nothing would make every parametrized test below vacuous.
    assert len(V2_EXAMPLES) == 19
    assert len(V3_EXAMPLES) == 26
    assert len(V2_EXAMPLES) + len(V3_EXAMPLES) == len(EXAMPLES)


@pytest.mark.parametrize("major, title", [(2, "2.2"), (3, "3.1")])
def test_schema_document_is_the_official_iptc_schema(major: int, title: str) -> None:
    schema = schema_document(major)

    assert title in schema["$id"]
    assert schema == json.loads((FIXTURES / "ninjs" / f"ninjs-schema_{title}.json").read_text("utf-8"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_with_its_major(path: Path) -> None:
    expected = 2 if path in V2_EXAMPLES else 3
    doc = decode_json(path.read_bytes())

    assert ninjs_major(doc) == expected
    assert validate(doc) == expected


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_written_documents_validate_against_both_schemas(path: Path) -> None:
    item = parse_ninjs(path.read_bytes())

    assert schema_errors(to_ninjs3(item), 3) == []
    assert schema_errors(to_ninjs2(item), 2) == []


@pytest.mark.parametrize("path", [
    p
    for p in EXAMPLES
], ids=lambda p: p.name)
def test_written_documents_are_read_back_as_their_own_version(path: Path) -> None:
    item = parse_ninjs(path.read_bytes())

    assert validate(to_ninjs3(item)) == 3
    assert validate(to_ninjs2(item)) == 2


def test_ninjs3_from_a_document_declaring_ninjs2_validates_as_3() -> None:
    doc2 = {
        "standard": {"name": "ninjs", "version": "2.2", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"},
        "uri": "urn:newsbridge:test:standard",
        "versioncreated": "2024-05-01T08:00:00Z",
        "headlines": [{"role": "main", "value": "Headline"}],
    }
    assert validate(doc2) == 2

    assert validate(to_ninjs3(parse_ninjs(encode(doc2)))) == 3


@pytest.mark.parametrize("path", V2_EXAMPLES, ids=lambda p: p.name)
def test_ninjs2_through_ninjs3_keeps_the_content(path: Path) -> None:
    item = parse_ninjs(path.read_bytes())
    doc3 = to_ninjs3(item)
    again = item_from_ninjs(doc3)

    assert ninjs_major(doc3) == 3
    assert {name: getattr(again, name) for name in ROUND_TRIP_FIELDS} == \
        {name: getattr(item, name) for name in ROUND_TRIP_FIELDS}


def test_round_trip_fields_are_not_all_empty() -> None:
    # The round trip above compares fields; make sure the examples actually fill them.
    items = [parse_ninjs(p.read_bytes()) for p in V2_EXAMPLES]

    for name in ROUND_TRIP_FIELDS:
        assert any(getattr(item, name) for item in items), name


@pytest.mark.parametrize("path", [
    p
    for p in EXAMPLES
], ids=lambda p: p.name)
def test_item_through_ninjs3_is_unchanged(path: Path) -> None:
    item = parse_ninjs(path.read_bytes())

    assert item_from_ninjs(to_ninjs3(item)) == item


@pytest.mark.parametrize("stem2, stem3", SAME_STORY, ids=lambda s: s)
def test_same_story_in_both_versions_gives_equal_items(stem2: str, stem3: str) -> None:
    item2 = parse_ninjs(example(stem2).read_bytes())
    item3 = parse_ninjs(example(stem3).read_bytes())

    assert item2 == item3


def test_dpa_text_is_read_into_typed_fields() -> None:
    item = parse_ninjs(example("ex-2.1_dpa_text").read_bytes())

    assert item.uri == "urn:newsml:dpa.com:20090101:190510-99-167362"
    assert item.version == "2"
    assert item.language == "de"
    assert item.headline
    assert item.body_html
    assert isinstance(item.versioncreated, datetime)
    assert item.versioncreated.tzinfo is not None


EMBARGO = "2024-05-01T10:00:00+05:00"


def test_embargoed_2x_and_embargoed_until_3x_are_the_same_field() -> None:
    doc2 = {"uri": "urn:newsbridge:test:embargo", "versioncreated": "2024-05-01T08:00:00+05:00",
            "embargoed": EMBARGO, "headlines": [{"role": "main", "value": "Under embargo"}]}
    doc3 = {"uri": "urn:newsbridge:test:embargo", "versionCreated": "2024-05-01T08:00:00+05:00",
            "embargoedUntil": EMBARGO, "headlines": [{"role": "main", "value": "Under embargo"}]}
    assert validate(doc2) == 2
    assert validate(doc3) == 3

    item2 = parse_ninjs(encode(doc2))
    item3 = parse_ninjs(encode(doc3))

    assert item2 == item3
    assert item2.embargoed == datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=5)))
    written3 = to_ninjs3(item2)
    written2 = to_ninjs2(item3)
    assert written3["embargoedUntil"] == EMBARGO
    assert "embargoed" not in written3
    assert written2["embargoed"] == EMBARGO
    assert "embargoedUntil" not in written2
    assert schema_errors(written2, 2) == []
    assert schema_errors(written3, 3) == []


@pytest.mark.parametrize("stem", ["doc-3.1_008_event", "ex-3.0_simpleEvent", "ex-3.0_20231005-65-addb-event"])
def test_event_to_ninjs2_drops_what_2x_cannot_say(stem: str) -> None:
    source = json.loads(example(stem).read_bytes())
    assert source["type"] == "event"
    assert "eventDetails" in source

    item = parse_ninjs(example(stem).read_bytes())
    doc2 = to_ninjs2(item)

    assert item.type == "event"
    assert "type" not in doc2
    assert not {"eventDetails", "eventdetails"} & set(doc2)
    assert doc2["uri"] == source["uri"]
    assert schema_errors(doc2, 2) == []


def test_plain_item_to_ninjs2_uses_lower_case_keys() -> None:
    item = Item(uri="urn:newsbridge:test:keys", version="4", versioncreated=datetime(2024, 5, 1, 8, tzinfo=timezone.utc),
                language="kk", headline="Астанада форум ашылды", body_text="Мәтін.", copyrightholder="Kazinform")

    doc2 = to_ninjs2(item)
    doc3 = to_ninjs3(item)

    assert doc2["versioncreated"] == doc3["versionCreated"] == "2024-05-01T08:00:00+00:00"
    assert doc2["copyrightholder"] == doc3["copyrightHolder"] == "Kazinform"
    assert doc2["pubstatus"] == doc3["pubStatus"] == "usable"
    assert ninjs_major(doc2) == 2
    assert ninjs_major(doc3) == 3
    assert item_from_ninjs(doc2) == item_from_ninjs(doc3) == item


def test_first_created_may_be_a_plain_date() -> None:
    # The Kazinform wire gives only a day; the stored ninjs 3.x document must read back.
    item = Item(uri="urn:newsbridge:test:day", firstcreated=date(2023, 4, 26), headline="Day only")
    doc3 = to_ninjs3(item)
    assert doc3["firstCreated"] == "2023-04-26"

    assert item_from_ninjs(doc3).firstcreated == date(2023, 4, 26)


def test_bom_is_ignored() -> None:
    doc = {"uri": "urn:newsbridge:test:bom", "headlines": [{"role": "main", "value": "With BOM"}]}

    assert parse_ninjs(b"\xef\xbb\xbf" + encode(doc)).headline == "With BOM"


def doc3(**fields: Any) -> bytes:
    return encode({"uri": "urn:newsbridge:test:error", **fields})


@pytest.mark.parametrize("data, kind, field, hint", [
    (b'{"uri": "urn:a", "headlines": [{"value": "caf\xe9"}]}', "malformed", "body", "send UTF-8"),
    (b'{"uri": "urn:a",', "malformed", "body", "line 1 column"),
    (b"", "malformed", "body", "not valid JSON"),
    (b'["urn:a"]', "schema", "$", "must be a JSON object"),
    (b'"urn:a"', "schema", "$", "must be a JSON object"),
    (encode({"type": "text", "headlines": [{"role": "main", "value": "No uri"}]}), "schema", "$",
     "GET /api/v1/schemas/ninjs3"),
    (encode({"uri": "urn:a", "headline": "Old style", "body_text": "x"}), "schema", "$", "send one version"),
    (encode({"uri": "urn:a", "$standard": {"version": "1.6"}}), "schema", "$", "send one version"),
    (doc3(type="article"), "schema", "$.type", "GET /api/v1/schemas/ninjs3"),
    (doc3(version=2), "schema", "$.version", "GET /api/v1/schemas/ninjs3"),
    (encode({"uri": "urn:a", "version": 2, "versioncreated": "2024-05-01T08:00:00Z"}), "schema", "$.version",
     "GET /api/v1/schemas/ninjs2"),
], ids=["bad-utf8", "broken-json", "empty", "array", "string", "missing-uri", "ninjs1-keys", "ninjs1-standard",
        "bad-type", "numeric-version", "numeric-version-2x"])
def test_errors_say_what_and_where(data: bytes, kind: str, field: str, hint: str) -> None:
    with pytest.raises(NinjsError) as caught:
        parse_ninjs(data)

    error = caught.value
    assert isinstance(error, FormatError)
    assert (error.kind, error.field, error.format) == (kind, field, "ninjs")
    assert hint in error.message
    assert str(error) == error.message


@pytest.mark.parametrize("data, code, field, read", [
    (doc3(versionCreated="yesterday"), "time_unreadable", "$.versionCreated", lambda i: i.versioncreated is None),
    (doc3(versionCreated="2024-05-01T10:00:00"), "time_zone_assumed", "$.versionCreated",
     lambda i: i.versioncreated.isoformat() == "2024-05-01T10:00:00+05:00"),
    (doc3(embargoedUntil="2024-05-01 10:00"), "time_zone_assumed", "$.embargoedUntil",
     lambda i: i.embargoed.isoformat() == "2024-05-01T10:00:00+05:00"),
    (doc3(version="v2"), "value_invalid", "$.version", lambda i: i.version is None),
    (doc3(version="2.1"), "value_invalid", "$.version", lambda i: i.version is None),
    (encode({"uri": "urn:a", "versioncreated": "yesterday"}), "time_unreadable", "$.versioncreated",
     lambda i: i.versioncreated is None),  # a 2.x document: the warning names the key as the sender spelled it
], ids=["bad-date", "date-without-offset", "embargo-without-offset", "version-letters", "version-dotted",
        "ninjs2-key"])
def test_bent_values_are_read_with_a_warning(data: bytes, code: str, field: str, read) -> None:  # type: ignore[no-untyped-def]
    item = parse_document(data, zone="Asia/Almaty")[0]

    assert [(w.code, w.field) for w in item.warnings] == [(code, field)]
    assert read(item)
    with pytest.raises(FormatError) as caught:
        parse_document(data, strict=True)
    assert (caught.value.kind, caught.value.field) == ("invalid", field)


def test_a_ninjs3_item_with_byline_is_read_as_3x_with_a_warning() -> None:
    # "byline" is a 1.x key: the item used to be read as 1.x and refused as "not valid ninjs 1.x"
    data = encode({"uri": "urn:a", "byline": "Aigerim Sarsenova",
                   "headlines": [{"role": "main", "value": "Astana hosts a media forum"}]})

    [item] = parse_document(data)

    assert (item.byline, item.headline) == ("Aigerim Sarsenova", "Astana hosts a media forum")
    assert [(w.code, w.field) for w in item.warnings] == [("field_renamed", "$.byline")]


def test_an_invalid_ninjs3_item_is_named_3x_in_the_error() -> None:
    data = encode({"uri": "urn:a", "byline": "A", "headlines": "not a list"})

    with pytest.raises(FormatError) as caught:
        parse_document(data)

    assert caught.value.message.startswith("not valid ninjs 3.x at $.headlines")


def test_an_item_without_uri_gets_a_stable_derived_one() -> None:
    data = encode({"headlines": [{"role": "main", "value": "No uri"}], "language": "en"})

    [first], [again] = parse_document(data), parse_document(data)
    [other] = parse_document(encode({"headlines": [{"role": "main", "value": "Another"}]}))
    [from_alt] = parse_document(encode({"altIds": [{"role": "agency", "value": "urn:agency:7"}]}))

    assert first.uri == again.uri and first.uri.startswith("urn:newsbridge:derived:")  # type: ignore[union-attr]
    assert other.uri != first.uri
    assert [(w.code, w.field) for w in first.warnings] == [("uri_derived", "$.uri")]
    assert from_alt.uri == "urn:agency:7"


def test_every_item_field_survives_both_versions() -> None:
    # to_ninjs3 writes every Item field somewhere; a new Item field without a writer would vanish.
    item = Item(
        uri="urn:newsbridge:test:all", type="picture", version="3", firstcreated=datetime(2024, 1, 1, tzinfo=timezone.utc),
        versioncreated=datetime(2024, 1, 2, tzinfo=timezone.utc), pubstatus="withheld",
        embargoed=datetime(2024, 1, 3, tzinfo=timezone.utc), language="fa", headline="H", body_text="T",
        body_html="<p>T</p>", description="D", byline="B", located="Tehran", subjects=[{"name": "s"}],
        genres=[{"name": "g"}], urgency=3, copyrightholder="CH", copyrightnotice="CN", usageterms="UT",
        associations=[{"name": "a", "uri": "urn:a"}], renditions=[{"name": "r", "href": "https://e.test/r.jpg"}],
        extra={"slugline": "slug"},
    )
    assert all(getattr(item, f.name) not in (None, [], {}) for f in fields(Item) if f.name != "warnings")  # warnings are not content

    assert item_from_ninjs(to_ninjs3(item)) == item
    assert replace(item_from_ninjs(to_ninjs2(item)), extra={}) == replace(item, extra={})
