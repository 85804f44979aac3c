"""Routing throughput: ``route`` over a prebuilt RoutingTable against a naive scan, in one run.

Generates organizations (independents, holdings and their outlets), agreements between them
(bilateral mostly, some multilateral; mostly active, some suspended, ended, expired or not yet
valid) with terms per party, and item versions from random sources. Then it times

* ours: ``RoutingTable.build`` once (timed apart), then ``route(item, table, today=...)`` for
  every item version;
* the baseline: for every item, a loop over *all* agreements and all their terms, checking each
  rule directly (status, validity, source and outlet, type, language, topics with their
  ancestors looked up per check), with no index and nothing prepared in advance.

Both must decide the same deliveries (recipient, agreement, credit line, usage terms and
available_from) for every item; the benchmark stops if they do not.
Targets: ours at least 5 x the baseline, and 5,000 item versions/s.

One more row puts the split of the rule check from its explanation in figures: ``explain`` over the
same table and versions, every partner's reason (delivered or not) worded, which is what ``route``
did for every rule that did not apply before the split (commit 1719fbf). ``route`` now only
checks; the facts of a reason are worded when a reader asks (``Delivery.reason``, ``explain``).

    .venv/bin/python bench/routing.py [-n 10000] [--orgs 200] [--agreements 500] [--seed 1]
                                      [--rounds 3] [--profile] [--check]

``--publish N`` measures instead what routing costs a publish against a database (``--database-url``,
default a fresh SQLite file): the CPU of N publishes of one item each through the pipeline
(``Ingestor.ingest_item``: prepare, store and route in one transaction) by a source in ``--partners``
active agreements, with the routing table kept between publishes (exchange/rule_cache.py: one
query checks it) and read on every publish as before (the kept tables forgotten first), rounds
alternating; and ``load_rules`` alone both ways.

    .venv/bin/python bench/routing.py --publish 300 [--partners 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import random
import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from time import perf_counter
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from newsbridge.exchange.lifecycle import Status
from newsbridge.exchange.routing import AgreementRules, Delivery, RoutableItem, RoutingTable, explain, route
from newsbridge.exchange.terms import DEFAULT_CREDIT, Terms, render_credit
from newsbridge.vocab.mediatopics import ancestors, item_topics, topic_subject, vocabulary

TARGET_RATIO = 5.0
TARGET_RATE = 5_000
TODAY = date(2026, 3, 2)
START = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LANGUAGES = ("en", "ru", "kk", "fa", "ar", "tr")
ITEM_LANGUAGES = (("en", 30), ("ru", 25), ("kk", 15), ("fa", 10), ("ar", 6), ("tr", 6), ("en-GB", 2),
                  ("ru-RU", 2), (None, 4))
ITEM_TYPES = (("text", 80), ("picture", 12), ("video", 5), ("audio", 3))
TERM_TYPES = ("text", "picture", "video")
# Each agreement's status as routing receives it (the effective one: "expired" is an active
# agreement past its valid_until) and the share of agreements in it.
NOT_YET_VALID = "not yet valid"  # active, valid_from after today
STATUSES = ((Status.ACTIVE.value, 78), (NOT_YET_VALID, 4), (Status.SUSPENDED.value, 7), (Status.ENDED.value, 6),
            (Status.EXPIRED.value, 5))
DELAYS = ((0, 60), (15, 10), (30, 10), (60, 10), (120, 5), (1440, 5))
CREDITS = (DEFAULT_CREDIT, DEFAULT_CREDIT, "{source}", "{source} / {agreement}")
PROFILE_FILE = "newsbridge/exchange/routing.py"
T = TypeVar("T")


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    parent_id: str | None


@dataclass(frozen=True)
class Version:
    """One generated item version: what ``route`` sees, and the subjects as sent."""

    routable: RoutableItem
    subjects: tuple[str, ...]  # Media Topic qcodes, without their broader topics


def _weighted(rng: random.Random, choices: Sequence[tuple[T, int]]) -> T:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def generate_organizations(count: int, rng: random.Random) -> list[Organization]:
    """About one org in eight is a holding with 2-5 outlets; the rest are independent."""
    orgs: list[Organization] = []
    holdings = max(1, count // 8)
    for h in range(holdings):
        if len(orgs) >= count:
            break
        holding = Organization(f"org-{len(orgs):04d}", f"Holding {h}", None)
        orgs.append(holding)
        for o in range(rng.randint(2, 5)):
            if len(orgs) >= count:
                break
            orgs.append(Organization(f"org-{len(orgs):04d}", f"{holding.name} outlet {o}", holding.id))
    while len(orgs) < count:
        orgs.append(Organization(f"org-{len(orgs):04d}", f"Agency {len(orgs)}", None))
    return orgs


def _topic_pools() -> tuple[list[str], list[str], list[str]]:
    """(top-level, second-level, everything) of the current, non-retired Media Topics."""
    current = sorted(q for q, t in vocabulary().items() if not t.retired)
    top = [q for q in current if len(ancestors(q)) == 1]
    second = [q for q in current if len(ancestors(q)) == 2]
    return top, second, current


def _terms(party: Organization, outlets_of: dict[str, list[str]], rng: random.Random,
           pools: tuple[list[str], list[str], list[str]]) -> Terms:
    top, second, current = pools
    topics = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 4))):
        pool = _weighted(rng, ((top, 50), (second, 35), (current, 15)))
        topics.append(rng.choice(pool))
    languages = rng.sample(LANGUAGES, rng.choice((0, 0, 0, 1, 1, 2, 3)))
    types = rng.sample(TERM_TYPES, rng.randint(1, 2)) if rng.random() < 0.2 else []
    outlets: list[str] = []
    if party.id in outlets_of and rng.random() < 0.3:
        own = [party.id, *outlets_of[party.id]]
        outlets = rng.sample(own, rng.randint(1, len(own) - 1))
    usage = "" if rng.random() < 0.7 else "Not for resale. Republication with credit only."
    return Terms(party.id, tuple(dict.fromkeys(topics)), tuple(languages), tuple(types), tuple(outlets),
                 _weighted(rng, DELAYS), rng.choice(CREDITS), usage)


def generate_agreements(count: int, orgs: Sequence[Organization], rng: random.Random) -> list[AgreementRules]:
    """Bilateral mostly, one in eight with 3-6 parties; each party shares under its own terms,
    except about one in ten that only receives. Parties are holdings and independents mostly,
    outlets sometimes, never a holding together with one of its own outlets."""
    pools = _topic_pools()
    by_id = {o.id: o for o in orgs}
    outlets_of: dict[str, list[str]] = {}
    for o in orgs:
        if o.parent_id:
            outlets_of.setdefault(o.parent_id, []).append(o.id)
    principals = [o for o in orgs if o.parent_id is None]
    outlets = [o for o in orgs if o.parent_id is not None]
    out = []
    for index in range(count):
        size = 2 if rng.random() < 0.875 else rng.randint(3, 6)
        parties: list[Organization] = []
        while len(parties) < size:
            candidate = rng.choice(outlets if outlets and rng.random() < 0.15 else principals)
            family = {candidate.id, candidate.parent_id} | set(outlets_of.get(candidate.id, ()))
            if all(p.id not in family and p.parent_id != candidate.id for p in parties):
                parties.append(candidate)
        drawn = _weighted(rng, STATUSES)
        status = Status.ACTIVE if drawn == NOT_YET_VALID else Status(drawn)
        valid_from: date | None = TODAY - timedelta(days=rng.randint(1, 700)) if rng.random() < 0.6 else None
        valid_until: date | None = TODAY + timedelta(days=rng.randint(0, 700)) if rng.random() < 0.4 else None
        if drawn == NOT_YET_VALID:
            valid_from = TODAY + timedelta(days=rng.randint(1, 90))
        elif status is Status.EXPIRED:
            valid_until = TODAY - timedelta(days=rng.randint(1, 300))
        terms = tuple(_terms(by_id[p.id], outlets_of, rng, pools) for p in parties if rng.random() < 0.9)
        title = " - ".join(p.name for p in parties) if size == 2 else f"Pool {index} ({size} parties)"
        out.append(AgreementRules(f"agr-{index:05d}", title, status, valid_from, valid_until,
                                  tuple(sorted(p.id for p in parties)), terms))
    return out


def generate_versions(count: int, orgs: Sequence[Organization], rng: random.Random) -> list[Version]:
    """Item versions from random sources (outlets included): 1-3 Media Topics each, one in ten
    under embargo, a few withheld or canceled."""
    _top, _second, current = _topic_pools()
    out = []
    for index in range(count):
        source = rng.choice(orgs)
        subjects = tuple(rng.sample(current, rng.randint(1, 3)))
        published = START + timedelta(seconds=7 * index)
        embargoed = published + timedelta(minutes=rng.randint(10, 720)) if rng.random() < 0.1 else None
        pubstatus = _weighted(rng, (("usable", 97), ("withheld", 2), ("canceled", 1)))
        out.append(Version(RoutableItem(
            item_id=f"item-{index:06d}", version=1, source_id=source.id, source_parent_id=source.parent_id,
            source_name=source.name, type=_weighted(rng, ITEM_TYPES), language=_weighted(rng, ITEM_LANGUAGES),
            topics=item_topics(topic_subject(q) for q in subjects), pubstatus=pubstatus,
            published=published, embargoed=embargoed), subjects))
    return out


def route_naive(version: Version, agreements: Sequence[AgreementRules], today: date) -> list[Delivery]:
    """The obvious routing: every term of every agreement, each rule checked on the spot.

    Precedence is route's: the lowest agreement id first; within one agreement the source's
    own terms before its holding's, then the order of the terms; the first term that shares
    the item with a recipient decides its delivery.
    """
    item = version.routable
    if item.pubstatus != "usable":
        return []  # only usable versions reach new recipients (there are no earlier ones here)
    own = (item.source_id, item.source_parent_id)
    language = (item.language or "").split("-")[0].lower()
    best: dict[str, tuple[tuple[str, int, int], AgreementRules, Terms]] = {}
    for agreement in agreements:
        if agreement.status is not Status.ACTIVE:
            continue
        if agreement.valid_from and today < agreement.valid_from:
            continue
        if agreement.valid_until and today > agreement.valid_until:
            continue
        for position, terms in enumerate(agreement.terms):
            if terms.from_id == item.source_id:
                rank = 0
            elif item.source_parent_id is not None and terms.from_id == item.source_parent_id:
                rank = 1
            else:
                continue
            if terms.outlets and item.source_id not in terms.outlets:
                continue
            if terms.types and item.type not in terms.types:
                continue
            if terms.languages and language not in terms.languages:
                continue
            if terms.topics and not any(topic in ancestors(subject)
                                        for subject in version.subjects for topic in terms.topics):
                continue
            key = (agreement.id, rank, position)
            for recipient in agreement.parties:
                if recipient == terms.from_id or recipient in own:
                    continue
                if recipient not in best or key < best[recipient][0]:
                    best[recipient] = (key, agreement, terms)
    deliveries = []
    for recipient, (_key, agreement, terms) in sorted(best.items()):
        ready = item.published + timedelta(minutes=terms.delay_minutes)
        if item.embargoed and item.embargoed > ready:
            ready = item.embargoed
        shares = []
        if terms.topics:
            matched = sorted({t for t in terms.topics if any(t in ancestors(s) for s in version.subjects)})
            shares.append("topic " + ", ".join(f"{vocabulary()[q].label} ({q})" for q in matched))
        if terms.languages:
            shares.append(f"language {language}")
        if terms.types:
            shares.append(f"{item.type} items")
        reason = f"received under agreement '{agreement.title}' because it shares {'; '.join(shares) or 'all items'}"
        deliveries.append(Delivery(recipient, agreement.id, reason,
                                   render_credit(terms.credit_line, item.source_name, agreement.title),
                                   terms.usage_terms, ready))
    return deliveries


def _decided(deliveries: Sequence[Delivery]) -> list[tuple[str, str, str, str, datetime]]:
    """What both paths must agree on (the reason is prose, worded by each path)."""
    return [(d.recipient_id, d.agreement_id, d.credit_line, d.usage_terms, d.available_from) for d in deliveries]


def time_ours(versions: Sequence[Version], table: RoutingTable) -> tuple[float, list[list[Delivery]]]:
    items = [v.routable for v in versions]
    started = perf_counter()
    results = [route(item, table, today=TODAY) for item in items]
    return perf_counter() - started, results


def time_explain(versions: Sequence[Version], table: RoutingTable) -> float:
    """``explain`` for every version, each reason worded (what the routing report shows)."""
    items = [v.routable for v in versions]
    started = perf_counter()
    for item in items:
        for found in explain(item, table, today=TODAY):
            found.reason  # noqa: B018  (the sentence is built when read)
    return perf_counter() - started


def time_naive(versions: Sequence[Version], agreements: Sequence[AgreementRules]) \
        -> tuple[float, list[list[Delivery]]]:
    started = perf_counter()
    results = [route_naive(version, agreements, TODAY) for version in versions]
    return perf_counter() - started, results


def verify(versions: Sequence[Version], ours: Sequence[list[Delivery]], naive: Sequence[list[Delivery]]) -> None:
    for version, a, b in zip(versions, ours, naive, strict=True):
        assert _decided(a) == _decided(b), (
            f"{version.routable.item_id} from {version.routable.source_id}: route decided {_decided(a)}, "
            f"the naive scan {_decided(b)}")


def profile_route(versions: Sequence[Version], table: RoutingTable, console: Console) -> None:
    """Route every version again under cProfile and print where the time goes."""
    profiler = cProfile.Profile()
    profiler.enable()
    seconds, _ = time_ours(versions, table)
    profiler.disable()
    stats = pstats.Stats(profiler)
    console.rule("[bold]profile of route (cProfile; timings inflated by the profiler)")
    console.print(f"profiled run: {seconds:.2f} s for {len(versions):,} item versions")
    rows = Table("function", "calls", "own s", "cumulative s", "share of run")
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (path, line, name), (_cc, calls, own, cumulative, _callers) in sorted(entries, key=lambda e: -e[1][3]):
        if PROFILE_FILE in path or (path == "~" and own > seconds * 0.02):
            where = f"{name} ({Path(path).name}:{line})" if path != "~" else name
            rows.add_row(where, f"{calls:,}", f"{own:.3f}", f"{cumulative:.3f}", f"{cumulative / seconds:.0%}")
    console.print(rows)
    console.print("[bold]top 15 by own time[/bold]")
    stats.sort_stats("tottime").print_stats(15)


def publish_costs(count: int, partners: int, url: str | None, rounds: int, console: Console) -> None:
    """CPU per publish and per ``load_rules``, routing table kept and read each time (see the module)."""
    import tempfile
    from time import process_time

    from newsbridge.accounts.organizations import create_organization
    from newsbridge.config import load_settings
    from newsbridge.db.engine import create_engine, reading, writing
    from newsbridge.db.migrate import upgrade
    from newsbridge.exchange.agreements import act, create_agreement
    from newsbridge.exchange.deliveries import load_rules
    from newsbridge.exchange.lifecycle import Action
    from newsbridge.exchange.rule_cache import forget
    from newsbridge.formats.item import Item
    from newsbridge.ingest.pipeline import Ingestor

    with tempfile.TemporaryDirectory(prefix="newsbridge-bench-") as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'routing.db'}"
        engine = create_engine(url)
        upgrade(engine)
        rng = random.Random(1)
        qcodes = [q for q in vocabulary() if q.count("0") >= 5][:40]
        with writing(engine) as conn:
            source = create_organization(conn, "bench-source", "Bench Source", country="KZ")
            for n in range(partners):
                partner = create_organization(conn, f"bench-partner-{n}", f"Partner {n}", country="IR")
                terms = {"from": source.slug, "topics": rng.sample(qcodes, rng.randint(0, 3)),
                         "languages": rng.sample(["en", "ru", "kk", "fa"], rng.randint(0, 2)),
                         "delay_minutes": rng.choice([0, 0, 30])}
                made = create_agreement(conn, source, "bench", {"title": f"Exchange {n}",
                                                                "parties": [source.slug, partner.slug],
                                                                "terms": [terms]})
                act(conn, made.id, Action.PROPOSE, source, "bench")
                act(conn, made.id, Action.SIGN, source, "bench")
                act(conn, made.id, Action.SIGN, partner, "bench")
        ingestor, today = Ingestor(engine, load_settings(database_url=url)), TODAY
        costs: dict[str, float] = {}
        uris = itertools.count()

        def best(name: str, work, kept: bool) -> None:  # type: ignore[no-untyped-def]
            spent = process_time()
            for n in range(count):
                if not kept:
                    forget(engine)
                work(n)
            costs[name] = min(costs.get(name, float("inf")), (process_time() - spent) / count)

        def publish(n: int) -> None:
            item = Item(uri=f"urn:bench:{next(uris)}", version="1", language=rng.choice(["en", "ru"]),
                        headline="Central bank holds key rate as inflation eases",
                        body_text="The national bank kept its base rate unchanged on Friday.",
                        subjects=[topic_subject(rng.choice(qcodes))])
            assert ingestor.ingest_item(source, item).created

        def rules(_n: int) -> None:
            with reading(engine) as conn:
                load_rules(conn, source, today)

        publish(0)
        for _ in range(rounds):
            for kept in (False, True):
                best(f"publish, table {'kept' if kept else 'read each time'}", publish, kept)
                best(f"load_rules, table {'kept' if kept else 'read each time'}", rules, kept)
        engine.dispose()
    out = Table("what (CPU per call, best of rounds)", "µs")
    for name, spent in costs.items():
        out.add_row(name, f"{spent * 1e6:,.0f}")
    console.print(f"[bold]routing on publish[/bold]: {partners} agreements, {count} calls a round, best of {rounds} "
                  f"rounds, {engine.dialect.name}")
    console.print(out)
    kept, each = costs["publish, table kept"], costs["publish, table read each time"]
    console.print(f"a publish costs {kept / each:.2f} x with the table kept ({(each - kept) * 1e6:,.0f} µs less)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--items", type=int, default=10_000, help="how many item versions (default 10000)")
    parser.add_argument("--orgs", type=int, default=200, help="how many organizations (default 200)")
    parser.add_argument("--agreements", type=int, default=500, help="how many agreements (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each path; the best counts")
    parser.add_argument("--profile", action="store_true", help="also route every item under cProfile")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--publish", type=int, metavar="N", help="measure routing's cost on N publishes instead")
    parser.add_argument("--partners", type=int, default=20, help="the publishing source's agreements (--publish)")
    parser.add_argument("--database-url", help="an empty database for --publish (default: a fresh SQLite file)")
    args = parser.parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=140)
    if args.publish:
        publish_costs(args.publish, args.partners, args.database_url, args.rounds, console)
        return 0

    started = perf_counter()
    rng = random.Random(args.seed)
    orgs = generate_organizations(args.orgs, rng)
    agreements = generate_agreements(args.agreements, orgs, rng)
    versions = generate_versions(args.items, orgs, rng)
    outlets = sum(o.parent_id is not None for o in orgs)
    holdings = len({o.parent_id for o in orgs if o.parent_id})
    statuses = Counter(a.status.value for a in agreements)
    not_yet = sum(a.valid_from is not None and a.valid_from > TODAY for a in agreements)
    sizes = Counter("bilateral" if len(a.parties) == 2 else "multilateral" for a in agreements)
    terms = sum(len(a.terms) for a in agreements)
    console.print(f"generated {len(orgs)} organizations ({holdings} holdings with {outlets} outlets), "
                  f"{len(agreements)} agreements ({sizes['bilateral']} bilateral, {sizes['multilateral']} "
                  f"multilateral; {', '.join(f'{n} {s}' for s, n in statuses.most_common())}, of the active "
                  f"{not_yet} not yet valid; {terms} terms) and {len(versions):,} item versions "
                  f"in {perf_counter() - started:.1f} s")

    started = perf_counter()
    table = RoutingTable.build(agreements)
    first_build = perf_counter() - started
    builds = []
    for _ in range(args.rounds):
        started = perf_counter()
        RoutingTable.build(agreements)
        builds.append(perf_counter() - started)
    route(versions[0].routable, table, today=TODAY)  # warms the vocabulary's and ancestors' caches for both

    ours_runs, naive_runs, explain_runs = [], [], []
    ours: list[list[Delivery]] = []
    naive: list[list[Delivery]] = []
    for _ in range(args.rounds):
        seconds, ours = time_ours(versions, table)
        ours_runs.append(seconds)
        explain_runs.append(time_explain(versions, table))
        seconds, naive = time_naive(versions, agreements)
        naive_runs.append(seconds)
    verify(versions, ours, naive)

    if args.profile:
        profile_route(versions, table, console)

    n = len(versions)
    ours_rate, naive_rate = n / min(ours_runs), n / min(naive_runs)
    ratio = ours_rate / naive_rate
    made = sum(map(len, ours))
    reached = sum(1 for d in ours if d)
    console.print(f"[bold]routing, {n:,} item versions[/bold] ({len(agreements)} agreements, {len(orgs)} "
                  f"organizations, today {TODAY.isoformat()}; best of {args.rounds} rounds)")
    out = Table()
    out.add_column("path")
    out.add_column("seconds (best)", justify="right")
    out.add_column("seconds (median)", justify="right")
    out.add_column("item versions/s", justify="right")
    out.add_column("µs per version", justify="right")
    out.add_row("ours: route over a RoutingTable", f"{min(ours_runs):.3f}", f"{statistics.median(ours_runs):.3f}",
                f"{ours_rate:,.0f}", f"{1e6 / ours_rate:,.1f}")
    out.add_row("explain: every partner's reason, worded", f"{min(explain_runs):.3f}",
                f"{statistics.median(explain_runs):.3f}", f"{n / min(explain_runs):,.0f}",
                f"{1e6 * min(explain_runs) / n:,.1f}")
    out.add_row("baseline: naive scan of every agreement", f"{min(naive_runs):.3f}",
                f"{statistics.median(naive_runs):.3f}", f"{naive_rate:,.0f}", f"{1e6 / naive_rate:,.1f}")
    console.print(out)
    console.print(f"RoutingTable.build: {first_build * 1000:.1f} ms the first time, {min(builds) * 1000:.1f} ms "
                  f"at best for {len(agreements)} agreements ({sum(map(len, table.by_source.values()))} rules under "
                  f"{len(table.by_source)} sharing parties; once per table, not in the timings above)")
    console.print(f"deliveries: {made:,} to {len({d.recipient_id for ds in ours for d in ds})} recipients; "
                  f"{reached:,} of {n:,} versions reached at least one partner "
                  f"({made / n:.2f} deliveries per version); both paths decided the same for every version")
    console.print(f"explain (reasons worded) / route (rules checked): [bold]{min(explain_runs) / min(ours_runs):.2f}"
                  "[/bold] x the time: what routing saves by not wording reasons nobody reads")
    fast_enough, ratio_met = ours_rate >= TARGET_RATE, ratio >= TARGET_RATIO
    console.print(f"ratio ours/naive: [bold]{ratio:.1f}[/bold] (target >= {TARGET_RATIO:g}): "
                  + ("[green]met[/green]" if ratio_met else "[red]missed[/red]"))
    console.print(f"route: [bold]{ours_rate:,.0f} item versions/s[/bold] (target >= {TARGET_RATE:,}): "
                  + ("[green]met[/green]" if fast_enough else "[red]missed[/red]"))
    return 1 if args.check and not (fast_enough and ratio_met) else 0


if __name__ == "__main__":
    sys.exit(main())
