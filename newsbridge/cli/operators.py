"""``newsbridge operator add|list|remove``: the people who run the hub (the operator console, /operator)."""

from __future__ import annotations

import secrets

import typer
from rich.console import Console
from rich.table import Column, Table

from newsbridge.accounts.members import hash_password
from newsbridge.accounts.operators import add_operator, list_operators, remove_operator
from newsbridge.cli.context import state
from newsbridge.config import base_url
from newsbridge.db.engine import reading, writing

operator_app = typer.Typer(help="Hub operators: run the hub's console (organizations, suspension, health, audit).",
                           no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@operator_app.command("add")
def operator_add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="E-mail address; it is the sign-in name (not a member's)"),
    name: str = typer.Option("", "--name", help="Display name"),
    locale: str = typer.Option("en", "--locale", help="Console language: en, ru, kk or fa"),
) -> None:
    """Add an operator; prints a one-time password (alone, on standard output) to sign in with at /login."""
    cli = state(ctx)
    password = secrets.token_urlsafe(15)
    hashed = hash_password(password)  # argon2 before the write transaction
    with writing(cli.engine()) as conn:
        made = add_operator(conn, email, name, hashed, locale=locale)
    err.print(f"operator {made.email} added; sign in at {base_url(cli.settings())}/login with this password "
              "(shown once):", highlight=False)
    print(password)


@operator_app.command("list")
def operator_list(ctx: typer.Context) -> None:
    """List the hub's operators."""
    with reading(state(ctx).engine()) as conn:
        found = list_operators(conn)
    table = Table(Column("e-mail", no_wrap=True), "name", "language", "since")
    for o in found:
        table.add_row(o.email, o.name, o.locale, o.created_at.date().isoformat())
    console.print(table)


@operator_app.command("remove")
def operator_remove(ctx: typer.Context, email: str = typer.Argument(..., help="The operator's e-mail")) -> None:
    """Remove an operator; their sessions end at once (their past actions stay on the audit log)."""
    with writing(state(ctx).engine()) as conn:
        gone = remove_operator(conn, email)
    err.print(f"operator {gone.email} removed", highlight=False)
