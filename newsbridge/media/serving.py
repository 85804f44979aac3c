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
from newsbridge.media.entitlement import entitled

# text, not a Core select: this runs for every range a player asks for, and a select's cache key
# costs more than the query itself on SQLite
_LOOKUP_SQL = ("SELECT r.name, r.sha256, r.size, r.content_type, m.id AS media_id, m.organization_id, m.filename, "
               "r.width, r.height, m.kind, m.status, "
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
    status: str
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


def serve(engine: Engine, organization_id: str, rendition_id: str, looked: Looked | None = None) -> Served:
    """:func:`served_rendition` in a unit of work of its own, as each range asks it. On SQLite the lookup
    runs on the pooled driver connection, outside a transaction (one statement reads one consistent
    state): SQLAlchemy's connection, transaction and result cost twice the statement, 60 of 95 µs a range.
    The media's owner is then answered; for anyone else the same connection asks the entitlement (and a
    suspended organization its name) in a transaction as before, nothing cached. Other databases take
    :func:`served_rendition`. ``looked``: the lookup's row, made already by :func:`look_up_at_once`."""
    if engine.dialect.name != "sqlite":
        with reading(engine) as conn:
            return served_rendition(conn, organization_id, rendition_id)
    with engine.connect() as conn:
        row = looked
        if row is None:
            found = conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                _LOOKUP_SQL, {"rendition_id": rendition_id, "viewer": organization_id}).fetchone()
            row = Looked(*found) if found is not None else None
        if row is not None and row.organization_id == organization_id and not row.suspended:
            return _served(rendition_id, row)
        if row is None:
            raise NotFound(f"no media {rendition_id!r}", field="rendition")
        with conn.begin():
            if row.suspended:
                viewer = get_organization_by_id(conn, organization_id)
                raise OrganizationSuspended(CONTACT.format(name=viewer.name), field="org")
            if not entitled(conn, organization_id, row):
                raise NotFound(f"no media {rendition_id!r}", field="rendition")
    return _served(rendition_id, row)


def _served(rendition_id: str, row: Any) -> Served:
    return Served(rendition_id, row.name, row.sha256, int(row.size), row.content_type, row.media_id, row.filename,
                  row.organization_id)


class AtOnce(threading.local):
    """Per thread: a connection to each SQLite file hub that never waits (below)."""

    def __init__(self) -> None:
        self.connections: weakref.WeakKeyDictionary[Engine, sqlite3.Connection | None] = weakref.WeakKeyDictionary()


_AT_ONCE = AtOnce()


def look_up_at_once(engine: Engine, organization_id: str, rendition_id: str) -> tuple[bool, Looked | None]:
    """The lookup of :func:`serve`, made on the calling thread (the event loop's) when it cannot wait:
    (True, the row or None when there is no such rendition), or (False, None) when it was not made.

    A range of the media's owner then needs no trip to a worker thread, whose handoffs cost more CPU than
    the statement (on SQLite a read holds Python's lock all along anyway: a thread gains nothing).
    Only for a SQLite file, on a connection of this thread's own (not the pool's: its checkout may wait
    for a free connection), read-only (``query_only``) in autocommit: one statement reads one consistent
    state, the latest committed (WAL). It never waits: no busy timeout, so a database that is busy (a
    checkpoint, another process's recovery) or any error answers (False, None) and the caller asks
    :func:`serve` on a worker thread, which waits as every request does. Nothing is cached but the
    connection: the row is read at every range."""
    if engine.dialect.name != "sqlite":
        return False, None
    connections = _AT_ONCE.connections
    connection = connections.get(engine, False)
    if connection is False:
        connection = connections[engine] = _connect_at_once(engine)
    if connection is None:
        return False, None
    try:
        found = connection.execute(_LOOKUP_SQL, {"rendition_id": rendition_id, "viewer": organization_id}).fetchone()
    except sqlite3.Error:
        return False, None
    return True, (Looked(*found) if found is not None else None)


def _connect_at_once(engine: Engine) -> sqlite3.Connection | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:") or engine.url.query:
        return None  # a database only the pool's connections see, or options this one would not apply
    try:
        connection = sqlite3.connect(database, timeout=0, isolation_level=None)
        connection.execute("PRAGMA query_only=ON")
    except sqlite3.Error:
        return None
    return connection


def serve_at_once(engine: Engine, organization_id: str, rendition_id: str) -> tuple[Served | None, Looked | None]:
    """:func:`serve`'s answer as far as :func:`look_up_at_once` gives it without waiting: (the rendition,
    None) for its media's owner; NotFound when there is no such rendition; (None, the row) for anyone else
    or a suspended owner, whose entitlement :func:`serve` asks with that row; (None, None): not looked up."""
    made, row = look_up_at_once(engine, organization_id, rendition_id)
    if not made:
        return None, None
    if row is None:
        raise NotFound(f"no media {rendition_id!r}", field="rendition")
    if row.organization_id == organization_id and not row.suspended:
        return _served(rendition_id, row), None
    return None, row
