"""``newsbridge backup|restore|purge``: a consistent copy of a SQLite hub and its media, the way back, and
the deletion of what the hub no longer needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from newsbridge.cli.context import state
from newsbridge.ops.backup import backup as take_backup
from newsbridge.ops.purge import purge as run_purge
from newsbridge.ops.restore import restore as put_back

console = Console()
err = Console(stderr=True)


@contextmanager
def _bar(description: str) -> Iterator[Callable[[int, int], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(description, total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield tick


def backup(
    ctx: typer.Context,
    target: Path = typer.Argument(..., help="A new directory to write the backup into"),
    media: bool = typer.Option(True, "--media/--no-media", help="Copy the media blobs (filesystem store)"),
) -> None:
    """Back up a SQLite hub while it runs: the database (SQLite's online backup API) and its media."""
    with _bar("media") as tick:
        report = take_backup(state(ctx).settings(), target, media=media, progress=tick)
    rows = ", ".join(f"{name} {count:,}" for name, count in report.counts.items() if count)
    console.print(f"Backup written to {report.path} (schema {report.revision}): {rows or 'no rows'}.")
    media_line = {"copied": f"{report.blobs:,} media blobs copied ({report.blob_bytes:,} bytes)",
                  "referenced": "media are in S3: listed in manifest.json, not copied",
                  "skipped": "media not copied (--no-media)"}[report.media]
    console.print(media_line + ".")
    if report.missing:
        err.print(f"[yellow]warning[/yellow]: {len(report.missing)} blobs named by the database are missing "
                  f"from the store (listed in manifest.json).")


def restore(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="A directory written by `newsbridge backup`"),
    force: bool = typer.Option(False, "--force", help="Replace a database that already holds organizations"),
) -> None:
    """Restore a backup into NEWSBRIDGE_DATABASE_URL (SQLite) and the media store; stop the hub first."""
    with _bar("media") as tick:
        report = put_back(state(ctx).settings(), source, force=force, progress=tick)
    console.print(f"Restored {report.database} (backup schema {report.revision_in_backup}, now "
                  f"{report.revision_now}); {report.blobs:,} media blobs ({report.blob_bytes:,} bytes).")


def purge(ctx: typer.Context) -> None:
    """Delete what the retention settings let go (delivered webhook messages, expired sessions, old poll
    records, abandoned uploads); never items, deliveries or what the metrics count. Run it daily."""
    cli = state(ctx)
    report = run_purge(cli.engine(), cli.settings())
    for label, count in report.as_rows():
        console.print(f"{label}: {count:,} deleted")
