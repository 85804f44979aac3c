"""``newsbridge source ...``: feeds and endpoints polled for an organization's items."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Column, Table

from newsbridge.accounts.organizations import get_organization, get_organization_by_id
from newsbridge.cli.context import state
from newsbridge.db.engine import reading, writing
from newsbridge.ingest.polling import Poller
from newsbridge.ingest.sources import Poll
from newsbridge.errors import NotFound
from newsbridge.ingest.sources import add_source, list_sources, recent_polls

source_app = typer.Typer(help="Sources: feeds and endpoints the hub polls for items.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@source_app.command("add")
def add(ctx: typer.Context, org: str = typer.Argument(..., help="Organization slug the items belong to"),
        url: str = typer.Argument(..., help="RSS, Atom, JSON Feed, NewsML-G2 or ninjs URL"),
        interval: int = typer.Option(300, "--interval", help="Seconds between polls (30..86400)"),
        language: str | None = typer.Option(None, "--language", help="Language of entries that do not say"),
        subject: list[str] = typer.Option([], "--subject", help="Media Topic qcode for every entry (repeatable)"),
        strict: bool = typer.Option(False, "--strict", help="Refuse documents the readers would accept only with "
                                    "warnings (docs/formats.md)"),
        fetch_media: bool = typer.Option(False, "--fetch-media", help="Download the media the items name by URL "
                                         "and serve the hub's copy (docs/media.md)"),
        ) -> None:
    """Poll a URL for an organization's items; prints the source id alone on standard output."""
    cli = state(ctx)
    with writing(cli.engine()) as conn:
        source = add_source(conn, get_organization(conn, org), url, interval_seconds=interval, language=language,
                            subjects=subject, allow=cli.settings().allow_private_targets, strict=strict,
                            fetch_media=fetch_media)
    err.print(f"{url} polled every {interval} s for {org}" + (", strict" if strict else "")
              + (", media fetched" if fetch_media else ""))
    print(source.id)


@source_app.command("list")
def index(ctx: typer.Context) -> None:
    """Every source with its last poll."""
    table = Table(Column("id", no_wrap=True), "organization", "url", "every", "enabled", "strict", "last poll")
    with reading(state(ctx).engine()) as conn:
        for s in list_sources(conn):
            polls = recent_polls(conn, s.id, 1)
            last = (f"{polls[0].outcome} {polls[0].at:%Y-%m-%d %H:%M} +{polls[0].stored}"
                    + (f" ({polls[0].error})" if polls[0].error else "")) if polls else "never"
            table.add_row(s.id, get_organization_by_id(conn, s.organization_id).slug, s.url,
                          f"{s.interval_seconds} s", "yes" if s.enabled else "no", "yes" if s.strict else "no", last)
    console.print(table)


@source_app.command("poll-now")
def poll_now(ctx: typer.Context, source_id: str = typer.Argument(...)) -> None:
    """Poll a source right now, in this process, and print what happened."""
    cli = state(ctx)
    engine, settings = cli.engine(), cli.settings()
    with reading(engine) as conn:
        source = next((s for s in list_sources(conn) if s.id == source_id), None)
    if source is None:
        raise NotFound(f"no source {source_id!r}; `newsbridge source list` shows them", field="id")
    poller = Poller(engine, settings)

    async def once() -> Poll:
        try:
            return await poller.poll(source)
        finally:
            await poller.fetcher.close()

    poll = asyncio.run(once())
    console.print(f"{poll.outcome} (HTTP {poll.http_status}): {poll.stored} stored, {poll.unchanged} unchanged, "
                  f"{poll.rejected} rejected in {poll.duration_ms} ms" + (f"; {poll.error}" if poll.error else ""))
    if poll.outcome == "error":
        raise typer.Exit(1)
