"""The NITF reader's shortcuts (white space, attributes, the body's walk) give what the long way gave,
and values that bend NITF become warnings, never a crash."""

from __future__ import annotations

import pytest

from newsbridge.formats.nitf import parse_nitf

DOC = """<nitf baselang="en"><head><title>{title}</title><docdata management-status="usable"><doc-id id-string="d1"/>
{docdata}</docdata></head><body><body.head><hedline><hl1>{hl1}</hl1></hedline>{bhead}</body.head>
<body.content>{content}</body.content></body></nitf>"""


def nitf(*, title: str = "T", hl1: str = "H", docdata: str = "", bhead: str = "", content: str = "<p>x</p>") -> bytes:
    return DOC.format(title=title, hl1=hl1, docdata=docdata, bhead=bhead, content=content).encode()


@pytest.mark.parametrize("raw, want", [
    ("Плотина  на\nреке ", "Плотина на реке"),
    ("\u00a0Tehran\u2003talks\u3000", "Tehran talks"),
    ("می\u200cخواهد", "می\u200cخواهد"),  # a zero-width non-joiner is not white space: kept
    ("Already clean", "Already clean"),
    (" \n\t ", None),
])
def test_nitf_headline_white_space_is_squeezed(raw: str, want: str | None) -> None:
    [item] = parse_nitf(nitf(hl1=raw, title="Title"))

    assert item.headline == (want or "Title")


def test_nitf_byline_leaves_out_its_title_and_keeps_word_breaks() -> None:
    bhead = "<byline>\n  By <person>Ann\u00a0Lee</person>,<byttl>Staff\nWriter</byttl> in Oslo </byline>"
    [item] = parse_nitf(nitf(bhead=bhead))

    assert item.byline == "By Ann Lee , in Oslo"


@pytest.mark.parametrize("docdata, code, check", [
    ('<date.issue norm="2019-13-45"/>', "time_unreadable", lambda i: i.firstcreated is None),
    ('<date.issue norm="٢٠١٩-٠١-٠٢"/>', "time_unreadable", lambda i: i.firstcreated is None),
    ('<urgency ed-urg="²"/>', "value_invalid", lambda i: i.urgency is None),
    ('<urgency ed-urg="٣"/>', None, lambda i: i.urgency == 3),
])
def test_nitf_odd_values_become_warnings(docdata: str, code: str | None, check: object) -> None:
    [item] = parse_nitf(nitf(docdata=docdata))

    assert [w.code for w in item.warnings] == ([code] if code else [])
    assert check(item)  # type: ignore[operator]


def test_nitf_subjects_read_every_attribute_spelling() -> None:
    docdata = ""
    head = ('<tobject><tobject.subject tobject.subject.refnum=" 04000000 " tobject.subject.matter="economy"/>'
            '<tobject.subject tobject.subject.ipr="ntb" tobject.subject.refnum="x1" tobject.subject.detail="d"'
            ' tobject.subject.type="t"/><tobject.subject tobject.subject.type="no refnum"/></tobject>')
    data = nitf(docdata=docdata).replace(b"</docdata>", b"</docdata>" + head.encode())
    [item] = parse_nitf(data)

    assert item.subjects == [
        {"name": "economy", "uri": "http://cv.iptc.org/newscodes/subjectcode/04000000", "rel": "about"},
        {"name": "d", "literal": "ntb:x1", "rel": "about"},
    ]


def test_nitf_body_walk_drops_and_renames_at_any_depth() -> None:
    content = ('<block xml:lang="nn"><media><media-metadata name="a"><media-reference source="id-1"/>'
               '</media-metadata><media-reference source="http://x.example/p.jpg"/></media>tail<bq>q</bq></block>')
    [item] = parse_nitf(nitf(content=content))

    assert item.body_html == '<div lang="nn"><figure><img src="http://x.example/p.jpg" alt=""/></figure>tail' \
                             '<blockquote>q</blockquote></div>'
