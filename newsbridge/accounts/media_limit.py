"""Each organization's media file size limit: the hub's ``NEWSBRIDGE_MAX_MEDIA_BYTES`` unless the hub operator
gave it one of its own (a documentary centre sending hour-long masters, a partner on a narrow link).

The limit holds for every way a file reaches the hub for that organization: a tus upload (its
``Upload-Length``), a multipart upload and a rendition the hub fetches for one of its sources. A multipart body
is also capped, before anyone is known, at the hub's own setting (the request's size guard): a file above it
goes by tus. The operator sets it in the console (an organization's page) or with ``newsbridge org media-limit``;
both are on the audit log (``operator.media_limit_set`` and the organization's ``organization.media_limit_set``).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.accounts import audit
from newsbridge.accounts.organizations import Organization
from newsbridge.db.tables import organizations
from newsbridge.errors import InvalidInput
from newsbridge.ids import utcnow

SMALLEST = 1024 * 1024  # below a mebibyte no photo or clip fits: surely a mistake
LARGEST = 16 * 1024 ** 4  # 16 TiB: beyond any file system the blob store sits on
UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000 ** 2, "mb": 1000 ** 2, "mib": 1024 ** 2,
         "g": 1000 ** 3, "gb": 1000 ** 3, "gib": 1024 ** 3, "t": 1000 ** 4, "tb": 1000 ** 4, "tib": 1024 ** 4}
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z]*)\s*$")
HUB_DEFAULT = ("", "default", "hub", "none")  # what clears an organization's own limit
LIMIT_SOURCE = "NEWSBRIDGE_MAX_MEDIA_BYTES, or the limit the hub operator set for it"  # where a 413 says it comes from


def media_limit(org: Organization, hub_limit: int) -> int:
    """The largest media file ``org`` may send: its own limit, else the hub's (``NEWSBRIDGE_MAX_MEDIA_BYTES``)."""
    return org.max_media_bytes if org.max_media_bytes is not None else hub_limit


def media_limit_of(conn: Connection, organization_id: str, hub_limit: int) -> int:
    """:func:`media_limit` by the organization's id (one indexed read); the hub's limit for an unknown id."""
    own = conn.execute(sa.select(organizations.c.max_media_bytes)
                       .where(organizations.c.id == organization_id)).scalar_one_or_none()
    return own if own is not None else hub_limit


def parse_size(text: str) -> int | None:
    """``"5 GiB"``, ``"500 MB"``, ``"1.5 TB"`` or a number of bytes; None for the hub's default (an empty
    value, ``default``). InvalidInput (field ``max_media_bytes``) for anything else or out of range."""
    if text.strip().lower() in HUB_DEFAULT:
        return None
    found = _SIZE.match(text)
    unit = found.group(2).lower() if found else None
    if found is None or unit not in UNITS:
        raise InvalidInput(f"{text!r} is not a size: write it like 5 GiB, 500 MB or 2000000000 (bytes), or "
                           "'default' for the hub's limit", field="max_media_bytes")
    size = int(float(found.group(1).replace(",", ".")) * UNITS[unit])
    if not SMALLEST <= size <= LARGEST:
        raise InvalidInput(f"{text!r} is out of range: give between 1 MiB and 16 TiB", field="max_media_bytes")
    return size


def describe_size(size: int) -> str:
    """A size as people write it: ``20 GiB``, ``500 MiB``, ``1.5 GiB`` (binary units, as the setting's default)."""
    for unit, factor in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{size} B"


def exact_size(size: int) -> str:
    """A size written so that :func:`parse_size` reads back exactly the same bytes (a form's value):
    ``5 GiB``, ``500 MB``, else the bytes."""
    for unit, factor in (("TiB", 1024 ** 4), ("TB", 1000 ** 4), ("GiB", 1024 ** 3), ("GB", 1000 ** 3),
                         ("MiB", 1024 ** 2), ("MB", 1000 ** 2)):
        if size % factor == 0:
            return f"{size // factor} {unit}"
    return str(size)


def set_media_limit(conn: Connection, org: Organization, limit: int | None, *, actor: str,
                    address: str | None = None) -> Organization:
    """Give ``org`` a media file size limit of its own (``limit`` bytes) or, with None, the hub's again; on the
    operator's audit log and on the organization's own. Uploads already under way keep the length they declared."""
    if limit is not None and not SMALLEST <= limit <= LARGEST:
        raise InvalidInput(f"{limit} bytes is out of range: give between 1 MiB and 16 TiB", field="max_media_bytes")
    now = utcnow()
    conn.execute(organizations.update().where(organizations.c.id == org.id).values(max_media_bytes=limit))
    detail = {"before": org.max_media_bytes, "after": limit}
    audit.record(conn, "operator.media_limit_set", organization_id=None, actor=actor, target=org.slug,
                 address=address, detail=detail, at=now)
    audit.record(conn, "organization.media_limit_set", organization_id=org.id, actor=actor, target=org.slug,
                 address=address, detail=detail, at=now)
    return Organization(**{**org.__dict__, "max_media_bytes": limit})
