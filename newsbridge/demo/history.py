"""18 months of exchange history for the demo's two cooperations, generated at demo build time.

Deterministic (a seeded generator; dates count back from the day the demo is built) and fast:
every row is written with multi-row inserts, while every routing decision comes from the real
router (``exchange.routing.route`` over the agreements as signed), so each delivery is one the hub
would have made: the same recipients, agreement, reason, credit line and delay.

The story the figures tell (issue 14):

* **Kazakhstan–Iran keeps pace**: Kazinform, Silk Way TV and Jibek Joly send IRNA some 40 items a
  week, IRNA sends about as many back, on all four agreed topics every month, nearly all on the
  day they are published, and a good share is picked up.
* **Iran–Russia slips**: over the last ten weeks the exchange thins out, most of all from the
  Iranian side (IRNA's Russian-language service, the only IRNA items the pact shares, and Pars
  Today), so the Persian→Russian direction is a fraction of RIA's, and the last four weeks fall
  significantly below the twelve before.

Corrections (a second version to the same recipients), withdrawals (a canceled version: the item
no longer counts as shared) and declared pickups (by a party or one of its outlets) are sprinkled
in at realistic rates.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from ulid import ULID

from newsbridge.accounts.organizations import Organization, get_organization
from newsbridge.db.rollup_tables import mark_items_changed
from newsbridge.db.tables import deliveries, item_versions, items, organizations, pickups, version_topics
from newsbridge.demo.wires import BODY, CORRECTED, DATELINES, NARROWER, WITHDRAWN, headline
from newsbridge.demo.wires import CULTURE, ECONOMY, MASS_MEDIA, POLITICS, SCIENCE
from newsbridge.exchange.deliveries import event_type, load_rules, routable
from newsbridge.exchange.routing import Delivery, Previous, RoutingTable, route
from newsbridge.formats.item import Item
from newsbridge.formats.ninjs import to_ninjs3
from newsbridge.search.stemming import index_text
from newsbridge.vocab.mediatopics import item_topics, topic_subject

HISTORY_DAYS = 548  # 18 months, up to the moment the demo is built
FALL_DAYS = 70  # the Iran–Russia exchange thins out over the last ten weeks
URI_PREFIX = "urn:newsbridge:demo-history:"
SEED = 14
UTC = timezone.utc


@dataclass(frozen=True)
class Flow:
    """Items one organization publishes in one language mix, and how they travel."""

    author: str  # organization slug
    per_day: float  # on a weekday, at the start of the history
    languages: tuple[tuple[str, int], ...]  # (language, weight)
    topics: tuple[str, ...]
    fall_to: float = 1.0  # the rate's factor at the end; it declines linearly over FALL_DAYS
    lags: tuple[int, ...] = (2, 4, 6, 10, 20, 45)  # minutes from publication to the hub
    pickup: float = 0.3  # the chance a recipient declares a pickup
    correction: float = 0.06
    withdrawal: float = 0.015


KZ_TOPICS = (POLITICS, ECONOMY, CULTURE, MASS_MEDIA)
FLOWS = (
    Flow("kazinform", 4.4, (("kk", 3), ("ru", 3), ("en", 4)), KZ_TOPICS),
    Flow("silk-way-tv", 0.9, (("en", 2), ("ru", 1)), (CULTURE, MASS_MEDIA, ECONOMY)),
    Flow("jibek-joly", 0.5, (("kk", 1),), (CULTURE, MASS_MEDIA)),
    Flow("irna", 5.6, (("fa", 6), ("en", 4)), KZ_TOPICS),  # to Kazakhstan (the Russia pact takes Russian only)
    Flow("irna", 1.0, (("ru", 1),), (*KZ_TOPICS, SCIENCE), fall_to=0.2, lags=(5, 30, 90, 240, 600, 1500),
         pickup=0.08),  # IRNA's Russian service: to both pacts, thinning out
    Flow("parstoday", 1.6, (("fa", 2), ("en", 1), ("ru", 2)), (POLITICS, ECONOMY, CULTURE, SCIENCE),
         fall_to=0.3, lags=(10, 60, 240, 900, 1500), pickup=0.08),
    Flow("ria", 4.2, (("ru", 4), ("en", 1)), (POLITICS, ECONOMY, CULTURE, MASS_MEDIA, SCIENCE), fall_to=0.55,
         lags=(1, 3, 10, 30, 120), pickup=0.1),
)
PICKUP_SITES = {"irna": "https://www.irna.ir/news/", "krtc": "https://www.inform.kz/", "ria": "https://ria.ru/",
                "parstoday": "https://parstoday.ir/", "kazinform": "https://www.inform.kz/",
                "silk-way-tv": "https://silkwaytv.kz/"}


@dataclass
class HistoryReport:
    items: int = 0
    versions: int = 0
    deliveries: int = 0
    pickups: int = 0
    withdrawn: int = 0
    corrected: int = 0


@dataclass
class _Rows:
    items: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    pickups: list[dict[str, Any]] = field(default_factory=list)


def _count(rng: random.Random, mean: float) -> int:
    """Items of one flow on one day: the mean's whole part, and one more with the chance of its
    fraction. Steadier than a Poisson draw, as a desk's daily output is: a cooperation that keeps
    pace does so on any day the demo is built, and a fall is the one the flows are given."""
    whole = math.floor(mean)
    return whole + (rng.random() < mean - whole)


def _id(rng: random.Random, at: datetime) -> str:
    """A ULID for ``at`` with seeded randomness: time-ordered like the hub's own ids, and the same
    on every build of the same day."""
    return str(ULID.from_bytes(int(at.timestamp() * 1000).to_bytes(6, "big") + rng.randbytes(10)))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


class _Generator:
    def __init__(self, conn: Connection, today: date, now: datetime, seed: int) -> None:
        self.conn, self.today, self.now, self.rng = conn, today, now, random.Random(seed)
        self.rows, self.report = _Rows(), HistoryReport()
        self.orgs: dict[str, Organization] = {}
        self.tables: dict[str, RoutingTable] = {}
        self.outlets: dict[str, list[str]] = {}
        for row in conn.execute(sa.select(organizations.c.id, organizations.c.parent_id)):
            if row.parent_id:
                self.outlets.setdefault(row.parent_id, []).append(row.id)
        self.slugs = {row.id: row.slug for row in conn.execute(sa.select(organizations.c.id, organizations.c.slug))}

    def org(self, slug: str) -> Organization:
        if slug not in self.orgs:
            self.orgs[slug] = get_organization(self.conn, slug)
            self.tables[slug] = load_rules(self.conn, self.orgs[slug], self.today)
        return self.orgs[slug]

    def run(self) -> HistoryReport:
        first = self.today - timedelta(days=HISTORY_DAYS)
        for offset in range(HISTORY_DAYS + 1):  # today too, up to now
            day = first + timedelta(days=offset)
            left = HISTORY_DAYS - offset  # days before today
            for flow in FLOWS:
                factor = 1.0 if left >= FALL_DAYS else flow.fall_to + (1 - flow.fall_to) * left / FALL_DAYS
                weekend = 0.6 if day.weekday() >= 5 else 1.0
                for _ in range(_count(self.rng, flow.per_day * factor * weekend)):
                    self.item(flow, day)
        return self.report

    def item(self, flow: Flow, day: date) -> None:
        rng, source = self.rng, self.org(flow.author)
        zone = ZoneInfo(source.timezone)
        local = datetime.combine(day, time(6), tzinfo=zone) + timedelta(seconds=rng.randint(0, 16 * 3600))
        published = local.astimezone(UTC).replace(microsecond=0)
        received = published + timedelta(minutes=rng.choice(flow.lags), seconds=rng.randint(0, 59))
        if received >= self.now:
            return
        language, topic = _pick(rng, flow.languages), rng.choice(flow.topics)
        topics = [topic] + ([NARROWER[topic]] if topic in NARROWER and rng.random() < 0.4 else [])
        item_id = _id(rng, received)
        dateline = rng.choice(DATELINES[language])
        base = Item(uri=f"{URI_PREFIX}{flow.author}:{item_id.lower()}", version="1", language=language,
                    headline=headline(language, topic, rng.randrange(8)), body_text=BODY[language].format(
                        dateline=dateline), firstcreated=published, versioncreated=published,
                    subjects=[topic_subject(q) for q in topics])
        versions = [(base, received)]
        if rng.random() < flow.correction:
            at = received + timedelta(hours=rng.randint(1, 20))
            versions.append((replace(base, version="2", versioncreated=at,
                                     body_text=f"{base.body_text}\n\n{CORRECTED[language]}"), at))
        if rng.random() < flow.withdrawal:
            at = versions[-1][1] + timedelta(hours=rng.randint(1, 6))
            versions.append((replace(base, version=str(len(versions) + 1), versioncreated=at, pubstatus="canceled",
                                     body_text=WITHDRAWN[language]), at))
        versions = [(v, at) for v, at in versions if at < self.now]
        self.store(flow, source, item_id, versions)

    def store(self, flow: Flow, source: Organization, item_id: str, versions: list[tuple[Item, datetime]]) -> None:
        last, last_at = versions[-1]
        self.rows.items.append({"id": item_id, "organization_id": source.id, "uri": last.uri,
                                "latest_version": len(versions), "pubstatus": last.pubstatus,
                                "headline": last.headline, "language": last.language,
                                "created_at": versions[0][1], "updated_at": last_at})
        self.report.items += 1
        self.report.corrected += sum(1 for v, _ in versions[1:] if v.pubstatus == "usable") > 0
        self.report.withdrawn += last.pubstatus == "canceled"
        earlier: dict[str, Previous] = {}
        for number, (version, at) in enumerate(versions, start=1):
            document = to_ninjs3(version)
            self.rows.versions.append({
                "item_id": item_id, "version": number, "type": version.type, "pubstatus": version.pubstatus,
                "content_hash": hashlib.sha256(f"{version.uri}/{number}".encode()).hexdigest(),
                "language": version.language, "language_source": "declared", "headline": version.headline,
                "body_text": version.body_text, "firstcreated": version.firstcreated,
                "versioncreated": version.versioncreated, "document": document, "received_at": at,
                "search_stems": index_text(version.language, version.headline, version.body_text)})  # searchable
            self.rows.topics += [{"item_id": item_id, "version": number, "qcode": q}
                                 for q in sorted(item_topics(document.get("subjects", [])))]
            self.report.versions += 1
            decided = route(routable(version, item_id, number, source, at), self.tables[flow.author], earlier,
                            today=at.date())
            for delivery in decided:
                self.deliver(flow, item_id, number, version, delivery, earlier, at)
            earlier.update({d.recipient_id: Previous(d.agreement_id, d.credit_line, d.usage_terms, d.available_from)
                            for d in decided})

    def deliver(self, flow: Flow, item_id: str, number: int, version: Item, delivery: Delivery,
                earlier: Mapping[str, Previous], at: datetime) -> None:
        arrives = max(at, delivery.available_from)
        event = event_type(version, delivery.recipient_id not in earlier)
        self.rows.deliveries.append({
            "item_id": item_id, "version": number, "recipient_id": delivery.recipient_id,
            "agreement_id": delivery.agreement_id, "reason": delivery.reason, "credit_line": delivery.credit_line,
            "usage_terms": delivery.usage_terms, "available_from": delivery.available_from, "event": event,
            "created_at": at, "arrives_at": arrives})
        self.report.deliveries += 1
        if event == "item.published" and version.pubstatus == "usable" and self.rng.random() < flow.pickup:
            picked = arrives + timedelta(minutes=self.rng.randint(20, 48 * 60))
            outlets = self.outlets.get(delivery.recipient_id, [])
            picker = self.rng.choice(outlets) if outlets and self.rng.random() < 0.5 else delivery.recipient_id
            if picked < self.now:
                site = PICKUP_SITES.get(self.slugs[picker], "https://example.org/")
                self.rows.pickups.append({"id": _id(self.rng, picked), "item_id": item_id, "organization_id": picker,
                                          "member_id": None, "version": 1, "url": f"{site}{item_id.lower()}",
                                          "note": "", "at": picked, "kind": "declared"})
                self.report.pickups += 1

    def write(self) -> None:
        """Multi-row inserts, withdrawn items' pickups left out, feed positions in arrival order."""
        withdrawn = {r["id"] for r in self.rows.items if r["pubstatus"] == "canceled"}
        self.rows.pickups = [p for p in self.rows.pickups if p["item_id"] not in withdrawn]
        self.report.pickups = len(self.rows.pickups)
        start = self.conn.execute(sa.select(sa.func.coalesce(sa.func.max(deliveries.c.position), 0))).scalar_one()
        ordered = sorted(self.rows.deliveries, key=lambda d: (d["arrives_at"], d["item_id"], d["version"]))
        for position, row in enumerate(ordered, start=start + 1):
            row["position"] = position
        for table, rows in ((items, self.rows.items), (item_versions, self.rows.versions),
                            (version_topics, self.rows.topics), (deliveries, ordered), (pickups, self.rows.pickups)):
            for chunk in range(0, len(rows), 2000):
                self.conn.execute(table.insert(), rows[chunk:chunk + 2000])
        # the metrics rollup recounts the days these items touch (metrics/rollups.py)
        mark_items_changed(self.conn, [r["id"] for r in self.rows.items], self.now)


def generate_history(conn: Connection, today: date, now: datetime, seed: int = SEED) -> HistoryReport:
    """Write 18 months of history, up to ``now`` (on ``today``), for the demo's agreements
    (already signed in ``conn``); the same ``today`` and ``seed`` always give the same history."""
    generator = _Generator(conn, today, now, seed)
    report = generator.run()
    generator.write()
    return report
