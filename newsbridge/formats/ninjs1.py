"""IPTC ninjs 1.x (News in JSON 1.0 to 1.6): recognize, validate, read into an Item.

ninjs 1.x is a flat JSON object with lower-case keys. Texts are single strings named by
format: ``headline``, ``body_text``, ``body_html`` (any ``body_<suffix>``),
``description_text``/``description_html`` and extra ``headline_<role>``. The creator is
``byline``. Concepts are arrays of ``{name, rel, scheme, code}``: ``subject``, ``genre``,
``person``, ``organisation``, ``place``, ``event``, ``object``, ``infosource``. Unlike 2.x
and 3.x, ``renditions`` and ``associations`` are objects keyed by name (an association is
itself a whole ninjs 1.x item), and ``altids`` is an object of role to id. ``$standard``
may say which version a document follows.

Every 1.x document is validated against the IPTC 1.6 schema shipped in
``formats/schemas`` (1.6 only added to earlier 1.x versions), then read into the hub's
ninjs 3.x shapes: concepts get ``uri`` (``scheme`` + ``code``, or an IPTC qcode such as
``medtop:20000763``) or else ``literal`` (the code); keyed renditions and associations
become arrays whose entries carry their key as ``name``; ``mimetype``/``sizeinbytes``
become ``contentType``/``sizeInBytes``. ``description_html`` is the description only without
``description_text``; other texts (``body_xhtml``, ``headline_short``, ...) go to 3.x
``bodies``/``headlines``/``descriptions`` with a content type or their suffix as role.
What 3.x cannot hold is left out: ``$standard`` (it describes the 1.x wire form), the item
``mimetype``, ``charcount``/``wordcount`` and ``geometry_*`` of places.

Liberal in what it accepts: Superdesk's 1.x output (``guid`` → uri when there is none,
``source`` → an info source, ``authors`` → people and, without a byline, the byline) and
other producers' additions are read; what the 1.6 schema has no place for (``priority``,
``service``, ``firstpublished``, ``annotations``, ``extra``, ``readtime``, ``id``...) is named
in ``edNote``, never refused; numbers sent as strings are read as numbers, unknown types as
text, associations sent as an array as keyed ones, times without a zone in the source's zone;
each assumption is an :class:`~newsbridge.formats.item.IngestWarning`.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.item import ITEM_TYPES, IngestWarning, Item
from newsbridge.formats.ninjs import derived_uri, schema_document, to_ninjs3
from newsbridge.formats.times import TimeReader

FORMAT_NAME = "ninjs1"
SCHEMA_FILE = "ninjs-schema_1.6.json"
SCHEMA_URL = "https://www.iptc.org/std/ninjs/ninjs-schema_1.6.json"
# Keys that only 1.x has (computed from the 1.6, 2.2 and 3.1 schemas; a test keeps it honest).
ONLY_1X_KEYS = frozenset({
    "$standard", "byline", "charcount", "event", "genre", "headline", "infosource", "mimetype", "object",
    "organisation", "person", "place", "subject", "trustindicator", "wordcount",
})
_TEXT_KEY = re.compile(r"^(body|description|headline)_[a-zA-Z0-9_]+")
_QCODE_SCHEMES = {
    "medtop": "http://cv.iptc.org/newscodes/mediatopic/",
    "subj": "http://cv.iptc.org/newscodes/subjectcode/",
    "genre": "http://cv.iptc.org/newscodes/genre/",
}
_TEXT_TYPES = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}
_TEXT_LISTS = {"body": "bodies", "description": "descriptions", "headline": "headlines"}
# 1.x concept array -> (3.x key, the fields a 3.x entry of that array may have)
_CONCEPTS: dict[str, tuple[str, frozenset[str]]] = {
    "subject": ("subjects", frozenset({"name", "rel", "uri", "literal", "creator", "relevance", "confidence"})),
    "genre": ("genres", frozenset({"name", "uri", "literal"})),
    "person": ("people", frozenset({"name", "rel", "uri", "literal", "contactInfo"})),
    "organisation": ("organisations", frozenset({"name", "rel", "uri", "literal", "symbols", "contactInfo"})),
    "place": ("places", frozenset({"name", "rel", "uri", "literal", "contactInfo"})),
    "event": ("events", frozenset({"name", "rel", "uri", "literal"})),
    "object": ("objects", frozenset({"name", "rel", "uri", "literal"})),
    "infosource": ("infoSources", frozenset({"name", "role", "uri", "literal", "contactInfo"})),
}
# nested 1.x keys spelled differently in 3.x
_RENAMES = {
    "contactinfo": "contactInfo", "postalcode": "postalCode", "symboltype": "symbolType", "mimetype": "contentType",
    "sizeinbytes": "sizeInBytes", "langid": "langId", "linkedrights": "linkedRights", "encodedrights": "encodedRights",
}
# top-level 1.x keys kept in ``extra`` under their 3.x name
_EXTRA = {
    "ednote": "edNote", "contentcreated": "contentCreated", "expires": "expires", "profile": "profile",
    "slugline": "slugline", "title": "title", "rightsinfo": "rightsInfo", "digitalsourcetype": "digitalSourceType",
}


class Ninjs1Error(FormatError):
    def __init__(self, kind: Kind, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, format=FORMAT_NAME, kind=kind)


@cache
def schema() -> dict[str, Any]:
    """The IPTC ninjs 1.6 JSON schema (draft-07) every 1.x document is validated against."""
    return json.loads(resources.files("newsbridge.formats").joinpath("schemas", SCHEMA_FILE).read_text("utf-8"))


@cache
def _fast_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(schema())


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft7Validator(schema())


@cache
def _later_keys() -> frozenset[str]:
    """Top-level keys of ninjs 2.x and 3.x, to say so when one turns up in a 1.x document."""
    return frozenset(k for major in (2, 3) for k in schema_document(major)["$defs"]["ninjsType"]["properties"])


@cache
def later_only_keys() -> frozenset[str]:
    """Top-level keys only ninjs 2.x/3.x have (``headlines``, ``by``, ``subjects``...), none of 1.x's."""
    return _later_keys() - frozenset(schema()["properties"])


def is_ninjs1(doc: dict[str, Any]) -> bool:
    """Whether ``doc`` is ninjs 1.x: it has a key only 1.x has, or keyed (object) renditions/associations."""
    if not isinstance(doc, dict):
        return False
    return (any(key in ONLY_1X_KEYS or _TEXT_KEY.match(key) for key in doc)
            or isinstance(doc.get("renditions"), dict) or isinstance(doc.get("associations"), dict))


def validate_ninjs1(doc: Any) -> None:
    """Validate ``doc`` against the ninjs 1.6 schema; raises Ninjs1Error(kind="schema") with a JSON path."""
    if not isinstance(doc, dict):
        raise Ninjs1Error("schema", "a ninjs item must be a JSON object", field="$")
    if _fast_validator().is_valid(doc):
        return
    # jsonschema-rs also checks "format" (uri, date-time), which the reference implementation
    # treats as a note; the reference decides, and explains.
    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is None:
        return
    path, hint = error.json_path, f"See the IPTC ninjs 1.6 schema ({SCHEMA_URL}) for the allowed fields and types."
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known, patterns = error.schema.get("properties", {}), error.schema.get("patternProperties", {})
        extra = [k for k in error.instance if k not in known and not any(re.search(p, k) for p in patterns)]
        if extra:
            path = f"{path}.{extra[0]}" if re.fullmatch(r"\w+", extra[0]) else f"{path}[{extra[0]!r}]"
            if error.json_path == "$" and extra[0] in _later_keys():
                hint = (f"'{extra[0]}' is a ninjs 2.x/3.x field: a document follows one version throughout "
                        "(1.x says headline, body_text, body_html, byline, subject, versioncreated).")
    raise Ninjs1Error("schema", f"not valid ninjs 1.x at {path}: {error.message}. {hint}", field=path)


def parse_ninjs1(doc: dict[str, Any], zone: str | None = None, warnings: list[IngestWarning] | None = None) -> Item:
    """A ninjs 1.x document (already decoded from JSON) as an Item, after fitting it to the 1.6 schema
    (see the module's notes) and validating it; ``zone`` is the zone of times that name none."""
    warnings = [] if warnings is None else warnings
    dropped: list[str] = []
    doc = _fit(_superdesk(doc, "$", warnings), schema(), "$", dropped, warnings)
    validate_ninjs1(doc)
    item = _item(doc, "$", TimeReader(zone, warnings))
    if dropped:
        note = "Newsbridge could not carry these ninjs 1.x fields over to ninjs 3.x: " + ", ".join(dropped) + "."
        item.extra["edNote"] = f"{item.extra['edNote']}\n\n{note}" if item.extra.get("edNote") else note
        item.extra["representationType"] = "partial"
    item.warnings = warnings
    return item


def _superdesk(doc: Any, path: str, warnings: list[IngestWarning]) -> Any:
    """``doc`` with what Superdesk (and BBC) add to 1.x mapped into 1.x fields, recursively into associations."""
    if not isinstance(doc, dict):
        return doc
    doc = dict(doc)
    if not doc.get("uri"):
        if isinstance(guid := doc.get("guid"), str) and guid.strip():
            doc["uri"] = doc.pop("guid").strip()
            warnings.append(IngestWarning("uri_from_guid", f"{path}.guid", "no uri; the guid is the item's uri"))
        else:
            doc["uri"] = derived_uri(doc)
            warnings.append(IngestWarning("uri_derived", f"{path}.uri", "no uri and no guid; the uri is derived from "
                                          "the content, so a resent item is recognized"))
    if isinstance(source := doc.pop("source", None), str) and source.strip() and "infosource" not in doc:
        doc["infosource"] = [{"name": source.strip(), "rel": "source"}]
    if isinstance(authors := doc.get("authors"), list):
        names = [a for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
        if names and "person" not in doc:
            doc["person"] = [{"name": a["name"], "rel": str(a.get("role") or "author")} for a in names]
            doc.pop("authors")
        if names and not doc.get("byline"):
            doc["byline"] = ", ".join(a["name"] for a in names)
    if doc.get("type") is not None and doc.get("type") not in ITEM_TYPES:
        warnings.append(IngestWarning("code_unknown", f"{path}.type", f"type {str(doc['type'])[:30]!r} is not a ninjs "
                                      "type; read as text"))
        doc["type"] = "text"
    if isinstance(associations := doc.get("associations"), list):  # BBC: an array; 1.x keys them by name
        keyed: dict[str, Any] = {}
        for index, child in enumerate(associations):
            name = str(child.get("id") or child.get("name") or f"association{index + 1}") \
                if isinstance(child, dict) else f"association{index + 1}"
            keyed[re.sub(r"[^A-Za-z0-9_]", "_", name)] = child
        warnings.append(IngestWarning("value_coerced", f"{path}.associations", "associations is an array; ninjs 1.x "
                                      "keys them by name: read by their id"))
        doc["associations"] = keyed
    if isinstance(associations := doc.get("associations"), dict):
        doc["associations"] = {name: _superdesk(child, f"{path}.associations.{name}", warnings)
                               for name, child in associations.items()}
    return doc


def _fit(value: Any, node: dict[str, Any], path: str, dropped: list[str], warnings: list[IngestWarning]) -> Any:
    """``value`` with what the 1.6 schema ``node`` has no place for dropped (named in ``dropped``) and numbers
    sent as strings made numbers (with a warning); anything else is left for validation to judge."""
    if node.get("$ref") == "#":
        node = schema()
    if isinstance(value, dict) and ("properties" in node or "patternProperties" in node):
        properties, patterns = node.get("properties", {}), node.get("patternProperties", {})
        out = {}
        for key, child in value.items():
            sub = properties.get(key) or next((p for rx, p in patterns.items() if re.search(rx, key)), None)
            if sub is None and node.get("additionalProperties") is False:
                if child not in (None, "", [], {}):
                    dropped.append(f"{path}.{key}".removeprefix("$."))
                continue
            out[key] = child if sub is None else _fit(child, sub, f"{path}.{key}", dropped, warnings)
        return out
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_fit(v, node["items"], f"{path}[{i}]", dropped, warnings) for i, v in enumerate(value)]
    if node.get("type") in ("integer", "number") and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        if math.isfinite(number):
            warnings.append(IngestWarning("value_coerced", path, f"{value[:20]!r} is a string; read as the number"))
            return int(number) if node["type"] == "integer" or number.is_integer() else number
    return value


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _time(doc: dict[str, Any], key: str, path: str, times: TimeReader, *,
          allow_date: bool = False) -> datetime | date | None:
    raw = doc.get(key)
    if raw is None:
        return None
    if allow_date and _DAY.match(raw):
        return date.fromisoformat(raw)
    try:
        if (value := datetime.fromisoformat(raw)).tzinfo is not None:  # the usual
            return value
    except ValueError:
        pass
    return times.read(raw, f"{path}.{key}", allow_day=allow_date)


def _item(doc: dict[str, Any], path: str, times: TimeReader) -> Item:
    warnings = times.warnings
    version = doc.get("version")
    if version is not None and not version.isdigit():
        warnings.append(IngestWarning("value_invalid", f"{path}.version", f"version {version[:20]!r} is not a whole "
                                      "number; ignored, the hub numbers the versions itself"))
        version = None
    urgency = doc.get("urgency")
    if urgency is not None and not (float(urgency).is_integer() and 1 <= urgency <= 9):  # NaN: Python's JSON reads it
        warnings.append(IngestWarning("value_invalid", f"{path}.urgency", f"urgency {urgency!r} is not a whole number "
                                      "from 1 (most urgent) to 9; left out"))
        urgency = None
    # headline, body_text, body_html and description_text (else description_html) are typed fields
    typed = {"body_text", "body_html", "description_text" if "description_text" in doc else "description_html"}
    texts: dict[str, list[dict[str, str]]] = {"headlines": [], "bodies": [], "descriptions": []}
    for key, value in doc.items():
        if (match := _TEXT_KEY.match(key)) and key not in typed:
            suffix = key.partition("_")[2]
            entry = {"role": "main", "contentType": _TEXT_TYPES[suffix]} if suffix in _TEXT_TYPES else {"role": suffix}
            texts[_TEXT_LISTS[match.group(1)]].append({**entry, "value": value})
    extra: dict[str, Any] = {k: v for k, v in texts.items() if v}
    extra.update({new: _renamed(doc[old]) for old, new in _EXTRA.items() if old in doc})
    for old, (new, allowed) in _CONCEPTS.items():
        if doc.get(old):
            extra[new] = [_concept(entry, allowed) for entry in doc[old]]
    if "representationtype" in doc:
        extra["representationType"] = {"complete": "full", "incomplete": "partial"}[doc["representationtype"]]
    if doc.get("altids"):
        extra["altIds"] = [{"role": role, "value": value if isinstance(value, str) else json.dumps(value)}
                           for role, value in doc["altids"].items()]
    if doc.get("trustindicator"):
        extra["trustIndicators"] = [{k: v for k, v in (("role", _identify(t.get("scheme"), t.get("code")).get("uri")),
                                                       ("title", t.get("title")), ("href", t.get("href"))) if v}
                                    for t in doc["trustindicator"]]
    return Item(
        uri=doc["uri"],
        type=doc.get("type", "text"),
        version=version,
        firstcreated=_time(doc, "firstcreated", path, times, allow_date=True),
        versioncreated=_time(doc, "versioncreated", path, times),  # type: ignore[arg-type]
        pubstatus=doc.get("pubstatus", "usable"),
        embargoed=_time(doc, "embargoed", path, times),  # type: ignore[arg-type]
        language=doc.get("language"),
        headline=doc.get("headline"),
        body_text=doc.get("body_text"),
        body_html=doc.get("body_html"),
        description=doc.get("description_text", doc.get("description_html")),
        byline=doc.get("byline"),
        located=doc.get("located"),
        subjects=extra.pop("subjects", []),
        genres=extra.pop("genres", []),
        urgency=None if urgency is None else int(urgency),
        copyrightholder=doc.get("copyrightholder"),
        copyrightnotice=doc.get("copyrightnotice"),
        usageterms=doc.get("usageterms"),
        associations=[{"name": name, **to_ninjs3(_item(child, f"{path}.associations.{name}", times))}
                      for name, child in doc.get("associations", {}).items()],
        renditions=[_rendition(name, rendition) for name, rendition in doc.get("renditions", {}).items()],
        extra=extra,
    )


def _identify(scheme: str | None, code: str | None) -> dict[str, str]:
    """``uri`` from a 1.x scheme and code (or an IPTC qcode), else the code as ``literal``."""
    if not code:
        return {}
    if re.match(r"https?://", code):
        return {"uri": code}
    alias, _, rest = code.partition(":")
    if rest and alias in _QCODE_SCHEMES:
        return {"uri": _QCODE_SCHEMES[alias] + rest}
    if scheme and re.match(r"https?://", scheme):
        return {"uri": scheme + ("" if scheme.endswith(("/", "#")) else "/") + code}
    return {"literal": code}


def _concept(entry: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    out = {("role" if k == "rel" and "role" in allowed else k): v for k, v in _renamed(entry).items()}
    if "symbols" in out:
        out["symbols"] = [{k: v for k, v in {**s, "symbol": s.get("symbol", s.get("ticker"))}.items()
                           if k in ("exchange", "symbolType", "symbol") and v} for s in out["symbols"]]
    out.update(_identify(entry.get("scheme"), entry.get("code")))
    return {k: v for k, v in out.items() if k in allowed}


def _rendition(name: str, rendition: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, **_renamed(rendition)}
    for key in ("width", "height", "sizeInBytes", "duration"):  # numbers in 1.x, integers in 3.x (but duration)
        if key in out and not math.isfinite(out[key]):
            del out[key]  # NaN or Infinity, which Python's JSON reader lets through, mean nothing here
        elif key in out and key != "duration":
            out[key] = round(out[key])
    return out


def _renamed(value: Any) -> Any:
    if isinstance(value, dict):
        return {_RENAMES.get(k, k): _renamed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v) for v in value]
    return value
