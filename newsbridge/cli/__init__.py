"""The ``newsbridge`` command line: serve the hub, run the demo, manage partners, ingest files.

Errors are printed as one line (the message says what to do), never as a traceback.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from newsbridge.cli import accounts, agreements, alerts, hub, metrics, operators, ops, sources
from newsbridge.errors import NewsbridgeError


class Commands(TyperGroup):
    """Prints a NewsbridgeError as ``error (code): message`` and exits with status 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsbridgeError as exc:
            Console(stderr=True).print(f"[red]error[/red] ({exc.code}): {exc.message}", highlight=False)
            raise typer.Exit(1) from None


app = typer.Typer(cls=Commands, help="Newsbridge: a news-exchange hub for cooperating media organizations.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.callback()(hub.root)
app.command()(hub.serve)
app.command()(hub.worker)
app.command()(hub.demo)
app.command()(hub.ingest)
app.command(name="config")(hub.show_config)
app.command()(ops.backup)
app.command()(ops.restore)
app.command()(ops.purge)
app.add_typer(hub.db_app, name="db")
app.add_typer(accounts.org_app, name="org")
app.add_typer(accounts.member_app, name="member")
app.add_typer(accounts.key_app, name="key")
app.add_typer(operators.operator_app, name="operator")
app.add_typer(agreements.agreement_app, name="agreement")
app.add_typer(sources.source_app, name="source")
app.add_typer(alerts.alerts_app, name="alerts")
app.add_typer(metrics.metrics_app, name="metrics")


def main() -> None:
    app()
