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
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import schema_document, to_ninjs3

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


def parse_ninjs1(doc: dict[str, Any]) -> Item:
    """A ninjs 1.x document (already decoded from JSON) as an Item, after validating it."""
    validate_ninjs1(doc)
    return _item(doc, "$")


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _time(doc: dict[str, Any], key: str, path: str, *, allow_date: bool = False) -> datetime | date | None:
    raw = doc.get(key)
    if raw is None:
        return None
    try:
        value = date.fromisoformat(raw) if allow_date and _DAY.match(raw) else datetime.fromisoformat(raw)
    except ValueError:
        raise Ninjs1Error("invalid", f"{key} {raw!r} is not an ISO 8601 date-time like 2026-11-23T09:30:00+05:00",
                          field=f"{path}.{key}") from None
    if isinstance(value, datetime) and value.tzinfo is None:
        raise Ninjs1Error("invalid", f"{key} {raw!r} has no UTC offset; add one, like {raw}Z or {raw}+05:00",
                          field=f"{path}.{key}")
    return value


def _item(doc: dict[str, Any], path: str) -> Item:
    version = doc.get("version")
    if version is not None and not version.isdigit():
        raise Ninjs1Error("invalid", f"version {version!r} must be a whole number written as a string, like \"3\"",
                          field=f"{path}.version")
    urgency = doc.get("urgency")
    if urgency is not None and not (float(urgency).is_integer() and 1 <= urgency <= 9):  # NaN: Python's JSON reads it
        raise Ninjs1Error("invalid", f"urgency {urgency!r} must be a whole number from 1 (most urgent) to 9",
                          field=f"{path}.urgency")
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
        firstcreated=_time(doc, "firstcreated", path, allow_date=True),
        versioncreated=_time(doc, "versioncreated", path),  # type: ignore[arg-type]
        pubstatus=doc.get("pubstatus", "usable"),
        embargoed=_time(doc, "embargoed", path),  # type: ignore[arg-type]
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
        associations=[{"name": name, **to_ninjs3(_item(child, f"{path}.associations.{name}"))}
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
