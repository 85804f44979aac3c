"""Every statement a day's writing runs, tried with a generic plan and with a plan for its parameters.

bench/generic_plans.py times the read routes from outside. The writing paths run many statements that
no route shows alone: a publish (storing, routing, the outbox, the search index), the delivery worker's
rounds, the story worker, the metrics rollup, the desk's marks. psycopg prepares a statement a connection
ran 5 times, and PostgreSQL may then keep one generic plan for it (docs/benchmarks.md, "Every read route:
kept plans, JIT, and pages that read every item"); the workers run the same statements all day on one
connection.

This runs that work on a PostgreSQL hub that ``bench/search.py`` built: alpha publishes items and photos
through the API, the media worker makes the photos' renditions, and the delivery worker sends them to
beta's endpoint through a sender that answers 200 at once; beta's editor opens half of the items and
declares them picked up; alpha corrects some and withdraws one; the story worker embeds them with the
real model; the rollup worker counts; the editor looks at the alerts and the desk; then a joint project,
a polled feed, media pushed to beta's bucket and the alert digest (bench/plans_workload.py). Just before the hub
runs each statement, the bench tries it on a connection of its own (see :class:`Trials`): ten times with
PostgreSQL's own plan choice, then three times planned generically and three times per run. It reports
every statement whose generic plan took at least twice as long and 0.5 ms more, with where the hub runs
it, whether PostgreSQL chose a generic plan itself, and whether its transaction plans each run already
(``plan_each_time``).

    .venv/bin/python bench/search.py -n 20000 --build-only \\
        --database-url postgresql+psycopg://postgres@127.0.0.1/plans20k
    .venv/bin/python bench/statement_plans.py --database-url postgresql+psycopg://postgres@127.0.0.1/plans20k
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from desk_page import PASSWORD  # noqa: E402  (bench/search.py's editor)
import plans_workload  # noqa: E402

from newsbridge.accounts.api_keys import create_api_key  # noqa: E402
from newsbridge.accounts.organizations import get_organization  # noqa: E402
from newsbridge.app import create_app  # noqa: E402
from newsbridge.config import load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.delivery.endpoints import create_endpoint, list_endpoints  # noqa: E402
from newsbridge.delivery.outbox import Outcome  # noqa: E402
from newsbridge.delivery.webhooks import Message  # noqa: E402
from newsbridge.delivery.worker import Worker  # noqa: E402
from newsbridge.media.processing import media_worker  # noqa: E402
from newsbridge.metrics.worker import RollupWorker  # noqa: E402
from newsbridge.stories.worker import StoryWorker  # noqa: E402

TRIES = 3  # runs in each forced mode (the best counted)
AUTO_TRIES = 10  # runs with PostgreSQL's own choice (it may choose a generic plan from the 6th)
KEPT = 5  # occurrences of one statement tried (its parameters differ)
ROOT = str(Path(__file__).resolve().parent.parent / "newsbridge")
HOOK = "http://127.0.0.1:9/hook"  # beta's endpoint (a sender that answers 200 stands in for it)


@dataclass
class Tried:
    """What the tries of one statement found, over its occurrences."""

    where: str
    runs: int = 0  # times the hub ran it
    generic: list[float] = field(default_factory=list)  # ms, each occurrence's best
    custom: list[float] = field(default_factory=list)
    guarded: bool = False  # its transaction planned each run already
    failed: str | None = None
    parameters: Any = None  # of its slowest occurrence with a generic plan (for --explain)
    chosen: bool = False  # PostgreSQL's own choice (plan_cache_mode auto) was a generic plan, at least once
    name: str = ""  # the trials' prepared statement
    prepared: bool = False


class Trials:
    """A ``before_cursor_execute`` listener trying each statement before the hub runs it (module's note).

    The tries run on a connection of their own, the statement prepared there by name (``PREPARE``): psycopg
    forgets the statements it prepared at every ``ROLLBACK`` (to a savepoint too), so the hub's connection
    would lose its own and PostgreSQL's choice could not be watched. Each run is in a savepoint rolled back;
    the tries do not see what the hub's open transaction wrote, and a statement behind a lock that
    transaction holds is tried again once the work has ended (:meth:`try_later`). ``INSERT ... VALUES`` has
    no plan to choose and is not tried."""

    def __init__(self, url: str) -> None:
        self.found: dict[str, Tried] = {}
        self.later: list[tuple[str, dict[str, Any]]] = []
        self.active = False
        self.lock = threading.Lock()  # the delivery worker runs statements from several threads at once
        dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.trials = psycopg.connect(dsn, cursor_factory=psycopg.ClientCursor)
        self.trials.execute("SET lock_timeout = '200ms'")
        self.trials.commit()

    def __call__(self, conn: sa.Connection, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
        if not self.active or executemany or conn.dialect.name != "postgresql":
            return
        head = statement.lstrip()[:12].upper()
        if not head.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")) or "set_config" in statement:
            return
        if head.startswith("INSERT") and "SELECT" not in statement.upper():
            return  # INSERT ... VALUES: no plan to choose
        with self.lock:
            self._tried(conn, statement, parameters)

    def _tried(self, conn: sa.Connection, statement: str, parameters: dict[str, Any]) -> None:
        tried = self.found.get(statement)
        if tried is None:
            tried = self.found[statement] = Tried(_where(), name=f"tried_{len(self.found)}")
        tried.runs += 1
        if len(tried.generic) >= KEPT or tried.failed:
            return
        mode = conn.connection.dbapi_connection.execute("SELECT current_setting('plan_cache_mode')").fetchone()
        tried.guarded = tried.guarded or mode[0] == "force_custom_plan"
        self._attempt(tried, statement, parameters, defer=True)

    def try_later(self) -> None:
        """The statements a lock held back, once the work has ended and committed."""
        for statement, parameters in self.later:
            tried = self.found[statement]
            if not tried.generic and not tried.failed:
                self._attempt(tried, statement, parameters, defer=False)

    def _attempt(self, tried: Tried, statement: str, parameters: dict[str, Any], defer: bool) -> None:
        try:
            self._try(tried, statement, parameters)
        except Exception as exc:  # a trial that cannot run: noted, the hub's own run goes on
            if defer and isinstance(exc, psycopg.errors.LockNotAvailable):  # a lock the hub's transaction holds
                self.later.append((statement, parameters))
            else:
                tried.failed = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        finally:
            self.trials.rollback()

    def _prepared(self, tried: Tried, statement: str, parameters: dict[str, Any]) -> tuple[str, list[Any] | None]:
        """``EXECUTE`` of the statement prepared by name on the trials' connection, and its values."""
        text, names = server_text(statement)
        if not tried.prepared:
            self.trials.execute(f"PREPARE {tried.name} AS {text}")
            tried.prepared = True
        run = f"EXECUTE {tried.name}({', '.join(['%s'] * len(names))})" if names else f"EXECUTE {tried.name}"
        return run, [parameters[name] for name in names] or None

    def _try(self, tried: Tried, statement: str, parameters: dict[str, Any]) -> None:
        run, values = self._prepared(tried, statement, parameters)

        def once(mode: str | None) -> float:
            self.trials.execute("SAVEPOINT plan_trial")
            if mode:
                self.trials.execute("SELECT set_config('plan_cache_mode', %s, true)", (mode,))
            started = time.perf_counter()
            found = self.trials.execute(run, values)
            if found.description:
                found.fetchall()
            took = (time.perf_counter() - started) * 1000
            self.trials.execute("ROLLBACK TO SAVEPOINT plan_trial")  # a failure above rolls the whole try back
            return took

        for _ in range(AUTO_TRIES):  # PostgreSQL's own choice, as in the hub's sessions (unless guarded)
            once(None)
        counted = self.trials.execute("SELECT generic_plans FROM pg_prepared_statements WHERE name = %s",
                                      (tried.name,)).fetchone()
        tried.chosen = tried.chosen or bool(counted and counted[0])
        best = {mode: min(once(mode) for _ in range(TRIES)) for mode in ("force_generic_plan", "force_custom_plan")}
        if not tried.generic or best["force_generic_plan"] > max(tried.generic):
            tried.parameters = parameters
        tried.generic.append(best["force_generic_plan"])
        tried.custom.append(best["force_custom_plan"])

    def explain(self, statement: str, mode: str) -> str:
        """``EXPLAIN ANALYZE`` of the statement's slowest occurrence with ``mode``'s plan (rolled back)."""
        tried = self.found[statement]
        run, values = self._prepared(tried, statement, tried.parameters)
        try:
            self.trials.execute("SELECT set_config('plan_cache_mode', %s, true)", (mode,))
            rows = self.trials.execute(f"EXPLAIN (ANALYZE, BUFFERS) {run}", values).fetchall()
        finally:
            self.trials.rollback()
        return "\n".join(row[0] for row in rows)


def server_text(statement: str) -> tuple[str, list[str]]:
    """The statement as psycopg sends it to be prepared (``$1``, ``$2`` ... in the order the names first
    appear), and those names."""
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", numbered, statement).replace("%%", "%"), names


def _where() -> str:
    """The innermost frame of the hub's own code below the database layer."""
    frames = [f for f in traceback.extract_stack() if f.filename.startswith(ROOT) and "/db/" not in f.filename]
    if not frames:
        return "?"
    frame = frames[-1]
    return f"{Path(frame.filename).relative_to(ROOT).with_suffix('')}.{frame.name}:{frame.lineno}"


class Answering:
    """A sender that answers 200 at once: the worker's database work without the network."""

    async def send(self, message: Message) -> Outcome:
        return Outcome(200, None)

    async def close(self) -> None:
        return None


def ninjs(run: str, n: int, version: int = 1, pubstatus: str = "usable") -> dict[str, Any]:
    text = ("Kazakhstan and Iran signed a media cooperation memorandum in Astana on Tuesday, "
            f"the {n}th of its kind; grain exports by rail rose {n % 40 + 3} per cent.")
    return {"uri": f"urn:bench:plans:{run}:{n}", "version": str(version), "type": "text", "language": "en",
            "pubStatus": pubstatus, "headlines": [{"role": "main", "value": f"Media cooperation memorandum {n}"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": text}]}


def jpeg(n: int) -> bytes:
    """A small photo of its own (the hub keeps one copy of the same bytes)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), ((n * 37) % 256, (n * 91) % 256, 120)).save(out, "JPEG", quality=80)
    return out.getvalue()


async def workload(url: str, count: int, console: Console, parts: set[str]) -> None:
    """alpha publishes, corrects and withdraws; the three workers run; beta's editor opens items, declares pickups."""
    settings = load_settings(database_url=url, in_process_worker=False, allow_private_targets=("127.0.0.0/8",),
                             media_dir=tempfile.mkdtemp(prefix="statement-plans-media-"))
    engine = create_engine(url)
    with writing(engine) as conn:
        _, alpha_key = create_api_key(conn, "alpha", label="bench/statement_plans.py")
        beta = get_organization(conn, "beta")
        if HOOK not in {endpoint.url for endpoint in list_endpoints(conn, beta)}:  # the first run's, kept
            create_endpoint(conn, beta, HOOK, allow=settings.allow_private_targets)
    app = create_app(settings, migrate=False)
    started, run = time.perf_counter(), f"{time.time():.0f}"  # each run's own items
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as alpha, \
                httpx.AsyncClient(transport=transport, base_url="http://hub.test") as editor:
            headers = {"Authorization": f"Bearer {alpha_key}"}
            worker = Worker(engine, settings, sender=Answering(), name="statement-plans")

            async def publish(document: dict[str, Any]) -> str:
                answer = await alpha.post("/api/v1/items", json=document, headers=headers)
                assert answer.status_code in (200, 201), answer.text[:300]
                return str(answer.json()["id"])

            async def deliver() -> None:
                while (await worker.run_once()).sent:
                    pass

            if "day" not in parts:
                count = 0
            async def photos(how_many: int) -> None:  # the media worker's jobs, then their deliveries
                for n in range(how_many):
                    photo = await alpha.post("/api/v1/media", headers=headers,
                                             files={"file": (f"photo-{run}-{n}.jpg", jpeg(n), "image/jpeg")})
                    assert photo.status_code == 201, photo.text[:300]
                media = media_worker(engine, settings)
                while await media.run_once():
                    pass
                await deliver()

            made = [await publish(ninjs(run, n)) for n in range(count)]
            await photos(count // 4)
            signed = await editor.post("/login", data={"email": "editor@beta.example", "password": PASSWORD})
            assert signed.status_code == 303, signed.text[:300]
            page = await editor.get("/desk")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            for n, item_id in enumerate(made[: count // 2]):  # picked up: their corrections raise alerts
                assert (await editor.get(f"/items/{item_id}")).status_code == 200
                picked = await editor.post(f"/items/{item_id}/pickup", data={
                    "csrf_token": token, "url": f"https://beta.example/news/{n}", "note": "on the front page"})
                assert picked.status_code == 303, (picked.status_code, picked.text[:200])
            for n in range(0, count, 4):
                await publish(ninjs(run, n, version=2))
            if count:
                await publish(ninjs(run, 1, version=3, pubstatus="canceled"))
            await deliver()
            console.print(f"published {count} items, {len(range(0, count, 4))} corrections, {min(count, 1)} "
                          f"withdrawal, {count // 2} pickups: {time.perf_counter() - started:.1f} s")
            stories = StoryWorker(engine)
            while stories.run_once(made):
                pass
            rollups = RollupWorker(engine)
            while any(rollups.run_once()):
                pass
            for path in ("/alerts", "/desk", "/alerts", "/outgoing"):
                assert (await editor.get(path)).status_code == 200
            if "more" not in parts:
                engine.dispose()
                return
            alpha_headers, beta_headers = plans_workload.keys(engine, PASSWORD)
            published = await plans_workload.project(alpha, editor, alpha_headers, beta_headers, run)
            polled = await plans_workload.polling(engine, settings, run)
            await deliver()
            pushed = await plans_workload.pushes(engine, settings, photos)
            mailed = plans_workload.digest(engine, settings)
            console.print(f"a joint project ({published} articles published jointly), {polled} items polled, "
                          f"{pushed} originals pushed, {mailed} digests: {time.perf_counter() - started:.1f} s")
    engine.dispose()
    console.print(f"workload done in {time.perf_counter() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL hub bench/search.py built")
    parser.add_argument("-n", "--count", type=int, default=40, help="items alpha publishes (default 40)")
    parser.add_argument("--parts", default="day,more",
                        help="day (publishing, delivery, workers), more (project, polling, pushes, digest): "
                             "default both")
    parser.add_argument("--all", action="store_true", help="list every statement tried, not only the slow ones")
    parser.add_argument("--explain", action="store_true",
                        help="print both plans (EXPLAIN ANALYZE) of each statement shown that does not plan each run")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("the plan cache is PostgreSQL's: give a PostgreSQL URL")
    logging.disable(logging.INFO)
    console = Console() if sys.stdout.isatty() else Console(width=190)
    trials = Trials(args.database_url)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", trials)
    trials.active = True
    try:
        asyncio.run(workload(args.database_url, args.count, console, set(args.parts.split(","))))
    finally:
        trials.active = False
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", trials)
    trials.try_later()
    report(console, trials, args.explain, args.all)
    return 0


def worst(tried: Tried) -> tuple[float, float]:
    """The occurrence whose generic plan took longest: (generic ms, per run ms)."""
    g = max(tried.generic)
    return g, tried.custom[tried.generic.index(g)]


def slowed(tried: Tried) -> bool:
    """A generic plan took at least twice as long as a plan per run, and 0.5 ms more."""
    g, c = worst(tried)
    return g >= 2 * c and g - c >= 0.5


def report(console: Console, trials: Trials, explain: bool, everything: bool) -> None:
    table = Table("where the hub runs it", "runs", "generic ms (worst)", "per run ms (same)", "generic / per run",
                  "plans each run already", "PostgreSQL chose generic", "statement")
    tried = [(statement, t) for statement, t in sorted(trials.found.items(), key=lambda kv: -_excess(kv[1]))
             if t.generic and not t.failed]
    shown = [(statement, t) for statement, t in tried if everything or slowed(t)]
    for statement, t in shown:
        g, c = worst(t)
        table.add_row(t.where, str(t.runs), f"{g:.2f}", f"{c:.2f}", f"{g / c:.1f}", "yes" if t.guarded else "no",
                      "yes" if t.chosen else "no", " ".join(statement.split())[:90])
    console.print(table)
    for t in trials.found.values():
        if t.failed:
            console.print(f"not tried: {t.where} ({t.runs} runs): {t.failed}", highlight=False)
    for statement, t in shown if explain else []:
        if not t.guarded:
            console.print(f"[bold]{t.where}[/bold]\n{' '.join(statement.split())}", highlight=False)
            for mode in ("force_generic_plan", "force_custom_plan"):
                console.print(f"[bold]{mode}[/bold]\n{trials.explain(statement, mode)}", highlight=False)
    chosen = sum(1 for _, t in tried if t.chosen)
    ratio = statistics.median([g / c for g, c in (worst(t) for _, t in tried)]) if tried else 0.0
    console.print(f"{len(trials.found)} distinct statements, {len(tried)} tried ({chosen} given a generic plan by "
                  f"PostgreSQL itself), {len(shown)} shown; median generic / per run {ratio:.2f}")


def _excess(tried: Tried) -> float:
    return max(g - c for g, c in zip(tried.generic, tried.custom, strict=True)) if tried.generic else -1.0


if __name__ == "__main__":
    sys.exit(main())
