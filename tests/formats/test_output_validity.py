"""Exact in what the hub sends: every NewsML-G2 it writes validates against IPTC's 2.35 XSD, every
ninjs 3.x/2.x answer (the hub's own fields stripped) and every Superdesk ninjs 1.x document against
IPTC's schema with format checking on, for every item the real pipeline stores from every real agency
file, IPTC listing and demo wire, in both NewsML-G2 profiles, and for a withdrawal notice."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.formats.errors import FormatError
from newsbridge.items.render import FORMATS, render, render_newsml
from tests.formats.outputs import (XSD, corpus_files, file_id, ingest_corpus_file, newsml_errors, newsml_schema,
                                   ninjs_errors, withdrawn_version)

FILES = corpus_files()
PROFILES = ("standard", "superdesk")


def test_the_corpus_has_every_kind_of_source() -> None:
    kinds = {p.suffix for p in FILES}
    assert len(FILES) >= 35 and kinds == {".xml", ".json", ".txt"}
    assert any(p.name.startswith("kazinform") for p in FILES)  # a plain-text wire whose firstCreated is a day


def test_the_schema_loads_from_local_files_only() -> None:
    newsml_schema()
    imports = etree.parse(str(XSD)).getroot().iterfind("{http://www.w3.org/2001/XMLSchema}import")
    assert [i.get("schemaLocation") for i in imports] == ["xml.xsd"]
    assert (XSD.parent / "LICENSE-IPTC.txt").exists()


def test_the_schema_catches_what_the_hub_used_to_write() -> None:
    # the defects this file guards against, as the writer wrote them before: a day-only firstCreated,
    # no versionCreated, a bare infoSource role
    old = (b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x" version="1" standard="NewsML-G2" '
           b'standardversion="2.35"><catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"/>'
           b'<itemMeta><itemClass qcode="ninat:text"/><provider literal="newsbridge"/>'
           b'<firstCreated>2023-04-26</firstCreated><pubStatus qcode="stat:usable"/></itemMeta>'
           b'<contentMeta><infoSource role="originator"><name>Kazinform</name></infoSource></contentMeta></newsItem>')
    errors = " ".join(newsml_errors(old))
    assert "firstCreated" in errors and "role" in errors


@pytest.mark.parametrize("path", FILES, ids=file_id)
def test_every_output_of_every_item_validates(path: Path, engine: Engine, settings: Settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    source = make_partner("kazinform", timezone="Europe/Helsinki")
    checked = 0
    for stored in ingest_corpus_file(engine, settings, source.org, path):
        for fmt in FORMATS:
            assert ninjs_errors(render(stored.record, fmt=fmt), fmt) == [], (stored.name, fmt)  # type: ignore[arg-type]
        for profile in PROFILES:
            try:
                xml = render_newsml(stored.record.latest, profile)
            except FormatError as exc:  # a package has no newsItem form: the hub says so and writes nothing
                assert stored.record.latest.document.get("type") == "composite" and exc.field == "type"
                continue
            assert newsml_errors(xml) == [], (stored.name, profile)
            checked += 1
    assert checked or path.name.startswith("LISTING_6")  # every file but the lone package wrote something


def test_a_withdrawal_notice_validates(engine: Engine, settings: Settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    stored = withdrawn_version(engine, settings, make_partner("kazinform").org)
    for profile in PROFILES:
        xml = render_newsml(stored.record.latest, profile)
        assert newsml_errors(xml) == []
        root = etree.fromstring(xml)
        ns = {"n": "http://iptc.org/std/nar/2006-10-01/"}
        assert root.xpath("n:itemMeta/n:pubStatus/@qcode", namespaces=ns) == ["stat:canceled"]
        assert root.xpath("count(n:contentSet)", namespaces=ns) == 1  # present, and empty: no withdrawn text
        assert root.xpath("count(n:contentSet/*)", namespaces=ns) == 0
    for fmt in FORMATS:
        assert ninjs_errors(render(stored.record, fmt=fmt), fmt) == []  # type: ignore[arg-type]


def test_a_day_only_first_created_is_sent_as_a_date_time(engine: Engine, settings: Settings, make_partner) -> None:  # type: ignore[no-untyped-def]
    [path] = [p for p in FILES if p.name.startswith("kazinform")]
    [stored] = ingest_corpus_file(engine, settings, make_partner("kazinform").org, path)
    assert stored.record.latest.document["firstCreated"] == "2023-04-26"  # stored as the wire said: a day

    assert render(stored.record)["firstCreated"] == "2023-04-26T00:00:00+00:00"
    assert render(stored.record, fmt="ninjs2")["firstcreated"] == "2023-04-26T00:00:00+00:00"
    assert render(stored.record, fmt="ninjs1-superdesk")["firstcreated"] == "2023-04-26T00:00:00Z"
    root = etree.fromstring(render_newsml(stored.record.latest))
    ns = {"n": "http://iptc.org/std/nar/2006-10-01/"}
    assert root.xpath("n:itemMeta/n:firstCreated/text()", namespaces=ns) == ["2023-04-26T00:00:00+00:00"]
    assert root.xpath("n:itemMeta/n:versionCreated/text()", namespaces=ns) == [
        stored.record.latest.received_at.isoformat()]  # the wire has none: when the hub stored it
    assert root.xpath("n:contentMeta/n:infoSource/@role", namespaces=ns) == ["infosrcrole:originator"]


def test_format_checking_is_really_on() -> None:
    # without rfc3339-validator, jsonschema checks no date-time and every test above would pass anyway
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert not checker.conforms("2023-04-26", "date-time") and checker.conforms("2023-04-26T00:00:00Z", "date-time")
