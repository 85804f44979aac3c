"""The NewsML-G2 vocabulary the reader (:mod:`newsml_g2`) and the writers (:mod:`newsml_g2_out`,
:mod:`newsml_g2_package`) share: the format's name, the NAR namespace, the Media Topics scheme, the item
natures, and the error both raise. Here so that neither side imports the other to get them."""

from __future__ import annotations

from newsbridge.formats.errors import FormatError, Kind

FORMAT_NAME = "newsml-g2"
NAR = "http://iptc.org/std/nar/2006-10-01/"
MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"
NATURES = ("text", "picture", "video", "audio", "graphic", "composite")


class NewsmlError(FormatError):
    """A NewsML-G2 document that cannot be read, or an Item that cannot be written as one."""

    def __init__(self, message: str, *, field: str | None = None, kind: Kind = "invalid") -> None:
        super().__init__(message, field=field, format=FORMAT_NAME, kind=kind)
