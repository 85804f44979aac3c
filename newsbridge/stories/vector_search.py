"""Which vector search this hub's database offers, found when the hub starts (``/healthz`` says it).

* SQLite: ``exact-window``. This Python's ``sqlite3`` is built without extension loading, so
  ``sqlite-vec`` cannot be loaded; vectors are compared exactly within the candidate window.
* PostgreSQL: the server's catalogue is asked whether the ``vector`` extension (pgvector) is
  available (``pg_available_extensions``). Absent (Debian 12's archive has no package for it):
  ``exact-window``. Available but not created in this database: the hub creates it when its role
  may (``CREATE EXTENSION``: a superuser, or the database's owner when the extension is marked
  trusted), and says ``not created`` otherwise.

``/healthz`` reports both: ``vector_search`` (what the story worker and cross-lingual search use:
``exact-window`` on every answer so far, since candidate search by a pgvector index is not written
yet) and ``vector_extension`` (``unsupported`` on SQLite, ``absent``, ``not created``,
``created``), what an operator checks after installing the package (docs/stories.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

EXACT = "exact-window"


@dataclass(frozen=True)
class Catalogue:
    """What the PostgreSQL server says of ``vector``: packaged on the server, and created here."""

    available: bool
    installed: bool


@dataclass(frozen=True)
class VectorSearch:
    mode: str  # exact-window (the candidate search in use)
    extension: str  # unsupported (SQLite) | absent | not created | created | unknown (database down at start)

    def as_dict(self) -> dict[str, str]:
        return {"vector_search": self.mode, "vector_extension": self.extension}


def read_catalogue(conn: Connection) -> Catalogue:
    row = conn.execute(sa.text("SELECT installed_version FROM pg_available_extensions WHERE name = 'vector'")).first()
    return Catalogue(available=row is not None, installed=row is not None and row[0] is not None)


def create_extension(conn: Connection) -> bool:
    """``CREATE EXTENSION vector``, when this role may; False (logged) when it may not."""
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        return True
    except DBAPIError as exc:
        log.warning("pgvector is available but could not be created: %s", exc.orig)
        return False


def detect(engine: Engine, catalogue: Callable[[Connection], Catalogue] = read_catalogue,
           create: Callable[[Connection], bool] = create_extension) -> VectorSearch:
    """The vector search the database offers (see the module's note); ``catalogue`` and ``create``
    are the server's answers (tests give other answers than this machine's PostgreSQL can)."""
    if engine.dialect.name != "postgresql":
        return VectorSearch(EXACT, "unsupported")
    try:
        with engine.begin() as conn:
            found = catalogue(conn)
            if not found.available:
                return VectorSearch(EXACT, "absent")
            if not found.installed and not create(conn):
                return VectorSearch(EXACT, "not created")
    except OperationalError:  # the database is down: /healthz says so itself
        return VectorSearch(EXACT, "unknown")
    return VectorSearch(EXACT, "created")
