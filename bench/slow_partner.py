"""One slow partner, then three bad ones, beside healthy partners: what they add to the healthy ones' p99.

The issue's target: one slow partner adds < 10 % to the other partners' p99 publish→receipt. The
test (tests/reliability/test_slow_partner.py) has 90 deliveries a phase, so its p99 is its maximum;
this bench takes enough deliveries per phase for a p99 (``--partners`` × ``--rate`` × ``--seconds``,
default 20 × 10/s × 30 s = 6,000) and alternates the phases in one run, so a change of the machine's
load shows as a difference between the two A phases rather than as an effect. An item's deliveries
leave together, so what counts for a p99 is the number of items: 6 s phases (1,200 deliveries, 60
items) had their p99 decided by one item; the summary says how many deliveries, of how many items,
are above the pooled p99 (default: 600 items a kind, so about 6 items above it):

* A: the healthy partners only (Debian's nginx answering ``204`` on 20 loopback addresses and logging
  each arrival with its clock, bench/fanout_clients.py, so the receivers are not the bottleneck);
* B ``slow``: the same, plus ONE partner that answers 200 after ``--slow`` seconds (2 s, inside the
  webhook timeout: slow but successful);
* B ``bad``: plus three bad partners instead: one answering at 1 byte a second, one resetting every
  connection, one never answering (tests/reliability/test_slow_partner.py's ``BadPartner``).

The slow and bad partners each run in a process of their own (bench/partner_process.py): a partner's
server is not the hub's, and in the bench's process their threads competed with the worker's loop.

Run: A, slow, A, slow, A, bad, A, bad (``--kinds``, ``--rounds``). Between phases the bad partners'
endpoints are disabled (their messages wait, unclaimed) and the next phase starts once they hold no
connection, so an A phase does not pay for the B phase before it. The hub's delivery ``Worker`` runs
in a thread of this process as ``newsbridge serve`` runs it (woken by the store), the publisher
stores items through the ``Ingestor`` at the steady rate. Latency: the publish call → nginx's log
of the first arrival, for every healthy delivery. Printed per phase: p50, p99, max, deliveries,
this process's CPU per delivery; per kind: the pooled A and B p99 and their ratio (target < 1.10).
``--trace`` prints, for the items above each phase's p99, what the worker, the publisher and SQLite's write
turn did meanwhile (bench/slow_trace.py: it found the worker's lost wake-ups, issue 17).

    .venv/bin/python bench/slow_partner.py [--database sqlite|postgresql] [--partners 20] [--rate 10]
        [--seconds 30] [--timeout 10] [--slow 2] [--kinds slow,bad] [--rounds 2] [--trace]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from fanout import message_uris
from fanout_hub import Hub, WorkerThread, database, ninjs_document, set_up
from fanout_clients import ALLOW, NginxReceivers
from slow_trace import Trace, report, trace_hub, wake_delays, watch_loop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsbridge.accounts.organizations import Organization, create_organization  # noqa: E402
from newsbridge.db.engine import writing  # noqa: E402
from newsbridge.delivery.endpoints import create_endpoint, set_enabled  # noqa: E402
from newsbridge.exchange.agreements import act, create_agreement  # noqa: E402
from newsbridge.exchange.lifecycle import Action  # noqa: E402
from newsbridge.formats.ninjs import parse_ninjs  # noqa: E402
from partner_process import PartnerProcess  # noqa: E402  (bench/)

TARGET = 1.10
def add_partner(hub: Hub, slug: str, url: str) -> tuple[Organization, str]:
    """A recipient with its own agreement (economy news from the publisher) and an endpoint at ``url``."""
    with writing(hub.engine) as conn:
        partner = create_organization(conn, slug, slug)
        agreement = create_agreement(conn, hub.publisher, "bench", {
            "title": f"Economy news for {slug}", "parties": [hub.publisher.slug, slug],
            "terms": [{"from": hub.publisher.slug, "topics": ["medtop:04000000"]}]})
        act(conn, agreement.id, Action.PROPOSE, hub.publisher, "bench")
        act(conn, agreement.id, Action.SIGN, hub.publisher, "bench")
        act(conn, agreement.id, Action.SIGN, partner, "bench")
        endpoint, _secret = create_endpoint(conn, partner, url, None, "3", ALLOW)
        set_enabled(conn, partner, endpoint.id, False, actor="bench")
    return partner, endpoint.id


def switch(hub: Hub, endpoints: list[tuple[Organization, str]], enabled: bool) -> None:
    with writing(hub.engine) as conn:
        for org, endpoint_id in endpoints:
            set_enabled(conn, org, endpoint_id, enabled, actor="bench")


@dataclasses.dataclass
class Phase:
    name: str
    latencies: list[float]  # seconds, of every healthy delivery, sorted (inf: never arrived)
    cpu: float  # this process's CPU seconds (publisher + worker)
    load: float
    deliveries: list[tuple[float, float, str, str]] = dataclasses.field(default_factory=list)  # published, arrived,
    # item uri, webhook id of every healthy delivery that arrived
    def p(self, share: float) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(share * len(self.latencies)))]


def run_phase(hub: Hub, receivers: NginxReceivers, name: str, partners: int, rate: float, seconds: float,
              tag: str) -> Phase:
    count = int(rate * seconds)
    documents = [(f"urn:bench:{tag}:{n}", ninjs_document(f"urn:bench:{tag}:{n}", n)) for n in range(count)]
    published: dict[str, float] = {}
    receivers.take()
    cpu, start = time.process_time(), time.monotonic()
    for n, (uri, data) in enumerate(documents):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        published[uri] = time.time()
        hub.ingestor.ingest_item(hub.publisher, parse_ninjs(data))
    receivers.wait_for(count * partners, timeout=60)
    cpu = time.process_time() - cpu
    uris = message_uris(hub.engine)
    first: dict[str, float] = {}
    for arrival in sorted(receivers.take(), key=lambda a: a.at):
        first.setdefault(arrival.webhook_id, arrival.at)
    deliveries = [(published[uris[w]], at, uris[w], w) for w, at in first.items() if uris.get(w) in published]
    latencies = sorted(at - sent for sent, at, _uri, _w in deliveries)
    latencies += [float("inf")] * (count * partners - len(latencies))
    return Phase(name, latencies, cpu, os.getloadavg()[0], deliveries)


def settle(bad: list[PartnerProcess], timeout: float) -> None:
    """Until the bad partners hold no connection (the hub gave up on them or they answered)."""
    deadline = time.monotonic() + timeout + 5
    while any(p.open_now for p in bad) and time.monotonic() < deadline:
        time.sleep(0.05)


def tail(phases: list[Phase], p99: float) -> str:
    """How many deliveries are at or above the pooled p99, and of how many items: an item's deliveries to the
    partners leave together, so a p99 from few items' worth of deliveries is the slowest item or two."""
    above = [(uri, at - published) for p in phases for published, at, uri, _w in p.deliveries if at - published >= p99]
    items = sum(len({uri for *_x, uri, _w in p.deliveries}) for p in phases)
    return f"{len(above)} at or above p99 from {len({uri for uri, _ in above})} of {items} items"


def ms(seconds: float) -> str:
    return "lost" if seconds == float("inf") else f"{seconds * 1000:,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--partners", type=int, default=20, help="healthy partners (nginx)")
    parser.add_argument("--rate", type=float, default=10.0, help="items published a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="publishing time per phase")
    parser.add_argument("--timeout", type=float, default=10.0, help="the hub's webhook timeout (its default: 10 s)")
    parser.add_argument("--slow", type=float, default=2.0, help="the slow partner answers after this long")
    parser.add_argument("--kinds", default="slow,bad", help="B phases: slow (one slow partner), bad (drip, reset, silent)")
    parser.add_argument("--rounds", type=int, default=2, help="A/B pairs per kind")
    parser.add_argument("--trace", action="store_true",
                        help="print what the worker, the publisher and SQLite's write turn did around the items "
                             "above each phase's p99 (bench/slow_trace.py)")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    with tempfile.TemporaryDirectory() as tmp_name, NginxReceivers(Path(tmp_name), args.partners) as receivers, \
            database(args.database, Path(tmp_name), "slow_partner") as url:
        hub = set_up(url, args.partners, receivers, None)
        hub = dataclasses.replace(hub, settings=hub.settings.replace(webhook_timeout_seconds=args.timeout))
        partners = {"slow": [PartnerProcess("slow", delay=args.slow)],
                    "bad": [PartnerProcess(mode) for mode in ("drip", "reset", "silent")]}
        with WorkerThread(hub) as worker_thread, partners["slow"][0].serving() as slow_url, \
                partners["bad"][0].serving() as drip_url, partners["bad"][1].serving() as reset_url, \
                partners["bad"][2].serving() as silent_url:
            endpoints = {"slow": [add_partner(hub, "slow-partner", slow_url)],
                         "bad": [add_partner(hub, f"bad-{p.mode}", u)
                                 for p, u in zip(partners["bad"], (drip_url, reset_url, silent_url))]}
            trace, tracing = Trace(), threading.Event()
            if args.trace:
                bad_urls = (slow_url, drip_url, reset_url, silent_url)
                trace_hub(trace, hub.engine, worker_thread.worker, hub.ingestor,
                          {int(u.rsplit(":", 1)[1].split("/")[0]) for u in bad_urls})
                trace.slow_ids.update(e for kind in endpoints.values() for _org, e in kind)  # type: ignore[attr-defined]
                assert worker_thread._loop is not None
                watch_loop(trace, worker_thread._loop, tracing)
            print(f"{args.database}: {args.partners} healthy partners (nginx), {args.rate:g} items/s for "
                  f"{args.seconds:g} s a phase ({int(args.rate * args.seconds) * args.partners} healthy deliveries), "
                  f"webhook timeout {args.timeout:g} s, slow partner answers after {args.slow:g} s")
            print(f"{'phase':<6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'n':>6} {'CPU µs/delivery':>16} "
                  f"{'load':>5}")
            phases: list[tuple[str, Phase]] = []
            for kind in kinds:
                for round_ in range(args.rounds):
                    for b in (False, True):
                        if b:
                            switch(hub, endpoints[kind], True)
                        phase = run_phase(hub, receivers, kind if b else "A", args.partners, args.rate, args.seconds,
                                          f"{kind}{round_}{'b' if b else 'a'}")
                        if b:
                            switch(hub, endpoints[kind], False)
                            settle(partners[kind], args.timeout)
                        phases.append((kind, phase))
                        print(f"{phase.name:<6} {ms(phase.p(0.5)):>8} {ms(phase.p(0.99)):>8} "
                              f"{ms(phase.latencies[-1]):>8} {len(phase.latencies):>6} "
                              f"{phase.cpu / len(phase.latencies) * 1e6:>16,.0f} {phase.load:>5.1f}", flush=True)
                        if args.trace:
                            published = [d[0] for d in phase.deliveries]
                            print(f"  [{phase.name}] {wake_delays(trace, min(published), max(published))}")
                            report(trace, phase.name, phase.deliveries, phase.p(0.99))
            tracing.set()
        for kind in kinds:
            a = sorted(x for k, p in phases if k == kind and p.name == "A" for x in p.latencies)
            b = sorted(x for k, p in phases if k == kind and p.name == kind for x in p.latencies)
            pa, pb = (Phase("", v, 0, 0) for v in (a, b))
            ratio = pb.p(0.99) / pa.p(0.99)
            tails = [tail([p for k, p in phases if k == kind and p.name == name], pooled.p(0.99))
                     for name, pooled in (("A", pa), (kind, pb))]
            print(f"{kind}: A p50 {ms(pa.p(0.5))} ms p99 {ms(pa.p(0.99))} ms (n={len(a)}, {tails[0]}); "
                  f"B p50 {ms(pb.p(0.5))} ms p99 {ms(pb.p(0.99))} ms (n={len(b)}, {tails[1]}); p99 ratio B/A ×{ratio:.2f} "
                  f"({'met' if ratio < TARGET else 'NOT met'}: target < ×{TARGET:.2f}); "
                  f"bad partners' connections {[p.connections for p in partners[kind]]}, longest held "
                  f"{max(p.longest for p in partners[kind]):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
