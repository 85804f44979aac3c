"""Format detection and multi-item documents over the real fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbridge.formats.detect import KNOWN_FORMATS, detect_format, parse_document
from newsbridge.formats.errors import FormatError
from newsbridge.formats.ninjs import parse_ninjs
from tests.conftest import FIXTURES

SEEDS = sorted((FIXTURES / "seeds").glob("*.txt"))
NINJS_EXAMPLES = sorted((FIXTURES / "ninjs" / "examples").glob("*.json"))
NEWSML_G2 = sorted((FIXTURES / "newsml-g2").glob("*.xml"))
DPA = FIXTURES / "ninjs" / "examples" / "ex-3.0_dpa_text.json"
NTB = FIXTURES / "ninjs" / "examples" / "ex-2.1_ntb_text.json"


def test_fixture_sets_are_not_empty() -> None:
    assert len(SEEDS) == 2
    assert len(NINJS_EXAMPLES) == 45
    assert len(NEWSML_G2) == 8


def test_known_formats() -> None:
    assert set(KNOWN_FORMATS) == {"ninjs", "plaintext", "newsml-g2", "nitf", "newsml1", "rss", "atom", "jsonfeed"}
    assert all(text.strip() for text in KNOWN_FORMATS.values())


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seeds_are_plaintext(path: Path) -> None:
    data = path.read_bytes()

    assert detect_format(data) == "plaintext"
    [item] = parse_document(data)
    assert item.headline
    assert item.body_text


@pytest.mark.parametrize("path", NINJS_EXAMPLES, ids=lambda p: p.name)
def test_ninjs_examples_are_ninjs(path: Path) -> None:
    data = path.read_bytes()

    assert detect_format(data) == "ninjs"
    assert parse_document(data) == [parse_ninjs(data)]


@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b"  \r\n\t", b"\xef\xbb\xbf\n  "], ids=["bom", "whitespace", "bom+ws"])
def test_leading_bom_and_whitespace_do_not_hide_json(prefix: bytes) -> None:
    assert detect_format(prefix + DPA.read_bytes()) == "ninjs"


def test_array_of_two_ninjs_documents_gives_two_items() -> None:
    first, second = json.loads(DPA.read_bytes()), json.loads(NTB.read_bytes())
    data = json.dumps([first, second], ensure_ascii=False).encode("utf-8")

    items = parse_document(data)

    assert [item.uri for item in items] == [first["uri"], second["uri"]]
    assert items == [parse_ninjs(DPA.read_bytes()), parse_ninjs(NTB.read_bytes())]


def assert_names_every_format(error: FormatError) -> None:
    for name, description in KNOWN_FORMATS.items():
        assert name in error.message
        assert description in error.message


NEWSML_ITEMS = [p for p in NEWSML_G2 if p.name.startswith("LISTING_") and not p.name.startswith(("LISTING_25",
                                                                                                  "LISTING_28"))]
FRAGMENTS = [p for p in NEWSML_G2 if p.name.startswith(("LISTING_25", "LISTING_28"))]


@pytest.mark.parametrize("path", NEWSML_ITEMS, ids=lambda p: p.name)
def test_newsml_g2_is_detected_and_read(path: Path) -> None:
    assert detect_format(path.read_bytes()) == "newsml-g2"
    assert parse_document(path.read_bytes())


@pytest.mark.parametrize("path", FRAGMENTS, ids=lambda p: p.name)
def test_xml_that_is_no_news_format_names_the_known_ones(path: Path) -> None:
    with pytest.raises(FormatError) as caught:
        parse_document(path.read_bytes())

    assert caught.value.kind == "unknown"
    assert caught.value.field == "file"
    assert "neither NewsML-G2, NITF, NewsML 1.x nor an RSS or Atom feed" in caught.value.message
    assert_names_every_format(caught.value)


@pytest.mark.parametrize("data", [b"", b"   \r\n\t ", b"\xef\xbb\xbf"], ids=["empty", "whitespace", "bom-only"])
def test_empty_document_is_unknown(data: bytes) -> None:
    with pytest.raises(FormatError) as caught:
        detect_format(data)

    assert caught.value.kind == "unknown"
    assert caught.value.field == "file"
    assert "empty" in caught.value.message
    assert_names_every_format(caught.value)


BROKEN_SECOND = [
    ({"uri": "urn:b", "version": 3}, "schema", "[1].version"),
    ({"uri": "urn:b", "headlines": "not a list"}, "schema", "[1].headlines"),
    ("not an object", "schema", "[1]"),
]


@pytest.mark.parametrize("second, kind, field_prefix", BROKEN_SECOND,
                         ids=["numeric-version", "headlines-not-list", "not-object"])
def test_error_in_second_element_names_its_index(second: object, kind: str, field_prefix: str) -> None:
    data = json.dumps([json.loads(DPA.read_bytes()), second]).encode("utf-8")

    with pytest.raises(FormatError) as caught:
        parse_document(data)

    error = caught.value
    assert error.kind == kind
    assert error.field is not None
    assert error.field.startswith(field_prefix)
    assert error.message.startswith("item 1: ")
    assert str(error) == error.message


def test_error_in_single_document_has_no_index() -> None:
    with pytest.raises(FormatError) as caught:
        parse_document(json.dumps({"uri": "urn:b", "version": 3}).encode("utf-8"))

    assert caught.value.field == "$.version"
    assert not caught.value.message.startswith("item ")


def test_warning_in_array_has_a_json_path() -> None:
    data = json.dumps([json.loads(DPA.read_bytes()), {"uri": "urn:b", "versionCreated": "2024-05-01T10:00:00"}])

    first, second = parse_document(data.encode("utf-8"), zone="Asia/Almaty")

    assert second.versioncreated.isoformat() == "2024-05-01T10:00:00+05:00"  # type: ignore[union-attr]
    assert [(w.code, w.field) for w in second.warnings] == [("time_zone_assumed", "[1].versionCreated")]
    with pytest.raises(FormatError) as caught:
        parse_document(data.encode("utf-8"), strict=True)
    assert caught.value.field == "[1].versionCreated"


def test_broken_json_array_is_malformed() -> None:
    with pytest.raises(FormatError) as caught:
        parse_document(b'[{"uri": "urn:a"},')

    assert caught.value.kind == "malformed"
    assert caught.value.field == "body"
