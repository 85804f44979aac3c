"""Untrusted XML and HTML at the hub's boundary: read safely, written well-formed.

Every XML format reads partner bytes through :func:`parse_xml`, never through lxml directly.
The hub refuses, before libxml2 sees a byte:

* documents larger than ``max_bytes`` (a size check, so a 50 MB upload costs nothing);
* a DOCTYPE that declares entities, general or parameter, internal or external: internal
  ones enable entity-expansion bombs ("billion laughs", quadratic blow-up), external ones
  read local files or URLs (XXE). A DOCTYPE that refers to an external DTD is refused too.

News formats (NewsML-G2, NITF, XHTML bodies) need no DOCTYPE, so nothing legitimate is lost;
a bare ``<!DOCTYPE newsItem>`` or one declaring only elements and attributes is still read.
The prolog is scanned with linear regular expressions on the raw bytes (UTF-16 and UTF-32
documents are re-encoded first). The parser is then configured never to expand entities,
load a DTD or touch the network, and ``huge_tree=False`` keeps libxml2's limits on depth and
text size; the parsed tree is checked once more for entity declarations, as a second line.
Syntax errors become :class:`FormatError` naming the line and column.

Markup crosses the boundary both ways: :func:`inner_markup` turns a partner's XHTML or NITF
body into namespace-free markup for the hub (which sanitizes it later as HTML);
:func:`xml_text` drops characters XML 1.0 cannot hold and :func:`xhtml_document` turns HTML as
the hub stores it (``<br>``, unclosed tags, entities) into XHTML elements, so a serializer
never writes a document that is not well-formed.
"""

from __future__ import annotations

import codecs
import copy
import re
import threading

from lxml import etree
from lxml import html as lxml_html

from newsbridge.formats.errors import FormatError

DEFAULT_MAX_BYTES = 20_000_000
_ADVICE = "News formats need no DOCTYPE: remove it and send the document again."
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_LITERAL = rb"(?:\"[^\"]*\"|'[^']*')"
_DOCTYPE_HEAD = re.compile(
    rb"<!DOCTYPE\s+[^\s\[>]+\s*(?:(?P<kind>SYSTEM|PUBLIC)\s*(?P<ids>" + _LITERAL + rb"(?:\s*" + _LITERAL + rb")?)\s*)?"
)
_SUBSET_ITEM = re.compile(
    rb"\s+|<!--.*?-->|<\?.*?\?>"
    rb"|(?P<entity><!ENTITY\s+(?P<percent>%\s+)?(?P<name>[^\s>]+)\s*(?P<kind>SYSTEM|PUBLIC)?\s*(?P<value>"
    + _LITERAL + rb")?)"
    rb"|(?P<peref>%[^\s;]+;)"
    rb"|<!(?:ELEMENT|ATTLIST|NOTATION)\s(?:[^\"'>]|" + _LITERAL + rb")*>"
    rb"|(?P<end>\]\s*>)",
    re.S,
)
XHTML = "http://www.w3.org/1999/xhtml"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_NAME = re.compile(r"[A-Za-z_][\w.-]*")
_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WIDE_ENCODINGS = (  # longest signature first: a UTF-32-LE BOM starts like a UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"),
)


def _refuse(message: str, format: str, field: str = "DOCTYPE") -> FormatError:
    return FormatError(message, field=field, format=format, kind="malformed")


def utf8_view(data: bytes) -> bytes:
    """``data`` re-encoded as UTF-8 when it is UTF-16 or UTF-32, else unchanged, for byte scans.

    Every other encoding XML allows in practice (UTF-8, Latin-1, Windows-125x) keeps markup
    characters at their ASCII byte values, so the prolog can be read on the raw bytes.
    """
    if len(data) > 1 and data[1] and data[0] not in (0, 0xFE, 0xFF):  # the common case: no signature can match
        return data
    for signature, codec in _WIDE_ENCODINGS:
        if data.startswith(signature):
            return data.decode(codec, errors="replace").removeprefix("\ufeff").encode("utf-8")
    return data


def _short(literal: bytes) -> str:
    text = literal.decode("utf-8", errors="replace")
    return text if len(text) <= 80 else text[:77] + "..."


def check_doctype(data: bytes, *, format: str) -> None:
    """Raise :class:`FormatError` if the prolog's DOCTYPE declares entities or names an external DTD."""
    buf = utf8_view(data)
    if b"<!DOCTYPE" not in buf:  # XML spells it in capitals only; most documents have none
        return
    pos = len(codecs.BOM_UTF8) if buf.startswith(codecs.BOM_UTF8) else 0
    while (item := _PROLOG_ITEM.match(buf, pos)) is not None:
        pos = item.end()
    if not buf.startswith(b"<!DOCTYPE", pos):
        return
    head = _DOCTYPE_HEAD.match(buf, pos)
    if head is None:
        raise _refuse(f"the DOCTYPE at byte {pos} cannot be read, so it cannot be checked for entity "
                      f"declarations. {_ADVICE}", format)
    if head["kind"]:
        raise _refuse(f"the DOCTYPE refers to an external DTD ({head['kind'].decode()} {_short(head['ids'])}); "
                      f"external DTDs are never loaded, because they can declare entities that read files "
                      f"or URLs. {_ADVICE}", format)
    pos = head.end()
    if not buf.startswith(b"[", pos):
        return
    pos += 1
    while True:
        item = _SUBSET_ITEM.match(buf, pos)
        if item is None:
            raise _refuse(f"the DOCTYPE holds a declaration at byte {pos} that the safety check does not read, "
                          f"so it cannot be checked for entities. {_ADVICE}", format)
        if item["entity"]:
            raise _refuse(_entity_message(item), format)
        if item["peref"]:
            raise _refuse(f"the DOCTYPE uses the parameter entity reference {item['peref'].decode()}; "
                          f"parameter entities are refused because they can pull in external declarations. "
                          f"{_ADVICE}", format)
        if item["end"]:
            return
        pos = item.end()


def _entity_message(item: re.Match[bytes]) -> str:
    name = item["name"].decode("utf-8", errors="replace")
    kind = "parameter entity" if item["percent"] else "entity"
    shown = f"%{name}" if item["percent"] else name
    if item["kind"]:
        source = f"{item['kind'].decode()} {_short(item['value'] or b'')}".strip()
        return (f"the XML declares the external {kind} '{shown}' ({source}) in its DOCTYPE; external "
                f"entities are refused because they would make the hub read local files or URLs (XXE). {_ADVICE}")
    return (f"the XML declares the {kind} '{shown}' in its DOCTYPE; entity declarations are refused "
            f"because nested entities expand into gigabytes ('billion laughs'). {_ADVICE}")


_PARSERS = threading.local()
_NOT_BLANK = re.compile(rb"[^\xef\xbb\xbf \t\r\n]")  # a document holds more than BOM and white space


def _parser() -> etree.XMLParser:
    # One parser per thread: lxml parsers keep state and must not be used by two threads at once, and making
    # one per document cost a sixth of a small document's parse.
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                                   dtd_validation=False, huge_tree=False, remove_comments=True)
    return parser


def parse_xml(data: bytes, *, format: str, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root element of the untrusted XML document ``data``, or :class:`FormatError` (kind malformed).

    ``format`` names the format being read, for the error. Refused: documents over
    ``max_bytes`` (checked before anything is parsed), DOCTYPEs with entity declarations or
    external DTDs, and anything that is not well-formed XML (the error names line and column).
    """
    if len(data) > max_bytes:
        raise _refuse(f"the document is {len(data):,} bytes, larger than the limit of {max_bytes:,} bytes; "
                      "split it or send the media as separate files", format, field="file")
    view = utf8_view(data)
    if b"<!DOCTYPE" in view:  # check_doctype's own first test, without a second view of the bytes
        check_doctype(data, format=format)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if not _NOT_BLANK.search(view):  # only a failed parse can be an empty document
            raise _refuse("the document is empty; expected an XML document", format, field="file") from None
        line, column = exc.position
        reason = _POSITION_SUFFIX.sub("", exc.msg)  # libxml2 repeats the position at the end
        raise _refuse(f"not well-formed XML at line {line}, column {column}: {reason}", format,
                      field=f"line {line}, column {column}") from None
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _refuse(f"the XML declares entities in its DOCTYPE; entity declarations are refused. {_ADVICE}", format)
    if docinfo.system_url or docinfo.public_id:
        raise _refuse(f"the DOCTYPE refers to an external DTD ({docinfo.system_url or docinfo.public_id}); "
                      f"external DTDs are never loaded. {_ADVICE}", format)
    return root


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold: control characters and lone surrogates are dropped."""
    return _NOT_XML_CHARS.sub("", str(value))


def _append_text(el: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(el):
        el[-1].tail = (el[-1].tail or "") + xml_text(text)
    else:
        el.text = (el.text or "") + xml_text(text)


def _graft(source: etree._Element, dest: etree._Element, namespace: str) -> None:
    _append_text(dest, source.text)
    for child in source:
        if isinstance(child.tag, str) and _XML_NAME.fullmatch(child.tag):
            el = etree.SubElement(dest, f"{{{namespace}}}{child.tag}")
            for key, value in child.attrib.items():
                if _XML_NAME.fullmatch(key):
                    el.set(key, xml_text(value))
            _graft(child, el, namespace)
        elif isinstance(child.tag, str):  # a name XML cannot hold (``a:b`` without a prefix): keep its content
            _graft(child, dest, namespace)
        _append_text(dest, child.tail)  # comments and processing instructions are dropped, their tails kept


def xhtml_document(title: str, *, html: str | None, text: str | None) -> etree._Element:
    """An XHTML ``html`` element: ``html`` (an HTML fragment) as its body, else ``text`` as paragraphs.

    The HTML is read leniently by libxml2's HTML parser (no DTD, no network), then copied
    element by element in the XHTML namespace, keeping only names XML can hold.
    """
    root = etree.Element(f"{{{XHTML}}}html", nsmap={None: XHTML})
    etree.SubElement(etree.SubElement(root, f"{{{XHTML}}}head"), f"{{{XHTML}}}title").text = xml_text(title)
    body = etree.SubElement(root, f"{{{XHTML}}}body")
    if html and html.strip():
        _graft(lxml_html.fragment_fromstring(html, create_parent="div"), body, XHTML)
    else:
        for paragraph in re.split(r"\n\s*\n", (text or "").strip()):
            etree.SubElement(body, f"{{{XHTML}}}p").text = xml_text(paragraph.strip())
    return root


def inner_markup(el: etree._Element) -> str | None:
    """The markup inside ``el`` with every namespace stripped (``xml:lang`` becomes ``lang``), or None."""
    clone = copy.deepcopy(el)
    clone.tail = None
    clone.attrib.clear()
    for node in clone.iter(tag=etree.Element):
        node.tag = etree.QName(node).localname
        for key in [k for k in node.attrib if k.startswith("{")]:
            value = node.attrib.pop(key)
            if key == _XML_LANG:
                node.set("lang", value)
    etree.cleanup_namespaces(clone)
    markup = etree.tostring(clone, encoding="unicode")
    if markup.endswith("/>") and markup.count("<") == 1:
        return None
    return markup[markup.index(">") + 1:markup.rindex("</")].strip() or None
