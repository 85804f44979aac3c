"""A NewsML-G2 package read back as what it stands for: a text item with its media as ninjs associations.

A newsMessage may carry a packageItem that groups a text newsItem with the newsItems of its media
(pictures, video, audio, graphics), as the hub's own writer sends a story with its photo
(:mod:`newsbridge.formats.newsml_g2_package`). Read item by item, that is a text without its media,
the media as items of their own, and a composite naming them. :func:`fold_packages` puts them back
together: when every item a packageItem names is in the same message, one of them is a text and the
others are media (picture, video, audio, graphic), that text gets the others as ``associations`` (each a ninjs 3.x object: ``name`` from the itemRef's
``title``, then the media item itself, its renditions included), and the package and the folded media
leave the list. Any other package (one naming what the message does not hold, or several texts, as
IPTC's LISTING 24) is left as it was read.
Pure: items in, items out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3

MEDIA_NATURES = ("picture", "video", "audio", "graphic")


def _association(ref: dict[str, Any], member: Item) -> dict[str, Any]:
    """The media item as the text's association; the itemRef's title (the reader's ``name``) names it."""
    doc = to_ninjs3(member)
    name = ref.get("name")
    return {"name": name, **doc} if isinstance(name, str) and name != ref.get("uri") else doc


def fold_packages(items: list[Item]) -> list[Item]:
    """``items`` (as one newsMessage held them) with each package whose members are all there folded into
    its text item (see the module's docstring); everything else as it was, in the same order."""
    packages = [i for i in items if i.type == "composite" and i.associations]
    if not packages:
        return items
    by_uri = {i.uri: i for i in items if i.uri and i.type != "composite"}
    folded: dict[int, Item] = {}  # id of the text item -> the text with its associations
    gone: set[int] = set()
    for package in packages:
        refs = package.associations
        members = [by_uri.get(ref.get("uri")) for ref in refs]  # type: ignore[arg-type]
        texts = [m for m in members if m is not None and m.type == "text"]
        if len(texts) != 1 or id(text := texts[0]) in folded or len({id(m) for m in members}) != len(members) \
                or any(m is None or m is not text and m.type not in MEDIA_NATURES for m in members):
            continue
        associations = [_association(ref, m) for ref, m in zip(refs, members) if m is not text]  # type: ignore[arg-type]
        folded[id(text)] = replace(text, associations=text.associations + associations)
        gone |= {id(package)} | {id(m) for m in members if m is not text}
    return [folded.get(id(i), i) for i in items if id(i) not in gone]
