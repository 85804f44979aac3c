"""``newsbridge metrics rebuild``: recompute the metrics rollup from the raw rows."""

from __future__ import annotations

import typer
from rich.console import Console

from newsbridge.cli.context import state
from newsbridge.db.engine import reading, writing
from newsbridge.exchange.agreements import all_agreement_ids, load_agreement
from newsbridge.ids import utcnow
from newsbridge.metrics.rollups import rebuild_agreement

console = Console(stderr=True)
metrics_app = typer.Typer(help="Cooperation metrics: the rollup tables.", no_args_is_help=True)


@metrics_app.command("rebuild")
def rebuild(ctx: typer.Context, agreement: list[str] = typer.Option(
        [], "--agreement", help="Only this agreement (repeatable); default: every agreement")) -> None:
    """Drop the rollup of each agreement and build it again from the raw rows, one agreement per
    transaction (the figures stay right meanwhile: a zone not rolled up is read raw). Run it after
    moving an outlet to another holding, changing an organization's time zone, or a tzdata update."""
    engine = state(ctx).engine()
    with reading(engine) as conn:
        ids = [load_agreement(conn, a).id for a in agreement] if agreement else all_agreement_ids(conn)
    days = 0
    for agreement_id in ids:
        with writing(engine) as conn:
            written = rebuild_agreement(conn, agreement_id, utcnow())
        days += written
        console.print(f"{agreement_id}: {written} day(s) rolled up", highlight=False)
    typer.echo(f"rebuilt {len(ids)} agreement(s), {days} day(s)")
