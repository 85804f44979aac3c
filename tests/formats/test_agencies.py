"""Real agency files (tests/data/agencies/, sources in its README) are all accepted, with the right fields.

The goldens hold what a partner relies on per item; they were read by eye against each file. Regenerate
deliberately with ``.venv/bin/python -m tests.formats.agency_golden --write`` and read the diff.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from newsbridge.formats.detect import detect_format, parse_document
from newsbridge.formats.errors import FormatError
from newsbridge.formats.newsml1 import parse_newsml1
from newsbridge.formats.nitf import parse_nitf
from newsbridge.formats.ninjs import to_ninjs3, validate
from tests.formats.agency_golden import ZONE, agency_files, golden_path, read

FILES = agency_files()


def test_the_collection_is_broad() -> None:
    producers = {p.parent.name for p in FILES}
    formats = {detect_format(p.read_bytes()) for p in FILES}
    assert len(FILES) >= 30 and len(producers) >= 8
    assert {"newsml-g2", "nitf", "newsml1", "ninjs"} <= formats
    assert sorted(p.name for p in golden_path(FILES[0]).parent.iterdir()) == sorted(golden_path(p).name for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agency_file_matches_its_golden(path: Path) -> None:
    golden = json.loads(golden_path(path).read_text("utf-8"))

    assert read(path) == golden["items"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agency_items_are_valid_ninjs3(path: Path) -> None:
    for item in parse_document(path.read_bytes(), zone=ZONE):
        validate(to_ninjs3(replace(item, uri=item.uri or "urn:derived-by-the-pipeline")))


def test_strict_mode_refuses_what_leniency_accepts_and_names_the_place() -> None:
    data = (FILES[0].parent.parent / "stt" / "stt1.xml").read_bytes()

    with pytest.raises(FormatError) as caught:
        parse_document(data, strict=True)

    assert caught.value.field == "newsItem/contentMeta/contentCreated"  # the first time read
    assert "time_zone_assumed" in caught.value.message and "strict mode" in caught.value.message
    clean = (FILES[0].parent.parent / "aap" / "aap.xml").read_bytes()
    assert parse_document(clean, strict=True)  # a file that needs no assumption passes strict mode


NITF = """<nitf baselang="en"><head><title>T</title><docdata><doc-id id-string="d1"/></docdata></head>
<body><body.head><hedline><hl1>{hl1}</hl1></hedline><byline>By A<byttl>Writer</byttl></byline></body.head>
<body.content>{content}</body.content></body></nitf>"""


def test_nitf_body_becomes_html() -> None:
    content = ('<block><hl2>Sub</hl2><p>Text <person>Ann</person>.</p></block><table><tr><td>1</td></tr></table>'
               '<media media-type="image"><media-reference source="https://x.example/a.jpg" alternate-text="A"/>'
               '<media-caption>Cap</media-caption></media><media><media-reference source="archive-id-1"/></media>')
    [item] = parse_nitf(NITF.format(hl1="H", content=content).encode())

    assert (item.uri, item.headline, item.byline, item.language, item.extra["title"]) == ("d1", "H", "By A", "en", "T")
    assert item.body_html == ('<div><h2>Sub</h2><p>Text <person>Ann</person>.</p></div><table><tr><td>1</td></tr></table>'
                              '<figure media-type="image"><img src="https://x.example/a.jpg" alt="A"/>'
                              '<figcaption>Cap</figcaption></figure><figure/>')


def test_nitf_without_headline_and_text_is_refused_with_the_place() -> None:
    with pytest.raises(FormatError) as caught:
        parse_nitf(NITF.format(hl1="", content="<p> </p>").replace("<title>T</title>", "").encode())

    assert (caught.value.kind, caught.value.field, caught.value.format) == ("invalid", "nitf/body", "nitf")
    assert "hl1" in caught.value.message


def test_newsml1_without_items_is_refused() -> None:
    with pytest.raises(FormatError) as caught:
        parse_newsml1(b"<NewsML><NewsEnvelope/></NewsML>")

    assert (caught.value.kind, caught.value.field) == ("invalid", "NewsML")


@pytest.mark.parametrize("data, name", [
    (b'<?xml version="1.0"?>\n<nitf version="-//IPTC//DTD NITF 3.4//EN"><head/></nitf>', "nitf"),
    (b'<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"/>', "nitf"),
    (b"<!-- wire -->\n<NewsML><NewsItem/></NewsML>", "newsml1"),
])
def test_nitf_and_newsml1_are_detected(data: bytes, name: str) -> None:
    assert detect_format(data) == name


NITF_NAMESPACE = "http://iptc.org/std/NITF/2006-10-18/"


@pytest.mark.parametrize("path", [p for p in agency_files() if detect_format(p.read_bytes()) == "nitf"],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_nitf_reads_the_same_with_and_without_a_namespace(path: Path) -> None:
    """The reader looks elements up by local name in one pass; a namespaced copy of the same document must
    give the same item."""
    data = path.read_bytes()
    plain = parse_nitf(data, ZONE)
    if NITF_NAMESPACE.encode() in data:
        return  # already namespaced: the golden test covers it
    namespaced = data.replace(b"<nitf", f'<nitf xmlns="{NITF_NAMESPACE}"'.encode(), 1)

    assert parse_nitf(namespaced, ZONE) == plain

