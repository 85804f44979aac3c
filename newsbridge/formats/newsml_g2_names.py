"""The NewsML-G2 vocabulary the reader (:mod:`newsml_g2`) and the writers (:mod:`newsml_g2_out`,
:mod:`newsml_g2_package`) share: the format's name, the NAR namespace, the Media Topics scheme, the item
natures, the error both raise, and how the writers add an element. Here so that neither side imports the
other to get them."""

from __future__ import annotations

from typing import Any

from lxml import etree

from newsbridge.formats.errors import FormatError, Kind
from newsbridge.formats.xml_safety import xml_text

FORMAT_NAME = "newsml-g2"
NAR = "http://iptc.org/std/nar/2006-10-01/"
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"
NATURES = ("text", "picture", "video", "audio", "graphic", "composite")


class NewsmlError(FormatError):
    """A NewsML-G2 document that cannot be read, or an Item that cannot be written as one."""

    def __init__(self, message: str, *, field: str | None = None, kind: Kind = "invalid") -> None:
        super().__init__(message, field=field, format=FORMAT_NAME, kind=kind)


def q(name: str) -> str:
    """``name`` in the NAR namespace, as lxml spells it."""
    return f"{{{NAR}}}{name}"


def sub(parent: etree._Element, name: str, text: Any = None, **attrs: Any) -> etree._Element:
    """A NAR element under ``parent``, with the attributes that are not None and ``text``, each made safe
    for XML (:func:`~newsbridge.formats.xml_safety.xml_text`)."""
    el = etree.SubElement(parent, q(name), {k: xml_text(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = xml_text(text)
    return el
