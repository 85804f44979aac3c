"""``newsbridge serve|demo|ingest|config|db``: run the hub and feed it."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from newsbridge.accounts.organizations import get_organization
from newsbridge.cli.context import CliState, state
from newsbridge.config import describe
from newsbridge.db.engine import reading
from newsbridge.db.migrate import current_revision, upgrade
from newsbridge.errors import NewsbridgeError
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.telemetry import configure_logging

if TYPE_CHECKING:
    from newsbridge.demo import DemoReport

console = Console()
err = Console(stderr=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
DEMO_DATABASE = Path("var") / "demo.db"


def root(ctx: typer.Context, database_url: str | None = typer.Option(
        None, "--database-url", help="Overrides NEWSBRIDGE_DATABASE_URL for this command")) -> None:
    ctx.obj = CliState(database_url=database_url)


def _run_server(cli: CliState, host: str | None, port: int | None) -> None:
    import uvicorn

    from newsbridge.app import create_app

    settings = cli.settings().replace(**{k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    app = create_app(settings)
    # What start-up built (vocabulary, models, routes, templates) lives as long as the process: keep it
    # out of the garbage collector's full passes, which otherwise walk it again and again.
    gc.collect()
    gc.freeze()
    err.print(f"Newsbridge on http://{settings.host}:{settings.port}  (API docs: /docs, health: /healthz)")
    # A client may send its next request on a connection the moment the hub closes it as idle; no client may
    # send a POST again, so the hub must be the side that waits longer (NEWSBRIDGE_KEEPALIVE_SECONDS).
    uvicorn.run(app, host=settings.host, port=settings.port, access_log=False, log_level="warning",
                timeout_keep_alive=settings.keepalive_seconds)


def serve(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="Listen address (NEWSBRIDGE_HOST)"),
    port: int | None = typer.Option(None, "--port", help="Listen port (NEWSBRIDGE_PORT)"),
) -> None:
    """Run the hub (API, docs, metrics); migrations are applied first."""
    _run_server(state(ctx), host, port)


def worker(ctx: typer.Context) -> None:
    """Run the workers alone: deliveries (feed positions, webhooks, retries), source polling, media jobs,
    the metrics rollup and the measured roadmap commitments."""
    import asyncio
    import signal

    from newsbridge.delivery.worker import Worker
    from newsbridge.ingest.polling import Poller
    from newsbridge.media.processing import media_worker
    from newsbridge.media.push_worker import PushWorker
    from newsbridge.metrics.indicators import RoadmapMeasurer
    from newsbridge.metrics.worker import RollupWorker
    from newsbridge.stories.worker import StoryWorker

    cli = state(ctx)
    settings, engine = cli.settings(), cli.engine()
    configure_logging(settings.log_level, settings.log_format)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        err.print("delivery worker, source poller, media jobs and pushes, metrics rollup and roadmap measuring "
                  "running; Ctrl-C stops them")
        await asyncio.gather(Worker(engine, settings).run(stop), Poller(engine, settings).run(stop),
                             media_worker(engine, settings).run(stop), PushWorker(engine, settings).run(stop),
                             RollupWorker(engine).run(stop),
                             RoadmapMeasurer(engine).run(stop),
                             *([StoryWorker(engine).run(stop)] if settings.story_worker else []))

    asyncio.run(main())


def demo(
    ctx: typer.Context,
    port: int = typer.Option(8000, "--port", help="Port to serve the demo on"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Only build the demo database, do not serve"),
) -> None:
    """A fresh demo hub in ./var/demo.db: partners, members, keys, the source articles; then serve it."""
    from newsbridge.demo import load_demo
    from newsbridge.demo.operator import load_demo_operator

    cli = state(ctx)
    if cli.database_url is None:
        DEMO_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
        cli.database_url = f"sqlite:///{DEMO_DATABASE}"
    engine = cli.engine()
    report = load_demo(engine, Ingestor(engine, cli.settings()))
    from newsbridge.metrics.indicators import measure_all

    measure_all(engine)  # the roadmaps' measured commitments, before anyone opens them
    people = Table("organization", "sign-in e-mail", "role", "password", title="Demo members (shown once)")
    for org, email, role, password in report.members:
        people.add_row(org, email, role, password)
    keys = Table("organization", "API key (Authorization: Bearer ...)", title="Demo API keys (shown once)")
    for org, key in report.keys:
        keys.add_row(org, key)
    items = Table("source", "item id", "from file", title="Seed articles ingested")
    for row in report.items:
        items.add_row(*row)
    for table in (people, keys, items):
        console.print(table)
    console.print("Signed agreements: " + "; ".join(report.agreements))
    history = report.history
    console.print(f"History: 18 months generated, {history.items} items ({history.corrected} corrected, "
                  f"{history.withdrawn} withdrawn), {history.deliveries} deliveries, {history.pickups} pickups")
    console.print(demo_next_steps(report, f"http://127.0.0.1:{port}"), soft_wrap=True)
    operator_email, operator_password = load_demo_operator(engine)
    console.print(f"Operator console: http://127.0.0.1:{port}/operator — sign in as {operator_email} with the "
                  f"password {operator_password}", soft_wrap=True, highlight=False)
    console.print("Invitations: no mail server is set up, so Team and keys (and the operator console) show each "
                  "invitation's link to open in another browser", soft_wrap=True)
    if not no_serve:
        _run_server(cli, "127.0.0.1", port)


def demo_next_steps(report: DemoReport, base: str) -> str:
    """What a newcomer does first: the desk and who signs in, and a curl that shows something
    (IRNA's inbox, which holds both source articles; a holding's own item list would be empty)."""
    irna_key = dict(report.keys)["irna"]
    editor = next((email, password) for org, email, role, password in report.members
                  if org == "irna" and role == "editor")
    return (f"Desk: {base}/desk — sign in as {editor[0]} with the password {editor[1]} "
            f"(or any member above)\n"
            f"Try: curl -H 'Authorization: Bearer {irna_key}' {base}/api/v1/inbox")


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        else:
            found.append(path)
    return found


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Files or directories (searched recursively)"),
    as_org: str = typer.Option(..., "--as", help="Slug of the organization publishing these items"),
    subject: list[str] = typer.Option([], "--subject", help="Media Topic qcode to add to every item (repeatable)"),
) -> None:
    """Ingest files in any supported format as an organization; prints accepted and rejected."""
    cli = state(ctx)
    engine = cli.engine()
    ingestor = Ingestor(engine, cli.settings())
    with reading(engine) as conn:
        org = get_organization(conn, as_org)
    files = _files(paths)
    stored = unchanged = 0
    rejected: list[tuple[str, str, str]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            try:
                results = ingestor.ingest_document(org, path.read_bytes(), subject)
                stored += sum(r.created for r in results)
                unchanged += sum(not r.created for r in results)
            except NewsbridgeError as exc:
                rejected.append((str(path), exc.code, exc.message))
            except OSError as exc:
                rejected.append((str(path), "unreadable", exc.strerror or str(exc)))
            progress.advance(task)
    console.print(f"{len(files)} files: [green]{stored} item versions stored[/green], "
                  f"{unchanged} unchanged (already stored), [red]{len(rejected)} rejected[/red]")
    if rejected:
        table = Table("file", "code", "reason", title="Rejected")
        for row in rejected:
            table.add_row(*row)
        console.print(table)
        raise typer.Exit(1)


def show_config(ctx: typer.Context) -> None:
    """Show the effective settings (secrets masked) and where each comes from."""
    table = Table("variable", "value", "meaning")
    for env, value, help_text in describe(state(ctx).settings()):
        table.add_row(env, value, help_text)
    console.print(table)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations (the hub also does this on start)."""
    engine = state(ctx).engine(migrate=False)
    upgrade(engine)
    err.print(f"database at revision {current_revision(engine)}")
