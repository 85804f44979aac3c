"""The routing table of each source, kept between publishes and checked against the database each time.

Reading a source's agreements (four queries and every term's JSON) cost 17 % of a publish
(docs/reliability.md). The table they make changes only when the rows it was read from do, so a
process keeps it, per database and source, beside the :class:`Stamp` of those rows, and every
publish reads the stamp again first, in one small query: the id and ``updated_at`` of every
agreement the source or its holding is party to, and every suspension (id and time). The table is
reused only when the stamp is equal, so a change committed by any process (another API process,
a worker, the CLI) is seen by the next publish here, as it was when the table was read each time:

* every change of an agreement (create, propose, sign, amend, suspend, end, decline; its status,
  dates, terms, title) is written by ``exchange/agreements.py``, which sets ``updated_at`` on each;
  the set of (id, ``updated_at``) pairs, not their count and newest time, is compared, so a change
  committed late with an earlier clock reading is not hidden behind a newer one;
* an agreement's parties are written once, with the agreement (amendments keep them);
* the visibility of another party's draft changes only when it is proposed, which updates it;
* suspending or reactivating any organization adds or removes a suspension row;
* the effective status of an agreement (expired after ``valid_until``) depends on the day: the day
  is part of the stamp.

The stamp is read in the caller's transaction, before the table: a table read after it is never
older than the stamp it is kept with (a change committed in between makes the next stamp differ).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from newsbridge.db.operator_tables import organization_suspensions
from newsbridge.db.tables import agreement_parties, agreements
from newsbridge.exchange.routing import RoutingTable

MAX_SOURCES = 4096  # tables kept per database; past it the oldest are dropped (each is read again on use)


@dataclass(frozen=True)
class Stamp:
    """What a source's routing table was read from: equal stamps, equal tables."""

    day: date
    agreements: frozenset[tuple[str, object]]  # (id, updated_at) of every agreement of the source's sides
    suspensions: frozenset[tuple[str, object]]  # (organization id, suspended_at) of every suspension

    @property
    def suspended(self) -> frozenset[str]:
        return frozenset(org_id for org_id, _at in self.suspensions)


@dataclass(frozen=True)
class _Kept:
    stamp: Stamp
    table: RoutingTable


_TABLES: weakref.WeakKeyDictionary[Engine, dict[tuple[str, str | None], _Kept]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def read_stamp(conn: Connection, sides: Sequence[str], day: date) -> Stamp:
    """The stamp of the routing table of the source whose ``sides`` (itself and its holding) are given."""
    party_of = sa.select(agreement_parties.c.agreement_id).where(agreement_parties.c.organization_id.in_(sides))
    query = sa.union_all(
        sa.select(sa.literal("a").label("kind"), agreements.c.id.label("key"), agreements.c.updated_at.label("at"))
        .where(agreements.c.id.in_(party_of)),
        sa.select(sa.literal("s"), organization_suspensions.c.organization_id, organization_suspensions.c.suspended_at))
    found: dict[str, set[tuple[str, object]]] = {"a": set(), "s": set()}
    for kind, key, at in conn.execute(query):
        found[kind].add((key, at))
    return Stamp(day, frozenset(found["a"]), frozenset(found["s"]))


def routing_table(conn: Connection, source: tuple[str, str | None], stamp: Stamp,
                  read: Callable[[], RoutingTable]) -> RoutingTable:
    """The table of ``source`` (its id and its holding's) kept for this database under ``stamp``, or
    the one ``read`` returns, kept from now on."""
    kept = _TABLES.get(conn.engine, {}).get(source)
    if kept is not None and kept.stamp == stamp:
        return kept.table
    table = read()
    with _LOCK:
        tables = _TABLES.setdefault(conn.engine, {})
        if len(tables) >= MAX_SOURCES:
            for old in list(tables)[:MAX_SOURCES // 4]:
                del tables[old]
        tables[source] = _Kept(stamp, table)
    return table


def forget(engine: Engine | None = None) -> None:
    """Drop the kept tables (of one database, or all): the next publish reads them again."""
    with _LOCK:
        if engine is None:
            _TABLES.clear()
        else:
            _TABLES.pop(engine, None)
