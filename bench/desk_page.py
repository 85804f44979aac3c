"""The whole desk page as a member gets it: the app's ``GET /desk``, against its reads and its floor, same run.

On a hub that ``bench/search.py`` built (``--db`` or ``--database-url``, with ``--reuse``; or a fresh
one of ``-n`` items), beta's editor signs in through ``/login`` and asks ``/desk`` (no words, and a
few searches) through the app over the ASGI transport, the view in the thread pool as ``newsbridge
serve`` runs it. In the same run, for each page:

* **reads**: what the desk reads for the page (desk/incoming.py ``incoming`` with its count, the
  unread counts per partner, the language choices), called directly on one connection;
* **floor**: the same HTML bytes answered from memory by a bare ASGI app over the same transport
  (what any page costs the client and the transport, nothing of the hub's).

The page's time less the reads and the floor is the rest of the view: the session, the partner
list, thumbnails and story groups, and rendering 100 rows in the member's language. The CPU column
is this process's CPU per page (the app, its client and the reads all run in this process).

    .venv/bin/python bench/search.py -n 20000 --db /tmp/search20k.db --build-only
    .venv/bin/python bench/desk_page.py --db /tmp/search20k.db --reuse [--repeat 40] [--locale ru]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import build, built  # noqa: E402  (bench/search.py: the same hub)

from newsbridge.accounts.members import set_preferences  # noqa: E402
from newsbridge.app import create_app  # noqa: E402
from newsbridge.config import load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, reading, writing  # noqa: E402
from newsbridge.desk.incoming import Filters, incoming, unread_by_partner  # noqa: E402
from newsbridge.items.inbox_counts import received_languages  # noqa: E402

PASSWORD = "bench-password-1"  # bench/search.py's editor
PAGES = ("", "zeppelin", "cooperation", '"grain exports"')


def percentiles(runs: list[float]) -> tuple[float, float]:
    runs = sorted(runs)
    return statistics.median(runs), runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]


async def timed(ask: Callable[[], Awaitable[object]], repeat: int) -> tuple[tuple[float, float], float]:
    """p50 / p95 wall milliseconds of ``repeat`` calls after two to warm up, and CPU ms per call."""
    for _ in range(2):
        await ask()
    runs = []
    cpu = time.process_time()
    for _ in range(repeat):
        started = time.perf_counter()
        await ask()
        runs.append((time.perf_counter() - started) * 1000)
    return percentiles(runs), (time.process_time() - cpu) * 1000 / repeat


def floor_app(body: bytes) -> Callable[..., Awaitable[None]]:
    """A bare ASGI app answering ``body`` as the desk's HTML."""
    async def app(scope: dict, receive: Callable, send: Callable) -> None:  # type: ignore[type-arg]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")]})
        await send({"type": "http.response.body", "body": body})
    return app


async def measure(url: str, repeat: int, locale: str, console: Console) -> None:
    engine = create_engine(url)
    beta, member = built(engine)
    with writing(engine) as conn:
        set_preferences(conn, member.id, locale, None)
    engine.dispose()
    # a `newsbridge serve` process with its workers elsewhere (the production topology): the story
    # worker would otherwise embed the bench's items in this process while the pages are timed
    app = create_app(load_settings(database_url=url, in_process_worker=False), migrate=False)
    table = Table("desk page", "rows shown", "page p50 / p95 ms", "page CPU ms", "reads p50 / p95 ms",
                  "floor p50 / p95 ms", "reads / page (p50)", "rest of the view p50 ms")
    async with app.router.lifespan_context(app):
        hub_engine = app.state.hub.engine
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as http:
            signed = await http.post("/login", data={"email": member.email, "password": PASSWORD})
            assert signed.status_code == 303, signed.text[:300]
            for query in PAGES:
                path = "/desk" + (f"?q={query}" if query else "")
                answer = await http.get(path)
                assert answer.status_code == 200, (path, answer.status_code)
                rows = answer.text.count('<li class="row ')
                page, cpu = await timed(lambda: http.get(path), repeat)

                def read() -> None:
                    with reading(hub_engine) as conn:
                        incoming(conn, beta, member, Filters(q=query or None), limit=100)
                        unread_by_partner(conn, beta, member)
                        received_languages(conn, beta)

                async def reads() -> None:
                    read()

                read_times, _ = await timed(reads, repeat)
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=floor_app(answer.content)),
                                             base_url="http://hub.test") as bare:
                    floor, _ = await timed(lambda: bare.get(path), repeat)
                table.add_row(query or "(no words)", f"{rows}", f"{page[0]:.1f} / {page[1]:.1f}", f"{cpu:.1f}",
                              f"{read_times[0]:.1f} / {read_times[1]:.1f}", f"{floor[0]:.2f} / {floor[1]:.2f}",
                              f"{read_times[0] / page[0]:.2f}", f"{page[0] - read_times[0] - floor[0]:.1f}")
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--items", type=int, default=20_000, help="items received when building (default 20,000)")
    parser.add_argument("--repeat", type=int, default=40, help="timed pages per path (default 40)")
    parser.add_argument("--database-url", help="the hub's database (default: a SQLite file, --db or temporary)")
    parser.add_argument("--db", type=Path, help="a SQLite file bench/search.py built (with --reuse) or to build in")
    parser.add_argument("--reuse", action="store_true", help="use the hub already built there")
    parser.add_argument("--locale", default="en", choices=("en", "ru", "kk", "fa"), help="the editor's language")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the app's request log would time the console
    console = Console() if sys.stdout.isatty() else Console(width=160)
    with tempfile.TemporaryDirectory(prefix="newsbridge-bench-") as tmp:
        url = args.database_url or f"sqlite:///{args.db or Path(tmp) / 'search.db'}"
        if not args.reuse:
            engine = create_engine(url)
            build(engine, args.items, console)
            engine.dispose()
        console.print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, locale {args.locale}")
        asyncio.run(measure(url, args.repeat, args.locale, console))
        console.print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
