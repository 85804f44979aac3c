"""IPTC Media Topics: concepts, labels and the broader/narrower hierarchy.

Items and agreements name topics by qcode (``medtop:11000000``). Senders also write the
full URI (``http://cv.iptc.org/newscodes/mediatopic/11000000``) or a bare code in
``literal``; :func:`subject_qcode` reads all three. An agreement's topic covers its narrower
topics, so matching asks whether a term's topic is among an item topic's ancestors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

URI_PREFIX = "http://cv.iptc.org/newscodes/mediatopic/"
_CODE = re.compile(r"^\d{8}$")


@dataclass(frozen=True)
class Topic:
    qcode: str
    labels: dict[str, str]
    broader: tuple[str, ...]
    retired: bool

    @property
    def label(self) -> str:
        return self.labels.get("en-GB") or next(iter(self.labels.values()), self.qcode)


def _qcode(uri: str) -> str:
    return "medtop:" + uri.removeprefix(URI_PREFIX)


@cache
def vocabulary() -> dict[str, Topic]:
    """Every concept by qcode (loaded once per process)."""
    raw = json.loads(resources.files("newsbridge.vocab").joinpath("iptc-mediatopics.json").read_text("utf-8"))
    return {
        c["qcode"]: Topic(c["qcode"], dict(c.get("prefLabel", {})), tuple(_qcode(b) for b in c.get("broader", [])),
                          bool(c.get("retired")))
        for c in raw["conceptSet"]
    }


@cache
def ancestors(qcode: str) -> frozenset[str]:
    """The topic and every broader topic above it (empty for an unknown qcode)."""
    topic = vocabulary().get(qcode)
    if topic is None:
        return frozenset()
    found = {qcode}
    for parent in topic.broader:
        found |= ancestors(parent)
    return frozenset(found)


def is_known(qcode: str) -> bool:
    return qcode in vocabulary()


def normalize_qcode(value: str) -> str | None:
    """``medtop:11000000``, ``11000000`` or the concept URI, as a known qcode; else None."""
    value = value.strip()
    if value.startswith(URI_PREFIX):
        value = _qcode(value)
    elif _CODE.match(value):
        value = "medtop:" + value
    return value if value in vocabulary() else None


def subject_qcode(subject: dict[str, Any]) -> str | None:
    """The Media Topic a ninjs subject names, if it names one."""
    for key in ("uri", "literal", "code", "qcode"):
        value = subject.get(key)
        if isinstance(value, str) and (found := normalize_qcode(value)):
            return found
    return None


def item_topics(subjects: Iterable[dict[str, Any]]) -> frozenset[str]:
    """Every Media Topic an item is about, with all their broader topics."""
    found: set[str] = set()
    for subject in subjects:
        if qcode := subject_qcode(subject):
            found |= ancestors(qcode)
    return frozenset(found)


def topic_subject(qcode: str) -> dict[str, str]:
    """A ninjs subject naming a Media Topic (``medtop:...``), as the hub writes it."""
    topic = vocabulary()[qcode]
    return {"name": topic.label, "uri": URI_PREFIX + qcode.removeprefix("medtop:")}
