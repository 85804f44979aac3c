"""``carries_package``: whether a ninjs document comes out of the NewsML-G2 writer as a newsMessage with its
package. It must agree with the writer for every shape of ``associations``, junk included."""

from __future__ import annotations

from typing import Any

import pytest

from newsbridge.formats.newsml_g2_package import carries_package, media_type, to_newsml_package
from newsbridge.formats.ninjs import item_from_ninjs

PHOTO = {"name": "photo", "type": "picture",
         "renditions": [{"name": "original", "href": "https://hub.example/media/1", "contentType": "image/jpeg"}]}


@pytest.mark.parametrize("associations", [
    None, [], ["junk", 3, None], [{"name": "no renditions"}], [{"renditions": [{"name": "original"}]}],
    [{"renditions": [{"href": "https://hub.example/media/2", "contentType": "text/plain"}]}],
    [PHOTO], ["junk", PHOTO], [{**PHOTO, "type": None}], "not a list"])
def test_the_predicate_agrees_with_the_writer(associations: Any) -> None:
    doc: dict[str, Any] = {"uri": "urn:alpha:story:1", "type": "text", "language": "en",
                           "versionCreated": "2026-12-06T06:00:00Z", "headlines": [{"role": "main", "value": "Flood in Oral"}]}
    if associations is not None:
        doc["associations"] = associations
    written = media_type(to_newsml_package(item_from_ninjs(doc))) == "application/vnd.iptc.g2.newsmessage+xml"
    assert carries_package(doc) is written
