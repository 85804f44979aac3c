"""A live stream (server-sent events) that outlives a database failure without an error the client cannot read.

Once a stream's answer has begun no error status can be sent: a database error inside it (PostgreSQL
refusing new connections under load, a lock or pool timeout) used to escape into the framework as
"response already started", an unhandled error in the hub's log (bench/load.py). Every live stream of
the hub (``/api/v1/stream``, the desk's ``/desk/events``, a project's ``/projects/{id}/live``) runs
its events through :func:`until_database_fails`: on such an error the stream ends with a comment, and
the browser or client reconnects after the stream's ``retry`` with its Last-Event-ID, losing nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from sqlalchemy import exc as sa_exc

from newsbridge.db.engine import DatabaseBusy

log = logging.getLogger(__name__)
ENDED = b": the hub's database is busy; reconnect to resume from your last event\n\n"
DATABASE_ERRORS = (sa_exc.OperationalError, sa_exc.TimeoutError, DatabaseBusy)


async def until_database_fails(chunks: AsyncIterator[bytes], stream: str) -> AsyncIterator[bytes]:
    """Pass ``chunks`` on; when the database fails under them, log it once and end with :data:`ENDED`."""
    try:
        async for chunk in chunks:
            yield chunk
    except DATABASE_ERRORS as exc:
        log.warning("live stream ended: database unavailable",
                    extra={"stream": stream, "error": str(exc).splitlines()[0][:200]})
        yield ENDED
