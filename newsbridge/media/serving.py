"""What a signed media URL serves: the rendition's blob and the facts its answer's headers need.

Asked at every request of ``GET /media/{rendition_id}`` (api/media_serving.py), so the common case is
one query: the rendition joined to its media. The media's owner is always entitled to it; anyone else
goes through :func:`~newsbridge.media.entitlement.entitled` (an available, not withdrawn item carrying
the media, and the agreement's media rules: one more query), never cached, so a withdrawal holds at once.
The same query says whether the hub operator suspended the asking organization: then nothing is served.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import get_organization_by_id
from newsbridge.accounts.suspension import CONTACT, OrganizationSuspended
from newsbridge.db.engine import reading
from newsbridge.errors import NotFound
from newsbridge.media.entitlement import entitled, entitled_on_sqlite

# text, not a Core select: this runs for every range a player asks for, and a select's cache key
# costs more than the query itself on SQLite
_LOOKUP_SQL = ("SELECT r.name, r.sha256, r.size, r.content_type, m.id AS media_id, m.organization_id, m.filename, "
               "r.width, r.height, m.kind, m.gps, "
               "EXISTS (SELECT 1 FROM organization_suspensions s WHERE s.organization_id = :viewer) AS suspended "
               "FROM renditions r JOIN media m ON m.id = r.media_id WHERE r.id = :rendition_id")
_LOOKUP = sa.text(_LOOKUP_SQL)


class Looked(NamedTuple):
    """The lookup's row (its columns in order): what the answer and the entitlement rule read."""

    name: str
    sha256: str
    size: int
    content_type: str
    media_id: str
    organization_id: str
    filename: str | None
    width: int | None
    height: int | None
    kind: str
    gps: str | None
    suspended: Any


@dataclass(frozen=True)
class Served:
    id: str
    name: str
    sha256: str
    size: int
    content_type: str
    media_id: str
    filename: str | None
    owner_id: str = ""  # the organization whose media it is


def served_rendition(conn: Connection, organization_id: str, rendition_id: str) -> Served:
    """The rendition ``organization_id`` may fetch now; NotFound otherwise (whatever the signature).
    A suspended organization's URLs stop at once, as its keys and sessions do: OrganizationSuspended
    (403), also for its own media."""
    row = conn.execute(_LOOKUP, {"rendition_id": rendition_id, "viewer": organization_id}).first()
    if row is not None and row.suspended:
        viewer = get_organization_by_id(conn, organization_id)
        raise OrganizationSuspended(CONTACT.format(name=viewer.name), field="org")
    if row is None or (row.organization_id != organization_id and not entitled(conn, organization_id, row)):
        raise NotFound(f"no media {rendition_id!r}", field="rendition")
    return _served(rendition_id, row)


def serve(engine: Engine, organization_id: str, rendition_id: str) -> Served:
    """:func:`served_rendition` in a unit of work of its own, as each range asks it. On SQLite the statements
    run on the pooled driver connection, outside a transaction (one statement reads one consistent state):
    SQLAlchemy's connection, transaction and result cost twice the lookup (60 of 95 µs a range) and five
    times the entitlement's statement (media/entitlement.py ``entitled_on_sqlite``: 340 µs where the
    statement takes 60). The media's owner is answered by the lookup; anyone else by the entitlement's
    one statement, nothing cached. Other databases take :func:`served_rendition`."""
    if engine.dialect.name != "sqlite":
        with reading(engine) as conn:
            return served_rendition(conn, organization_id, rendition_id)
    with engine.connect() as conn:
        return _serve_on(conn.connection.driver_connection, organization_id, rendition_id)  # type: ignore[arg-type]


def _serve_on(driver: sqlite3.Connection, organization_id: str, rendition_id: str) -> Served:
    """:func:`served_rendition` on a SQLite driver connection (autocommit: each statement its own read)."""
    found = driver.execute(_LOOKUP_SQL, {"rendition_id": rendition_id, "viewer": organization_id}).fetchone()
    row = Looked(*found) if found is not None else None
    if row is not None and row.organization_id == organization_id and not row.suspended:
        return _served(rendition_id, row)
    if row is None:
        raise NotFound(f"no media {rendition_id!r}", field="rendition")
    if row.suspended:
        named = driver.execute("SELECT name FROM organizations WHERE id = ?", (organization_id,)).fetchone()
        raise OrganizationSuspended(CONTACT.format(name=named[0] if named else organization_id), field="org")
    if not entitled_on_sqlite(driver, organization_id, row):
        raise NotFound(f"no media {rendition_id!r}", field="rendition")
    return _served(rendition_id, row)


def _served(rendition_id: str, row: Any) -> Served:
    return Served(rendition_id, row.name, row.sha256, int(row.size), row.content_type, row.media_id, row.filename,
                  row.organization_id)


class AtOnce(threading.local):
    """Per thread: for each SQLite file hub, a driver connection of its own that never waits (below)."""

    def __init__(self) -> None:
        self.connections: weakref.WeakKeyDictionary[Engine, sqlite3.Connection] = weakref.WeakKeyDictionary()


_AT_ONCE = AtOnce()


def serve_at_once(engine: Engine, organization_id: str, rendition_id: str) -> Served | None:
    """:func:`serve` made on the calling thread (the event loop's) when that needs no waiting; None when it
    could not be made so (the caller then asks :func:`serve` on a worker thread).

    A range then needs no trip to a worker thread, whose handoffs cost more CPU than the owner's lookup
    and as much as a partner's entitlement (on SQLite a read holds Python's lock nearly all along: a thread
    lets the event loop do little meanwhile). Only for a SQLite file, on a driver connection of this
    thread's own (not the pool's: a checkout may wait for a free connection; nor SQLAlchemy's connection,
    whose checkout and reset cost three times the owner's lookup), read-only (``query_only``), with no busy
    timeout: a database that is busy (a checkpoint, another process's recovery) or any database error
    answers None, and the worker thread waits as every request does. The same statements as :func:`serve`
    (WAL: the latest committed state), nothing cached but the connection."""
    if engine.dialect.name != "sqlite":
        return None
    connections = _AT_ONCE.connections
    own = connections.get(engine)
    try:
        if own is None:
            own = _connection_at_once(engine)
            if own is None:
                return None
            connections[engine] = own
        return _serve_on(own, organization_id, rendition_id)
    except sqlite3.Error:
        return None


def _connection_at_once(engine: Engine) -> sqlite3.Connection | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:") or engine.url.query:
        return None  # a database only the pool's connections see, or options this one would not apply
    own = sqlite3.connect(database, timeout=0, isolation_level=None)  # autocommit, as the engine's
    try:
        own.execute("PRAGMA query_only=ON")
    except BaseException:
        own.close()
        raise
    return own
