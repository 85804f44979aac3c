"""Load: many partners read their feeds and live streams while items are published steadily.

Real `newsbridge serve` processes on SQLite or PostgreSQL: one (with its in-process worker) by
default, or the production topology, ``--apis N --workers M`` (N API processes without workers and
M `newsbridge worker` processes, as tests/reliability/test_multiprocess.py runs them). One publisher
posts ``--rate`` items a second for ``--seconds``, round robin over the API processes;
``--readers`` clients read at once, spread over the API processes and over ten recipient
organizations: three in four long-poll the changes feed (``wait=10``), one in four holds the live
stream open (a stream the hub ends, say a database too busy mid-answer, is opened again with its
Last-Event-ID, as a browser's EventSource does; reconnects and items sent twice are counted). Every
recipient is party to the publisher's agreement, so every item reaches every reader.

Printed: errors by kind (and the first unhandled error in the hub logs); items published; readers
that missed an item; publish latency p50/p99; feed request latency p50/p99; delivery lag (item
acknowledged → seen by a stream client) p50/p99; and, as the floor of the same run, `/healthz`
latency p50/p99 measured beside the load (the cheapest request the hub answers). ``--profile FILE``
samples every thread of the first API process (bench/sampler.py) into FILE.

    .venv/bin/python bench/load.py                       # 200 readers, 50 items/s, 60 s, SQLite
    .venv/bin/python bench/load.py --database postgresql --apis 2 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cpu_use import machine_busy, postgres_cpu, process_cpu  # noqa: E402  (bench/cpu_use.py)
from newsbridge.accounts.api_keys import create_api_key  # noqa: E402
from newsbridge.accounts.organizations import create_organization  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.db.migrate import upgrade  # noqa: E402
from newsbridge.exchange.agreements import act, create_agreement  # noqa: E402
from newsbridge.exchange.lifecycle import Action  # noqa: E402
from tests.databases import postgres_database  # noqa: E402  (creates and drops a database of its own)
from tests.live_server import free_port  # noqa: E402

NEWSBRIDGE = Path(sys.executable).parent / "newsbridge"  # the venv's script beside its interpreter
# The hub closes a keep-alive connection after NEWSBRIDGE_KEEPALIVE_SECONDS idle (65 s), and a client may
# reuse one until its own expiry: a request sent as the hub closes the connection fails (a GET with
# ServerDisconnectedError, a POST too, which no client may resend). The client counts idleness from when it
# read the answer, later than the hub sent it when its event loop is busy, so it gives up its idle
# connections well before the hub does.
KEEPALIVE_SECONDS = 2.0
RECIPIENTS = 10
ECONOMY = {"name": "economy", "uri": "http://cv.iptc.org/newscodes/mediatopic/04000000"}


def quantiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (n={len(ordered)})"


def set_up(url: str) -> tuple[str, list[str]]:
    engine = create_engine(url)
    upgrade(engine)
    with writing(engine) as conn:
        source = create_organization(conn, "wire", "Wire Agency")
        publisher = create_api_key(conn, "wire", ("publish", "read"))[1]
        orgs = [create_organization(conn, f"partner-{n}", f"Partner {n}") for n in range(RECIPIENTS)]
        keys = [create_api_key(conn, org.slug, ("read",))[1] for org in orgs]
        agreement = create_agreement(conn, source, "bench", {
            "title": "Wire for everyone", "parties": ["wire", *(o.slug for o in orgs)], "terms": [{"from": "wire"}]})
        act(conn, agreement.id, Action.PROPOSE, source, "bench")
        for org in (source, *orgs):
            act(conn, agreement.id, Action.SIGN, org, "bench")
    engine.dispose()
    return publisher, keys


WORDS = ("trading exports grain metals rose quarter committee said imports machinery fell month analysts expect "
         "surplus narrow prices oil gas ease markets bank rates inflation budget tender harvest wheat cotton port "
         "rail freight steel copper uranium tariff ministry council farmers retail wages loans bonds shares index "
         "currency reserves deficit growth output factory energy power coal water drought rain season").split()


def document(n: int) -> dict[str, object]:
    """A ninjs item of about 400 characters, its text drawn from ``n``: items of one run are not each other's
    near duplicates (identical bodies made the story worker link every item to every earlier one)."""
    words = random.Random(n).choices(WORDS, k=60)
    return {"uri": f"urn:wire:load:{n}", "type": "text", "language": "en", "subjects": [ECONOMY],
            "headlines": [{"role": "main", "value": f"Markets at noon, report {n}: {' '.join(words[:5])}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": " ".join(words).capitalize() + "."}]}


class Run:
    def __init__(self) -> None:
        self.errors: Counter[str] = Counter()
        self.publish: list[float] = []
        self.feed: list[float] = []
        self.healthz: list[float] = []
        self.acked: dict[str, float] = {}
        self.lag: list[float] = []
        self.seen: list[set[str]] = []  # per reader: the bench items it received
        self.resent = 0  # feed requests sent again on a keep-alive connection the hub had closed
        self.streaming = 0  # streams that have their answer (and so their starting position)
        self.reconnects = 0  # streams the hub ended (or that broke) and their client opened again
        self.repeated = 0  # items a stream sent twice (after a reconnect: none should be)
        self.pages = 0  # feed pages answered
        self.cpu: dict[str, float] = {}  # CPU seconds while publishing and draining, per hub process and the bench
        self.wall = 0.0  # seconds from the first publish to the readers' catching up
        self.stop = asyncio.Event()


def session(base: str, key: str | None = None, *, connections: int = 100,
            read: float | None = 30) -> aiohttp.ClientSession:
    """A client of one API process. aiohttp, not httpx: the clients share the hub's two cores, and httpx
    spends several times aiohttp's CPU a request (bench/fanout.py measures both), which the hub would lose.
    No pool timeout: a request waiting for one of the generator's connections is the generator's queue, and
    shows in its latency rather than as an error of the hub."""
    return aiohttp.ClientSession(
        base_url=base, headers={"Authorization": f"Bearer {key}"} if key else None,
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=KEEPALIVE_SECONDS),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=read), read_bufsize=2**20)


async def publisher(bases: list[str], key: str, rate: float, seconds: float, run: Run) -> None:
    """Items at a steady rate, each sent on time even when earlier ones are still being answered."""
    clients = [session(base, key) for base in bases]
    json_type = {"Content-Type": "application/json"}

    async def one(n: int) -> None:
        uri, body = f"urn:wire:load:{n}", orjson.dumps(document(n))
        sent = time.monotonic()
        try:
            async with clients[n % len(clients)].post("/api/v1/items", data=body, headers=json_type) as answer:
                answer_body = await answer.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            run.errors[f"publish {type(exc).__name__}"] += 1
            return
        if answer.status != 201:
            code = orjson.loads(answer_body).get("error", {}).get("code") if answer.content_type == \
                "application/json" else None
            run.errors[f"publish {answer.status} {code}"] += 1
            return
        run.acked[uri] = time.monotonic()
        run.publish.append(run.acked[uri] - sent)

    try:
        began, sending = time.monotonic(), []
        for n in range(int(rate * seconds)):
            due = began + n / rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            sending.append(asyncio.create_task(one(n)))
        await asyncio.gather(*sending)
    finally:
        for client in clients:
            await client.close()


async def feed_reader(base: str, key: str, run: Run) -> None:
    cursor, uris, resent_last = None, set(), False
    run.seen.append(uris)
    async with session(base, key, connections=1) as http:
        while not run.stop.is_set():
            sent = time.monotonic()
            try:
                async with http.get("/api/v1/feed", params={"limit": 100, "wait": 10,
                                                            **({"cursor": cursor} if cursor else {})}) as answer:
                    body = await answer.read()
                if answer.status != 200:
                    run.errors[f"feed {answer.status}"] += 1
                    await asyncio.sleep(1)
                    continue
                page, resent_last = orjson.loads(body), False
                run.pages += 1
                cursor = page["cursor"]
                uris.update(entry["item"]["uri"] for entry in page["items"])
                if page["items"]:  # a long poll that waited for news measures the wait, not the hub
                    run.feed.append(time.monotonic() - sent)
            except aiohttp.ServerDisconnectedError as exc:
                # The hub had closed the idle keep-alive connection as the request went out (uvicorn
                # closes after 5 s): a GET is sent again, once, as browsers and RFC 9112 9.3.1 do.
                if resent_last:
                    run.errors[f"feed {type(exc).__name__}"] += 1
                    await asyncio.sleep(1)
                run.resent += 1
                resent_last = not resent_last
                continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                run.errors[f"feed {type(exc).__name__}"] += 1


async def stream_reader(base: str, key: str, run: Run) -> None:
    """One live-stream client, as a real one behaves: when the hub ends its stream (a revoked key, or a database
    too busy to answer mid-stream) it reconnects with the last event id it saw and misses nothing."""
    uris: set[str] = set()
    run.seen.append(uris)
    last_id: str | None = None
    async with session(base, key, connections=1, read=None) as http:
        while not run.stop.is_set():
            try:
                last_id = await _stream_once(http, last_id, uris, run)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                if run.stop.is_set():
                    return
                run.errors[f"stream {type(exc).__name__}"] += 1
            if run.stop.is_set():
                return
            run.reconnects += 1
            await asyncio.sleep(2.0)  # the stream's ``retry``


async def _stream_once(http: aiohttp.ClientSession, last_id: str | None, uris: set[str], run: Run) -> str | None:
    """Read one stream until the hub ends it; the last event id seen."""
    headers = {"Last-Event-ID": last_id} if last_id else None
    async with http.get("/api/v1/stream", headers=headers) as answer:
        if answer.status != 200:
            run.errors[f"stream {answer.status}"] += 1
            return last_id
        if last_id is None:
            run.streaming += 1  # the stream starts from the hub's newest position, taken by now
        async for line in answer.content:
            if line.startswith(b"id:"):
                last_id = line[3:].strip().decode()
            elif line.startswith(b"data:"):
                uri = orjson.loads(line[5:]).get("item", {}).get("uri")
                if uri in uris:
                    run.repeated += 1
                uris.add(uri)
                if uri in run.acked:
                    run.lag.append(time.monotonic() - run.acked[uri])
                else:  # delivered before the publisher had its 201: no lag to speak of
                    run.lag.append(0.0)
    return last_id


async def healthz(base: str, run: Run) -> None:
    async with session(base, connections=1) as http:
        while not run.stop.is_set():
            sent = time.monotonic()
            try:
                async with http.get("/healthz") as answer:
                    await answer.read()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                run.errors[f"healthz {type(exc).__name__}"] += 1
            run.healthz.append(time.monotonic() - sent)
            await asyncio.sleep(0.2)


def niced_cpu(pid: int) -> float:
    """CPU seconds the process's threads of raised niceness have used so far: the story worker's embeddings
    (stories/worker_priority.py), which take only the CPU the rest leaves and catch up when the load drops."""
    used = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        if int(fields[16]) > 0:
            used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    return {**{name: process_cpu(pid) for name, pid in pids.items()}, "bench": time.process_time(),
            "machine": machine_busy(),
            "niced": sum(niced_cpu(pid) for pid in pids.values()), "postgres": postgres_cpu()}


async def load(bases: list[str], publisher_key: str, keys: list[str], args: argparse.Namespace,
               pids: dict[str, int]) -> Run:
    run = Run()
    streams = args.readers // 4
    readers = [asyncio.create_task(stream_reader(bases[n % len(bases)], keys[n % len(keys)], run))
               for n in range(streams)]
    readers += [asyncio.create_task(feed_reader(bases[n % len(bases)], keys[n % len(keys)], run))
                for n in range(args.readers - streams)]
    probe = asyncio.create_task(healthz(bases[0], run))
    began = time.monotonic()  # every stream connected (it starts after the newest item), then 1 s more
    while run.streaming < streams and time.monotonic() - began < 120:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    cpu, run.wall = cpu_now(pids), time.monotonic()
    await publisher(bases, publisher_key, args.rate, args.seconds, run)
    deadline = time.monotonic() + args.drain  # the last items reach the readers
    while time.monotonic() < deadline and any(len(seen) < len(run.acked) for seen in run.seen):
        await asyncio.sleep(0.25)
    run.cpu = {name: used - cpu[name] for name, used in cpu_now(pids).items()}
    run.wall = time.monotonic() - run.wall
    run.stop.set()
    for task in (*readers, probe):
        task.cancel()
    await asyncio.gather(*readers, probe, return_exceptions=True)
    return run


def started(processes: list[tuple[subprocess.Popen[bytes], str | None]], logs: list[Path]) -> None:
    """Wait until every API process answers /healthz (start-ups take long on a loaded machine)."""
    deadline = time.monotonic() + 180
    for (process, base), log in zip(processes, logs):
        while base is not None:
            if process.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {process.returncode}" if process.poll() is not None else "did not answer"
                raise SystemExit(f"{log.stem} {state}:\n" + log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)


def stop(processes: list[tuple[subprocess.Popen[bytes], str | None]]) -> None:
    """SIGTERM; a process that open requests keep waiting gets SIGINT (uvicorn's "force exit": it
    still returns, so cProfile writes its file), then SIGKILL."""
    for process, _ in processes:
        process.terminate()
    for process, _ in processes:
        for then in (lambda p: p.send_signal(signal.SIGINT), lambda p: p.kill()):
            try:
                process.wait(10)
                break
            except subprocess.TimeoutExpired:
                then(process)
        process.wait()


def failures(logs: list[Path]) -> Counter[str]:
    """The errors the hub processes logged (JSON lines), by message and the exception's last line."""
    found: Counter[str] = Counter()
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("level") in ("error", "critical"):
                last = (record.get("exception") or "").strip().splitlines()[-1:] or [""]
                found[f"{log.stem}: {record.get('message')}: {last[0][:160]}"] += 1
    return found


def unit_costs(url: str, publisher_key: str, keys: list[str], count: int) -> None:
    """CPU per unit of work, the app served in this process (Starlette's TestClient: its thread is this
    process's): a publish, a feed page of 100 entries, `/healthz` (the floor: one query), and the story
    worker's round per item (embedding, duplicates, story, topics): what the hub spends, without the
    clients' or the other processes' noise. Best of three rounds, as ms of CPU and as ratios to /healthz."""
    from fastapi.testclient import TestClient

    from newsbridge.app import create_app
    from newsbridge.config import load_settings
    from newsbridge.stories.worker import StoryWorker

    settings = load_settings(env={"NEWSBRIDGE_IN_PROCESS_WORKER": "false", "NEWSBRIDGE_LOG_LEVEL": "WARNING",
                                  "NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE": "0",
                                  "NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE": "0"}, database_url=url)
    costs: dict[str, float] = {}

    def best(name: str, work) -> None:  # type: ignore[no-untyped-def]
        spent = time.process_time()
        units = work()
        costs[name] = min(costs.get(name, float("inf")), (time.process_time() - spent) / max(1, units))

    with TestClient(create_app(settings)) as client:
        publisher_ = {"Authorization": f"Bearer {publisher_key}"}
        reader = {"Authorization": f"Bearer {keys[0]}"}
        stories = StoryWorker(create_engine(url), batch=16)
        for rounds in range(3):
            first = 1_000_000 + rounds * count
            best("publish", lambda: sum(client.post("/api/v1/items", json=document(first + n),
                                                    headers=publisher_).status_code == 201 for n in range(count)))
            best("feed page (100 entries)", lambda: sum(client.get("/api/v1/feed", params={"limit": 100}, headers=reader)
                                                        .status_code == 200 for _ in range(count // 10)))
            best("/healthz", lambda: sum(client.get("/healthz").status_code == 200 for _ in range(count)))
            best("story worker, per item", lambda: sum(iter(stories.run_once, 0)))
    floor = costs["/healthz"]
    print(f"  CPU per unit (in process, best of 3 rounds of {count}): " + "; ".join(
        f"{name} {spent * 1000:.1f} ms (x{spent / floor:.1f} /healthz)" for name, spent in costs.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--apis", type=int, default=1, help="`newsbridge serve` processes")
    parser.add_argument("--workers", type=int, default=0,
                        help="`newsbridge worker` processes (0: each API process runs its own worker)")
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="items published a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=30.0, help="at most this long for readers to catch up")
    parser.add_argument("--unit-costs", type=int, default=0, metavar="N",
                        help="first measure the CPU of N publishes, N/10 feed pages, N /healthz and the story "
                             "worker's rounds in this process (see unit_costs), then run the load")
    parser.add_argument("--profile", type=Path, help="sample the first API process's threads (bench/sampler.py) "
                                                     "and write the profile to this file")
    args = parser.parse_args()
    env = {**os.environ, "NEWSBRIDGE_LOG_LEVEL": "WARNING", "NEWSBRIDGE_RATE_PUBLISH_PER_MINUTE": "0",
           "NEWSBRIDGE_RATE_WRITES_PER_IP_PER_MINUTE": "0",
           "NEWSBRIDGE_IN_PROCESS_WORKER": "false" if args.workers else "true"}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if args.database == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'hub.db'}"
        else:
            url = stack.enter_context(postgres_database(os.environ.get(
                "NEWSBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")))
        publisher_key, keys = set_up(url)
        if args.unit_costs:
            unit_costs(url, publisher_key, keys, args.unit_costs)
            if not args.seconds:
                return
        processes: list[tuple[subprocess.Popen[bytes], str | None]] = []
        logs: list[Path] = []
        for n in range(args.apis + args.workers):
            logs.append(Path(tmp) / (f"api{n + 1}.log" if n < args.apis else f"worker{n - args.apis + 1}.log"))
            command = [str(NEWSBRIDGE), "--database-url", url]
            if n == 0 and args.profile:
                command = [sys.executable, str(Path(__file__).parent / "sampler.py"), str(args.profile.resolve()),
                           *command[1:]]
            port = free_port() if n < args.apis else None
            command += ["serve", "--port", str(port)] if port else ["worker"]
            with logs[-1].open("wb") as out:
                processes.append((subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT),
                                  f"http://127.0.0.1:{port}" if port else None))
        try:
            started(processes, logs)
            bases = [base for _, base in processes if base]
            pids = {log.stem: process.pid for (process, _), log in zip(processes, logs)}
            run = asyncio.run(load(bases, publisher_key, keys, args, pids))
        finally:
            stop(processes)
        logged = failures(logs)
    missed = sum(1 for seen in run.seen if not set(run.acked) <= seen)
    gaps = Counter(int(uri.rsplit(":", 1)[1]) for seen in run.seen for uri in set(run.acked) - seen)
    print(f"{args.database}, {args.apis} API process(es), "
          f"{args.workers or 'in-process'} worker(s): {args.readers} readers ({args.readers // 4} streams), "
          f"{args.rate:g} items/s for {args.seconds:g} s")
    print(f"  {len(run.acked)} of {int(args.rate * args.seconds)} published; {sum(run.errors.values())} errors "
          f"{dict(run.errors.most_common(6))}; {missed} of {len(run.seen)} readers missed items; "
          f"{run.resent} feed requests sent again on a closed keep-alive connection; {run.reconnects} stream "
          f"reconnects, {run.repeated} items a stream sent twice")
    if gaps:
        print(f"  items readers missed (item number: readers): {dict(sorted(gaps.items())[:12])}")
    for failure, count in logged.most_common(5):
        print(f"  hub log: {count} x {failure}")
    print(f"  publish          {quantiles(run.publish)}")
    print(f"  feed (with news) {quantiles(run.feed)}")
    print(f"  stream lag       {quantiles(run.lag)}")
    print(f"  /healthz (floor) {quantiles(run.healthz)}")
    api = sum(used for name, used in run.cpu.items() if name.startswith("api"))
    workers = sum(used for name, used in run.cpu.items() if name.startswith("worker"))
    items = max(1, len(run.acked))
    print(f"  CPU while publishing and draining ({run.wall:.0f} s): API processes {api:.1f} s, workers {workers:.1f} s, the bench's "
          f"clients {run.cpu.get('bench', 0):.1f} s; per published item: hub {(api + workers) / items * 1000:.0f} ms "
          f"(API {api / items * 1000:.0f} ms with the {run.pages} feed pages and the streams they served, workers "
          f"{workers / items * 1000:.0f} ms), clients {run.cpu.get('bench', 0) / items * 1000:.0f} ms")
    print(f"  the machine's cores were busy {run.cpu['machine']:.1f} s of {run.wall * (os.cpu_count() or 1):.0f} s "
          f"({os.cpu_count()} cores)")
    if args.database == "postgresql":
        print(f"  the PostgreSQL server's processes: {run.cpu['postgres']:.1f} s ({run.cpu['postgres'] / items * 1000:.0f} "
              f"ms an item), beside the hub's")
    niced = run.cpu.get("niced", 0)
    print(f"  of the hub's CPU, the story worker's embeddings at niceness +10: {niced:.1f} s ({niced / items * 1000:.0f} "
          f"ms an item); the rest {(api + workers - niced) / items * 1000:.0f} ms an item")
    if args.profile:
        print(f"  profile of the first API process (bench/sampler.py): {args.profile}")


if __name__ == "__main__":
    main()
