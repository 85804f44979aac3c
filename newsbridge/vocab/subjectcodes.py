"""IPTC Subject Codes for Media Topics, from the mapping IPTC publishes in the Media Topics vocabulary.

Systems built before Media Topics (Superdesk's NewsML-G2 and ninjs ingest among them) file news
by the older IPTC Subject Codes (``subj:11000000``). IPTC links each Media Topic to Subject Codes
in ``iptc-mediatopics.json`` itself (shipped unchanged, CC BY 4.0, see README.md): ``exactMatch``
(the same concept), ``closeMatch`` (nearly the same) and ``broadMatch`` (a Subject Code broader
than the topic). :func:`subject_codes` takes the closest kind a topic has; a topic with no link
at all (newer topics) takes its broader topic's, so every topic under a mapped top-level topic
reaches a Subject Code. Nothing is guessed beyond IPTC's own links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from newsbridge.vocab.mediatopics import URI_PREFIX, subject_qcode, vocabulary

SUBJECTCODE_PREFIX = "http://cv.iptc.org/newscodes/subjectcode/"
_KINDS = ("exactMatch", "closeMatch", "broadMatch")  # closest first
_CODE = re.compile(r"\d{8}")


def subject_code(subject: dict[str, Any]) -> str | None:
    """The Subject Code a ninjs subject names itself (its URI, or a ``subj:`` qcode kept as literal), if any."""
    uri, literal = str(subject.get("uri") or ""), str(subject.get("literal") or "")
    if uri.startswith(SUBJECTCODE_PREFIX) and _CODE.fullmatch(code := uri.removeprefix(SUBJECTCODE_PREFIX)):
        return code
    if literal.startswith("subj:") and _CODE.fullmatch(code := literal.removeprefix("subj:")):
        return code
    return None


@cache
def _links() -> dict[str, tuple[str, ...]]:
    """Media Topic qcode -> the Subject Codes of its closest kind of link, as IPTC publishes them."""
    raw = json.loads(resources.files("newsbridge.vocab").joinpath("iptc-mediatopics.json").read_text("utf-8"))
    links: dict[str, tuple[str, ...]] = {}
    for concept in raw["conceptSet"]:
        for kind in _KINDS:
            codes = tuple(m.removeprefix(SUBJECTCODE_PREFIX) for m in concept.get(kind) or []
                          if m.startswith(SUBJECTCODE_PREFIX))
            if codes:
                links["medtop:" + concept["uri"].removeprefix(URI_PREFIX)] = codes
                break
    return links


@cache
def subject_codes(qcode: str) -> tuple[str, ...]:
    """The Subject Codes (8 digits) for a Media Topic qcode: its own link, else its nearest broader topic's."""
    if found := _links().get(qcode):
        return found
    topic = vocabulary().get(qcode)
    for parent in topic.broader if topic else ():
        if found := subject_codes(parent):
            return found
    return ()


def subject_code_subjects(subjects: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """ninjs 3.x subjects naming Subject Codes, for systems that read only those: the item's own
    Subject Codes (NITF and NewsML 1.x wires send them), then those of its Media Topics (named by the
    topic they came from), each code once."""
    subjects = list(subjects)
    out: dict[str, dict[str, str]] = {}
    for subject in subjects:
        if code := subject_code(subject):
            out.setdefault(code, {"name": subject.get("name") or code, "uri": SUBJECTCODE_PREFIX + code})
    for subject in subjects:
        qcode = subject_qcode(subject)
        for code in subject_codes(qcode) if qcode else ():
            out.setdefault(code, {"name": subject.get("name") or vocabulary()[qcode].label,  # type: ignore[index]
                                  "uri": SUBJECTCODE_PREFIX + code})
    return list(out.values())
