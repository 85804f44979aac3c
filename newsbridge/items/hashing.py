"""Content hashes of item versions: how a resent identical version is recognized.

A version's content is its ninjs 3.x document without ``version``: exactly what a receiver
would be sent, so two items are the same content when they serialize the same (a source's
``standard`` declaring ninjs 2.x or 3.x, say, is written as 3.1 either way and hashes alike).
The document is built once per version: the hash and the stored ``document`` share it.

Hashes are ``"2:"`` and 62 hex digits of SHA-256 over the document encoded by orjson with
sorted keys. Versions stored before this format hold the first one: 64 hex digits of SHA-256
over ``json.dumps(document, sort_keys=True, ensure_ascii=False)``, which cost ten times as much
to compute. Such rows are never rewritten: :func:`same_content` recognizes either format, so an
identical resend of a version stored before the change is still answered as unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3

PREFIX = "2:"
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def unversioned_document(item: Item) -> dict[str, Any]:
    """``item``'s ninjs 3.x document without ``version``: what its content hash covers."""
    doc = to_ninjs3(item)
    doc.pop("version", None)
    return doc


def versioned_document(unversioned: dict[str, Any], version: str) -> dict[str, Any]:
    """The document of :func:`unversioned_document` with ``version`` where ``to_ninjs3`` puts it
    (after ``uri`` and ``type``), so stored documents keep the key order readers expect."""
    doc: dict[str, Any] = {"uri": unversioned["uri"], "type": unversioned["type"], "version": version}
    doc.update(unversioned)  # uri and type keep their places; the rest follow in order
    return doc


def hash_document(unversioned: dict[str, Any]) -> str:
    """The content hash of an unversioned ninjs 3.x document."""
    try:
        data = orjson.dumps(unversioned, option=_OPTIONS)
    except TypeError:  # what orjson refuses (integers beyond 64 bits): the standard library writes it
        data = json.dumps(unversioned, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return PREFIX + hashlib.sha256(data).hexdigest()[:64 - len(PREFIX)]


def legacy_hash_document(unversioned: dict[str, Any]) -> str:
    """The hash versions stored before the ``2:`` format hold (see the module)."""
    return hashlib.sha256(json.dumps(unversioned, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def content_hash(item: Item) -> str:
    """Hash of everything but the version: equal content gives equal hashes."""
    return hash_document(unversioned_document(item))


def same_content(stored_hash: str, content_hash: str, unversioned: dict[str, Any]) -> bool:
    """Whether a stored version's hash is that of this content (given its hash and unversioned
    document), in the current format or the one before it."""
    if stored_hash == content_hash:
        return True
    if stored_hash.startswith(PREFIX):
        return False
    try:
        return stored_hash == legacy_hash_document(unversioned)
    except (TypeError, ValueError):  # content the old encoder could not write was never stored under it
        return False
