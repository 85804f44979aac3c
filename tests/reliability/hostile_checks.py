"""Is hostile content inert in an output? Each output is read the way its consumer reads it.

A desk page and the HTML inside feeds and ninjs are parsed as a browser would (``html.parser``,
which unescapes attribute values, so ``jav&#x61;script:`` is caught); Atom, RSS and NewsML-G2 are
parsed as XML and the HTML they carry (Atom ``type="html"``, RSS ``description`` and
``content:encoded``) is parsed again as HTML. Text shown as text (a plain headline, escaped on a
page) is inert and passes; a script element, an ``on*`` handler or a ``javascript:`` URL does not.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from lxml import etree

MARK = "NBX"  # in every hostile headline: an output without it is not about the hostile item
SCRIPT = (f'{MARK} <script>alert("nbx")</script><img src=x onerror=alert("nbx")>'
          '<a href="javascript:alert(\'nbx\')">x</a>')
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc"}
ACTIVE_ELEMENTS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "meta"}
_SPACES = re.compile(r"[\x00-\x20]+")


def _scripted_url(value: str | None) -> bool:
    return bool(value) and _SPACES.sub("", value or "").lower().startswith(("javascript:", "vbscript:", "data:text/html"))


class _Finder(HTMLParser):
    def __init__(self, own_scripts: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.own_scripts = own_scripts  # a desk page: its own <script src="/static/..."> is fine

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in ACTIVE_ELEMENTS and not (self.own_scripts and (
                (tag == "script" and (named.get("src") or "").startswith("/static/"))
                or (tag == "meta" and "http-equiv" not in named))):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and _scripted_url(value):
                self.found.append(f"{tag}[{name}={value}]")

    handle_startendtag = handle_starttag


def active_content(markup: str | None, *, page: bool = False) -> list[str]:
    """What in ``markup`` would run in a browser: script-like elements, handlers, script URLs."""
    finder = _Finder(own_scripts=page)
    finder.feed(markup or "")
    finder.close()
    return finder.found


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def active_in_xml(document: bytes | str) -> list[str]:
    """Active content in an Atom, RSS or NewsML-G2 document, and in the HTML it carries."""
    data = document.encode() if isinstance(document, str) else document
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    found: list[str] = []
    for element in root.iter():
        name = _local(element.tag)
        if name in ACTIVE_ELEMENTS:
            found.append(f"<{name}> in XML")
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            if local.startswith("on") or (local in URL_ATTRIBUTES and _scripted_url(value)):
                found.append(f"{name}[{local}={value}]")
        carries_html = element.get("type") in ("html", "xhtml") or name in ("description", "encoded") or \
            (name == "link" and element.text)
        if carries_html and element.text:
            found += active_content(element.text)
            if name == "link" and _scripted_url(element.text):
                found.append(f"<link>{element.text}")
    return found


def _walk_json(value: Any, found: list[str], key: str = "") -> None:
    if isinstance(value, dict):
        kind = str(value.get("contentType") or value.get("contenttype") or "")
        if "html" in kind.lower() and isinstance(value.get("value"), str):
            found += active_content(value["value"])
        for name, inner in value.items():
            if name in ("content_html", "body_html", "html") and isinstance(inner, str):
                found += active_content(inner)
            elif name in ("href", "url", "external_url", "link") and isinstance(inner, str) and _scripted_url(inner):
                found.append(f"{name}={inner}")
            else:
                _walk_json(inner, found, name)
    elif isinstance(value, list):
        for inner in value:
            _walk_json(inner, found, key)


def active_in_json(document: str) -> list[str]:
    """Active content in a ninjs answer or a JSON Feed: the HTML-bearing fields parsed as HTML."""
    found: list[str] = []
    _walk_json(json.loads(document), found)
    return found


def marked(text: str) -> bool:
    return MARK in text
