"""What the output tests check every document against: IPTC's NewsML-G2 2.35 XSD (offline) and the
ninjs schemas with format checking on; and the corpus they render: every real agency file, every
IPTC listing, both demo wires, each ingested by the real pipeline, plus a withdrawal.

Shared by tests/formats/test_output_validity.py and tests/interop/ (Superdesk's parsers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from lxml import etree
from referencing import Registry, Resource
from sqlalchemy.engine import Engine

from newsbridge.accounts.organizations import Organization
from newsbridge.config import Settings
from newsbridge.db.engine import reading
from newsbridge.formats.detect import parse_document
from newsbridge.formats.errors import FormatError
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import schema_document
from newsbridge.formats.ninjs1 import schema as ninjs1_schema
from newsbridge.formats.ninjs1_out import SUPERDESK_ONLY_KEYS
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.items.queries import ItemRecord, get_item
from tests.formats.agency_golden import agency_files

TESTS = Path(__file__).resolve().parents[1]
XSD = TESTS / "data" / "newsml-g2-xsd" / "NewsML-G2_2.35-spec-All-Power.xsd"
IPTC_LISTINGS = TESTS.parents[0].parent / "shared" / "fixtures" / "newsml-g2"
DEMO_SEEDS = TESTS.parents[0] / "newsbridge" / "demo" / "seeds"
HUB_FIELDS = ("id", "source", "hub", "received")  # what the hub adds beside a ninjs 3.x/2.x document


def corpus_files() -> list[Path]:
    """Every document the output tests ingest: agency files, IPTC's whole-document listings, demo wires."""
    listings = []
    for path in sorted(IPTC_LISTINGS.glob("*.xml")):
        try:
            parse_document(path.read_bytes())
        except FormatError:  # the two listings that are fragments, not documents
            continue
        listings.append(path)
    return agency_files() + listings + sorted(DEMO_SEEDS.glob("*.txt"))


def file_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


class _LocalOnly(etree.Resolver):
    """Refuses anything but a local file: validating must never touch the network."""

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        if url and "://" in url and not url.startswith("file:"):
            raise AssertionError(f"the NewsML-G2 schema asked for {url}; it must import local files only")
        return None  # the parser's own loading of the local file


@cache
def newsml_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalOnly())
    return etree.XMLSchema(etree.parse(str(XSD), parser))


def newsml_errors(xml: bytes) -> list[str]:
    schema = newsml_schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


@cache
def _ninjs_validator(major: int) -> jsonschema.protocols.Validator:
    if major == 1:
        return jsonschema.Draft7Validator(ninjs1_schema(), format_checker=jsonschema.FormatChecker())
    schema = schema_document(major)
    geojson = json.loads((TESTS.parent / "newsbridge" / "formats" / "schemas" / "GeoJSON-schema.json").read_text())
    registry: Registry = Registry().with_resource(geojson["$id"], Resource.from_contents(geojson))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def ninjs_errors(rendered: dict[str, Any], fmt: str) -> list[str]:
    """Schema errors, with format checking, of a rendered document once the hub's own fields are stripped."""
    if fmt == "ninjs1-superdesk":
        doc = {k: v for k, v in rendered.items() if k not in (*SUPERDESK_ONLY_KEYS, "newsbridge")}
        major = 1
    else:
        doc = {k: v for k, v in rendered.items() if k not in HUB_FIELDS}
        major = 3 if fmt == "ninjs3" else 2
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _ninjs_validator(major).iter_errors(doc)]


@dataclass(frozen=True)
class Stored:
    name: str  # which document (and item) it came from
    record: ItemRecord


def ingest_corpus_file(engine: Engine, settings: Settings, org: Organization, path: Path) -> Iterator[Stored]:
    """The file through the real pipeline (parse, normalize, store), each item as the hub then holds it."""
    stored = Ingestor(engine, settings).ingest_document(org, path.read_bytes())
    with reading(engine) as conn:
        for index, s in enumerate(stored):
            yield Stored(f"{file_id(path)}#{index}", get_item(conn, org, s.item_id))


def withdrawn_version(engine: Engine, settings: Settings, org: Organization) -> Stored:
    """An item published, then withdrawn by its source: the hub's newest version is the withdrawal notice."""
    ingestor = Ingestor(engine, settings)
    item = Item(uri="urn:newsbridge:test:withdrawn", version="1", language="en", headline="Minister resigns",
                body_html="<p>The minister <b>resigned</b> today.</p>",
                subjects=[{"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}])
    ingestor.ingest_item(org, item)
    stored = ingestor.ingest_item(org, Item(uri=item.uri, version="2", language="en", headline=item.headline,
                                            pubstatus="canceled", body_text="Withdrawn."))
    with reading(engine) as conn:
        return Stored("withdrawn", get_item(conn, org, stored.item_id))
