"""The history ``bench/metrics.py`` measures: two years of exchange between 50 organizations.

100 bilateral agreements, busy and thin directions (~5 million deliveries at scale 1): items with
their versions (8 % corrected, 2 % withdrawn), deliveries with arrival delays from seconds to a
day, an agreed Media Topic on every item, declared (20 %) and detected (5 %) pickups, and 0.5 %
of deliveries with a webhook that gave up.

Rows are bulk-loaded: on SQLite in one transaction per month with executemany (the engine's
connections autocommit every statement otherwise) and, for this throw-away database only,
``synchronous=OFF``, no foreign-key checks and no search-index trigger; on PostgreSQL with COPY.
The non-unique indexes are built after the load.

The rollup is written the way the worker would write it, from the generator's own knowledge of
every row (:class:`Rollup`): rebuilding it from the raw rows costs seconds per agreement and zone
at this size, an hour for the hub. ``bench/metrics.py`` then checks a sample of agreements
against a recomputation from the raw rows (``metrics.days.raw_days``) and stops on any difference.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine

from newsbridge.accounts.organizations import Organization, create_organization
from newsbridge.db.engine import writing
from newsbridge.db.rollup_tables import metrics_built
from newsbridge.db.tables import endpoints, metadata
from newsbridge.exchange.agreements import act, create_agreement
from newsbridge.exchange.lifecycle import Action
from newsbridge.metrics.delivery_times import bucket_of
from newsbridge.metrics.periods import DAY_SECONDS, offsets

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAYS = 730
START = NOW - timedelta(days=DAYS)
FULL_DELIVERIES = 5_000_000
ZONES = ("Asia/Almaty", "Asia/Tehran", "Europe/Moscow", "Asia/Kathmandu", "UTC", "Europe/Berlin", "Asia/Tashkent",
         "Asia/Baku", "Asia/Dushanbe", "Europe/Istanbul")
TOPICS = ("medtop:11000000", "medtop:04000000", "medtop:15000000", "medtop:01000000", "medtop:16000000",
          "medtop:13000000")
LANGUAGES = ("en", "ru", "kk", "fa", "tr", "az")
TYPES = ("text", "text", "text", "text", "picture", "video")
DELAYS = (5, 20, 60, 300, 900, 3600, 7200, 86400)  # seconds; weighted below
DELAY_WEIGHTS = (30, 20, 15, 12, 10, 6, 4, 3)
SETTLED = 5  # days: a generated day's figures no longer move this many days later (arrivals, pickups)

COLUMNS = {
    "items": ("id", "organization_id", "uri", "latest_version", "pubstatus", "headline", "language", "created_at",
              "updated_at"),
    "item_versions": ("item_id", "version", "content_hash", "type", "pubstatus", "language", "language_source",
                      "headline", "firstcreated", "versioncreated", "document", "received_at"),
    "version_topics": ("item_id", "version", "qcode"),
    "deliveries": ("id", "item_id", "version", "recipient_id", "agreement_id", "reason", "credit_line", "usage_terms",
                   "available_from", "event", "created_at", "arrives_at"),
    "pickups": ("id", "item_id", "organization_id", "version", "note", "at", "kind", "evidence_item_id"),
    "outbox": ("endpoint_id", "delivery_id", "event", "message_id", "state", "attempts", "next_attempt_at",
               "created_at"),
    "metrics_days": ("agreement_id", "zone", "source_id", "recipient_id", "day", "items", "withdrawn", "same_day",
                     "picked_up", "deliveries", "corrections", "pickups_declared", "pickups_detected", "failed"),
    "metrics_delays": ("agreement_id", "zone", "source_id", "recipient_id", "day", "bucket", "n"),
    "metrics_keys": ("agreement_id", "zone", "source_id", "recipient_id", "day", "dimension", "key", "n"),
}
Rows = dict[str, list[tuple]]  # type: ignore[type-arg]


class Agreement:
    """One generated agreement: its parties, their zones (what the rollup holds) and agreed topics."""

    def __init__(self, agreement_id: str, first: Organization, second: Organization, weight: float,
                 topics: Sequence[str]) -> None:
        self.id, self.first, self.second, self.weight = agreement_id, first, second, weight
        self.zones = sorted({"UTC", first.timezone, second.timezone})
        self.topics = sorted(set(topics))


def sqlite_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_row(row: tuple, times: Sequence[int]) -> tuple:  # type: ignore[type-arg]
    found = list(row)
    for i in times:
        found[i] = sqlite_time(found[i])
    return tuple(found)


class Loader:
    """Bulk insert: executemany in one transaction on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"

    def load(self, tables: Rows) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.sqlite:  # a bench database only: a crash means generating again
                cursor.execute("PRAGMA foreign_keys=OFF")
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("BEGIN")
            for table, rows in tables.items():
                columns = COLUMNS[table]
                if not rows:
                    continue
                if self.sqlite:
                    marks = ", ".join("?" for _ in columns)
                    times = [i for i, v in enumerate(rows[0]) if isinstance(v, datetime)]
                    if times:
                        rows = [_sqlite_row(r, times) for r in rows]
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
                else:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                        for row in rows:
                            copy.write_row(row)
            if self.sqlite:
                cursor.execute("COMMIT")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
            else:
                raw.commit()
        finally:
            raw.close()


def partners(engine: Engine, rng: random.Random) -> list[Agreement]:
    """50 organizations, 100 bilateral agreements (each organization in about 4)."""
    with writing(engine) as conn:
        orgs = [create_organization(conn, f"org{n:02d}", f"Organization {n}", timezone=ZONES[n % len(ZONES)])
                for n in range(50)]
        now = datetime.now(UTC)
        conn.execute(endpoints.insert(), [{"id": f"ep{n:02d}", "organization_id": o.id, "url": f"https://o{n}.test/h",
                                           "events": ["item.published"], "ninjs_version": "3", "secret": "s",
                                           "enabled": True, "created_at": now} for n, o in enumerate(orgs)])
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < 100:
        a, b = rng.sample(range(50), 2)
        pairs.add((min(a, b), max(a, b)))
    found = []
    with writing(engine) as conn:  # one transaction: 400 commits cost minutes on a busy disk
        for a, b in sorted(pairs):
            topics = list(rng.sample(TOPICS, 2)) if rng.random() < 0.5 else []
            terms = [{"from": orgs[a].slug, "topics": topics} if topics else {"from": orgs[a].slug},
                     {"from": orgs[b].slug}]
            agreement = create_agreement(conn, orgs[a], "bench", {"title": f"{orgs[a].slug}-{orgs[b].slug}",
                                                                  "parties": [orgs[a].slug, orgs[b].slug],
                                                                  "terms": terms})
            for org, action in ((orgs[a], Action.PROPOSE), (orgs[a], Action.SIGN), (orgs[b], Action.SIGN)):
                act(conn, agreement.id, action, org, "bench")
            found.append(Agreement(agreement.id, orgs[a], orgs[b], rng.lognormvariate(0, 0.8), topics))
    return found


class LocalDays:
    """``rollups.local_day_number`` for many instants: the zone's offsets over the history, bisected."""

    def __init__(self, name: str) -> None:
        changes = offsets(ZoneInfo(name), START - timedelta(days=2), NOW + timedelta(days=2))
        self.starts = [int(at.timestamp()) for at, _ in changes]
        self.offsets = [offset for _, offset in changes]
        self.fixed = self.offsets[0] if len(changes) == 1 else None

    def day(self, seconds: int) -> int:
        if self.fixed is not None:
            return (seconds + self.fixed) // DAY_SECONDS
        return (seconds + self.offsets[max(0, bisect_right(self.starts, seconds) - 1)]) // DAY_SECONDS


class Rollup:
    """The rollup rows of the generated history, as ``metrics.days`` defines every figure."""

    FIELDS = ("items", "withdrawn", "same_day", "picked_up", "deliveries", "corrections", "pickups_declared",
              "pickups_detected", "failed")

    def __init__(self, agreements: Sequence[Agreement]) -> None:
        self.zones = {name: LocalDays(name) for a in agreements for name in a.zones}
        self.days: dict[tuple, list[int]] = {}  # type: ignore[type-arg]
        self.delays: dict[tuple, int] = {}  # type: ignore[type-arg]
        self.keys: dict[tuple, int] = {}  # type: ignore[type-arg]

    def _day(self, key: tuple) -> list[int]:  # type: ignore[type-arg]
        found = self.days.get(key)
        if found is None:
            found = self.days[key] = [0] * len(self.FIELDS)
        return found

    def add(self, agreement: Agreement, source: str, recipient: str, published: datetime,
            versions: Sequence[tuple[datetime, str, bool]], withdrawn: bool, kind: str, language: str, topic: str,
            pickup: tuple[datetime, str] | None) -> None:
        """One item shared from ``source`` to ``recipient``: its deliveries (arrival, event, whether
        its webhook gave up), the first being ``item.published``, and its one pickup (time, kind)
        if any."""
        published_s = int(published.timestamp())
        arrivals = [(int(at.timestamp()), event, gave_up) for at, event, gave_up in versions]
        bucket = bucket_of(arrivals[0][0] - published_s)
        picked = pickup is not None
        for name in agreement.zones:
            local = self.zones[name]
            at = (agreement.id, name, source, recipient)
            day = local.day(published_s)
            cell = self._day((*at, day))
            if withdrawn:
                cell[1] += 1
            else:
                cell[0] += 1
                cell[2] += local.day(arrivals[0][0]) == day
                cell[3] += picked
                self._count(self.delays, (*at, day, bucket))
                self._count(self.keys, (*at, day, "type", kind))
                self._count(self.keys, (*at, day, "language", language))
                if topic in agreement.topics:
                    self._count(self.keys, (*at, day, "topic", topic))
            for seconds, event, gave_up in arrivals:
                cell = self._day((*at, local.day(seconds)))
                cell[4] += 1
                cell[5] += event == "item.updated"
                cell[8] += gave_up
            if pickup is not None:
                self._day((*at, local.day(int(pickup[0].timestamp()))))[6 if pickup[1] == "declared" else 7] += 1

    @staticmethod
    def _count(into: dict[tuple, int], key: tuple) -> None:  # type: ignore[type-arg]
        into[key] = into.get(key, 0) + 1

    def take(self, before: int | None) -> Rows:
        """The rows of the days before local day ``before`` (every day: None), removed from here."""
        found: Rows = {"metrics_days": [], "metrics_delays": [], "metrics_keys": []}
        for store, table in ((self.days, "metrics_days"), (self.delays, "metrics_delays"),
                             (self.keys, "metrics_keys")):
            done = sorted(k for k in store if before is None or k[4] < before)  # in key order: B-tree appends
            for key in done:
                value = store.pop(key)
                found[table].append((*key, *value) if isinstance(value, list) else (*key, value))
        return found


def _ms(at: datetime) -> datetime:
    """Whole milliseconds: SQLite reads a time to the millisecond (``strftime('%s')`` of .9996 s rounds
    up), PostgreSQL to the microsecond; the figures must not depend on which."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def history(rng: random.Random, agreements: Sequence[Agreement], scale: float) -> Iterator[Rows]:
    """Rows per table, a month at a time, the rollup's settled days with them."""
    directions = [(a, src.id, dst.id, a.weight * rng.uniform(0.3, 1.0)) for a in agreements
                  for src, dst in ((a.first, a.second), (a.second, a.first))]
    per_day = FULL_DELIVERIES * scale / DAYS / 1.1  # ~1.1 deliveries per item (corrections, withdrawals)
    total_weight = sum(w for *_, w in directions)
    rollup = Rollup(agreements)
    serial = delivery_id = 0
    chunk: Rows = {k: [] for k in COLUMNS}
    for day in range(DAYS):
        for agreement, source, recipient, weight in directions:
            expected = per_day * weight / total_weight
            count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            for _ in range(count):
                serial += 1
                item_id = f"b{serial}"
                published = START + timedelta(days=day, seconds=rng.randrange(86400))
                delay = rng.choices(DELAYS, DELAY_WEIGHTS)[0] * rng.uniform(0.5, 1.5)
                arrives = _ms(published + timedelta(seconds=delay))
                if arrives > NOW:
                    continue
                kind = rng.choice(TYPES)
                language = rng.choice(LANGUAGES)
                roll = rng.random()
                versions = [(1, "usable", arrives, "item.published")]
                if roll < 0.08:
                    later = _ms(arrives + timedelta(hours=rng.uniform(0.5, 30)))
                    versions.append((2, "usable", later, "item.updated"))
                elif roll < 0.10:
                    later = _ms(arrives + timedelta(hours=rng.uniform(0.5, 48)))
                    versions.append((2, "canceled", later, "item.withdrawn"))
                status = versions[-1][1]
                chunk["items"].append((item_id, source, f"urn:bench:{serial}", len(versions), status, "h", language,
                                       published, published))
                delivered = []
                for version, pubstatus, at, event in versions:
                    at = min(at, NOW)
                    chunk["item_versions"].append((item_id, version, f"{serial}-{version}", kind, pubstatus, language,
                                                   "declared", "h", published, published, "{}", published))
                    delivery_id += 1
                    chunk["deliveries"].append((delivery_id, item_id, version, recipient, agreement.id, "r", "c", "u",
                                                at, event, at, at))
                    gave_up = rng.random() < 0.005
                    if gave_up:
                        chunk["outbox"].append((recipient, delivery_id, event, f"m{delivery_id}", "dead", 9, at, at))
                    delivered.append((at, event, gave_up))
                topic = TOPICS[serial % len(TOPICS)]
                chunk["version_topics"].append((item_id, 1, topic))
                pickup = None
                if status == "usable" and roll > 0.75:
                    pickup_kind = "declared" if roll > 0.80 else "detected"
                    pickup_at = arrives + timedelta(hours=3 if pickup_kind == "declared" else 9)
                    if pickup_at <= NOW:  # no pickups from the future
                        pickup = (pickup_at, pickup_kind)
                        chunk["pickups"].append((f"{pickup_kind[0]}{serial}", item_id, recipient, 1, "", pickup_at,
                                                 pickup_kind, None))
                rollup.add(agreement, source, recipient, published, delivered, status == "canceled", kind, language,
                           topic, pickup)
        if day % 30 == 29 or day == DAYS - 1:
            last = day == DAYS - 1
            chunk.update(rollup.take(None if last else int(START.timestamp()) // DAY_SECONDS + day - SETTLED))
            yield chunk
            chunk = {k: [] for k in COLUMNS}


def built_rows(conn: Connection, agreements: Sequence[Agreement]) -> None:
    """The rollup's record of what it holds: every agreement in UTC and its parties' zones."""
    conn.execute(metrics_built.insert(), [{"agreement_id": a.id, "zone": name, "topics": a.topics, "built_at": NOW,
                                           "refreshed_at": NOW} for a in agreements for name in a.zones])


def generate(engine: Engine, scale: float, seed: int) -> tuple[list[Agreement], dict[str, int]]:
    """Load the whole history and its rollup; returns the agreements and the rows per table."""
    rng = random.Random(seed)
    agreements = partners(engine, rng)
    endpoint_of = {a.id: f"ep{int(a.slug[3:]):02d}" for x in agreements for a in (x.first, x.second)}
    loader = Loader(engine)
    counts = {name: 0 for name in COLUMNS}
    indexes = [index for name in COLUMNS for index in metadata.tables[name].indexes if not index.unique]
    trigger = None
    with writing(engine) as conn:  # bulk load first, index after: a sort beats millions of B-tree inserts
        for index in indexes:
            index.drop(conn)
        if engine.dialect.name == "sqlite":  # the search index is not measured here
            trigger = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = "
                                           "'item_versions_search_insert'").scalar()
            if trigger:
                conn.exec_driver_sql("DROP TRIGGER item_versions_search_insert")
    for chunk in history(rng, agreements, scale):
        chunk["outbox"] = [(endpoint_of[row[0]], *row[1:]) for row in chunk["outbox"]]
        loader.load(chunk)
        for name in COLUMNS:
            counts[name] += len(chunk[name])
        print(f"  loaded {counts['deliveries']:,} deliveries", flush=True)
    with writing(engine) as conn:
        built_rows(conn, agreements)
        for index in indexes:
            index.create(conn)
        if trigger:
            conn.exec_driver_sql(trigger)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('deliveries', 'id'), "
                                 "(SELECT max(id) FROM deliveries))")
        conn.exec_driver_sql("ANALYZE")
    return agreements, counts
