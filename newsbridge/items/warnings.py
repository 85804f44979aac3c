"""Ingest warnings of stored versions: what a reader assumed to accept each one.

The readers (``newsbridge.formats``) record them on the item; the store keeps them with the
version (``item_versions.ingest_warnings``); the API shows them as ``hub.warnings`` and the desk
on the item page. They are read only where one version is shown, never on feed pages.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from newsbridge.db.tables import item_versions


def version_warnings(conn: Connection, item_id: str, version: int) -> list[dict[str, Any]]:
    """The warnings stored with ``version`` of the item (``code``, ``field``, ``message``); [] when none.
    The caller has already checked that the viewer may see that version."""
    found = conn.execute(sa.select(item_versions.c.ingest_warnings).where(
        item_versions.c.item_id == item_id, item_versions.c.version == version)).scalar()
    return list(found or [])
