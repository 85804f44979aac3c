"""IPTC ninjs (News in JSON) 2.x and 3.x: validate, read into an Item, write back.

ninjs 2.x spells fields in lower case (``versioncreated``, ``contenttype``), 3.x in camel
case (``versionCreated``, ``contentType``) and renames ``embargoed`` to ``embargoedUntil``.
Both are validated against the official IPTC schemas shipped in ``formats/schemas``. The
hub keeps an item as ninjs 3.x; 2.x is produced by renaming keys back and dropping what
2.x cannot say (event details, planned coverage), guided by the 2.2 schema itself.

Liberal in what it accepts (:func:`fix_common_mistakes`, before validation): a document without
``uri`` gets one (from ``altIds``, else derived from its content), ``byline`` is read as ``by``
and a ``headline`` string as ``headlines``, an unknown ``type`` as text; times without a zone take
the source's zone. Each assumption is an :class:`~newsbridge.formats.item.IngestWarning`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
from referencing import Registry, Resource

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import ITEM_TYPES, IngestWarning, Item
from newsbridge.formats.json_safety import UNREAD, load_json, read_utf8_json
from newsbridge.formats.times import TimeReader

FORMAT_NAME = "ninjs"
HTML_TYPES = ("text/html", "application/xhtml+xml")
_TYPED_KEYS = {
    "uri", "type", "version", "firstCreated", "versionCreated", "pubStatus", "embargoedUntil", "language",
    "by", "located", "subjects", "genres", "urgency", "copyrightHolder", "copyrightNotice", "usageTerms",
    "associations", "renditions",
}


class NinjsError(FormatError):
    def __init__(self, kind: Kind, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, format=FORMAT_NAME, kind=kind)


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("newsbridge.formats").joinpath("schemas", name).read_text("utf-8"))


@cache
def _schema(major: int) -> dict[str, Any]:
    return _load({2: "ninjs-schema_2.2.json", 3: "ninjs-schema_3.1.json"}[major])


def schema_document(major: int) -> dict[str, Any]:
    """The IPTC ninjs schema (2 -> 2.2, 3 -> 3.1) used for validation."""
    return _schema(major)


@cache
def _fast_validator(major: int) -> jsonschema_rs.Validator:
    """jsonschema-rs answers "valid?" ~100x faster; python-jsonschema explains what is wrong."""
    geojson = _load("GeoJSON-schema.json")
    return jsonschema_rs.validator_for(_schema(major), registry=jsonschema_rs.Registry([(geojson["$id"], geojson)]))


@cache
def _validator(major: int) -> jsonschema.protocols.Validator:
    geojson = _load("GeoJSON-schema.json")
    registry: Registry = Registry().with_resource(geojson["$id"], Resource.from_contents(geojson))
    schema = _schema(major)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry)


def _property_names(node: Any, into: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                into.update(value)
            _property_names(value, into)
    elif isinstance(node, list):
        for value in node:
            _property_names(value, into)
    return into


@cache
def _renames() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    """(2.x key -> 3.x key, 3.x key -> 2.x key, keys that only 3.x spells)."""
    camel = {name for name in _property_names(_schema(3), set()) if name != name.lower()}
    up = {name.lower(): name for name in camel} | {"embargoed": "embargoedUntil"}
    down = {v: k for k, v in up.items()}
    return up, down, frozenset(camel)


def _rename_keys(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {table.get(k, k): _rename_keys(v, table) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_keys(v, table) for v in value]
    return value


def _has_key(value: Any, names: frozenset[str]) -> bool:
    """Whether an object anywhere in ``value`` has one of ``names`` as a key (the top level first:
    a document's own keys usually tell, and then its content is not walked)."""
    if isinstance(value, dict) and not names.isdisjoint(value):
        return True
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if not names.isdisjoint(node):
                return True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return False


def ninjs_major(doc: dict[str, Any]) -> int:
    """2 or 3: from ``standard.version`` when given, else from how the keys are spelled."""
    standard = doc.get("standard")
    if (isinstance(standard, dict) and str(standard.get("name", "")).lower() == "ninjs"
            and str(standard.get("version", ""))[:1] in ("2", "3")):
        return int(str(standard["version"])[0])
    _up, _down, camel_only = _renames()
    if _has_key(doc, camel_only):
        return 3
    if _has_key(doc, _lower_keys()):
        return 2
    return 3  # nothing tells them apart: both versions read the document the same way


@cache
def _lower_keys() -> frozenset[str]:
    """The keys only 2.x spells (the lower-case forms of 3.x's camel-case ones)."""
    return frozenset(_renames()[0])


def derived_uri(doc: Any) -> str:
    """A stable uri for a JSON item that has none: the same content always gives the same uri."""
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "urn:newsbridge:derived:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def fix_common_mistakes(doc: Any, warnings: list[IngestWarning], path: str = "$") -> Any:
    """A 2.x/3.x document with the common producers' mistakes mended (each with a warning), ready to validate."""
    if not isinstance(doc, dict):
        return doc
    doc = dict(doc)
    if "byline" in doc and "by" not in doc and isinstance(doc["byline"], str):
        doc["by"] = doc.pop("byline")
        warnings.append(IngestWarning("field_renamed", f"{path}.byline", "byline is ninjs 1.x; read as by"))
    if isinstance(doc.get("headline"), str) and "headlines" not in doc:
        doc["headlines"] = [{"role": "main", "value": doc.pop("headline")}]
        warnings.append(IngestWarning("field_renamed", f"{path}.headline", "headline is ninjs 1.x; read as the main "
                                      "of headlines"))
    if isinstance(doc.get("type"), str) and doc["type"] not in ITEM_TYPES:
        warnings.append(IngestWarning("code_unknown", f"{path}.type", f"type {doc['type'][:30]!r} is not a ninjs "
                                      "type; read as text"))
        doc["type"] = "text"
    if not doc.get("uri"):
        alt = next((a["value"] for a in doc.get("altIds", doc.get("altids", [])) or []
                    if isinstance(a, dict) and isinstance(a.get("value"), str) and a["value"].strip()), None) \
            if isinstance(doc.get("altIds", doc.get("altids")), list) else None
        doc["uri"] = alt or derived_uri(doc)
        warnings.append(IngestWarning("uri_derived", f"{path}.uri", "no uri; " + (
            "the first altIds value is the item's uri" if alt else
            "the uri is derived from the content, so a resent item is recognized (send a uri to keep versions "
            "of one item together)")))
    return doc


def decode_json(data: bytes) -> Any:
    """Bytes to JSON with errors that say where the problem is."""
    if (doc := read_utf8_json(data)) is not UNREAD:
        return doc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NinjsError("malformed", f"the body is not valid UTF-8 (byte {exc.start}); send UTF-8 encoded JSON",
                             field="body") from None
    return load_json(text, format=FORMAT_NAME, error=NinjsError)


def validate(doc: Any) -> int:
    """Validate ``doc`` against the IPTC schema of its ninjs version; return that version."""
    if not isinstance(doc, dict):
        raise NinjsError("schema", "a ninjs item must be a JSON object", field="$")
    if "$standard" in doc or any(k in doc for k in ("body_text", "body_html", "subject", "headline")):
        raise NinjsError("schema", "this mixes ninjs 1.x fields (headline, body_text, subject) with later ones; send one version",
                              field="$")
    major = ninjs_major(doc)
    if _fast_validator(major).is_valid(doc):
        return major
    # The reference implementation decides (and explains): the two can differ on optional formats.
    error = jsonschema.exceptions.best_match(_validator(major).iter_errors(doc))
    if error is not None:
        path = error.json_path
        raise NinjsError("schema", 
            f"not valid ninjs {major}.x at {path}: {error.message}. See the IPTC ninjs {major}.x schema "
            f"(GET /api/v1/schemas/ninjs{major}) for the allowed fields and types.",
            field=path,
        )
    return major


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _time(doc: dict[str, Any], key: str, spelled: str, times: TimeReader, *,
          allow_date: bool = False) -> datetime | date | None:
    """A time field; ``spelled`` is the key as the sender wrote it (2.x or 3.x), for warnings."""
    raw = doc.get(key)
    if raw is None or not isinstance(raw, str):
        return None
    if allow_date and _DAY.match(raw):
        return date.fromisoformat(raw)
    try:
        if (value := datetime.fromisoformat(raw)).tzinfo is not None:  # the usual
            return value
    except ValueError:
        pass
    return times.read(raw, f"$.{spelled}", allow_day=allow_date)


_MAIN_ROLES = (None, "main", "text", "richtext")


def _pick(entries: list[dict[str, Any]], types: tuple[str, ...] | None) -> dict[str, Any] | None:
    candidates = [e for e in entries if types is None or e.get("contentType", "text/plain") in types]
    for entry in candidates:
        if entry.get("role") in _MAIN_ROLES:
            return entry
    return candidates[0] if candidates else None


def item_from_ninjs(doc: dict[str, Any], zone: str | None = None, warnings: list[IngestWarning] | None = None) -> Item:
    """An Item from a validated ninjs 2.x or 3.x document (2.x is read through 3.x names); ``zone`` is the zone
    of times that name none."""
    warnings = [] if warnings is None else warnings
    times = TimeReader(zone, warnings)
    major = ninjs_major(doc)
    if major == 2:
        doc = _rename_keys(doc, _renames()[0])

    def spelled(key: str) -> str:
        return _renames()[1].get(key, key) if major == 2 else key

    version = doc.get("version")
    if version is not None and not (isinstance(version, str) and version.isdigit()):
        warnings.append(IngestWarning("value_invalid", "$.version", f"version {str(version)[:20]!r} is not a whole "
                                      "number written as a string; ignored, the hub numbers the versions itself"))
        version = None
    extra = {k: v for k, v in doc.items() if k not in _TYPED_KEYS}
    headlines = list(extra.pop("headlines", []))
    bodies = list(extra.pop("bodies", []))
    descriptions = list(extra.pop("descriptions", []))
    headline = _pick(headlines, None)
    text = _pick(bodies, ("text/plain",))
    html = _pick(bodies, HTML_TYPES)
    # the typed description is text: an HTML one stays among the descriptions with its type (ingest sanitizes it)
    description = _pick(descriptions, ("text/plain",)) or _pick(
        [d for d in descriptions if not str(d.get("contentType", "")).lower().split(";")[0].strip().endswith(
            ("html", "html+xml"))], None)
    rest = {"headlines": [h for h in headlines if h is not headline],
            # a body taken as the main text for want of one keeps its own role too (a video's shot list
            # or script stays one: readers that know the role find it, the others read the main text)
            "bodies": [b for b in bodies if not ((b is text or b is html) and b.get("role") in _MAIN_ROLES)],
            "descriptions": [d for d in descriptions if d is not description]}
    extra.update({k: v for k, v in rest.items() if v})
    firstcreated = _time(doc, "firstCreated", spelled("firstCreated"), times, allow_date=True)
    return Item(
        uri=doc.get("uri"),
        type=doc.get("type") or "text",
        version=version,
        firstcreated=firstcreated,
        versioncreated=_time(doc, "versionCreated", spelled("versionCreated"), times),  # type: ignore[arg-type]
        pubstatus=doc.get("pubStatus") or "usable",
        embargoed=_time(doc, "embargoedUntil", spelled("embargoedUntil"), times),  # type: ignore[arg-type]
        language=doc.get("language"),
        headline=headline["value"] if headline else None,
        body_text=text["value"] if text else None,
        body_html=html["value"] if html else None,
        description=description["value"] if description else None,
        byline=doc.get("by"),
        located=doc.get("located"),
        subjects=list(doc.get("subjects", [])),
        genres=list(doc.get("genres", [])),
        urgency=doc.get("urgency"),
        copyrightholder=doc.get("copyrightHolder"),
        copyrightnotice=doc.get("copyrightNotice"),
        usageterms=doc.get("usageTerms"),
        associations=list(doc.get("associations", [])),
        renditions=list(doc.get("renditions", [])),
        extra=extra,
        warnings=warnings,
    )


def parse_ninjs(data: bytes) -> Item:
    """Bytes of a ninjs 2.x/3.x document to an Item; raises MalformedInput or SchemaViolation."""
    doc = decode_json(data)
    validate(doc)
    return item_from_ninjs(doc)


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def to_ninjs3(item: Item) -> dict[str, Any]:
    """The item as a ninjs 3.x document (keys in the order a reader expects)."""
    doc: dict[str, Any] = {"uri": item.uri, "type": item.type}
    optional: dict[str, Any] = {
        "version": item.version,
        "firstCreated": _iso(item.firstcreated),
        "versionCreated": _iso(item.versioncreated),
        "pubStatus": item.pubstatus,
        "embargoedUntil": _iso(item.embargoed),
        "language": item.language,
        "urgency": item.urgency,
        "by": item.byline,
        "located": item.located,
        "copyrightHolder": item.copyrightholder,
        "copyrightNotice": item.copyrightnotice,
        "usageTerms": item.usageterms,
    }
    doc.update({k: v for k, v in optional.items() if v is not None})
    headlines = ([{"role": "main", "value": item.headline}] if item.headline else []) + item.extra.get("headlines", [])
    descriptions = ([{"role": "main", "value": item.description}] if item.description else []) \
        + item.extra.get("descriptions", [])
    bodies = []
    if item.body_text:
        bodies.append({"role": "main", "contentType": "text/plain", "value": item.body_text})
    if item.body_html:
        bodies.append({"role": "main", "contentType": "text/html", "value": item.body_html})
    bodies += item.extra.get("bodies", [])
    lists = {"headlines": headlines, "descriptions": descriptions, "bodies": bodies, "subjects": item.subjects,
             "genres": item.genres, "associations": item.associations, "renditions": item.renditions}
    doc.update({k: v for k, v in lists.items() if v})
    doc.update({k: v for k, v in item.extra.items() if k not in lists})
    return _declare(doc, 3)


def _declare(doc: dict[str, Any], major: int) -> dict[str, Any]:
    """A source's ``standard`` naming ninjs must name the version we wrote, not the one it sent."""
    standard = doc.get("standard")
    if (isinstance(standard, dict) and str(standard.get("name", "")).lower() == "ninjs"
            and not str(standard.get("version", "")).startswith(str(major))):
        schema_id = _schema(major)["$id"].rstrip("#")
        doc["standard"] = {**standard, "version": {2: "2.2", 3: "3.1"}[major], "schema": schema_id}
    return doc


def _prune(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """Drop what the schema ``node`` does not allow (used to write 2.x from 3.x content)."""
    merged, closed = dict(node.get("properties", {})), node.get("additionalProperties") is False \
        or node.get("unevaluatedProperties") is False
    ref = node.get("$ref")
    while isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = root["$defs"][ref.removeprefix("#/$defs/")]
        merged.update(target.get("properties", {}))
        closed = closed or target.get("additionalProperties") is False
        ref = target.get("$ref")
    if isinstance(value, dict) and merged:
        return {k: _prune(v, merged[k], root) for k, v in value.items() if k in merged or not closed}
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_prune(v, node["items"], root) for v in value]
    return value


def to_ninjs2(item: Item) -> dict[str, Any]:
    """The item as a ninjs 2.x document that validates against the 2.2 schema."""
    doc = _rename_keys(to_ninjs3(item), _renames()[1])
    schema = _schema(2)
    doc = _prune(doc, {"$ref": schema["$ref"], "unevaluatedProperties": False}, schema)
    if doc.get("type") not in schema["$defs"]["ninjsType"]["properties"]["type"]["enum"]:
        doc.pop("type", None)  # 2.x has no word for events and planning items
    return _declare(doc, 2)
